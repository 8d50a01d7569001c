//! Stage `benchmarks`: speed of each operation against the plain baseline,
//! and growth of a ring lookup with the number of points.

use contracts::load_balancer::{JumpHash, Lease, Ring};
use grader_protocol::BenchFigure;
use rand::RngExt;

use super::ring::{NODES, keys, ring_with};
use super::show::list;
use super::{MakePicker, Strategy, Subject};
use crate::bench;
use crate::harness::{Ctx, StageResult};

pub(super) fn run(learner: Subject, baseline: Subject, reference: Subject, ctx: &Ctx) -> StageResult {
    const OPS: u64 = 20_000;
    let ten = list(&(0..10).collect::<Vec<_>>());
    let pick_batch = |make: MakePicker| {
        let p = make(&ten, 7);
        // Some requests stay in flight, so load-aware pickers compare real counts.
        let held: Vec<Lease<'_>> = (0..25).filter_map(|_| p.pick().ok()).collect();
        let t = bench::time_batch(OPS, || {
            for _ in 0..OPS {
                if let Ok(lease) = p.pick() {
                    std::hint::black_box(lease.id());
                    lease.finish();
                }
            }
        });
        drop(held);
        t
    };
    let mut figures: Vec<BenchFigure> = vec![];
    for kind in Strategy::ALL {
        let (l, b, r) = (learner.picker(kind), baseline.picker(kind), reference.picker(kind));
        figures.push(bench::speed(
            &format!("{} pick", kind.name()),
            "a pick should take one short lock or a few atomics: no allocation and no copy of the backend list per pick",
            || pick_batch(l),
            || pick_batch(b),
            || pick_batch(r),
        ));
    }

    let lookups = keys(ctx, 80, 10_000);
    let lookup_batch = |ring: &dyn Ring| {
        bench::time_batch(lookups.len() as u64, || {
            for k in &lookups {
                std::hint::black_box(ring.node_for(k));
            }
        })
    };
    let (l_ring, b_ring, r_ring) =
        (ring_with(learner, 100, &NODES), ring_with(baseline, 100, &NODES), ring_with(reference, 100, &NODES));
    figures.push(bench::speed(
        "ring lookup, 10 × 100 points",
        "hash the key once and search the sorted points; do not allocate per lookup",
        || lookup_batch(l_ring.as_ref()),
        || lookup_batch(b_ring.as_ref()),
        || lookup_batch(r_ring.as_ref()),
    ));

    let mut rng = ctx.rng(81);
    let jump_keys: Vec<u64> = (0..OPS).map(|_| rng.random::<u64>()).collect();
    let jump_batch = |f: JumpHash| {
        bench::time_batch(OPS, || {
            for &k in &jump_keys {
                std::hint::black_box(f(k, 1_000));
            }
        })
    };
    figures.push(bench::speed(
        "jump_hash, 1,000 buckets",
        "jump hash is a few multiplications per jump and about ln(n) jumps: no table, no allocation",
        || jump_batch(learner.jump_hash),
        || jump_batch(baseline.jump_hash),
        || jump_batch(reference.jump_hash),
    ));

    // Ring lookups at 100 and 10,000 points (10 points per node): a binary
    // search grows ~2×, a linear scan ~100×.
    let sized = |s: Subject| {
        let small: Vec<u32> = (0..10).map(|i| i * 7 + 1).collect();
        let large: Vec<u32> = (0..1_000).map(|i| i * 7 + 1).collect();
        (ring_with(s, 10, &small), ring_with(s, 10, &large))
    };
    let at = |rings: &(Box<dyn Ring>, Box<dyn Ring>), size: usize| {
        lookup_batch(if size <= 100 { rings.0.as_ref() } else { rings.1.as_ref() })
    };
    let (l_sized, r_sized) = (sized(learner), sized(reference));
    figures.push(bench::complexity(
        "ring lookup, 100 → 10,000 points",
        "a lookup's time grows with the number of points: a linear scan? Keep the points sorted and binary-search them",
        100,
        bench::GROWTH_LIMIT,
        |size| at(&l_sized, size),
        |size| at(&r_sized, size),
    ));
    Ok(figures)
}
