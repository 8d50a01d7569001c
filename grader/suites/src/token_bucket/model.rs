//! The specification, executable: what every stage checks answers against.

use contracts::token_bucket::{BucketConfig, Decision, Nanos};

/// The specification, executable: a level in scaled units and the last
/// instant it was topped up. One token is `period_nanos` units; each
/// nanosecond adds `tokens` units. Everything is an exact integer.
#[derive(Debug, Clone)]
pub struct Model {
    config: BucketConfig,
    level: u128,
    last: Nanos,
}

impl Model {
    /// A full bucket at `now`.
    pub fn new(config: BucketConfig, now: Nanos) -> Model {
        Model { config, level: Self::full(config), last: now }
    }

    fn full(c: BucketConfig) -> u128 {
        u128::from(c.capacity) * u128::from(c.refill.period_nanos)
    }

    /// The contract's answer.
    pub fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        let c = self.config;
        if cost > c.capacity {
            return Decision::ExceedsCapacity { capacity: c.capacity };
        }
        if now > self.last {
            let earned = u128::from(now - self.last) * u128::from(c.refill.tokens);
            self.level = (self.level + earned).min(Self::full(c));
            self.last = now;
        }
        let need = u128::from(cost) * u128::from(c.refill.period_nanos);
        if self.level >= need {
            self.level -= need;
            Decision::Allowed { remaining: (self.level / u128::from(c.refill.period_nanos)) as u64 }
        } else {
            // The tokens are there at `last + ceil(missing / tokens)`; the
            // wait is measured from the caller's `now`, which is earlier than
            // `last` when the clock stepped back.
            let refill = (need - self.level).div_ceil(u128::from(c.refill.tokens));
            let wait = refill + u128::from(self.last - now.min(self.last));
            Decision::Limited { retry_after_nanos: u64::try_from(wait).unwrap_or(u64::MAX) }
        }
    }

    /// The latest instant this bucket has seen.
    pub fn latest(&self) -> Nanos {
        self.last
    }

    /// Nanoseconds from the latest instant seen until the bucket is full.
    pub fn time_to_full(&self) -> u64 {
        let missing = Self::full(self.config) - self.level;
        u64::try_from(missing.div_ceil(u128::from(self.config.refill.tokens))).unwrap_or(u64::MAX)
    }
}
