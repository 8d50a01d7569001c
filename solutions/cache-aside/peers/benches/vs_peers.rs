//! The reference's caches against the `lru` and `quick_cache` crates, and its
//! front against `moka`'s read-through cache.
//!
//! Run with
//! `cargo bench --manifest-path solutions/cache-aside/peers/Cargo.toml --bench vs_peers -- --warm-up-time 1 --measurement-time 3`.
//!
//! # What is compared, and why it is fair
//!
//! - **Same answers.** Our [`LruCache`] and `lru::LruCache` implement the same
//!   policy, so before anything is timed both replay the Zipf trace in
//!   lockstep and must agree on every hit, every miss and every evicted key.
//!   Our S3-FIFO and `quick_cache` (CLOCK-PRO-like) are different policies:
//!   their hit counts are printed, and every hit of both is checked to answer
//!   the value put.
//! - **Same work per row.** `get_hit`: a full cache of 10,000 keys, random
//!   present keys (precomputed). `put_evict`: fresh keys into a full cache,
//!   each put evicting one. `zipf_trace`: a get per request of a Zipf α 0.8
//!   trace over 100,000 keys, a put on a miss, capacity 10,000: the loop a
//!   real cache runs, with its real hit ratio. Every answer goes to
//!   `black_box`.
//! - **Same hash quality.** `lru` defaults to `hashbrown`'s foldhash,
//!   `quick_cache` to its own `ahash`-like default; ours to foldhash.
//! - **The front.** `Front::get` (hit: shard lock, LRU lookup, move to front)
//!   against `moka::sync::Cache::get_with` (hit: lock-free read, the access
//!   recorded in a buffer replayed later): both single-flight read-through
//!   caches. One thread, then two (the machine has two cores), figures in
//!   wall time per operation per thread.

mod common;

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use cache_aside_solution::{Admission, Front, Lfu, LruCache};
use common::{Rng, value_of, zipf};
use contracts::cache_aside::{CacheAside, FrontConfig, Policy, Store, StoreError, TtlLru};
use criterion::{Criterion, criterion_group, criterion_main};

const CAPACITY: usize = 10_000;
/// Long enough never to expire during a bench.
const FOREVER: u64 = 1 << 61;

fn keys(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng(seed);
    (0..n).map(|_| rng.next_u64()).collect()
}

/// Our LRU and `lru` agree on every hit, miss and eviction of `trace`.
fn check_lru_lockstep(trace: &[u64]) {
    let mut ours = LruCache::new(CAPACITY);
    let mut theirs = lru::LruCache::new(NonZeroUsize::new(CAPACITY).expect("not zero"));
    for &k in trace {
        let a = ours.get(k, 0);
        let b = theirs.get(&k).copied();
        assert_eq!(a, b, "LRU answers differ on key {k}");
        if a.is_none() {
            let evicted_ours = ours.put(k, value_of(k), 0, FOREVER);
            let evicted_theirs = theirs.push(k, value_of(k)).map(|(key, _)| key);
            assert_eq!(evicted_ours, evicted_theirs, "LRU evictions differ");
        }
    }
}

