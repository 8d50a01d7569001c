//! # Exercise: Replicas and shards
//!
//! Read `lessons/2-data/shard-router.md` first. Then fill in the four types
//! and the function below so that they honour the contract in
//! `contracts/src/shard_router.rs` (`cargo doc -p contracts --open` shows it
//! nicely). Grade your work with
//!
//! ```text
//! cargo grade shard-router              # every stage, stops at the first failure
//! cargo grade shard-router --stage 2    # one stage
//! cargo grader hint shard-router        # the next hint, one at a time
//! ```
//!
//! You may add fields, private types, helper functions and modules freely,
//! and depend on other crates if you like: the grader only talks to `Jump`,
//! `Ranges`, `Hotspots`, `Replicas` and `merge_top_k` through the contract.
//!
//! ## The rules, in one place
//!
//! - Keys are byte strings, compared byte by byte (the empty key is the
//!   smallest). Shards are `u32` ids.
//! - **Hash routing.** Every key gets a shard in `0..shards`, the same one
//!   in every process, on every machine, in every build, and two routers of
//!   `n` shards agree. Keys spread evenly, sequential ones (`user:0`,
//!   `user:1`, …) included. Adding a shard moves only keys to the new shard,
//!   about 1/(n+1) of them, and `plan_add` lists exactly the given keys that
//!   would move, in order, before anything changes.
//! - **Range routing.** Contiguous ranges cover every key; a range
//!   `[lo, hi)` includes `lo` and excludes `hi`. A split at `at` gives
//!   `[at, hi)` to a new shard with the next id; splitting at an existing
//!   bound is an error. A merge makes a range absorb its right neighbour,
//!   whose id is retired for good; merging the last range is an error. A
//!   refused change changes nothing.
//! - **Hot shards.** Over roughly the last `window` accesses, a shard is hot
//!   when its share exceeds `factor / shards`; nothing is hot before
//!   `min_accesses` accesses. A shard with at least twice that share is
//!   found; one with at most half of it is not. The split point of a hot
//!   shard has between 25% and 75% of its recent accesses below it. At most
//!   `max_tracked_keys` keys are held, whatever the stream.
//! - **Replicas.** Writes get positions 1, 2, 3, … A replica's reported
//!   position never goes back, whatever order reports arrive in. A read goes
//!   to a replica that has applied the session's position, to the primary
//!   only when none has, and moves the session up to what it read. Reads
//!   spread over the caught-up replicas (each gets 50% to 150% of its fair
//!   share). Up to 64 threads call at once.
//! - **Scatter-gather.** Each shard's results are sorted by score (highest
//!   first), then id (smallest first). `merge_top_k` answers the global
//!   first `k` after the cursor, exactly, and a cursor to resume from
//!   (`None` at the end, for `k = 0` and with no items).
//!
//! ## The limits (the envelope)
//!
//! | value | from | to |
//! | --- | --- | --- |
//! | key length | 0 | 1,024 bytes |
//! | hash shards, hot-shard shards, merged slices | 1 (slices: 0) | 4,096 |
//! | ranges | 1 | 65,536 |
//! | `max_tracked_keys` | 256 | 4,096 |
//! | replicas | 0 | 64 |
//! | items per slice | 0 | 1,000,000 |
//! | `k` | 0 | 100,000 |
//!
//! The grader uses values at these limits.
//!
//! ## Speed
//!
//! `Ranges::shard_for` must not take more than 10× longer at 10,000 ranges
//! than at 100; a page of `merge_top_k` must not take more than 10× longer
//! when every shard holds 100× more items (1,000 → 100,000, cursor in the
//! middle). Each operation must run at least 0.2× as fast as a plain
//! implementation (a sorted `Vec`, a lock).

// The stubs below name their parameters so that you can read the signature;
// until you use them (and the fields you add), the compiler would warn that
// they are unused. Delete this line once you have implemented everything.
#![allow(unused_variables, dead_code)]

use contracts::shard_router::{
    Cursor, HashRouter, HotConfig, HotShards, Item, Move, Page, Position, RangeError, RangeMove, RangeRouter,
    ReadRouter, Session, ShardId, Target,
};

/// Routes keys to shards `0..n` by a hash of the key, moving few keys when a
/// shard is added.
pub struct Jump {
    shards: u32,
    // Your fields here.
}

impl HashRouter for Jump {
    /// A router over shards `0..shards` (1 to 4,096).
    fn new(shards: u32) -> Self {
        todo!("Jump::new")
    }

