//! Hidden suite of the `token-bucket` exercise.
//!
//! Expected answers come from [`Model`]: the textbook token bucket (a level
//! and the instant it was last topped up), kept in exact scaled integers. The
//! reference solution is written differently (GCRA: one timestamp), so each
//! stage also exercises the equivalence the lesson states.
//!
//! Every promise of the contract is checked at its centre and at its edges:
//! capacity 1 and 2^32, refill rates of 2^32 tokens per nanosecond and of one
//! token per 2^40 ns, instants up to [`MAX_NOW`], costs of 0 and `u64::MAX`,
//! state that changes in the middle of a sequence, and keys used for the first
//! time by many threads at once. Each check sits in the stage that teaches its
//! idea, so a mistake fails there and every earlier stage passes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use contracts::token_bucket::{Bucket, BucketConfig, Decision, DisplayNanos, KeyedLimiter, MAX_NOW, Nanos, Rate};
use rand::{Rng, RngExt};

use crate::bench;
use grader_protocol::Failure;

use crate::harness::{Ctx, Stage, StageResult, Suite, WithHint, ensure, fail};

/// How the suite builds instances of one implementation.
#[derive(Clone, Copy)]
pub struct Subject {
    /// Builds a bucket.
    pub bucket: fn(BucketConfig, Nanos) -> Box<dyn Bucket>,
    /// Builds a keyed limiter.
    pub limiter: fn(BucketConfig) -> Arc<dyn KeyedLimiter>,
}

impl Subject {
    /// The subject made of these two types.
    pub fn of<B: Bucket + 'static, L: KeyedLimiter + 'static>() -> Subject {
        Subject { bucket: |c, now| Box::new(B::new(c, now)), limiter: |c| Arc::new(L::new(c)) }
    }
}

/// The stages, in grading order; ids match `course.toml`.
pub fn suite(learner: Subject, reference: Subject) -> Suite {
    let s = learner;
    Suite {
        stages: vec![
            Stage::new("starts-full", move |ctx| starts_full(s, ctx)),
            Stage::new("exact-refill", move |ctx| exact_refill(s, ctx)),
            Stage::new("retry-after", move |ctx| retry_after(s, ctx)),
            Stage::new("exceeds-capacity", move |ctx| exceeds_capacity(s, ctx)),
            Stage::new("clock-skew", move |ctx| clock_skew(s, ctx)),
            Stage::new("keyed-isolation", move |ctx| keyed_isolation(s, ctx)),
            Stage::new("concurrency", move |ctx| concurrency(s, ctx)),
            Stage::new("bounded-memory", move |ctx| bounded_memory(s, ctx)),
            Stage::new("benchmarks", move |ctx| benchmarks(s, reference, ctx)),
        ],
        simulation: None,
    }
}

/// The specification, executable: a level in scaled units and the last
/// instant it was topped up. One token is `period_nanos` units; each
/// nanosecond adds `tokens` units. Everything is an exact integer.
#[derive(Debug, Clone)]
pub struct Model {
    config: BucketConfig,
    level: u128,
    last: Nanos,
}

impl Model {
    /// A full bucket at `now`.
    pub fn new(config: BucketConfig, now: Nanos) -> Model {
        Model { config, level: Self::full(config), last: now }
    }

    fn full(c: BucketConfig) -> u128 {
        u128::from(c.capacity) * u128::from(c.refill.period_nanos)
    }

