//! Stage `round-robin`: each up backend once in every n consecutive picks, from
//! one thread or many, across changes of the list.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use contracts::load_balancer::BackendId;
use rand::RngExt;

use super::picks::{cycle_break, take_run, threaded_counts};
use super::show::{deviations, ids_of, list, num, show_ids, show_run};
use super::{Strategy, Subject};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// Times the list is replaced while two threads pick.
const SWAPS: u64 = 2_000;

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let cycle_hint = "Keep one counter for the picker: pick up[i % up.len()] and add 1 to i. Never reset it per call or keep one per thread.";
    // One thread: every n consecutive picks hold each backend once.
    // One backend, and ids at the ends of their range (any u32 is an id).
    for ids in [
        vec![0],
        vec![u32::MAX],
        vec![0, 1],
        vec![0, 1, 2],
        vec![3, 1, 4, 15, 9],
        vec![u32::MAX, 0, u32::MAX - 1],
        vec![0, 1, 2, 3, 4, 5, 6, 7],
    ] {
        let backends = list(&ids);
        let p = s.picker(Strategy::RoundRobin)(&backends, 0);
        let ups = ids_of(&backends);
        let n = ups.len();
        let context = || {
            format!(
                "A round-robin picker over {n} backends {}, all up, picked {} times in a row.",
                show_ids(&ups),
                4 * n
            )
        };
        let picks = take_run(p.as_ref(), 4 * n, &context)?;
        if let Some((_, what)) = cycle_break(&picks, &ups) {
            return Err(fail(
                format!("{}\n  picks: {}", context(), show_run(&picks, 24)),
                format!("each backend once in every {n} consecutive picks"),
                what,
            )
            .hint(cycle_hint));
        }
    }

    // The list changes: the cycle carries on over the new list.
    let lists: [&[u32]; 6] =
        [&[0, 1, 2, 3, 4], &[0, 1, 2, 3, 4, 5, 6, 7], &[2, 5, 7], &[20, 21, 22, 23], &[5], &[1, 2]];
    let p = s.picker(Strategy::RoundRobin)(&list(lists[0]), 0);
    let mut history = String::new();
    let mut rng = ctx.rng(1);
    for (step, ids) in lists.iter().enumerate() {
        let backends = list(ids);
        if step > 0 {
            p.set_backends(&backends);
            let _ = write!(history, "\n  then set_backends({})", show_ids(&ids_of(&backends)));
        }
        let ups = ids_of(&backends);
        let n = ups.len();
        // Start the check anywhere in the cycle.
        let skip = rng.random_range(0..n.max(1));
        take_run(p.as_ref(), skip, &|| format!("A round-robin picker:{history}"))?;
        let picks = take_run(p.as_ref(), 3 * n, &|| format!("A round-robin picker:{history}"))?;
        if let Some((_, what)) = cycle_break(&picks, &ups) {
            return Err(fail(
                format!("A round-robin picker created over {}:{history}\n  and picked {} times: {}", show_ids(&ids_of(&list(lists[0]))), 3 * n, show_run(&picks, 24)),
                format!("each of the {n} new backends once in every {n} consecutive picks, and never a removed one"),
                what,
            )
            .hint("After set_backends, index the *new* list with the same counter. Keep the list and its length together (one lock, or one Arc swapped at once), never two separate fields that a pick could read half-updated."));
        }
    }

    // Many threads at once: k full cycles per thread, exactly k per backend.
    //
    // A counter read and written in two steps loses a turn only when two
    // picks overlap between the read and the write: a thread preempted there
    // while others pick, or two cores in the window at once. So the check
    // oversubscribes the cores (16 threads, so the scheduler switches between
    // them) and repeats short trials, stopping at the first uneven one. On a
    // busy machine the threads of a trial may run one after another, and such
    // a trial proves nothing: only trials whose picks interleaved at least
    // 1,000 times count, and the check ends after 8 of those (at most 240
    // trials). A racy counter fails nearly every trial that interleaves; a
    // correct picker spends a fraction of a second here.
    let backends = list(&[0, 1, 2, 3, 4]);
    let (threads, cycles) = (16usize, 5_000usize);
    let (wanted, max_trials, enough) = (8, 240, 1_000);
    let mut informative = 0;
    for trial in 1..=max_trials {
        if informative >= wanted {
            break;
        }
        let p = s.picker(Strategy::RoundRobin)(&backends, 0);
        let (counts, interleaved) = threaded_counts(p.as_ref(), threads, cycles * backends.len())?;
        if interleaved >= enough {
            informative += 1;
        }
        let want = (threads * cycles) as u64;
        let fair = counts.len() == backends.len() && counts.values().all(|&c| c == want);
        if !fair {
            let total: u64 = counts.values().sum();
            return Err(fail(
                format!(
                    "A round-robin picker over {} backends {}; {threads} threads picked at once, {} picks each ({} full cycles; trial {trial}, their picks interleaved {} times), {} picks in all.",
                    backends.len(),
                    show_ids(&ids_of(&backends)),
                    num((cycles * backends.len()) as u64),
                    num(cycles as u64),
                    num(interleaved),
                    num(total)
                ),
                format!("exactly {} picks per backend ({threads} threads × {} cycles)", num(want), num(cycles as u64)),
                format!("uneven counts (bars show the difference from {}):{}", num(want), deviations(&counts, want)),
            )
            .hint("Two threads took the same turn. `let i = next.load(); next.store(i + 1)` is two steps: another thread can read the same i in between. `next.fetch_add(1, Ordering::Relaxed)` takes a turn in one atomic step."));
        }
    }

    // The list changes while threads pick: never a panic, never a stranger.
    let a = list(&[0, 1, 2, 3, 4]);
    let b = list(&[10, 11, 12, 13, 14, 15, 16]);
    let p = s.picker(Strategy::RoundRobin)(&a, 0);
    let stop = AtomicBool::new(false);
    let strangers: Vec<Vec<BackendId>> = std::thread::scope(|scope| {
        let pickers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut strangers = vec![];
                    while !stop.load(Ordering::Relaxed) {
                        if let Ok(lease) = p.pick() {
                            let id = lease.id();
                            if !(id.0 < 5 || (10..17).contains(&id.0)) {
                                strangers.push(id);
                            }
                        } else {
                            strangers.push(BackendId(u32::MAX));
                        }
                    }
                    strangers
                })
            })
            .collect();
        for i in 0..SWAPS {
            p.set_backends(if i % 2 == 0 { &b } else { &a });
        }
        stop.store(true, Ordering::Relaxed);
        pickers.into_iter().map(|h| h.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload))).collect()
    });
    let strangers: Vec<BackendId> = strangers.into_iter().flatten().collect();
    ensure(strangers.is_empty(), || {
        let no_backend = strangers.iter().filter(|id| id.0 == u32::MAX).count();
        fail(
            format!("Two threads picked while a third replaced the list {} times, alternating [b0..b4] and [b10..b16].", num(SWAPS)),
            "every pick a backend of one of the two lists",
            if no_backend > 0 {
                format!("Err(NoBackend) {no_backend} times, though both lists are non-empty")
            } else {
                format!("{} picks of backends in neither list, e.g. {}", strangers.len(), strangers[0])
            },
        )
        .hint("A pick must see one whole list: read the list once (under a read lock, or from one Arc) and index that same list with `turn % len`.")
    })?;
    p.set_backends(&a);
    let n = a.len();
    let picks = take_run(p.as_ref(), 2 * n, &|| "After the concurrent changes, set_backends([b0..b4]).".into())?;
    if let Some((_, what)) = cycle_break(&picks, &ids_of(&a)) {
        return Err(fail(
            format!("After the concurrent changes, set_backends({}) and {} picks.", show_ids(&ids_of(&a)), 2 * n),
            format!("each backend once in every {n} picks"),
            what,
        ));
    }
    Ok(vec![])
}
