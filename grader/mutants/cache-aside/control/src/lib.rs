//! The control: a correct implementation of the cache-aside contract in
//! another style than the reference. It *is* the suite's plain baseline
//! (`grader/suites/src/cache_aside/baseline.rs`), re-exported, so the
//! project's mutant test proves that the yardstick of the speed figures passes
//! every stage, and that the suite checks behaviour, not the reference's
//! internals.

pub use suites::cache_aside::baseline::*;
