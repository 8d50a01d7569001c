//! Hit ratios on the traces of the `admission` stage: the reference's LRU,
//! LFU and S3-FIFO, `quick_cache` (its own S3-FIFO-like CLOCK-PRO variant),
//! `moka` (W-TinyLFU, as Caffeine), and Bélády's optimum (which may also
//! refuse a newcomer). Every request is a `get`, and on a miss a `put` of the
//! key, cold start counted. Prints one table; no timing.
//!
//! `cargo bench --manifest-path solutions/cache-aside/peers/Cargo.toml --bench hit_ratio`
//! (with `-- --test`, as `.ci/run` does, the traces are 10× shorter).

mod common;

use std::collections::{BTreeSet, HashMap};

use cache_aside_solution::{Admission, Lfu, LruCache};
use common::{Rng, scan_plus_hot, value_of, zipf};
use contracts::cache_aside::{Policy, TtlLru};

/// Hits of one cache on `trace`, checking every value it answers.
fn hits(trace: &[u64], mut get: impl FnMut(u64) -> Option<u64>, mut put: impl FnMut(u64, u64)) -> u64 {
    let mut hits = 0;
    for &key in trace {
        match get(key) {
            Some(value) => {
                assert_eq!(value, value_of(key), "a hit answered a wrong value");
                hits += 1;
            }
            None => put(key, value_of(key)),
        }
    }
    hits
}

fn policy<P: Policy>(trace: &[u64], capacity: usize) -> u64 {
    let p = std::cell::RefCell::new(P::new(capacity));
    hits(
        trace,
        |k| p.borrow_mut().get(k),
        |k, v| {
            p.borrow_mut().put(k, v);
        },
    )
}

fn lru(trace: &[u64], capacity: usize) -> u64 {
    let c = std::cell::RefCell::new(LruCache::new(capacity));
    hits(
        trace,
        |k| c.borrow_mut().get(k, 0),
        |k, v| {
            c.borrow_mut().put(k, v, 0, 1 << 62);
        },
    )
}

fn quick(trace: &[u64], capacity: usize) -> u64 {
    let c = std::cell::RefCell::new(quick_cache::unsync::Cache::new(capacity));
    hits(trace, |k| c.borrow().get(&k).copied(), |k, v| c.borrow_mut().insert(k, v))
}

fn moka(trace: &[u64], capacity: usize) -> u64 {
    let c = moka::sync::Cache::new(capacity as u64);
    hits(trace, |k| c.get(&k), |k, v| c.insert(k, v))
}

/// Bélády's optimum, allowed to leave the newcomer out.
fn belady(trace: &[u64], capacity: usize) -> u64 {
    let never = trace.len();
    let mut next = vec![never; trace.len()];
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for i in (0..trace.len()).rev() {
        if let Some(&j) = seen.get(&trace[i]) {
            next[i] = j;
        }
        seen.insert(trace[i], i);
    }
    let mut by_next: BTreeSet<(usize, u64)> = BTreeSet::new();
    let mut cached: HashMap<u64, usize> = HashMap::new();
    let mut hits = 0;
    for (i, &key) in trace.iter().enumerate() {
        if let Some(at) = cached.get_mut(&key) {
            hits += 1;
            by_next.remove(&(*at, key));
            *at = next[i];
            by_next.insert((next[i], key));
            continue;
        }
        if cached.len() == capacity {
            let Some(&(farthest, victim)) = by_next.last() else { continue };
            if farthest <= next[i] {
                continue;
            }
            by_next.pop_last();
            cached.remove(&victim);
        }
        cached.insert(key, next[i]);
        by_next.insert((next[i], key));
    }
    hits
}

fn main() {
    let short = std::env::args().any(|a| a == "--test");
    let scale = if short { 10 } else { 1 };
    let requests = 500_000 / scale;
    let mut rng = Rng(2024);
    let mut rows: Vec<(String, Vec<u64>, usize)> = Vec::new();
    for alpha in [0.6, 0.8, 1.0] {
        let trace = zipf(&mut rng, 100_000 / scale, alpha, requests);
        for capacity in [1_000 / scale, 10_000 / scale] {
            rows.push((format!("Zipf α={alpha}, capacity {capacity}"), trace.clone(), capacity));
        }
    }
    rows.push(("hot 500 + scans, capacity 1000".into(), scan_plus_hot(&mut rng, 500, 1_000, 1_000, requests), 1_000));

    println!("hit ratio, % of {requests} requests (get, and put on a miss)\n");
    println!(
        "{:34} {:>7} {:>7} {:>8} {:>11} {:>7} {:>8} {:>14}",
        "trace", "LRU", "LFU", "S3-FIFO", "quick_cache", "moka", "Bélády", "S3-FIFO − LRU"
    );
    for (name, trace, capacity) in &rows {
        let pct = |h: u64| 100.0 * h as f64 / trace.len() as f64;
        let l = pct(lru(trace, *capacity));
        let f = pct(policy::<Lfu>(trace, *capacity));
        let s = pct(policy::<Admission>(trace, *capacity));
        let q = pct(quick(trace, *capacity));
        let m = pct(moka(trace, *capacity));
        let b = pct(belady(trace, *capacity));
        assert!(s <= b + 1e-9, "{name}: S3-FIFO above the optimum");
        println!("{name:34} {l:7.2} {f:7.2} {s:8.2} {q:11.2} {m:7.2} {b:8.2} {:>+14.2}", s - l);
    }
}
