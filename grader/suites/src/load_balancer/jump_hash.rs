//! Stage `jump-hash`: jump consistent hash, exactly the paper's algorithm.

use rand::RngExt;

use super::Subject;
use super::show::{histogram, num};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// The algorithm as published (Lamping and Veach, 2014).
fn jump_model(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// Known answers: the first nine were published with other implementations
/// of the paper; the rest were computed from the paper's code.
const JUMP_VECTORS: &[(u64, u32, u32)] = &[
    (1, 1, 0),
    (42, 57, 43),
    (256, 1024, 520),
    (0xDEAD_10CC, 1, 0),
    (0xDEAD_10CC, 666, 361),
    (16_045_690_984_833_335_023, 255, 237),
    (0, 60, 0),
    (1, 60, 55),
    (2, 60, 46),
    (u64::MAX, 2, 1),
    (u64::MAX, 10, 9),
    (u64::MAX, 100, 92),
    (u64::MAX, 1000, 313),
    (u64::MAX, 65_536, 18_311),
    (u64::MAX, 2_147_483_647, 699_554_662),
    (0x8000_0000_0000_0000, 10, 5),
    (0x8000_0000_0000_0000, 65_536, 53_854),
    (0x0123_4567_89AB_CDEF, 100, 57),
    (0x0123_4567_89AB_CDEF, 2_147_483_647, 1_651_575_352),
    (0xC0FFEE, 1000, 514),
    (12_345_678_901_234_567_890, 10, 8),
    (12_345_678_901_234_567_890, 65_536, 46_485),
];

/// Key 1 over 1 to 19 buckets.
const JUMP_KEY_ONE: [u32; 19] = [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17];

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let exact_hint = "Translate the paper's loop exactly: b and j in i64; key = key.wrapping_mul(2862933555777941757).wrapping_add(1); j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64; return b. The division must be in f64: an integer division truncates and changes the answers.";
    let jump = s.jump_hash;
    let got: Vec<u32> = (1..=19).map(|n| jump(1, n)).collect();
    ensure(got == JUMP_KEY_ONE, || {
        fail("jump_hash(1, n) for n = 1 to 19 buckets.", format!("{JUMP_KEY_ONE:?}"), format!("{got:?}"))
            .hint(exact_hint)
    })?;
    for &(key, buckets, want) in JUMP_VECTORS {
        let got = jump(key, buckets);
        ensure(got == want, || {
            fail(format!("jump_hash({key:#x}, {buckets}): a published answer of the paper's algorithm."), want, got)
                .hint(if got >= buckets {
                    format!("The answer must be below the bucket count ({buckets}). {exact_hint}")
                } else {
                    exact_hint.to_string()
                })
        })?;
    }

    // Growing n → n+1 moves exactly the keys that must move, all to bucket n.
    let mut rng = ctx.rng(60);
    for _ in 0..3_000 {
        let key = rng.random::<u64>();
        let n = rng.random_range(1..=300u32);
        let (before, after) = (jump(key, n), jump(key, n + 1));
        let (want_before, want_after) = (jump_model(key, n), jump_model(key, n + 1));
        if (before, after) != (want_before, want_after) {
            let moved_elsewhere = after != before && after != n;
            return Err(fail(
                format!("Key {key:#018x} as the buckets grow from {n} to {}.", n + 1),
                format!(
                    "bucket {want_before}, then {want_after}{}",
                    if want_after == n { " (it jumps to the new bucket)" } else { " (it stays)" }
                ),
                format!(
                    "bucket {before}, then {after}{}",
                    if moved_elsewhere { ": it moved between old buckets" } else { "" }
                ),
            )
            .hint(exact_hint));
        }
    }

    // The edges: one bucket, and bucket counts up to the largest allowed
    // (u32::MAX), past i32::MAX where a narrowing cast goes negative.
    for buckets in [1, 2, 1 << 31, (1 << 31) + 1, u32::MAX - 1, u32::MAX] {
        for _ in 0..200 {
            let key = rng.random::<u64>();
            let (got, want) = (jump(key, buckets), jump_model(key, buckets));
            ensure(got == want, || {
                fail(
                    format!("jump_hash({key:#018x}, {buckets}): {}.", if buckets == 1 { "one bucket, the fewest allowed".to_string() } else { format!("{} buckets, near the most allowed ({})", num(u64::from(buckets)), num(u64::from(u32::MAX))) }),
                    want,
                    got,
                )
                .hint(format!("Any bucket count from 1 to u32::MAX is allowed: compare and count in i64 (`i64::from(buckets)`), never through an i32, which turns 2^31 and above negative. {exact_hint}"))
            })?;
        }
    }

    // Balance: 100,000 keys over 10 buckets.
    const BUCKETS: u32 = 10;
    const KEYS: u64 = 100_000;
    let mut counts = [0u64; BUCKETS as usize];
    for _ in 0..KEYS {
        counts[jump(rng.random::<u64>(), BUCKETS) as usize % counts.len()] += 1;
    }
    let share = KEYS / u64::from(BUCKETS);
    ensure(counts.iter().all(|&c| c.abs_diff(share) * 20 <= share), || {
        let rows: Vec<(String, u64)> = counts.iter().enumerate().map(|(i, &c)| (format!("bucket {i}"), c)).collect();
        fail(
            format!("{} random keys over {BUCKETS} buckets.", num(KEYS)),
            format!("{} ± 5% keys per bucket", num(share)),
            format!("keys per bucket:{}", histogram(&rows)),
        )
        .hint(exact_hint)
    })?;
    Ok(vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jump_model_matches_every_known_answer() {
        for &(key, buckets, want) in JUMP_VECTORS {
            assert_eq!(jump_model(key, buckets), want, "jump({key}, {buckets})");
        }
        let one: Vec<u32> = (1..=19).map(|n| jump_model(1, n)).collect();
        assert_eq!(one, JUMP_KEY_ONE);
    }
}
