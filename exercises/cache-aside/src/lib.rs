//! # Exercise: caching (cache-aside)
//!
//! Read `lessons/2-data/cache-aside.md` first. Then fill in the four types
//! below so that they honour the contract in `contracts/src/cache_aside.rs`
//! (`cargo doc -p contracts --open` shows it nicely). Grade your work with
//!
//! ```text
//! cargo grade cache-aside              # every stage, stops at the first failure
//! cargo grade cache-aside --stage 2    # one stage
//! cargo grader hint cache-aside        # the next hint, one at a time
//! ```
//!
//! You may add fields, private types, helper functions and modules freely, and
//! depend on other crates if you like: the grader only talks to `LruCache`,
//! `Lfu`, `Admission` and `Front` through the contract's traits.
//!
//! ## The rules, in one place
//!
//! - Keys and values are `u64`. Time is a `now` in nanoseconds handed to you,
//!   in any order; you never read a clock.
//! - **LRU with TTL.** A hit or a put makes a key the most recent; a miss
//!   moves nothing. An entry put at `now` with `ttl` is alive while
//!   `t < now + ttl` and expired from `now + ttl` on; an expired entry is
//!   never returned. A put of a new key into a full cache evicts an expired
//!   entry if there is one, else the least recently used, and answers the
//!   evicted key. `len()` never exceeds the capacity.
//! - **LFU.** A key's frequency is 1 when put new, plus 1 per hit and per
//!   overwrite. A full cache evicts the least frequent key; among equals, the
//!   least recently used. An evicted key that returns starts again at 1.
//! - **Admission.** A policy of your choice (W-TinyLFU or S3-FIFO) that
//!   beats LRU's hit ratio on skewed traces, follows the traffic when the
//!   popular keys change (its frequencies age), and keeps its hot keys
//!   through a scan. It may refuse a newcomer: `put` then answers the
//!   newcomer's key.
//! - **The front.** A miss loads from the store once, however many threads
//!   miss that key at once, and every one of them gets the result. Found
//!   values live `ttl + j`, `j` in `0..=jitter` fixed by the seed and the
//!   key and spread over the band; "not found" lives `negative_ttl` in its
//!   own bounded space; errors are answered and never cached. A write saves,
//!   then deletes the key from the cache, and no get that begins after the
//!   write returned sees an older value, not even through a load that was
//!   already running when the write came. A write never waits for a load in
//!   progress (the grader fails a write still blocked 5 s into a held load).
//!
//! ## The limits (the envelope)
//!
//! | value | from | to |
//! | --- | --- | --- |
//! | a key, a value | 0 | `u64::MAX` |
//! | every capacity | 1 | 2^20 |
//! | `now` | 0 | 2^62 |
//! | `ttl` of `LruCache::put` | 1 | 2^62 |
//! | the front's `ttl`, `jitter`, `negative_ttl` | 1 (`jitter`: 0) | 2^50 |
//! | threads calling one front | 1 | 128 |
//!
//! The grader uses values at these limits.
//!
//! ## Speed and hit ratio
//!
//! The time per call of `LruCache`, `Lfu` and `Admission` must not grow more
//! than 10× when the cache holds 100× more entries (1,000 → 100,000).
//! `Admission` must hit at least 1 percentage point more often than LRU on
//! Zipf traces (α 0.6, 0.8, 1.0; popularity ranks mapped to keys by a
//! seeded bijection), 1 point more on a Zipf α 0.8 trace whose popular keys
//! change halfway, and 10 points more on a scan-plus-hot-set trace. Each
//! operation must run at least 0.2× as fast as a plain implementation (one
//! lock around ordinary collections).

// The stubs below name their parameters so that you can read the signature;
// until you use them (and the fields you add), the compiler would warn that
// they are unused. Delete this line once you have implemented everything.
#![allow(unused_variables, dead_code)]

use std::sync::Arc;

use contracts::cache_aside::{CacheAside, FrontConfig, Nanos, Policy, Store, StoreError, TtlLru};

/// A least-recently-used cache whose entries expire, owned by one caller.
pub struct LruCache {
    capacity: usize,
    // Your fields here.
}