    /// The contract's answer.
    pub fn try_acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        let c = self.config;
        if cost > c.capacity {
            return Decision::ExceedsCapacity { capacity: c.capacity };
        }
        if now > self.last {
            let earned = u128::from(now - self.last) * u128::from(c.refill.tokens);
            self.level = (self.level + earned).min(Self::full(c));
            self.last = now;
        }
        let need = u128::from(cost) * u128::from(c.refill.period_nanos);
        if self.level >= need {
            self.level -= need;
            Decision::Allowed { remaining: (self.level / u128::from(c.refill.period_nanos)) as u64 }
        } else {
            // The tokens are there at `last + ceil(missing / tokens)`; the
            // wait is measured from the caller's `now`, which is earlier than
            // `last` when the clock stepped back.
            let refill = (need - self.level).div_ceil(u128::from(c.refill.tokens));
            let wait = refill + u128::from(self.last - now.min(self.last));
            Decision::Limited { retry_after_nanos: u64::try_from(wait).unwrap_or(u64::MAX) }
        }
    }

    /// The latest instant this bucket has seen.
    pub fn latest(&self) -> Nanos {
        self.last
    }

    /// Nanoseconds from the latest instant seen until the bucket is full.
    fn time_to_full(&self) -> u64 {
        let missing = Self::full(self.config) - self.level;
        u64::try_from(missing.div_ceil(u128::from(self.config.refill.tokens))).unwrap_or(u64::MAX)
    }
}

/// Nanoseconds an empty bucket takes to refill: at most 2^62 in the envelope.
fn refill_time(c: BucketConfig) -> u64 {
    let full = u128::from(c.capacity) * u128::from(c.refill.period_nanos);
    u64::try_from(full.div_ceil(u128::from(c.refill.tokens))).unwrap_or(u64::MAX)
}

fn cfg(capacity: u64, tokens: u64, period_nanos: u64) -> BucketConfig {
    BucketConfig { capacity, refill: Rate::new(tokens, period_nanos) }
}

const SECOND: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;

fn t(n: Nanos) -> DisplayNanos {
    DisplayNanos(n)
}

/// A random configuration within the contract's bounds, biased to awkward
/// rates (periods that tokens do not divide).
fn random_config(rng: &mut impl Rng) -> BucketConfig {
    random_config_from(rng, 1)
}

/// Like [`random_config`], with at least `min_capacity` tokens.
fn random_config_from(rng: &mut impl Rng, min_capacity: u64) -> BucketConfig {
    let capacities = [1, 2, 3, 7, 10, 100, 1000].map(|c: u64| c.max(min_capacity));
    let capacity = capacities[rng.random_range(0..capacities.len())];
    let tokens = rng.random_range(1..=12);
    let period = *[SECOND, 7 * MS, 999_983, 3 * SECOND, 60 * SECOND].get(rng.random_range(0..5)).unwrap_or(&SECOND);
    cfg(capacity, tokens, period)
}

/// Configurations at the limits of the contract's envelope, where
/// `capacity × period_nanos` and `now × tokens` no longer fit a `u64`. None
/// refills in less than a few nanoseconds per token, so a bucket can be kept
/// from filling up (fullness is the topic of the clock-skew stage).
fn envelope_configs() -> [BucketConfig; 6] {
    [
        cfg(1 << 32, 1 << 32, 1 << 40), // capacity × period = 2^72
        cfg(1 << 22, 1, 1 << 40),       // an empty bucket refills in 2^62 ns
        cfg(1 << 32, 1, 1 << 30),       // capacity × period = 2^62, refills in 2^62 ns
        cfg(7, 1 << 32, (1 << 40) - 1), // 2^32 tokens per almost 2^40 ns
        cfg(1, 1, 1 << 40),             // capacity 1, the slowest rate
        cfg(1, 1 << 32, 1 << 40),       // capacity 1, a token every 256 ns
    ]
}

/// Where a sequence near the top of the clock starts: late enough that
/// `now × tokens` needs 95 bits, early enough that every instant of a
/// sequence lasting at most `span` stays at or below [`MAX_NOW`].
fn late_start(span: u64) -> Nanos {
    MAX_NOW - span.min(MAX_NOW)
}

