//! Hidden suite of the `token-bucket` exercise.
//!
//! Expected answers come from [`Model`](model::Model): the textbook token
//! bucket (a level and the instant it was last topped up), kept in exact
//! scaled integers. The reference solution is written differently (GCRA: one
//! timestamp), so each stage also exercises the equivalence the lesson states.
//!
//! Every promise of the contract is checked at its centre and at its edges:
//! capacity 1 and 2^32, refill rates of 2^32 tokens per nanosecond and of one
//! token per 2^40 ns, instants up to [`MAX_NOW`](contracts::token_bucket::MAX_NOW),
//! costs of 0 and `u64::MAX`, state that changes in the middle of a sequence,
//! and keys used for the first time by many threads at once. Each check sits
//! in the stage that teaches its idea, so a mistake fails there and every
//! earlier stage passes.
//!
//! The folder: one file per stage, named by its id (`starts_full.rs` is stage
//! `starts-full`); helpers beside them ([`model`], `configs.rs`, `lockstep.rs`),
//! which stages import and which import no stage; [`baseline`], the plain
//! implementation the speed figures grade against.

pub mod baseline;
mod configs;
mod lockstep;
pub mod model;

mod benchmarks;
mod bounded_memory;
mod clock_skew;
mod concurrency;
mod exact_refill;
mod exceeds_capacity;
mod keyed_isolation;
mod retry_after;
mod starts_full;

use std::sync::Arc;

use contracts::token_bucket::{Bucket, BucketConfig, KeyedLimiter, Nanos};

use crate::harness::{Stage, Suite};

/// What the learner's crate must export, in the order [`Subject::of`] takes
/// them. The grader writes the runner's `main` from this list, and names the
/// export a crate lacks as it is written here.
pub const EXPORTS: &[&str] = &["pub struct TokenBucket: Bucket", "pub struct Limiter: KeyedLimiter"];

/// How the suite builds instances of one implementation.
#[derive(Clone, Copy)]
pub struct Subject {
    /// Builds a bucket.
    pub bucket: fn(BucketConfig, Nanos) -> Box<dyn Bucket>,
    /// Builds a keyed limiter.
    pub limiter: fn(BucketConfig) -> Arc<dyn KeyedLimiter>,
}

impl Subject {
    /// The subject made of these two types ([`EXPORTS`], in order).
    pub fn of<B: Bucket + 'static, L: KeyedLimiter + 'static>() -> Subject {
        Subject { bucket: |c, now| Box::new(B::new(c, now)), limiter: |c| Arc::new(L::new(c)) }
    }

    /// The plain baseline the speed figures grade against.
    fn baseline() -> Subject {
        Subject::of::<baseline::TokenBucket, baseline::Limiter>()
    }
}

/// The stages, in grading order; ids match `course.toml`.
pub fn suite(learner: Subject, reference: Subject) -> Suite {
    let s = learner;
    Suite {
        stages: vec![
            Stage::new("starts-full", move |ctx| starts_full::run(s, ctx)),
            Stage::new("exact-refill", move |ctx| exact_refill::run(s, ctx)),
            Stage::new("retry-after", move |ctx| retry_after::run(s, ctx)),
            Stage::new("exceeds-capacity", move |ctx| exceeds_capacity::run(s, ctx)),
            Stage::new("clock-skew", move |ctx| clock_skew::run(s, ctx)),
            Stage::new("keyed-isolation", move |ctx| keyed_isolation::run(s, ctx)),
            Stage::new("concurrency", move |ctx| concurrency::run(s, ctx)),
            Stage::new("bounded-memory", move |ctx| bounded_memory::run(s, ctx)),
            Stage::new("benchmarks", move |ctx| benchmarks::run(s, Subject::baseline(), reference, ctx)),
        ],
        simulation: None,
    }
}
