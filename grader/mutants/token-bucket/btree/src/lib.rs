//! A second control: a correct implementation that a learner could well
//! write, and that an earlier speed grade (measured against the tuned
//! reference) failed in 4 runs of 4. Buckets are GCRA (one theoretical
//! arrival time, exact in `u128`); the keyed limiter is one `Mutex` around a
//! `BTreeMap<String, _>`, O(log n) per call, swept of full buckets when it
//! has doubled. It must pass every stage, benchmarks included, on every run.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Nanos};

/// One bucket as GCRA: the scaled instant at which it is full again, and
/// the latest `now` seen.
#[derive(Debug, Clone, Copy)]
struct Gcra {
    tat: u128,
    latest: Nanos,
}

fn scaled(now: Nanos, c: &BucketConfig) -> u128 {
    u128::from(now) * u128::from(c.refill.tokens)
}

impl Gcra {
    fn new(c: &BucketConfig, now: Nanos) -> Gcra {
        Gcra { tat: scaled(now, c), latest: now }
    }

    fn acquire(&mut self, c: &BucketConfig, now: Nanos, cost: u64) -> Decision {
        if cost > c.capacity {
            return Decision::ExceedsCapacity { capacity: c.capacity };
        }
        let behind = self.latest.saturating_sub(now);
        self.latest = self.latest.max(now);
        let at = scaled(self.latest, c);
        let period = u128::from(c.refill.period_nanos);
        let burst = u128::from(c.capacity) * period;
        let tat = self.tat.max(at) + u128::from(cost) * period;
        if tat - at <= burst {
            self.tat = tat;
            let left = (burst - (tat - at)) / period;
            return Decision::Allowed { remaining: u64::try_from(left).unwrap_or(u64::MAX) };
        }
        let wait = (tat - at - burst).div_ceil(u128::from(c.refill.tokens)) + u128::from(behind);
        Decision::Limited { retry_after_nanos: u64::try_from(wait).unwrap_or(u64::MAX) }
    }

    fn is_full(&self, c: &BucketConfig, now: Nanos) -> bool {
        self.tat <= scaled(self.latest.max(now), c)
    }
}

/// One bucket.
#[derive(Debug)]
pub struct TokenBucket {
    config: BucketConfig,
    state: Gcra,
}

impl Bucket for TokenBucket {
    fn new(config: BucketConfig, now: Nanos) -> Self {
        TokenBucket { config, state: Gcra::new(&config, now) }
    }

    fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        self.state.acquire(&self.config, now, cost)
    }
}

/// One lock around one ordered map.
#[derive(Debug)]
pub struct Limiter {
    config: BucketConfig,
    map: Mutex<(BTreeMap<String, Gcra>, usize)>,
}

impl Limiter {
    fn lock(&self) -> MutexGuard<'_, (BTreeMap<String, Gcra>, usize)> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyedLimiter for Limiter {
    fn new(config: BucketConfig) -> Self {
        Limiter { config, map: Mutex::new((BTreeMap::new(), 1024)) }
    }

    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision {
        let c = &self.config;
        let mut guard = self.lock();
        let (map, sweep_at) = &mut *guard;
        if let Some(state) = map.get_mut(key) {
            return state.acquire(c, now, cost);
        }
        if map.len() >= *sweep_at {
            map.retain(|_, s| !s.is_full(c, now));
            *sweep_at = (2 * map.len()).max(1024);
        }
        let mut state = Gcra::new(c, now);
        let decision = state.acquire(c, now, cost);
        map.insert(key.to_owned(), state);
        decision
    }

    fn len(&self) -> usize {
        self.lock().0.len()
    }
}
