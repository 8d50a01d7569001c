//! Stage `single-flight`: a hundred threads missing one key cause one load
//! and every one of them answers its result (a value, a not-found, an error);
//! an error is never cached; a load that blocks holds up no other key;
//! negative entries live exactly `negative_ttl`, in their own bounded space,
//! and a flood of them pushes no found value out; a stored `u64::MAX` is a
//! value like any other;
//! the jitter of 10,000 consecutive keys is measured to the nanosecond and
//! must spread over its band, the same in a fresh process.

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use contracts::cache_aside::{CacheAside, FrontConfig, MAX_TTL, Nanos, Store};
use grader_protocol::Failure;
use rand::RngExt;

use super::Subject;
use super::blocked::{my_tid, wait_until_settled};
use super::gate::{GatedStore, LOAD_ERROR, Op, WATCHDOG, config, join, shown, within};
use super::show::{MS, SECOND, t};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail, probe_in_fresh_process};

/// The probe that measures jitter in a fresh process.
pub(super) const JITTER_PROBE: &str = "cache-aside-jitter";

const THREADS: usize = 100;

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    for what in [Loaded::Found, Loaded::NotFound, Loaded::Error] {
        hundred_threads(s, what)?;
    }
    errors_not_cached(s)?;
    other_keys_go_on(s)?;
    negative_entries(s)?;
    largest_value(s)?;
    jitter(s, ctx)?;
    Ok(vec![])
}

fn front(s: Subject, store: &Arc<GatedStore>, config: FrontConfig) -> Arc<dyn CacheAside> {
    (s.front)(Arc::clone(store) as Arc<dyn Store>, config)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loaded {
    Found,
    NotFound,
    Error,
}

/// 100 threads get one key at once while its load is held at the gate.
fn hundred_threads(s: Subject, what: Loaded) -> Result<(), Failure> {
    let key = 4_242;
    let store = GatedStore::new();
    let (stored, want) = match what {
        Loaded::Found => (Some(7), Ok(Some(7))),
        Loaded::NotFound => (None, Ok(None)),
        Loaded::Error => (Some(7), Err(contracts::cache_aside::StoreError::new(LOAD_ERROR))),
    };
    store.set(key, stored);
    if what == Loaded::Error {
        store.fail_loads(key, 1);
    }
    let cfg = config(1_000, SECOND, 0, SECOND, 1_000);
    let f = front(s, &store, cfg);
    let gate = store.hold(Op::Load, key, usize::MAX);
    let start = Arc::new(Barrier::new(THREADS + 1));
    let tids = Arc::new(Mutex::new(Vec::with_capacity(THREADS)));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (f, start, tids) = (Arc::clone(&f), Arc::clone(&start), Arc::clone(&tids));
            std::thread::spawn(move || {
                tids.lock().unwrap_or_else(|p| p.into_inner()).push(my_tid());
                start.wait();
                f.get(key, 0)
            })
        })
        .collect();
    start.wait();
    let tids = tids.lock().unwrap_or_else(|p| p.into_inner()).clone();
    // Open the gate once every thread is blocked (waiting for the load, or
    // at the gate), or as soon as a second load shows up.
    wait_until_settled(&tids, || store.arrived(gate) >= 2, Duration::from_secs(10), Duration::from_secs(2));
    let held = store.arrived(gate);
    store.open(gate);
    let answers: Vec<_> = handles.into_iter().map(join).collect();
    let loads = store.loads_of(key);
    let sit = format!(
        "A front ({cfg}) over a store {}. {THREADS} threads call get({key}) at t=0 at once; the store holds the first load at the suite's gate until every thread is waiting{}.",
        match what {
            Loaded::Found => format!("holding {key} → 7"),
            Loaded::NotFound => format!("without key {key}"),
            Loaded::Error => "whose load fails (the database timed out)".into(),
        },
        if held >= 2 { format!(" (it had already received {held} loads)") } else { String::new() }
    );
    ensure(loads == 1, || {
        fail(sit.clone(), "exactly 1 call to Store::load", format!("{loads} calls"))
            .hint("Single flight: the first miss of a key records a load in progress (a map key → in-flight entry, under the lock) and calls the store; a later miss of the same key finds it and waits for its result (a Condvar) instead of loading again.")
    })?;
    if let Some((i, got)) = answers.iter().enumerate().find(|(_, a)| **a != want) {
        let wrong = answers.iter().filter(|a| **a != want).count();
        return Err(fail(
            format!("{sit} The load answered {}.", shown(&want)),
            format!("every thread to answer {}", shown(&want)),
            format!("thread {i} answered {} ({wrong} of {THREADS} threads answered something else)", shown(got)),
        )
        .hint("Every waiter answers the result of the shared load: the value, the not-found, or the very error. Keep the result in the in-flight entry until every waiter has taken it."));
    }
    if what == Loaded::Error {
        let got = f.get(key, 1);
        ensure(got == Ok(Some(7)) && store.loads_of(key) == 2, || {
            fail(
                format!("{sit} Every thread answered the error. Then get({key}) at t=1 (the database is back):"),
                "Ok(Some(7)), from a new load (an error is not cached)",
                format!("{} after {} load(s) in all", shown(&got), store.loads_of(key)),
            )
            .hint("An error is answered to the waiters and not cached: remove the in-flight entry, so the next miss loads again.")
        })?;
    }
    Ok(())
}

