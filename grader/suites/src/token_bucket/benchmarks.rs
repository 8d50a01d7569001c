//! Stage `benchmarks`: speed against the plain baseline, and growth of a
//! keyed call with the number of keys.

use rand::RngExt;

use super::Subject;
use super::configs::{SECOND, cfg};
use crate::bench;
use crate::harness::{Ctx, StageResult};

pub(super) fn run(learner: Subject, baseline: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
    const OPS: u64 = 20_000;
    let config = cfg(100, 1, 1_000);
    let single = |s: Subject| {
        let mut b = (s.bucket)(config, 0);
        let mut now = 0;
        bench::time_batch(OPS, || {
            for _ in 0..OPS {
                now += 37;
                std::hint::black_box(b.try_acquire(now, 1));
            }
        })
    };
    let bucket = bench::speed(
        "bucket try_acquire",
        "one call should do a few integer operations: no allocation, no loop over time",
        || single(learner),
        || single(baseline),
        || single(reference),
    );

    // Keyed: one token a second, so every key the limiter has seen stays
    // active (not full) for the whole run and the map holds all n keys.
    let keyed_config = cfg(100, 1, SECOND);
    let keys: Vec<String> = (0..10_000).map(|i| format!("10.0.{}.{}", i / 256, i % 256)).collect();
    let mut rng = ctx.rng(9);
    let order: Vec<usize> = (0..OPS).map(|_| rng.random_range(0..keys.len())).collect();
    let keyed_run = |s: Subject, n: usize| {
        let limiter = (s.limiter)(keyed_config);
        for (i, k) in keys.iter().take(n).enumerate() {
            limiter.try_acquire(k, i as u64, 1);
        }
        let mut now = n as u64;
        bench::time_batch(OPS, || {
            for &i in &order {
                now += 1;
                std::hint::black_box(limiter.try_acquire(&keys[i % n], now, 1));
            }
        })
    };
    let keyed = bench::speed(
        "keyed try_acquire, 10k keys",
        "a call should hash the key once and take one lock; avoid allocating a String per call for keys you already track",
        || keyed_run(learner, 10_000),
        || keyed_run(baseline, 10_000),
        || keyed_run(reference, 10_000),
    );
    let scaling = bench::complexity(
        "keyed try_acquire, 100 → 10k keys",
        "time per call grows with the number of keys: a scan of every key, or a sweep of the whole map on every call? Sweep only when the map has doubled since the last sweep, so each sweep is paid for by the inserts before it",
        100,
        bench::GROWTH_LIMIT,
        |n| keyed_run(learner, n),
        |n| keyed_run(reference, n),
    );
    Ok(vec![bucket, keyed, scaling])
}
