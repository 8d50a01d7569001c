//! Hidden suite of the `load-balancer` exercise.
//!
//! Expected answers come from the contract's properties, checked directly on
//! what the implementation does: which backends a run of picks visited, how
//! many requests the suite itself holds on each backend (it is the only
//! caller, so it knows the true in-flight counts), which keys moved when a
//! node joined. Where the lesson promises a number (P2C's peak load against
//! random and least-connections, a ring's spread against `1/√k`), the suite
//! computes the baseline with its own small models in the same run, from the
//! same seeded workload.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use contracts::load_balancer::{Backend, BackendId, JumpHash, Lease, NoBackend, Picker, Ring};
use grader_protocol::{BenchFigure, Failure};
use rand::{Rng, RngExt};

use crate::bench;
use crate::harness::{
    Ctx, Stage, StageResult, Suite, WithHint, catch_expected_panic, ensure, fail, probe_in_fresh_process,
    register_probe,
};
use crate::load_balancer_baseline as baseline;

/// Builds a picker from a backend list and a seed.
pub type MakePicker = fn(&[Backend], u64) -> Arc<dyn Picker>;

/// How the suite builds instances of one implementation.
#[derive(Clone, Copy)]
pub struct Subject {
    /// Builds a round-robin picker.
    pub round_robin: MakePicker,
    /// Builds a smooth weighted round-robin picker.
    pub smooth_weighted: MakePicker,
    /// Builds a least-connections picker.
    pub least_connections: MakePicker,
    /// Builds a power-of-two-choices picker.
    pub power_of_two: MakePicker,
    /// Builds an empty ring with this many points per node.
    pub ring: fn(u32) -> Box<dyn Ring>,
    /// Jump consistent hash.
    pub jump_hash: JumpHash,
}

impl Subject {
    /// The subject made of these types and this jump hash function.
    pub fn of<RR, SW, LC, P2, R>(jump_hash: JumpHash) -> Subject
    where
        RR: Picker + 'static,
        SW: Picker + 'static,
        LC: Picker + 'static,
        P2: Picker + 'static,
        R: Ring + 'static,
    {
        Subject {
            round_robin: |b, seed| Arc::new(RR::new(b, seed)),
            smooth_weighted: |b, seed| Arc::new(SW::new(b, seed)),
            least_connections: |b, seed| Arc::new(LC::new(b, seed)),
            power_of_two: |b, seed| Arc::new(P2::new(b, seed)),
            ring: |vnodes| Box::new(R::new(vnodes)),
            jump_hash,
        }
    }
}

/// The plain baseline of the speed figures (`load_balancer_baseline`).
fn baseline_subject() -> Subject {
    Subject::of::<
        baseline::RoundRobin,
        baseline::SmoothWeighted,
        baseline::LeastConnections,
        baseline::PowerOfTwo,
        baseline::HashRing,
    >(baseline::jump_hash)
}

/// Name of the probe that answers where the learner's ring places keys, for
/// the check that a second process places them the same way.
const RING_PROBE: &str = "ring-placement";

/// The stages, in grading order; ids match `course.toml`.
pub fn suite(learner: Subject, reference: Subject) -> Suite {
    let s = learner;
    register_probe(RING_PROBE, move |ctx| ring_placement(s, ctx));
    Suite {
        stages: vec![
            Stage::new("round-robin", move |ctx| round_robin(s, ctx)),
            Stage::new("smooth-weighted", move |ctx| smooth_weighted(s, ctx)),
            Stage::new("least-connections", move |ctx| least_connections(s, ctx)),
            Stage::new("power-of-two", move |ctx| power_of_two(s, ctx)),
            Stage::new("hash-ring", move |ctx| hash_ring(s, ctx)),
            Stage::new("jump-hash", move |ctx| jump_hash(s, ctx)),
            Stage::new("health", move |ctx| health(s, ctx)),
            Stage::new("benchmarks", move |ctx| benchmarks(s, baseline_subject(), reference, ctx)),
        ],
        simulation: Some(Box::new(move |ctx| crate::load_balancer_simulation::simulate(s, reference, ctx))),
    }
}

// ─── Small helpers: lists, picks, and how failures show them ───

fn list(ids: &[u32]) -> Vec<Backend> {
    ids.iter().map(|&i| Backend::new(i)).collect()
}

fn weighted(ws: &[(u32, u32)]) -> Vec<Backend> {
    ws.iter().map(|&(i, w)| Backend::weighted(i, w)).collect()
}

fn ids_of(backends: &[Backend]) -> Vec<BackendId> {
    backends.iter().map(|b| b.id).collect()
}

/// `[b0 b1 b2]`.
fn show_ids(ids: &[BackendId]) -> String {
    format!("[{}]", ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
}

/// `b0:5 b1:1`.
fn show_weights(backends: &[Backend]) -> String {
    backends.iter().map(|b| format!("{}:{}", b.id, b.weight)).collect::<Vec<_>>().join(" ")
}

/// A run of picks, the first `max` of them.
fn show_run(picks: &[BackendId], max: usize) -> String {
    let mut s = picks.iter().take(max).map(ToString::to_string).collect::<Vec<_>>().join(" ");
    if picks.len() > max {
        s.push_str(" …");
    }
    s
}

/// 12,345.
fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows of `label ████ count`, scaled to the largest count, indented to sit
/// under the `got:` column of a failure.
fn histogram(rows: &[(String, u64)]) -> String {
    const WIDTH: u64 = 32;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let label = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, n) in rows {
        let len = if *n == 0 { 0 } else { (n * WIDTH / max).max(1) as usize };
        let _ = write!(out, "\n            {name:>label$} {:<w$} {}", "█".repeat(len), num(*n), w = WIDTH as usize);
    }
    out
}

/// Rows of `label count  +diff ███`, bars scaled to the largest difference
/// from `want`: near-equal counts differ where it matters.
fn deviations(counts: &BTreeMap<BackendId, u64>, want: u64) -> String {
    const WIDTH: u64 = 24;
    let max = counts.values().map(|&c| c.abs_diff(want)).max().unwrap_or(0).max(1);
    let label = counts.keys().map(|id| id.to_string().len()).max().unwrap_or(0);
    let mut out = String::new();
    for (id, &c) in counts {
        let diff = c.abs_diff(want);
        let len = if diff == 0 { 0 } else { (diff * WIDTH / max).max(1) as usize };
        let sign = if c >= want { '+' } else { '−' };
        let id = id.to_string();
        let _ = write!(out, "\n            {id:>label$} {:>9}  {sign}{diff:<5} {}", num(c), "█".repeat(len));
    }
    out
}

fn count_rows(counts: &BTreeMap<BackendId, u64>) -> Vec<(String, u64)> {
    counts.iter().map(|(id, n)| (id.to_string(), *n)).collect()
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".into()
    }
}

/// Runs `f`, turning a panic of the implementation into a failure (`what`
/// describes the call). A `todo!()` is passed on as a panic so that it reads
/// as "not implemented yet".
fn no_panic<R>(what: &str, f: impl FnOnce() -> R) -> Result<R, Failure> {
    match catch_expected_panic(f) {
        Ok(r) => Ok(r),
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            if message.starts_with("not yet implemented") || message.starts_with("not implemented") {
                panic!("{message}");
            }
            Err(fail(what.to_string(), "an answer (a lease or an Err(NoBackend)), never a panic", format!("panicked: {message}"))
                .hint("With no backend to pick, answer Err(NoBackend::Empty) or Err(NoBackend::AllDown). The usual culprit is `i % up.len()` with `up` empty: check for the empty case first."))
        }
    }
}

