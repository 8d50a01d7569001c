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
//!
//! # The envelope
//!
//! Every promise below holds for every value inside these limits, and the
//! suites use values at the limits (see [`BucketConfig`] and [`MAX_NOW`]):
//!
//! | quantity | smallest | largest |
//! | --- | --- | --- |
//! | `capacity` | 1 | 2^32 |
//! | `refill.tokens` | 1 | 2^32 |
//! | `refill.period_nanos` | 1 | 2^40 (about 18 minutes) |
//! | time to refill an empty bucket, `capacity × period_nanos / tokens` | | 2^62 ns (about 146 years) |
//! | `now` | 0 | [`MAX_NOW`] = 2^63 ns (about 292 years) |
//! | `cost` | 0 | `u64::MAX` (anything above `capacity` is [`Decision::ExceedsCapacity`]) |
//!
//! So `capacity × period_nanos` (up to 2^72) and `now × tokens` (up to 2^95)
//! need a `u128`; a wait (at most 2^63 + 2^62 ns, see below) and
//! `now + wait` fit a `u64`.
//!
//! # What your crate exports
//!
//! The grader links your crate by these names, at its root (`src/lib.rs`);
//! a name it cannot find is reported as such, before any stage runs:
//!
//! - `pub struct TokenBucket` implementing [`Bucket`];
//! - `pub struct Limiter` implementing [`KeyedLimiter`].

use std::fmt;

/// Nanoseconds on a monotonic clock chosen by the caller.
///
/// Only differences between two values mean anything. A caller may hand you a
/// value *smaller* than one it handed you before (clocks on different threads,
/// a clock that was reset): treat that as "no time has passed". Callers never
/// hand you a value above [`MAX_NOW`].
pub type Nanos = u64;

/// The largest `now` a caller hands in: 2^63 ns, about 292 years of uptime.
/// With it, `now × tokens` fits a `u128` and `now` plus any wait fits a `u64`.
pub const MAX_NOW: Nanos = 1 << 63;

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
/// Callers only build configurations with `1 ≤ capacity ≤ 2^32`,
/// `1 ≤ tokens ≤ 2^32`, `1 ≤ period_nanos ≤ 2^40` (about 18 minutes), and
/// `capacity × period_nanos ≤ 2^62 × tokens` (an empty bucket refills in at
/// most 2^62 ns, about 146 years). `capacity × period_nanos` can reach 2^72:
/// more than a `u64` holds.
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
    ///
    /// The wait is measured from the caller's `now`, always, even when that
    /// `now` is earlier than one the bucket has seen (the clock stepped
    /// back): a bucket that last saw t=100 s, asked at t=40 s for a token it
    /// will have at t=100.25 s, answers a wait of 60.25 s, so that the retry
    /// at 40 s + 60.25 s is the first instant it is allowed.
    Limited {
        /// Exact wait, in nanoseconds, from the caller's `now` until this
        /// request would be allowed. At most 2^63 + 2^62 within the envelope.
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
    /// - `cost > capacity`: [`Decision::ExceedsCapacity`]; nothing changes,
    ///   not even the latest instant the bucket has seen.
    /// - enough tokens (including exactly enough): take them, answer
    ///   [`Decision::Allowed`] with the whole tokens left.
    /// - otherwise: take nothing, answer [`Decision::Limited`] with the exact
    ///   number of nanoseconds, from this `now`, until `cost` tokens will be
    ///   there.
    ///
    /// A `cost` of 0 is always allowed, takes no token, and answers the whole
    /// tokens in the bucket at `now`. Every call but an `ExceedsCapacity` one
    /// counts its `now` as seen. A `now` earlier than the latest one seen adds
    /// no tokens (time never runs backwards for a bucket: the bucket is as it
    /// was at that latest instant), and a bucket never holds more than
    /// `capacity`, however long it sits idle.
    fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision;
}

/// Many buckets, one per client key, shared by every thread of a server.
///
/// Every key behaves exactly like its own [`Bucket`], created full at the
/// `now` of the first call that names the key. Keys are compared byte for
/// byte (`"alice"`, `"Alice"` and `"alice "` are three keys).
///
/// # Many threads
///
/// Methods take `&self`: the limiter sits behind an `Arc` and is called from
/// many threads at once (the suite uses up to 8). No interleaving of calls may
/// let a key admit more than `capacity + (latest now − earliest now) × rate`
/// tokens over the calls that name it. That includes the very first calls: when
/// several threads name a key nobody has seen before at the same instant, the
/// key still gets one full bucket, not one per thread.
///
/// # Bounded memory
///
/// A server sees millions of client keys; most come once and never again. A
/// bucket that has refilled to full answers exactly like a fresh one, so it can
/// be forgotten; a forgotten key is new again, created full at the `now` of
/// the next call that names it. (Only a caller whose clock steps back can tell
/// the difference: a forgotten key no longer remembers the latest instant it
/// saw. Suites that check exact answers keep each key's clock monotone.)
///
/// Your limiter must forget: with a workload in which at most `A` keys are
/// *active* (their bucket not full) at any time, [`KeyedLimiter::len`] must
/// stay at or below `2 × A + 1024`, however many distinct keys have come and
/// gone. Forgetting a bucket that is *not* full is a bug, however many keys
/// are active: it hands that client a fresh burst.
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
