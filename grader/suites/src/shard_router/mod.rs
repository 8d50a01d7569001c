//! Hidden suite of the `shard-router` exercise.
//!
//! Expected answers come from the suite's own models: [`model`] holds the
//! range map (a sorted `Vec`, obviously right) and the exact global order of
//! a scatter-gather read; `lag.rs` simulates replicas that apply the log at
//! their own pace and reports that arrive late and out of order, and keeps
//! what a router can know of them; `keys.rs` draws seeded keys (random
//! bytes of every length, counters, Zipf-skewed streams). Hash routing is
//! checked by its properties (totality, determinism in a second process,
//! spread, the share of keys a join moves) rather than against one hash:
//! any fixed hash and any consistent scheme (jump hash, a ring) passes.
//!
//! Every promise of the contract is checked at its edges: 1 shard and 4,096,
//! the empty key and 1,024 bytes of `0xFF`, a split at the first and the
//! last bound, merges of unknown and last shards, `k = 0`, empty shards,
//! ties broken by id, stale and out-of-order replica reports, no replicas,
//! 64 sessions on threads. Each check sits in the stage that teaches its
//! idea, so a mistake fails there and every earlier stage passes.
//!
//! The folder: one file per stage, named by its id (`read_your_writes.rs` is
//! stage `read-your-writes`); helpers beside them ([`model`], `lag.rs`,
//! `keys.rs`), which stages import and which import no stage; [`baseline`],
//! the plain implementation the speed figures grade against.

pub mod baseline;
mod keys;
mod lag;
pub mod model;

mod benchmarks;
mod hash_routing;
mod hot_shards;
mod monotonic_reads;
mod ranges;
mod read_your_writes;
mod resharding;
mod scatter_gather;

use std::sync::Arc;

use contracts::shard_router::{HashRouter, HotConfig, HotShards, MergeTopK, RangeRouter, ReadRouter};

use crate::harness::{Stage, Suite, register_probe};

/// What the learner's crate must export, in the order [`Subject::of`] takes
/// them. The grader writes the runner's `main` from this list, and names the
/// export a crate lacks as it is written here.
pub const EXPORTS: &[&str] = &[
    "pub struct Jump: HashRouter",
    "pub struct Ranges: RangeRouter",
    "pub struct Hotspots: HotShards",
    "pub struct Replicas: ReadRouter",
    "pub fn merge_top_k(shards: &[&[Item]], k: usize, after: Option<Cursor>) -> Page",
];

/// How the suite builds instances of one implementation.
#[derive(Clone, Copy)]
pub struct Subject {
    /// Builds a hash router over `n` shards.
    pub hash: fn(u32) -> Box<dyn HashRouter>,
    /// Builds a range router (one range, shard 0).
    pub ranges: fn() -> Box<dyn RangeRouter>,
    /// Builds a hot-shard detector.
    pub hot: fn(u32, HotConfig) -> Box<dyn HotShards>,
    /// Builds a read router over `n` replicas.
    pub reads: fn(u32) -> Arc<dyn ReadRouter>,
    /// The scatter-gather merge.
    pub merge: MergeTopK,
}

impl Subject {
    /// The subject made of these four types and the merge ([`EXPORTS`], in
    /// order).
    pub fn of<J, R, H, P>(merge: MergeTopK) -> Subject
    where
        J: HashRouter + 'static,
        R: RangeRouter + 'static,
        H: HotShards + 'static,
        P: ReadRouter + 'static,
    {
        Subject {
            hash: |n| Box::new(J::new(n)),
            ranges: || Box::new(R::new()),
            hot: |n, c| Box::new(H::new(n, c)),
            reads: |n| Arc::new(P::new(n)),
            merge,
        }
    }

    /// The plain baseline the speed figures grade against.
    fn baseline() -> Subject {
        Subject::of::<baseline::Jump, baseline::Ranges, baseline::Hotspots, baseline::Replicas>(baseline::merge_top_k)
    }
}

/// The stages, in grading order; ids match `course.toml`.
pub fn suite(learner: Subject, reference: Subject) -> Suite {
    let s = learner;
    register_probe(hash_routing::PLACEMENT_PROBE, move |ctx| hash_routing::placement(s, ctx));
    Suite {
        stages: vec![
            Stage::new("hash-routing", move |ctx| hash_routing::run(s, ctx)),
            Stage::new("resharding", move |ctx| resharding::run(s, ctx)),
            Stage::new("ranges", move |ctx| ranges::run(s, ctx)),
            Stage::new("hot-shards", move |ctx| hot_shards::run(s, ctx)),
            Stage::new("read-your-writes", move |ctx| read_your_writes::run(s, ctx)),
            Stage::new("monotonic-reads", move |ctx| monotonic_reads::run(s, ctx)),
            Stage::new("scatter-gather", move |ctx| scatter_gather::run(s, ctx)),
            Stage::new("benchmarks", move |ctx| benchmarks::run(s, Subject::baseline(), reference, ctx)),
        ],
        simulation: None,
    }
}
