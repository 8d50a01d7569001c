//! A correct token bucket, written the way most people first write one (a
//! level and the instant of the last refill), with one classic mistake
//! switched on by each Cargo feature. With no feature it passes every stage;
//! the grader's tests check that each mistake is caught by the right stage.

use std::collections::HashMap;
use std::sync::Mutex;

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Nanos};

#[derive(Debug, Clone, Copy)]
struct State {
    /// Level in units: one token is `period` units, one nanosecond `tokens`.
    level: u128,
    /// The same level in tokens, as floating point (float-drift only).
    float_level: f64,
    last: Nanos,
}

impl State {
    fn full(c: &BucketConfig, now: Nanos) -> State {
        State { level: full(c), float_level: c.capacity as f64, last: now }
    }

    fn refill(&mut self, c: &BucketConfig, now: Nanos) {
        if cfg!(feature = "float-drift") {
            let per_nano = c.refill.tokens as f64 / c.refill.period_nanos as f64;
            let elapsed = now.saturating_sub(self.last) as f64;
            self.float_level = (self.float_level + elapsed * per_nano).min(c.capacity as f64);
            self.last = self.last.max(now);
            return;
        }
        if now < self.last {
            if cfg!(feature = "backwards-clock") {
                self.last = now;
            }
            return;
        }
        let earned = u128::from(now - self.last) * u128::from(c.refill.tokens);
        if cfg!(feature = "wrong-instant") {
            // Adds whole tokens only, then forgets the fraction already earned.
            let period = u128::from(c.refill.period_nanos);
            self.level += earned / period * period;
        } else {
            self.level += earned;
        }
        if !cfg!(feature = "overfill-after-idle") {
            self.level = self.level.min(full(c));
        }
        self.last = now;
    }

    fn acquire(&mut self, c: &BucketConfig, now: Nanos, cost: u64) -> Decision {
        if cost > c.capacity && !cfg!(feature = "exceeds-as-limited") {
            return Decision::ExceedsCapacity { capacity: c.capacity };
        }
        self.refill(c, now);
        if cfg!(feature = "float-drift") {
            let per_nano = c.refill.tokens as f64 / c.refill.period_nanos as f64;
            if self.float_level >= cost as f64 {
                self.float_level -= cost as f64;
                return Decision::Allowed { remaining: self.float_level.floor() as u64 };
            }
            let wait = ((cost as f64 - self.float_level) / per_nano).ceil();
            return Decision::Limited { retry_after_nanos: wait as u64 };
        }
        let period = u128::from(c.refill.period_nanos);
        let need = u128::from(cost).saturating_mul(period);
        let enough = if cfg!(feature = "greater-than") { self.level > need } else { self.level >= need };
        if enough {
            self.level -= need;
            return Decision::Allowed { remaining: (self.level / period) as u64 };
        }
        let missing = need - self.level;
        let tokens = u128::from(c.refill.tokens);
        let wait = if cfg!(feature = "retry-rounds-down") { missing / tokens } else { missing.div_ceil(tokens) };
        Decision::Limited { retry_after_nanos: u64::try_from(wait).unwrap_or(u64::MAX) }
    }

    fn is_full(&self, c: &BucketConfig, now: Nanos) -> bool {
        let mut probe = *self;
        probe.refill(c, now);
        probe.level >= full(c)
    }
}

fn full(c: &BucketConfig) -> u128 {
    u128::from(c.capacity) * u128::from(c.refill.period_nanos)
}

/// One bucket.
#[derive(Debug)]
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

/// One mutex around one map.
#[derive(Debug)]
pub struct Limiter {
    config: BucketConfig,
    map: Mutex<Map>,
}

#[derive(Debug, Default)]
struct Map {
    buckets: HashMap<String, State>,
    sweep_at: usize,
}

impl KeyedLimiter for Limiter {
    fn new(config: BucketConfig) -> Self {
        Limiter { config, map: Mutex::new(Map { buckets: HashMap::new(), sweep_at: 1024 }) }
    }

    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision {
        let c = &self.config;
        if cfg!(feature = "racy-limiter") {
            // Read under one lock, write under another: two threads can both
            // read the same state and both spend the same token.
            let mut state = self.lock().buckets.get(key).copied().unwrap_or_else(|| State::full(c, now));
            let decision = state.acquire(c, now, cost);
            std::thread::yield_now();
            self.lock().buckets.insert(key.to_string(), state);
            return decision;
        }
        let mut map = self.lock();
        if !map.buckets.contains_key(key) && map.buckets.len() >= map.sweep_at {
            if cfg!(feature = "eager-eviction") {
                // Forgets every bucket not touched within one period, full or not.
                let period = c.refill.period_nanos;
                map.buckets.retain(|_, s| now.saturating_sub(s.last) < period);
            } else if !cfg!(feature = "unbounded-map") {
                map.buckets.retain(|_, s| !s.is_full(c, now));
            }
            map.sweep_at = (2 * map.buckets.len()).max(1024);
        }
        map.buckets.entry(key.to_string()).or_insert_with(|| State::full(c, now)).acquire(c, now, cost)
    }

    fn len(&self) -> usize {
        self.lock().buckets.len()
    }
}

impl Limiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}
