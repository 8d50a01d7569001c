//! Contract of the `token-bucket` exercise (lesson: rate limiting).
//!
//! # The model
//!
//! A bucket holds up to [`BucketConfig::capacity`] tokens and starts full.
//! Tokens drip back in at a fixed [`Rate`]: `tokens` every `period_nanos`
//! nanoseconds, continuously, so a rate of 4 per second yields exactly one token
//! every 250 ms and a rate of 1 per 3 s yields a token every 3 s. A request
//! costs some number of tokens: if that many are in the bucket it is allowed and
//! they are removed; otherwise it is limited and nothing is removed.
//!
//! Time is a [`Nanos`] value handed in by the caller: nanoseconds on a monotonic
//! clock whose origin means nothing. Your code never reads a clock itself.
//!
//! # Exactness
//!
//! Answers are exact, in integers. After `t` nanoseconds of refill a bucket has
//! regained `floor(t × tokens / period_nanos)` tokens (never more than fits), and
//! the fraction of a token already earned is kept, not lost, when a request
//! arrives between two whole tokens. A million small refills must add up to
//! exactly what one big refill over the same time would.

use std::fmt;

/// Nanoseconds on a monotonic clock chosen by the caller.
///
/// Only differences between two values mean anything. A caller may hand you a
/// value *smaller* than one it handed you before (clocks on different threads,
/// a clock that was reset): treat that as "no time has passed".
pub type Nanos = u64;

/// A refill rate: `tokens` tokens every `period_nanos` nanoseconds.
///
/// Keeping the rate as a fraction is what makes exact arithmetic possible:
/// 3 tokens per second is `Rate { tokens: 3, period_nanos: 1_000_000_000 }`,
/// with no rounding of 333,333,333.33 ns per token anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Tokens added per period. At least 1.
    pub tokens: u64,
    /// Length of the period in nanoseconds. At least 1.
    pub period_nanos: u64,
}

impl Rate {
    /// `tokens` per second.
    pub const fn per_second(tokens: u64) -> Rate {
        Rate { tokens, period_nanos: 1_000_000_000 }
    }

    /// `tokens` every `period_nanos` nanoseconds.
    pub const fn new(tokens: u64, period_nanos: u64) -> Rate {
        Rate { tokens, period_nanos }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} tokens per {}", self.tokens, DisplayNanos(self.period_nanos))
    }
}

/// The shape of a bucket.
///
/// Suites only build configurations with `1 ≤ capacity ≤ 2^32`,
/// `1 ≤ tokens ≤ 2^32` and `1 ≤ period_nanos ≤ 2^40` (about 18 minutes), so
/// `capacity × period_nanos` and `now × tokens` fit comfortably in a `u128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketConfig {
    /// Most tokens the bucket can hold; also the largest burst it allows.
    pub capacity: u64,
    /// How fast spent tokens come back.
    pub refill: Rate,
}

impl fmt::Display for BucketConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "capacity {}, refill {}", self.capacity, self.refill)
    }
}

/// The answer to a request for tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The tokens were taken. `remaining` whole tokens are left in the bucket.
    Allowed {
        /// Whole tokens left after this request.
        remaining: u64,
    },
    /// Not enough tokens now; nothing was taken. The same request is allowed
    /// if it arrives `retry_after_nanos` later (and nothing else spends tokens
    /// meanwhile), and not one nanosecond earlier. This is the value an HTTP
    /// gateway sends back, rounded up, in a `Retry-After` header with its 429.
    Limited {
        /// Exact wait, in nanoseconds, until this request would be allowed.
        retry_after_nanos: u64,
    },
    /// The request costs more than the bucket can ever hold, so waiting would
    /// not help: a client must be told "never", not "retry later".
    ExceedsCapacity {
        /// The bucket's capacity, for the error message.
        capacity: u64,
    },
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allowed { remaining } => write!(f, "allowed ({remaining} tokens left)"),
            Decision::Limited { retry_after_nanos } => {
                write!(f, "limited, retry after {}", DisplayNanos(*retry_after_nanos))
            }
            Decision::ExceedsCapacity { capacity } => {
                write!(f, "exceeds capacity (capacity is {capacity})")
            }
        }
    }
}

/// One token bucket, owned by one caller (`&mut self`).
pub trait Bucket {
    /// A full bucket with this configuration, created at time `now`.
    fn new(config: BucketConfig, now: Nanos) -> Self
    where
        Self: Sized;

    /// Ask for `cost` tokens at time `now`.
    ///
    /// - `cost > capacity`: [`Decision::ExceedsCapacity`]; nothing changes.
    /// - enough tokens (including exactly enough): take them, answer
    ///   [`Decision::Allowed`] with the whole tokens left.
    /// - otherwise: take nothing, answer [`Decision::Limited`] with the exact
    ///   number of nanoseconds until `cost` tokens will be there.
    ///
    /// A `cost` of 0 is always allowed and changes nothing. A `now` earlier
    /// than one seen before adds no tokens (time never runs backwards for a
    /// bucket), and a bucket never holds more than `capacity`, however long it
    /// sits idle.
    fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision;
}

/// Many buckets, one per client key, shared by every thread of a server.
///
/// Every key behaves exactly like its own [`Bucket`] created full the first
/// time the key is seen. Methods take `&self`: the limiter sits behind an
/// `Arc` and is called from many threads at once, and no interleaving of calls
/// may let a key admit more than `capacity + elapsed × rate` tokens.
///
/// # Bounded memory
///
/// A server sees millions of client keys; most come once and never again. A
/// bucket that has refilled to full carries no information (it answers exactly
/// like a fresh one), so it can be forgotten. Your limiter must do so: with a
/// steady workload in which at most `A` keys are *active* (their bucket not
/// full) at any time, [`KeyedLimiter::len`] must stay below `2 × A + 1024`
/// however many distinct keys have come and gone. Forgetting a bucket that is
/// *not* full would be a bug: it hands that client a fresh burst.
pub trait KeyedLimiter: Send + Sync {
    /// An empty limiter whose buckets all use `config`.
    fn new(config: BucketConfig) -> Self
    where
        Self: Sized;

    /// Ask for `cost` tokens from `key`'s bucket at time `now`. Same rules as
    /// [`Bucket::try_acquire`].
    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision;

    /// How many keys the limiter currently keeps state for.
    fn len(&self) -> usize;

    /// `true` when no key is tracked.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Formats nanoseconds for people: `250ms`, `1.5s`, `333.333333ms`, `1ns`.
#[derive(Debug, Clone, Copy)]
pub struct DisplayNanos(pub u64);

impl fmt::Display for DisplayNanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let (unit, scale) = match n {
            0..1_000 => return write!(f, "{n}ns"),
            1_000..1_000_000 => ("µs", 1_000),
            1_000_000..1_000_000_000 => ("ms", 1_000_000),
            _ => ("s", 1_000_000_000),
        };
        let whole = n / scale;
        let frac = n % scale;
        if frac == 0 {
            write!(f, "{whole}{unit}")
        } else {
            let digits = scale.ilog10() as usize;
            let s = format!("{frac:0digits$}");
            write!(f, "{whole}.{}{unit}", s.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_read_like_a_person_writes_them() {
        let shown: Vec<String> =
            [1, 999, 1_000, 250_000_000, 1_500_000_000, 333_333_333].map(|n| DisplayNanos(n).to_string()).into();
        assert_eq!(shown, ["1ns", "999ns", "1µs", "250ms", "1.5s", "333.333333ms"]);
    }
}
