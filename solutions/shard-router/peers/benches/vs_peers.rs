//! The shard-router reference against peer crates, answers checked equal
//! before anything is timed.
//!
//! - **Hash routing**: `Jump::shard_for` (FNV-1a 64, then MurmurHash3's
//!   `fmix64`, then jump consistent hash, written out in the reference)
//!   against the same pipeline assembled from crates: `fnv::FnvHasher`
//!   (FNV-1a 64), the same finalizer, then `jump_consistent_hash::hash`.
//!   Equal answers prove the reference's hash is the FNV-1a it claims to
//!   be, and its jump the paper's. Keys: `user:<n>` strings, as a shard key
//!   usually looks.
//! - **Scatter-gather**: `merge_top_k` against `itertools::kmerge_by` over
//!   the same slices, each cut at the cursor by the same binary search, then
//!   `take(k)`. Both are k-way heap merges; the figure says what the
//!   reference's hand-written heap costs against a general one.
//!
//! No peer implements the rest of the contract (a range table with ids and
//! plans, a hot-shard detector with a bounded sample, a read router over
//! positions) with answers that could be checked equal, so those are not
//! benchmarked here; the grader's speed stage compares them with the plain
//! baseline.

use std::hash::Hasher;
use std::hint::black_box;

use contracts::shard_router::{Cursor, HashRouter, Item};
use criterion::{Criterion, criterion_group, criterion_main};
use itertools::Itertools;
use shard_router_solution::{Jump, merge_top_k};

/// MurmurHash3's `fmix64`, as in the reference.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// The peer pipeline: `fnv` + the finalizer + `jump-consistent-hash`.
fn peer_shard(key: &[u8], shards: u32) -> u32 {
    let mut h = fnv::FnvHasher::default();
    h.write(key);
    jump_consistent_hash::hash(fmix64(h.finish()), shards as usize)
}

fn hash_routing(c: &mut Criterion) {
    let keys: Vec<Vec<u8>> = (0..4096u64).map(|i| format!("user:{}", i * 7_919 + 1_000_000).into_bytes()).collect();
    for shards in [16u32, 4096] {
        let jump = Jump::new(shards);
        for k in &keys {
            assert_eq!(jump.shard_for(k), peer_shard(k, shards), "key {k:?}, {shards} shards");
        }
        let mut g = c.benchmark_group(format!("shard_for_{shards}_shards"));
        g.bench_function("reference", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 4095;
                black_box(jump.shard_for(black_box(&keys[i])))
            })
        });
        g.bench_function("fnv+jump_consistent_hash", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 4095;
                black_box(peer_shard(black_box(&keys[i]), shards))
            })
        });
        g.finish();
    }
}

/// `shards` sorted slices of `per_shard` items with distinct ids, seeded.
fn shard_results(shards: usize, per_shard: usize) -> Vec<Vec<Item>> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..shards)
        .map(|s| {
            let mut v: Vec<Item> =
                (0..per_shard).map(|i| Item { score: next() % 1_000_000, id: (s * per_shard + i) as u64 }).collect();
            v.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
            v
        })
        .collect()
}

/// The peer: cut each slice after the cursor, then `kmerge_by` and `take(k)`.
fn peer_page(shards: &[&[Item]], k: usize, after: Option<Cursor>) -> Vec<Item> {
    let first = |it: &Item, c: &Cursor| (it.score > c.score) || (it.score == c.score && it.id <= c.id);
    shards
        .iter()
        .map(|s| {
            let i = after.map_or(0, |c| s.partition_point(|it| first(it, &c)));
            s[i..].iter().copied()
        })
        .kmerge_by(|a, b| a.score > b.score || (a.score == b.score && a.id < b.id))
        .take(k)
        .collect()
}

fn scatter_gather(c: &mut Criterion) {
    for (shards, per_shard, k) in [(16usize, 10_000usize, 100usize), (256, 1_000, 100)] {
        let data = shard_results(shards, per_shard);
        let refs: Vec<&[Item]> = data.iter().map(Vec::as_slice).collect();
        let middle = data[0][per_shard / 2];
        let cursor = Some(Cursor { score: middle.score, id: middle.id });
        for after in [None, cursor] {
            assert_eq!(merge_top_k(&refs, k, after).items, peer_page(&refs, k, after), "{shards} shards, {after:?}");
        }
        let mut g = c.benchmark_group(format!("merge_top_{k}_of_{shards}x{per_shard}_from_the_middle"));
        g.bench_function("reference", |b| b.iter(|| black_box(merge_top_k(black_box(&refs), k, cursor))));
        g.bench_function("itertools_kmerge_by", |b| b.iter(|| black_box(peer_page(black_box(&refs), k, cursor))));
        g.finish();
    }
}

criterion_group!(benches, hash_routing, scatter_gather);
criterion_main!(benches);