/// One pick whose request ends at once; a failure if there was nothing to pick.
fn take(p: &dyn Picker, context: &dyn Fn() -> String) -> Result<BackendId, Failure> {
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
fn take_run(p: &dyn Picker, count: usize, context: &dyn Fn() -> String) -> Result<Vec<BackendId>, Failure> {
    (0..count).map(|_| take(p, context)).collect()
}

/// The first place where `picks` breaks "every `n` consecutive picks hold
/// each of `ups` exactly once": the window's start and what is wrong in it.
fn cycle_break(picks: &[BackendId], ups: &[BackendId]) -> Option<(usize, String)> {
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
fn threaded_counts(
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

// ─── Stage 1: round-robin ───

fn round_robin(s: Subject, ctx: &Ctx) -> StageResult {
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
        let p = (s.round_robin)(&backends, 0);
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
    let p = (s.round_robin)(&list(lists[0]), 0);
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
        let p = (s.round_robin)(&backends, 0);
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
                    "A round-robin picker over 5 backends {}; {threads} threads picked at once, {} picks each ({} full cycles; trial {trial}, their picks interleaved {} times), {} picks in all.",
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
    let p = (s.round_robin)(&a, 0);
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
        for i in 0..2_000 {
            p.set_backends(if i % 2 == 0 { &b } else { &a });
        }
        stop.store(true, Ordering::Relaxed);
        pickers.into_iter().map(|h| h.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload))).collect()
    });
    let strangers: Vec<BackendId> = strangers.into_iter().flatten().collect();
    ensure(strangers.is_empty(), || {
        let no_backend = strangers.iter().filter(|id| id.0 == u32::MAX).count();
        fail(
            "Two threads picked while a third replaced the list 2,000 times, alternating [b0..b4] and [b10..b16].",
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
    let picks = take_run(p.as_ref(), 10, &|| "After the concurrent changes, set_backends([b0..b4]).".into())?;
    if let Some((_, what)) = cycle_break(&picks, &ids_of(&a)) {
        return Err(fail(
            "After the concurrent changes, set_backends([b0 b1 b2 b3 b4]) and 10 picks.",
            "each backend once in every 5 picks",
            what,
        ));
    }
    Ok(vec![])
}

// ─── Stage 2: smooth weighted round-robin ───

/// Checks one schedule of `cycles × W` picks from a fresh start (or a
/// change): exact counts per cycle, and never a whole pick ahead.
fn check_schedule(p: &dyn Picker, backends: &[Backend], cycles: usize, setup: &str) -> Result<(), Failure> {
    let total: u64 = backends.iter().map(|b| u64::from(b.weight)).sum();
    let index: BTreeMap<BackendId, usize> = backends.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
    let mut picks: Vec<BackendId> = Vec::new();
    let mut count = vec![0u64; backends.len()];
    let context = || format!("A smooth weighted round-robin picker, weights {}{setup}.", show_weights(backends));
    for cycle in 0..cycles {
        let mut in_cycle = vec![0u64; backends.len()];
        for _ in 0..total {
            let id = take(p, &context)?;
            picks.push(id);
            let t = picks.len() as u64;
            let Some(&i) = index.get(&id) else {
                return Err(fail(context(), "only backends of the list", format!("pick {t} was {id}")));
            };
            count[i] += 1;
            in_cycle[i] += 1;
            let w = u64::from(backends[i].weight);
            // The lead bound, in integers: count < t·w/W + 1.
            if count[i] * total >= t * w + total {
                return Err(fail(
                    format!("{}\n  first {t} picks: {}", context(), show_run(&picks, 40)),
                    format!(
                        "{id} (weight {w} of {total}) never a whole pick ahead of its share: after {t} picks, fewer than {t}×{w}/{total} + 1 = {:.2} picks",
                        (t * w) as f64 / total as f64 + 1.0
                    ),
                    format!("{} picks of {id} after {t}: a burst", count[i]),
                )
                .hint("This is the naive weighted round-robin (each backend `weight` times in a row). Use nginx's smooth version: add each weight to its backend's score, pick the highest score, subtract the total weight from the winner."));
            }
        }
        if in_cycle.iter().zip(backends).any(|(&c, b)| c != u64::from(b.weight)) {
            let rows: Vec<(String, u64)> =
                backends.iter().zip(&in_cycle).map(|(b, &c)| (format!("{} (w={})", b.id, b.weight), c)).collect();
            return Err(fail(
                format!("{}\n  picks: {}", context(), show_run(&picks, 40)),
                format!("in cycle {} (picks {} to {}), each backend exactly its weight", cycle + 1, cycle as u64 * total + 1, (cycle as u64 + 1) * total),
                format!("counts:{}", histogram(&rows)),
            )
            .hint("Each pick adds every weight once and subtracts the total once, so the scores sum to 0 and return to all-zero after W picks. Check that you add every up backend's weight on every pick, subtract the *total* (not the winner's weight), and start from 0."));
        }
    }
    Ok(())
}

/// The contract's schedule, in `i128` (no overflow at any allowed weight):
/// the first `count` picks of a fresh smooth weighted picker over `up`.
fn smooth_model(up: &[Backend], count: usize) -> Vec<BackendId> {
    let total: i128 = up.iter().map(|b| i128::from(b.weight)).sum();
    let mut current = vec![0i128; up.len()];
    let mut picks = Vec::with_capacity(count);
    if up.is_empty() {
        return picks;
    }
    for _ in 0..count {
        let mut best = 0;
        for (i, b) in up.iter().enumerate() {
            current[i] += i128::from(b.weight);
            // Strictly greater: the earliest backend wins a tie.
            if current[i] > current[best] {
                best = i;
            }
        }
        current[best] -= total;
        picks.push(up[best].id);
    }
    picks
}

/// Takes `want.len()` picks and checks they are exactly `want`.
fn check_sequence(
    p: &dyn Picker,
    want: &[BackendId],
    situation: &dyn Fn() -> String,
    hint: &str,
) -> Result<(), Failure> {
    let got = take_run(p, want.len(), situation)?;
    let Some(k) = got.iter().zip(want).position(|(g, w)| g != w) else { return Ok(()) };
    let from = k.saturating_sub(4);
    Err(fail(
        format!(
            "{}\n  then {} picks; {}.",
            situation(),
            want.len(),
            match k {
                0 => "the first already differs".to_string(),
                1 => "the first was as expected".to_string(),
                _ => format!("the first {k} were as expected"),
            }
        ),
        format!("picks {} to {}: {}", from + 1, (from + 10).min(want.len()), show_run(&want[from..], 10)),
        format!("picks {} to {}: {}", from + 1, (from + 10).min(got.len()), show_run(&got[from..], 10)),
    )
    .hint(hint))
}

const WIDE_HINT: &str = "Weights go up to 2^32 − 1 and a list's total up to 2^48: keep weights, scores and the total in a type that holds ±2^48 (i64 does; a u32 or i32 total or score wraps around, and the release build wraps silently).";

/// The edges of the weighted schedule: one backend, the largest weights and
/// ids the contract allows, the longest list at the largest weight.
fn smooth_edges(s: Subject) -> Result<(), Failure> {
    let lists: [(&str, Vec<Backend>, usize); 4] = [
        ("one backend", weighted(&[(u32::MAX, 7)]), 30),
        ("the largest weights", weighted(&[(0, u32::MAX), (1, u32::MAX), (2, 1)]), 3_000),
        (
            "the largest weights and ids",
            weighted(&[(u32::MAX, u32::MAX), (5, u32::MAX - 1), (9, 1 << 31), (3, 12_345), (4, 1)]),
            3_000,
        ),
        (
            "the longest list at the largest weight (65,536 backends of weight 2^32 − 1, total 2^48 − 2^16)",
            (0..65_536u32).map(|i| Backend::weighted(i, u32::MAX)).collect(),
            300,
        ),
    ];
    for (what, backends, count) in lists {
        let p = (s.smooth_weighted)(&backends, 0);
        let want = smooth_model(&backends, count);
        let shown = if backends.len() > 8 {
            format!("{} backends b0..b65535, each of weight {}", num(backends.len() as u64), u32::MAX)
        } else {
            show_weights(&backends)
        };
        let situation =
            || format!("A smooth weighted round-robin picker at the edge of the contract, {what}: weights {shown}.");
        check_sequence(
            p.as_ref(),
            &want,
            &situation,
            if backends.len() == 1 { "With one backend every pick is that backend." } else { WIDE_HINT },
        )?;
    }
    Ok(())
}

fn smooth_weighted(s: Subject, ctx: &Ctx) -> StageResult {
    // The lesson's example, exactly.
    let abc = weighted(&[(0, 5), (1, 1), (2, 1)]);
    let p = (s.smooth_weighted)(&abc, 0);
    let picks =
        take_run(p.as_ref(), 14, &|| "A smooth weighted round-robin picker, weights {a: 5, b: 1, c: 1}.".into())?;
    let letters = |ids: &[BackendId]| {
        ids.iter().map(|id| ["a", "b", "c"].get(id.0 as usize).copied().unwrap_or("?")).collect::<Vec<_>>().join(" ")
    };
    let want = "a a b a c a a a a b a c a a";
    ensure(letters(&picks) == want, || {
        let got = letters(&picks);
        let naive = got.starts_with("a a a a a");
        fail("A smooth weighted round-robin picker over a (weight 5), b (1), c (1), in that order; 14 picks.", want, got).hint(if naive {
            "That is the naive weighted round-robin: a's 5 picks in a burst. nginx's version: add each weight to its backend's score, pick the highest (earliest on a tie), subtract the total weight (7) from the winner. The lesson's table shows the scores pick by pick."
        } else {
            "Follow the lesson's table: scores start at 0; each pick adds each weight, picks the highest score (the earliest backend on a tie: compare with >, not >=), then subtracts the total weight from the winner only."
        })
    })?;

    // Any weights: exact per cycle, never a burst.
    let mut rng = ctx.rng(2);
    for round in 0..40 {
        let n = rng.random_range(1..=6);
        let big = round % 2 == 1;
        let backends: Vec<Backend> = (0..n)
            .map(|i| {
                Backend::weighted(
                    i as u32 * 3 + 1,
                    if big { rng.random_range(1..=60) } else { rng.random_range(1..=6) },
                )
            })
            .collect();
        let p = (s.smooth_weighted)(&backends, 0);
        check_schedule(p.as_ref(), &backends, 3, "")?;
        // A change restarts the schedule, even mid-cycle.
        let extra: usize = rng.random_range(1..8);
        take_run(p.as_ref(), extra, &|| "A smooth weighted round-robin picker.".into())?;
        let mut changed = backends.clone();
        changed.push(Backend::weighted(99, rng.random_range(1..=9)));
        for b in &mut changed {
            if rng.random_range(0..3) == 0 {
                b.weight = rng.random_range(1..=9);
            }
        }
        p.set_backends(&changed);
        check_schedule(
            p.as_ref(),
            &changed,
            2,
            &format!(", replaced by set_backends after {extra} picks of weights {}; the schedule restarts from scores of 0", show_weights(&backends)),
        )
        .map_err(|f| {
            if f.expected.starts_with("in cycle") {
                f.hint("set_backends restarts the schedule: rebuild the list with every score at 0 (weights may have changed too).")
            } else {
                f
            }
        })?;
    }

    // Threads share one schedule.
    let backends = weighted(&[(0, 5), (1, 1), (2, 1), (3, 3)]);
    let total = 10;
    let (threads, cycles) = (4, 2_000);
    let p = (s.smooth_weighted)(&backends, 0);
    let (counts, _) = threaded_counts(p.as_ref(), threads, cycles * total)?;
    let exact =
        backends.iter().all(|b| counts.get(&b.id).copied() == Some((threads * cycles) as u64 * u64::from(b.weight)))
            && counts.len() == backends.len();
    ensure(exact, || {
        fail(
            format!(
                "A smooth weighted round-robin picker, weights {}; {threads} threads picked at once, {} picks each ({} full cycles).",
                show_weights(&backends),
                num((cycles * total) as u64),
                num(cycles as u64)
            ),
            format!("exactly {} × weight picks per backend: b0 {}, b1 {}, b2 {}, b3 {}", num((threads * cycles) as u64), num(5 * (threads * cycles) as u64), num((threads * cycles) as u64), num((threads * cycles) as u64), num(3 * (threads * cycles) as u64)),
            format!("counts:{}", histogram(&count_rows(&counts))),
        )
        .hint("A pick reads and writes every score: do it all under one Mutex, so that picks from different threads form one schedule.")
    })?;
    smooth_edges(s)?;
    Ok(vec![])
}

// ─── Stage 3: least-connections ───

/// Drives a picker that counts in-flight requests, holding leases the way a
/// server's handlers would, and knows the true count per backend.
struct Held<'a> {
    p: &'a dyn Picker,
    ups: Vec<BackendId>,
    leases: Vec<Lease<'a>>,
    truth: BTreeMap<BackendId, usize>,
    story: Vec<String>,
}

impl<'a> Held<'a> {
    fn new(p: &'a dyn Picker, ups: &[BackendId]) -> Held<'a> {
        Held { p, ups: ups.to_vec(), leases: vec![], truth: ups.iter().map(|&id| (id, 0)).collect(), story: vec![] }
    }

    fn loads(&self) -> String {
        self.truth.iter().map(|(id, n)| format!("{id}={n}")).collect::<Vec<_>>().join(" ")
    }

    fn reported(&self) -> String {
        self.ups.iter().map(|&id| format!("{id}={}", self.p.in_flight(id))).collect::<Vec<_>>().join(" ")
    }

    fn situation(&self, name: &str) -> String {
        let start = self.story.len().saturating_sub(10);
        let mut s = format!("A {name} picker over {}, all up.", show_ids(&self.ups));
        if start > 0 {
            s.push_str("\n  …");
        }
        for line in &self.story[start..] {
            let _ = write!(s, "\n  {line}");
        }
        s
    }

    /// Picks and holds the lease; checks the choice was least loaded.
    fn pick(&mut self, name: &str) -> Result<BackendId, Failure> {
        let before = self.loads();
        let lease = match self.p.pick() {
            Ok(l) => l,
            Err(e) => return Err(fail(self.situation(name), "a backend", format!("Err({e:?})"))),
        };
        let id = lease.id();
        let Some(&load) = self.truth.get(&id) else {
            return Err(fail(self.situation(name), "a backend of the list", format!("{id}")));
        };
        let least = self.truth.values().copied().min().unwrap_or(0);
        self.story.push(format!("in flight {before}: pick → {id}"));
        if load != least {
            return Err(fail(
                self.situation(name),
                format!("a backend with {least} in flight (the fewest)"),
                format!("{id}, with {load} in flight"),
            )
            .hint("Count +1 in pick and −1 in release, and pick the up backend with the smallest count. If your counts look right, check that set_backends and health changes did not reset them."));
        }
        *self.truth.entry(id).or_default() += 1;
        self.leases.push(lease);
        Ok(id)
    }

    /// Picks and holds the lease; checks the choice was not the unique
    /// busiest backend, which two different candidates can never yield.
    fn pick_p2c(&mut self, name: &str) -> Result<BackendId, Failure> {
        let before = self.loads();
        let lease = match self.p.pick() {
            Ok(l) => l,
            Err(e) => return Err(fail(self.situation(name), "a backend", format!("Err({e:?})"))),
        };
        let id = lease.id();
        let Some(&load) = self.truth.get(&id) else {
            return Err(fail(self.situation(name), "a backend of the list", format!("{id}")));
        };
        self.story.push(format!("in flight {before}: pick → {id}"));
        let others_max = self.truth.iter().filter(|(other, _)| **other != id).map(|(_, &n)| n).max().unwrap_or(0);
        if self.truth.len() > 1 && load > others_max {
            return Err(fail(
                self.situation(name),
                format!("never {id}: it is busier ({load} in flight) than every other backend, so whichever other candidate was drawn beats it"),
                format!("{id}, with {load} in flight"),
            )
            .hint(format!("Compare the two candidates' in-flight counts and keep the smaller. {TWO_HINT}")));
        }
        *self.truth.entry(id).or_default() += 1;
        self.leases.push(lease);
        Ok(id)
    }

    fn end(&mut self, i: usize, how: &str) -> Lease<'a> {
        let lease = self.leases.swap_remove(i);
        if let Some(n) = self.truth.get_mut(&lease.id()) {
            *n = n.saturating_sub(1);
        }
        self.story.push(format!("request on {} {how}", lease.id()));
        lease
    }

    fn finish(&mut self, i: usize) {
        self.end(i, "finished").finish();
    }

    fn abandon(&mut self, i: usize) {
        drop(self.end(i, "dropped its lease without finish() (an early error return, a cancelled future)"));
    }

    fn panic_with(&mut self, i: usize) -> Result<(), Failure> {
        let lease = self.end(i, "panicked while holding its lease");
        let unwound = catch_expected_panic(move || {
            let _held = lease;
            panic!("the request handler panicked (on purpose: the grader checks that its lease is released)");
        });
        ensure(unwound.is_err(), || fail("A request panicked on purpose.", "the panic to unwind", "it returned"))
    }

    /// `in_flight` agrees with the leases the suite holds.
    /// Random traffic: `steps` operations, each a pick (always, while fewer
    /// than `min_held` leases are out) or the end of a held request (finished,
    /// abandoned, or panicking), with every in-flight count checked after each.
    fn churn(
        &mut self,
        rng: &mut impl Rng,
        steps: usize,
        min_held: usize,
        mut pick: impl FnMut(&mut Self) -> Result<BackendId, Failure>,
        name: &str,
    ) -> Result<(), Failure> {
        for _ in 0..steps {
            let op = rng.random_range(0..10);
            if self.leases.len() < min_held || op < 5 {
                pick(self)?;
            } else {
                let i = rng.random_range(0..self.leases.len());
                match op {
                    5..=7 => self.finish(i),
                    8 => self.abandon(i),
                    _ => self.panic_with(i)?,
                }
            }
            self.check_counts(name, LEAK_HINT)?;
        }
        Ok(())
    }

    fn check_counts(&self, name: &str, hint: &str) -> Result<(), Failure> {
        let agree = self.truth.iter().all(|(&id, &n)| self.p.in_flight(id) == n);
        ensure(agree, || {
            fail(
                self.situation(name),
                format!("in_flight: {}", self.loads()),
                format!("in_flight: {}", self.reported()),
            )
            .hint(hint.to_string())
        })
    }
}

const LEAK_HINT: &str = "Subtract in `release`, for every outcome. The lease calls release(id, Outcome::Abandoned) from its Drop when a request ends without finish(): an error returned early, a panic (unwinding runs Drop), a cancelled future. Subtracting only for Outcome::Completed leaks one count per failed request, until the backend is never picked again.";

const SATURATE_HINT: &str = "A lease can outlive its backend's place in the list: taken on b, then b removed and added back (a new, idle b), then released. That late release must not push the new count below zero: decrement only a count above zero, in one atomic step (a compare-and-swap loop), or keep a generation per backend and ignore releases from an older one. A plain fetch_sub wraps an AtomicUsize round to 2^64 − 1.";

/// The edges of a counting picker (`name`): one backend (ids at the end of
/// their range), and a lease released after its backend left the list and
/// came back. `p2c` says which choice rule to hold the picks to.
fn counting_edges(make: MakePicker, name: &str, seed: u64, p2c: bool) -> Result<(), Failure> {
    // One backend: every pick is it, and its count is exact.
    let one = list(&[u32::MAX]);
    let p = make(&one, seed);
    let picks = no_panic(&format!("A {name} picker over one backend, b{}; 20 picks.", u32::MAX), || {
        take_run(p.as_ref(), 20, &|| format!("A {name} picker over one backend."))
    })??;
    ensure(picks.iter().all(|&id| id == BackendId(u32::MAX)), || {
        fail(
            format!("A {name} picker over one backend, b{}; 20 picks.", u32::MAX),
            format!("b{} every time", u32::MAX),
            show_run(&picks, 20),
        )
    })?;
    let mut h = Held::new(p.as_ref(), &ids_of(&one));
    for _ in 0..3 {
        let situation = h.situation(name);
        no_panic(&situation, || if p2c { h.pick_p2c(name) } else { h.pick(name) })??;
    }
    h.check_counts(
        name,
        "in_flight(id) counts the leases picked on id and not yet released, with one backend as with many.",
    )?;
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, LEAK_HINT)?;
    drop(h);

    // A lease outlives its backend: taken, the backend leaves and comes back
    // (new, so idle), then the old lease ends.
    let three = list(&[0, 1, 2]);
    let p = make(&three, seed);
    let lease =
        p.pick().map_err(|e| fail(format!("A {name} picker over [b0 b1 b2]."), "a backend", format!("Err({e:?})")))?;
    let x = lease.id();
    let without: Vec<u32> = [0, 1, 2].into_iter().filter(|&i| i != x.0).collect();
    p.set_backends(&list(&without));
    p.set_backends(&three);
    let story = format!(
        "A {name} picker over [b0 b1 b2]; a request took a lease on {x}; then set_backends({}) ({x} left), set_backends([b0 b1 b2]) ({x} came back, a new backend: idle); then the old lease ended",
        show_ids(&ids_of(&list(&without)))
    );
    no_panic(&story, move || drop(lease))?;
    let count = p.in_flight(x);
    ensure(count == 0, || {
        fail(
            format!("{story}."),
            format!("in_flight({x}) = 0: the returning {x} started idle, and a count never goes below zero"),
            format!("in_flight({x}) = {count}"),
        )
        .hint(SATURATE_HINT)
    })?;
    let mut h = Held::new(p.as_ref(), &ids_of(&three));
    h.story.push(story);
    for _ in 0..6 {
        if p2c {
            h.pick_p2c(name)?
        } else {
            h.pick(name)?
        };
        h.check_counts(name, SATURATE_HINT)?;
    }
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, SATURATE_HINT)
}

