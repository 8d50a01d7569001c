//! The smooth weighted schedule the contract fixes, as a model.

use contracts::load_balancer::{Backend, BackendId};

/// The contract's schedule, in `i128` (no overflow at any allowed weight):
/// the first `count` picks of a fresh smooth weighted picker over `up`.
pub(super) fn smooth_model(up: &[Backend], count: usize) -> Vec<BackendId> {
    let total: i128 = up.iter().map(|b| i128::from(b.weight)).sum();
    let mut current = vec![0i128; up.len()];
    let mut picks = Vec::with_capacity(count);
    if up.is_empty() {
        return picks;
    }
    for _ in 0..count {
        let mut best = 0;
        for (i, b) in up.iter().enumerate() {
            current[i] += i128::from(b.weight);
            // Strictly greater: the earliest backend wins a tie.
            if current[i] > current[best] {
                best = i;
            }
        }
        current[best] -= total;
        picks.push(up[best].id);
    }
    picks
}
