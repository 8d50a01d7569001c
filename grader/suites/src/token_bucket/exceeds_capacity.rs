//! Stage `exceeds-capacity`: a request above capacity, or of cost 0, changes
//! nothing.

use contracts::token_bucket::{MAX_NOW, Nanos};
use rand::{Rng, RngExt};

use super::Subject;
use super::configs::{SECOND, cfg, random_config_from};
use super::lockstep::Lockstep;
use crate::harness::{Ctx, StageResult, WithHint};

/// A step forward from `now` that keeps the bucket below full (0 when it is
/// full) and the clock at or below [`MAX_NOW`].
fn below_full_step(b: &Lockstep, now: Nanos, rng: &mut impl Rng) -> u64 {
    // The model refilled last at its latest instant, which an ExceedsCapacity
    // answer (it changes nothing) may have left behind `now`.
    let full_at = b.model.latest().saturating_add(b.model.time_to_full());
    let to_full = full_at.saturating_sub(now);
    let step = if to_full <= 1 { 0 } else { rng.random_range(0..to_full) };
    step.min(MAX_NOW - now.min(MAX_NOW))
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let hint = "Check `cost > capacity` first and answer ExceedsCapacity without touching the bucket: no wait would ever make that request fit.";
    let zero_hint =
        "A cost of 0 is always allowed, takes nothing, and answers the whole tokens in the bucket at `now`.";
    for config in [cfg(10, 4, SECOND), cfg(1, 1, 7), cfg(1000, 3, SECOND), cfg(1 << 32, 1 << 32, 1 << 40)] {
        let mut b = Lockstep::new(s, config, 0);
        b.call(0, config.capacity + 1).map_err(|f| f.hint(hint))?;
        b.call(0, u64::MAX)
            .map_err(|f| f.hint("Beware overflow: cost × period does not fit in a u64 for a huge cost."))?;
        b.call(0, 0).map_err(|f| f.hint(zero_hint))?;
        b.call(0, config.capacity).map_err(|f| f.hint("An ExceedsCapacity answer must not take any tokens."))?;
        b.call(0, 0).map_err(|f| f.hint("A cost of 0 is allowed even on an empty bucket."))?;
        b.call(0, config.capacity + 1).map_err(|f| f.hint(hint))?;
    }
    // Mid-sequence: a bucket partly refilled, asked for nothing, for too
    // much and for what it holds, in every order, on a clock that only moves
    // forward and never lets the bucket fill up.
    let mut rng = ctx.rng(4);
    let mut configs = vec![cfg(1, 1, 7), cfg(10, 4, SECOND), cfg(1 << 32, 1 << 32, 1 << 40), cfg(1 << 22, 1, 1 << 40)];
    configs.extend((0..16).map(|_| random_config_from(&mut rng, 2)));
    for config in configs {
        let mut now = rng.random_range(0..1u64 << 40);
        let mut b = Lockstep::new(s, config, now);
        b.call(now, config.capacity)?;
        for _ in 0..200 {
            now += below_full_step(&b, now, &mut rng);
            let (cost, hint) = match rng.random_range(0..6) {
                0 => (0, zero_hint),
                1 => (config.capacity + 1, hint),
                2 => (rng.random_range(config.capacity.saturating_add(1)..=u64::MAX), hint),
                _ => (
                    rng.random_range(1..=config.capacity),
                    "An ExceedsCapacity or cost-0 answer must change nothing: the next answers are those of a bucket that never saw it.",
                ),
            };
            b.call(now, cost).map_err(|f| f.hint(hint))?;
        }
    }
    Ok(vec![])
}
