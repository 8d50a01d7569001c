//! Driving a picker: single picks, runs of picks, picks from many threads
//! at once, and how a run is checked against a cycle or a model's schedule.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use contracts::load_balancer::{BackendId, Picker};
use grader_protocol::Failure;

use super::show::{num, show_ids, show_run};
use crate::harness::{Caught, Story, WithHint, catch_panic, ensure, fail};

/// Runs `f`, turning a panic of the implementation into a failure (`what`
/// describes the call). A `todo!()` is passed on as a panic so that it reads
/// as "not implemented yet".
pub(super) fn no_panic<R>(what: &str, f: impl FnOnce() -> R) -> Result<R, Failure> {
    catch_panic(f).map_err(|caught| match caught {
        Caught::NotImplemented(_) => caught.raise(),
        Caught::Panicked(message) => fail(what.to_string(), "an answer (a lease or an Err(NoBackend)), never a panic", format!("panicked: {message}"))
            .hint("With no backend to pick, answer Err(NoBackend::Empty) or Err(NoBackend::AllDown). The usual culprit is `i % up.len()` with `up` empty: check for the empty case first."),
    })
}

/// One pick whose request ends at once; a failure if there was nothing to pick.
pub(super) fn take(p: &dyn Picker, context: &dyn Fn() -> String) -> Result<BackendId, Failure> {
    match p.pick() {
        Ok(lease) => {
            let id = lease.id();
            lease.finish();
            Ok(id)
        }
        Err(e) => Err(fail(context(), "a backend", format!("Err({e:?})"))
            .hint("Err(NoBackend) is only for an empty list (Empty) or a list whose backends are all down (AllDown).")),
    }
}

/// `count` picks in a row, each request ending before the next.
pub(super) fn take_run(p: &dyn Picker, count: usize, context: &dyn Fn() -> String) -> Result<Vec<BackendId>, Failure> {
    (0..count).map(|_| take(p, context)).collect()
}

/// The first place where `picks` breaks "every `n` consecutive picks hold
/// each of `ups` exactly once": the window's start and what is wrong in it.
pub(super) fn cycle_break(picks: &[BackendId], ups: &[BackendId]) -> Option<(usize, String)> {
    let n = ups.len();
    let allowed: BTreeSet<BackendId> = ups.iter().copied().collect();
    for (i, id) in picks.iter().enumerate() {
        if !allowed.contains(id) {
            return Some((i, format!("pick {} was {id}, which is not an up backend of the list", i + 1)));
        }
    }
    for start in 0..picks.len().saturating_sub(n - 1) {
        let window = &picks[start..start + n];
        let seen: BTreeSet<BackendId> = window.iter().copied().collect();
        if seen.len() != n {
            let twice = window.iter().find(|id| window.iter().filter(|x| x == id).count() > 1);
            let missing: Vec<BackendId> = ups.iter().filter(|id| !seen.contains(id)).copied().collect();
            return Some((
                start,
                format!(
                    "picks {} to {} ({}) hold {} twice and miss {}",
                    start + 1,
                    start + n,
                    show_run(window, n),
                    twice.map_or("one".into(), ToString::to_string),
                    show_ids(&missing)
                ),
            ));
        }
    }
    None
}

/// Picks from `threads` threads at once, `per_thread` each, each released at
/// once; counts per backend id, and how often the threads' picks interleaved
/// (a thread saw that another one had picked since its own previous pick).
/// Threads start together (a barrier), but on a busy machine they may still
/// run one after another: the interleaving count tells.
pub(super) fn threaded_counts(
    p: &dyn Picker,
    threads: usize,
    per_thread: usize,
) -> Result<(BTreeMap<BackendId, u64>, u64), Failure> {
    let barrier = Barrier::new(threads);
    let last = AtomicUsize::new(usize::MAX);
    let results: Vec<(BTreeMap<BackendId, u64>, u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|me| {
                let (barrier, last) = (&barrier, &last);
                scope.spawn(move || {
                    let mut counts: BTreeMap<BackendId, u64> = BTreeMap::new();
                    // Small ids count in an array: the hot loop stays cheap.
                    let mut fast = [0u64; 64];
                    let mut errors = 0;
                    let mut interleaved = 0u64;
                    barrier.wait();
                    for _ in 0..per_thread {
                        if last.load(Ordering::Relaxed) != me {
                            last.store(me, Ordering::Relaxed);
                            interleaved += 1;
                        }
                        match p.pick() {
                            Ok(lease) => {
                                let id = lease.id();
                                lease.finish();
                                match fast.get_mut(id.0 as usize) {
                                    Some(c) => *c += 1,
                                    None => *counts.entry(id).or_default() += 1,
                                }
                            }
                            Err(_) => errors += 1,
                        }
                    }
                    for (i, &c) in fast.iter().enumerate() {
                        if c > 0 {
                            *counts.entry(BackendId(i as u32)).or_default() += c;
                        }
                    }
                    // Every thread's first pick counts once: not an interleaving.
                    (counts, errors, interleaved.saturating_sub(1))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload))).collect()
    });
    let mut total: BTreeMap<BackendId, u64> = BTreeMap::new();
    let mut errors = 0;
    let mut interleaved = 0;
    for (counts, e, i) in results {
        errors += e;
        interleaved += i;
        for (id, c) in counts {
            *total.entry(id).or_default() += c;
        }
    }
    ensure(errors == 0, || {
        fail(
            format!("{threads} threads picked at once from a picker whose backends were all up."),
            "a backend for every pick",
            format!("Err(NoBackend) for {} picks", num(errors)),
        )
    })?;
    Ok((total, interleaved))
}

/// Takes `want.len()` picks and checks they are exactly `want`.
pub(super) fn check_sequence(
    p: &dyn Picker,
    want: &[BackendId],
    situation: &dyn Fn() -> String,
    hint: &str,
) -> Result<(), Failure> {
    let got = take_run(p, want.len(), situation)?;
    let then = |rest: &[BackendId], what: &str| {
        if rest.is_empty() { String::new() } else { format!(" ({what}: {})", show_run(rest, 10)) }
    };
    let mut story: Story<(usize, BackendId)> = Story::new();
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        story.check(g == w, (k, g), |story| {
            fail(
                format!(
                    "{}\n  then {} picks, each checked against the contract's schedule:\n  {}\n  then pick {}",
                    situation(),
                    want.len(),
                    story.tell(|&(i, id)| format!("pick {} → {id}", i + 1)),
                    k + 1
                ),
                format!("{w}{}", then(&want[k + 1..], "the schedule goes on")),
                format!("{g}{}", then(&got[k + 1..], "and then")),
            )
            .hint(hint)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use contracts::load_balancer::BackendId;

    use super::*;

    #[test]
    fn cycle_breaks_are_found_and_described() {
        let ids = |v: &[u32]| v.iter().map(|&i| BackendId(i)).collect::<Vec<_>>();
        let ups = ids(&[0, 1, 2]);
        assert_eq!(cycle_break(&ids(&[1, 2, 0, 1, 2, 0]), &ups), None);
        let (at, what) = cycle_break(&ids(&[0, 1, 2, 2, 0, 1]), &ups).unwrap_or_default();
        assert_eq!(at, 1);
        assert!(what.contains("b2 twice"), "{what}");
        let (_, what) = cycle_break(&ids(&[0, 1, 7]), &ups).unwrap_or_default();
        assert!(what.contains("not an up backend"), "{what}");
    }
}