fn errors_not_cached(s: Subject) -> Result<(), Failure> {
    let store = GatedStore::new();
    store.set(9, Some(90));
    store.fail_loads(9, 2);
    let cfg = config(10, SECOND, 0, SECOND, 10);
    let f = front(s, &store, cfg);
    let hint = "A failed load is answered and not cached, neither as a value nor as a not-found: the next miss calls the store again.";
    for (now, want) in [(0, Err(LOAD_ERROR)), (1, Err(LOAD_ERROR)), (2, Ok(Some(90))), (3, Ok(Some(90)))] {
        let got = f.get(9, now);
        let ok = match (&got, want) {
            (Err(e), Err(m)) => e.message == m,
            (Ok(v), Ok(w)) => *v == w,
            _ => false,
        };
        let loads = store.loads_of(9);
        let want_loads = now.min(2) + 1;
        ensure(ok && loads == want_loads, || {
            fail(
                format!("A front ({cfg}) over a store holding 9 → 90 whose first two loads of 9 fail; get(9) at t=0, 1, 2, 3; at t={now}:"),
                format!("{} after {want_loads} load(s) in all", match want { Ok(v) => shown(&Ok(v)), Err(m) => format!("Err(store error: {m})") }),
                format!("{} after {loads} load(s) in all", shown(&got)),
            )
            .hint(hint)
        })?;
    }
    Ok(())
}

fn other_keys_go_on(s: Subject) -> Result<(), Failure> {
    let store = GatedStore::new();
    store.set(1, Some(10));
    store.set(2, Some(20));
    let cfg = config(10, SECOND, 0, SECOND, 10);
    let f = front(s, &store, cfg);
    let gate = store.hold(Op::Load, 1, 1);
    let fa = Arc::clone(&f);
    let a = std::thread::spawn(move || fa.get(1, 0));
    let sit = format!(
        "A front ({cfg}) over a store holding 1 → 10, 2 → 20. Thread A: get(1) at t=0, whose load is held at the suite's gate; meanwhile get(2) at t=1:"
    );
    if !store.wait_arrived(gate, 1, WATCHDOG, || a.is_finished()) {
        store.open_all();
        let _ = join(a);
        return Err(fail(sit, "thread A's get to call Store::load", "no load within 5 s"));
    }
    let fb = Arc::clone(&f);
    let got = within(WATCHDOG, move || fb.get(2, 1));
    store.open(gate);
    let _ = join(a);
    match got {
        Ok(got) => ensure(got == Ok(Some(20)), || fail(sit.clone(), "Ok(Some(20))", shown(&got))),
        Err(handle) => {
            let got = join(handle);
            Err(fail(sit, "Ok(Some(20)) at once", format!("{} only after the gate opened: it waited for another key's load", shown(&got)))
                .hint("Never hold a lock while calling the store: record the load in progress, release the lock, load, take the lock again to publish the result. Misses of different keys must not wait for each other."))
        }
    }
}

