//! Stage `invalidation`: the front reads through its cache (a miss loads,
//! the next get hits, an entry lives exactly `ttl` with no jitter, at most
//! `capacity` are held), and a read after a completed write never answers the
//! old value: a write deletes, never updates, and the two races of the
//! contract are driven step by step with the gated store (a slow load that
//! read the old value finishing after the write; a get that begins after the
//! write while that load is still out; two overlapping writes).

use std::sync::Arc;

use contracts::cache_aside::{CacheAside, Nanos, Store};
use grader_protocol::Failure;

use super::Subject;
use super::gate::{GatedStore, Op, SAVE_ERROR, WATCHDOG, config, join, shown, within};
use super::show::{SECOND, t};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

const DELETE: &str = "A write saves to the store first, then deletes the key from the cache (found or negative entry); the next get misses and loads what the store now holds. Never put the written value into the cache yourself.";

const LEASE: &str = "A load that began before a write may read the old value and finish after the write: it must not cache what it read. Take a token when the load starts (a version or lease per key, in the map under the lock), have the write revoke it, and cache the result only if the token is still valid. The get that started the load may still answer what it read.";

const OWN_LOAD: &str = "A get that begins after a write must not wait for (or take the answer of) a load that began before it: the write ends that load's turn as the key's shared load (remove it from your in-flight map), so the next miss starts a fresh load.";

pub(super) fn run(s: Subject, _ctx: &Ctx) -> StageResult {
    reads_through(s)?;
    writes_delete(s)?;
    slow_load_then_write(s, Some(1), Some(2), false)?;
    slow_load_then_write(s, Some(1), None, false)?;
    slow_load_then_write(s, None, Some(3), false)?;
    slow_load_then_write(s, Some(1), Some(2), true)?;
    overlapping_writes(s)?;
    Ok(vec![])
}

fn front(s: Subject, store: &Arc<GatedStore>, capacity: usize, ttl: Nanos) -> Arc<dyn CacheAside> {
    let store: Arc<dyn Store> = Arc::clone(store) as Arc<dyn Store>;
    (s.front)(store, config(capacity, ttl, 0, SECOND, 100))
}

/// One get, its answer and the loads it caused, checked.
fn expect_get(
    f: &dyn CacheAside,
    store: &GatedStore,
    (key, now): (u64, Nanos),
    want: Option<u64>,
    loads: u64,
    situation: &dyn Fn() -> String,
    hint: &str,
) -> Result<(), Failure> {
    let before = store.loads_of(key);
    let got = f.get(key, now);
    ensure(got == Ok(want), || {
        fail(format!("{}\n  then get({key}) at t={}", situation(), t(now)), shown(&Ok(want)), shown(&got)).hint(hint)
    })?;
    let made = store.loads_of(key) - before;
    ensure(made == loads, || {
        fail(
            format!("{}\n  then get({key}) at t={} → {}", situation(), t(now), shown(&got)),
            match loads {
                0 => "no call to Store::load: a hit, answered from the cache".to_string(),
                _ => format!("{loads} call(s) to Store::load: a miss"),
            },
            format!("{made} call(s) to Store::load"),
        )
        .hint(hint)
    })
}

