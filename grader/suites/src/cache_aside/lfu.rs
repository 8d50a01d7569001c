//! Stage `lfu`: the least frequently used entry goes, ties broken by
//! recency, checked call by call against the model: capacity 1 to 1,000
//! (2^20 is checked by the `complexity` stage, once calls are O(1)), a
//! key that comes back after its eviction starting again at 1, a put that
//! replaces a value counting as a use, keys and values 0 and `u64::MAX`.

use rand::RngExt;

use super::Subject;
use super::lockstep::LfuLockstep;
use crate::harness::{Ctx, StageResult};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let c = |capacity| LfuLockstep::new((s.lfu)(capacity), capacity);
    // Least frequent goes: a used twice, b once → c evicts b.
    let mut l = c(2);
    l.put(1, 10)?;
    l.put(2, 20)?;
    l.get(1)?;
    l.put(3, 30)?;
    l.get(2)?;
    // Ties by recency: equal counts, the least recent goes.
    let mut l = c(3);
    l.put(1, 10)?;
    l.put(2, 20)?;
    l.put(3, 30)?;
    l.get(2)?;
    l.get(1)?;
    l.get(3)?;
    l.put(4, 40)?; // all at 2: 2 is the least recent
    l.get(4)?;
    l.put(5, 50)?; // 5 arrives at 1 after 4 reached 2: 4 and 1 and 3 at 2 → 1 goes
    // A newcomer is never the one evicted, even at count 1 against many.
    l.put(6, 60)?;
    l.put(7, 70)?;
    // A put that replaces a value is a use.
    let mut l = c(2);
    l.put(1, 10)?;
    l.put(2, 20)?;
    l.put(1, 11)?;
    l.put(3, 30)?;
    l.get(1)?;
    // An evicted key is forgotten: it comes back at 1.
    let mut l = c(2);
    l.put(1, 10)?;
    for _ in 0..5 {
        l.get(1)?;
    }
    l.put(2, 20)?;
    l.put(3, 30)?; // 2 goes (count 1 vs 6)
    l.put(2, 21)?; // 3 goes
    l.put(4, 40)?; // 2 goes again: it started again at 1
    // Capacity 1, keys and values at the ends of u64.
    let mut l = c(1);
    for (k, v) in [(0, u64::MAX), (u64::MAX, 0), (u64::MAX, 7), (0, 0), (1, 1)] {
        l.put(k, v)?;
        l.get(k)?;
        l.get(k ^ 1)?;
    }
    // Random sequences: skewed key choice, so counts differ and ties happen.
    let mut rng = ctx.rng(3);
    for capacity in [1, 2, 3, 5, 16, 100, 1_000] {
        let mut l = c(capacity);
        let pool = (3 * capacity).max(6);
        let keys: Vec<u64> = (0..pool).map(|i| if i == 1 { u64::MAX } else { i as u64 }).collect();
        let steps = (20 * capacity).clamp(3_000, 20_000);
        for _ in 0..steps {
            // Half the time one of the first few keys (hot), else any.
            let i = if rng.random_range(0..2) == 0 {
                rng.random_range(0..(pool / 4).max(1))
            } else {
                rng.random_range(0..pool)
            };
            let k = keys[i];
            // A third of the time a put (new or replacing), else a get and a put on a miss.
            let put = rng.random_range(0..3) == 0 || l.get(k)?.is_none();
            if put {
                l.put(k, value(&mut rng))?;
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