fn bench_get_hit(c: &mut Criterion) {
    let present = keys(CAPACITY, 1);
    let mut rng = Rng(2);
    let probes: Vec<u64> = (0..4096).map(|_| present[(rng.next_u64() % CAPACITY as u64) as usize]).collect();
    let mut ours = LruCache::new(CAPACITY);
    let mut lfu = Lfu::new(CAPACITY);
    let mut s3 = Admission::new(CAPACITY);
    let mut theirs = lru::LruCache::new(NonZeroUsize::new(CAPACITY).expect("not zero"));
    let mut quick = quick_cache::unsync::Cache::new(CAPACITY);
    for &k in &present {
        ours.put(k, value_of(k), 0, FOREVER);
        lfu.put(k, value_of(k));
        s3.put(k, value_of(k));
        theirs.put(k, value_of(k));
        quick.insert(k, value_of(k));
    }
    for &k in &probes {
        assert_eq!(ours.get(k, 0), Some(value_of(k)));
        assert_eq!(theirs.get(&k).copied(), Some(value_of(k)));
        assert_eq!(lfu.get(k), Some(value_of(k)));
        assert_eq!(s3.get(k), Some(value_of(k)));
        assert_eq!(quick.get(&k).copied(), Some(value_of(k)), "quick_cache keeps every key at capacity");
    }
    let mut g = c.benchmark_group("get_hit");
    let mut i = 0;
    let mut next = move || {
        i = (i + 1) & 4095;
        probes[i]
    };
    g.bench_function("ours_lru", |b| b.iter(|| black_box(ours.get(next(), 0))));
    g.bench_function("lru", |b| b.iter(|| black_box(theirs.get(&next()).copied())));
    g.bench_function("ours_lfu", |b| b.iter(|| black_box(lfu.get(next()))));
    g.bench_function("ours_s3fifo", |b| b.iter(|| black_box(s3.get(next()))));
    g.bench_function("quick_cache", |b| b.iter(|| black_box(quick.get(&next()).copied())));
    g.finish();
}

fn bench_put_evict(c: &mut Criterion) {
    let fill = keys(CAPACITY, 3);
    let mut ours = LruCache::new(CAPACITY);
    let mut lfu = Lfu::new(CAPACITY);
    let mut s3 = Admission::new(CAPACITY);
    let mut theirs = lru::LruCache::new(NonZeroUsize::new(CAPACITY).expect("not zero"));
    let mut quick = quick_cache::unsync::Cache::new(CAPACITY);
    for &k in &fill {
        ours.put(k, k, 0, FOREVER);
        lfu.put(k, k);
        s3.put(k, k);
        theirs.put(k, k);
        quick.insert(k, k);
    }
    // Fresh keys: a counter far from the random fill keys, one per put.
    let mut g = c.benchmark_group("put_evict");
    let mut fresh = 0u64;
    g.bench_function("ours_lru", |b| {
        b.iter(|| {
            fresh += 1;
            black_box(ours.put(fresh, fresh, 0, FOREVER))
        })
    });
    let mut fresh = 0u64;
    g.bench_function("lru", |b| {
        b.iter(|| {
            fresh += 1;
            black_box(theirs.push(fresh, fresh).map(|(k, _)| k))
        })
    });
    let mut fresh = 0u64;
    g.bench_function("ours_lfu", |b| {
        b.iter(|| {
            fresh += 1;
            black_box(lfu.put(fresh, fresh))
        })
    });
    let mut fresh = 0u64;
    g.bench_function("ours_s3fifo", |b| {
        b.iter(|| {
            fresh += 1;
            black_box(s3.put(fresh, fresh))
        })
    });
    let mut fresh = 0u64;
    g.bench_function("quick_cache", |b| {
        b.iter(|| {
            fresh += 1;
            quick.insert(fresh, fresh);
        })
    });
    g.finish();
}

