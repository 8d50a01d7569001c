//! Stage `smooth-weighted`: nginx's smooth weighted round-robin, exact per
//! cycle and never a burst, up to the largest weights the contract allows.

use std::collections::BTreeMap;

use contracts::load_balancer::{Backend, BackendId, Picker};
use grader_protocol::Failure;
use rand::RngExt;

use super::picks::{check_sequence, take, take_run, threaded_counts};
use super::show::{count_rows, histogram, num, show_run, show_weights, weighted};
use super::smooth::smooth_model;
use super::{Strategy, Subject};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// Checks one schedule of `cycles × W` picks from a fresh start (or a
/// change): exact counts per cycle, and never a whole pick ahead.
fn check_schedule(p: &dyn Picker, backends: &[Backend], cycles: usize, setup: &str) -> Result<(), Failure> {
    let total: u64 = backends.iter().map(|b| u64::from(b.weight)).sum();
    let index: BTreeMap<BackendId, usize> = backends.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
    let mut picks: Vec<BackendId> = Vec::new();
    let mut count = vec![0u64; backends.len()];
    let context = || format!("A smooth weighted round-robin picker, weights {}{setup}.", show_weights(backends));
    for cycle in 0..cycles {
        let mut in_cycle = vec![0u64; backends.len()];
        for _ in 0..total {
            let id = take(p, &context)?;
            picks.push(id);
            let t = picks.len() as u64;
            let Some(&i) = index.get(&id) else {
                return Err(fail(context(), "only backends of the list", format!("pick {t} was {id}")));
            };
            count[i] += 1;
            in_cycle[i] += 1;
            let w = u64::from(backends[i].weight);
            // The lead bound, in integers: count < t·w/W + 1.
            if count[i] * total >= t * w + total {
                return Err(fail(
                    format!("{}\n  first {t} picks: {}", context(), show_run(&picks, 40)),
                    format!(
                        "{id} (weight {w} of {total}) never a whole pick ahead of its share: after {t} picks, fewer than {t}×{w}/{total} + 1 = {:.2} picks",
                        (t * w) as f64 / total as f64 + 1.0
                    ),
                    format!("{} picks of {id} after {t}: a burst", count[i]),
                )
                .hint("This is the naive weighted round-robin (each backend `weight` times in a row). Use nginx's smooth version: add each weight to its backend's score, pick the highest score, subtract the total weight from the winner."));
            }
        }
        if in_cycle.iter().zip(backends).any(|(&c, b)| c != u64::from(b.weight)) {
            let rows: Vec<(String, u64)> =
                backends.iter().zip(&in_cycle).map(|(b, &c)| (format!("{} (w={})", b.id, b.weight), c)).collect();
            return Err(fail(
                format!("{}\n  picks: {}", context(), show_run(&picks, 40)),
                format!("in cycle {} (picks {} to {}), each backend exactly its weight", cycle + 1, cycle as u64 * total + 1, (cycle as u64 + 1) * total),
                format!("counts:{}", histogram(&rows)),
            )
            .hint("Each pick adds every weight once and subtracts the total once, so the scores sum to 0 and return to all-zero after W picks. Check that you add every up backend's weight on every pick, subtract the *total* (not the winner's weight), and start from 0."));
        }
    }
    Ok(())
}

const WIDE_HINT: &str = "Weights go up to 2^32 − 1 and a list's total up to 2^48: keep weights, scores and the total in a type that holds ±2^48 (i64 does; a u32 or i32 total or score wraps around, and the release build wraps silently).";