fn negative_entries(s: Subject) -> Result<(), Failure> {
    // Exactly negative_ttl, with no jitter, while found values jitter.
    let negative_ttl = 250 * MS;
    let cfg = config(10, SECOND, SECOND, negative_ttl, 5);
    let store = GatedStore::new();
    let f = front(s, &store, cfg);
    let hint = "A not-found answer is cached as a negative entry that lives exactly negative_ttl from the get that loaded it (no jitter): a hit at now + negative_ttl - 1, a new load at now + negative_ttl.";
    for (now, loads) in
        [(0, 1), (1, 1), (negative_ttl - 1, 1), (negative_ttl, 2), (2 * negative_ttl - 1, 2), (2 * negative_ttl, 3)]
    {
        let got = f.get(3, now);
        let made = store.loads_of(3);
        ensure(got == Ok(None) && made == loads, || {
            fail(
                format!("A front ({cfg}) over a store without key 3: get(3) at t=0, 1ns, {0} - 1ns, {0}, 2×{0} - 1ns, 2×{0}; at t={1}:", t(negative_ttl), t(now)),
                format!("Ok(None) after {loads} load(s) in all"),
                format!("{} after {made} load(s) in all", shown(&got)),
            )
            .hint(hint)
        })?;
    }
    // Their own bounded space: ten found values, then a flood of 2,000
    // absent keys. The found values stay (all hits), the negative entries
    // never exceed negative_capacity.
    for negative_capacity in [1, 5, 64] {
        // Room for 1,000 found values, ten held: a flood of 2,000 "not
        // found" stored among them would push the ten out.
        let cfg = config(1_000, SECOND, 0, SECOND, negative_capacity);
        let store = GatedStore::new();
        for k in 0..10 {
            store.set(k, Some(k + 100));
        }
        let f = front(s, &store, cfg);
        for k in 0..10 {
            let _ = f.get(k, 0);
        }
        let held_before = f.len();
        let sit = format!(
            "A front ({cfg}) over a store holding keys 0..10: gets of keys 0..10 at t=0 (all loaded), then gets of the 2,000 keys 10,000..12,000, which the store does not hold"
        );
        for (i, k) in (10_000..12_000).enumerate() {
            let _ = f.get(k, 1);
            let n = f.negative_len();
            ensure(n <= negative_capacity, || {
                fail(
                    format!("{sit}: after {} of them,", i + 1),
                    format!("negative_len() ≤ {negative_capacity}"),
                    format!("negative_len() = {n}"),
                )
                .hint("Negative entries have their own bounded space: at most negative_capacity, evicting one to make room (a second LruCache fits). Otherwise a flood of lookups of keys that do not exist grows memory without end.")
            })?;
        }
        // The last absent key was loaded by the get just before: a hit.
        let last = 11_999;
        let before = store.loads_of(last);
        let got = f.get(last, 1);
        ensure(got == Ok(None) && store.loads_of(last) == before, || {
            fail(
                format!("{sit}; then get({last}) again at once:"),
                "Ok(None), a hit of its negative entry (no new load)",
                format!("{} after {} more load(s)", shown(&got), store.loads_of(last) - before),
            )
            .hint("A not-found answer is cached as a negative entry: the get right after the one that loaded it is a hit.")
        })?;
        // The found values are all still there: hits, no new load.
        for k in 0..10 {
            let before = store.loads_of(k);
            let got = f.get(k, 2);
            let loads = store.loads_of(k) - before;
            ensure(got == Ok(Some(k + 100)) && loads == 0, || {
                fail(
                    format!("{sit} at t=1; then get({k}) at t=2:"),
                    format!("Ok(Some({})), a hit: negative entries never push a found value out", k + 100),
                    format!("{} after {loads} new load(s)", shown(&got)),
                )
                .hint("Negative entries never push a found value out: keep them apart, in their own bounded space (a second LruCache of negative_capacity), never as placeholder values in the found values' cache.")
            })?;
        }
        let n = f.negative_len();
        ensure((1..=negative_capacity).contains(&n), || {
            fail(
                format!("{sit}; negative_len() after the flood:"),
                format!("1 ≤ negative_len() ≤ {negative_capacity}: the negative entries held, the last one at least"),
                format!("negative_len() = {n}"),
            )
            .hint("negative_len() counts the negative entries, kept in their own space. A \"not found\" stored as a placeholder value among the found values (u64::MAX, say) is not a negative entry: it takes a found value's room, and u64::MAX is a value a store may hold.")
        })?;
        let held = f.len();
        ensure(held == held_before, || {
            fail(
                format!("{sit}: len() (found values held) before the flood and after it"),
                format!("{held_before} both times"),
                format!("{held_before}, then {held}"),
            )
            .hint("Negative entries never push a found value out: keep them apart, with their own capacity.")
        })?;
    }
    Ok(())
}

