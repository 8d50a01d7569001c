//! Stage `concurrency`: one key shared by many threads spends each token
//! once, and a key used for the first time by many threads at once gets one
//! bucket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use contracts::token_bucket::{Decision, KeyedLimiter};
use grader_protocol::Failure;

use super::Subject;
use super::configs::{cfg, t};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

pub(super) fn run(s: Subject, _ctx: &Ctx) -> StageResult {
    shared_key(s)?;
    concurrent_first_use(s)?;
    Ok(vec![])
}

/// Many threads on one key, each taking the next tick of a shared clock.
fn shared_key(s: Subject) -> Result<(), Failure> {
    // One token per 100 ns of a shared virtual clock; 8 threads each take
    // the clock's next tick and ask for one token from the same key.
    let config = cfg(50, 1, 100);
    let limiter = (s.limiter)(config);
    let clock = Arc::new(AtomicU64::new(0));
    let threads = 8;
    let per_thread = 60_000;
    let mut handles = Vec::with_capacity(threads);
    for i in 0..threads {
        let limiter = Arc::clone(&limiter);
        let clock = Arc::clone(&clock);
        handles.push(std::thread::spawn(move || {
            let key = if i % 4 == 3 { "other" } else { "hot" };
            let mut allowed = 0u64;
            for _ in 0..per_thread {
                let now = clock.fetch_add(3, Ordering::Relaxed);
                if let Decision::Allowed { .. } = limiter.try_acquire(key, now, 1) {
                    allowed += 1;
                }
            }
            (key, allowed)
        }));
    }
    let mut hot = 0;
    let mut other = 0;
    for h in handles {
        match h.join() {
            Ok(("hot", n)) => hot += n,
            Ok((_, n)) => other += n,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
    let elapsed = clock.load(Ordering::Relaxed);
    let refilled = elapsed * config.refill.tokens / config.refill.period_nanos;
    let bound = config.capacity + refilled;
    for (key, admitted, users) in [("hot", hot, 6), ("other", other, 2)] {
        ensure(admitted <= bound, || {
            fail(
                format!(
                    "{users} threads shared one key ({key:?}) of a limiter ({config}), each taking the next tick of a shared clock; the clock advanced {} in all.",
                    t(elapsed)
                ),
                format!("at most capacity + elapsed × rate = {} + {refilled} = {bound} requests allowed", config.capacity),
                format!("{admitted} allowed"),
            )
            .hint("Reading a key's state, deciding, and writing it back must be one atomic step: hold the lock across all three (or use a compare-and-swap loop). Two threads that both read the same state both spend the same token.")
        })?;
        ensure(admitted >= bound / 4, || {
            fail(
                format!("{users} threads shared one key ({key:?}) of a limiter ({config}); the clock advanced {}.", t(elapsed)),
                format!("close to {bound} requests allowed"),
                format!("only {admitted} allowed"),
            )
            .hint("Under concurrency the clock a thread brings can be slightly behind another's: treat it as no time passed, never as a reason to refuse forever.")
        })?;
    }
    Ok(())
}

/// Fresh keys per round of the first-use check, and rounds per limiter (a
/// new limiter now and then keeps each map small, so that the check is about
/// the race, not about the speed of a big map).
const FIRST_USE_KEYS: usize = 32;

const FIRST_USE_ROUNDS_PER_LIMITER: usize = 64;

/// The check runs until this many first calls on a fresh key have actually
/// run at the same time as another thread's call (on a loaded machine threads
/// take turns more than they overlap), or until [`FIRST_USE_MAX_ROUNDS`].
const FIRST_USE_OVERLAPS: u64 = 20_000;

const FIRST_USE_MIN_ROUNDS: usize = 200;

const FIRST_USE_MAX_ROUNDS: usize = 12_000;

/// Many threads name keys nobody has seen before, at the same instant: each
/// key must get one full bucket, not one per thread (a double burst).
fn concurrent_first_use(s: Subject) -> Result<(), Failure> {
    // Every thread runs at once: at least two, at most one per core (and 8).
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    for capacity in [1, 3] {
        // One token per 2^40 ns: nothing refills during the check, so each
        // key admits exactly `capacity` requests, whatever the interleaving.
        let config = cfg(capacity, 1, 1 << 40);
        let name = move |k: usize| format!("fresh-{capacity}-{k}");
        let limiters: Arc<Vec<Arc<dyn KeyedLimiter>>> = Arc::new(
            (0..FIRST_USE_MAX_ROUNDS.div_ceil(FIRST_USE_ROUNDS_PER_LIMITER)).map(|_| (s.limiter)(config)).collect(),
        );
        let arrived = Arc::new(AtomicUsize::new(0));
        // Calls in progress, and per round the first calls that overlapped another.
        let inside = Arc::new(AtomicUsize::new(0));
        let overlaps: Arc<Vec<AtomicU64>> = Arc::new((0..FIRST_USE_MAX_ROUNDS).map(|_| AtomicU64::new(0)).collect());
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (limiters, arrived, inside, overlaps) =
                    (Arc::clone(&limiters), Arc::clone(&arrived), Arc::clone(&inside), Arc::clone(&overlaps));
                std::thread::spawn(move || {
                    let mut allowed: Vec<u8> = Vec::new();
                    let mut seen = 0u64;
                    for round in 0..FIRST_USE_MAX_ROUNDS {
                        // A spinning barrier: every thread leaves it within
                        // nanoseconds of the others, so they meet on each key's
                        // first use (a blocking barrier wakes them one by one).
                        arrived.fetch_add(1, Ordering::AcqRel);
                        let mut spins = 0u32;
                        while arrived.load(Ordering::Acquire) < threads * (round + 1) {
                            spins += 1;
                            if spins % 256 == 0 {
                                std::thread::yield_now();
                            } else {
                                std::hint::spin_loop();
                            }
                        }
                        // Every thread added the previous round's overlaps before
                        // arriving: all threads see the same total and stop together.
                        if round > 0 {
                            seen += overlaps[round - 1].load(Ordering::Acquire);
                        }
                        if round >= FIRST_USE_MIN_ROUNDS && seen >= FIRST_USE_OVERLAPS {
                            break;
                        }
                        let now = round as u64 * 1_000;
                        let limiter = &limiters[round / FIRST_USE_ROUNDS_PER_LIMITER];
                        let mut overlapped = 0;
                        for k in round * FIRST_USE_KEYS..(round + 1) * FIRST_USE_KEYS {
                            let key = name(k);
                            allowed.push(0);
                            for i in 0..capacity {
                                let others = if i == 0 { inside.fetch_add(1, Ordering::AcqRel) } else { 0 };
                                if let Decision::Allowed { .. } = limiter.try_acquire(&key, now, 1) {
                                    allowed[k] += 1;
                                }
                                if i == 0 {
                                    inside.fetch_sub(1, Ordering::AcqRel);
                                    overlapped += u64::from(others > 0);
                                }
                            }
                        }
                        overlaps[round].fetch_add(overlapped, Ordering::AcqRel);
                    }
                    allowed
                })
            })
            .collect();
        let mut total: Vec<u64> = vec![];
        for h in handles {
            match h.join() {
                Ok(allowed) => {
                    total.resize(total.len().max(allowed.len()), 0);
                    total.iter_mut().zip(allowed).for_each(|(t, a)| *t += u64::from(a));
                }
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        let wrong: Vec<usize> = (0..total.len()).filter(|&k| total[k] != capacity).collect();
        if let Some(&k) = wrong.first() {
            let round = k / FIRST_USE_KEYS;
            let more = total[k] > capacity;
            return Err(fail(
                format!(
                    "{threads} threads named {} keys nobody had used before, {FIRST_USE_KEYS} at a time, all starting together (limiter: {config}); each thread asked each key for 1 token {capacity} time(s), all at the same instant. Key {:?} (first used at t={}) is one of {} keys that went wrong.",
                    total.len(),
                    name(k),
                    t(round as u64 * 1_000),
                    wrong.len()
                ),
                format!("exactly {capacity} allowed for the key in all: one full bucket, shared by every thread"),
                format!("{} allowed", total[k]),
            )
            .hint(if more {
                "Two threads both found the key missing and both gave it a full bucket: a double burst. Finding the key and creating its bucket must happen under one lock acquisition (an entry API), or be re-checked after taking the lock that inserts."
            } else {
                "A request that waits for a lock must still be answered from the key's bucket: refusing under contention is not allowed."
            }));
        }
    }
    Ok(())
}
