//! Stage `clock-skew`: a clock that steps back adds no tokens, and a bucket
//! idle for long holds `capacity`, no more.

use contracts::token_bucket::{BucketConfig, Decision, MAX_NOW};
use rand::RngExt;

use super::Subject;
use super::configs::{MS, SECOND, cfg, envelope_configs, late_start, random_config};
use super::lockstep::Lockstep;
use crate::harness::{Ctx, StageResult, WithHint};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let back_hint = "A `now` earlier than the last one seen adds no tokens; do not move your reference instant backwards, or the return to the present refills the time twice.";
    let idle_hint =
        "Cap the level at capacity: a bucket idle for an hour holds `capacity` tokens, not an hour's worth.";
    let wait_hint = "After the clock stepped back, the wait is still measured from the caller's `now`: the tokens are there at (latest instant seen + the refill time), so the wait is that instant minus this call's `now`. The same request arriving exactly `retry_after` later must be allowed.";
    let exceeds_hint = "An ExceedsCapacity answer changes nothing, not even the latest instant the bucket has seen: a later call with an earlier `now` still earns the time up to that `now`.";
    let config = cfg(10, 4, SECOND);
    // Emptied at t=100s, asked at t=0, then back to the present.
    let mut b = Lockstep::new(s, config, 100 * SECOND);
    b.call(100 * SECOND, 10)?;
    b.call(0, 1).map_err(|f| f.hint(back_hint))?;
    b.call(100 * SECOND, 1).map_err(|f| f.hint(back_hint))?;
    b.call(100 * SECOND + 250 * MS, 1).map_err(|f| f.hint(back_hint))?;
    b.call(100 * SECOND + 250 * MS, 1).map_err(|f| f.hint(back_hint))?;
    // Retry-After after a backwards step: emptied at t=100s, asked at t=40s
    // for one token it has at t=100.25s: wait 60.25s from t=40s, honoured to
    // the nanosecond.
    let mut b = Lockstep::new(s, config, 0);
    b.call(100 * SECOND, 10)?;
    b.call(40 * SECOND, 1).map_err(|f| f.hint(wait_hint))?;
    b.call(40 * SECOND + 60 * SECOND + 250 * MS - 1, 1).map_err(|f| f.hint(wait_hint))?;
    b.call(40 * SECOND + 60 * SECOND + 250 * MS, 1).map_err(|f| f.hint(wait_hint))?;
    // An ExceedsCapacity answer at a later instant moves nothing forward.
    let mut b = Lockstep::new(s, config, 0);
    b.call(0, 10)?;
    b.call(10 * SECOND, 11).map_err(|f| f.hint(exceeds_hint))?;
    b.call(SECOND, 1).map_err(|f| f.hint(exceeds_hint))?;
    b.call(SECOND + 250 * MS, 4).map_err(|f| f.hint(exceeds_hint))?;
    // Long idle: exactly capacity, then limited.
    let mut b = Lockstep::new(s, config, 0);
    b.call(0, 3)?;
    for _ in 0..=config.capacity {
        b.call(3600 * SECOND, 1).map_err(|f| f.hint(idle_hint))?;
    }
    // The envelope: the whole clock, from 0 to MAX_NOW and back, at the
    // fastest and the largest configurations, and at capacity 1.
    for config in [cfg(1 << 32, 1 << 32, 1), cfg(1 << 32, 1 << 32, 1 << 40), cfg(1, 1 << 32, 1), cfg(1, 1, 1 << 40)] {
        let mut b = Lockstep::new(s, config, 0);
        b.call(0, config.capacity)?;
        b.call(MAX_NOW, 1).map_err(|f| f.hint(idle_hint))?;
        b.call(MAX_NOW, config.capacity).map_err(|f| f.hint(idle_hint))?;
        b.call(0, 1).map_err(|f| f.hint(wait_hint))?;
        b.call(MAX_NOW - 1, config.capacity).map_err(|f| f.hint(wait_hint))?;
        b.call(MAX_NOW, 1).map_err(|f| f.hint(back_hint))?;
    }
    // Jittery clocks: random steps forwards and backwards, with requests of
    // every kind; a limited request after a step back is retried one
    // nanosecond early and on time.
    let mut rng = ctx.rng(5);
    let mut configs: Vec<BucketConfig> = (0..50).map(|_| random_config(&mut rng)).collect();
    configs.extend(envelope_configs());
    for config in configs {
        let scale = config.refill.period_nanos.max(2);
        let mut now: u64 = rng.random_range(1 << 41..=late_start(1 << 50));
        let mut b = Lockstep::new(s, config, now);
        for _ in 0..200 {
            let step = rng.random_range(0..scale);
            now = if rng.random_range(0..3) == 0 { now - step.min(now) } else { (now + step).min(MAX_NOW) };
            let cost = match rng.random_range(0..10) {
                0 => config.capacity + 1,
                _ => rng.random_range(0..=config.capacity),
            };
            let behind = now < b.model.latest();
            let d = b.call(now, cost).map_err(|f| {
                f.hint(match (behind, cost > config.capacity) {
                    (_, true) => exceeds_hint,
                    (true, false) => wait_hint,
                    (false, false) => back_hint,
                })
            })?;
            if let (true, Decision::Limited { retry_after_nanos }) = (behind, d) {
                if now + retry_after_nanos <= MAX_NOW && rng.random_range(0..4) == 0 {
                    b.call(now + retry_after_nanos - 1, cost).map_err(|f| f.hint(wait_hint))?;
                    now += retry_after_nanos;
                    b.call(now, cost).map_err(|f| f.hint(wait_hint))?;
                }
            }
        }
        b.call(MAX_NOW.min(now.saturating_add(1000 * config.refill.period_nanos)), 0).map_err(|f| f.hint(idle_hint))?;
    }
    Ok(vec![])
}