fn least_connections(s: Subject, ctx: &Ctx) -> StageResult {
    let name = "least-connections";
    let ids = [0, 1, 2, 3];
    let backends = list(&ids);
    let ups = ids_of(&backends);

    // Basic: holds spread out; a finished request frees its backend.
    let p = (s.least_connections)(&backends, 0);
    let mut h = Held::new(p.as_ref(), &ups);
    for _ in 0..6 {
        h.pick(name)?;
    }
    h.check_counts(name, "in_flight(id) must count the leases picked on id and not yet released.")?;
    h.finish(0);
    h.check_counts(name, "finish() calls release(id, Outcome::Completed): subtract one there.")?;
    h.pick(name)?;
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, "Every finish() must subtract one.")?;
    drop(h);

    // A request that panics must not leak its count (the lesson's example).
    let pair = list(&[0, 1]);
    let p = (s.least_connections)(&pair, 0);
    let first = p.pick();
    let first_id = first
        .as_ref()
        .map(Lease::id)
        .map_err(|e| fail("A least-connections picker over [b0 b1], both idle.", "a backend", format!("Err({e:?})")))?;
    let unwound = catch_expected_panic(move || {
        let _lease = first;
        panic!("the request handler panicked (on purpose: the grader checks that its lease is released)");
    });
    ensure(unwound.is_err(), || fail("A request panicked on purpose.", "the panic to unwind", "it returned"))?;
    let after: Vec<usize> = [0, 1].map(|i| p.in_flight(BackendId(i))).to_vec();
    let picks =
        take_run(p.as_ref(), 4, &|| "A least-connections picker over [b0 b1]; a request on one panicked.".into())?;
    let each_twice = [0, 1].iter().all(|&i| picks.iter().filter(|id| id.0 == i).count() == 2);
    ensure(after == [0, 0] && each_twice, || {
        fail(
            format!("Backends b0 and b1, both idle. A request took a lease on {first_id} and panicked.\n  Then 4 requests ran one after another, each finishing before the next."),
            "in flight b0=0 b1=0 after the panic; the 4 picks shared 2 and 2 (ties rotate)",
            format!("in flight b0={} b1={} after the panic; picks {}", after[0], after[1], show_run(&picks, 4)),
        )
        .hint(if after == [0, 0] {
            "The counts are right but ties do not rotate: start each scan one place after the previous pick, and take the first backend with the fewest in flight."
        } else {
            LEAK_HINT
        })
    })?;

    // Dropped without finish (a cancelled future), and two leases in one panic.
    let p = (s.least_connections)(&backends, 0);
    let mut h = Held::new(p.as_ref(), &ups);
    h.pick(name)?;
    h.pick(name)?;
    h.abandon(1);
    h.check_counts(name, LEAK_HINT)?;
    let (a, b) = (h.p.pick(), h.p.pick());
    h.story.push("one request took two leases (a fan-out) and panicked".into());
    let unwound = catch_expected_panic(move || {
        let _both = (a, b);
        panic!("the request handler panicked (on purpose: the grader checks that its leases are released)");
    });
    ensure(unwound.is_err(), || fail("A request panicked on purpose.", "the panic to unwind", "it returned"))?;
    h.check_counts(name, LEAK_HINT)?;
    h.abandon(0);
    h.check_counts(name, LEAK_HINT)?;
    drop(h);

    // Random traffic: every pick is least loaded, every count exact.
    let mut rng = ctx.rng(3);
    let six = list(&[0, 1, 2, 3, 4, 5]);
    let p = (s.least_connections)(&six, 0);
    let mut h = Held::new(p.as_ref(), &ids_of(&six));
    h.churn(&mut rng, 3_000, 1, |h| h.pick(name), name)?;
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, LEAK_HINT)?;
    drop(h);

    // Ties rotate: sequential traffic visits every backend in turn.
    let p = (s.least_connections)(&six, 0);
    let picks = take_run(p.as_ref(), 18, &|| "A least-connections picker over 6 idle backends.".into())?;
    if let Some((_, what)) = cycle_break(&picks, &ids_of(&six)) {
        return Err(fail(
            format!("A least-connections picker over 6 backends [b0..b5]; 18 requests one after another, each finished before the next (so all are tied at 0).\n  picks: {}", show_run(&picks, 18)),
            "ties rotate: each backend once in every 6 picks",
            what,
        )
        .hint("Among equally loaded backends, start the scan one place after the previous pick (a cursor) and take the first least-loaded one. Always taking the lowest index piles all sequential traffic on b0."));
    }

    // The list changes under held leases.
    let p = (s.least_connections)(&list(&[0, 1, 2]), 0);
    let lease = p.pick();
    let held = lease
        .as_ref()
        .map(Lease::id)
        .map_err(|e| fail("A least-connections picker over [b0 b1 b2].", "a backend", format!("Err({e:?})")))?;
    let others: Vec<u32> = [0, 1, 2, 3].into_iter().filter(|&i| i != held.0).collect();
    p.set_backends(&list(&[0, 1, 2, 3]));
    let kept = p.in_flight(held);
    ensure(kept == 1, || {
        fail(
            format!("A least-connections picker over [b0 b1 b2]; a request holds a lease on {held}; then set_backends([b0 b1 b2 b3])."),
            format!("in_flight({held}) = 1: a backend that stays keeps its count"),
            format!("in_flight({held}) = {kept}"),
        )
        .hint("set_backends must carry the in-flight counts of the ids that stay; resetting them makes the picker send more to backends that are already busy.")
    })?;
    let picks = take_run(p.as_ref(), 6, &|| "After set_backends([b0 b1 b2 b3]).".into())?;
    ensure(!picks.contains(&held), || {
        fail(
            format!(
                "A request holds a lease on {held}; the list became [b0 b1 b2 b3]; 6 requests ran one after another."
            ),
            format!(
                "picks among {} (idle), never the busy {held}",
                show_ids(&others.iter().map(|&i| BackendId(i)).collect::<Vec<_>>())
            ),
            format!("picks {}", show_run(&picks, 6)),
        )
    })?;
    let without: Vec<u32> = [0, 1, 2, 3].into_iter().filter(|&i| i != held.0).collect();
    p.set_backends(&list(&without));
    no_panic(&format!("A lease on {held} was released after {held} had left the list."), move || drop(lease))?;
    p.set_backends(&list(&[0, 1, 2, 3]));
    let back = p.in_flight(held);
    ensure(back == 0, || {
        fail(
            format!("A lease on {held} was released after {held} left the list; then {held} came back."),
            format!("in_flight({held}) = 0"),
            format!("in_flight({held}) = {back}"),
        )
        .hint("A backend that comes back starts idle, and a late release must never push a count below zero (use a saturating decrement: fetch_update with checked_sub).")
    })?;

    counting_edges(s.least_connections, name, 0, false)?;

    // Threads: counts stay exact under concurrent picks and releases.
    let p = (s.least_connections)(&six, 0);
    let threads = 8;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let p = p.as_ref();
                scope.spawn(move || {
                    let mut held: Vec<Lease<'_>> = Vec::new();
                    for i in 0..30_000u32 {
                        if let Ok(lease) = p.pick() {
                            held.push(lease);
                        }
                        if held.len() > 3 {
                            let lease = held.swap_remove((i as usize + t) % held.len());
                            if i % 2 == 0 { lease.finish() } else { drop(lease) }
                        }
                        if i % 3_000 == 0 {
                            let lease = held.pop();
                            let _ = catch_expected_panic(move || {
                                let _lease = lease;
                                panic!("a request panicked on purpose");
                            });
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload));
        }
    });
    let left: Vec<(BackendId, usize)> =
        ids_of(&six).into_iter().map(|id| (id, p.in_flight(id))).filter(|&(_, n)| n != 0).collect();
    ensure(left.is_empty(), || {
        fail(
            "8 threads picked and released 240,000 requests at once on a least-connections picker over 6 backends (finished, dropped, or panicked); every lease was released.",
            "in_flight = 0 on every backend",
            left.iter().map(|(id, n)| format!("in_flight({id}) = {n}")).collect::<Vec<_>>().join(", "),
        )
        .hint("Update counts with atomic read-modify-write operations (fetch_add, fetch_sub / fetch_update), never load-then-store: two threads that both read 3 both write back 4, and a count is lost.")
    })?;
    Ok(vec![])
}

