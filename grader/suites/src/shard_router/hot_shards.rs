//! Stage `hot-shards`: checked against the exact counts of the stream, at
//! checkpoints every half window: quiet before `min_accesses`; a shard that
//! took at least twice the threshold in each of the last two windows is
//! hot (Zipf α 1.0 traffic, one shard of 4,096 singled out); a shard that
//! never took half the threshold in any window is not (uniform streams over
//! 16 and 256 shards); a shard cools down after 8 quiet windows; the split
//! point of a hot shard divides its last window's accesses between 25% and
//! 75%; and at most `max_tracked_keys` keys are held after every call, a
//! million distinct keys included.

use std::collections::HashMap;

use contracts::shard_router::{HotConfig, HotShards, ShardId};
use rand::RngExt;

use super::Subject;
use super::keys::{Zipf, key_of, show_key, thousands};
use grader_protocol::Failure;

use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// A detector fed in step with the exact counts of its stream.
struct Watch {
    det: Box<dyn HotShards>,
    shards: u32,
    config: HotConfig,
    what: String,
    stream: Vec<u32>,
    keys: Vec<Vec<u8>>,
    sliding: Vec<u64>,
    max_sliding: Vec<u64>,
    /// Check cooling-down (at most 16 shards).
    cooling: bool,
}

impl Watch {
    fn new(s: Subject, shards: u32, config: HotConfig, what: &str) -> Watch {
        Watch {
            det: (s.hot)(shards, config),
            shards,
            config,
            what: format!("HotShards::new({shards}, {config}); {what}"),
            stream: vec![],
            keys: vec![],
            sliding: vec![0; shards as usize],
            max_sliding: vec![0; shards as usize],
            cooling: shards <= 16,
        }
    }

    fn record(&mut self, shard: u32, key: Vec<u8>) -> Result<(), Failure> {
        self.det.record(shard, &key);
        self.stream.push(shard);
        self.keys.push(key);
        let n = self.stream.len() as u64;
        self.sliding[shard as usize] += 1;
        if n > self.config.window {
            let out = self.stream[(n - self.config.window - 1) as usize];
            self.sliding[out as usize] -= 1;
        }
        if n >= self.config.window {
            for (m, &c) in self.max_sliding.iter_mut().zip(&self.sliding) {
                *m = (*m).max(c);
            }
        }
        if n % (self.config.window / 2) == 0 || n == self.config.min_accesses {
            self.check()?;
        }
        Ok(())
    }

    /// Counts per shard of accesses `[from, to)`.
    fn counts(&self, from: usize, to: usize) -> Vec<u64> {
        let mut c = vec![0u64; self.shards as usize];
        for &s in &self.stream[from..to] {
            c[s as usize] += 1;
        }
        c
    }

    fn check(&self) -> Result<(), Failure> {
        let n = self.stream.len();
        let w = self.config.window as usize;
        let hot = self.det.hot();
        let situation = format!("{}: hot() after {} accesses.", self.what, thousands(n));
        let mut sorted = hot.clone();
        sorted.sort_unstable();
        sorted.dedup();
        ensure(sorted == hot && hot.iter().all(|&s| s < self.shards), || {
            fail(situation.clone(), "shard ids in increasing order, no repeats, each < shards", format!("{hot:?}"))
                .hint("hot() lists each hot shard once, smallest id first.")
        })?;
        if (n as u64) < self.config.min_accesses {
            return ensure(hot.is_empty(), || {
                fail(situation.clone(), format!("[] (fewer than min_accesses = {} accesses so far)", self.config.min_accesses), format!("{hot:?}"))
                    .hint("Quiet start: nothing is hot before min_accesses accesses were recorded in all; a handful of early accesses says nothing about shares.")
            });
        }
        let (factor, shards) = (u64::from(self.config.factor), u64::from(self.shards));
        // Detection: ≥ 2t in each of the last two windows.
        if n >= 2 * w {
            let (last, before) = (self.counts(n - w, n), self.counts(n - 2 * w, n - w));
            for s in 0..self.shards {
                let (a, b) = (last[s as usize], before[s as usize]);
                let must = a * shards >= 2 * factor * w as u64 && b * shards >= 2 * factor * w as u64;
                ensure(!must || hot.contains(&s), || {
                    fail(
                        situation.clone(),
                        format!("shard {s} among them: it took {a} of the last {w} accesses and {b} of the {w} before (the threshold t = factor / shards is {:.2}% of accesses, so it took at least 2t in both windows)", 100.0 * factor as f64 / shards as f64),
                        format!("{hot:?}"),
                    )
                    .hint("Count each shard's accesses over about the last `window` accesses (two tumbling windows, or decayed counts) and compare its share with factor / shards. A shard's share is its count divided by the accesses counted, not by the accesses since new.")
                })?;
            }
        }
        // No false alarm: never more than t/2 in any window.
        if n >= w {
            for &s in &hot {
                let m = self.max_sliding[s as usize];
                ensure(2 * m * shards > factor * w as u64, || {
                    fail(
                        situation.clone(),
                        format!("shard {s} not among them: in every run of {w} consecutive accesses so far it took at most {m}, under half the threshold (t/2 = {:.0} accesses)", (factor * w as u64) as f64 / (2 * shards) as f64),
                        format!("{hot:?}"),
                    )
                    .hint("A shard is hot only when its share of the recent accesses exceeds factor × 1/shards: compare shares (count × shards > factor × accesses counted), not raw counts against a constant, and never count a shard's accesses twice.")
                })?;
            }
        }
        // Cooling down: 8 quiet windows.
        if self.cooling && n >= 8 * w {
            for &s in &hot {
                let quiet = (1..=8)
                    .all(|i| 2 * self.counts(n - i * w, n - (i - 1) * w)[s as usize] * shards <= factor * w as u64);
                ensure(!quiet, || {
                    fail(
                        situation.clone(),
                        format!("shard {s} not among them: in each of the last 8 windows of {w} accesses it took at most half the threshold"),
                        format!("{hot:?}"),
                    )
                    .hint("Recent means recent: counts since new() never forget a burst. Keep two windows (current and previous) or decay the counts (halve them every window) so that a shard that cooled down leaves hot().")
                })?;
            }
        }
        Ok(())
    }

