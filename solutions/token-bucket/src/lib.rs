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

use std::hash::BuildHasher;
use std::sync::Mutex;

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Nanos};
use hashbrown::HashTable;

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
        // A `now` behind the latest instant seen is that instant (no time
        // passed); the wait is still measured from the caller's `now`.
        let behind = self.latest.saturating_sub(now);
        self.latest = self.latest.max(now);
        let now = scaled(self.latest, config);
        let period = config.refill.period_nanos;
        let burst = u128::from(config.capacity) * u128::from(period);
        // The TAT after this request, and how far ahead of now it would be.
        let tat = self.tat.max(now) + u128::from(cost) * u128::from(period);
        let ahead = tat - now;
        if ahead <= burst {
            self.tat = tat;
            // Units left in the bucket, in whole tokens. Fits: ≤ capacity.
            Decision::Allowed { remaining: div(burst - ahead, period) as u64 }
        } else {
            let missing = ahead - burst;
            // Each nanosecond brings `tokens` units; round the wait up.
            let wait = div_ceil(missing, config.refill.tokens) + u128::from(behind);
            // Fits: at most 2^62 + 2^63 within the contract's envelope.
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

/// `n / d` rounded down: exactly `n / u128::from(d)`, only faster.
///
/// Rust's `u128 / u128` is a call into a software routine that must handle
/// any 128-bit divisor. The numbers divided here (tokens left, or tokens
/// missing, in units) never exceed `capacity × period_nanos`, which fits in 64
/// bits for any bucket short of the suites' extremes; then a single 64-bit
/// division instruction gives the same answer. Above that, the `u128`
/// division still runs.
fn div(n: u128, d: u64) -> u128 {
    match u64::try_from(n) {
        Ok(n) => u128::from(n / d),
        Err(_) => n / u128::from(d),
    }
}

/// `n / d` rounded up, with the same shortcut as [`div`].
fn div_ceil(n: u128, d: u64) -> u128 {
    match u64::try_from(n) {
        Ok(n) => u128::from(n.div_ceil(d)),
        Err(_) => n.div_ceil(u128::from(d)),
    }
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
/// hash table, held for one read-decide-write, so concurrent requests for one
/// key are serialized and can never both spend the same token.
///
/// The key is hashed once, before taking the lock, and that one hash both
/// picks the shard and finds the key in the shard's table: a `std` `HashMap`
/// would hash the key again under the lock (and once more to insert it),
/// while `hashbrown`'s `HashTable` takes the hash as an argument.
#[derive(Debug)]
pub struct Limiter {
    config: BucketConfig,
    hasher: foldhash::fast::FixedState,
    shards: Box<[Mutex<Shard>]>,
}

#[derive(Debug)]
struct Shard {
    buckets: HashTable<(Box<str>, Gcra)>,
    /// Sweep full buckets out before the table grows past this.
    sweep_at: usize,
}

impl Shard {
    fn acquire(&mut self, limiter: &Limiter, key: &str, hash: u64, now: Nanos, cost: u64) -> Decision {
        let config = &limiter.config;
        if let Some((_, state)) = self.buckets.find_mut(hash, |(k, _)| **k == *key) {
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
            self.buckets.retain(|(_, b)| !b.is_full(config, now));
            // Amortized O(1): the next sweep waits until the table doubles.
            self.sweep_at = (2 * self.buckets.len()).max(SWEEP_FLOOR);
        }
        // Growing the table moves entries, and needs their hashes again.
        self.buckets.insert_unique(hash, (key.into(), state), |(k, _)| limiter.locate(k).1);
        decision
    }
}

impl Limiter {
    /// The key's shard, and the hash the shard's table knows the key by.
    fn locate(&self, key: &str) -> (usize, u64) {
        let hash = self.hasher.hash_one(key);
        // The top 6 bits pick the shard, so all the keys of a shard share
        // them. The table takes the low bits for the slot and the top 7 as a
        // tag that tells keys apart, so it gets the hash with its halves
        // swapped: the shared bits land in the middle, which the slot only
        // reaches once one shard holds some 2^26 keys.
        ((hash >> 58) as usize % SHARDS, hash.rotate_left(32))
    }
}

impl KeyedLimiter for Limiter {
    fn new(config: BucketConfig) -> Self {
        let shards =
            (0..SHARDS).map(|_| Mutex::new(Shard { buckets: HashTable::new(), sweep_at: SWEEP_FLOOR })).collect();
        Limiter { config, hasher: foldhash::fast::FixedState::with_seed(0x5ca1ab1e), shards }
    }

    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision {
        let (shard, hash) = self.locate(key);
        let shard = &self.shards[shard];
        // A poisoned shard only means another request panicked mid-call; the
        // state it left is still a valid bucket state (updates are one store).
        let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
        shard.acquire(self, key, hash, now, cost)
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
    fn retry_after_a_backwards_step_counts_from_the_callers_now() {
        let config = BucketConfig { capacity: 10, refill: Rate::per_second(4) };
        let s = 1_000_000_000;
        let mut b = TokenBucket::new(config, 0);
        assert_eq!(b.try_acquire(100 * s, 10), Decision::Allowed { remaining: 0 });
        // Last saw t=100s; the token is there at t=100.25s, 60.25s after t=40s.
        assert_eq!(b.try_acquire(40 * s, 1), Decision::Limited { retry_after_nanos: 60 * s + s / 4 });
        assert_eq!(b.try_acquire(100 * s + s / 4 - 1, 1), Decision::Limited { retry_after_nanos: 1 });
        assert_eq!(b.try_acquire(100 * s + s / 4, 1), Decision::Allowed { remaining: 0 });
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
