//! A plain, correct `shard-router`, with one classic mistake per Cargo feature
//! (see `mutants.toml` beside this crate). Without features it is a control.

use std::sync::Mutex;

use contracts::shard_router::Counter;

/// A number behind a lock.
pub struct ShardRouter {
    next: Mutex<u64>,
}

impl Counter for ShardRouter {
    fn new(start: u64) -> Self {
        ShardRouter { next: Mutex::new(start) }
    }

    fn next(&self) -> u64 {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        if cfg!(feature = "skips-start") {
            *next += 1;
            return *next;
        }
        let answer = *next;
        *next += 1;
        answer
    }
}