impl TtlLru for LruCache {
    /// An empty cache of at most `capacity` entries (1 to 2^20).
    fn new(capacity: usize) -> Self {
        todo!("LruCache::new")
    }

    /// The value of `key` if stored and alive at `now` (it becomes the most
    /// recent); `None` if absent or expired, and then nothing moves.
    fn get(&mut self, key: u64, now: Nanos) -> Option<u64> {
        todo!("LruCache::get")
    }

    /// Store `value` under `key`, alive while `t < now + ttl`, as the most
    /// recent entry. Answers the key evicted to make room: an expired one if
    /// any, else the least recently used; `None` when nothing was evicted
    /// (room left, or `key` already stored).
    fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos) -> Option<u64> {
        todo!("LruCache::put")
    }

    /// Drop `key`; answers its value if it was alive at `now`.
    fn remove(&mut self, key: u64, now: Nanos) -> Option<u64> {
        todo!("LruCache::remove")
    }

    /// Entries stored (live, or expired and not yet dropped), at most the
    /// capacity.
    fn len(&self) -> usize {
        todo!("LruCache::len")
    }
}

/// A least-frequently-used cache, ties broken by recency.
pub struct Lfu {
    capacity: usize,
    // Your fields here.
}

impl Policy for Lfu {
    /// An empty cache of at most `capacity` entries (1 to 2^20).
    fn new(capacity: usize) -> Self {
        todo!("Lfu::new")
    }

    /// The value of `key` if stored; a hit adds 1 to its frequency and makes
    /// it the most recent.
    fn get(&mut self, key: u64) -> Option<u64> {
        todo!("Lfu::get")
    }

    /// Store `value` under `key` (an overwrite adds 1 to its frequency; a new
    /// key starts at 1). A new key in a full cache evicts the least frequent
    /// key, the least recent among equals, and answers it.
    fn put(&mut self, key: u64, value: u64) -> Option<u64> {
        todo!("Lfu::put")
    }

    /// Entries stored, at most the capacity.
    fn len(&self) -> usize {
        todo!("Lfu::len")
    }
}

/// A cache whose eviction (and admission) policy beats LRU on skewed traces
/// and survives scans.
pub struct Admission {
    capacity: usize,
    // Your fields here.
}

impl Policy for Admission {
    /// An empty cache of at most `capacity` entries (1 to 2^20).
    fn new(capacity: usize) -> Self {
        todo!("Admission::new")
    }

    /// The value last put for `key` if it is stored.
    fn get(&mut self, key: u64) -> Option<u64> {
        todo!("Admission::get")
    }

    /// Store `value` under `key`. Answers the key that left: an evicted one,
    /// or `key` itself if the newcomer was refused; `None` if nothing left.
    fn put(&mut self, key: u64, value: u64) -> Option<u64> {
        todo!("Admission::put")
    }

    /// Entries stored, at most the capacity.
    fn len(&self) -> usize {
        todo!("Admission::len")
    }
}

/// The thread-safe cache-aside front over a slow store (`&self` methods; it
/// sits in an `Arc` and up to 128 threads call it at once).
pub struct Front {
    store: Arc<dyn Store>,
    config: FrontConfig,
    // Your fields here.
}

impl CacheAside for Front {
    /// An empty front over `store`.
    fn new(store: Arc<dyn Store>, config: FrontConfig) -> Self {
        todo!("Front::new")
    }

    /// From the cache if an entry for `key` is alive at `now`; otherwise from
    /// one load shared by every thread missing `key` at the same time.
    /// Found values and "not found" are cached; errors are not.
    fn get(&self, key: u64, now: Nanos) -> Result<Option<u64>, StoreError> {
        todo!("Front::get")
    }

    /// Save to the store, then delete `key` from the cache; no get that
    /// begins after this returns sees an older value. Never waits for a load
    /// in progress.
    fn write(&self, key: u64, value: Option<u64>, now: Nanos) -> Result<(), StoreError> {
        todo!("Front::write")
    }

    /// Found values held, at most `capacity`.
    fn len(&self) -> usize {
        todo!("Front::len")
    }

    /// "Not found" entries held, at most `negative_capacity`.
    fn negative_len(&self) -> usize {
        todo!("Front::negative_len")
    }
}
