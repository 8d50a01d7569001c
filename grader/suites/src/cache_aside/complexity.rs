//! Stage `complexity`: time per call of `LruCache` and `Lfu` at capacity
//! 1,000 and 100,000, every entry in use, must not grow more than
//! [`GROWTH_LIMIT`](crate::bench::GROWTH_LIMIT)× (a scan of the entries on
//! any call grows about 100×; no entry expires in the LRU's batches, so every
//! put of a new key evicts a live entry). Then, once calls are known not to scan, the
//! largest capacity, 2^20, filled and evicting in order (a quadratic
//! implementation could not even fill it within the stage's time).

use contracts::cache_aside::{MAX_CAPACITY, Policy, TtlLru};
use grader_protocol::Failure;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::Subject;
use super::traces::key_of;
use crate::bench;
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// Calls per timed batch.
const OPS: usize = 5_000;

/// Every entry of the largest-capacity check lives an hour.
const HOUR: u64 = 3_600 * 1_000_000_000;

/// The smaller capacity; the larger is 100×.
const SMALL: usize = 1_000;

/// Keys of the next batch: most are one of [`HOT`] keys put first (hits,
/// in memory the processor keeps close at any capacity), one in
/// [`MISS_EVERY`] a key never seen before (a miss, then a put that evicts).
/// So the time per call compares the code at two sizes, not the memory: an
/// O(1) design grows about 1× to 3×, a scan of the entries on an eviction
/// about 100×.
pub(super) fn next_keys(rng: &mut ChaCha8Rng, keys: &mut [u64], fresh: &mut u64, salt: u64) {
    for k in keys {
        *k = if rng.random_range(0..MISS_EVERY) == 0 {
            *fresh += 1;
            key_of(*fresh, salt)
        } else {
            key_of(rng.random_range(0..HOT), salt)
        };
    }
}

/// Keys read again and again in the timed batches (all put first).
const HOT: u64 = 512;

/// One call in this many is a miss of a new key.
const MISS_EVERY: u32 = 16;

/// An LRU filled to `capacity`, and the instant its batches go on from.
struct LruRun {
    cache: Box<dyn TtlLru>,
    rng: ChaCha8Rng,
    keys: Vec<u64>,
    fresh: u64,
    now: u64,
}

impl LruRun {
    fn new(make: fn(usize) -> Box<dyn TtlLru>, ctx: &Ctx, capacity: usize) -> LruRun {
        let mut cache = make(capacity);
        for i in 0..capacity as u64 {
            cache.put(key_of(i, 4), i, i, TTL);
        }
        LruRun { cache, rng: ctx.rng(40 + capacity as u64), keys: vec![0; OPS], fresh: 1 << 40, now: capacity as u64 }
    }

    fn batch(&mut self) -> f64 {
        next_keys(&mut self.rng, &mut self.keys, &mut self.fresh, 4);
        let (cache, keys) = (&mut self.cache, &self.keys);
        let mut now = self.now;
        let t = bench::time_batch(OPS as u64, || {
            for &k in keys {
                now += 1;
                if std::hint::black_box(cache.get(k, now)).is_none() {
                    std::hint::black_box(cache.put(k, now, now, TTL));
                }
            }
        });
        self.now = now;
        t
    }
}

/// Every entry lives long: no entry ever expires during the batches, so each
/// put of a new key into the full cache must find its victim (the least
/// recently used) without walking past live entries in search of an expired
/// one. A walk from the least recent entry "until an expired one" looks at
/// every entry here, O(n) per eviction.
const TTL: u64 = 1 << 50;

struct LfuRun {
    cache: Box<dyn Policy>,
    rng: ChaCha8Rng,
    keys: Vec<u64>,
    fresh: u64,
}

impl LfuRun {
    fn new(make: fn(usize) -> Box<dyn Policy>, ctx: &Ctx, capacity: usize) -> LfuRun {
        let mut cache = make(capacity);
        for i in 0..capacity as u64 {
            cache.put(key_of(i, 4), i);
        }
        LfuRun { cache, rng: ctx.rng(50 + capacity as u64), keys: vec![0; OPS], fresh: 1 << 40 }
    }

