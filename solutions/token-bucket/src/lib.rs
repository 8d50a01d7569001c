//! Reference solution of the `token-bucket` exercise.
//!
//! The bucket is implemented as GCRA (the Generic Cell Rate Algorithm), which
//! is a token bucket stored as *one timestamp* instead of a level and a time:
//! the theoretical arrival time (TAT), the instant at which the bucket would
//! be full again. The lesson shows why the two are the same thing.
//!
//! All arithmetic is exact. Time is scaled by the rate's numerator so that one
//! token is exactly `period_nanos` units and one nanosecond is exactly `tokens`
//! units: a rate of 3 tokens per second never rounds 333,333,333.3 ns.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Nanos};

/// The state of one bucket, without its configuration (a keyed limiter keeps
/// the configuration once for all keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gcra {
    /// Scaled instant at which the bucket is full again. A bucket whose TAT is
    /// in the past is full.
    tat: u128,
    /// Latest `now` seen. An earlier `now` is treated as this one, so a clock
    /// that steps back cannot mint tokens.
    latest: Nanos,
}

impl Gcra {
    fn full_at(now: Nanos, config: &BucketConfig) -> Gcra {
        Gcra { tat: scaled(now, config), latest: now }
    }

    fn acquire(&mut self, config: &BucketConfig, now: Nanos, cost: u64) -> Decision {
        if cost > config.capacity {
            return Decision::ExceedsCapacity { capacity: config.capacity };
        }
        self.latest = self.latest.max(now);
        let now = scaled(self.latest, config);
        let period = u128::from(config.refill.period_nanos);
        let burst = u128::from(config.capacity) * period;
        // The TAT after this request, and how far ahead of now it would be.
        let tat = self.tat.max(now) + u128::from(cost) * period;
        let ahead = tat - now;
        if ahead <= burst {
            self.tat = tat;
            // Units left in the bucket, in whole tokens. Fits: ≤ capacity.
            Decision::Allowed { remaining: ((burst - ahead) / period) as u64 }
        } else {
            let missing = ahead - burst;
            // Each nanosecond brings `tokens` units; round the wait up.
            let wait = missing.div_ceil(u128::from(config.refill.tokens));
            Decision::Limited { retry_after_nanos: u64::try_from(wait).unwrap_or(u64::MAX) }
        }
    }

    /// A full bucket carries no information: it may be forgotten.
    fn is_full(&self, config: &BucketConfig, now: Nanos) -> bool {
        self.tat <= scaled(self.latest.max(now), config)
    }
}

/// `now` in units where one nanosecond is `tokens` units.
fn scaled(now: Nanos, config: &BucketConfig) -> u128 {
    u128::from(now) * u128::from(config.refill.tokens)
}

/// A single token bucket (GCRA, exact).
#[derive(Debug, Clone)]
pub struct TokenBucket {
    config: BucketConfig,
    state: Gcra,
}

impl Bucket for TokenBucket {
    fn new(config: BucketConfig, now: Nanos) -> Self {
        TokenBucket { config, state: Gcra::full_at(now, &config) }
    }

    fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        self.state.acquire(&self.config, now, cost)
    }
}

/// Shards of the keyed limiter: enough that two cores rarely contend on one
/// lock, few enough that the per-shard sweep floor stays small.
const SHARDS: usize = 64;

/// Per-shard floor of the sweep threshold: `SHARDS × SWEEP_FLOOR = 1024`,
/// the constant in the contract's memory bound.
const SWEEP_FLOOR: usize = 16;

/// One bucket per key, sharded by key hash; each shard is a `Mutex` around a
/// map, held for one read-decide-write, so concurrent requests for one key
/// are serialized and can never both spend the same token.
#[derive(Debug)]
pub struct Limiter {
    config: BucketConfig,
    hasher: foldhash::fast::FixedState,
    shards: Box<[Mutex<Shard>]>,
}

#[derive(Debug)]
struct Shard {
    buckets: HashMap<Box<str>, Gcra, foldhash::fast::FixedState>,
    /// Sweep full buckets out before the map grows past this.
    sweep_at: usize,
}

impl Shard {
    fn acquire(&mut self, config: &BucketConfig, key: &str, now: Nanos, cost: u64) -> Decision {
        if let Some(state) = self.buckets.get_mut(key) {
            return state.acquire(config, now, cost);
        }
        // A new key. Asking for nothing, or for too much, changes nothing:
        // answer without allocating an entry.
        let mut state = Gcra::full_at(now, config);
        let decision = state.acquire(config, now, cost);
        if state.is_full(config, now) {
            return decision;
        }
        if self.buckets.len() >= self.sweep_at {
            self.buckets.retain(|_, b| !b.is_full(config, now));
            // Amortized O(1): the next sweep waits until the map doubles.
            self.sweep_at = (2 * self.buckets.len()).max(SWEEP_FLOOR);
        }
        self.buckets.insert(key.into(), state);
        decision
    }
}

impl Limiter {
    fn shard(&self, key: &str) -> &Mutex<Shard> {
        let mut h = self.hasher.build_hasher();
        key.hash(&mut h);
        // The high bits: the map inside the shard uses the low ones.
        &self.shards[(h.finish() >> 58) as usize % SHARDS]
    }
}

impl KeyedLimiter for Limiter {
    fn new(config: BucketConfig) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    buckets: HashMap::with_hasher(foldhash::fast::FixedState::with_seed(0x5eed)),
                    sweep_at: SWEEP_FLOOR,
                })
            })
            .collect();
        Limiter { config, hasher: foldhash::fast::FixedState::with_seed(0x5ca1ab1e), shards }
    }

    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision {
        // A poisoned shard only means another request panicked mid-call; the
        // state it left is still a valid bucket state (updates are one store).
        let mut shard = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        shard.acquire(&self.config, key, now, cost)
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).buckets.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::token_bucket::Rate;

    #[test]
    fn the_lesson_example_holds() {
        let config = BucketConfig { capacity: 10, refill: Rate::per_second(4) };
        let mut b = TokenBucket::new(config, 0);
        assert_eq!(b.try_acquire(0, 10), Decision::Allowed { remaining: 0 });
        assert_eq!(b.try_acquire(249_999_999, 1), Decision::Limited { retry_after_nanos: 1 });
        assert_eq!(b.try_acquire(250_000_000, 1), Decision::Allowed { remaining: 0 });
    }

    #[test]
    fn a_new_key_that_asks_for_nothing_is_not_stored() {
        let config = BucketConfig { capacity: 10, refill: Rate::per_second(4) };
        let l = Limiter::new(config);
        assert_eq!(l.try_acquire("a", 0, 0), Decision::Allowed { remaining: 10 });
        assert_eq!(l.try_acquire("b", 0, 11), Decision::ExceedsCapacity { capacity: 10 });
        assert_eq!(l.len(), 0);
        assert_eq!(l.try_acquire("a", 0, 1), Decision::Allowed { remaining: 9 });
        assert_eq!(l.len(), 1);
    }
}