fn reads_through(s: Subject) -> Result<(), Failure> {
    let store = GatedStore::new();
    store.set(1, Some(100));
    store.set(u64::MAX, Some(0));
    store.set(0, Some(u64::MAX));
    let ttl = SECOND;
    let f = front(s, &store, 100, ttl);
    let cached =
        "Cache what a miss loaded: the next get of the key, while the entry lives, is a hit that calls no load.";
    let sit = || {
        format!(
            "A front ({}) over a store holding 1 → 100, 0 → u64::MAX, u64::MAX → 0:",
            config(100, ttl, 0, SECOND, 100)
        )
    };
    expect_get(f.as_ref(), &store, (1, 0), Some(100), 1, &sit, cached)?;
    expect_get(f.as_ref(), &store, (1, 1), Some(100), 0, &sit, cached)?;
    expect_get(f.as_ref(), &store, (0, 2), Some(u64::MAX), 1, &sit, cached)?;
    expect_get(f.as_ref(), &store, (u64::MAX, 3), Some(0), 1, &sit, cached)?;
    expect_get(f.as_ref(), &store, (u64::MAX, 4), Some(0), 0, &sit, cached)?;
    expect_get(f.as_ref(), &store, (2, 5), None, 1, &sit, "A key the store does not hold answers Ok(None).")?;
    // With no jitter, a value lives exactly ttl from the get that loaded it.
    let expiry = "With jitter 0, a value loaded by a get at now lives while t < now + ttl: a hit at now + ttl - 1, a miss (a new load) at now + ttl. A hit does not extend the life.";
    expect_get(f.as_ref(), &store, (1, ttl - 1), Some(100), 0, &sit, expiry)?;
    expect_get(f.as_ref(), &store, (1, ttl), Some(100), 1, &sit, expiry)?;
    expect_get(f.as_ref(), &store, (1, 2 * ttl - 1), Some(100), 0, &sit, expiry)?;
    expect_get(f.as_ref(), &store, (1, 2 * ttl), Some(100), 1, &sit, expiry)?;
    // Capacity 1, then capacity 5 under 15 keys: a get right after the load
    // hits, and no more than capacity values are held.
    for capacity in [1, 5] {
        let store = GatedStore::new();
        for k in 0..15 {
            store.set(k, Some(k * 10));
        }
        let f = front(s, &store, capacity, ttl);
        let sit = || {
            format!("A front ({}) over a store holding 0..15 → 0, 10, 20, …:", config(capacity, ttl, 0, SECOND, 100))
        };
        for k in 0..15 {
            expect_get(f.as_ref(), &store, (k, k), Some(k * 10), 1, &sit, cached)?;
            expect_get(f.as_ref(), &store, (k, k), Some(k * 10), 0, &sit, cached)?;
            let len = f.len();
            ensure(len <= capacity, || {
                fail(
                    format!("{}\n  after gets of keys 0 to {k}, each loaded once", sit()),
                    format!("len() ≤ {capacity}"),
                    format!("len() = {len}"),
                )
                .hint("Hold at most `capacity` found values: a bounded cache (your LruCache fits) evicts one to make room.")
            })?;
        }
    }
    Ok(())
}

fn writes_delete(s: Subject) -> Result<(), Failure> {
    let store = GatedStore::new();
    store.set(1, Some(10));
    let f = front(s, &store, 100, SECOND);
    let sit = |steps: &str| {
        format!("A front ({}) over a store holding 1 → 10:\n  {steps}", config(100, SECOND, 0, SECOND, 100))
    };
    expect_get(f.as_ref(), &store, (1, 0), Some(10), 1, &|| sit(""), DELETE)?;
    let w = f.write(1, Some(11), 1);
    ensure(w.is_ok() && store.value(1) == Some(11), || {
        fail(
            sit("get(1) → Ok(Some(10)), then write(1, Some(11))"),
            "Ok(()), and the store holding 11",
            format!("{w:?}, the store holding {:?}", store.value(1)),
        )
        .hint("A write calls Store::save with the new value and answers what save answered.")
    })?;
    // The value must be right, and come from the store: a write deletes.
    let steps = "get(1) → Ok(Some(10)), write(1, Some(11)) → Ok(())";
    expect_get(f.as_ref(), &store, (1, 2), Some(11), 1, &|| sit(steps), DELETE)?;
    // A delete in the store, through the front.
    ensure(f.write(1, None, 3).is_ok(), || fail(sit("write(1, None)"), "Ok(())", "an error"))?;
    let steps = "…, get(1) → Ok(Some(11)), write(1, None) → Ok(())";
    expect_get(f.as_ref(), &store, (1, 4), None, 1, &|| sit(steps), DELETE)?;
    // A negative entry is deleted by a write too.
    let got = f.get(1, 5);
    ensure(got == Ok(None), || {
        fail(sit("…, write(1, None) → Ok(()), get(1) → Ok(None), then get(1) at t=5"), "Ok(None)", shown(&got))
    })?;
    ensure(f.write(1, Some(12), 6).is_ok(), || fail(sit("…, write(1, Some(12))"), "Ok(())", "an error"))?;
    let steps = "…, get(1) → Ok(None) twice (a negative entry, if you keep them), write(1, Some(12)) → Ok(())";
    expect_get(f.as_ref(), &store, (1, 7), Some(12), 1, &|| sit(steps), DELETE)?;
    // A failed save answers the error, and the entry is deleted either way.
    store.fail_saves(1, 1);
    let w = f.write(1, Some(13), 8);
    ensure(matches!(&w, Err(e) if e.message == SAVE_ERROR), || {
        fail(
            sit("…, get(1) → Ok(Some(12)), then write(1, Some(13)) while the store refuses it"),
            format!("Err(store error: {SAVE_ERROR})"),
            format!("{w:?}"),
        )
        .hint("A write answers the store's error as it is.")
    })?;
    let steps = "…, write(1, Some(13)) → Err(the store refused it)";
    expect_get(
        f.as_ref(),
        &store,
        (1, 9),
        Some(12),
        1,
        &|| sit(steps),
        "Delete the key from the cache even when the save failed: the store may have applied it before failing, and a miss costs only a load.",
    )
}

