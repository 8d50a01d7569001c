//! The reference token bucket against the `governor` crate (GCRA).
//!
//! Run with
//! `cargo bench --manifest-path solutions/token-bucket/peers/Cargo.toml -- --warm-up-time 1 --measurement-time 3`
//! (a workspace of its own: see `src/lib.rs`).
//!
//! # What is compared, and why it is fair
//!
//! - **Same limit.** Unless a group says otherwise, both sides allow a burst of
//!   100 and refill one token per microsecond. That rate is a whole number of
//!   nanoseconds per token, so governor (which stores time as `u64` nanoseconds
//!   per token) is exact here too, and the two give the *same answer to every
//!   call*: each group first runs both sides in lockstep on the same inputs and
//!   asserts that (outside the timed loop), and checks that the timed workload
//!   really has the allow/deny mix it claims. (The real-time group, where the
//!   two cannot see the same instants, only checks that every call is
//!   allowed, which its rate of one token per nanosecond guarantees.)
//! - **Same answer.** Our `try_acquire` returns a [`Decision`] with the tokens
//!   left or the exact wait. Governor's default middleware returns `()` on
//!   success, so the "same output" rows use `StateInformationMiddleware` and
//!   ask for `remaining_burst_capacity()` (or `wait_time_from(now)` on a
//!   refusal). The `governor_noop` rows show governor's cheaper default, which
//!   answers only yes/no.
//! - **Same clock work.** Our limiter never reads a clock, governor's always
//!   does. With a fake clock both sides use the *same harness*: each side
//!   advances its own `governor::clock::FakeRelativeClock` and reads it (ours
//!   reads it in the harness, governor inside `check`). `clock_only` times that
//!   harness alone, so the limiter's own cost is a row minus `clock_only`.
//!   The `realtime` group uses real clocks: governor's default `QuantaClock`
//!   (TSC), governor on std's `Instant` (`MonotonicClock`), and ours on
//!   `Instant::elapsed`; comparing the last two isolates the limiter, comparing
//!   the first two shows what the clock costs.
//! - **Same use of the answer.** Every row hands the answer to `black_box` as
//!   one `u64` (see `used`), the way a caller branches on it.
//! - **No constant folding.** Configurations and quotas go through
//!   `black_box`, so neither side gets to divide by a compile-time constant.
//! - **Same keys.** Keyed groups use the same 10,000 `String`s; governor is
//!   handed `&String`, ours `&str`. Governor's default store is a `DashMap`
//!   with std's SipHash; the `governor_foldhash` rows give it the same hash
//!   family as ours, so the remaining difference is the data structure.
//! - **Contention.** Two threads (the machine has two cores), timed with
//!   `iter_custom` from a barrier to the last thread's end; the figure is
//!   wall time per operation *per thread*. A shared fake clock would make the
//!   clock's own atomic the bottleneck, and per-thread clocks disagree (ours
//!   treats an earlier `now` as the latest seen, governor refuses it), so the
//!   two sides would do different work. Contended groups therefore freeze
//!   time and use a burst of `u32::MAX` for the allowed path (every call
//!   writes state, the worst case for contention), and a burst of 100 for the
//!   limited path (every call refused).

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use contracts::token_bucket::{Bucket, BucketConfig, Decision, KeyedLimiter, Rate};
use criterion::{Criterion, criterion_group, criterion_main};
use governor::clock::{Clock, FakeRelativeClock, MonotonicClock, QuantaClock, Reference};
use governor::middleware::{StateInformationMiddleware, StateSnapshot};
use governor::state::keyed::{DashMapStateStore, DefaultKeyedStateStore};
use governor::state::{InMemoryState, NotKeyed};
use governor::{NotUntil, Quota, RateLimiter};
use token_bucket_solution::{Limiter, TokenBucket};

