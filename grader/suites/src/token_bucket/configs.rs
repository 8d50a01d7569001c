//! Configurations, instants and units the stages share: the edges of the
//! contract's envelope, and random configurations within it.

use contracts::token_bucket::{BucketConfig, DisplayNanos, MAX_NOW, Nanos, Rate};
use rand::{Rng, RngExt};

/// Nanoseconds an empty bucket takes to refill: at most 2^62 in the envelope.
pub(super) fn refill_time(c: BucketConfig) -> u64 {
    let full = u128::from(c.capacity) * u128::from(c.refill.period_nanos);
    u64::try_from(full.div_ceil(u128::from(c.refill.tokens))).unwrap_or(u64::MAX)
}

pub(super) fn cfg(capacity: u64, tokens: u64, period_nanos: u64) -> BucketConfig {
    BucketConfig { capacity, refill: Rate::new(tokens, period_nanos) }
}

pub(super) const SECOND: u64 = 1_000_000_000;

pub(super) const MS: u64 = 1_000_000;

pub(super) fn t(n: Nanos) -> DisplayNanos {
    DisplayNanos(n)
}

/// A random configuration within the contract's bounds, biased to awkward
/// rates (periods that tokens do not divide).
pub(super) fn random_config(rng: &mut impl Rng) -> BucketConfig {
    random_config_from(rng, 1)
}

/// Like [`random_config`], with at least `min_capacity` tokens.
pub(super) fn random_config_from(rng: &mut impl Rng, min_capacity: u64) -> BucketConfig {
    let capacities = [1, 2, 3, 7, 10, 100, 1000].map(|c: u64| c.max(min_capacity));
    let capacity = capacities[rng.random_range(0..capacities.len())];
    let tokens = rng.random_range(1..=12);
    let period = *[SECOND, 7 * MS, 999_983, 3 * SECOND, 60 * SECOND].get(rng.random_range(0..5)).unwrap_or(&SECOND);
    cfg(capacity, tokens, period)
}

/// Configurations at the limits of the contract's envelope, where
/// `capacity × period_nanos` and `now × tokens` no longer fit a `u64`. None
/// refills in less than a few nanoseconds per token, so a bucket can be kept
/// from filling up (fullness is the topic of the clock-skew stage).
pub(super) fn envelope_configs() -> [BucketConfig; 6] {
    [
        cfg(1 << 32, 1 << 32, 1 << 40), // capacity × period = 2^72
        cfg(1 << 22, 1, 1 << 40),       // an empty bucket refills in 2^62 ns
        cfg(1 << 32, 1, 1 << 30),       // capacity × period = 2^62, refills in 2^62 ns
        cfg(7, 1 << 32, (1 << 40) - 1), // 2^32 tokens per almost 2^40 ns
        cfg(1, 1, 1 << 40),             // capacity 1, the slowest rate
        cfg(1, 1 << 32, 1 << 40),       // capacity 1, a token every 256 ns
    ]
}

/// Where a sequence near the top of the clock starts: late enough that
/// `now × tokens` needs 95 bits, early enough that every instant of a
/// sequence lasting at most `span` stays at or below [`MAX_NOW`].
pub(super) fn late_start(span: u64) -> Nanos {
    MAX_NOW - span.min(MAX_NOW)
}
