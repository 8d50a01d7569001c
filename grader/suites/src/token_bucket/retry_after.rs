//! Stage `retry-after`: a limited answer carries the exact wait, and a retry
//! on time is allowed.

use contracts::token_bucket::Decision;
use rand::RngExt;

use super::Subject;
use super::configs::{SECOND, cfg, envelope_configs, late_start, random_config_from, refill_time};
use super::lockstep::Lockstep;
use crate::harness::{Ctx, StageResult, WithHint};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let hint = "When limited, the wait is the missing units divided by the refill speed, rounded up: ceil((cost × period − level) / tokens) nanoseconds, with the level in units where one token is `period`.";
    let mut rng = ctx.rng(3);
    for round in 0..240 {
        // Forty rounds of capacity 1, the rest random. At capacity 1 the only
        // cost is the whole bucket, so a retry on time refills it exactly to
        // full: one token per period, so that it never overshoots full (which
        // is the clock-skew stage's topic).
        let config = match round % 6 {
            0 => *[cfg(1, 1, SECOND), cfg(1, 1, 3 * SECOND), cfg(1, 1, 999_983), cfg(1, 1, 7)]
                .get(rng.random_range(0..4))
                .unwrap_or(&cfg(1, 1, SECOND)),
            _ => random_config_from(&mut rng, 2),
        };
        let mut now = rng.random_range(0..1u64 << 40);
        let mut b = Lockstep::new(s, config, now);
        b.call(now, config.capacity)?;
        for _ in 0..20 {
            // Twenty steps refill at most half the bucket, and an allowed retry
            // empties what it waited for: the bucket is never full, so this
            // stage is about the wait alone.
            let step = config.capacity * config.refill.period_nanos / (40 * config.refill.tokens);
            now += rng.random_range(0..=step);
            // Below capacity: waiting for `capacity` could overshoot full by
            // the sub-nanosecond remainder, and fullness is stage 5's topic.
            let cost = if config.capacity == 1 { 1 } else { rng.random_range(1..config.capacity) };
            if let Decision::Limited { retry_after_nanos } = b.call(now, cost).map_err(|f| f.hint(hint))? {
                // Honoured: one nanosecond early is still limited, on time is allowed.
                b.call(now + retry_after_nanos - 1, cost).map_err(|f| f.hint(hint))?;
                now += retry_after_nanos;
                b.call(now, cost)
                    .map_err(|f| f.hint("A request retried exactly after `retry_after` must be allowed."))?;
            }
        }
    }
    // The envelope: waits of up to 2^62 ns, instants up to MAX_NOW, and
    // missing units up to 2^72 (more than a u64 holds).
    let envelope_hint = "Near the contract's limits the missing units reach 2^72 and the wait 2^62 ns: compute the wait in u128, round it up, and convert only the result.";
    for config in envelope_configs() {
        // Each episode: a fresh bucket emptied at t0, asked again before it
        // has refilled, then retried one nanosecond early and on time.
        let full_refill = refill_time(config);
        for t0 in [0, rng.random_range(0..1u64 << 50), late_start(full_refill)] {
            for _ in 0..6 {
                let mut b = Lockstep::new(s, config, t0);
                b.call(t0, config.capacity).map_err(|f| f.hint(envelope_hint))?;
                let cost = if config.capacity == 1 { 1 } else { rng.random_range(1..config.capacity) };
                let now = t0 + rng.random_range(0..full_refill / 2);
                if let Decision::Limited { retry_after_nanos } = b.call(now, cost).map_err(|f| f.hint(envelope_hint))? {
                    b.call(now + retry_after_nanos - 1, cost).map_err(|f| f.hint(envelope_hint))?;
                    b.call(now + retry_after_nanos, cost).map_err(|f| f.hint(envelope_hint))?;
                }
            }
        }
    }
    Ok(vec![])
}