/// Burst of every bucket, unless a group says otherwise.
const BURST: u32 = 100;
/// One token per microsecond.
const PERIOD_NS: u64 = 1_000;
/// Keys in the keyed groups.
const KEYS: usize = 10_000;
/// In the keyed groups the fake clock ticks 1 ns every `TICK_EVERY` calls.
/// Each key then comes back every 10,000 calls = 500 ns, half a token later,
/// so once the bursts are spent half of all calls are refused.
const TICK_EVERY: u32 = 20;

fn config(capacity: u64, period_nanos: u64) -> BucketConfig {
    black_box(BucketConfig { capacity, refill: Rate::new(1, period_nanos) })
}

fn quota(burst: u32, period_nanos: u64) -> Quota {
    let q = Quota::with_period(Duration::from_nanos(period_nanos))
        .expect("period is not zero")
        .allow_burst(NonZeroU32::new(burst).expect("burst is not zero"));
    black_box(q)
}

/// Governor's answer in our vocabulary: the same information our
/// `try_acquire` returns. The clock is only read again on a refusal, as a
/// caller building a `Retry-After` header would.
fn decision<P: Reference>(outcome: Result<StateSnapshot, NotUntil<P>>, now: impl FnOnce() -> P) -> Decision {
    match outcome {
        Ok(s) => Decision::Allowed { remaining: u64::from(s.remaining_burst_capacity()) },
        Err(n) => Decision::Limited { retry_after_nanos: n.wait_time_from(now()).as_nanos() as u64 },
    }
}

fn fake_now(clock: &FakeRelativeClock) -> u64 {
    clock.now().as_u64()
}

type Direct<C> = RateLimiter<NotKeyed, InMemoryState, C, StateInformationMiddleware>;
type Keyed<S, C> = RateLimiter<String, S, C, StateInformationMiddleware>;

fn direct<C: Clock>(q: Quota, clock: C) -> Direct<C> {
    RateLimiter::new(q, InMemoryState::default(), clock)
}

/// What a caller does with an answer: branch on it and use the number,
/// boiled down to one `u64` for `black_box`. (A 16-byte enum handed to
/// `black_box` goes through the stack in two halves and is read back whole,
/// which stalls store-to-load forwarding for a few nanoseconds: it would add
/// the same cost to both sides and hide the difference between them.)
#[inline(always)]
fn used(d: Decision) -> u64 {
    match d {
        Decision::Allowed { remaining } => remaining,
        Decision::Limited { retry_after_nanos } => retry_after_nanos ^ (1 << 63),
        Decision::ExceedsCapacity { .. } => u64::MAX,
    }
}

/// Whether the answer lets the request through.
fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allowed { .. })
}

// ---------------------------------------------------------------- single bucket

fn single_allowed(c: &mut Criterion) {
    let step = Duration::from_nanos(PERIOD_NS);

    // Sanity, untimed: drain the burst at one instant, see the refusal, then
    // advance at exactly the refill rate and see every call allowed.
    {
        let (oc, gc) = (FakeRelativeClock::default(), FakeRelativeClock::default());
        let mut ours = TokenBucket::new(config(BURST.into(), PERIOD_NS), fake_now(&oc));
        let gov = direct(quota(BURST, PERIOD_NS), gc.clone());
        let mut mix = [0u32; 2];
        for i in 0..1_000 {
            if i > 150 {
                oc.advance(step);
                gc.advance(step);
            }
            let o = ours.try_acquire(fake_now(&oc), 1);
            let g = decision(gov.check(), || gc.now());
            assert_eq!(o, g, "call {i}");
            mix[usize::from(allowed(&o))] += 1;
        }
        assert_eq!(mix, [51, 949], "[refused, allowed]");
    }

    let mut g = c.benchmark_group("single_allowed_fake_clock");
    {
        let clock = FakeRelativeClock::default();
        g.bench_function("clock_only", |b| {
            b.iter(|| {
                clock.advance(step);
                black_box(fake_now(&clock))
            })
        });
    }
    {
        let clock = FakeRelativeClock::default();
        let mut ours = TokenBucket::new(config(BURST.into(), PERIOD_NS), 0);
        g.bench_function("ours", |b| {
            b.iter(|| {
                clock.advance(step);
                let d = ours.try_acquire(fake_now(&clock), 1);
                debug_assert!(allowed(&d));
                black_box(used(d))
            })
        });
    }
    {
        let clock = FakeRelativeClock::default();
        let gov = direct(quota(BURST, PERIOD_NS), clock.clone());
        g.bench_function("governor", |b| {
            b.iter(|| {
                clock.advance(step);
                let d = decision(gov.check(), || clock.now());
                debug_assert!(allowed(&d));
                black_box(used(d))
            })
        });
    }
    {
        let clock = FakeRelativeClock::default();
        let gov = RateLimiter::direct_with_clock(quota(BURST, PERIOD_NS), clock.clone());
        g.bench_function("governor_noop", |b| {
            b.iter(|| {
                clock.advance(step);
                black_box(gov.check().is_ok())
            })
        });
    }
    g.finish();
}

