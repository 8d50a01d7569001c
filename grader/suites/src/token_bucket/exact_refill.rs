//! Stage `exact-refill`: refill is exact in integers, at fractional rates
//! and at the limits of the envelope.

use contracts::token_bucket::{Decision, MAX_NOW};
use rand::RngExt;

use super::Subject;
use super::configs::{MS, SECOND, cfg, envelope_configs, late_start, random_config_from, refill_time};
use super::lockstep::Lockstep;
use crate::harness::{Ctx, StageResult, WithHint};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let refill_hint = "Compute the refill from the time elapsed since the last refill in integer nanoseconds, and keep the fraction of a token already earned: advance your reference instant only by the time the whole tokens took, or keep the level scaled (1 token = period units).";
    // The lesson's example: 4 tokens/s, emptied at t=0.
    let mut b = Lockstep::new(s, cfg(10, 4, SECOND), 0).any_wait();
    b.call(0, 10)?;
    b.call(250 * MS - 1, 1).map_err(|f| f.hint(refill_hint))?;
    b.call(250 * MS, 1).map_err(|f| f.hint(refill_hint))?;
    // Polling between whole tokens must not lose the fraction earned.
    let mut b = Lockstep::new(s, cfg(10, 4, SECOND), 0).any_wait();
    b.call(0, 10)?;
    for k in 1..=40 {
        b.call(k * 100 * MS, 1).map_err(|f| f.hint(refill_hint))?;
    }
    // A million small steps, and queries exactly on the boundaries where a
    // token becomes whole: float arithmetic drifts off them.
    let drift_hint = "Many small refills must add up to exactly one big refill over the same time. Floating-point seconds drift off the boundaries; integers do not: keep the level in units where one token is `period_nanos` and one nanosecond is `tokens` (u128).";
    let mut rng = ctx.rng(2);
    for round in 0..8 {
        // Capacity ≥ 2 and one token spent per call: the bucket hovers near
        // empty and never sits full, so only the refill itself is on trial.
        let config = if round == 0 { cfg(5, 3, SECOND) } else { random_config_from(&mut rng, 2) };
        let mut b = Lockstep::new(s, config, 0).any_wait();
        let mut now = 0;
        b.call(now, config.capacity)?;
        for _ in 0..125_000 {
            now += rng.random_range(1..2_000);
            let d = b.call(now, 1).map_err(|f| f.hint(drift_hint))?;
            if let Decision::Limited { retry_after_nanos } = d {
                if rng.random_range(0..4) == 0 {
                    b.call(now + retry_after_nanos - 1, 1).map_err(|f| f.hint(drift_hint))?;
                    now += retry_after_nanos;
                    b.call(now, 1).map_err(|f| f.hint(drift_hint))?;
                }
            }
        }
    }
    // The envelope: capacity × period up to 2^72, now × tokens up to 2^95.
    // Steps of every scale, from a nanosecond to almost a full refill, keep
    // the bucket below full; each query is answered to the whole token.
    let envelope_hint = "At the contract's limits, capacity × period_nanos reaches 2^72 and now × tokens 2^95: more than a u64 holds, and a u64 wraps silently in a release build. Keep levels and instants scaled in u128.";
    for config in envelope_configs() {
        let span = refill_time(config).saturating_mul(4);
        for t0 in [0, rng.random_range(0..1u64 << 50), late_start(span)] {
            let mut b = Lockstep::new(s, config, t0).any_wait();
            let mut now = t0;
            b.call(now, config.capacity).map_err(|f| f.hint(envelope_hint))?;
            for _ in 0..60 {
                // Strictly less than the time to full: the bucket never fills.
                let to_full = b.model.time_to_full();
                let scale = rng.random_range(0..=to_full.ilog2());
                let step = rng.random_range(0..(1u64 << scale)).min(to_full.saturating_sub(1));
                if now.saturating_add(step) > t0.saturating_add(span).min(MAX_NOW) {
                    break;
                }
                now += step;
                let cost = match rng.random_range(0..3) {
                    0 => 1,
                    1 => rng.random_range(1..=config.capacity),
                    _ => config.capacity,
                };
                b.call(now, cost).map_err(|f| f.hint(envelope_hint))?;
            }
        }
    }
    Ok(vec![])
}