/// A store may hold any u64, u64::MAX too: it is answered and cached like
/// any other value (not mistaken for a "not found" placeholder).
fn largest_value(s: Subject) -> Result<(), Failure> {
    let cfg = config(10, SECOND, 0, SECOND, 10);
    let store = GatedStore::new();
    store.set(5, Some(u64::MAX));
    store.set(u64::MAX, Some(u64::MAX));
    let f = front(s, &store, cfg);
    for (key, now) in [(5, 0), (5, 1), (u64::MAX, 2), (u64::MAX, 3), (5, 4)] {
        let got = f.get(key, now);
        let loads = store.loads_of(key);
        ensure(got == Ok(Some(u64::MAX)) && loads == 1, || {
            fail(
                format!(
                    "A front ({cfg}) over a store holding 5 → u64::MAX and u64::MAX → u64::MAX: get(5) at t=0 and 1, get(u64::MAX) at t=2 and 3, get(5) at t=4; at t={now}:"
                ),
                format!("Ok(Some({})) after 1 load of {key} (then a hit)", u64::MAX),
                format!("{} after {loads} load(s) of {key}", shown(&got)),
            )
            .hint("Keys and values are any u64, u64::MAX included: cache a found value as it is, and keep \"not found\" apart (its own space, or an Option), never as a placeholder value such as u64::MAX.")
        })?;
    }
    let (held, negative) = (f.len(), f.negative_len());
    ensure(held == 2 && negative == 0, || {
        fail(
            "A front over a store holding 5 → u64::MAX and u64::MAX → u64::MAX, after gets of both keys: len() and negative_len()",
            "len() = 2 (two found values), negative_len() = 0",
            format!("len() = {held}, negative_len() = {negative}"),
        )
    })
}

/// Measures `j` of `key` to the nanosecond: the key's value lives
/// `ttl + j`. A hit at `t0 + ttl + d` says `j > d`; a miss says `j ≤ d` and
/// reloads (the life starts again from that get). Returns the instant
/// after the last probe too.
fn measure(
    f: &dyn CacheAside,
    store: &GatedStore,
    cfg: &FrontConfig,
    key: u64,
    start: Nanos,
) -> Result<(Nanos, Nanos), Failure> {
    let (ttl, jitter) = (cfg.ttl, cfg.jitter);
    let sit = |steps: String| format!("A front ({cfg}) over a store holding every key: {steps}");
    let mut t0 = start;
    let loads = store.loads_of(key);
    let _ = f.get(key, t0);
    let alive_until = "A value loaded by a get at now lives while t < now + ttl + j, with 0 ≤ j ≤ jitter: a hit at now + ttl - 1 always, a miss at now + ttl + jitter always.";
    // Alive just before ttl; expired at ttl + jitter.
    let before = store.loads_of(key);
    let _ = f.get(key, t0 + ttl - 1);
    ensure(store.loads_of(key) == before && before == loads + 1, || {
        fail(
            sit(format!(
                "get({key}) at t={} loaded it, then get({key}) at t={} (ttl - 1ns later):",
                t(t0),
                t(t0 + ttl - 1)
            )),
            "a hit",
            "a new load",
        )
        .hint(alive_until)
    })?;
    let at = t0 + ttl + jitter;
    let _ = f.get(key, at);
    ensure(store.loads_of(key) == before + 1, || {
        fail(
            sit(format!("get({key}) at t={} loaded it, then get({key}) at t={} (ttl + jitter later):", t(t0), t(at))),
            "a miss: a new load",
            "a hit",
        )
        .hint(alive_until)
    })?;
    t0 = at;
    let (mut lo, mut hi) = (0, jitter);
    while lo < hi {
        let d = lo + (hi - lo) / 2;
        let before = store.loads_of(key);
        let now = t0 + ttl + d;
        let _ = f.get(key, now);
        if store.loads_of(key) == before {
            lo = d + 1;
        } else {
            hi = d;
            t0 = now;
        }
    }
    Ok((lo, t0 + ttl + jitter + 1))
}