/// The edges of the weighted schedule: one backend, the largest weights and
/// ids the contract allows, the longest list at the largest weight.
fn smooth_edges(s: Subject) -> Result<(), Failure> {
    let lists: [(&str, Vec<Backend>, usize); 4] = [
        ("one backend", weighted(&[(u32::MAX, 7)]), 30),
        ("the largest weights", weighted(&[(0, u32::MAX), (1, u32::MAX), (2, 1)]), 3_000),
        (
            "the largest weights and ids",
            weighted(&[(u32::MAX, u32::MAX), (5, u32::MAX - 1), (9, 1 << 31), (3, 12_345), (4, 1)]),
            3_000,
        ),
        (
            "the longest list at the largest weight (65,536 backends of weight 2^32 − 1, total 2^48 − 2^16)",
            (0..65_536u32).map(|i| Backend::weighted(i, u32::MAX)).collect(),
            300,
        ),
    ];
    for (what, backends, count) in lists {
        let p = s.picker(Strategy::SmoothWeighted)(&backends, 0);
        let want = smooth_model(&backends, count);
        let shown = if backends.len() > 8 {
            format!("{} backends b0..b65535, each of weight {}", num(backends.len() as u64), u32::MAX)
        } else {
            show_weights(&backends)
        };
        let situation =
            || format!("A smooth weighted round-robin picker at the edge of the contract, {what}: weights {shown}.");
        check_sequence(
            p.as_ref(),
            &want,
            &situation,
            if backends.len() == 1 { "With one backend every pick is that backend." } else { WIDE_HINT },
        )?;
    }
    Ok(())
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    // The lesson's example, exactly.
    let abc = weighted(&[(0, 5), (1, 1), (2, 1)]);
    let p = s.picker(Strategy::SmoothWeighted)(&abc, 0);
    let picks =
        take_run(p.as_ref(), 14, &|| "A smooth weighted round-robin picker, weights {a: 5, b: 1, c: 1}.".into())?;
    let letters = |ids: &[BackendId]| {
        ids.iter().map(|id| ["a", "b", "c"].get(id.0 as usize).copied().unwrap_or("?")).collect::<Vec<_>>().join(" ")
    };
    let want = "a a b a c a a a a b a c a a";
    ensure(letters(&picks) == want, || {
        let got = letters(&picks);
        let naive = got.starts_with("a a a a a");
        fail("A smooth weighted round-robin picker over a (weight 5), b (1), c (1), in that order; 14 picks.", want, got).hint(if naive {
            "That is the naive weighted round-robin: a's 5 picks in a burst. nginx's version: add each weight to its backend's score, pick the highest (earliest on a tie), subtract the total weight (7) from the winner. The lesson's table shows the scores pick by pick."
        } else {
            "Follow the lesson's table: scores start at 0; each pick adds each weight, picks the highest score (the earliest backend on a tie: compare with >, not >=), then subtracts the total weight from the winner only."
        })
    })?;

    // Any weights: exact per cycle, never a burst.
    let mut rng = ctx.rng(2);
    for round in 0..40 {
        let n = rng.random_range(1..=6);
        let big = round % 2 == 1;
        let backends: Vec<Backend> = (0..n)
            .map(|i| {
                Backend::weighted(
                    i as u32 * 3 + 1,
                    if big { rng.random_range(1..=60) } else { rng.random_range(1..=6) },
                )
            })
            .collect();
        let p = s.picker(Strategy::SmoothWeighted)(&backends, 0);
        check_schedule(p.as_ref(), &backends, 3, "")?;
        // A change restarts the schedule, even mid-cycle.
        let extra: usize = rng.random_range(1..8);
        take_run(p.as_ref(), extra, &|| "A smooth weighted round-robin picker.".into())?;
        let mut changed = backends.clone();
        changed.push(Backend::weighted(99, rng.random_range(1..=9)));
        for b in &mut changed {
            if rng.random_range(0..3) == 0 {
                b.weight = rng.random_range(1..=9);
            }
        }
        p.set_backends(&changed);
        check_schedule(
            p.as_ref(),
            &changed,
            2,
            &format!(", replaced by set_backends after {extra} picks of weights {}; the schedule restarts from scores of 0", show_weights(&backends)),
        )
        .map_err(|f| {
            if f.expected.starts_with("in cycle") {
                f.hint("set_backends restarts the schedule: rebuild the list with every score at 0 (weights may have changed too).")
            } else {
                f
            }
        })?;
    }

    // Threads share one schedule.
    let backends = weighted(&[(0, 5), (1, 1), (2, 1), (3, 3)]);
    let total = 10;
    let (threads, cycles) = (4, 2_000);
    let p = s.picker(Strategy::SmoothWeighted)(&backends, 0);
    let (counts, _) = threaded_counts(p.as_ref(), threads, cycles * total)?;
    let exact =
        backends.iter().all(|b| counts.get(&b.id).copied() == Some((threads * cycles) as u64 * u64::from(b.weight)))
            && counts.len() == backends.len();
    ensure(exact, || {
        fail(
            format!(
                "A smooth weighted round-robin picker, weights {}; {threads} threads picked at once, {} picks each ({} full cycles).",
                show_weights(&backends),
                num((cycles * total) as u64),
                num(cycles as u64)
            ),
            format!("exactly {} × weight picks per backend: b0 {}, b1 {}, b2 {}, b3 {}", num((threads * cycles) as u64), num(5 * (threads * cycles) as u64), num((threads * cycles) as u64), num((threads * cycles) as u64), num(3 * (threads * cycles) as u64)),
            format!("counts:{}", histogram(&count_rows(&counts))),
        )
        .hint("A pick reads and writes every score: do it all under one Mutex, so that picks from different threads form one schedule.")
    })?;
    smooth_edges(s)?;
    Ok(vec![])
}
