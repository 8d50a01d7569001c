//! Stage `lru`: least recently used eviction, checked call by call against
//! the model, with nothing ever expiring (every entry lives an hour and the
//! clock stays in its first second): capacity 1 to 1,000 (2^20 is checked by
//! the `complexity` stage, once the calls are known to be O(1)), the lesson's
//! capacity-2 example, a get that misses moving nothing, a put that replaces
//! a value, a remove that frees a place, keys and values 0 and `u64::MAX`.

use rand::RngExt;

use super::Subject;
use super::lockstep::LruLockstep;
use super::show::SECOND;
use crate::harness::{Ctx, StageResult};

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
        let keys: Vec<u64> = (0..pool).map(|i| if i == 1 { u64::MAX } else { i }).collect();
        let steps = (20 * capacity).clamp(2_000, 20_000);
        for now in 0..steps as u64 {
            let k = keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..10) {
                0..=4 => {
                    l.get(k, now)?;
                }
                5..=8 => {
                    l.put(k, value(&mut rng), now, HOUR)?;
                }
                _ => {
                    l.remove(k, now)?;
                }
            }
        }
    }
    Ok(vec![])
}

/// A value for a random put: small (readable in a failure), now and then
/// the largest.
fn value(rng: &mut impl rand::Rng) -> u64 {
    if rng.random_range(0..50) == 0 { u64::MAX } else { rng.random_range(0..1_000) }
}
