//! The control: a correct implementation of the shard-router contract in
//! another style than the reference. It *is* the suite's plain baseline
//! (`grader/suites/src/shard_router/baseline.rs`), re-exported, so the
//! project's mutant test proves that the yardstick of the speed figures passes
//! every stage, and that the suite checks behaviour, not the reference's
//! internals.

pub use suites::shard_router::baseline::*;
