//! The control: a correct implementation of the token-bucket contract in
//! another style than the reference (a level and a last-refill instant rather
//! than GCRA; one `Mutex` around a `std` `HashMap` rather than 64 shards over
//! a hash-once table). It *is* the suite's plain baseline
//! (`grader/suites/src/token_bucket/baseline.rs`), re-exported, so the
//! project's mutant test proves that the yardstick of the speed figures passes
//! every stage, and that the suite checks behaviour, not the reference's
//! internals.

pub use suites::token_bucket::baseline::*;
