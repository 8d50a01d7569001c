//! Stage `power-of-two`: two different seeded candidates, the less loaded
//! kept; near least-connections in a simulation.

use std::collections::BTreeMap;

use contracts::load_balancer::{BackendId, Picker};
use rand::RngExt;

use super::held::{Held, TWO_HINT, counting_edges};
use super::picks::take_run;
use super::queueing::{least_loaded_model, simulate_model, simulate_picker, workload};
use super::show::{count_rows, histogram, ids_of, list, num, show_run};
use super::{Strategy, Subject};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// Picks made while one of two backends is held: every one must be the other.
const HELD_PICKS: usize = 500;
/// Sequential picks over idle backends, whose spread shows the draws.
const IDLE_PICKS: usize = 8_000;
/// Picks and releases of the same-seed script.
const SCRIPT_PICKS: usize = 300;

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let name = "power-of-two";
    let seed = ctx.rng(40).random::<u64>();
    let two_hint = TWO_HINT;

    // One backend: with a single up backend there is no second candidate.
    counting_edges(s.picker(Strategy::PowerOfTwo), name, seed, true).map_err(|f| {
        if f.got.starts_with("panicked") {
            f.hint("With one up backend there is no second candidate to draw: pick it. Drawing the second among the n − 1 others divides by zero when n = 1 (`x % 0` panics).")
        } else {
            f
        }
    })?;

    // Two backends: the candidates are both of them, so the idle one wins.
    let pair = list(&[0, 1]);
    let p = s.picker(Strategy::PowerOfTwo)(&pair, seed);
    for round in 0..2 {
        let busy =
            p.pick().map_err(|e| fail("A power-of-two picker over [b0 b1].", "a backend", format!("Err({e:?})")))?;
        let busy_id = busy.id();
        let picks = take_run(p.as_ref(), HELD_PICKS, &|| "A power-of-two picker over [b0 b1].".into())?;
        let wrong = picks.iter().filter(|&&id| id == busy_id).count();
        ensure(wrong == 0, || {
            fail(
                format!("A power-of-two picker over [b0 b1]; a request holds {busy_id} (round {}); {HELD_PICKS} more requests ran one after another.", round + 1),
                format!("every pick the idle backend, never {busy_id}: with two backends the two different candidates are both of them"),
                format!("{wrong} picks of the busy {busy_id}"),
            )
            .hint(two_hint)
        })?;
        drop(busy);
    }

    // Random traffic: never the busiest backend when it is alone at the top
    // (any other candidate beats it), and counts stay exact.
    let five = list(&[0, 1, 2, 3, 4]);
    let p = s.picker(Strategy::PowerOfTwo)(&five, seed ^ 1);
    let mut h = Held::new(p.as_ref(), &ids_of(&five));
    let mut rng = ctx.rng(44);
    h.churn(&mut rng, 4_000, 3, |h| h.pick_p2c(name), name)?;
    drop(h);

    // Sequential idle traffic: ties go to the first candidate drawn, so the
    // picks are uniform random.
    let eight = list(&[0, 1, 2, 3, 4, 5, 6, 7]);
    let p = s.picker(Strategy::PowerOfTwo)(&eight, seed ^ 2);
    let picks =
        take_run(p.as_ref(), IDLE_PICKS, &|| format!("A power-of-two picker over {} idle backends.", eight.len()))?;
    // Each backend's fair share, and the band a uniform draw stays in (±25%).
    let share = (IDLE_PICKS / eight.len()) as u64;
    let band = share - share / 4..=share + share / 4;
    let mut tally: BTreeMap<BackendId, u64> = eight.iter().map(|b| (b.id, 0)).collect();
    for id in &picks {
        *tally.entry(*id).or_default() += 1;
    }
    ensure(tally.values().all(|c| band.contains(c)), || {
        fail(
            "A power-of-two picker over 8 backends; 8,000 requests one after another, each finished before the next (all tied at 0 in flight).",
            format!("about {} picks per backend (each within {}..{}): candidates drawn uniformly, ties to the first drawn", num(share), num(*band.start()), num(*band.end())),
            format!("picks per backend:{}", histogram(&count_rows(&tally))),
        )
        .hint("Draw both candidates uniformly among the up backends (a good 64-bit generator, reduced with `% n` or `(x * n) >> 32` on 32 bits), and on equal counts keep the first candidate rather than the lower index.")
    })?;

    // Same seed, same picks; another seed, other picks.
    let script = |p: &dyn Picker| -> Vec<BackendId> {
        let mut rng = ctx.rng(41);
        let mut held = std::collections::VecDeque::new();
        let mut picks = vec![];
        for _ in 0..SCRIPT_PICKS {
            if let Ok(lease) = p.pick() {
                picks.push(lease.id());
                held.push_back(lease);
            }
            if rng.random_range(0..2) == 0 {
                held.pop_front();
            }
        }
        picks
    };
    let (one, two, other) = (
        s.picker(Strategy::PowerOfTwo)(&eight, seed),
        s.picker(Strategy::PowerOfTwo)(&eight, seed),
        s.picker(Strategy::PowerOfTwo)(&eight, seed.wrapping_add(1)),
    );
    let (a, b, c) = (script(one.as_ref()), script(two.as_ref()), script(other.as_ref()));
    if let Some(k) = a.iter().zip(&b).position(|(x, y)| x != y).or((a.len() != b.len()).then_some(a.len().min(b.len())))
    {
        return Err(fail(
            format!("Two power-of-two pickers over 8 backends, both built with seed {seed}, driven by the same {SCRIPT_PICKS} picks and releases from one thread."),
            "the same picks: every random choice derives from the seed",
            format!("they differ at pick {}: {} vs {}", k + 1, show_run(&a[k..], 6), show_run(&b[k..], 6)),
        )
        .hint("Seed your own generator from `seed` (SplitMix64 is ten lines). A thread-local or OS-seeded generator makes every failure unreproducible."));
    }
    ensure(a != c, || {
        fail(
            format!("Power-of-two pickers over 8 backends built with seeds {seed} and {}, driven the same way for {SCRIPT_PICKS} picks.", seed.wrapping_add(1)),
            "different picks for different seeds",
            format!("the same {SCRIPT_PICKS} picks"),
        )
        .hint("The picker ignores its seed: initialise your generator's state from it.")
    })?;

    // The simulation: skewed durations, peak load against random and
    // least-connections on the same workload.
    let n = 10;
    let ticks = 1_000;
    let work = workload(&mut ctx.rng(42), ticks);
    let requests: usize = work.iter().map(Vec::len).sum();
    let mut r = ctx.rng(43);
    let random = simulate_model(&work, n, |_| r.random_range(0..n));
    let least = simulate_model(&work, n, least_loaded_model(n));
    let p = s.picker(Strategy::PowerOfTwo)(&list(&(0..n as u32).collect::<Vec<_>>()), seed ^ 3);
    let p2c = simulate_picker(&work, n, p.as_ref())?;
    // P2C must close at least half the gap from random to least-connections,
    // and stay within 25% of least-connections.
    let halfway = least.mean_max + 0.5 * (random.mean_max - least.mean_max);
    let bound = halfway.min(1.25 * least.mean_max);
    ensure(p2c.mean_max <= bound, || {
        let rows = [
            ("uniform random".to_string(), (random.mean_max * 10.0).round() as u64),
            ("power of two (you)".to_string(), (p2c.mean_max * 10.0).round() as u64),
            ("least-connections".to_string(), (least.mean_max * 10.0).round() as u64),
        ];
        fail(
            format!(
                "A simulation: {} requests over {} ticks to {n} backends; 9 in 10 take 1-4 ticks, 1 in 10 takes 40-80 ticks (about 8 in flight per backend on average). Same workload for three strategies; measured: the busiest backend's in-flight count, averaged over ticks (peaks: random {}, P2C {}, least-connections {}).",
                num(requests as u64),
                num(ticks as u64),
                random.peak,
                p2c.peak,
                least.peak
            ),
            format!(
                "P2C's busiest backend at most {bound:.2} on average: halfway from random ({:.2}) to least-connections ({:.2}), and within 25% of least-connections",
                random.mean_max, least.mean_max
            ),
            format!("{:.2}; busiest backend on average (×10):{}", p2c.mean_max, histogram(&rows)),
        )
        .hint("Compare the in-flight counts of the two candidates and keep the smaller; decrement on every release. If the counts are right, check that the candidates are drawn uniformly over all up backends.")
    })?;
    Ok(vec![])
}