// ─── Stage 4: power of two choices ───

/// A discrete-time workload: per tick, the durations (in ticks) of the
/// requests that arrive. Most requests are short, one in ten is very long.
fn workload(rng: &mut impl Rng, ticks: usize) -> Vec<Vec<usize>> {
    (0..ticks)
        .map(|_| {
            let arrivals = rng.random_range(7..=13);
            (0..arrivals)
                .map(|_| if rng.random_range(0..10) == 0 { rng.random_range(40..=80) } else { rng.random_range(1..=4) })
                .collect()
        })
        .collect()
}

/// The load a strategy reached on a workload.
#[derive(Debug, Clone, Copy)]
struct Peak {
    /// Mean, over the ticks after warm-up, of the busiest backend's count.
    mean_max: f64,
    /// The highest count any backend ever reached.
    peak: usize,
}

const WARMUP: usize = 100;

/// Runs a workload through a model strategy: `choose(loads)` picks an index.
fn simulate_model(work: &[Vec<usize>], n: usize, mut choose: impl FnMut(&[usize]) -> usize) -> Peak {
    let horizon = 128;
    let mut ends: Vec<Vec<usize>> = vec![vec![]; horizon];
    let mut loads = vec![0usize; n];
    let (mut sum, mut counted, mut peak) = (0usize, 0usize, 0usize);
    for (t, arrivals) in work.iter().enumerate() {
        for i in std::mem::take(&mut ends[t % horizon]) {
            loads[i] -= 1;
        }
        for &d in arrivals {
            let i = choose(&loads);
            loads[i] += 1;
            ends[(t + d) % horizon].push(i);
        }
        let max = loads.iter().copied().max().unwrap_or(0);
        peak = peak.max(max);
        if t >= WARMUP {
            sum += max;
            counted += 1;
        }
    }
    Peak { mean_max: sum as f64 / counted.max(1) as f64, peak }
}

/// Runs a workload through the subject's picker over backends `0..n`.
fn simulate_picker(work: &[Vec<usize>], n: usize, p: &dyn Picker) -> Result<Peak, Failure> {
    let horizon = 128;
    let mut ends: Vec<Vec<Lease<'_>>> = (0..horizon).map(|_| Vec::new()).collect();
    let mut loads = vec![0usize; n];
    let (mut sum, mut counted, mut peak) = (0usize, 0usize, 0usize);
    for (t, arrivals) in work.iter().enumerate() {
        for lease in std::mem::take(&mut ends[t % horizon]) {
            loads[lease.id().0 as usize] -= 1;
            lease.finish();
        }
        for &d in arrivals {
            let lease = p.pick().map_err(|e| {
                fail(
                    "A power-of-two picker over 10 backends, all up, in a simulation.",
                    "a backend",
                    format!("Err({e:?})"),
                )
            })?;
            let i = lease.id().0 as usize;
            if i >= n {
                return Err(fail(
                    "A power-of-two picker over [b0..b9].",
                    "a backend of the list",
                    lease.id().to_string(),
                ));
            }
            loads[i] += 1;
            ends[(t + d) % horizon].push(lease);
        }
        let max = loads.iter().copied().max().unwrap_or(0);
        peak = peak.max(max);
        if t >= WARMUP {
            sum += max;
            counted += 1;
        }
    }
    Ok(Peak { mean_max: sum as f64 / counted.max(1) as f64, peak })
}

/// Exact least-connections, ties rotating: the best a balancer can do with
/// fresh counts.
fn least_loaded_model(n: usize) -> impl FnMut(&[usize]) -> usize {
    let mut cursor = 0;
    move |loads: &[usize]| {
        let mut best = cursor % n;
        for j in 0..n {
            let i = (cursor + j) % n;
            if loads[i] < loads[best] {
                best = i;
            }
        }
        cursor = best + 1;
        best
    }
}

const TWO_HINT: &str = "Draw the second candidate among the *other* up backends (draw j in 0..n−1 and skip over the first: if j >= i { j += 1 }). Two independent draws are the same backend 1 time in n, and then the busy one can be chosen.";

fn power_of_two(s: Subject, ctx: &Ctx) -> StageResult {
    let name = "power-of-two";
    let seed = ctx.rng(40).random::<u64>();
    let two_hint = TWO_HINT;

    // One backend: with a single up backend there is no second candidate.
    counting_edges(s.power_of_two, name, seed, true).map_err(|f| {
        if f.got.starts_with("panicked") {
            f.hint("With one up backend there is no second candidate to draw: pick it. Drawing the second among the n − 1 others divides by zero when n = 1 (`x % 0` panics).")
        } else {
            f
        }
    })?;

    // Two backends: the candidates are both of them, so the idle one wins.
    let pair = list(&[0, 1]);
    let p = (s.power_of_two)(&pair, seed);
    for round in 0..2 {
        let busy =
            p.pick().map_err(|e| fail("A power-of-two picker over [b0 b1].", "a backend", format!("Err({e:?})")))?;
        let busy_id = busy.id();
        let picks = take_run(p.as_ref(), 500, &|| "A power-of-two picker over [b0 b1].".into())?;
        let wrong = picks.iter().filter(|&&id| id == busy_id).count();
        ensure(wrong == 0, || {
            fail(
                format!("A power-of-two picker over [b0 b1]; a request holds {busy_id} (round {}); 500 more requests ran one after another.", round + 1),
                format!("every pick the idle backend, never {busy_id}: with two backends the two different candidates are both of them"),
                format!("{wrong} picks of the busy {busy_id}"),
            )
            .hint(two_hint)
        })?;
        drop(busy);
    }

    // Random traffic: never the busiest backend when it is alone at the top
    // (any other candidate beats it), and counts stay exact.
    let five = list(&[0, 1, 2, 3, 4]);
    let p = (s.power_of_two)(&five, seed ^ 1);
    let mut h = Held::new(p.as_ref(), &ids_of(&five));
    let mut rng = ctx.rng(44);
    h.churn(&mut rng, 4_000, 3, |h| h.pick_p2c(name), name)?;
    drop(h);

    // Sequential idle traffic: ties go to the first candidate drawn, so the
    // picks are uniform random.
    let eight = list(&[0, 1, 2, 3, 4, 5, 6, 7]);
    let p = (s.power_of_two)(&eight, seed ^ 2);
    let picks = take_run(p.as_ref(), 8_000, &|| "A power-of-two picker over 8 idle backends.".into())?;
    let mut tally: BTreeMap<BackendId, u64> = eight.iter().map(|b| (b.id, 0)).collect();
    for id in &picks {
        *tally.entry(*id).or_default() += 1;
    }
    ensure(tally.values().all(|&c| (750..=1_250).contains(&c)), || {
        fail(
            "A power-of-two picker over 8 backends; 8,000 requests one after another, each finished before the next (all tied at 0 in flight).",
            "about 1,000 picks per backend (each within 750..1,250): candidates drawn uniformly, ties to the first drawn",
            format!("picks per backend:{}", histogram(&count_rows(&tally))),
        )
        .hint("Draw both candidates uniformly among the up backends (a good 64-bit generator, reduced with `% n` or `(x * n) >> 32` on 32 bits), and on equal counts keep the first candidate rather than the lower index.")
    })?;

    // Same seed, same picks; another seed, other picks.
    let script = |p: &dyn Picker| -> Vec<BackendId> {
        let mut rng = ctx.rng(41);
        let mut held = std::collections::VecDeque::new();
        let mut picks = vec![];
        for _ in 0..300 {
            if let Ok(lease) = p.pick() {
                picks.push(lease.id());
                held.push_back(lease);
            }
            if rng.random_range(0..2) == 0 {
                held.pop_front();
            }
        }
        picks
    };
    let (one, two, other) = (
        (s.power_of_two)(&eight, seed),
        (s.power_of_two)(&eight, seed),
        (s.power_of_two)(&eight, seed.wrapping_add(1)),
    );
    let (a, b, c) = (script(one.as_ref()), script(two.as_ref()), script(other.as_ref()));
    if let Some(k) = a.iter().zip(&b).position(|(x, y)| x != y).or((a.len() != b.len()).then_some(a.len().min(b.len())))
    {
        return Err(fail(
            format!("Two power-of-two pickers over 8 backends, both built with seed {seed}, driven by the same 300 picks and releases from one thread."),
            "the same picks: every random choice derives from the seed",
            format!("they differ at pick {}: {} vs {}", k + 1, show_run(&a[k..], 6), show_run(&b[k..], 6)),
        )
        .hint("Seed your own generator from `seed` (SplitMix64 is ten lines). A thread-local or OS-seeded generator makes every failure unreproducible."));
    }
    ensure(a != c, || {
        fail(
            format!("Power-of-two pickers over 8 backends built with seeds {seed} and {}, driven the same way for 300 picks.", seed.wrapping_add(1)),
            "different picks for different seeds",
            "the same 300 picks",
        )
        .hint("The picker ignores its seed: initialise your generator's state from it.")
    })?;

    // The simulation: skewed durations, peak load against random and
    // least-connections on the same workload.
    let n = 10;
    let work = workload(&mut ctx.rng(42), 1_000);
    let requests: usize = work.iter().map(Vec::len).sum();
    let mut r = ctx.rng(43);
    let random = simulate_model(&work, n, |_| r.random_range(0..n));
    let least = simulate_model(&work, n, least_loaded_model(n));
    let p = (s.power_of_two)(&list(&(0..n as u32).collect::<Vec<_>>()), seed ^ 3);
    let p2c = simulate_picker(&work, n, p.as_ref())?;
    // P2C must close at least half the gap from random to least-connections,
    // and stay within 25% of least-connections.
    let halfway = least.mean_max + 0.5 * (random.mean_max - least.mean_max);
    let bound = halfway.min(1.25 * least.mean_max);
    ensure(p2c.mean_max <= bound, || {
        let rows = [
            ("uniform random".to_string(), (random.mean_max * 10.0).round() as u64),
            ("power of two (you)".to_string(), (p2c.mean_max * 10.0).round() as u64),
            ("least-connections".to_string(), (least.mean_max * 10.0).round() as u64),
        ];
        fail(
            format!(
                "A simulation: {} requests over 1,000 ticks to 10 backends; 9 in 10 take 1-4 ticks, 1 in 10 takes 40-80 ticks (about 8 in flight per backend on average). Same workload for three strategies; measured: the busiest backend's in-flight count, averaged over ticks (peaks: random {}, P2C {}, least-connections {}).",
                num(requests as u64),
                random.peak,
                p2c.peak,
                least.peak
            ),
            format!(
                "P2C's busiest backend at most {bound:.2} on average: halfway from random ({:.2}) to least-connections ({:.2}), and within 25% of least-connections",
                random.mean_max, least.mean_max
            ),
            format!("{:.2}; busiest backend on average (×10):{}", p2c.mean_max, histogram(&rows)),
        )
        .hint("Compare the in-flight counts of the two candidates and keep the smaller; decrement on every release. If the counts are right, check that the candidates are drawn uniformly over all up backends.")
    })?;
    Ok(vec![])
}

