//! Stage `benchmarks`: speed of each cache and of the front (from several
//! threads at once) against the plain baseline, and growth of the admission
//! policy and the front with their capacity.

use std::sync::Arc;

use contracts::cache_aside::{CacheAside, FrontConfig, Policy, Store, StoreError, TtlLru};
use grader_protocol::BenchFigure;

use super::Subject;
use super::complexity::next_keys;
use super::traces::{key_of, zipf};
use crate::bench;
use crate::harness::{Ctx, StageResult};

/// Calls per timed batch.
const OPS: usize = 20_000;

/// A database that answers at once, from arithmetic: every tenth key does
/// not exist. Nothing to lock, so the front's own cost is what is timed.
struct Instant;

impl Store for Instant {
    fn load(&self, key: u64) -> Result<Option<u64>, StoreError> {
        Ok((key % 10 != 0).then_some(key ^ 0x5a5a))
    }

    fn save(&self, _key: u64, _value: Option<u64>) -> Result<(), StoreError> {
        Ok(())
    }
}

fn lru_batch(cache: &mut dyn TtlLru, keys: &[u64], now: &mut u64) -> f64 {
    bench::time_batch(keys.len() as u64, || {
        for &k in keys {
            *now += 1;
            if std::hint::black_box(cache.get(k, *now)).is_none() {
                std::hint::black_box(cache.put(k, k, *now, 1 << 40));
            }
        }
    })
}

fn policy_batch(cache: &mut dyn Policy, keys: &[u64]) -> f64 {
    bench::time_batch(keys.len() as u64, || {
        for &k in keys {
            if std::hint::black_box(cache.get(k)).is_none() {
                std::hint::black_box(cache.put(k, k));
            }
        }
    })
}

/// Gets of `keys` split among `threads` threads at once, ns per get (wall
/// clock over all gets).
fn front_batch(front: &Arc<dyn CacheAside>, keys: &[u64], threads: usize) -> f64 {
    let chunk = keys.len().div_ceil(threads);
    bench::time_batch(keys.len() as u64, || {
        std::thread::scope(|scope| {
            for part in keys.chunks(chunk) {
                let front = Arc::clone(front);
                scope.spawn(move || {
                    for &k in part {
                        let _ = std::hint::black_box(front.get(k, 1));
                    }
                });
            }
        });
    })
}

fn front_config(capacity: usize) -> FrontConfig {
    FrontConfig { capacity, ttl: 1 << 40, jitter: 1 << 20, negative_ttl: 1 << 40, negative_capacity: capacity, seed: 1 }
}

pub(super) fn run(learner: Subject, baseline: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
    let mut rng = ctx.rng(8);
    let keys = zipf(&mut rng, 100_000, 0.8, OPS).keys;
    let mut figures: Vec<BenchFigure> = vec![];

    let lru = |s: Subject| {
        let mut cache = (s.lru)(10_000);
        let mut now = 0;
        let keys = keys.clone();
        move || lru_batch(cache.as_mut(), &keys, &mut now)
    };
    figures.push(bench::speed(
        "LruCache get/put, capacity 10,000, Zipf 0.8",
        "a get or put should be a hash lookup and a few pointer (index) updates: no allocation per call, no scan, no re-sorting",
        lru(learner),
        lru(baseline),
        lru(reference),
    ));
    let policy = |make: fn(usize) -> Box<dyn Policy>| {
        let mut cache = make(10_000);
        let keys = keys.clone();
        move || policy_batch(cache.as_mut(), &keys)
    };
    figures.push(bench::speed(
        "Lfu get/put, capacity 10,000, Zipf 0.8",
        "a use should move an entry from its count's list to the next one in O(1): no search for the smallest count, no allocation per call",
        policy(learner.lfu),
        policy(baseline.lfu),
        policy(reference.lfu),
    ));
    figures.push(bench::speed(
        "Admission get/put, capacity 10,000, Zipf 0.8",
        "a get should be a hash lookup and a counter bump; an eviction should touch a few entries, not walk a queue (cap the second chances)",
        policy(learner.admission),
        policy(baseline.admission),
        policy(reference.admission),
    ));

    // The front from several threads: a warm cache, Zipf 1.0 over 100,000
    // keys with room for 10,000 (most gets hit, some load).
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    let front_keys = zipf(&mut rng, 100_000, 1.0, 4 * OPS).keys;
    let front = |s: Subject| {
        let f = (s.front)(Arc::new(Instant), front_config(10_000));
        let keys = front_keys.clone();
        move || front_batch(&f, &keys, threads)
    };
    figures.push(bench::speed(
        &format!("Front get, {threads} threads at once, capacity 10,000, Zipf 1.0"),
        "a hit should take one short lock (or one shard's lock) and copy a u64: no allocation, no Condvar, no store call, and never a lock held while loading",
        front(learner),
        front(baseline),
        front(reference),
    ));

    // Growth with capacity: every entry in use; each batch reads a hot set
    // again and misses a few new keys (see `complexity::next_keys`).
    let sizes = [1_000u64, 100_000];
    let admission = |s: Subject| {
        let mut caches = sizes.map(|n| {
            let mut c = (s.admission)(n as usize);
            for i in 0..n {
                c.put(key_of(i, 9), i);
            }
            c
        });
        let mut rng = ctx.rng(82);
        let (mut keys, mut fresh) = (vec![0; OPS], 1u64 << 40);
        move |size: usize| {
            let i = usize::from(size > 1_000);
            next_keys(&mut rng, &mut keys, &mut fresh, 9);
            policy_batch(caches[i].as_mut(), &keys)
        }
    };
    figures.push(bench::complexity(
        "Admission get/put, capacity 1,000 → 100,000",
        "time per call grows with the number of entries: a scan of a queue or of the ghost list? Keep membership in hash sets and let stale queue entries be skipped when they come out",
        1_000,
        bench::GROWTH_LIMIT,
        admission(learner),
        admission(reference),
    ));
    let front_sized = |s: Subject| {
        let fronts = sizes.map(|n| {
            let f = (s.front)(Arc::new(Instant), front_config(n as usize));
            for i in 0..n {
                let _ = f.get(key_of(i, 9), 0);
            }
            f
        });
        let mut rng = ctx.rng(83);
        let (mut keys, mut fresh) = (vec![0; OPS], 1u64 << 40);
        move |size: usize| {
            let i = usize::from(size > 1_000);
            next_keys(&mut rng, &mut keys, &mut fresh, 9);
            front_batch(&fronts[i], &keys, 1)
        }
    };
    figures.push(bench::complexity(
        "Front get, capacity 1,000 → 100,000",
        "time per get grows with the number of entries: a scan for an expired or least recent entry, or of the in-flight loads? Everything a get touches should be found by key",
        1_000,
        bench::GROWTH_LIMIT,
        front_sized(learner),
        front_sized(reference),
    ));
    Ok(figures)
}