/// The stale set: a get starts a load that reads `old`; while its answer is
/// on its way, a write saves `new` and deletes; then the load finishes. With
/// `get_between`, a second get begins after the write and before the slow
/// load finishes: it must load the new value itself.
fn slow_load_then_write(s: Subject, old: Option<u64>, new: Option<u64>, get_between: bool) -> Result<(), Failure> {
    let key = 77;
    let store = GatedStore::new();
    store.set(key, old);
    let f = front(s, &store, 100, SECOND);
    let gate = store.hold(Op::Load, key, 1);
    let (front_a, key_a) = (Arc::clone(&f), key);
    let a = std::thread::spawn(move || front_a.get(key_a, 0));
    let sit = |steps: &str| {
        format!(
            "A front ({}) over a store holding {key} → {old:?}. Thread A: get({key}) at t=0, whose load reads {old:?} and is held at the suite's gate.{steps}",
            config(100, SECOND, 0, SECOND, 100)
        )
    };
    if !store.wait_arrived(gate, 1, WATCHDOG, || a.is_finished()) {
        store.open_all();
        let _ = join(a);
        return Err(fail(sit(""), "thread A's get to call Store::load", "no load within 5 s")
            .hint("A get that misses calls Store::load (with no lock held that another call needs)."));
    }
    // The write, while the old value is on its way.
    let front_w = Arc::clone(&f);
    let written = match within(WATCHDOG, move || front_w.write(key, new, 1)) {
        Ok(w) => w,
        Err(handle) => {
            store.open_all();
            let _ = join(handle);
            let _ = join(a);
            return Err(fail(
                sit(&format!(" Meanwhile write({key}, {new:?}) at t=1:")),
                "the write to return while the load is still out",
                "it did not return within 5 s: it waited for the load",
            )
            .hint("Never hold a lock while calling the store: a write (or a get of another key) must not wait for a slow load. Take the lock, record what you need, release it, call the store, take it again."));
        }
    };
    ensure(written.is_ok(), || {
        fail(sit(&format!(" Meanwhile write({key}, {new:?}) at t=1")), "Ok(())", format!("{written:?}"))
    })?;
    let wrote = format!(" Meanwhile write({key}, {new:?}) at t=1 → Ok(()).");
    if get_between {
        let front_b = Arc::clone(&f);
        let loads_before = store.loads_of(key);
        let got = match within(WATCHDOG, move || front_b.get(key, 2)) {
            Ok(got) => got,
            Err(handle) => {
                store.open(gate);
                let got = join(handle);
                let _ = join(a);
                return Err(fail(
                    sit(&format!("{wrote} Then thread B: get({key}) at t=2, after the write returned:")),
                    format!("{}, from a load of its own, at once", shown(&Ok(new))),
                    format!(
                        "it waited for thread A's old load, and answered {} once the suite opened the gate",
                        shown(&got)
                    ),
                )
                .hint(OWN_LOAD));
            }
        };
        ensure(got == Ok(new) && store.loads_of(key) == loads_before + 1, || {
            fail(
                sit(&format!("{wrote} Then thread B: get({key}) at t=2, after the write returned:")),
                format!("{}, from a load of its own", shown(&Ok(new))),
                format!("{} with {} load(s)", shown(&got), store.loads_of(key) - loads_before),
            )
            .hint(OWN_LOAD)
        })?;
    }
    store.open(gate);
    let answered = join(a);
    ensure(answered == Ok(old) || answered == Ok(new), || {
        fail(
            sit(&format!("{wrote} Then the gate opens and thread A's get returns:")),
            format!("{} (what it read) or {}", shown(&Ok(old)), shown(&Ok(new))),
            shown(&answered),
        )
    })?;
    let then = format!(
        "{wrote}{} Then the gate opens; A's get answers {}.",
        if get_between { format!(" Thread B's get({key}) at t=2 → {}.", shown(&Ok(new))) } else { String::new() },
        shown(&answered)
    );
    for now in [3, 4] {
        let got = f.get(key, now);
        ensure(got == Ok(new), || {
            fail(
                sit(&format!("{then}\n  Later, get({key}) at t={now}, long after the write returned:")),
                shown(&Ok(new)),
                shown(&got),
            )
            .hint(if got == Ok(old) { LEASE } else { DELETE })
        })?;
    }
    Ok(())
}

