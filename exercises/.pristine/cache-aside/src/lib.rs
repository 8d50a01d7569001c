//! # Exercise: Caching
//!
//! Read `lessons/2-data/cache-aside.md` first. Then fill in the type below so that it honours
//! the contract in `contracts/src/cache_aside.rs` (`cargo doc -p contracts
//! --open` shows it nicely). Grade your work with
//!
//! ```text
//! cargo grade cache-aside              # every stage, stops at the first failure
//! cargo grader hint cache-aside        # the next hint, one at a time
//! ```
//!
//! You may add fields, private types, helper functions and modules freely:
//! the grader only talks to `CacheAside` through the contract's traits.

use contracts::cache_aside::Counter;

/// Answers `start`, then one more on every call.
pub struct CacheAside {}

impl Counter for CacheAside {
    fn new(start: u64) -> Self {
        let _ = start;
        todo!("a new counter")
    }

    fn next(&self) -> u64 {
        todo!("the next number")
    }
}
