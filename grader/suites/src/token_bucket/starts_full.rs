//! Stage `starts-full`: a new bucket holds `capacity` tokens, and a request
//! for exactly the tokens left is allowed.

use rand::RngExt;

use super::Subject;
use super::configs::{SECOND, cfg, random_config};
use super::lockstep::Lockstep;
use crate::harness::{Ctx, StageResult, WithHint};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let hint =
        "A new bucket holds `capacity` tokens, and a request for exactly the tokens left is allowed (>=, not >).";
    let mut rng = ctx.rng(1);
    let mut configs = vec![cfg(1, 1, SECOND), cfg(10, 4, SECOND), cfg(1000, 1, 3 * SECOND)];
    configs.extend((0..20).map(|_| random_config(&mut rng)));
    for config in configs {
        let t0 = rng.random_range(0..1u64 << 40);
        let mut b = Lockstep::new(s, config, t0).any_wait();
        for _ in 0..=config.capacity {
            b.call(t0, 1).map_err(|f| f.hint(hint))?;
        }
        // The whole burst at once, on a fresh bucket.
        let mut b = Lockstep::new(s, config, t0).any_wait();
        b.call(t0, config.capacity)
            .map_err(|f| f.hint("A full bucket allows one request costing its whole capacity."))?;
    }
    // The edges of capacity: one token, and 2^32 tokens (taken in two
    // requests, then one more), at rates that refill nothing in between.
    for config in [cfg(1, 1, 1 << 40), cfg(1 << 32, 1, 1), cfg(1 << 32, 1 << 32, 1), cfg((1 << 32) - 1, 1, 1 << 30)] {
        let t0 = rng.random_range(0..1u64 << 40);
        let mut b = Lockstep::new(s, config, t0).any_wait();
        if config.capacity > 1 {
            b.call(t0, config.capacity - 1).map_err(|f| f.hint(hint))?;
        }
        b.call(t0, 1).map_err(|f| f.hint(hint))?;
        b.call(t0, 1).map_err(|f| f.hint(hint))?;
        let mut b = Lockstep::new(s, config, t0).any_wait();
        b.call(t0, config.capacity).map_err(|f| {
            f.hint("A full bucket allows one request costing its whole capacity, even a capacity of 2^32.")
        })?;
        b.call(t0, 1).map_err(|f| f.hint(hint))?;
    }
    Ok(vec![])
}
