//! Seeded request traces: Zipf-distributed keys (the skew of real caches),
//! the same with a popularity shift halfway (the traffic that an LFU without
//! aging never adapts to), and a hot set interrupted by scans (the traffic
//! that flushes an LRU).
//!
//! A trace is a `Vec<u64>` of keys. Popularity ranks are mapped to keys by a
//! seeded bijection, so a key's number says nothing about its popularity
//! (a policy cannot favour small keys), and keys spread over all of `u64`.

use rand::{Rng, RngExt};

/// A seeded bijection of `u64`: rank → key. Different salts give unrelated
/// key sets; no two ranks share a key.
pub(super) fn key_of(rank: u64, salt: u64) -> u64 {
    // splitmix64's finalizer: invertible (odd multipliers, xor-shifts).
    let mut z = rank ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A Zipf distribution over `n` ranks: rank `r` (1-based) is drawn with
/// probability proportional to `1 / r^alpha`. Sampling is a binary search of
/// the cumulative weights.
pub(super) struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub(super) fn new(n: usize, alpha: f64) -> Zipf {
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(n);
        for r in 1..=n {
            total += (r as f64).powf(-alpha);
            cumulative.push(total);
        }
        for c in &mut cumulative {
            *c /= total;
        }
        Zipf { cumulative }
    }

    /// A rank in `0..n` (0 the most popular).
    pub(super) fn sample(&self, rng: &mut impl Rng) -> u64 {
        let u: f64 = rng.random();
        let i = self.cumulative.partition_point(|&c| c <= u);
        i.min(self.cumulative.len() - 1) as u64
    }
}

/// What a trace is, as a failure message names it.
#[derive(Debug, Clone)]
pub(super) struct Trace {
    /// "Zipf α=0.8 over 100,000 keys, 1,000,000 requests".
    pub(super) name: String,
    /// The keys requested, in order.
    pub(super) keys: Vec<u64>,
}

/// `len` requests drawn from a Zipf distribution of exponent `alpha` over
/// `universe` keys.
pub(super) fn zipf(rng: &mut impl Rng, universe: usize, alpha: f64, len: usize) -> Trace {
    let zipf = Zipf::new(universe, alpha);
    let salt = rng.random::<u64>();
    let keys = (0..len).map(|_| key_of(zipf.sample(rng), salt)).collect();
    Trace { name: format!("Zipf α={alpha} over {} keys, {} requests", thousands(universe), thousands(len)), keys }
}

/// `len` requests drawn from a Zipf distribution of exponent `alpha` over
/// `universe` keys, whose popular keys change halfway: for the second half,
/// rank `r` is mapped to the key of rank `(r + universe / 2) % universe` of
/// the first half, so the hot keys of the first half turn cold and keys
/// that were cold become the hot ones (a new day, a new release, the news).
pub(super) fn zipf_shift(rng: &mut impl Rng, universe: usize, alpha: f64, len: usize) -> Trace {
    let zipf = Zipf::new(universe, alpha);
    let salt = rng.random::<u64>();
    let (n, half) = (universe as u64, (universe / 2) as u64);
    let keys = (0..len)
        .map(|i| {
            let rank = zipf.sample(rng);
            let rank = if i < len / 2 { rank } else { (rank + half) % n };
            key_of(rank, salt)
        })
        .collect();
    Trace {
        name: format!(
            "Zipf α={alpha} over {} keys, {} requests, the popular keys changing halfway",
            thousands(universe),
            thousands(len)
        ),
        keys,
    }
}

/// A hot set of `hot` keys read uniformly, `hot_run` requests at a time,
/// each run followed by a scan of `scan` keys never requested before (a
/// batch job, a crawler, a full-table read), until `len` requests.
pub(super) fn scan_plus_hot(rng: &mut impl Rng, hot: usize, hot_run: usize, scan: usize, len: usize) -> Trace {
    let salt = rng.random::<u64>();
    let mut keys = Vec::with_capacity(len);
    let mut fresh = hot as u64;
    while keys.len() < len {
        for _ in 0..hot_run {
            keys.push(key_of(rng.random_range(0..hot as u64), salt));
        }
        for _ in 0..scan {
            keys.push(key_of(fresh, salt));
            fresh += 1;
        }
    }
    keys.truncate(len);
    Trace {
        name: format!(
            "a hot set of {} keys ({} uniform reads at a time), each run followed by a scan of {} new keys, {} requests",
            thousands(hot),
            thousands(hot_run),
            thousands(scan),
            thousands(len)
        ),
        keys,
    }
}

/// `1234567` → `"1,234,567"`.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn key_of_is_a_bijection_on_a_sample() {
        let keys: std::collections::HashSet<u64> = (0..100_000).map(|r| key_of(r, 7)).collect();
        assert_eq!(keys.len(), 100_000);
    }

    #[test]
    fn zipf_favours_low_ranks() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let z = Zipf::new(1000, 1.0);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        // P(rank 1) = 1 / H(1000) ≈ 0.1336; P(rank 2) half of it.
        assert!((12_500..14_300).contains(&counts[0]), "{}", counts[0]);
        assert!((6_000..7_400).contains(&counts[1]), "{}", counts[1]);
    }

    #[test]
    fn zipf_shift_swaps_hot_and_cold_halfway() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t = zipf_shift(&mut rng, 1000, 1.0, 200_000);
        let top = |keys: &[u64]| {
            let mut counts = std::collections::HashMap::new();
            for &k in keys {
                *counts.entry(k).or_insert(0u32) += 1;
            }
            let (&k, _) = counts.iter().max_by_key(|&(_, c)| *c).expect("a non-empty half");
            (k, counts)
        };
        let (first, first_counts) = top(&t.keys[..100_000]);
        let (second, second_counts) = top(&t.keys[100_000..]);
        assert_ne!(first, second);
        // Each half's hottest key is cold in the other half (rank 501 of 1,000).
        assert!(second_counts.get(&first).copied().unwrap_or(0) < 100);
        assert!(first_counts.get(&second).copied().unwrap_or(0) < 100);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