    /// The shard of `key`, in `0..shards()`: a function of the key's bytes
    /// and the shard count alone, the same in every process and build.
    fn shard_for(&self, key: &[u8]) -> ShardId {
        todo!("Jump::shard_for")
    }

    /// How many shards there are.
    fn shards(&self) -> u32 {
        todo!("Jump::shards")
    }

    /// Add shard `shards()` and answer its id. Keys either stay or move to
    /// it, about 1/(n+1) of them.
    fn add_shard(&mut self) -> ShardId {
        todo!("Jump::add_shard")
    }

    /// The moves `add_shard` would make among `keys`, in their order, one
    /// per key whose shard would change; changes nothing.
    fn plan_add(&self, keys: &[&[u8]]) -> Vec<Move> {
        todo!("Jump::plan_add")
    }
}

/// Routes keys to the shard whose range `[lo, hi)` covers them.
pub struct Ranges {
    // Your fields here.
}

impl RangeRouter for Ranges {
    /// One range, shard 0, covering every key.
    fn new() -> Self {
        todo!("Ranges::new")
    }

    /// The shard whose range covers `key` (lower bound inclusive, upper
    /// exclusive), in O(log ranges).
    fn shard_for(&self, key: &[u8]) -> ShardId {
        todo!("Ranges::shard_for")
    }

    /// Split the range holding `at`: `[at, hi)` goes to a new shard with the
    /// next id. `Err(AlreadyABound(at))` if `at` already starts a range.
    fn split(&mut self, at: &[u8]) -> Result<RangeMove, RangeError> {
        todo!("Ranges::split")
    }

    /// The range of `left` absorbs its right neighbour, whose id is retired.
    /// `Err(UnknownShard)` if `left` holds no range, `Err(NoRightNeighbour)`
    /// if it holds the last one.
    fn merge(&mut self, left: ShardId) -> Result<RangeMove, RangeError> {
        todo!("Ranges::merge")
    }

    /// Every range in key order: `(lo, hi, shard)`, the last `hi` `None`.
    fn ranges(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>, ShardId)> {
        todo!("Ranges::ranges")
    }
}

/// Finds the shards taking far more than their fair share of recent
/// accesses, in bounded memory, and suggests where to split them.
pub struct Hotspots {
    shards: u32,
    config: HotConfig,
    // Your fields here.
}

impl HotShards for Hotspots {
    /// A detector over shards `0..shards` (1 to 4,096).
    fn new(shards: u32, config: HotConfig) -> Self {
        todo!("Hotspots::new")
    }

    /// One access of `key` on `shard`.
    fn record(&mut self, shard: ShardId, key: &[u8]) {
        todo!("Hotspots::record")
    }

    /// The shards whose share of the recent accesses exceeds
    /// `factor / shards`, in increasing order; none before `min_accesses`.
    fn hot(&self) -> Vec<ShardId> {
        todo!("Hotspots::hot")
    }

    /// A recorded key of `shard` with roughly half of its recent accesses
    /// below it (25% to 75% for a hot shard); `None` if `shard` was never
    /// accessed.
    fn split_point(&self, shard: ShardId) -> Option<Vec<u8>> {
        todo!("Hotspots::split_point")
    }

    /// Keys held now: at most `max_tracked_keys`.
    fn tracked_keys(&self) -> usize {
        todo!("Hotspots::tracked_keys")
    }
}

/// Sends each read to a replica that has caught up with the reader's
/// session, or to the primary (`&self` methods; up to 64 threads at once).
pub struct Replicas {
    replicas: u32,
    // Your fields here.
}

impl ReadRouter for Replicas {
    /// A primary and `replicas` replicas (0 to 64), nothing written.
    fn new(replicas: u32) -> Self {
        todo!("Replicas::new")
    }

    /// A write on the primary: positions 1, 2, 3, …
    fn write(&self) -> Position {
        todo!("Replicas::write")
    }

    /// Replica `replica` has applied up to `position`; a smaller report than
    /// one already received changes nothing.
    fn applied(&self, replica: u32, position: Position) {
        todo!("Replicas::applied")
    }

    /// A caught-up replica (spread among them), else the primary; the
    /// session's position moves up to what the target has applied.
    fn read(&self, session: &mut Session) -> Target {
        todo!("Replicas::read")
    }
}

/// The global first `k` items after `after` among the sorted per-shard
/// results, exact, and where to resume (`None` at the end, for `k = 0` and
/// with no items). Never depends on the items past the page.
pub fn merge_top_k(shards: &[&[Item]], k: usize, after: Option<Cursor>) -> Page {
    todo!("merge_top_k")
}
