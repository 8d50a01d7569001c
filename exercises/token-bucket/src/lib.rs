//! # Exercise: rate limiting with a token bucket
//!
//! Read `lessons/1-front-door/token-bucket.md` first. Then fill in the two types below
//! so that they honour the contract in `contracts/src/token_bucket.rs`
//! (`cargo doc -p contracts --open` shows it nicely). Grade your work with
//!
//! ```text
//! cargo grade token-bucket              # every stage, stops at the first failure
//! cargo grade token-bucket --stage 2    # one stage
//! cargo grader hint token-bucket        # the next hint, one at a time
//! ```
//!
//! You may add fields, private types, helper functions and modules freely, and
//! depend on other crates if you like: the grader only talks to `TokenBucket`
//! and `Limiter` through the contract's traits.
//!
//! ## The rules, in one place
//!
//! - A bucket starts **full** (`capacity` tokens).
//! - Tokens come back at `refill.tokens` per `refill.period_nanos`,
//!   **exactly**: after `t` ns a bucket regains `floor(t × tokens / period)`
//!   tokens, and the part of a token already earned is never lost.
//! - A request for `cost` tokens is allowed when at least `cost` tokens are
//!   there (exactly `cost` is enough); it then takes them and answers the
//!   whole tokens left. Otherwise it takes nothing and answers the wait, to
//!   the nanosecond, after which the same request is allowed (and not one
//!   nanosecond sooner), measured from the `now` it was asked at.
//! - `cost > capacity` can never succeed: the answer is `ExceedsCapacity`,
//!   and nothing changes, not even the latest instant the bucket has seen.
//!   A cost of 0 is always allowed and takes nothing.
//! - `now` may go backwards: that adds no tokens. A bucket never holds more
//!   than `capacity`, however long it sits idle.
//! - The keyed limiter gives each key its own bucket, created full the first
//!   time the key is named. Up to 8 threads call it at once, and no
//!   interleaving lets a key admit more than
//!   `capacity + (latest now − earliest now) × rate` tokens, not even when
//!   several threads name a brand-new key at the same instant.
//! - A bucket that has refilled to full may be forgotten; one that has not
//!   must be kept. With at most `A` keys not full at any time, `len()` stays
//!   at or below `2 × A + 1024`, however many keys have come and gone.
//!
//! ## The limits (the envelope)
//!
//! | value | from | to |
//! | --- | --- | --- |
//! | `capacity` | 1 | 2^32 |
//! | `refill.tokens` | 1 | 2^32 |
//! | `refill.period_nanos` | 1 | 2^40 |
//! | `capacity × period_nanos / tokens` (empty to full) | | 2^62 ns |
//! | `now` | 0 | `MAX_NOW` = 2^63 |
//! | `cost` | 0 | `u64::MAX` |
//!
//! The grader uses values at these limits.
//!
//! ## Speed
//!
//! A call on one bucket, and a call on a limiter tracking 10,000 keys, must
//! each run at least a quarter as fast as a plain implementation (one lock
//! around one `std` hash map); the time per call must not grow more than 10×
//! when the limiter tracks 100× more keys.

// The stubs below name their parameters so that you can read the signature;
// until you use them (and the fields you add), the compiler would warn that
// they are unused. Delete this line once you have implemented everything.
#![allow(unused_variables, dead_code)]

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Nanos};

/// One token bucket, owned by one caller.
#[derive(Debug)]
pub struct TokenBucket {
    config: BucketConfig,
    // Your fields here.
}

impl Bucket for TokenBucket {
    /// A full bucket, created at time `now`.
    fn new(config: BucketConfig, now: Nanos) -> Self {
        todo!("TokenBucket::new")
    }

    /// Ask for `cost` tokens at time `now`. See the rules at the top of this
    /// file, and `Bucket::try_acquire` in the contract for the exact answers.
    fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        todo!("TokenBucket::try_acquire")
    }
}

/// A rate limiter with one bucket per client key, shared by many threads
/// (`&self` methods; it sits in an `Arc`).
///
/// Beyond a single bucket's rules: no interleaving of calls from many
/// threads lets a key admit more than its bucket allows, and `len()` stays at
/// or below `2 × active keys + 1024` (see the rules at the top of this file).
#[derive(Debug)]
pub struct Limiter {
    config: BucketConfig,
    // Your fields here.
}

impl KeyedLimiter for Limiter {
    /// An empty limiter whose buckets all use `config`.
    fn new(config: BucketConfig) -> Self {
        todo!("Limiter::new")
    }

    /// Ask for `cost` tokens from `key`'s bucket at `now`.
    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision {
        todo!("Limiter::try_acquire")
    }

    /// How many keys currently have state.
    fn len(&self) -> usize {
        todo!("Limiter::len")
    }
}