fn single_allowed_realtime(c: &mut Criterion) {
    // A call takes well over a nanosecond, so at one token per nanosecond
    // every call is allowed on both sides, whatever the machine's speed.
    let period = 1;
    {
        let start = Instant::now();
        let mut ours = TokenBucket::new(config(BURST.into(), period), 0);
        let gov = direct(quota(BURST, period), QuantaClock::default());
        for _ in 0..10_000 {
            assert!(allowed(&ours.try_acquire(start.elapsed().as_nanos() as u64, 1)));
            assert!(gov.check().is_ok());
        }
    }

    let mut g = c.benchmark_group("single_allowed_realtime");
    {
        let start = Instant::now();
        let mut ours = TokenBucket::new(config(BURST.into(), period), 0);
        g.bench_function("ours_std_instant", |b| {
            b.iter(|| black_box(used(ours.try_acquire(start.elapsed().as_nanos() as u64, 1))))
        });
    }
    {
        let gov = direct(quota(BURST, period), QuantaClock::default());
        g.bench_function("governor_quanta", |b| {
            b.iter(|| black_box(used(decision(gov.check(), || gov.clock().now()))))
        });
    }
    {
        let gov = direct(quota(BURST, period), MonotonicClock);
        g.bench_function("governor_std_instant", |b| b.iter(|| black_box(used(decision(gov.check(), Instant::now)))));
    }
    g.finish();
}

fn single_limited(c: &mut Criterion) {
    // The clock never moves: after the burst, every call is refused with the
    // same wait on both sides.
    let (oc, gc) = (FakeRelativeClock::default(), FakeRelativeClock::default());
    let mut ours = TokenBucket::new(config(BURST.into(), PERIOD_NS), 0);
    let gov = direct(quota(BURST, PERIOD_NS), gc.clone());
    let gov_noop = RateLimiter::direct_with_clock(quota(BURST, PERIOD_NS), gc.clone());
    for i in 0..200 {
        let o = ours.try_acquire(fake_now(&oc), 1);
        assert_eq!(o, decision(gov.check(), || gc.now()), "call {i}");
        assert_eq!(allowed(&o), gov_noop.check().is_ok());
        assert_eq!(allowed(&o), i < BURST);
    }
    assert_eq!(ours.try_acquire(0, 1), Decision::Limited { retry_after_nanos: PERIOD_NS });

    let mut g = c.benchmark_group("single_limited");
    g.bench_function("ours", |b| b.iter(|| black_box(used(ours.try_acquire(fake_now(&oc), 1)))));
    g.bench_function("governor", |b| b.iter(|| black_box(used(decision(gov.check(), || gc.now())))));
    g.bench_function("governor_noop", |b| b.iter(|| black_box(gov_noop.check().is_ok())));
    g.finish();
}

// ---------------------------------------------------------------- keyed, one thread

/// Keys that look like client addresses: "10.0.3.17" and so on.
fn keys(prefix: u32, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("10.{prefix}.{}.{}", i / 256, i % 256)).collect()
}

