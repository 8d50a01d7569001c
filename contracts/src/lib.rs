//! The contracts of the course: one module per exercise.
//!
//! A contract is a set of traits. The learner's crate under `exercises/`
//! implements them, the reference under `solutions/` implements them too, and
//! the grader's hidden suites only ever talk to an implementation through them.
//! Two consequences worth knowing:
//!
//! - you may design your internals however you like: the suites check the
//!   behaviour the lesson promises, never your private layout;
//! - the traits are *object safe* (constructors carry `where Self: Sized`), so a
//!   suite is compiled once and drives any implementation through `dyn`.
//!
//! Time is always injected. No contract method reads the wall clock: it receives
//! `now` from its caller. That is what lets a suite test a one-hour refill in a
//! microsecond, and replay any failure from its seed.
//!
//! Each module lists, in its own documentation, what the exercise's crate
//! must export (the names the grader links against). The modules are found
//! by `build.rs`: every `src/<exercise>.rs` is one, so adding an exercise
//! edits no line here.

include!(concat!(env!("OUT_DIR"), "/contracts.rs"));