// ─── Stage 5: consistent-hash ring ───

/// Ids of the ten nodes of the ring checks (arbitrary, not 0..10, so that a
/// ring that confuses ids with indexes shows it).
const NODES: [u32; 10] = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38];

fn ring_with(s: Subject, vnodes: u32, nodes: &[u32]) -> Box<dyn Ring> {
    let mut ring = (s.ring)(vnodes);
    for &n in nodes {
        ring.add(BackendId(n));
    }
    ring
}

fn keys(ctx: &Ctx, stream: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = ctx.rng(stream);
    (0..count)
        .map(|i| match i % 3 {
            0 => format!("user:{}", rng.random_range(0..100_000_000u64)).into_bytes(),
            1 => format!("/img/{:016x}.png", rng.random::<u64>()).into_bytes(),
            _ => rng.random::<u64>().to_le_bytes().to_vec(),
        })
        .collect()
}

fn owners(ring: &dyn Ring, keys: &[Vec<u8>]) -> Vec<Option<BackendId>> {
    keys.iter().map(|k| ring.node_for(k)).collect()
}

fn per_node(owners: &[Option<BackendId>]) -> BTreeMap<BackendId, u64> {
    let mut m = BTreeMap::new();
    for id in owners.iter().flatten() {
        *m.entry(*id).or_default() += 1;
    }
    m
}

/// Coefficient of variation of the counts of `nodes` (absent nodes count 0).
fn cv(counts: &BTreeMap<BackendId, u64>, nodes: &[u32]) -> f64 {
    let xs: Vec<f64> = nodes.iter().map(|&n| counts.get(&BackendId(n)).copied().unwrap_or(0) as f64).collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
    if mean == 0.0 { f64::INFINITY } else { var.sqrt() / mean }
}

fn show_key(k: &[u8]) -> String {
    match std::str::from_utf8(k) {
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("{k:02x?}"),
    }
}

/// Most points per node the contract allows (`Ring::new`).
const MAX_VNODES: u32 = 10_000;

/// The keys of the placement probe: the empty key, a long one, and keys of
/// the stage's usual shapes.
fn probe_keys(ctx: &Ctx) -> Vec<Vec<u8>> {
    let mut all = vec![Vec::new(), vec![0xAB; 1_000]];
    all.extend(keys(ctx, 52, 2_000));
    all
}

/// `b3 b14 - …`: the owner of each key, `-` for none.
fn show_owners(owners: &[Option<BackendId>]) -> String {
    owners.iter().map(|o| o.map_or("-".to_string(), |id| id.to_string())).collect::<Vec<_>>().join(" ")
}

/// The probe run in a second process: where a ring of [`NODES`] (100 points
/// each, added in order) places the probe keys.
fn ring_placement(s: Subject, ctx: &Ctx) -> String {
    let ring = ring_with(s, 100, &NODES);
    show_owners(&owners(ring.as_ref(), &probe_keys(ctx)))
}

/// Two rings in one process and a ring in another process agree on every key.
fn ring_agrees_across_processes(s: Subject, ctx: &Ctx) -> Result<(), Failure> {
    let keys = probe_keys(ctx);
    let here = ring_placement(s, ctx);
    let again = ring_placement(s, ctx);
    let there = probe_in_fresh_process(RING_PROBE, ctx)?;
    let hint = "Two processes (two balancers of a fleet, or the same one after a restart) must place every key on the same node. Hash with a fixed function of the bytes (FNV-1a, a SplitMix64 fold over 8-byte words, xxHash or SipHash with constant keys). RandomState, or any seed drawn once per process (a `static` filled from RandomState, getrandom or the clock), gives each process its own ring. std's `DefaultHasher` has fixed keys today, but its algorithm is unspecified and may change between Rust releases: do not rely on it where the contract asks for the same answer everywhere.";
    for (other, where_) in [
        (&again, "a second ring built the same way in the same process"),
        (&there, "a ring built the same way in a second process (the grader ran this program again)"),
    ] {
        if *other == here {
            continue;
        }
        let (a, b): (Vec<&str>, Vec<&str>) = (here.split(' ').collect(), other.split(' ').collect());
        let k = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        return Err(fail(
            format!("A ring of 10 nodes {NODES:?} with 100 points each, added in that order; {} keys looked up; then {where_}.", num(keys.len() as u64)),
            format!("every key on the same node in both, e.g. key {} on {}", show_key(keys.get(k).map_or(&[][..], Vec::as_slice)), a.get(k).unwrap_or(&"?")),
            format!("{} keys placed differently; key {} on {}", num(differ.max(1) as u64), show_key(keys.get(k).map_or(&[][..], Vec::as_slice)), b.get(k).unwrap_or(&"?")),
        )
        .hint(hint));
    }
    Ok(())
}

/// The ring at the edges of its contract: one point per node, the most
/// points, ids at the ends of their range.
fn ring_edges(s: Subject, some: &[Vec<u8>]) -> Result<(), Failure> {
    // One point per node: still a ring (a join moves keys only to the newcomer).
    let mut ring = ring_with(s, 1, &NODES);
    let before = owners(ring.as_ref(), some);
    let newcomer = BackendId(1_000);
    ring.add(newcomer);
    let after = owners(ring.as_ref(), some);
    if let Some(i) =
        (0..some.len()).find(|&i| before[i].is_none() || (before[i] != after[i] && after[i] != Some(newcomer)))
    {
        return Err(fail(
            format!("A ring of 10 nodes with 1 point each (the fewest allowed); {} keys; then node {newcomer} joined.", num(some.len() as u64)),
            format!("every key on a node, and every key that moves, moved to {newcomer}"),
            format!("key {} on {:?}, then {:?}", show_key(&some[i]), before[i], after[i]),
        )
        .hint("With one point per node the ring works the same way: a key belongs to the first point at or after its hash, wrapping past the end."));
    }

    // The most points per node the contract allows.
    let nodes = &NODES[..4];
    let ring = ring_with(s, MAX_VNODES, nodes);
    let placed = owners(ring.as_ref(), some);
    let counts = per_node(&placed);
    let spread = cv(&counts, nodes);
    let strangers = placed.iter().filter(|o| !o.is_some_and(|id| nodes.contains(&id.0))).count();
    ensure(strangers == 0 && spread <= 0.05, || {
        let rows: Vec<(String, u64)> =
            nodes.iter().map(|&n| (format!("b{n}"), counts.get(&BackendId(n)).copied().unwrap_or(0))).collect();
        fail(
            format!("A ring of 4 nodes {nodes:?} with {} points each (the most allowed); {} keys.", num(u64::from(MAX_VNODES)), num(some.len() as u64)),
            "every key on one of the 4 nodes, and a coefficient of variation of keys per node of at most 0.05",
            format!("{} keys elsewhere; coefficient of variation {spread:.3}; keys per node:{}", num(strangers as u64), histogram(&rows)),
        )
        .hint(format!("Give every node all of its `vnodes` points, up to {MAX_VNODES}, each at its own position: a point number must never be truncated or wrap around."))
    })?;

    // Ids at both ends of their range.
    let ends = [0, u32::MAX];
    let ring = ring_with(s, 100, &ends);
    let counts = per_node(&owners(ring.as_ref(), &some[..10_000]));
    let share = |n: u32| counts.get(&BackendId(n)).copied().unwrap_or(0);
    ensure((3_500..=6_500).contains(&share(0)) && (3_500..=6_500).contains(&share(u32::MAX)), || {
        fail(
            format!("A ring of two nodes, b0 and b{}, with 100 points each; 10,000 keys.", u32::MAX),
            "about half the keys on each (3,500 to 6,500)",
            format!("b0 {}, b{} {}, elsewhere {}", share(0), u32::MAX, share(u32::MAX), 10_000 - share(0) - share(u32::MAX)),
        )
        .hint("Any u32 is a node id, u32::MAX included: hash the id's full value (no `+ 1` that wraps, no narrowing cast).")
    })
}