    /// The split point of `shard`, checked against its last window.
    fn check_split(&self, shard: ShardId) -> Result<(), Failure> {
        let n = self.stream.len();
        let w = self.config.window as usize;
        let got = self.det.split_point(shard);
        let situation =
            format!("{}: split_point({shard}) after {} accesses (shard {shard} is hot).", self.what, thousands(n));
        let Some(at) = got else {
            return Err(fail(situation, "Some(key): a key recorded for that shard", "None").hint(
                "Keep a bounded sample of the keys recorded (the last max_tracked_keys accesses, or a reservoir sample), with their shard, and answer from it.",
            ));
        };
        let recorded = self.stream.iter().zip(&self.keys).any(|(&s, k)| s == shard && *k == at);
        ensure(recorded, || {
            fail(situation.clone(), format!("a key recorded for shard {shard}"), format!("{} (never recorded for it)", show_key(&at)))
                .hint("Answer one of the keys recorded for that shard, from your sample: splitting at a key the shard never saw may cut nothing.")
        })?;
        let mut per_key: HashMap<&[u8], usize> = HashMap::new();
        let (mut total, mut below) = (0usize, 0usize);
        for (&s, k) in self.stream[n - w..].iter().zip(&self.keys[n - w..]) {
            if s == shard {
                *per_key.entry(k).or_default() += 1;
                total += 1;
                below += usize::from(k.as_slice() < at.as_slice());
            }
        }
        let top = per_key.values().copied().max().unwrap_or(0);
        if total == 0 || top * 10 > total {
            return Ok(());
        }
        ensure(4 * below >= total && 4 * below <= 3 * total, || {
            fail(
                situation,
                format!("a key with 25% to 75% of the shard's last {w} accesses ({total}) below it"),
                format!("{}: {below} of {total} below it ({:.0}%)", show_key(&at), 100.0 * below as f64 / total as f64),
            )
            .hint("The split point is the median of the shard's recent accesses, weighted by how often each key was asked: sort the sampled keys of that shard (one entry per access, not per distinct key) and take the middle one.")
        })
    }
}

