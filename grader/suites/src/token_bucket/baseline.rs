//! The plain idiomatic token bucket the benchmarks grade speed against.
//!
//! This is the yardstick of the `benchmarks` stage: correct, and written the
//! way a careful engineer writes it the first time, with nothing tuned. A
//! bucket is a level and the instant of its last refill, in exact `u128`
//! units; the keyed limiter is one `Mutex` around a `std` `HashMap` keyed by
//! `String`, swept of full buckets whenever it has doubled since the last
//! sweep. A learner's code passes the speed figures when it is at least
//! [`SPEED_THRESHOLD`](crate::bench::SPEED_THRESHOLD) times as fast as this; the tuned reference (GCRA, 64 shards, a
//! hash-once table) is shown beside it as a stretch goal, not graded.
//!
//! It passes every stage of the suite (the `control` crate in
//! `grader/mutants/token-bucket` re-exports it, and the project's tests grade
//! it like any learner's crate).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Nanos};

/// A bucket's state without its configuration.
#[derive(Debug, Clone, Copy)]
struct State {
    /// Tokens held, in units: one token is `period_nanos` units, one
    /// nanosecond of refill is `tokens` units.
    level: u128,
    /// The latest instant seen.
    last: Nanos,
}

fn full(c: &BucketConfig) -> u128 {
    u128::from(c.capacity) * u128::from(c.refill.period_nanos)
}

impl State {
    fn full(c: &BucketConfig, now: Nanos) -> State {
        State { level: full(c), last: now }
    }

    /// The level at `now` (no earlier than the latest instant seen).
    fn level_at(&self, c: &BucketConfig, now: Nanos) -> u128 {
        let elapsed = now.saturating_sub(self.last);
        (self.level + u128::from(elapsed) * u128::from(c.refill.tokens)).min(full(c))
    }

    fn acquire(&mut self, c: &BucketConfig, now: Nanos, cost: u64) -> Decision {
        if cost > c.capacity {
            return Decision::ExceedsCapacity { capacity: c.capacity };
        }
        self.level = self.level_at(c, now);
        self.last = self.last.max(now);
        let period = u128::from(c.refill.period_nanos);
        let need = u128::from(cost) * period;
        if self.level >= need {
            self.level -= need;
            return Decision::Allowed { remaining: u64::try_from(self.level / period).unwrap_or(u64::MAX) };
        }
        // The tokens are there at `last + refill`; the wait counts from `now`.
        let refill = (need - self.level).div_ceil(u128::from(c.refill.tokens));
        let wait = refill + u128::from(self.last - now.min(self.last));
        Decision::Limited { retry_after_nanos: u64::try_from(wait).unwrap_or(u64::MAX) }
    }

    fn is_full(&self, c: &BucketConfig, now: Nanos) -> bool {
        self.level_at(c, now) == full(c)
    }
}

/// One bucket: a level and the instant of the last refill.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    config: BucketConfig,
    state: State,
}

impl Bucket for TokenBucket {
    fn new(config: BucketConfig, now: Nanos) -> Self {
        TokenBucket { config, state: State::full(&config, now) }
    }

    fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        self.state.acquire(&self.config, now, cost)
    }
}

/// One `Mutex` around one `HashMap<String, State>`.
#[derive(Debug)]
pub struct Limiter {
    config: BucketConfig,
    map: Mutex<Map>,
}

#[derive(Debug)]
struct Map {
    buckets: HashMap<String, State>,
    /// Sweep full buckets out before the map grows past this.
    sweep_at: usize,
}

/// The floor of the sweep threshold: the 1024 of the contract's memory bound.
const SWEEP_FLOOR: usize = 1024;

impl Limiter {
    fn lock(&self) -> MutexGuard<'_, Map> {
        // A panic elsewhere cannot leave a half-written state: updates are one store.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyedLimiter for Limiter {
    fn new(config: BucketConfig) -> Self {
        Limiter { config, map: Mutex::new(Map { buckets: HashMap::new(), sweep_at: SWEEP_FLOOR }) }
    }

    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision {
        let c = &self.config;
        let mut map = self.lock();
        if let Some(state) = map.buckets.get_mut(key) {
            return state.acquire(c, now, cost);
        }
        if map.buckets.len() >= map.sweep_at {
            map.buckets.retain(|_, s| !s.is_full(c, now));
            // Amortized O(1): the next sweep waits until the map has doubled.
            map.sweep_at = (2 * map.buckets.len()).max(SWEEP_FLOOR);
        }
        let mut state = State::full(c, now);
        let decision = state.acquire(c, now, cost);
        map.buckets.insert(key.to_owned(), state);
        decision
    }

    fn len(&self) -> usize {
        self.lock().buckets.len()
    }
}
