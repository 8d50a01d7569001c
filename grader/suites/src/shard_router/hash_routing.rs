//! Stage `hash-routing`: every key gets a shard in `0..n` (the empty key and
//! 1,024 bytes of `0xFF` included, 1 shard and 4,096), the same for two
//! routers of `n` shards and in a second process, and the keys spread
//! evenly: 70% to 130% of the fair share for random keys and for counters.

use std::collections::HashSet;

use rand::RngExt;

use super::Subject;
use super::keys::{random_keys, show_key, thousands};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail, probe_in_fresh_process};

/// The probe run in a second process: [`placement`].
pub(super) const PLACEMENT_PROBE: &str = "shard-placement";

const SHARD_COUNTS: [u32; 6] = [1, 2, 7, 64, 1000, 4096];

/// The keys of every totality and placement check: edge keys, then random
/// keys of the stage's seed.
fn probe_keys(ctx: &Ctx) -> Vec<Vec<u8>> {
    let mut all = vec![
        Vec::new(),
        vec![0x00],
        vec![0xFF],
        vec![0xFF; 1024],
        vec![0x00; 1024],
        b"a".to_vec(),
        b"a\0".to_vec(),
        b"user:0".to_vec(),
    ];
    all.extend(random_keys(&mut ctx.rng(10), 500));
    all
}

/// Where routers of 1, 2, 7, 64, 1,000 and 4,096 shards place the probe
/// keys: one line of numbers.
pub(super) fn placement(s: Subject, ctx: &Ctx) -> String {
    let keys = probe_keys(ctx);
    let mut out = vec![];
    for n in SHARD_COUNTS {
        let router = (s.hash)(n);
        out.extend(keys.iter().map(|k| router.shard_for(k).to_string()));
    }
    out.join(" ")
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let keys = probe_keys(ctx);
    // Total, in range, and the same for two routers of n shards.
    for n in SHARD_COUNTS {
        let (a, b) = ((s.hash)(n), (s.hash)(n));
        ensure(a.shards() == n, || {
            fail(format!("HashRouter::new({n}), then shards()."), n, a.shards())
                .hint("shards() answers how many shards the router has now: n after new(n).")
        })?;
        for key in &keys {
            let (x, y) = (a.shard_for(key), b.shard_for(key));
            ensure(x < n, || {
                fail(format!("A router of {n} shards: shard_for({}).", show_key(key)), format!("a shard in 0..{n}"), x)
                    .hint(
                        "Reduce the hash into 0..n: every key, the empty one included, must land on an existing shard.",
                    )
            })?;
            ensure(x == y, || {
                fail(
                    format!("Two routers, both new({n}): shard_for({}) on each.", show_key(key)),
                    format!("the same shard twice ({x})"),
                    format!("{x} from the first, {y} from the second"),
                )
                .hint("The shard must depend on the key's bytes and the shard count alone: no random seed per router (RandomState), no counter, no address.")
            })?;
        }
    }

    // The same in a second process (a fleet of routers must agree).
    let here = placement(s, ctx);
    let there = probe_in_fresh_process(PLACEMENT_PROBE, ctx)?;
    if here != there {
        let (h, t): (Vec<&str>, Vec<&str>) = (here.split(' ').collect(), there.split(' ').collect());
        let i = h.iter().zip(&t).position(|(a, b)| a != b).unwrap_or(0);
        let (n, key) = (SHARD_COUNTS[(i / keys.len()).min(SHARD_COUNTS.len() - 1)], &keys[i % keys.len()]);
        return Err(fail(
            format!(
                "The same placement computed in this process and in a second one (same program): a router of {n} shards, shard_for({}).",
                show_key(key)
            ),
            format!("the same shard in both processes ({})", h.get(i).unwrap_or(&"?")),
            format!("shard {} in the second process", t.get(i).unwrap_or(&"?")),
        )
        .hint("std's RandomState (HashMap's default hasher) draws random keys per process, and DefaultHasher's algorithm may change between Rust releases: write a fixed hash (FNV-1a, or a splitmix64-style mix of the bytes) in your own code."));
    }

    // Spread: 1,000 × n distinct keys, each shard 70% to 130% of 1,000.
    let mut rng = ctx.rng(11);
    for n in [2u32, 3, 10, 64, 256] {
        let counters: Vec<Vec<u8>> = (0..1_000 * u64::from(n)).map(|i| format!("user:{i}").into_bytes()).collect();
        let mut seen = HashSet::new();
        let mut random: Vec<Vec<u8>> = vec![];
        while random.len() < 1_000 * n as usize {
            let len = rng.random_range(4..=16);
            let k: Vec<u8> = (0..len).map(|_| rng.random::<u8>()).collect();
            if seen.insert(k.clone()) {
                random.push(k);
            }
        }
        for (what, set) in [("counter keys user:0, user:1, …", &counters), ("random byte keys", &random)] {
            let router = (s.hash)(n);
            let mut per = vec![0usize; n as usize];
            for k in set {
                per[router.shard_for(k) as usize] += 1;
            }
            let (lo, hi) = per
                .iter()
                .enumerate()
                .fold((0, 0), |(lo, hi), (i, &c)| (if c < per[lo] { i } else { lo }, if c > per[hi] { i } else { hi }));
            for (shard, count) in [(lo, per[lo]), (hi, per[hi])] {
                ensure((700..=1_300).contains(&count), || {
                    fail(
                        format!("{} distinct {what} over {n} shards (fair share 1,000 each).", thousands(set.len())),
                        "every shard between 700 and 1,300 keys",
                        format!("shard {shard} received {}", thousands(count)),
                    )
                    .hint("The hash must mix every byte into every bit of the result, or keys that differ in one byte land together: finish with a mixer (splitmix64's finaliser) before reducing to 0..n. Take the shard from the high bits or from jump hash, not from the low bits of a weak hash.")
                })?;
            }
        }
    }
    Ok(vec![])
}