fn hash_ring(s: Subject, ctx: &Ctx) -> StageResult {
    let some = keys(ctx, 50, 100_000);
    let few = &some[..10_000];

    // Empty, then one node.
    let mut ring = (s.ring)(100);
    ensure(ring.node_for(b"user:42").is_none(), || {
        fail(
            "An empty ring (no node added).",
            "node_for(\"user:42\") = None",
            format!("{:?}", ring.node_for(b"user:42")),
        )
    })?;
    ring.add(BackendId(7));
    let all7 = few.iter().all(|k| ring.node_for(k) == Some(BackendId(7)));
    ensure(all7, || {
        fail("A ring with one node, b7.", "every key on b7", "some key elsewhere (or None)").hint(
            "With one node, every key's successor point belongs to it: wrap around past the last point to the first.",
        )
    })?;

    // Same key, same node: twice, on a twin ring of this process, on a ring
    // of another process, and on a ring built in another order.
    ring_agrees_across_processes(s, ctx)?;
    let ring = ring_with(s, 100, &NODES);
    let first = owners(ring.as_ref(), few);
    let again = owners(ring.as_ref(), few);
    let mut reversed = NODES;
    reversed.reverse();
    let other = ring_with(s, 100, &reversed);
    let twin = owners(other.as_ref(), few);
    if let Some(i) = (0..few.len()).find(|&i| first[i] != again[i] || first[i] != twin[i]) {
        let same_ring = first[i] != again[i];
        return Err(fail(
            format!(
                "Rings of 10 nodes {NODES:?} with 100 points each{}.",
                if same_ring { "; the same key looked up twice" } else { ", one built adding the nodes in that order, the other in reverse order" }
            ),
            format!("key {} on the same node every time", show_key(&few[i])),
            if same_ring { format!("{:?}, then {:?}", first[i], again[i]) } else { format!("{:?} on the first ring, {:?} on the second", first[i], twin[i]) },
        )
        .hint("Place points and keys with a deterministic hash of (node id, point number) and of the key bytes: never RandomState (seeded per map) or anything that depends on insertion order. Keep the points sorted by (position, node id)."));
    }
    ensure(first.iter().all(Option::is_some), || {
        fail("A ring of 10 nodes.", "every key on a node", "None for some key")
    })?;
    let strangers: Vec<BackendId> = first.iter().flatten().filter(|id| !NODES.contains(&id.0)).copied().collect();
    ensure(strangers.is_empty(), || {
        fail(
            format!("A ring of 10 nodes {NODES:?}."),
            "only those node ids",
            format!("{} (not a node of the ring)", strangers[0]),
        )
        .hint("node_for returns the id of the node that owns the point, not the point's index.")
    })?;

    // Balance improves with virtual nodes: cv ≤ 2/√k.
    for k in [100u32, 200] {
        let ring = ring_with(s, k, &NODES);
        let counts = per_node(&owners(ring.as_ref(), &some));
        let spread = cv(&counts, &NODES);
        let bound = 2.0 / f64::from(k).sqrt();
        ensure(spread <= bound, || {
            let rows: Vec<(String, u64)> =
                NODES.iter().map(|&n| (format!("b{n}"), counts.get(&BackendId(n)).copied().unwrap_or(0))).collect();
            fail(
                format!("A ring of 10 nodes with {k} points each; 100,000 keys."),
                format!("coefficient of variation of keys per node ≤ 2/√{k} = {bound:.3} (a fair share is 10,000 keys)"),
                format!("{spread:.3}; keys per node:{}", histogram(&rows)),
            )
            .hint("Give each node `vnodes` points, each at its own hashed position: hash(node, 0), hash(node, 1), …. With one point per node the shares vary by ~100%; with k points by ~1/√k. If you do place k points, check your hash spreads similar inputs (a final avalanche step such as SplitMix64's mixer).")
        })?;
    }

    // A node joins: about 1/(n+1) of keys move, all to it.
    for n in [3usize, 10] {
        let nodes = &NODES[..n];
        let mut ring = ring_with(s, 100, nodes);
        let before = owners(ring.as_ref(), &some);
        let newcomer = BackendId(1_000);
        ring.add(newcomer);
        let after = owners(ring.as_ref(), &some);
        let moved: Vec<usize> = (0..some.len()).filter(|&i| before[i] != after[i]).collect();
        if let Some(&i) = moved.iter().find(|&&i| after[i] != Some(newcomer)) {
            let elsewhere = moved.iter().filter(|&&i| after[i] != Some(newcomer)).count();
            return Err(fail(
                format!("A ring of {n} nodes with 100 points each; 100,000 keys; then node {newcomer} joined."),
                format!("every key that moves, moves to {newcomer}"),
                format!("{} keys moved between old nodes, e.g. key {} from {:?} to {:?}", num(elsewhere as u64), show_key(&some[i]), before[i], after[i]),
            )
            .hint("A key belongs to the first point clockwise from its hash; a new node's points can only take keys for themselves. If keys move between old nodes, the lookup depends on the node count (hash % n is not a ring) or the old points moved."));
        }
        let fraction = moved.len() as f64 / some.len() as f64;
        let ideal = 1.0 / (n as f64 + 1.0);
        ensure((0.5 * ideal..=1.6 * ideal).contains(&fraction), || {
            fail(
                format!("A ring of {n} nodes with 100 points each; 100,000 keys; then node {newcomer} joined."),
                format!(
                    "about 1/(n+1) = {:.1}% of keys moved (between {:.1}% and {:.1}%)",
                    100.0 * ideal,
                    50.0 * ideal,
                    160.0 * ideal
                ),
                format!("{:.1}% ({} keys)", 100.0 * fraction, num(moved.len() as u64)),
            )
            .hint("The newcomer should get about one share: give it the same number of points as every other node.")
        })?;
    }

    // A node leaves: only its keys move, and they scatter.
    let mut ring = ring_with(s, 100, &NODES);
    let before = owners(ring.as_ref(), &some);
    let leaver = BackendId(NODES[4]);
    ring.remove(leaver);
    let after = owners(ring.as_ref(), &some);
    if let Some(i) = (0..some.len()).find(|&i| before[i] != Some(leaver) && before[i] != after[i]) {
        return Err(fail(
            format!("A ring of 10 nodes with 100 points each; 100,000 keys; then node {leaver} left."),
            format!("only {leaver}'s keys move"),
            format!("key {} moved from {:?} to {:?}", show_key(&some[i]), before[i], after[i]),
        )
        .hint("Removing a node removes its points and nothing else: every other key keeps the same successor point."));
    }
    ensure(after.iter().all(|o| *o != Some(leaver)), || {
        fail(
            format!("Node {leaver} left a ring of 10."),
            format!("no key on {leaver}"),
            format!("keys still on {leaver}"),
        )
        .hint("Remove every one of the node's points.")
    })?;
    let heirs: BTreeSet<BackendId> =
        (0..some.len()).filter(|&i| before[i] == Some(leaver)).filter_map(|i| after[i]).collect();
    ensure(heirs.len() >= 5, || {
        fail(
            format!("Node {leaver} left a ring of 10 nodes with 100 points each."),
            "its keys scatter over many of the 9 others (at least 5): each of its 100 points hands over to a different successor",
            format!("they all went to {}", show_ids(&heirs.iter().copied().collect::<Vec<_>>())),
        )
    })?;

    // Adding twice or removing an absent node changes nothing.
    let mut ring = ring_with(s, 50, &NODES);
    let base = owners(ring.as_ref(), few);
    ring.add(BackendId(NODES[0]));
    ring.remove(BackendId(4_242));
    let same = owners(ring.as_ref(), few);
    ensure(base == same, || {
        fail("A ring of 10 nodes; then add(an existing node) and remove(a node never added).", "no key moves", "keys moved")
            .hint("add of a present node and remove of an absent one change nothing: check membership first, or duplicate points will tilt the ring.")
    })?;
    ring_edges(s, &some)?;
    Ok(vec![])
}

// ─── Stage 6: jump consistent hash ───

/// The algorithm as published (Lamping and Veach, 2014).
fn jump_model(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// Known answers: the first nine were published with other implementations
/// of the paper; the rest were computed from the paper's code.
const JUMP_VECTORS: &[(u64, u32, u32)] = &[
    (1, 1, 0),
    (42, 57, 43),
    (256, 1024, 520),
    (0xDEAD_10CC, 1, 0),
    (0xDEAD_10CC, 666, 361),
    (16_045_690_984_833_335_023, 255, 237),
    (0, 60, 0),
    (1, 60, 55),
    (2, 60, 46),
    (u64::MAX, 2, 1),
    (u64::MAX, 10, 9),
    (u64::MAX, 100, 92),
    (u64::MAX, 1000, 313),
    (u64::MAX, 65_536, 18_311),
    (u64::MAX, 2_147_483_647, 699_554_662),
    (0x8000_0000_0000_0000, 10, 5),
    (0x8000_0000_0000_0000, 65_536, 53_854),
    (0x0123_4567_89AB_CDEF, 100, 57),
    (0x0123_4567_89AB_CDEF, 2_147_483_647, 1_651_575_352),
    (0xC0FFEE, 1000, 514),
    (12_345_678_901_234_567_890, 10, 8),
    (12_345_678_901_234_567_890, 65_536, 46_485),
];

/// Key 1 over 1 to 19 buckets.
const JUMP_KEY_ONE: [u32; 19] = [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17];

fn jump_hash(s: Subject, ctx: &Ctx) -> StageResult {
    let exact_hint = "Translate the paper's loop exactly: b and j in i64; key = key.wrapping_mul(2862933555777941757).wrapping_add(1); j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64; return b. The division must be in f64: an integer division truncates and changes the answers.";
    let jump = s.jump_hash;
    let got: Vec<u32> = (1..=19).map(|n| jump(1, n)).collect();
    ensure(got == JUMP_KEY_ONE, || {
        fail("jump_hash(1, n) for n = 1 to 19 buckets.", format!("{JUMP_KEY_ONE:?}"), format!("{got:?}"))
            .hint(exact_hint)
    })?;
    for &(key, buckets, want) in JUMP_VECTORS {
        let got = jump(key, buckets);
        ensure(got == want, || {
            fail(format!("jump_hash({key:#x}, {buckets}): a published answer of the paper's algorithm."), want, got)
                .hint(if got >= buckets {
                    format!("The answer must be below the bucket count ({buckets}). {exact_hint}")
                } else {
                    exact_hint.to_string()
                })
        })?;
    }

    // Growing n → n+1 moves exactly the keys that must move, all to bucket n.
    let mut rng = ctx.rng(60);
    for _ in 0..3_000 {
        let key = rng.random::<u64>();
        let n = rng.random_range(1..=300u32);
        let (before, after) = (jump(key, n), jump(key, n + 1));
        let (want_before, want_after) = (jump_model(key, n), jump_model(key, n + 1));
        if (before, after) != (want_before, want_after) {
            let moved_elsewhere = after != before && after != n;
            return Err(fail(
                format!("Key {key:#018x} as the buckets grow from {n} to {}.", n + 1),
                format!(
                    "bucket {want_before}, then {want_after}{}",
                    if want_after == n { " (it jumps to the new bucket)" } else { " (it stays)" }
                ),
                format!(
                    "bucket {before}, then {after}{}",
                    if moved_elsewhere { ": it moved between old buckets" } else { "" }
                ),
            )
            .hint(exact_hint));
        }
    }

    // The edges: one bucket, and bucket counts up to the largest allowed
    // (u32::MAX), past i32::MAX where a narrowing cast goes negative.
    for buckets in [1, 2, 1 << 31, (1 << 31) + 1, u32::MAX - 1, u32::MAX] {
        for _ in 0..200 {
            let key = rng.random::<u64>();
            let (got, want) = (jump(key, buckets), jump_model(key, buckets));
            ensure(got == want, || {
                fail(
                    format!("jump_hash({key:#018x}, {buckets}): {}.", if buckets == 1 { "one bucket, the fewest allowed".to_string() } else { format!("{} buckets, near the most allowed ({})", num(u64::from(buckets)), num(u64::from(u32::MAX))) }),
                    want,
                    got,
                )
                .hint(format!("Any bucket count from 1 to u32::MAX is allowed: compare and count in i64 (`i64::from(buckets)`), never through an i32, which turns 2^31 and above negative. {exact_hint}"))
            })?;
        }
    }

    // Balance: 100,000 keys over 10 buckets.
    let mut counts = [0u64; 10];
    for _ in 0..100_000 {
        counts[jump(rng.random::<u64>(), 10) as usize % 10] += 1;
    }
    ensure(counts.iter().all(|&c| (9_500..=10_500).contains(&c)), || {
        let rows: Vec<(String, u64)> = counts.iter().enumerate().map(|(i, &c)| (format!("bucket {i}"), c)).collect();
        fail(
            "100,000 random keys over 10 buckets.",
            "10,000 ± 5% keys per bucket",
            format!("keys per bucket:{}", histogram(&rows)),
        )
        .hint(exact_hint)
    })?;
    Ok(vec![])
}

// ─── Stage 7: health ───

/// How to read a picker's behaviour in the health checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    RoundRobin,
    Weighted,
    LeastConnections,
    PowerOfTwo,
}