    fn batch(&mut self) -> f64 {
        next_keys(&mut self.rng, &mut self.keys, &mut self.fresh, 4);
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
        "time per call grows with the number of entries: a scan for the least recent entry, or a walk looking for an expired one (here none has expired, so the walk visits every entry)? Link the entries in recency order (a doubly linked list in a slab, indices not pointers) and keep expiries in a heap or BTreeMap, so a put finds its victim without looking at every entry",
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
    let figures = vec![lru_figure, lfu_figure];
    // A figure that failed is the verdict; the largest capacity is checked
    // only for calls that do not scan.
    if figures.iter().all(|f| f.passed) {
        largest_lru(learner)?;
        largest_lfu(learner)?;
    }
    Ok(figures)
}

/// Capacity 2^20: filled, then 256 more keys each evict the oldest, in order.
fn largest_lru(s: Subject) -> Result<(), Failure> {
    let mut cache = (s.lru)(MAX_CAPACITY);
    let key = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for i in 0..MAX_CAPACITY as u64 {
        let got = cache.put(key(i), i, 0, HOUR);
        ensure(got.is_none(), || {
            fail(
                format!("An LruCache of capacity 2^20 = {MAX_CAPACITY}, filled with distinct keys: put number {} ", i + 1),
                "None: there is room until 2^20 entries are stored",
                format!("Some({})", got.unwrap_or_default()),
            )
            .hint("Capacity goes up to 2^20 = 1,048,576: size any fixed structure for it, and evict only when len() == capacity.")
        })?;
    }
    // Key 0 of the fill is read again: it becomes the most recent.
    ensure(cache.get(key(0), 1) == Some(0), || {
        fail(
            format!(
                "An LruCache of capacity {MAX_CAPACITY} holding 2^20 distinct keys, the first put first: get(first key)"
            ),
            "Some(0)",
            "a miss",
        )
    })?;
    ensure(cache.len() == MAX_CAPACITY, || {
        fail(format!("An LruCache of capacity {MAX_CAPACITY}, filled:"), format!("len() = {MAX_CAPACITY}"), cache.len())
    })?;
    for j in 0..256u64 {
        let newcomer = key(MAX_CAPACITY as u64 + j);
        let got = cache.put(newcomer, j, 2, HOUR);
        let want = key(j + 1);
        ensure(got == Some(want), || {
            fail(
                format!(
                    "An LruCache of capacity {MAX_CAPACITY} filled in order (keys k0, k1, …), then get(k0), then {} new keys:",
                    j + 1
                ),
                format!("Some({want}): k{} is the least recently used", j + 1),
                format!("{got:?}"),
            )
            .hint("A full cache evicts the least recently used entry; a get that hits (here, of k0) makes its key the most recent.")
        })?;
    }
    ensure(cache.len() == MAX_CAPACITY, || {
        fail(format!("An LruCache of capacity {MAX_CAPACITY}, full, after 256 evictions:"), MAX_CAPACITY, cache.len())
    })
}

/// Capacity 2^20: filled, every key but the last 256 used once more, then
/// 256 newcomers evict exactly those 256, oldest first.
fn largest_lfu(s: Subject) -> Result<(), Failure> {
    let mut cache = (s.lfu)(MAX_CAPACITY);
    let n = MAX_CAPACITY as u64;
    let key = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555;
    for i in 0..n {
        let got = cache.put(key(i), i);
        ensure(got.is_none(), || {
            fail(
                format!("An Lfu of capacity 2^20 = {MAX_CAPACITY}, filled with distinct keys: put number {}", i + 1),
                "None: there is room until 2^20 entries are stored",
                format!("{got:?}"),
            )
            .hint("Capacity goes up to 2^20 = 1,048,576: evict only when len() == capacity.")
        })?;
    }
    for i in 256..n {
        cache.get(key(i));
    }
    for j in 0..256u64 {
        let got = cache.put(key(n + j), j);
        // The first 256 keys (count 1) go in put order; each newcomer
        // (count 1, more recent) stays.
        let want = key(j);
        ensure(got == Some(want), || {
            fail(
                format!(
                    "An Lfu of capacity {MAX_CAPACITY} filled with keys k0, k1, … in order, every key from k256 on read once more (count 2), then {} new keys:",
                    j + 1
                ),
                format!("Some({want}): k{j} has count 1 and is the least recent of those"),
                format!("{got:?}"),
            )
            .hint("Among the least frequently used entries, the least recently used goes; the newcomer is never the one evicted.")
        })?;
    }
    Ok(())
}
