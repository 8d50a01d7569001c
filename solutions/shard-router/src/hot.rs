//! Hot shards: decayed per-shard counts, and a sampled ring of recent keys.
//!
//! Two questions, two structures, because their sizes differ by orders of
//! magnitude:
//!
//! **Which shards are hot?** There are at most 4,096 shards, so each gets
//! an exact counter. "Recent" is made by **exponential decay**: an access
//! `a` accesses old weighs `2^(-a / window)`, so an access one window old
//! counts half, two windows old a quarter, and the past fades without ever
//! being stored. Decaying every counter on every access would cost O(shards)
//! per access; instead the *new* access weighs more (forward decay): the
//! `i`-th access adds `g^i` with `g = 2^(1/window)`, and since every share
//! is a ratio of counts, multiplying every weight by the same number changes
//! nothing. When the weight grows large, everything is divided by it once
//! (O(shards), every few hundred windows). A shard is hot when
//! `count[s] / total > factor / shards`.
//!
//! **Where to split a hot shard?** At the median of its recent keys. Keys
//! are unbounded, so they are **sampled**: each access is kept with
//! probability `ring / window` in a ring of at most `max_tracked_keys`
//! slots, which therefore holds about one window of history and never more
//! keys than allowed. The median of a shard's sampled keys divides its
//! accesses roughly in half: with 64 samples, the share below it is within
//! ±12.5% of one half about 95% of the time. The sampling coin comes from a
//! small generator with a fixed seed: the detector is deterministic, and a
//! stream that visits shards in a cycle cannot line up with it (a fixed
//! stride could sample one shard forever).
//!
//! What a sample cannot do is split a hot *key*: if one key takes most of a
//! shard's traffic, the median is that key and no range split helps. That
//! is the lesson's case for salting the key (or caching it).

use contracts::shard_router::{HotConfig, HotShards, ShardId};

/// Rescale the counts when the next weight passes this (2^128): far below
/// `f64`'s range, far above any count's resolution needs.
const RESCALE_AT: f64 = 3.402_823_669_209_385e38;

/// Hot-shard detector: decayed counts per shard, a sampled ring of keys.
#[derive(Debug, Clone)]
pub struct Hotspots {
    config: HotConfig,
    /// Decayed access count per shard, in units of the current `weight`'s scale.
    counts: Vec<f64>,
    /// Sum of `counts`.
    total: f64,
    /// What the next access adds: grows by `growth` per access.
    weight: f64,
    /// `2^(1 / window)`: a half-life of one window.
    growth: f64,
    /// Accesses recorded since `new` (for `min_accesses`).
    recorded: u64,
    /// Sampled recent accesses: at most `ring_capacity` of them.
    ring: Vec<(ShardId, Vec<u8>)>,
    /// Where the next sample goes once the ring is full.
    ring_next: usize,
    ring_capacity: usize,
    /// The sampling coin (xorshift64*, fixed seed).
    rng: u64,
}

impl Hotspots {
    /// A step of xorshift64*: a tiny, fast, fixed generator.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn sample(&mut self, shard: ShardId, key: &[u8]) {
        if self.ring.len() < self.ring_capacity {
            self.ring.push((shard, key.to_vec()));
            return;
        }
        // Reuse the slot's allocation: after warm-up, sampling allocates
        // only when a key is longer than the one it replaces.
        let slot = &mut self.ring[self.ring_next];
        slot.0 = shard;
        slot.1.clear();
        slot.1.extend_from_slice(key);
        self.ring_next = (self.ring_next + 1) % self.ring_capacity;
    }
}

impl HotShards for Hotspots {
    fn new(shards: u32, config: HotConfig) -> Self {
        let window = config.window.max(1);
        let ring_capacity = config.max_tracked_keys.min(usize::try_from(window).unwrap_or(usize::MAX)).max(1);
        Hotspots {
            config,
            counts: vec![0.0; shards.max(1) as usize],
            total: 0.0,
            weight: 1.0,
            growth: 2f64.powf(1.0 / window as f64),
            recorded: 0,
            ring: Vec::new(),
            ring_next: 0,
            ring_capacity,
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }

    fn record(&mut self, shard: ShardId, key: &[u8]) {
        self.recorded += 1;
        self.counts[shard as usize] += self.weight;
        self.total += self.weight;
        self.weight *= self.growth;
        if self.weight > RESCALE_AT {
            let scale = 1.0 / self.weight;
            self.counts.iter_mut().for_each(|c| *c *= scale);
            self.total *= scale;
            self.weight = 1.0;
        }
        // Keep this access with probability ring_capacity / window.
        if self.next_random() % self.config.window.max(1) < self.ring_capacity as u64 {
            self.sample(shard, key);
        }
    }

    fn hot(&self) -> Vec<ShardId> {
        if self.recorded < self.config.min_accesses || self.total <= 0.0 {
            return Vec::new();
        }
        // share > factor / shards  ⇔  count × shards > factor × total
        let shards = self.counts.len() as f64;
        let bar = f64::from(self.config.factor) * self.total;
        (0..self.counts.len()).filter(|&s| self.counts[s] * shards > bar).map(|s| s as ShardId).collect()
    }

    fn split_point(&self, shard: ShardId) -> Option<Vec<u8>> {
        let mut keys: Vec<&[u8]> = self.ring.iter().filter(|(s, _)| *s == shard).map(|(_, k)| k.as_slice()).collect();
        if keys.is_empty() {
            return None;
        }
        let mid = keys.len() / 2;
        let (_, median, _) = keys.select_nth_unstable(mid);
        Some(median.to_vec())
    }

    fn tracked_keys(&self) -> usize {
        self.ring.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> HotConfig {
        HotConfig { factor: 2, window: 10_000, min_accesses: 1_000, max_tracked_keys: 1024 }
    }

    #[test]
    fn a_uniform_stream_has_no_hot_shard() {
        let mut h = Hotspots::new(8, config());
        for i in 0..200_000u32 {
            h.record(i % 8, &i.to_be_bytes());
        }
        assert!(h.hot().is_empty());
        assert!(h.tracked_keys() <= 1024);
    }

    #[test]
    fn a_skewed_shard_is_found_then_forgotten() {
        let mut h = Hotspots::new(8, config());
        for i in 0..20_000u32 {
            let shard = if i % 2 == 0 { 3 } else { i % 8 };
            h.record(shard, &i.to_be_bytes());
        }
        assert_eq!(h.hot(), vec![3]);
        let split = h.split_point(3).expect("a hot shard has a split point");
        assert!(split.as_slice() > &5_000u32.to_be_bytes()[..] && split.as_slice() < &17_000u32.to_be_bytes()[..]);
        for i in 0..80_000u32 {
            h.record(i % 8, &i.to_be_bytes());
        }
        assert!(h.hot().is_empty());
    }

    #[test]
    fn nothing_is_hot_before_min_accesses() {
        let mut h = Hotspots::new(4, config());
        for _ in 0..999 {
            h.record(0, b"k");
        }
        assert!(h.hot().is_empty());
        h.record(0, b"k");
        assert_eq!(h.hot(), vec![0]);
        assert_eq!(h.split_point(1), None);
    }
}
