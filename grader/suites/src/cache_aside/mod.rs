//! Hidden suite of the `cache-aside` exercise.
//!
//! Expected answers come from the suite's own models: [`model`] holds the
//! contract's TTL-LRU (exact about live entries, tolerant where the contract
//! leaves a choice: when to purge an expired entry, which expired entry a
//! full cache evicts) and its LFU (exact); `ratios.rs` computes, on the same
//! seeded trace, LRU's hit ratio (the yardstick the admission policy must
//! beat) and Bélády's optimum (the ceiling no policy passes); `gate.rs` is
//! the database, a [`Store`] that counts its calls, fails on demand and
//! holds a call on a gate the suite opens, so that the races of the lesson
//! (a slow load that read the old value before a write, a hundred threads
//! missing one key) are driven step by step, the same way on every run, with
//! no sleeps (`blocked.rs`: the moment every thread of a check is blocked).
//!
//! Every promise of the contract is checked at its centre and its edges:
//! capacity 1 and 2^20, `ttl` 1 and 2^62 at `now` 2^62, the exact instant an
//! entry expires, keys and values 0 and `u64::MAX`, instants that go
//! backwards, a write in the middle of a load, a hundred threads on a key's
//! first use, a flood of absent keys, 10,000 consecutive keys' jitter (in
//! this process and in a fresh one). Each check sits in the stage that
//! teaches its idea, so a mistake fails there and every earlier stage passes.
//!
//! The admission stage's margins are the contract's: on every trace, the
//! learner's hit ratio is at least LRU's plus 1 percentage point (Zipf α 0.6,
//! 0.8 and 1.0 over 100,000 keys, capacities 1,000 and 10,000) and plus 10
//! points (a hot set of 500 keys read 1,000 times between scans of 1,000
//! fresh keys, capacity 1,000), plus 1 point on a Zipf α 0.8 trace whose
//! popular keys change halfway, and never above Bélády's. Measured on traces
//! of this shape (seeds 1 to 3): a plain S3-FIFO and a plain W-TinyLFU beat
//! LRU by 3.8 to 12 points on Zipf (the smallest gains at α 0.6 with a 0.1%
//! cache and at α 1.0 with a 10% cache); a FIFO falls below LRU everywhere,
//! and an LFU whose counts never age passes the stationary Zipf traces but
//! falls 1 to 5 points below LRU once popularity shifts (S3-FIFO: 5 to 10
//! points above), which is what the shift trace is for.
//!
//! The folder: one file per stage, named by its id (`single_flight.rs` is
//! stage `single-flight`); helpers beside them ([`model`], `lockstep.rs`,
//! `ratios.rs`, `traces.rs`, `gate.rs`, `blocked.rs`, `show.rs`), which
//! stages import and which import no stage; [`baseline`], the plain
//! implementation the speed figures grade against.

pub mod baseline;
mod blocked;
mod gate;
mod lockstep;
pub mod model;
mod ratios;
mod show;
mod simulation;
mod traces;

mod admission;
mod benchmarks;
mod complexity;
mod invalidation;
mod lfu;
mod lru;
mod single_flight;
mod ttl;

use std::sync::Arc;

use contracts::cache_aside::{CacheAside, FrontConfig, Policy, Store, TtlLru};

use crate::harness::{Stage, Suite, register_probe};

/// What the learner's crate must export, in the order [`Subject::of`] takes
/// them. The grader writes the runner's `main` from this list, and names the
/// export a crate lacks as it is written here.
pub const EXPORTS: &[&str] = &[
    "pub struct LruCache: TtlLru",
    "pub struct Lfu: Policy",
    "pub struct Admission: Policy",
    "pub struct Front: CacheAside",
];

/// How the suite builds instances of one implementation.
#[derive(Clone, Copy)]
pub struct Subject {
    /// Builds an LRU cache with TTL.
    pub lru: fn(usize) -> Box<dyn TtlLru>,
    /// Builds an LFU cache.
    pub lfu: fn(usize) -> Box<dyn Policy>,
    /// Builds the admission policy.
    pub admission: fn(usize) -> Box<dyn Policy>,
    /// Builds a cache-aside front over a store.
    pub front: fn(Arc<dyn Store>, FrontConfig) -> Arc<dyn CacheAside>,
}

impl Subject {
    /// The subject made of these four types ([`EXPORTS`], in order).
    pub fn of<L: TtlLru + 'static, F: Policy + 'static, A: Policy + 'static, C: CacheAside + 'static>() -> Subject {
        Subject {
            lru: |c| Box::new(L::new(c)),
            lfu: |c| Box::new(F::new(c)),
            admission: |c| Box::new(A::new(c)),
            front: |s, c| Arc::new(C::new(s, c)),
        }
    }

    /// The plain baseline the speed figures grade against.
    fn baseline() -> Subject {
        Subject::of::<baseline::LruCache, baseline::Lfu, baseline::Admission, baseline::Front>()
    }
}

/// The stages, in grading order; ids match `course.toml`.
pub fn suite(learner: Subject, reference: Subject) -> Suite {
    let s = learner;
    register_probe(single_flight::JITTER_PROBE, move |ctx| single_flight::jitter_probe(s, ctx));
    Suite {
        stages: vec![
            Stage::new("lru", move |ctx| lru::run(s, ctx)),
            Stage::new("ttl", move |ctx| ttl::run(s, ctx)),
            Stage::new("lfu", move |ctx| lfu::run(s, ctx)),
            Stage::new("complexity", move |ctx| complexity::run(s, reference, ctx)),
            Stage::new("invalidation", move |ctx| invalidation::run(s, ctx)),
            Stage::new("single-flight", move |ctx| single_flight::run(s, ctx)),
            Stage::new("admission", move |ctx| admission::run(s, ctx)),
            Stage::new("benchmarks", move |ctx| benchmarks::run(s, Subject::baseline(), reference, ctx)),
        ],
        simulation: Some(Box::new(move |ctx| simulation::simulate(s, reference, ctx))),
    }
}
