//! Benchmarks that hold on a noisy machine.
//!
//! Absolute speed depends on the machine and on whatever else it is doing, so
//! nothing here grades an absolute number. Instead:
//!
//! - a **speed** figure times the learner's and the reference implementation
//!   *alternately*, round after round, in the same process, and compares the
//!   fastest round of each: interference (another process, a context switch,
//!   a page fault) only ever *adds* time, so the minimum is the figure least
//!   disturbed by it, and alternation exposes both sides to the same machine;
//! - a **complexity** figure times one implementation at two input sizes 100×
//!   apart and reports how much the time per operation grew: about 1× for
//!   O(1), 2× for O(log n), 100× for O(n), whatever the machine.

use std::hint::black_box;
use std::time::Instant;

use grader_protocol::{BenchFigure, BenchKind};

/// Pass a speed figure when the learner is at least this fraction as fast as
/// the reference (4× slower still passes: the point is the speed class).
pub const SPEED_THRESHOLD: f64 = 0.25;

/// Rounds of alternation. Each side's figure is its fastest round.
const ROUNDS: usize = 15;

/// Nanoseconds per operation of one timed batch of `ops` operations.
pub fn time_batch(ops: u64, batch: impl FnOnce()) -> f64 {
    let start = Instant::now();
    batch();
    black_box(());
    start.elapsed().as_nanos() as f64 / ops.max(1) as f64
}

/// The smallest sample: the run least disturbed by the rest of the machine.
pub fn fastest(samples: &[f64]) -> f64 {
    samples.iter().copied().min_by(f64::total_cmp).unwrap_or(f64::NAN)
}

/// Times `learner` and `reference` alternately; each call runs one batch and
/// returns nanoseconds per operation (use [`time_batch`]). Each side's figure
/// is its fastest batch.
pub fn speed(name: &str, mut learner: impl FnMut() -> f64, mut reference: impl FnMut() -> f64) -> BenchFigure {
    // One warm-up batch each: page faults, lazy allocations, branch predictors.
    learner();
    reference();
    let (mut l, mut r) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for round in 0..ROUNDS {
        // Alternate who goes first, so neither always runs on a warmer cache.
        if round % 2 == 0 {
            l.push(learner());
            r.push(reference());
        } else {
            r.push(reference());
            l.push(learner());
        }
    }
    let (learner, reference) = (fastest(&l), fastest(&r));
    let ratio = reference / learner;
    BenchFigure {
        name: name.to_string(),
        kind: BenchKind::Speed,
        learner,
        reference,
        unit: "ns/op".into(),
        ratio,
        threshold: SPEED_THRESHOLD,
        passed: ratio >= SPEED_THRESHOLD,
    }
}

/// Growth of time per operation from size `n` to size `100 n`.
///
/// `at(size)` must build an input of that size, time a batch on it and
/// return nanoseconds per operation. Sizes are measured alternately; each
/// size's figure is its fastest batch.
pub fn growth(mut at: impl FnMut(usize) -> f64, n: usize) -> f64 {
    at(n);
    at(100 * n);
    let (mut small, mut large) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for _ in 0..ROUNDS {
        small.push(at(n));
        large.push(at(100 * n));
    }
    fastest(&large) / fastest(&small)
}

/// A complexity figure: the learner's growth must stay at or below
/// `threshold`; the reference's growth is shown for comparison.
pub fn complexity(name: &str, learner_growth: f64, reference_growth: f64, threshold: f64) -> BenchFigure {
    BenchFigure {
        name: name.to_string(),
        kind: BenchKind::Complexity,
        learner: learner_growth,
        reference: reference_growth,
        unit: "× time/op for 100× size".into(),
        ratio: learner_growth,
        threshold,
        passed: learner_growth <= threshold,
    }
}