fn config(factor: u32, window: u64, min_accesses: u64, max_tracked_keys: usize) -> HotConfig {
    HotConfig { factor, window, min_accesses, max_tracked_keys }
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let mut rng = ctx.rng(40);
    let salt = rng.random::<u64>();

    // Quiet start: everything on shard 0, but not before min_accesses.
    let mut w = Watch::new(s, 8, config(2, 1_000, 5_000, 256), "every access on shard 0");
    for i in 0..12_000 {
        w.record(0, key_of(i % 500, salt))?;
    }
    let hot = w.det.hot();
    ensure(hot == [0], || {
        fail(format!("{}: hot() after 12,000 accesses.", w.what), "[0]", format!("{hot:?}"))
            .hint("Once min_accesses were recorded, a shard that takes every access is hot.")
    })?;

    // Zipf α 1.0 over 10,000 keys, key rank r on shard r mod 64: shard 0
    // takes about a tenth of the traffic.
    let zipf = Zipf::new(10_000, 1.0);
    let mut w = Watch::new(
        s,
        64,
        config(2, 10_000, 20_000, 1024),
        "Zipf α 1.0 over 10,000 keys, key of rank r on shard r mod 64",
    );
    for _ in 0..60_000 {
        let r = zipf.sample(&mut rng);
        w.record((r % 64) as u32, key_of(r, salt))?;
    }
    ensure(w.det.hot().contains(&0), || {
        fail(format!("{}: hot() after 60,000 accesses.", w.what), "shard 0 among them", format!("{:?}", w.det.hot()))
    })?;

    // 4,096 shards, one singled out (5% of the traffic, t = 16/4,096).
    let mut w =
        Watch::new(s, 4096, config(16, 20_000, 0, 4096), "shard 4,000 takes 5% of the accesses, the rest uniform");
    for i in 0..60_000u64 {
        let shard = if rng.random_range(0..20) == 0 { 4000 } else { rng.random_range(0..4096) };
        w.record(shard, key_of(i, salt))?;
    }

    // Uniform load: never hot.
    for (shards, window) in [(1u32, 1_000u64), (16, 2_000), (256, 25_600)] {
        let mut w = Watch::new(s, shards, config(2, window, 0, 256), "uniform accesses over every shard");
        for _ in 0..(4 * window).max(60_000) {
            let r = rng.random_range(0..100_000);
            w.record(rng.random_range(0..shards), key_of(r, salt))?;
        }
    }

    // A burst, then 8 quiet windows: it cools down.
    let mut w = Watch::new(
        s,
        16,
        config(2, 1_000, 0, 256),
        "shard 3 takes half the accesses for 5,000, then 2% of them (the other shards share the rest)",
    );
    for i in 0..15_000u64 {
        let shard = match (i < 5_000, rng.random_range(0..50)) {
            (true, _) if i % 2 == 0 => 3,
            (true, _) => rng.random_range(0..16),
            (false, 0) => 3,
            (false, _) => (3 + rng.random_range(1..16)) % 16,
        };
        w.record(shard, key_of(i % 3_000, salt))?;
    }
    let hot = w.det.hot();
    ensure(!hot.contains(&3), || {
        fail(format!("{}: hot() after 15,000 accesses.", w.what), "shard 3 not among them (it cooled down 10 windows ago)", format!("{hot:?}"))
            .hint("Recent means recent: counts since new() never forget a burst. Keep two windows (current and previous) or decay the counts (halve them every window) so that a shard that cooled down leaves hot().")
    })?;

    // Split points: shard 5 of 8 takes 60%, its keys Zipf α 0.8 (no key
    // above 10% of the shard); shard 6 takes 40%, one key 90% of it.
    let zipf = Zipf::new(10_000, 0.8);
    let mut w = Watch::new(
        s,
        8,
        config(2, 5_000, 0, 256),
        "shard 5 takes 60% of the accesses (Zipf α 0.8 keys), shard 6 the rest (one key 90% of them)",
    );
    for _ in 0..20_000 {
        if rng.random_range(0..10) < 6 {
            w.record(5, key_of(zipf.sample(&mut rng), salt))?;
        } else {
            let key = if rng.random_range(0..10) == 0 {
                key_of(rng.random_range(0..1_000), salt ^ 1)
            } else {
                b"celebrity".to_vec()
            };
            w.record(6, key)?;
        }
    }
    w.check_split(5)?;
    w.check_split(6)?;
    let never = w.det.split_point(2);
    ensure(never.is_none(), || {
        fail(
            format!("{}: split_point(2), a shard never accessed.", w.what),
            "None",
            show_key(&never.unwrap_or_default()),
        )
        .hint("No access of that shard was ever recorded: there is nothing to split.")
    })?;

    // Memory: a million distinct keys, bounded after every call.
    for (shards, bound) in [(4u32, 256usize), (4096, 4096)] {
        let mut det = (s.hot)(shards, config(4, 10_000, 0, bound));
        for i in 0..1_000_000u64 {
            let mut key = key_of(i, salt);
            key.extend_from_slice(&i.to_be_bytes());
            det.record(rng.random_range(0..shards), &key);
            if i % 97 == 0 || i < 5_000 {
                let held = det.tracked_keys();
                ensure(held <= bound, || {
                    fail(
                        format!("HotShards::new({shards}, max_tracked_keys {bound}), then {} accesses, each to a new key: tracked_keys().", thousands(i as usize + 1)),
                        format!("at most {bound}"),
                        held,
                    )
                    .hint("A map from every key ever seen to its count grows without bound: keep a fixed-size sample (the last max_tracked_keys accesses, or a reservoir) or a sketch, and per-shard counters.")
                })?;
            }
        }
    }
    Ok(vec![])
}
