//! A correct token bucket, written the way most people first write one (a
//! level and the instant of the last refill), with one classic mistake
//! switched on by each Cargo feature. With no feature it passes every stage;
//! the grader's tests check that each mistake is caught by the right stage.
//! Each mistake is marked `MISTAKE` where it is made.

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
        let earned = mul(now - self.last, c.refill.tokens);
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
        let need = mul(cost, c.refill.period_nanos);
        let enough = if cfg!(feature = "greater-than") { self.level > need } else { self.level >= need };
        if enough {
            self.level -= need;
            return Decision::Allowed { remaining: (self.level / period) as u64 };
        }
        let missing = need - self.level;
        let tokens = u128::from(c.refill.tokens);
        let mut wait = if cfg!(feature = "retry-rounds-down") { missing / tokens } else { missing.div_ceil(tokens) };
        // The tokens are there at `last + wait`; measured from the caller's
        // `now`, which is behind `last` after the clock stepped back.
        // MISTAKE (retry-from-last): measures from the latest instant seen.
        if !cfg!(feature = "retry-from-last") {
            wait += u128::from(self.last - now.min(self.last));
        }
        Decision::Limited { retry_after_nanos: u64::try_from(wait).unwrap_or(u64::MAX) }
    }

    fn is_full(&self, c: &BucketConfig, now: Nanos) -> bool {
        let mut probe = *self;
        probe.refill(c, now);
        probe.level >= full(c)
    }
}

fn full(c: &BucketConfig) -> u128 {
    mul(c.capacity, c.refill.period_nanos)
}

/// `a × b`, exactly in u128.
/// MISTAKE (u64-overflow): "a u64 holds 584 years of nanoseconds", so the
/// products are taken in u64, which wraps silently in a release build once
/// `capacity × period` or `elapsed × tokens` passes 2^64.
fn mul(a: u64, b: u64) -> u128 {
    if cfg!(feature = "u64-overflow") { u128::from(a.wrapping_mul(b)) } else { u128::from(a) * u128::from(b) }
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
        let normalized;
        let key = if cfg!(feature = "key-normalized") {
            // MISTAKE (key-normalized): "tidies" client keys, so `ALICE`,
            // `alice` and `alice ` share one bucket; keys are bytes.
            normalized = key.trim().to_lowercase();
            normalized.as_str()
        } else {
            key
        };
        if cfg!(feature = "racy-limiter") {
            // Read under one lock, write under another: two threads can both
            // read the same state and both spend the same token.
            let mut state = self.lock().buckets.get(key).copied().unwrap_or_else(|| State::full(c, now));
            let decision = state.acquire(c, now, cost);
            std::thread::yield_now();
            self.lock().buckets.insert(key.to_string(), state);
            return decision;
        }
        if cfg!(feature = "first-use-race") {
            // MISTAKE (first-use-race): a new key's bucket is made outside the
            // lock and inserted afterwards; two threads that both found the key
            // missing both hand it a full bucket (a double burst).
            if let Some(state) = self.lock().buckets.get_mut(key) {
                return state.acquire(c, now, cost);
            }
            let mut state = State::full(c, now);
            let decision = state.acquire(c, now, cost);
            // The window between the miss and the insert, widened as a slower
            // insert path (an upgrade from a read lock, a second hash) widens
            // it, so that the project's tests see the race on every run.
            std::thread::yield_now();
            let mut map = self.lock();
            map.sweep(c, now);
            map.buckets.insert(key.to_string(), state);
            return decision;
        }
        let mut map = self.lock();
        if cfg!(feature = "sweep-every-call") {
            // MISTAKE (sweep-every-call): correct, but O(n) on every call.
            map.buckets.retain(|_, s| !s.is_full(c, now));
        }
        if let Some(state) = map.buckets.get_mut(key) {
            return state.acquire(c, now, cost);
        }
        if cfg!(feature = "lru-cap") && map.buckets.len() >= LRU_CAP {
            // MISTAKE (lru-cap): a safety cap that evicts the least recently
            // used key when the map is full, whether its bucket is full or not.
            let oldest = map.buckets.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                map.buckets.remove(&oldest);
            }
        }
        if cfg!(feature = "eager-eviction") && map.buckets.len() >= map.sweep_at {
            // MISTAKE (eager-eviction): forgets every bucket not touched
            // within one period, full or not.
            let period = c.refill.period_nanos;
            map.buckets.retain(|_, s| now.saturating_sub(s.last) < period);
            map.sweep_at = (2 * map.buckets.len()).max(1024);
        } else if !cfg!(feature = "unbounded-map") {
            // MISTAKE (unbounded-map) when skipped: never forgets a key.
            map.sweep(c, now);
        }
        let mut state = State::full(c, now);
        let decision = state.acquire(c, now, cost);
        map.buckets.insert(key.to_string(), state);
        decision
    }

    fn len(&self) -> usize {
        self.lock().buckets.len()
    }
}

/// The lru-cap mistake's size cap.
const LRU_CAP: usize = 4096;

impl Map {
    /// Sweeps full buckets out once the map has doubled since the last sweep.
    fn sweep(&mut self, c: &BucketConfig, now: Nanos) {
        if self.buckets.len() >= self.sweep_at {
            self.buckets.retain(|_, s| !s.is_full(c, now));
            self.sweep_at = (2 * self.buckets.len()).max(1024);
        }
    }
}

impl Limiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}
