//! Stage `resharding`: growing from `n` to `n + 1` shards moves only keys to
//! the new shard, about 1/(n+1) of them (0.5/(n+1) to 1.5/(n+1) of 100,000
//! random keys, from 1 shard to 256), a grown router answers like a new one
//! of `n + 1`, and `plan_add` lists exactly the keys that move, in order,
//! duplicates twice, changing nothing (at 1 shard and at 4,095 → 4,096).

use std::collections::HashSet;

use contracts::shard_router::Move;
use rand::RngExt;

use super::Subject;
use super::keys::{distinct_keys, random_keys, show_key, thousands};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

fn show_move(m: &Move) -> String {
    format!("{} {}→{}", show_key(&m.key), m.from, m.to)
}

fn show_moves(ms: &[Move]) -> String {
    let mut shown: Vec<String> = ms.iter().take(6).map(show_move).collect();
    if ms.len() > 6 {
        shown.push(format!("… {} in all", ms.len()));
    }
    format!("[{}]", shown.join(", "))
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let mut rng = ctx.rng(20);
    // The share that moves, and where to.
    let keys = {
        let mut seen = HashSet::new();
        let mut all = vec![];
        while all.len() < 100_000 {
            let k: Vec<u8> = (0..rng.random_range(4..=16)).map(|_| rng.random::<u8>()).collect();
            if seen.insert(k.clone()) {
                all.push(k);
            }
        }
        all
    };
    for n in [1u32, 2, 5, 31, 100, 255] {
        let mut router = (s.hash)(n);
        let before: Vec<u32> = keys.iter().map(|k| router.shard_for(k)).collect();
        let id = router.add_shard();
        ensure(id == n && router.shards() == n + 1, || {
            fail(
                format!("new({n}), then add_shard(): its answer and shards() after it."),
                format!("{n} (the old count), then {}", n + 1),
                format!("{id}, then {}", router.shards()),
            )
            .hint("The new shard's id is the old count: shards 0..n become 0..n+1.")
        })?;
        let mut moved = 0usize;
        for (k, &b) in keys.iter().zip(&before) {
            let a = router.shard_for(k);
            if a != b {
                moved += 1;
                ensure(a == n, || {
                    fail(
                        format!("100,000 random keys, shards growing from {n} to {}: key {}.", n + 1, show_key(k)),
                        format!("it stays on shard {b} or moves to the new shard {n}"),
                        format!("it moved from shard {b} to shard {a}"),
                    )
                    .hint("A join must only move keys to the new shard: hash % n reshuffles almost every key. Use a consistent scheme: jump consistent hash (the lesson's loop), or a ring of points.")
                })?;
            }
        }
        let (lo, hi) = (50_000 / (n as usize + 1), 150_000 / (n as usize + 1));
        ensure((lo..=hi).contains(&moved), || {
            fail(
                format!("100,000 distinct random keys, shards growing from {n} to {}.", n + 1),
                format!("between {} and {} keys moved (about 1/{} of them)", thousands(lo), thousands(hi), n + 1),
                format!("{} moved", thousands(moved)),
            )
            .hint("The new shard should take its fair share and no more: with jump hash each key moves with probability exactly 1/(n+1); with a ring, give each shard enough points (100 or more) that its share is close to fair.")
        })?;
        // A grown router answers like a new one of n + 1.
        let fresh = (s.hash)(n + 1);
        for k in keys.iter().take(2_000) {
            let (g, f) = (router.shard_for(k), fresh.shard_for(k));
            ensure(g == f, || {
                fail(
                    format!(
                        "A router grown by add_shard() from {n} to {} shards, and a router new({}): shard_for({}).",
                        n + 1,
                        n + 1,
                        show_key(k)
                    ),
                    format!("the same shard from both ({f})"),
                    format!("{g} from the grown one"),
                )
                .hint("Routing must depend on the key and the shard count alone, never on the history of joins.")
            })?;
        }
    }

    // plan_add: exactly the keys that move, in order, changing nothing.
    for n in [1u32, 2, 7, 100, 1000, 4095] {
        let mut router = (s.hash)(n);
        let mut ks = random_keys(&mut rng, 3_000);
        ks.extend(distinct_keys(&mut rng, 1_000));
        ks.push(vec![0xFF; 1024]);
        // A key handed in twice is listed twice.
        let dup = ks[rng.random_range(0..ks.len())].clone();
        ks.push(dup.clone());
        ks.push(dup);
        let slices: Vec<&[u8]> = ks.iter().map(Vec::as_slice).collect();
        let before: Vec<u32> = ks.iter().map(|k| router.shard_for(k)).collect();
        let plan = router.plan_add(&slices);
        ensure(router.shards() == n, || {
            fail(format!("new({n}), then plan_add(…): shards() after the plan."), n, router.shards())
                .hint("plan_add changes nothing: it says what add_shard would move.")
        })?;
        for (k, &b) in ks.iter().zip(&before) {
            let now = router.shard_for(k);
            ensure(now == b, || {
                fail(
                    format!("A router of {n} shards: shard_for({}) before and after plan_add.", show_key(k)),
                    format!("{b} both times"),
                    format!("{now} after"),
                )
                .hint("plan_add changes nothing: it says what add_shard would move.")
            })?;
        }
        router.add_shard();
        let want: Vec<Move> = ks
            .iter()
            .zip(&before)
            .filter_map(|(k, &b)| {
                let a = router.shard_for(k);
                (a != b).then(|| Move { key: k.clone(), from: b, to: a })
            })
            .collect();
        if plan != want {
            let i = plan.iter().zip(&want).position(|(p, w)| p != w).unwrap_or(plan.len().min(want.len()));
            return Err(fail(
                format!(
                    "A router of {n} shards, plan_add of {} keys (duplicates among them), then add_shard(): the plan against the keys that really moved. First difference at move {i}.",
                    thousands(ks.len())
                ),
                format!("{} moves; from move {i}: {}", want.len(), show_moves(&want[i.min(want.len())..])),
                format!("{} moves; from move {i}: {}", plan.len(), show_moves(&plan[i.min(plan.len())..])),
            )
            .hint("One Move per key whose shard changes (from its shard now, to the new one), in the order of the keys handed in, none for a key that stays; compute it with the same function add_shard makes true, for n and n + 1."));
        }
    }
    // No keys, no moves.
    let router = (s.hash)(3);
    let plan = router.plan_add(&[]);
    ensure(plan.is_empty(), || {
        fail("A router of 3 shards: plan_add(&[]).", "[] (no keys, no moves)", show_moves(&plan))
            .hint("A key that is not handed in is not listed.")
    })?;
    Ok(vec![])
}