fn health_picker(kind: Kind, name: &str, make: MakePicker, seed: u64) -> Result<(), Failure> {
    let down_hint = "Filter down backends out *before* choosing (keep a list of the up ones, rebuilt when health changes). Skipping a down backend by moving to the next one fails when two neighbours are down.";
    let all_down_hint = "When every backend is down, pick must answer Err(NoBackend::AllDown); for an empty list, Err(NoBackend::Empty).";

    // An empty list is an answer, not a panic.
    let p = make(&[], seed);
    let answer =
        no_panic(&format!("A {name} picker created over an empty list; pick()."), || p.pick().map(|l| l.id()))?;
    ensure(answer == Err(NoBackend::Empty), || {
        fail(format!("A {name} picker over an empty list; pick()."), "Err(Empty)", format!("{answer:?}"))
            .hint(all_down_hint)
    })?;

    let backends = weighted(&[(0, 3), (1, 1), (2, 2), (3, 1), (4, 1), (5, 2)]);
    let p = make(&backends, seed);
    // Two neighbours down, and an unknown id and a repeated mark.
    p.mark_down(BackendId(2));
    p.mark_down(BackendId(3));
    p.mark_down(BackendId(99));
    p.mark_down(BackendId(2));
    let up: Vec<Backend> = backends.iter().filter(|b| ![2, 3].contains(&b.id.0)).copied().collect();
    let story = "6 backends b0..b5; mark_down(b2), mark_down(b3) (two neighbours), mark_down(b99) (not in the list), mark_down(b2) again";
    check_up_only(kind, name, p.as_ref(), &up, &[BackendId(2), BackendId(3)], story, down_hint)?;

    // Health survives a change of list; a new backend starts up.
    let mut grown = backends.clone();
    grown.push(Backend::weighted(6, 2));
    p.set_backends(&grown);
    let mut up_now = up.clone();
    up_now.push(Backend::weighted(6, 2));
    let story = format!("{story}; then set_backends(b0..b6), adding b6");
    check_up_only(
        kind,
        name,
        p.as_ref(),
        &up_now,
        &[BackendId(2), BackendId(3)],
        &story,
        "Health belongs to the id: set_backends keeps the health of the ids that stay (a service registry update must not resurrect a backend the health checker took out).",
    )?;

    // All down: an explicit answer.
    for b in &grown {
        p.mark_down(b.id);
    }
    let answer = no_panic(&format!("A {name} picker whose 7 backends are all marked down; pick()."), || {
        p.pick().map(|l| l.id())
    })?;
    ensure(answer == Err(NoBackend::AllDown), || {
        fail(
            format!("A {name} picker whose 7 backends are all marked down; pick()."),
            "Err(AllDown)",
            format!("{answer:?}"),
        )
        .hint(all_down_hint)
    })?;

    // Recovery: one comes back, then all.
    p.mark_up(BackendId(3));
    let picks = take_run(p.as_ref(), 5, &|| format!("A {name} picker: all 7 backends down, then mark_up(b3)."))?;
    ensure(picks.iter().all(|&id| id == BackendId(3)), || {
        fail(
            format!("A {name} picker: all 7 backends down, then mark_up(b3); 5 picks."),
            "b3 every time",
            show_run(&picks, 5),
        )
        .hint("mark_up must put the backend back among the candidates.")
    })?;
    for b in &grown {
        p.mark_up(b.id);
    }
    check_up_only(
        kind,
        name,
        p.as_ref(),
        &grown,
        &[],
        &format!("{story}; all marked down; then all marked up again"),
        "mark_up must put every backend back.",
    )?;

    p.set_backends(&[]);
    let answer = no_panic(&format!("A {name} picker whose list was replaced by an empty one; pick()."), || {
        p.pick().map(|l| l.id())
    })?;
    ensure(answer == Err(NoBackend::Empty), || {
        fail(format!("A {name} picker; set_backends([]); pick()."), "Err(Empty)", format!("{answer:?}"))
            .hint(all_down_hint)
    })?;
    Ok(())
}

/// Checks that only `up` backends are picked, with the strategy's own
/// fairness over them, including when down ones are the least loaded.
fn check_up_only(
    kind: Kind,
    name: &str,
    p: &dyn Picker,
    up: &[Backend],
    down: &[BackendId],
    story: &str,
    hint: &str,
) -> Result<(), Failure> {
    let ups = ids_of(up);
    let context = || format!("A {name} picker: {story}.");
    let bad = |picks: &[BackendId]| picks.iter().find(|id| down.contains(id)).copied();
    match kind {
        Kind::RoundRobin => {
            let picks = take_run(p, 4 * ups.len(), &context)?;
            if let Some(id) = bad(&picks) {
                return Err(fail(
                    format!("{}\n  picks: {}", context(), show_run(&picks, 28)),
                    format!("never {id}: it is down"),
                    format!("{id} picked"),
                )
                .hint(hint));
            }
            if let Some((_, what)) = cycle_break(&picks, &ups) {
                return Err(fail(format!("{}\n  picks: {}", context(), show_run(&picks, 28)), format!("round-robin over the {} up backends: each once in every {} picks", ups.len(), ups.len()), what)
                    .hint("Cycle over the list of *up* backends (index it with the counter), rather than skipping down ones in the full list: skipping sends a down backend's turns to its neighbour."));
            }
        }
        Kind::Weighted => {
            let total: u64 = up.iter().map(|b| u64::from(b.weight)).sum();
            let picks = take_run(p, 2 * total as usize, &context)?;
            if let Some(id) = bad(&picks) {
                return Err(fail(
                    format!("{}\n  picks: {}", context(), show_run(&picks, 28)),
                    format!("never {id}: it is down"),
                    format!("{id} picked"),
                )
                .hint(hint));
            }
            let mut counts: BTreeMap<BackendId, u64> = BTreeMap::new();
            for id in &picks {
                *counts.entry(*id).or_default() += 1;
            }
            let exact = up.iter().all(|b| counts.get(&b.id).copied().unwrap_or(0) == 2 * u64::from(b.weight));
            ensure(exact, || {
                fail(
                    format!("{}\n  then {} picks: {}", context(), 2 * total, show_run(&picks, 28)),
                    format!("exactly twice each up backend's weight ({}), the schedule restarted over the up backends (total weight {total})", show_weights(up)),
                    format!("counts:{}", histogram(&count_rows(&counts))),
                )
                .hint("A health change restarts the schedule: reset every score to 0 and use the total weight of the *up* backends.")
            })?;
        }
        Kind::LeastConnections | Kind::PowerOfTwo => {
            // Load every up backend, so that the down ones are the idlest.
            let mut held = vec![];
            for _ in 0..2 * ups.len() {
                match p.pick() {
                    Ok(l) => held.push(l),
                    Err(e) => return Err(fail(context(), "a backend", format!("Err({e:?})"))),
                }
            }
            let holding: Vec<BackendId> = held.iter().map(Lease::id).collect();
            if let Some(id) = bad(&holding) {
                return Err(fail(
                    format!(
                        "{}\n  then {} requests held their leases: {}",
                        context(),
                        holding.len(),
                        show_run(&holding, 20)
                    ),
                    format!("never {id}: it is down, however idle"),
                    format!("{id} picked"),
                )
                .hint(hint));
            }
            let rounds = if kind == Kind::PowerOfTwo { 600 } else { 4 * ups.len() };
            let picks = take_run(p, rounds, &context)?;
            if let Some(id) = bad(&picks) {
                return Err(fail(context(), format!("never {id}: it is down"), format!("{id} picked")).hint(hint));
            }
            let missing: Vec<BackendId> =
                ups.iter().filter(|id| !picks.contains(id) && !holding.contains(id)).copied().collect();
            ensure(missing.is_empty(), || {
                fail(
                    format!("{}\n  then {rounds} requests one after another.", context()),
                    format!("every up backend picked: {}", show_ids(&ups)),
                    format!("never {}", show_ids(&missing)),
                )
            })?;
            drop(held);
        }
    }
    Ok(())
}

/// Marks of ids that are not in the list change nothing, now or later: an id
/// marked before it joins, or after it left, joins up like any new id; a
/// backend that left while down comes back up.
fn marks_outside_the_list(kind: Kind, name: &str, make: MakePicker, seed: u64) -> Result<(), Failure> {
    let hint = "Health belongs to an id *in the list*. A mark of an id that is not in the list changes nothing, and an id that joins (for the first time, or again after it left) starts up, whatever was marked before. Keeping a set of down ids apart from the list, and never pruning it, remembers marks the contract says to forget.";
    let p = make(&weighted(&[(0, 2), (1, 1), (2, 3)]), seed);
    p.mark_down(BackendId(2));
    p.set_backends(&weighted(&[(0, 2), (1, 1)]));
    p.mark_down(BackendId(2));
    p.mark_down(BackendId(9));
    p.mark_up(BackendId(7));
    p.mark_down(BackendId(u32::MAX));
    let back = weighted(&[(0, 2), (1, 1), (2, 3), (9, 1), (u32::MAX, 2)]);
    p.set_backends(&back);
    let story = format!(
        "b0, b1, b2; mark_down(b2); set_backends([b0 b1]) (b2 left, down); mark_down(b2) again (no longer in the list), mark_down(b9), mark_up(b7), mark_down(b{}) (never in the list); then set_backends([b0 b1 b2 b9 b{}]): b2, b9 and b{} join, new, so up",
        u32::MAX,
        u32::MAX,
        u32::MAX
    );
    check_up_only(kind, name, p.as_ref(), &back, &[], &story, hint).map_err(|f| f.hint(hint))?;

    // Marks of absent ids do not disturb the picker now either.
    p.mark_down(BackendId(1));
    p.mark_up(BackendId(5));
    p.mark_down(BackendId(6));
    let up: Vec<Backend> = back.iter().filter(|b| b.id != BackendId(1)).copied().collect();
    let story = format!("{story}; then mark_down(b1), mark_up(b5), mark_down(b6) (neither in the list)");
    check_up_only(kind, name, p.as_ref(), &up, &[BackendId(1)], &story, hint).map_err(|f| f.hint(hint))
}

