//! Hidden suite of the `token-bucket` exercise.
//!
//! Expected answers come from [`Model`]: the textbook token bucket (a level
//! and the instant it was last topped up), kept in exact scaled integers. The
//! reference solution is written differently (GCRA: one timestamp), so each
//! stage also exercises the equivalence the lesson states.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use contracts::token_bucket::{Bucket, BucketConfig, Decision, DisplayNanos, KeyedLimiter, Nanos, Rate};
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
            let wait = (need - self.level).div_ceil(u128::from(c.refill.tokens));
            Decision::Limited { retry_after_nanos: wait as u64 }
        }
    }
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

    fn line(&self, now: Nanos, cost: u64) -> String {
        let at = if now >= self.origin {
            format!("t={}", t(now - self.origin))
        } else {
            format!("t=-{}", t(self.origin - now))
        };
        format!("at {at}: acquire({cost})")
    }

    fn call(&mut self, now: Nanos, cost: u64) -> Result<Decision, Failure> {
        let want = self.model.try_acquire(now, cost);
        let got = self.subject.try_acquire(now, cost);
        let agree = match (got, want) {
            (Decision::Limited { .. }, Decision::Limited { .. }) if !self.exact_wait => true,
            _ => got == want,
        };
        if !agree {
            return Err(fail(
                format!(
                    "A bucket ({}) created full at t=0:\n  {}\n  then {}",
                    self.config,
                    self.story(),
                    self.line(now, cost)
                ),
                want,
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
    let mut rng = ctx.rng(1);
    let mut configs = vec![cfg(1, 1, SECOND), cfg(10, 4, SECOND), cfg(1000, 1, 3 * SECOND)];
    configs.extend((0..20).map(|_| random_config(&mut rng)));
    for config in configs {
        let t0 = rng.random_range(0..1u64 << 40);
        let mut b = Lockstep::new(s, config, t0).any_wait();
        for _ in 0..=config.capacity {
            b.call(t0, 1).map_err(|f| {
                f.hint("A new bucket holds `capacity` tokens, and a request for exactly the tokens left is allowed (>=, not >).")
            })?;
        }
        // The whole burst at once, on a fresh bucket.
        let mut b = Lockstep::new(s, config, t0).any_wait();
        b.call(t0, config.capacity)
            .map_err(|f| f.hint("A full bucket allows one request costing its whole capacity."))?;
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
    Ok(vec![])
}

fn retry_after(s: Subject, ctx: &Ctx) -> StageResult {
    let hint = "When limited, the wait is the missing units divided by the refill speed, rounded up: ceil((cost × period − level) / tokens) nanoseconds, with the level in units where one token is `period`.";
    let mut rng = ctx.rng(3);
    for _ in 0..200 {
        let config = random_config_from(&mut rng, 2);
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
            let cost = rng.random_range(1..config.capacity);
            if let Decision::Limited { retry_after_nanos } = b.call(now, cost).map_err(|f| f.hint(hint))? {
                // Honoured: one nanosecond early is still limited, on time is allowed.
                b.call(now + retry_after_nanos - 1, cost).map_err(|f| f.hint(hint))?;
                now += retry_after_nanos;
                b.call(now, cost)
                    .map_err(|f| f.hint("A request retried exactly after `retry_after` must be allowed."))?;
            }
        }
    }
    Ok(vec![])
}

fn exceeds_capacity(s: Subject, _ctx: &Ctx) -> StageResult {
    let hint = "Check `cost > capacity` first and answer ExceedsCapacity without touching the bucket: no wait would ever make that request fit.";
    for config in [cfg(10, 4, SECOND), cfg(1, 1, 7), cfg(1000, 3, SECOND)] {
        let mut b = Lockstep::new(s, config, 0);
        b.call(0, config.capacity + 1).map_err(|f| f.hint(hint))?;
        b.call(0, u64::MAX)
            .map_err(|f| f.hint("Beware overflow: cost × period does not fit in a u64 for a huge cost."))?;
        b.call(0, 0).map_err(|f| f.hint("A cost of 0 is always allowed and takes nothing."))?;
        b.call(0, config.capacity).map_err(|f| f.hint("An ExceedsCapacity answer must not take any tokens."))?;
        b.call(0, 0).map_err(|f| f.hint("A cost of 0 is allowed even on an empty bucket."))?;
        b.call(0, config.capacity + 1).map_err(|f| f.hint(hint))?;
    }
    Ok(vec![])
}

fn clock_skew(s: Subject, ctx: &Ctx) -> StageResult {
    let back_hint = "A `now` earlier than the last one seen adds no tokens; do not move your reference instant backwards, or the return to the present refills the time twice.";
    let idle_hint =
        "Cap the level at capacity: a bucket idle for an hour holds `capacity` tokens, not an hour's worth.";
    let config = cfg(10, 4, SECOND);
    // Emptied at t=100s, asked at t=0, then back to the present.
    let mut b = Lockstep::new(s, config, 100 * SECOND);
    b.call(100 * SECOND, 10)?;
    b.call(0, 1).map_err(|f| f.hint(back_hint))?;
    b.call(100 * SECOND, 1).map_err(|f| f.hint(back_hint))?;
    b.call(100 * SECOND + 250 * MS, 1).map_err(|f| f.hint(back_hint))?;
    b.call(100 * SECOND + 250 * MS, 1).map_err(|f| f.hint(back_hint))?;
    // Long idle: exactly capacity, then limited.
    let mut b = Lockstep::new(s, config, 0);
    b.call(0, 3)?;
    for _ in 0..=config.capacity {
        b.call(3600 * SECOND, 1).map_err(|f| f.hint(idle_hint))?;
    }
    // Jittery clocks: random steps forwards and backwards.
    let mut rng = ctx.rng(5);
    for _ in 0..50 {
        let config = random_config(&mut rng);
        let mut now: u64 = 1 << 41;
        let mut b = Lockstep::new(s, config, now);
        for _ in 0..200 {
            let step = rng.random_range(0..config.refill.period_nanos.max(2));
            now = if rng.random_range(0..3) == 0 { now - step.min(now) } else { now + step };
            let cost = rng.random_range(0..=config.capacity);
            b.call(now, cost).map_err(|f| f.hint(back_hint))?;
        }
        b.call(now + 1000 * config.refill.period_nanos, 0).map_err(|f| f.hint(idle_hint))?;
    }
    Ok(vec![])
}

fn keyed_isolation(s: Subject, ctx: &Ctx) -> StageResult {
    let config = cfg(5, 2, SECOND);
    let limiter = (s.limiter)(config);
    let keys = ["alice", "bob", "", "alice ", "ALICE", "a", "ab"];
    let mut models: Vec<Option<Model>> = vec![None; keys.len()];
    let mut rng = ctx.rng(6);
    let mut now = 5 * SECOND;
    let mut history: Vec<String> = vec![];
    for _ in 0..5_000 {
        now += rng.random_range(0..100 * MS);
        let k = rng.random_range(0..keys.len());
        let cost = rng.random_range(0..=3);
        let model = models[k].get_or_insert_with(|| Model::new(config, now));
        let want = model.try_acquire(now, cost);
        let got = limiter.try_acquire(keys[k], now, cost);
        let line = format!("at t={}: try_acquire({:?}, {cost})", t(now), keys[k]);
        if got != want {
            let recent = history.iter().rev().take(8).rev().cloned().collect::<Vec<_>>().join("\n  ");
            return Err(fail(
                format!("A keyed limiter ({config}); most recent calls:\n  {recent}\n  then {line}"),
                want,
                got,
            )
            .hint("Each key owns its own bucket, created full the first time the key is seen; keys that differ by case or a trailing space are different keys."));
        }
        history.push(format!("{line} → {got}"));
    }
    Ok(vec![])
}

fn concurrency(s: Subject, _ctx: &Ctx) -> StageResult {
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
    Ok(vec![])
}

fn bounded_memory(s: Subject, _ctx: &Ctx) -> StageResult {
    // A new client every millisecond drains its bucket, which refills in
    // 100 ms: about 100 keys are active at any time, 200,000 come and go.
    let config = cfg(10, 1, 10 * MS);
    let limiter = (s.limiter)(config);
    let active = 101;
    let bound = 2 * active + 1024;
    let mut peak = 0;
    for i in 0..200_000u64 {
        let now = i * MS;
        let key = format!("client-{i}");
        let d = limiter.try_acquire(&key, now, 10);
        if d != (Decision::Allowed { remaining: 0 }) {
            return Err(fail(
                format!("A new client {key:?} drained its bucket ({config}) at t={}.", t(now)),
                "allowed (0 tokens left)",
                d,
            ));
        }
        if i >= 50 {
            // A client seen 50 ms ago is still active: forgetting it would hand it a new burst.
            let recent = format!("client-{}", i - 50);
            let d = limiter.try_acquire(&recent, now, 10);
            if !matches!(d, Decision::Limited { .. }) {
                return Err(fail(
                    format!("Client {recent:?} drained its bucket ({config}) 50ms ago and asked for its full capacity again at t={}.", t(now)),
                    "limited (only half the bucket has refilled)",
                    d,
                )
                .hint("Only a bucket that has refilled to full may be forgotten: forgetting one that is still refilling gives that client a free burst."));
            }
        }
        peak = peak.max(limiter.len());
        if limiter.len() > bound {
            return Err(fail(
                format!("200,000 clients came and went, about {active} active at any time ({config}); after {} clients,", i + 1),
                format!("len() ≤ 2 × {active} + 1024 = {bound}"),
                format!("len() = {}", limiter.len()),
            )
            .hint("A full bucket answers exactly like a fresh one, so it can be dropped. Sweep full buckets out when the map has doubled since the last sweep: amortized O(1) per call."));
        }
    }
    let _ = peak;
    Ok(vec![])
}

fn benchmarks(learner: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
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
        || single(reference),
        || single(reference),
    );

    let keys: Vec<String> = (0..10_000).map(|i| format!("10.0.{}.{}", i / 256, i % 256)).collect();
    let mut rng = ctx.rng(9);
    let order: Vec<usize> = (0..OPS).map(|_| rng.random_range(0..keys.len())).collect();
    let keyed_run = |s: Subject, n: usize| {
        let limiter = (s.limiter)(config);
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
        || keyed_run(reference, 10_000),
        || keyed_run(reference, 10_000),
    );
    let scaling = bench::complexity(
        "keyed try_acquire, 100 → 10k keys",
        "time per call grows with the number of keys: a scan of every key, or a sweep of the whole map on every call? Sweep a bounded slice per call, or only when the map has doubled",
        100,
        10.0,
        |n| keyed_run(learner, n),
        |n| keyed_run(reference, n),
    );
    Ok(vec![bucket, keyed, scaling])
}