fn bench_zipf_trace(c: &mut Criterion) {
    let trace = zipf(&mut Rng(4), 100_000, 0.8, 200_000);
    check_lru_lockstep(&trace);
    let mut g = c.benchmark_group("zipf_trace");
    // One request = get, and put on a miss. Each row replays the whole trace
    // from a fresh cache, so hits and misses are the real mix.
    fn run_trace<C>(
        trace: &[u64],
        mut cache: C,
        mut get: impl FnMut(&mut C, u64) -> Option<u64>,
        mut put: impl FnMut(&mut C, u64, u64),
    ) -> u64 {
        let mut hits = 0;
        for &k in trace {
            match get(&mut cache, k) {
                Some(v) => {
                    assert_eq!(v, value_of(k));
                    hits += 1
                }
                None => put(&mut cache, k, value_of(k)),
            }
        }
        hits
    }
    let ours = |t: &[u64]| {
        run_trace(
            t,
            LruCache::new(CAPACITY),
            |c, k| c.get(k, 0),
            |c, k, v| {
                c.put(k, v, 0, FOREVER);
            },
        )
    };
    let theirs = |t: &[u64]| {
        run_trace(
            t,
            lru::LruCache::new(NonZeroUsize::new(CAPACITY).expect("not zero")),
            |c, k| c.get(&k).copied(),
            |c, k, v| {
                c.put(k, v);
            },
        )
    };
    let s3 = |t: &[u64]| {
        run_trace(
            t,
            Admission::new(CAPACITY),
            |c, k| c.get(k),
            |c, k, v| {
                c.put(k, v);
            },
        )
    };
    let quick = |t: &[u64]| {
        run_trace(t, quick_cache::unsync::Cache::new(CAPACITY), |c, k| c.get(&k).copied(), |c, k, v| c.insert(k, v))
    };
    assert_eq!(ours(&trace), theirs(&trace));
    println!(
        "zipf_trace hits of {}: LRU {}, S3-FIFO {}, quick_cache {}",
        trace.len(),
        ours(&trace),
        s3(&trace),
        quick(&trace)
    );
    let n = trace.len() as u64;
    let per_request = |b: &mut criterion::Bencher, f: &dyn Fn(&[u64]) -> u64| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters.div_ceil(n) {
                black_box(f(black_box(&trace)));
            }
            start.elapsed().mul_f64(iters as f64 / (iters.div_ceil(n) * n) as f64)
        })
    };
    g.bench_function("ours_lru", |b| per_request(b, &ours));
    g.bench_function("lru", |b| per_request(b, &theirs));
    g.bench_function("ours_s3fifo", |b| per_request(b, &s3));
    g.bench_function("quick_cache", |b| per_request(b, &quick));
    g.finish();
}

/// A store that answers `value_of(key)` at once.
struct Instant_;

impl Store for Instant_ {
    fn load(&self, key: u64) -> Result<Option<u64>, StoreError> {
        Ok(Some(value_of(key)))
    }
    fn save(&self, _: u64, _: Option<u64>) -> Result<(), StoreError> {
        Ok(())
    }
}

fn bench_front(c: &mut Criterion) {
    let present = keys(CAPACITY, 5);
    let config = FrontConfig {
        capacity: 2 * CAPACITY,
        ttl: FOREVER,
        jitter: 0,
        negative_ttl: 1,
        negative_capacity: 1024,
        seed: 1,
    };
    let ours = Arc::new(Front::new(Arc::new(Instant_), config));
    let theirs: Arc<moka::sync::Cache<u64, u64>> = Arc::new(moka::sync::Cache::new(2 * CAPACITY as u64));
    for &k in &present {
        assert_eq!(ours.get(k, 0), Ok(Some(value_of(k))));
        assert_eq!(theirs.get_with(k, || value_of(k)), value_of(k));
    }
    theirs.run_pending_tasks();
    let mut g = c.benchmark_group("front_hit");
    for threads in [1usize, 2] {
        let run = |get: &(dyn Fn(u64) -> u64 + Sync), iters: u64| -> Duration {
            let barrier = Barrier::new(threads);
            let times: Vec<Duration> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|t| {
                        let barrier = &barrier;
                        let present = &present;
                        s.spawn(move || {
                            let mut rng = Rng(t as u64 + 10);
                            barrier.wait();
                            let start = Instant::now();
                            for _ in 0..iters {
                                let k = present[(rng.next_u64() % CAPACITY as u64) as usize];
                                black_box(get(k));
                            }
                            start.elapsed()
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().expect("bench thread")).collect()
            });
            times.into_iter().max().unwrap_or_default()
        };
        let o = Arc::clone(&ours);
        g.bench_function(format!("ours_front/{threads}t"), |b| {
            b.iter_custom(|iters| run(&|k| o.get(k, 0).ok().flatten().unwrap_or(0), iters))
        });
        let m = Arc::clone(&theirs);
        g.bench_function(format!("moka_get_with/{threads}t"), |b| {
            b.iter_custom(|iters| run(&|k| m.get_with(k, || value_of(k)), iters))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_get_hit, bench_put_evict, bench_zipf_trace, bench_front);
criterion_main!(benches);
