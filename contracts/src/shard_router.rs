//! Contract of the `shard-router` exercise (lesson: Replicas and shards).
//!
//! TODO(author): replace this placeholder with the block's contract. A
//! contract is object safe (constructors carry `where Self: Sized`), takes
//! time as an argument (never reads a clock), and writes every bound the
//! suite asserts as a number: its doc comments are the spec.
//!
//! # What your crate exports
//!
//! The grader links your crate by these names:
//!
//! - `pub struct ShardRouter` implementing [`Counter`].

/// A counter that answers `start`, `start + 1`, `start + 2`, … one number
/// per call.
pub trait Counter: Send + Sync {
    /// A counter whose first [`Counter::next`] answers `start`
    /// (`start` ≤ 2^63).
    fn new(start: u64) -> Self
    where
        Self: Sized;

    /// One more than the previous answer; `start` the first time. Called at
    /// most 2^32 times on one counter.
    fn next(&self) -> u64;
}
