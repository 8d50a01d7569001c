//! Stage `benchmarks`: speed of each piece against the plain baseline
//! (hash routing, range lookup at 10,000 ranges, recording accesses, reads
//! from several threads, a merge of 16 shards), and growth of the range
//! lookup (100 → 10,000 ranges) and of a merge page (1,000 → 100,000 items
//! per shard, the cursor in the middle).

use std::sync::Arc;

use contracts::shard_router::{Cursor, HotConfig, Item, Position, RangeRouter, ReadRouter, Session};
use grader_protocol::BenchFigure;
use rand::RngExt;

use super::Subject;
use super::keys::{key_of, zipf_keys};
use crate::bench;
use crate::harness::{Ctx, StageResult};

/// Calls per timed batch.
const OPS: usize = 20_000;

/// A range router split at `n - 1` random keys (`n` ranges).
fn ranges_of(s: Subject, n: usize, salt: u64) -> Box<dyn RangeRouter> {
    let mut r = (s.ranges)();
    for i in 1..n as u64 {
        let _ = r.split(&key_of(i, salt));
    }
    r
}

/// 16 shards of `per` items each, sorted, ids distinct.
fn shards_of(per: usize) -> Vec<Vec<Item>> {
    (0..16u64)
        .map(|s| (0..per as u64).map(|i| Item { score: (per as u64 - i) * 3, id: i * 16 + s }).collect())
        .collect()
}

fn merge_batch(merge: contracts::shard_router::MergeTopK, shards: &[Vec<Item>], after: Option<Cursor>) -> f64 {
    let slices: Vec<&[Item]> = shards.iter().map(Vec::as_slice).collect();
    let pages = 200u64;
    bench::time_batch(pages, || {
        for _ in 0..pages {
            std::hint::black_box(merge(&slices, 10, after));
        }
    })
}

pub(super) fn run(learner: Subject, baseline: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
    let mut rng = ctx.rng(80);
    let salt = rng.random::<u64>();
    let keys = zipf_keys(&mut rng, 100_000, 0.8, OPS);
    let mut figures: Vec<BenchFigure> = vec![];

    let hash = |s: Subject| {
        let router = (s.hash)(1000);
        let keys = keys.clone();
        move || {
            bench::time_batch(keys.len() as u64, || {
                for k in &keys {
                    std::hint::black_box(router.shard_for(k));
                }
            })
        }
    };
    figures.push(bench::speed(
        "Jump shard_for, 1,000 shards, 20-byte keys",
        "a lookup should hash the key's bytes once and pick the shard: no allocation, no sort, no walk over every shard",
        hash(learner),
        hash(baseline),
        hash(reference),
    ));

    let range = |s: Subject| {
        let router = ranges_of(s, 10_000, salt);
        let keys = keys.clone();
        move || {
            bench::time_batch(keys.len() as u64, || {
                for k in &keys {
                    std::hint::black_box(router.shard_for(k));
                }
            })
        }
    };
    figures.push(bench::speed(
        "Ranges shard_for, 10,000 ranges",
        "a lookup should be one binary search (or one BTreeMap range query) over the lower bounds, without copying the key",
        range(learner),
        range(baseline),
        range(reference),
    ));

    let hot = |s: Subject| {
        let mut det = (s.hot)(64, HotConfig { factor: 4, window: 10_000, min_accesses: 1_000, max_tracked_keys: 1024 });
        let keys = keys.clone();
        move || {
            bench::time_batch(keys.len() as u64, || {
                for (i, k) in keys.iter().enumerate() {
                    det.record((i % 64) as u32, k);
                }
                std::hint::black_box(det.hot());
            })
        }
    };
    figures.push(bench::speed(
        "Hotspots record, 64 shards, 1,024 tracked keys",
        "a record should bump a counter and maybe replace one sampled key: no scan of every shard or every tracked key per call",
        hot(learner),
        hot(baseline),
        hot(reference),
    ));

    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    let reads = |s: Subject| {
        let router: Arc<dyn ReadRouter> = (s.reads)(8);
        for _ in 0..1_000 {
            router.write();
        }
        for r in 0..8 {
            router.applied(r, Position(900 + u64::from(r) * 10));
        }
        move || {
            bench::time_batch(OPS as u64, || {
                std::thread::scope(|scope| {
                    for _ in 0..threads {
                        let router = Arc::clone(&router);
                        scope.spawn(move || {
                            let mut session = Session::new();
                            for i in 0..OPS / threads {
                                session.position = Position(850 + (i as u64 % 100));
                                std::hint::black_box(router.read(&mut session));
                            }
                        });
                    }
                });
            })
        }
    };
    figures.push(bench::speed(
        &format!("Replicas read, 8 replicas, {threads} threads at once"),
        "a read should look at each replica's largest report once (atomics, or one short lock) and allocate nothing",
        reads(learner),
        reads(baseline),
        reads(reference),
    ));

    let data = shards_of(10_000);
    let mid = Some(Cursor { score: 15_000, id: 0 });
    let merge = |s: Subject| {
        let data = data.clone();
        move || merge_batch(s.merge, &data, mid)
    };
    figures.push(bench::speed(
        "merge_top_k, 16 shards of 10,000 items, pages of 10",
        "a page should binary-search each shard for the cursor and take k items through a small heap: never copy or sort whole shards",
        merge(learner),
        merge(baseline),
        merge(reference),
    ));

    let range_sized = |s: Subject| {
        let routers = [ranges_of(s, 100, salt), ranges_of(s, 10_000, salt)];
        let keys = keys.clone();
        move |size: usize| {
            let router = &routers[usize::from(size > 100)];
            bench::time_batch(keys.len() as u64, || {
                for k in &keys {
                    std::hint::black_box(router.shard_for(k));
                }
            })
        }
    };
    figures.push(bench::complexity(
        "Ranges shard_for, 100 → 10,000 ranges",
        "time per lookup grows with the number of ranges: a scan of the ranges? Keep the lower bounds sorted and binary-search them (or a BTreeMap)",
        100,
        bench::GROWTH_LIMIT,
        range_sized(learner),
        range_sized(reference),
    ));

    let merge_sized = |s: Subject| {
        let data = [shards_of(1_000), shards_of(100_000)];
        move |size: usize| {
            let (d, per) = if size > 1_000 { (&data[1], 100_000u64) } else { (&data[0], 1_000) };
            merge_batch(s.merge, d, Some(Cursor { score: per / 2 * 3, id: 0 }))
        }
    };
    figures.push(bench::complexity(
        "merge_top_k page of 10, 16 shards, 1,000 → 100,000 items each, cursor in the middle",
        "time per page grows with the items: walking each shard up to the cursor, or sorting everything? Binary-search each shard for the cursor, then take k items through a heap",
        1_000,
        bench::GROWTH_LIMIT,
        merge_sized(learner),
        merge_sized(reference),
    ));
    Ok(figures)
}