/// The jitters of `n` consecutive keys from `first`, measured on a fresh
/// front.
fn jitters(s: Subject, cfg: FrontConfig, first: u64, n: u64, start: Nanos) -> Result<Vec<Nanos>, Failure> {
    let store = GatedStore::new();
    for k in first..first + n {
        store.set(k, Some(k));
    }
    let f = front(s, &store, cfg);
    let mut now = start;
    let mut out = Vec::with_capacity(n as usize);
    for k in first..first + n {
        let (j, next) = measure(f.as_ref(), &store, &cfg, k, now)?;
        out.push(j);
        now = next;
    }
    Ok(out)
}

fn jitter_config(seed: u64) -> FrontConfig {
    FrontConfig { capacity: 1 << 14, ttl: 1_000, jitter: 999_983, negative_ttl: SECOND, negative_capacity: 16, seed }
}

/// The probe: the jitters of 50 keys, for the stage's seed.
pub(super) fn jitter_probe(s: Subject, ctx: &Ctx) -> String {
    match jitters(s, jitter_config(ctx.seed), 1_000, 50, 0) {
        Ok(js) => js.iter().map(|j| j.to_string()).collect::<Vec<_>>().join(" "),
        Err(f) => format!("failed: {}", f.expected),
    }
}

fn jitter(s: Subject, ctx: &Ctx) -> Result<(), Failure> {
    let mut rng = ctx.rng(6);
    let spread = "Derive j from a hash of the seed and the key (a good 64-bit mixer such as splitmix64's finaliser, then reduce into 0..=jitter): keys loaded together then expire spread over the band, and the same key gets the same j on every run and every machine. Never read a clock or a thread-local random generator for it.";
    for (cfg, first) in [(jitter_config(7), 0), (jitter_config(rng.random()), rng.random_range(0..u64::MAX - 20_000))] {
        let n = 10_000u64;
        let js = jitters(s, cfg, first, n, 0)?;
        let mut tenths = [0u64; 10];
        for &j in &js {
            tenths[(u128::from(j) * 10 / (u128::from(cfg.jitter) + 1)) as usize] += 1;
        }
        let (lo, hi) = (n / 20, 3 * n / 20);
        if let Some(i) = tenths.iter().position(|&c| c < lo || c > hi) {
            return Err(fail(
                format!(
                    "A front ({cfg}). The suite measured j (a value lives ttl + j) to the nanosecond for the {n} consecutive keys {first}..{}: the count of keys in each tenth of 0..={} is {tenths:?}.",
                    first + n,
                    cfg.jitter
                ),
                format!("between {lo} and {hi} keys in every tenth (5% to 15%)"),
                format!("{} keys in tenth {} ({}..{})", tenths[i], i + 1, cfg.jitter * i as u64 / 10, cfg.jitter * (i as u64 + 1) / 10),
            )
            .hint(spread));
        }
        // Same seed, same key, same j: on a second front in this process…
        let again = jitters(s, cfg, first, 50, 1 << 40)?;
        if let Some(i) = (0..50).find(|&i| again[i] != js[i]) {
            return Err(fail(
                format!(
                    "Two fronts with the same configuration ({cfg}); the suite measured the jitter of key {} on each.",
                    first + i as u64
                ),
                format!("the same j on both: {}", js[i]),
                format!("{} on the second", again[i]),
            )
            .hint(spread));
        }
    }
    // … and in a fresh process.
    let here = jitter_probe(s, ctx);
    let there = probe_in_fresh_process(JITTER_PROBE, ctx)?;
    ensure(here == there, || {
        fail(
            format!(
                "The jitters of keys 1000..1050 with seed {} (config {}), measured in this process and in a fresh one:",
                ctx.seed,
                jitter_config(ctx.seed)
            ),
            here.clone(),
            there.clone(),
        )
        .hint(spread)
    })?;
    // The largest band: ttl and jitter 2^50, now up to 2^62.
    let cfg = FrontConfig {
        capacity: 64,
        ttl: MAX_TTL,
        jitter: MAX_TTL,
        negative_ttl: MAX_TTL,
        negative_capacity: 64,
        seed: 3,
    };
    jitters(s, cfg, u64::MAX - 20, 20, 0)?;
    Ok(())
}
