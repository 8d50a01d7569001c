//! The hidden suites of the course.
//!
//! One module per exercise, each a [`harness::Suite`] of stages that drive an
//! implementation through its contract (`contracts`) and never through its
//! internals. The grader links a suite with one implementation (the learner's,
//! the reference, a mutant, a hostile fixture: the same path for all) into a
//! small *runner* binary, then runs one stage per child process.
//!
//! A suite is a folder, `src/<suite>/`, found by `build.rs` (adding one edits
//! no line here). Its `mod.rs` holds the `Subject` (how the suite builds
//! instances of one implementation), `suite()` (the stages, in order) and
//! `EXPORTS`: what an implementation's crate must export, in the order
//! `Subject::of` takes them, from which the grader writes the runner's
//! `main` (`suite(Subject::of::<subject::X, …>(…), Subject::of::<reference::X,
//! …>(…))` passed to [`harness::main`]). Beside it, one file per stage named
//! by the stage's id in snake case, and helpers (a model, a baseline, a
//! simulation) that stages import; a stage imports no other stage.

pub mod bench;
pub mod harness;

include!(concat!(env!("OUT_DIR"), "/suites.rs"));
