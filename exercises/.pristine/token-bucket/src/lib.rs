//! # Exercise: rate limiting with a token bucket
//!
//! Read `lessons/01-rate-limiting.md` first. Then fill in the two types below
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
//!   there (exactly `cost` is enough); it then takes them. Otherwise it takes
//!   nothing and says how long to wait, to the nanosecond.
//! - `cost > capacity` can never succeed: say so with `ExceedsCapacity`.
//! - `now` may go backwards: that adds no tokens. A bucket never holds more
//!   than `capacity`, however long it sits idle.
//! - The keyed limiter gives each key its own bucket, is shared by many
//!   threads, and forgets buckets that have refilled to full so its memory
//!   stays bounded.
//!
//! No floating point is needed anywhere, and none should be used: see the
//! lesson's section on exact arithmetic.

// The stubs below name their parameters so that you can read the signature;
// until you use them (and the fields you add), the compiler would warn that
// they are unused. Delete this line once you have implemented everything.
#![allow(unused_variables, dead_code)]

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Nanos};

/// One token bucket.
///
/// Decide what state it needs: the configuration, plus enough to know how
/// many tokens it holds at any `now`. (Two numbers are enough; the lesson
/// shows how one number is, too.)
#[derive(Debug)]
pub struct TokenBucket {
    config: BucketConfig,
    // Your fields here.
}

impl Bucket for TokenBucket {
    /// A full bucket, created at time `now`.
    fn new(config: BucketConfig, now: Nanos) -> Self {
        todo!("create a full bucket")
    }

    /// Ask for `cost` tokens at time `now`. See the rules at the top of this
    /// file, and `Bucket::try_acquire` in the contract for the exact answers.
    fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        todo!("refill for the time elapsed, then spend or refuse")
    }
}

/// A rate limiter with one bucket per client key, safe to share between
/// threads (`&self` methods; it will sit in an `Arc`).
///
/// Two things to get right beyond a single bucket:
/// - **atomicity**: reading a key's state, deciding and writing it back must
///   be one step, or two threads can spend the same token;
/// - **bounded memory**: a bucket that has refilled to full behaves exactly
///   like a fresh one, so it can be dropped. Drop such buckets from time to
///   time (for instance when the map has doubled since you last looked) so
///   that `len()` stays below `2 × active keys + 1024`.
#[derive(Debug)]
pub struct Limiter {
    config: BucketConfig,
    // Your fields here.
}

impl KeyedLimiter for Limiter {
    /// An empty limiter whose buckets all use `config`.
    fn new(config: BucketConfig) -> Self {
        todo!("create an empty limiter")
    }

    /// Ask for `cost` tokens from `key`'s bucket at `now`.
    fn try_acquire(&self, key: &str, now: Nanos, cost: u64) -> Decision {
        todo!("find or create the key's bucket, then ask it")
    }

    /// How many keys currently have state.
    fn len(&self) -> usize {
        todo!("count the tracked keys")
    }
}