/// A health change in the middle of a smooth weighted cycle restarts the
/// schedule, exactly as a new list does; a mark that changes nothing does not.
fn smooth_mid_cycle(s: Subject) -> Result<(), Failure> {
    let all = weighted(&[(0, 5), (1, 1), (2, 1), (3, 3)]);
    let w = 10;
    let without = |id: u32| all.iter().filter(|b| b.id.0 != id).copied().collect::<Vec<_>>();
    let restart_hint = "A mark that changes a backend's health restarts the schedule, exactly as set_backends does: every score back to 0 and the total recomputed over the up backends, so the next picks are those of a fresh picker over the up backends. Keeping the old scores leaves the survivors with a lead or a debt from the old schedule.";
    let still_hint = "A mark that changes nothing (an id not in the list, a backend already down or already up) leaves the schedule where it was: restart only when a backend's health actually changed.";
    for into in [1usize, 3, 4, 7] {
        let shown = show_weights(&all);
        let word = if into == 1 { "pick" } else { "picks" };
        // Down in the middle of a cycle: a fresh schedule over the others.
        let p = (s.smooth_weighted)(&all, 0);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}."))?;
        p.mark_down(BackendId(0));
        let want = smooth_model(&without(0), 2 * 5);
        let story = format!(
            "A smooth weighted round-robin picker, weights {shown}; {into} {} (mid-cycle); then mark_down(b0). The schedule restarts over b1:1 b2:1 b3:3",
            word
        );
        check_sequence(p.as_ref(), &want, &|| story.clone(), restart_hint)?;

        // A few picks later, up again: a fresh schedule over all four.
        take_run(p.as_ref(), into, &|| story.clone())?;
        p.mark_up(BackendId(0));
        let want = smooth_model(&all, 2 * w);
        let story =
            format!("{story}; {} more picks; then mark_up(b0). The schedule restarts over all four", 2 * 5 + into);
        check_sequence(p.as_ref(), &want, &|| story.clone(), restart_hint)?;

        // Marks that change nothing, mid-cycle: the schedule carries on.
        let p = (s.smooth_weighted)(&all, 0);
        let run = smooth_model(&all, into + 2 * w);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}."))?;
        p.mark_down(BackendId(42));
        p.mark_up(BackendId(1));
        p.mark_up(BackendId(7));
        let story = format!(
            "A smooth weighted round-robin picker, weights {shown}; {into} {} (mid-cycle); then mark_down(b42) and mark_up(b7) (not in the list), mark_up(b1) (already up). Nothing changed, so the schedule carries on",
            word
        );
        check_sequence(p.as_ref(), &run[into..], &|| story.clone(), still_hint)?;

        // A repeated mark_down, mid-cycle of the restarted schedule: no restart.
        let p = (s.smooth_weighted)(&all, 0);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}."))?;
        p.mark_down(BackendId(3));
        let run = smooth_model(&without(3), into + 2 * 7);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}, b3 down."))?;
        p.mark_down(BackendId(3));
        let story = format!(
            "A smooth weighted round-robin picker, weights {shown}; {into} {}; mark_down(b3) (a restart over b0:5 b1:1 b2:1); {into} {}; mark_down(b3) again (already down: nothing changed, so the schedule carries on)",
            word, word
        );
        check_sequence(p.as_ref(), &run[into..], &|| story.clone(), still_hint)?;
    }
    Ok(())
}

fn health(s: Subject, ctx: &Ctx) -> StageResult {
    let seed = ctx.rng(70).random::<u64>();
    health_picker(Kind::RoundRobin, "round-robin", s.round_robin, seed)?;
    health_picker(Kind::Weighted, "smooth weighted round-robin", s.smooth_weighted, seed)?;
    health_picker(Kind::LeastConnections, "least-connections", s.least_connections, seed)?;
    health_picker(Kind::PowerOfTwo, "power-of-two", s.power_of_two, seed)?;
    marks_outside_the_list(Kind::RoundRobin, "round-robin", s.round_robin, seed)?;
    marks_outside_the_list(Kind::Weighted, "smooth weighted round-robin", s.smooth_weighted, seed)?;
    marks_outside_the_list(Kind::LeastConnections, "least-connections", s.least_connections, seed)?;
    marks_outside_the_list(Kind::PowerOfTwo, "power-of-two", s.power_of_two, seed)?;
    smooth_mid_cycle(s)?;

    // The ring's health is membership: a down node leaves, and when it comes
    // back every key returns to it.
    let some = keys(ctx, 71, 20_000);
    let mut ring = ring_with(s, 100, &NODES);
    let before = owners(ring.as_ref(), &some);
    let down = BackendId(NODES[2]);
    ring.remove(down);
    ensure(owners(ring.as_ref(), &some).iter().all(|o| *o != Some(down)), || {
        fail(
            format!("A ring of 10 nodes; node {down} went down (removed)."),
            format!("no key on {down}"),
            format!("keys still on {down}"),
        )
    })?;
    ring.add(down);
    let back = owners(ring.as_ref(), &some);
    ensure(back == before, || {
        fail(format!("A ring of 10 nodes; node {down} was removed, then added back."), "every key back where it was before", "some keys elsewhere")
            .hint("A node's points must depend only on its id and point number, so that it comes back to exactly the same places.")
    })?;
    for &n in &NODES {
        ring.remove(BackendId(n));
    }
    let empty = ring.node_for(&some[0]);
    ensure(empty.is_none(), || {
        fail("A ring whose 10 nodes were all removed.", "node_for(key) = None", format!("{empty:?}"))
    })?;
    let mut reversed = NODES;
    reversed.reverse();
    for &n in &reversed {
        ring.add(BackendId(n));
    }
    ensure(owners(ring.as_ref(), &some) == before, || {
        fail(
            "A ring emptied, then refilled with the same 10 nodes in reverse order.",
            "every key where it was on the first ring",
            "some keys elsewhere",
        )
        .hint("Positions must not depend on insertion order; break ties between equal positions by node id.")
    })?;
    Ok(vec![])
}

// ─── Stage 8: benchmarks ───

fn benchmarks(learner: Subject, baseline: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
    const OPS: u64 = 20_000;
    let ten = list(&(0..10).collect::<Vec<_>>());
    let pick_batch = |make: MakePicker| {
        let p = make(&ten, 7);
        // Some requests stay in flight, so load-aware pickers compare real counts.
        let held: Vec<Lease<'_>> = (0..25).filter_map(|_| p.pick().ok()).collect();
        let t = bench::time_batch(OPS, || {
            for _ in 0..OPS {
                if let Ok(lease) = p.pick() {
                    std::hint::black_box(lease.id());
                    lease.finish();
                }
            }
        });
        drop(held);
        t
    };
    let mut figures: Vec<BenchFigure> = vec![];
    for (label, l, b, r) in [
        ("round-robin pick", learner.round_robin, baseline.round_robin, reference.round_robin),
        ("smooth weighted pick", learner.smooth_weighted, baseline.smooth_weighted, reference.smooth_weighted),
        ("least-connections pick", learner.least_connections, baseline.least_connections, reference.least_connections),
        ("power-of-two pick", learner.power_of_two, baseline.power_of_two, reference.power_of_two),
    ] {
        figures.push(bench::speed(
            label,
            "a pick should take one short lock or a few atomics: no allocation and no copy of the backend list per pick",
            || pick_batch(l),
            || pick_batch(b),
            || pick_batch(r),
        ));
    }

    let lookups = keys(ctx, 80, 10_000);
    let lookup_batch = |ring: &dyn Ring| {
        bench::time_batch(lookups.len() as u64, || {
            for k in &lookups {
                std::hint::black_box(ring.node_for(k));
            }
        })
    };
    let (l_ring, b_ring, r_ring) =
        (ring_with(learner, 100, &NODES), ring_with(baseline, 100, &NODES), ring_with(reference, 100, &NODES));
    figures.push(bench::speed(
        "ring lookup, 10 × 100 points",
        "hash the key once and search the sorted points; do not allocate per lookup",
        || lookup_batch(l_ring.as_ref()),
        || lookup_batch(b_ring.as_ref()),
        || lookup_batch(r_ring.as_ref()),
    ));

    let mut rng = ctx.rng(81);
    let jump_keys: Vec<u64> = (0..OPS).map(|_| rng.random::<u64>()).collect();
    let jump_batch = |f: JumpHash| {
        bench::time_batch(OPS, || {
            for &k in &jump_keys {
                std::hint::black_box(f(k, 1_000));
            }
        })
    };
    figures.push(bench::speed(
        "jump_hash, 1,000 buckets",
        "jump hash is a few multiplications per jump and about ln(n) jumps: no table, no allocation",
        || jump_batch(learner.jump_hash),
        || jump_batch(baseline.jump_hash),
        || jump_batch(reference.jump_hash),
    ));

    // Ring lookups at 100 and 10,000 points (10 points per node): a binary
    // search grows ~2×, a linear scan ~100×.
    let sized = |s: Subject| {
        let small: Vec<u32> = (0..10).map(|i| i * 7 + 1).collect();
        let large: Vec<u32> = (0..1_000).map(|i| i * 7 + 1).collect();
        (ring_with(s, 10, &small), ring_with(s, 10, &large))
    };
    let at = |rings: &(Box<dyn Ring>, Box<dyn Ring>), size: usize| {
        lookup_batch(if size <= 100 { rings.0.as_ref() } else { rings.1.as_ref() })
    };
    let (l_sized, r_sized) = (sized(learner), sized(reference));
    figures.push(bench::complexity(
        "ring lookup, 100 → 10,000 points",
        "a lookup's time grows with the number of points: a linear scan? Keep the points sorted and binary-search them",
        100,
        10.0,
        |size| at(&l_sized, size),
        |size| at(&r_sized, size),
    ));
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jump_model_matches_every_known_answer() {
        for &(key, buckets, want) in JUMP_VECTORS {
            assert_eq!(jump_model(key, buckets), want, "jump({key}, {buckets})");
        }
        let one: Vec<u32> = (1..=19).map(|n| jump_model(1, n)).collect();
        assert_eq!(one, JUMP_KEY_ONE);
    }

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

    #[test]
    fn numbers_and_histograms_read_well() {
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(num(12), "12");
        let h = histogram(&[("b0".into(), 10), ("b1".into(), 5), ("b2".into(), 0)]);
        assert!(h.contains(&format!("b0 {} 10", "█".repeat(32))), "{h}");
        assert!(h.contains("b1 ████████████████"), "{h}");
    }

    #[test]
    fn least_connections_beats_random_in_the_simulation() {
        let ctx = Ctx { seed: 3 };
        let work = workload(&mut ctx.rng(1), 1_000);
        let mut r = ctx.rng(2);
        let random = simulate_model(&work, 10, |_| r.random_range(0..10));
        let least = simulate_model(&work, 10, least_loaded_model(10));
        assert!(least.mean_max + 1.0 < random.mean_max, "{least:?} vs {random:?}");
    }
}
