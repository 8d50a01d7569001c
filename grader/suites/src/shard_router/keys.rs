//! Seeded key streams: random byte keys of every length (the empty key and
//! runs of 0xFF among them), keys drawn from a Zipf distribution (the skew
//! of real traffic), and how a failure message writes a key.
//!
//! Popularity ranks are mapped to keys by a seeded bijection, so a key's
//! bytes say nothing about its popularity.

use rand::{Rng, RngExt};

/// A seeded bijection of `u64` (splitmix64's finalizer): rank → number.
pub(super) fn mix(rank: u64, salt: u64) -> u64 {
    let mut z = rank ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The key of popularity rank `rank`: `user:` and 16 hex digits, distinct
/// for distinct ranks.
pub(super) fn key_of(rank: u64, salt: u64) -> Vec<u8> {
    format!("user:{:016x}", mix(rank, salt)).into_bytes()
}

/// A random key: mostly short printable ones, now and then the empty key,
/// raw bytes, a run of 0xFF or 0x00, or a long key.
pub(super) fn random_key(rng: &mut impl Rng) -> Vec<u8> {
    match rng.random_range(0..100) {
        0 => Vec::new(),
        1 => vec![0xFF; rng.random_range(1..=8)],
        2 => vec![0x00; rng.random_range(1..=8)],
        3 => (0..rng.random_range(100..300)).map(|_| rng.random()).collect(),
        4..=30 => (0..rng.random_range(1..=12)).map(|_| rng.random()).collect(),
        _ => format!("key:{}", rng.random::<u64>()).into_bytes(),
    }
}

/// `n` random keys (see [`random_key`]), duplicates possible.
pub(super) fn random_keys(rng: &mut impl Rng, n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|_| random_key(rng)).collect()
}

/// `n` distinct keys: the empty key, then `key_of(i, salt)`.
pub(super) fn distinct_keys(rng: &mut impl Rng, n: usize) -> Vec<Vec<u8>> {
    let salt = rng.random::<u64>();
    let mut all = vec![Vec::new()];
    all.extend((1..n as u64).map(|i| key_of(i, salt)));
    all.truncate(n);
    all
}

/// A Zipf distribution over `n` ranks: rank `r` (1-based) is drawn with
/// probability proportional to `1 / r^alpha`.
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

/// `len` keys drawn from a Zipf distribution of exponent `alpha` over
/// `universe` keys.
pub(super) fn zipf_keys(rng: &mut impl Rng, universe: usize, alpha: f64, len: usize) -> Vec<Vec<u8>> {
    let zipf = Zipf::new(universe, alpha);
    let salt = rng.random::<u64>();
    (0..len).map(|_| key_of(zipf.sample(rng), salt)).collect()
}

/// A key as a failure message writes it: `b"user:00ab…"` when printable,
/// else hex (`[ff ff 00]`), cut after 40 bytes; `b""` for the empty key.
pub(super) fn show_key(key: &[u8]) -> String {
    const SHOWN: usize = 40;
    let cut = key.len() > SHOWN;
    let head = &key[..key.len().min(SHOWN)];
    let more = if cut { format!(" … ({} bytes)", key.len()) } else { String::new() };
    if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("b\"{}\"{more}", String::from_utf8_lossy(head))
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        format!("[{}]{more}", hex.join(" "))
    }
}

/// `1234567` → `"1,234,567"`.
pub(super) fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