/// Drives a subject bucket and the model with the same calls; the first
/// difference is a failure that shows the whole (short) history.
struct Lockstep {
    config: BucketConfig,
    subject: Box<dyn Bucket>,
    model: Model,
    /// The first calls of the story, and the most recent ones: a failure
    /// shows both (formatted only then; a stage makes a million calls).
    first: Vec<Call>,
    recent: VecDeque<Call>,
    calls: usize,
    origin: Nanos,
    /// Whether a `Limited` answer must carry the exact wait. Stages before
    /// `retry-after` only check that the request was limited, so that each
    /// mistake is reported by the stage that teaches it.
    exact_wait: bool,
}

/// One call and the implementation's (accepted) answer.
type Call = (Nanos, u64, Decision);

/// Calls shown from the start and from the end of a story.
const SHOWN_CALLS: usize = 6;

impl Lockstep {
    fn new(s: Subject, config: BucketConfig, now: Nanos) -> Lockstep {
        Lockstep {
            config,
            subject: (s.bucket)(config, now),
            model: Model::new(config, now),
            first: Vec::with_capacity(SHOWN_CALLS),
            recent: VecDeque::with_capacity(SHOWN_CALLS),
            calls: 0,
            origin: now,
            exact_wait: true,
        }
    }

    /// Only the kind of a `Limited` answer is checked, not its wait.
    fn any_wait(mut self) -> Lockstep {
        self.exact_wait = false;
        self
    }

    /// An instant relative to the bucket's creation.
    fn at(&self, now: Nanos) -> String {
        if now >= self.origin { format!("t={}", t(now - self.origin)) } else { format!("t=-{}", t(self.origin - now)) }
    }

    fn line(&self, now: Nanos, cost: u64) -> String {
        format!("at {}: acquire({cost})", self.at(now))
    }

    fn call(&mut self, now: Nanos, cost: u64) -> Result<Decision, Failure> {
        let latest = self.model.latest();
        let want = self.model.try_acquire(now, cost);
        let got = self.subject.try_acquire(now, cost);
        let agree = match (got, want) {
            (Decision::Limited { .. }, Decision::Limited { .. }) if !self.exact_wait => true,
            _ => got == want,
        };
        if !agree {
            let origin = if self.origin == 0 { String::new() } else { format!(" (now = {})", self.origin) };
            let expected = match want {
                // After a backwards step, say which instant the wait is measured from.
                Decision::Limited { retry_after_nanos } if now < latest => format!(
                    "{want}: the bucket last saw {} and has the tokens at {}, which is {} after this call's own now ({}): the wait is measured from the caller's now",
                    self.at(latest),
                    self.at(now.saturating_add(retry_after_nanos)),
                    t(retry_after_nanos),
                    self.at(now)
                ),
                _ => want.to_string(),
            };
            return Err(fail(
                format!(
                    "A bucket ({}) created full at t=0{origin}:\n  {}\n  then {}",
                    self.config,
                    self.story(),
                    self.line(now, cost)
                ),
                expected,
                got,
            ));
        }
        // The story shows what the implementation answered.
        if self.first.len() < SHOWN_CALLS {
            self.first.push((now, cost, got));
        } else {
            if self.recent.len() == SHOWN_CALLS {
                self.recent.pop_front();
            }
            self.recent.push_back((now, cost, got));
        }
        self.calls += 1;
        // The model's answer: the exact wait, even where only the kind was checked.
        Ok(want)
    }

    fn story(&self) -> String {
        if self.calls == 0 {
            return "(no earlier calls)".into();
        }
        let show = |c: &Call| format!("{} → {}", self.line(c.0, c.1), c.2);
        let mut lines: Vec<String> = self.first.iter().map(show).collect();
        let skipped = self.calls - self.first.len() - self.recent.len();
        if skipped > 0 {
            lines.push(format!("… {skipped} more calls, every answer as expected …"));
        }
        lines.extend(self.recent.iter().map(show));
        lines.join("\n  ")
    }
}

