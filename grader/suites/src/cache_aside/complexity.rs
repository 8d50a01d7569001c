//! Stage `complexity`: time per call of `LruCache` and `Lfu` at capacity
//! 1,000 and 100,000, every entry in use, must not grow more than
//! [`GROWTH_LIMIT`](crate::bench::GROWTH_LIMIT)× (a scan of the entries on
//! any call grows about 100×).

use contracts::cache_aside::{Policy, TtlLru};
use rand::RngExt;

use super::Subject;
use super::traces::key_of;
use crate::bench;
use crate::harness::{Ctx, StageResult};

/// Calls per timed batch.
const OPS: usize = 20_000;

/// The smaller capacity; the larger is 100×.
const SMALL: usize = 1_000;

/// Keys of a batch: drawn from twice the capacity, so about half the gets
/// miss and are followed by a put that evicts.
fn batch_keys(ctx: &Ctx, capacity: usize) -> Vec<u64> {
    let mut rng = ctx.rng(40 + capacity as u64);
    (0..OPS).map(|_| key_of(rng.random_range(0..2 * capacity as u64), 4)).collect()
}

/// An LRU filled to `capacity`, and the instant its batches go on from.
struct LruRun {
    cache: Box<dyn TtlLru>,
    keys: Vec<u64>,
    now: u64,
}

impl LruRun {
    fn new(make: fn(usize) -> Box<dyn TtlLru>, ctx: &Ctx, capacity: usize) -> LruRun {
        let mut cache = make(capacity);
        for i in 0..capacity as u64 {
            cache.put(key_of(i, 4), i, i, ttl(i));
        }
        LruRun { cache, keys: batch_keys(ctx, capacity), now: capacity as u64 }
    }

    fn batch(&mut self) -> f64 {
        let (cache, keys) = (&mut self.cache, &self.keys);
        let mut now = self.now;
        let t = bench::time_batch(OPS as u64, || {
            for &k in keys {
                now += 1;
                if std::hint::black_box(cache.get(k, now)).is_none() {
                    std::hint::black_box(cache.put(k, now, now, ttl(now)));
                }
            }
        });
        self.now = now;
        t
    }
}

/// Most entries live long; one in four expires soon, so expired entries are
/// there to be found when a put needs room.
fn ttl(i: u64) -> u64 {
    if i % 4 == 0 { 5_000 } else { 1 << 50 }
}

struct LfuRun {
    cache: Box<dyn Policy>,
    keys: Vec<u64>,
}

impl LfuRun {
    fn new(make: fn(usize) -> Box<dyn Policy>, ctx: &Ctx, capacity: usize) -> LfuRun {
        let mut cache = make(capacity);
        for i in 0..capacity as u64 {
            cache.put(key_of(i, 4), i);
        }
        LfuRun { cache, keys: batch_keys(ctx, capacity) }
    }

    fn batch(&mut self) -> f64 {
        let (cache, keys) = (&mut self.cache, &self.keys);
        bench::time_batch(OPS as u64, || {
            for &k in keys {
                if std::hint::black_box(cache.get(k)).is_none() {
                    std::hint::black_box(cache.put(k, k));
                }
            }
        })
    }
}

pub(super) fn run(learner: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
    let lru = |s: Subject| {
        let mut runs = [LruRun::new(s.lru, ctx, SMALL), LruRun::new(s.lru, ctx, 100 * SMALL)];
        move |size: usize| runs[usize::from(size > SMALL)].batch()
    };
    let lru_figure = bench::complexity(
        "LruCache get/put, capacity 1,000 → 100,000",
        "time per call grows with the number of entries: a scan for the least recent entry, or for an expired one? Link the entries in recency order (a doubly linked list in a slab, indices not pointers) and keep expiries in a heap or BTreeMap, so a put finds its victim without looking at every entry",
        SMALL,
        bench::GROWTH_LIMIT,
        lru(learner),
        lru(reference),
    );
    let lfu = |s: Subject| {
        let mut runs = [LfuRun::new(s.lfu, ctx, SMALL), LfuRun::new(s.lfu, ctx, 100 * SMALL)];
        move |size: usize| runs[usize::from(size > SMALL)].batch()
    };
    let lfu_figure = bench::complexity(
        "Lfu get/put, capacity 1,000 → 100,000",
        "time per call grows with the number of entries: a scan for the smallest count? Keep one recency list per count (count → list, and the smallest count remembered): a use moves an entry from its list to the next count's, an eviction takes the oldest of the smallest count",
        SMALL,
        bench::GROWTH_LIMIT,
        lfu(learner),
        lfu(reference),
    );
    Ok(vec![lru_figure, lfu_figure])
}
