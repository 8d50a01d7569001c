//! Traces shared by the two benchmarks: the same shapes as the `admission`
//! stage (Zipf over 100,000 keys, a hot set cut by scans), from a fixed seed.

#![allow(dead_code)]

/// splitmix64: a tiny, seeded, reproducible generator.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// splitmix64's finalizer, a bijection: popularity rank → key, so that a
/// key's number says nothing about its popularity.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `len` keys drawn from a Zipf distribution of exponent `alpha` over
/// `universe` ranks.
pub fn zipf(rng: &mut Rng, universe: usize, alpha: f64, len: usize) -> Vec<u64> {
    let mut cumulative = Vec::with_capacity(universe);
    let mut total = 0.0;
    for r in 1..=universe {
        total += (r as f64).powf(-alpha);
        cumulative.push(total);
    }
    let salt = rng.next_u64();
    (0..len)
        .map(|_| {
            let u = rng.unit() * total;
            let rank = cumulative.partition_point(|&c| c <= u).min(universe - 1);
            mix(rank as u64 ^ salt)
        })
        .collect()
}

/// Runs of `run` uniform reads of `hot` keys, each followed by a scan of
/// `scan` keys never seen before, `len` requests in all.
pub fn scan_plus_hot(rng: &mut Rng, hot: u64, run: usize, scan: usize, len: usize) -> Vec<u64> {
    let salt = rng.next_u64();
    let mut keys = Vec::with_capacity(len);
    let mut fresh = hot;
    while keys.len() < len {
        keys.extend((0..run).map(|_| mix((rng.next_u64() % hot) ^ salt)));
        keys.extend((0..scan).map(|i| mix((fresh + i as u64) ^ salt)));
        fresh += scan as u64;
    }
    keys.truncate(len);
    keys
}

/// The value a trace stores under `key`: checked on every hit.
pub fn value_of(key: u64) -> u64 {
    key.rotate_left(17) ^ 0xa5a5
}