/// One harness for every keyed side: the key comes round-robin, the side's own
/// fake clock ticks 1 ns every `TICK_EVERY` calls.
struct RoundRobin {
    clock: FakeRelativeClock,
    key: usize,
    tick: u32,
}

impl RoundRobin {
    fn new() -> Self {
        RoundRobin { clock: FakeRelativeClock::default(), key: 0, tick: 0 }
    }

    #[inline(always)]
    fn next(&mut self) -> usize {
        self.tick += 1;
        if self.tick == TICK_EVERY {
            self.tick = 0;
            self.clock.advance(Duration::from_nanos(1));
        }
        self.key += 1;
        if self.key == KEYS {
            self.key = 0;
        }
        self.key
    }
}

fn keyed_single_thread(c: &mut Criterion) {
    let keys = keys(0, KEYS);
    let q = quota(BURST, PERIOD_NS);

    let mut ours_rr = RoundRobin::new();
    let ours = Limiter::new(config(BURST.into(), PERIOD_NS));
    let mut sip_rr = RoundRobin::new();
    let sip: Keyed<DefaultKeyedStateStore<String>, _> =
        RateLimiter::new(q, DefaultKeyedStateStore::default(), sip_rr.clock.clone());
    let mut fold_rr = RoundRobin::new();
    let fold: Keyed<DashMapStateStore<String, foldhash::fast::FixedState>, _> =
        RateLimiter::dashmap_with_clock_and_hasher(q, fold_rr.clock.clone(), Default::default()).with_middleware();

    // Warm-up in lockstep, untimed: the three give the same answer to every
    // call while the bursts drain, and end in the steady state that the timed
    // loops keep (half the calls refused).
    let drain = KEYS * 2 * BURST as usize + 100_000;
    let mut mix = [0u32; 2];
    for i in 0..drain {
        let (k, _, _) = (ours_rr.next(), sip_rr.next(), fold_rr.next());
        let o = ours.try_acquire(&keys[k], fake_now(&ours_rr.clock), 1);
        assert_eq!(o, decision(sip.check_key(&keys[k]), || sip_rr.clock.now()), "call {i}");
        assert_eq!(o, decision(fold.check_key(&keys[k]), || fold_rr.clock.now()), "call {i}");
        if i >= drain - 100_000 {
            mix[usize::from(allowed(&o))] += 1;
        }
    }
    assert_eq!(mix, [50_000, 50_000], "[refused, allowed] in steady state");
    assert_eq!(ours.len(), KEYS);

    let mut g = c.benchmark_group("keyed_10k_keys_1_thread");
    g.bench_function("ours", |b| {
        b.iter(|| {
            let k = ours_rr.next();
            black_box(used(ours.try_acquire(&keys[k], fake_now(&ours_rr.clock), 1)))
        })
    });
    g.bench_function("governor_siphash", |b| {
        b.iter(|| {
            let k = sip_rr.next();
            black_box(used(decision(sip.check_key(&keys[k]), || sip_rr.clock.now())))
        })
    });
    g.bench_function("governor_foldhash", |b| {
        b.iter(|| {
            let k = fold_rr.next();
            black_box(used(decision(fold.check_key(&keys[k]), || fold_rr.clock.now())))
        })
    });
    g.finish();
}

// ---------------------------------------------------------------- keyed, two threads

const THREADS: usize = 2;
/// Keys per thread in the distinct-keys groups (a power of two: `i & MASK`).
const THREAD_KEYS: usize = 1_024;

/// Runs `op(thread, i)` for `i` in `0..iters` on each of two threads started
/// together; returns the wall time from the common start to the last finish.
fn two_threads(iters: u64, op: impl Fn(usize, u64) + Sync) -> Duration {
    let barrier = Barrier::new(THREADS);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (op, barrier) = (&op, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters {
                        op(t, i);
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("bench thread panicked")).collect()
    });
    let start = spans.iter().map(|s| s.0).min().expect("two spans");
    let end = spans.iter().map(|s| s.1).max().expect("two spans");
    end - start
}

