//! Hidden suite of the `shard-router` exercise.
//!
//! TODO(author): at least six stages, each teaching one idea, ordered so a
//! mistake fails only at the stage that teaches it (../shared/EXERCISE-BAR.md).
//!
//! The folder: one file per stage, named by its id (`counts_up.rs` is stage
//! `counts-up`); helpers beside them, which stages import and which import
//! no stage.

mod counts_up;

use contracts::shard_router::Counter;

use crate::harness::{Stage, Suite};

/// What the learner's crate must export, in the order [`Subject::of`] takes
/// them. The grader writes the runner's `main` from this list, and names the
/// export a crate lacks as it is written here.
pub const EXPORTS: &[&str] = &["pub struct ShardRouter: Counter"];

/// How the suite builds instances of one implementation.
#[derive(Clone, Copy)]
pub struct Subject {
    /// Builds a counter.
    pub counter: fn(u64) -> Box<dyn Counter>,
}

impl Subject {
    /// The subject made of this type ([`EXPORTS`], in order).
    pub fn of<C: Counter + 'static>() -> Subject {
        Subject { counter: |start| Box::new(C::new(start)) }
    }
}

/// The stages, in grading order; ids match `course.toml`.
pub fn suite(learner: Subject, _reference: Subject) -> Suite {
    let s = learner;
    Suite { stages: vec![Stage::new("counts-up", move |ctx| counts_up::run(s, ctx))], simulation: None }
}