fn starts_full(s: Subject, ctx: &Ctx) -> StageResult {
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

fn exact_refill(s: Subject, ctx: &Ctx) -> StageResult {
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

fn retry_after(s: Subject, ctx: &Ctx) -> StageResult {
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

fn exceeds_capacity(s: Subject, ctx: &Ctx) -> StageResult {
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

fn clock_skew(s: Subject, ctx: &Ctx) -> StageResult {
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

fn keyed_isolation(s: Subject, ctx: &Ctx) -> StageResult {
    let hint = "Each key owns its own bucket, created full the first time the key is seen; keys that differ by case or a trailing space are different keys.";
    let mut rng = ctx.rng(6);
    let long_key = "k".repeat(1000);
    let keys = ["alice", "bob", "", "alice ", "ALICE", "a", "ab", "ключ", "🔑", "a\0b", long_key.as_str()];
    // Short steps (buckets mostly refilling), then long gaps in which every
    // bucket fills up (and may be forgotten) before it is used again; then
    // the same near the top of the clock, and with capacity 1. A key's clock
    // never runs backwards here, so every answer is exact.
    let runs = [
        (cfg(5, 2, SECOND), 5 * SECOND, 100 * MS),
        (cfg(5, 2, SECOND), 5 * SECOND, 10 * SECOND),
        (cfg(1, 3, SECOND), 0, SECOND),
        (cfg(1 << 32, 1 << 32, 1 << 40), late_start(1 << 56), 1 << 41),
    ];
    for (config, start, max_step) in runs {
        let limiter = (s.limiter)(config);
        let mut models: Vec<Option<Model>> = vec![None; keys.len()];
        let mut now = start;
        let mut history: VecDeque<String> = VecDeque::with_capacity(8);
        for _ in 0..3_000 {
            now = (now + rng.random_range(0..max_step)).min(MAX_NOW);
            let k = rng.random_range(0..keys.len());
            let cost = match rng.random_range(0..12) {
                0 => 0,
                1 => config.capacity + 1,
                2 => u64::MAX,
                3 => config.capacity,
                _ => rng.random_range(1..=config.capacity.min(3)),
            };
            let model = models[k].get_or_insert_with(|| Model::new(config, now));
            let want = model.try_acquire(now, cost);
            let got = limiter.try_acquire(keys[k], now, cost);
            let shown =
                if keys[k].len() > 20 { format!("\"k\" × {}", keys[k].len()) } else { format!("{:?}", keys[k]) };
            let line = format!("at t={}: try_acquire({shown}, {cost})", t(now - start));
            if got != want {
                let recent = history.iter().cloned().collect::<Vec<_>>().join("\n  ");
                let origin = if start == 0 { String::new() } else { format!(" (t=0 is now = {start})") };
                return Err(fail(
                    format!("A keyed limiter ({config}){origin}; most recent calls:\n  {recent}\n  then {line}"),
                    want,
                    got,
                )
                .hint(hint));
            }
            if history.len() == 8 {
                history.pop_front();
            }
            history.push_back(format!("{line} → {got}"));
        }
    }
    Ok(vec![])
}

fn concurrency(s: Subject, _ctx: &Ctx) -> StageResult {
    shared_key(s)?;
    concurrent_first_use(s)?;
    Ok(vec![])
}

/// Many threads on one key, each taking the next tick of a shared clock.
fn shared_key(s: Subject) -> Result<(), Failure> {
    // One token per 100 ns of a shared virtual clock; 8 threads each take
    // the clock's next tick and ask for one token from the same key.
    let config = cfg(50, 1, 100);
    let limiter = (s.limiter)(config);
    let clock = Arc::new(AtomicU64::new(0));
    let threads = 8;
    let per_thread = 60_000;
    let mut handles = Vec::with_capacity(threads);
    for i in 0..threads {
        let limiter = Arc::clone(&limiter);
        let clock = Arc::clone(&clock);
        handles.push(std::thread::spawn(move || {
            let key = if i % 4 == 3 { "other" } else { "hot" };
            let mut allowed = 0u64;
            for _ in 0..per_thread {
                let now = clock.fetch_add(3, Ordering::Relaxed);
                if let Decision::Allowed { .. } = limiter.try_acquire(key, now, 1) {
                    allowed += 1;
                }
            }
            (key, allowed)
        }));
    }
    let mut hot = 0;
    let mut other = 0;
    for h in handles {
        match h.join() {
            Ok(("hot", n)) => hot += n,
            Ok((_, n)) => other += n,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
    let elapsed = clock.load(Ordering::Relaxed);
    let bound = config.capacity + elapsed / 100;
    for (key, admitted, users) in [("hot", hot, 6), ("other", other, 2)] {
        ensure(admitted <= bound, || {
            fail(
                format!(
                    "{users} threads shared one key ({key:?}) of a limiter ({config}), each taking the next tick of a shared clock; the clock advanced {} in all.",
                    t(elapsed)
                ),
                format!("at most capacity + elapsed × rate = 50 + {} = {bound} requests allowed", elapsed / 100),
                format!("{admitted} allowed"),
            )
            .hint("Reading a key's state, deciding, and writing it back must be one atomic step: hold the lock across all three (or use a compare-and-swap loop). Two threads that both read the same state both spend the same token.")
        })?;
        ensure(admitted >= bound / 4, || {
            fail(
                format!("{users} threads shared one key ({key:?}) of a limiter ({config}); the clock advanced {}.", t(elapsed)),
                format!("close to {bound} requests allowed"),
                format!("only {admitted} allowed"),
            )
            .hint("Under concurrency the clock a thread brings can be slightly behind another's: treat it as no time passed, never as a reason to refuse forever.")
        })?;
    }
    Ok(())
}

/// Fresh keys per round of the first-use check, and rounds per limiter (a
/// new limiter now and then keeps each map small, so that the check is about
/// the race, not about the speed of a big map).
const FIRST_USE_KEYS: usize = 32;
const FIRST_USE_ROUNDS_PER_LIMITER: usize = 64;
/// The check runs until this many first calls on a fresh key have actually
/// run at the same time as another thread's call (on a loaded machine threads
/// take turns more than they overlap), or until [`FIRST_USE_MAX_ROUNDS`].
const FIRST_USE_OVERLAPS: u64 = 20_000;
const FIRST_USE_MIN_ROUNDS: usize = 200;
const FIRST_USE_MAX_ROUNDS: usize = 12_000;

/// Many threads name keys nobody has seen before, at the same instant: each
/// key must get one full bucket, not one per thread (a double burst).
fn concurrent_first_use(s: Subject) -> Result<(), Failure> {
    // Every thread runs at once: at least two, at most one per core (and 8).
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    for capacity in [1, 3] {
        // One token per 2^40 ns: nothing refills during the check, so each
        // key admits exactly `capacity` requests, whatever the interleaving.
        let config = cfg(capacity, 1, 1 << 40);
        let name = move |k: usize| format!("fresh-{capacity}-{k}");
        let limiters: Arc<Vec<Arc<dyn KeyedLimiter>>> = Arc::new(
            (0..FIRST_USE_MAX_ROUNDS.div_ceil(FIRST_USE_ROUNDS_PER_LIMITER)).map(|_| (s.limiter)(config)).collect(),
        );
        let arrived = Arc::new(AtomicUsize::new(0));
        // Calls in progress, and per round the first calls that overlapped another.
        let inside = Arc::new(AtomicUsize::new(0));
        let overlaps: Arc<Vec<AtomicU64>> = Arc::new((0..FIRST_USE_MAX_ROUNDS).map(|_| AtomicU64::new(0)).collect());
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (limiters, arrived, inside, overlaps) =
                    (Arc::clone(&limiters), Arc::clone(&arrived), Arc::clone(&inside), Arc::clone(&overlaps));
                std::thread::spawn(move || {
                    let mut allowed: Vec<u8> = Vec::new();
                    let mut seen = 0u64;
                    for round in 0..FIRST_USE_MAX_ROUNDS {
                        // A spinning barrier: every thread leaves it within
                        // nanoseconds of the others, so they meet on each key's
                        // first use (a blocking barrier wakes them one by one).
                        arrived.fetch_add(1, Ordering::AcqRel);
                        let mut spins = 0u32;
                        while arrived.load(Ordering::Acquire) < threads * (round + 1) {
                            spins += 1;
                            if spins % 256 == 0 {
                                std::thread::yield_now();
                            } else {
                                std::hint::spin_loop();
                            }
                        }
                        // Every thread added the previous round's overlaps before
                        // arriving: all threads see the same total and stop together.
                        if round > 0 {
                            seen += overlaps[round - 1].load(Ordering::Acquire);
                        }
                        if round >= FIRST_USE_MIN_ROUNDS && seen >= FIRST_USE_OVERLAPS {
                            break;
                        }
                        let now = round as u64 * 1_000;
                        let limiter = &limiters[round / FIRST_USE_ROUNDS_PER_LIMITER];
                        let mut overlapped = 0;
                        for k in round * FIRST_USE_KEYS..(round + 1) * FIRST_USE_KEYS {
                            let key = name(k);
                            allowed.push(0);
                            for i in 0..capacity {
                                let others = if i == 0 { inside.fetch_add(1, Ordering::AcqRel) } else { 0 };
                                if let Decision::Allowed { .. } = limiter.try_acquire(&key, now, 1) {
                                    allowed[k] += 1;
                                }
                                if i == 0 {
                                    inside.fetch_sub(1, Ordering::AcqRel);
                                    overlapped += u64::from(others > 0);
                                }
                            }
                        }
                        overlaps[round].fetch_add(overlapped, Ordering::AcqRel);
                    }
                    allowed
                })
            })
            .collect();
        let mut total: Vec<u64> = vec![];
        for h in handles {
            match h.join() {
                Ok(allowed) => {
                    total.resize(total.len().max(allowed.len()), 0);
                    total.iter_mut().zip(allowed).for_each(|(t, a)| *t += u64::from(a));
                }
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        let wrong: Vec<usize> = (0..total.len()).filter(|&k| total[k] != capacity).collect();
        if let Some(&k) = wrong.first() {
            let round = k / FIRST_USE_KEYS;
            let more = total[k] > capacity;
            return Err(fail(
                format!(
                    "{threads} threads named {} keys nobody had used before, {FIRST_USE_KEYS} at a time, all starting together (limiter: {config}); each thread asked each key for 1 token {capacity} time(s), all at the same instant. Key {:?} (first used at t={}) is one of {} keys that went wrong.",
                    total.len(),
                    name(k),
                    t(round as u64 * 1_000),
                    wrong.len()
                ),
                format!("exactly {capacity} allowed for the key in all: one full bucket, shared by every thread"),
                format!("{} allowed", total[k]),
            )
            .hint(if more {
                "Two threads both found the key missing and both gave it a full bucket: a double burst. Finding the key and creating its bucket must happen under one lock acquisition (an entry API), or be re-checked after taking the lock that inserts."
            } else {
                "A request that waits for a lock must still be answered from the key's bucket: refusing under contention is not allowed."
            }));
        }
    }
    Ok(())
}

/// A steady churn of clients: a new client every millisecond drains its
/// bucket, which refills in 100 ms, so about 100 are active at any time.
/// Between clients `burst_at` and `burst_at + burst`, each millisecond also
/// brings a crowd of extra clients that drain their buckets and come back
/// 60 ms later, before those are full again.
struct Churn {
    config: BucketConfig,
    clients: u64,
    start: Nanos,
    burst_at: u64,
    burst: u64,
    crowd: u64,
}

fn churn(s: Subject, c: &Churn) -> Result<(), Failure> {
    let Churn { config, clients, start, burst_at, burst, crowd } = *c;
    let limiter = (s.limiter)(config);
    let steady = 101;
    let keep_hint = "Only a bucket that has refilled to full may be forgotten, however many keys are active: forgetting one that is still refilling (by age, by a size cap, least recently used first) gives that client a free burst.";
    for i in 0..clients {
        let now = start + i * MS;
        let key = format!("client-{i}");
        let d = limiter.try_acquire(&key, now, config.capacity);
        if d != (Decision::Allowed { remaining: 0 }) {
            return Err(fail(
                format!("A new client {key:?} drained its bucket ({config}) at t={}.", t(now - start)),
                "allowed (0 tokens left)",
                d,
            ));
        }
        if i >= 50 {
            // A client seen 50 ms ago is still active: forgetting it would hand it a new burst.
            let recent = format!("client-{}", i - 50);
            let d = limiter.try_acquire(&recent, now, config.capacity);
            if !matches!(d, Decision::Limited { .. }) {
                return Err(fail(
                    format!("Client {recent:?} drained its bucket ({config}) 50ms ago and asked for its full capacity again at t={}.", t(now - start)),
                    "limited (only half the bucket has refilled)",
                    d,
                )
                .hint(keep_hint));
            }
        }
        let in_burst = (burst_at..burst_at + burst).contains(&i);
        if in_burst {
            for j in 0..crowd {
                let key = format!("crowd-{i}-{j}");
                limiter.try_acquire(&key, now, config.capacity);
            }
        }
        if (burst_at + 60..burst_at + burst + 60).contains(&i) {
            // The crowd of 60 ms ago comes back: its buckets are not full yet.
            for j in 0..crowd {
                let key = format!("crowd-{}-{j}", i - 60);
                let d = limiter.try_acquire(&key, now, config.capacity);
                if !matches!(d, Decision::Limited { .. }) {
                    return Err(fail(
                        format!(
                            "During a burst of {} active clients ({config}), client {key:?} drained its bucket 60ms ago and asked for its full capacity again at t={}.",
                            steady + 100 * crowd,
                            t(now - start)
                        ),
                        "limited (only 60% of the bucket has refilled)",
                        d,
                    )
                    .hint(keep_hint));
                }
            }
        }
        let active = if (burst_at..burst_at + burst + 100).contains(&i) { steady + 100 * crowd } else { steady };
        // After a burst the promise is still the one for the busiest moment.
        let peak = if i >= burst_at && burst > 0 { steady + 100 * crowd } else { steady };
        let bound = 2 * peak + 1024;
        let len = limiter.len();
        if len as u64 > bound {
            return Err(fail(
                format!(
                    "{} clients came and went ({config}), at most {peak} active at any time so far ({active} now); after {} clients,",
                    clients,
                    i + 1
                ),
                format!("len() ≤ 2 × {peak} + 1024 = {bound}"),
                format!("len() = {len}"),
            )
            .hint("A full bucket answers exactly like a fresh one, so it can be dropped. Sweep full buckets out when the map has doubled since the last sweep: amortized O(1) per call."));
        }
    }
    Ok(())
}

fn bounded_memory(s: Subject, _ctx: &Ctx) -> StageResult {
    // 200,000 clients, about 100 active at any time.
    churn(s, &Churn { config: cfg(10, 1, 10 * MS), clients: 200_000, start: 0, burst_at: 0, burst: 0, crowd: 0 })?;
    // Capacity 1; and the top of the envelope: 2^32 tokens, 2^32 per 100 ms,
    // near the end of the clock.
    churn(s, &Churn { config: cfg(1, 1, 100 * MS), clients: 50_000, start: 0, burst_at: 0, burst: 0, crowd: 0 })?;
    churn(
        s,
        &Churn {
            config: cfg(1 << 32, 1 << 32, 100 * MS),
            clients: 50_000,
            start: late_start(60 * SECOND),
            burst_at: 0,
            burst: 0,
            crowd: 0,
        },
    )?;
    // The active set changes mid-sequence: 100 ms in which 60 extra clients
    // arrive every millisecond (6,000 more active keys), then calm again.
    churn(
        s,
        &Churn { config: cfg(10, 1, 10 * MS), clients: 20_000, start: 0, burst_at: 5_000, burst: 100, crowd: 60 },
    )?;
    // Requests that take nothing (cost 0, or above capacity) leave every
    // bucket full: no key is active, so at most 1024 may be kept.
    let config = cfg(10, 1, 10 * MS);
    let limiter = (s.limiter)(config);
    for i in 0..50_000u64 {
        let cost = if i % 2 == 0 { 0 } else { 11 };
        limiter.try_acquire(&format!("probe-{i}"), i * MS, cost);
        let len = limiter.len();
        ensure(len <= 1024, || {
            fail(
                format!("{} new clients each asked once for nothing (cost 0) or for more than the capacity ({config}): no bucket was ever below full.", i + 1),
                "len() ≤ 2 × 0 + 1024 = 1024",
                format!("len() = {len}"),
            )
            .hint("A bucket that is full (or that a request did not touch) carries no information: forget it like any other full bucket, or never store it.")
        })?;
    }
    Ok(vec![])
}

fn benchmarks(learner: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
    let baseline = Subject::of::<crate::token_bucket_baseline::TokenBucket, crate::token_bucket_baseline::Limiter>();
    const OPS: u64 = 20_000;
    let config = cfg(100, 1, 1_000);
    let single = |s: Subject| {
        let mut b = (s.bucket)(config, 0);
        let mut now = 0;
        bench::time_batch(OPS, || {
            for _ in 0..OPS {
                now += 37;
                std::hint::black_box(b.try_acquire(now, 1));
            }
        })
    };
    let bucket = bench::speed(
        "bucket try_acquire",
        "one call should do a few integer operations: no allocation, no loop over time",
        || single(learner),
        || single(baseline),
        || single(reference),
    );

    // Keyed: one token a second, so every key the limiter has seen stays
    // active (not full) for the whole run and the map holds all n keys.
    let keyed_config = cfg(100, 1, SECOND);
    let keys: Vec<String> = (0..10_000).map(|i| format!("10.0.{}.{}", i / 256, i % 256)).collect();
    let mut rng = ctx.rng(9);
    let order: Vec<usize> = (0..OPS).map(|_| rng.random_range(0..keys.len())).collect();
    let keyed_run = |s: Subject, n: usize| {
        let limiter = (s.limiter)(keyed_config);
        for (i, k) in keys.iter().take(n).enumerate() {
            limiter.try_acquire(k, i as u64, 1);
        }
        let mut now = n as u64;
        bench::time_batch(OPS, || {
            for &i in &order {
                now += 1;
                std::hint::black_box(limiter.try_acquire(&keys[i % n], now, 1));
            }
        })
    };
    let keyed = bench::speed(
        "keyed try_acquire, 10k keys",
        "a call should hash the key once and take one lock; avoid allocating a String per call for keys you already track",
        || keyed_run(learner, 10_000),
        || keyed_run(baseline, 10_000),
        || keyed_run(reference, 10_000),
    );
    let scaling = bench::complexity(
        "keyed try_acquire, 100 → 10k keys",
        "time per call grows with the number of keys: a scan of every key, or a sweep of the whole map on every call? Sweep only when the map has doubled since the last sweep, so each sweep is paid for by the inserts before it",
        100,
        10.0,
        |n| keyed_run(learner, n),
        |n| keyed_run(reference, n),
    );
    Ok(vec![bucket, keyed, scaling])
}
