//! Stage `lru`: least recently used eviction, checked call by call against
//! the model, with nothing ever expiring (every entry lives an hour and the
//! clock stays in its first second): capacity 1 and 2^20, the lesson's
//! capacity-2 example, a get that misses moving nothing, a put that replaces
//! a value, a remove that frees a place, keys and values 0 and `u64::MAX`.

use contracts::cache_aside::MAX_CAPACITY;
use grader_protocol::Failure;
use rand::RngExt;

use super::Subject;
use super::lockstep::LruLockstep;
use super::show::SECOND;
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// Every entry of this stage lives an hour; the clock never passes a second.
const HOUR: u64 = 3_600 * SECOND;

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let c = |capacity| LruLockstep::new((s.lru)(capacity), capacity, false);
    // The lesson's example: capacity 2, put a, b; get a; put c → b goes.
    let (a, b, x) = (1, 2, 3);
    let mut l = c(2);
    l.put(a, 10, 0, HOUR)?;
    l.put(b, 20, 1, HOUR)?;
    l.get(a, 2)?;
    l.put(x, 30, 3, HOUR)?;
    l.get(b, 4)?;
    l.get(a, 5)?;
    l.get(x, 6)?;
    // A get that misses refreshes nothing.
    let mut l = c(2);
    l.put(a, 10, 0, HOUR)?;
    l.put(b, 20, 1, HOUR)?;
    l.get(x, 2)?;
    l.get(99, 3)?;
    l.put(x, 30, 4, HOUR)?;
    l.get(a, 5)?;
    // A put that replaces a value makes the key the most recent and evicts nothing.
    let mut l = c(2);
    l.put(a, 10, 0, HOUR)?;
    l.put(b, 20, 1, HOUR)?;
    l.put(a, 11, 2, HOUR)?;
    l.put(x, 30, 3, HOUR)?;
    l.get(a, 4)?;
    l.get(b, 5)?;
    // A remove frees a place: the next put evicts nothing.
    let mut l = c(2);
    l.put(a, 10, 0, HOUR)?;
    l.put(b, 20, 1, HOUR)?;
    l.remove(a, 2)?;
    l.remove(a, 3)?;
    l.remove(x, 4)?;
    l.put(x, 30, 5, HOUR)?;
    l.get(b, 6)?;
    l.put(a, 12, 7, HOUR)?;
    // Capacity 1, keys and values at the ends of u64.
    let mut l = c(1);
    for (i, (k, v)) in [(0, u64::MAX), (u64::MAX, 0), (u64::MAX, 7), (0, 0), (1, 1), (0, 2)].into_iter().enumerate() {
        l.put(k, v, i as u64, HOUR)?;
        l.get(k, i as u64)?;
        l.get(k ^ 1, i as u64)?;
    }
    // Random sequences, capacities 1 to 1,000, keys from a pool about twice
    // the capacity (so evictions, hits and misses all happen).
    let mut rng = ctx.rng(1);
    for capacity in [1, 2, 3, 5, 16, 100, 1_000] {
        let mut l = c(capacity);
        let pool = (2 * capacity as u64).max(4);
        let keys: Vec<u64> = (0..pool)
            .map(|i| {
                if i == 0 {
                    0
                } else if i == 1 {
                    u64::MAX
                } else {
                    rng.random()
                }
            })
            .collect();
        let steps = (20 * capacity).clamp(2_000, 20_000);
        for now in 0..steps as u64 {
            let k = keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..10) {
                0..=4 => {
                    l.get(k, now)?;
                }
                5..=8 => {
                    l.put(k, rng.random(), now, HOUR)?;
                }
                _ => {
                    l.remove(k, now)?;
                }
            }
        }
    }
    largest(s)?;
    Ok(vec![])
}

/// Capacity 2^20: filled, then 256 more keys each evict the oldest, in order.
fn largest(s: Subject) -> Result<(), Failure> {
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