/// Ours and the two governor stores, sharing one frozen fake clock.
struct KeyedSides {
    clock: FakeRelativeClock,
    ours: Limiter,
    sip: Keyed<DefaultKeyedStateStore<String>, FakeRelativeClock>,
    fold: Keyed<DashMapStateStore<String, foldhash::fast::FixedState>, FakeRelativeClock>,
}

impl KeyedSides {
    fn new(burst: u32) -> Self {
        let clock = FakeRelativeClock::default();
        let q = quota(burst, PERIOD_NS);
        KeyedSides {
            ours: Limiter::new(config(burst.into(), PERIOD_NS)),
            sip: RateLimiter::new(q, DefaultKeyedStateStore::default(), clock.clone()),
            fold: RateLimiter::dashmap_with_clock_and_hasher(q, clock.clone(), Default::default()).with_middleware(),
            clock,
        }
    }

    fn ours(&self, key: &str) -> Decision {
        self.ours.try_acquire(key, fake_now(&self.clock), 1)
    }

    fn sip(&self, key: &String) -> Decision {
        decision(self.sip.check_key(key), || self.clock.now())
    }

    fn fold(&self, key: &String) -> Decision {
        decision(self.fold.check_key(key), || self.clock.now())
    }

    /// Untimed: the three agree on `key` for `calls` calls; returns how many
    /// were allowed.
    fn agree(&self, key: &String, calls: u32) -> u32 {
        let mut n = 0;
        for i in 0..calls {
            let o = self.ours(key);
            assert_eq!(o, self.sip(key), "call {i}");
            assert_eq!(o, self.fold(key), "call {i}");
            n += u32::from(allowed(&o));
        }
        n
    }
}

fn keyed_contended(c: &mut Criterion) {
    let per_thread: Vec<Vec<String>> = (0..THREADS as u32).map(|t| keys(t + 1, THREAD_KEYS)).collect();
    let key = |t: usize, i: u64| &per_thread[t][i as usize & (THREAD_KEYS - 1)];
    let hot = String::from("10.9.9.9");

    // Allowed path: a burst no benchmark can spend, so every call writes.
    let big = KeyedSides::new(u32::MAX);
    assert_eq!(big.agree(&hot, 1_000), 1_000);
    for keys in &per_thread {
        for k in keys {
            assert_eq!(big.agree(k, 1), 1);
        }
    }
    // Limited path: the hot key's burst is spent, every call is refused.
    let small = KeyedSides::new(BURST);
    assert_eq!(small.agree(&hot, 1_000), BURST);

    let mut g = c.benchmark_group("keyed_2_threads_distinct_keys");
    g.bench_function("ours", |b| {
        b.iter_custom(|n| {
            two_threads(n, |t, i| {
                black_box(used(big.ours(key(t, i))));
            })
        })
    });
    g.bench_function("governor_siphash", |b| {
        b.iter_custom(|n| {
            two_threads(n, |t, i| {
                black_box(used(big.sip(key(t, i))));
            })
        })
    });
    g.bench_function("governor_foldhash", |b| {
        b.iter_custom(|n| {
            two_threads(n, |t, i| {
                black_box(used(big.fold(key(t, i))));
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("keyed_2_threads_hot_key_allowed");
    g.bench_function("ours", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(used(big.ours(&hot)));
            })
        })
    });
    g.bench_function("governor_siphash", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(used(big.sip(&hot)));
            })
        })
    });
    g.bench_function("governor_foldhash", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(used(big.fold(&hot)));
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("keyed_2_threads_hot_key_limited");
    g.bench_function("ours", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(used(small.ours(&hot)));
            })
        })
    });
    g.bench_function("governor_siphash", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(used(small.sip(&hot)));
            })
        })
    });
    g.bench_function("governor_foldhash", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(used(small.fold(&hot)));
            })
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    single_allowed,
    single_allowed_realtime,
    single_limited,
    keyed_single_thread,
    keyed_contended
);
criterion_main!(benches);
