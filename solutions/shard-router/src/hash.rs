//! Hash routing: a fixed key hash, then jump consistent hash.
//!
//! # The key hash
//!
//! A key's shard must be the same in every process, on every machine and in
//! every build, so the hash is written here rather than borrowed:
//!
//! - `std`'s `RandomState` draws random keys per process (on purpose: it
//!   defends hash maps against flooding), so two processes disagree;
//! - `DefaultHasher` is SipHash-1-3 *today*, but its documentation reserves
//!   the right to change the algorithm between releases, and `SipHasher`
//!   with fixed keys is deprecated.
//!
//! [`key_hash`] is **FNV-1a 64** over the bytes (one xor and one multiply
//! per byte: short, well known, stable by definition), followed by
//! MurmurHash3's 64-bit **finalizer** (`fmix64`). FNV-1a alone is weak
//! exactly where keys are most alike: a change in the last byte is carried
//! *upward* by the final multiply but never downward, so `user:1` and
//! `user:2` differ mostly in a few bit positions. The finalizer's
//! xor-shift-multiply rounds make every input bit flip each output bit with
//! probability about one half (avalanche), so sequential keys spread like
//! random ones. It costs three multiplies per key.
//!
//! # Jump consistent hash
//!
//! [`jump`] (Lamping and Veach, 2014) maps a 64-bit hash to a bucket in
//! `0..n` with no table at all. Think of a key growing the cluster one
//! shard at a time: when shard `b` is added, the key jumps to it with
//! probability `1/(b+1)`, which is exactly the fair share of the newcomer.
//! The function draws, from a pseudo-random sequence seeded by the key,
//! only the shard counts at which the key jumps (each draw skips ahead), so
//! it takes O(log n) steps.
//!
//! Two consequences make resharding cheap and easy to plan:
//!
//! - going from `n` to `n + 1` shards, a key either stays or moves to shard
//!   `n`, and about `1/(n+1)` of the keys move (modulo routing moves about
//!   `n/(n+1)` of them);
//! - the plan is the function itself: evaluate it at `n` and at `n + 1`,
//!   and list the keys whose answers differ ([`Jump::plan_add`]).
//!
//! The price: shards are numbered `0..n` and only the last can leave.
//! Removing a shard in the middle needs a ring or a directory instead.

use contracts::shard_router::{HashRouter, Move, ShardId};

/// FNV-1a's offset basis (64-bit).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a's prime (64-bit): 2^40 + 2^8 + 0xb3.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The key's 64-bit hash: FNV-1a, then MurmurHash3's `fmix64`. A function of
/// the bytes alone, the same everywhere and forever (see the module docs).
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    for &byte in key {
        h ^= u64::from(byte);
        h = h.wrapping_mul(FNV_PRIME);
    }
    fmix64(h)
}

/// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
#[inline]
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// Jump consistent hash (Lamping and Veach, 2014), as published: the bucket
/// in `0..buckets` of a 64-bit `key` (`buckets ≥ 1`; 0 answers 0).
///
/// The floating-point step is deterministic: IEEE 754 rounds `*` and `/`
/// exactly the same way on every platform Rust supports.
#[inline]
pub fn jump(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        // One step of a 64-bit linear congruential generator seeded by the key.
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // The next shard count at which this key jumps again.
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// A hash router over shards `0..n`: jump consistent hash of [`key_hash`].
#[derive(Debug, Clone)]
pub struct Jump {
    shards: u32,
}

impl HashRouter for Jump {
    fn new(shards: u32) -> Self {
        Jump { shards: shards.max(1) }
    }

    #[inline]
    fn shard_for(&self, key: &[u8]) -> ShardId {
        jump(key_hash(key), self.shards)
    }

    fn shards(&self) -> u32 {
        self.shards
    }

    fn add_shard(&mut self) -> ShardId {
        let id = self.shards;
        self.shards += 1;
        id
    }

    fn plan_add(&self, keys: &[&[u8]]) -> Vec<Move> {
        let (now, next) = (self.shards, self.shards + 1);
        keys.iter()
            .filter_map(|&key| {
                let h = key_hash(key);
                let (from, to) = (jump(h, now), jump(h, next));
                (from != to).then(|| Move { key: key.to_vec(), from, to })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_key_hash_is_pinned() {
        // FNV-1a of "" is the offset basis; these pin the whole function, so
        // a change of either step (or of a constant) fails here first.
        assert_eq!(fmix64(FNV_OFFSET), key_hash(b""));
        assert_ne!(key_hash(b"user:1"), key_hash(b"user:2"));
        assert_eq!(key_hash(b"a"), fmix64(0xaf63_dc4c_8601_ec8c));
    }

    #[test]
    fn jump_matches_published_vectors() {
        // Expected values published with other implementations of the paper.
        let vectors: [(u64, u32, u32); 9] = [
            (1, 1, 0),
            (42, 57, 43),
            (256, 1024, 520),
            (0xDEAD_10CC, 1, 0),
            (0xDEAD_10CC, 666, 361),
            (16_045_690_984_833_335_023, 255, 237),
            (0, 60, 0),
            (1, 60, 55),
            (2, 60, 46),
        ];
        for (key, buckets, want) in vectors {
            assert_eq!(jump(key, buckets), want, "jump({key}, {buckets})");
        }
    }

    #[test]
    fn sequential_keys_spread() {
        let n = 16u32;
        let r = Jump::new(n);
        let mut counts = vec![0u32; n as usize];
        for i in 0..16_000 {
            counts[r.shard_for(format!("user:{i}").as_bytes()) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (700..=1300).contains(&c)), "{counts:?}");
    }

    #[test]
    fn one_shard_takes_everything() {
        let r = Jump::new(1);
        assert_eq!(r.shard_for(b""), 0);
        assert_eq!(r.shard_for(&[0xFF; 1024]), 0);
    }

    proptest! {
        #[test]
        fn growing_moves_keys_only_to_the_new_shard(key in proptest::collection::vec(any::<u8>(), 0..64), n in 1u32..4096) {
            let h = key_hash(&key);
            let (before, after) = (jump(h, n), jump(h, n + 1));
            prop_assert!(before < n);
            prop_assert!(after == before || after == n);
        }

        #[test]
        fn the_plan_is_what_adding_does(keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..16), 0..50), n in 1u32..100) {
            let mut r = Jump::new(n);
            let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            let before: Vec<u32> = refs.iter().map(|k| r.shard_for(k)).collect();
            let plan = r.plan_add(&refs);
            prop_assert_eq!(r.add_shard(), n);
            let moved: Vec<Move> = refs.iter().zip(&before)
                .filter(|&(k, &b)| r.shard_for(k) != b)
                .map(|(k, &b)| Move { key: k.to_vec(), from: b, to: n })
                .collect();
            prop_assert_eq!(plan, moved);
        }
    }
}
