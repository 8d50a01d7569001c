//! Stage `ttl`: an entry is alive while `t < put's now + ttl` and never
//! returned after, to the nanosecond; a hit does not extend its life; a full
//! cache evicts an expired entry before any live one; `len()` stays within
//! its bounds while entries expire. At the edges: `ttl` 1 and 2^62 at `now`
//! 2^62, instants that go backwards, capacity 1.

use contracts::cache_aside::{MAX_NOW, Nanos};
use grader_protocol::Failure;
use rand::RngExt;

use super::Subject;
use super::lockstep::LruLockstep;
use super::show::{MS, SECOND, t};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let c = |capacity| LruLockstep::new((s.lru)(capacity), capacity, true);
    boundaries(s)?;
    // A hit does not extend a life; a put replaces the expiry (shorter too).
    let mut l = c(4);
    l.put(1, 10, 0, 10 * MS)?;
    l.get(1, 9 * MS)?;
    l.get(1, 10 * MS - 1)?;
    l.get(1, 10 * MS)?;
    l.put(2, 20, 20 * MS, SECOND)?;
    l.put(2, 21, 30 * MS, MS)?;
    l.get(2, 31 * MS - 1)?;
    l.get(2, 31 * MS)?;
    // Instants may go backwards: aliveness is about the asking call's now.
    let mut l = c(4);
    l.put(5, 50, SECOND, SECOND)?;
    l.get(5, 2 * SECOND - 1)?;
    l.get(5, 0)?;
    l.get(5, SECOND + 1)?;
    l.remove(5, SECOND / 2)?;
    l.put(6, 60, 5 * SECOND, SECOND)?;
    l.remove(6, 7 * SECOND)?;
    l.get(6, 5 * SECOND)?;
    // A full cache holding an expired entry evicts it, even when it is the
    // most recently used one and the least recent is alive.
    let mut l = c(4);
    l.put(1, 10, 0, SECOND)?;
    l.put(2, 20, 1, SECOND)?;
    l.put(3, 30, 2, SECOND)?;
    l.put(4, 40, 3, MS)?;
    l.get(4, 4)?;
    l.put(5, 50, 2 * MS, SECOND)?;
    l.get(1, 2 * MS)?;
    l.get(2, 2 * MS)?;
    l.get(3, 2 * MS)?;
    // Capacity 1: the one entry expires, a new key takes its place.
    let mut l = c(1);
    l.put(7, 70, 0, 1)?;
    l.get(7, 0)?;
    l.get(7, 1)?;
    l.put(8, 80, 1, 1)?;
    l.put(7, 71, 5, MAX_NOW)?;
    l.get(7, MAX_NOW)?;
    // A whole cache expires at once, then fills again: len() never above
    // capacity, never below the live entries.
    let mut l = c(64);
    for k in 0..64 {
        l.put(k, k, k, SECOND)?;
    }
    for k in 64..200 {
        l.put(k, k, 2 * SECOND + k, SECOND)?;
        l.len(2 * SECOND + k)?;
    }
    // Random sequences: a clock that moves forward by varying steps, ttls
    // from 1 ns to 2^62, capacities 1 to 500.
    let mut rng = ctx.rng(2);
    for capacity in [1, 2, 3, 8, 50, 500] {
        let mut l = c(capacity);
        let pool = (2 * capacity as u64).max(4);
        let keys: Vec<u64> = (0..pool).map(|i| if i == 1 { u64::MAX } else { i }).collect();
        let mut now: Nanos = rng.random_range(0..1 << 40);
        let steps = (20 * capacity).clamp(3_000, 10_000);
        for _ in 0..steps {
            now += match rng.random_range(0..10) {
                0..=5 => 0,
                6..=8 => rng.random_range(1..1_000),
                _ => rng.random_range(1..MS),
            };
            let k = keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..10) {
                0..=4 => {
                    l.get(k, now)?;
                }
                5..=8 => {
                    let ttl = match rng.random_range(0..8) {
                        0 => 1,
                        1 => MAX_NOW,
                        2 => rng.random_range(1..10),
                        3..=5 => rng.random_range(1..10_000),
                        _ => rng.random_range(1..10 * MS),
                    };
                    l.put(k, value(&mut rng), now, ttl)?;
                }
                _ => {
                    l.remove(k, now)?;
                }
            }
        }
    }
    Ok(vec![])
}

/// The exact boundary, for ttls of 1 ns to 2^62 and `now` up to 2^62.
fn boundaries(s: Subject) -> Result<(), Failure> {
    let hint = "An entry put at now with ttl is alive at t while t < now + ttl: at now + ttl - 1 it is returned, at now + ttl it is not (compare with <, never <=; u64 holds now + ttl up to 2^63).";
    for (now, ttl) in [
        (0, 1),
        (0, 2),
        (1_000, 1),
        (5 * SECOND, 250 * MS),
        (123_456_789, 999_983),
        (0, MAX_NOW),
        (MAX_NOW, 1),
        (MAX_NOW, MAX_NOW),
        (MAX_NOW - 1, 3),
    ] {
        let expires = now + ttl;
        for (at, alive) in [(now, true), (expires - 1, true), (expires, false), (expires + 1, false)] {
            let mut cache = (s.lru)(2);
            cache.put(42, 4_242, now, ttl);
            let got = cache.get(42, at);
            let want = alive.then_some(4_242);
            ensure(got == want, || {
                fail(
                    format!(
                        "An LruCache of capacity 2: put(42, 4242) at now = {now} with ttl {} (expires at {expires}), then get(42) at t = {at}{}:",
                        t(ttl),
                        match at.cmp(&expires) {
                            std::cmp::Ordering::Less => format!(", {} before the expiry", t(expires - at)),
                            std::cmp::Ordering::Equal => ", the expiry instant itself".into(),
                            std::cmp::Ordering::Greater => format!(", {} after the expiry", t(at - expires)),
                        }
                    ),
                    if alive { "Some(4242): still alive".to_string() } else { "None: expired".to_string() },
                    format!("{got:?}"),
                )
                .hint(hint)
            })?;
        }
    }
    Ok(())
}

/// A value for a random put: small (readable in a failure), now and then
/// the largest.
fn value(rng: &mut impl rand::Rng) -> u64 {
    if rng.random_range(0..50) == 0 { u64::MAX } else { rng.random_range(0..1_000) }
}