/// Two writes of one key overlap: A saves 1 (and its answer is held at the
/// gate), B saves 2 and returns, then A returns. The store holds 2; so must
/// every read after both.
fn overlapping_writes(s: Subject) -> Result<(), Failure> {
    let key = 5;
    let store = GatedStore::new();
    store.set(key, Some(0));
    let f = front(s, &store, 100, SECOND);
    let sit = format!(
        "A front ({}) over a store holding {key} → 0; get({key}) → Ok(Some(0)). Thread A: write({key}, Some(1)) at t=1, whose save is applied and then held at the suite's gate; thread B: write({key}, Some(2)) at t=2 → Ok(()); then A's save returns and A's write ends. The store holds 2.",
        config(100, SECOND, 0, SECOND, 100)
    );
    let _ = f.get(key, 0);
    let gate = store.hold(Op::Save, key, 1);
    let front_a = Arc::clone(&f);
    let a = std::thread::spawn(move || front_a.write(key, Some(1), 1));
    if !store.wait_arrived(gate, 1, WATCHDOG, || a.is_finished()) {
        store.open_all();
        let _ = join(a);
        return Err(fail(sit, "thread A's write to call Store::save", "no save within 5 s"));
    }
    let front_b = Arc::clone(&f);
    let b = within(WATCHDOG, move || front_b.write(key, Some(2), 2));
    let b = match b {
        Ok(b) => b,
        Err(handle) => {
            store.open_all();
            let _ = join(handle);
            let _ = join(a);
            return Err(fail(sit, "thread B's write to return while A's save is out", "it waited more than 5 s")
                .hint("Do not hold a lock across Store::save: writes of one key may overlap."));
        }
    };
    store.open(gate);
    let a = join(a);
    ensure(a.is_ok() && b.is_ok(), || fail(sit.clone(), "both writes Ok(())", format!("A: {a:?}, B: {b:?}")))?;
    let got = f.get(key, 3);
    ensure(got == Ok(Some(2)), || {
        fail(format!("{sit}\n  then get({key}) at t=3"), "Ok(Some(2)): what the store holds", shown(&got)).hint(format!(
            "Writes that update the cache can land in the other order than their saves did, and the cache then serves the older value until it expires. {DELETE}"
        ))
    })
}
