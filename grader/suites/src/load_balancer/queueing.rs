//! A small discrete-time queueing model: the workload of the power-of-two
//! stage, and the peak load that model strategies and a picker reach on it.

use contracts::load_balancer::{Lease, Picker};
use grader_protocol::Failure;
use rand::{Rng, RngExt};

use crate::harness::fail;

/// A discrete-time workload: per tick, the durations (in ticks) of the
/// requests that arrive. Most requests are short, one in ten is very long.
pub(super) fn workload(rng: &mut impl Rng, ticks: usize) -> Vec<Vec<usize>> {
    (0..ticks)
        .map(|_| {
            let arrivals = rng.random_range(7..=13);
            (0..arrivals)
                .map(|_| if rng.random_range(0..10) == 0 { rng.random_range(40..=80) } else { rng.random_range(1..=4) })
                .collect()
        })
        .collect()
}

/// The load a strategy reached on a workload.
#[derive(Debug, Clone, Copy)]
pub(super) struct Peak {
    /// Mean, over the ticks after warm-up, of the busiest backend's count.
    pub(super) mean_max: f64,
    /// The highest count any backend ever reached.
    pub(super) peak: usize,
}

pub(super) const WARMUP: usize = 100;

/// Runs a workload through a model strategy: `choose(loads)` picks an index.
pub(super) fn simulate_model(work: &[Vec<usize>], n: usize, mut choose: impl FnMut(&[usize]) -> usize) -> Peak {
    let horizon = 128;
    let mut ends: Vec<Vec<usize>> = vec![vec![]; horizon];
    let mut loads = vec![0usize; n];
    let (mut sum, mut counted, mut peak) = (0usize, 0usize, 0usize);
    for (t, arrivals) in work.iter().enumerate() {
        for i in std::mem::take(&mut ends[t % horizon]) {
            loads[i] -= 1;
        }
        for &d in arrivals {
            let i = choose(&loads);
            loads[i] += 1;
            ends[(t + d) % horizon].push(i);
        }
        let max = loads.iter().copied().max().unwrap_or(0);
        peak = peak.max(max);
        if t >= WARMUP {
            sum += max;
            counted += 1;
        }
    }
    Peak { mean_max: sum as f64 / counted.max(1) as f64, peak }
}

/// Runs a workload through the subject's picker over backends `0..n`.
pub(super) fn simulate_picker(work: &[Vec<usize>], n: usize, p: &dyn Picker) -> Result<Peak, Failure> {
    let horizon = 128;
    let mut ends: Vec<Vec<Lease<'_>>> = (0..horizon).map(|_| Vec::new()).collect();
    let mut loads = vec![0usize; n];
    let (mut sum, mut counted, mut peak) = (0usize, 0usize, 0usize);
    for (t, arrivals) in work.iter().enumerate() {
        for lease in std::mem::take(&mut ends[t % horizon]) {
            loads[lease.id().0 as usize] -= 1;
            lease.finish();
        }
        for &d in arrivals {
            let lease = p.pick().map_err(|e| {
                fail(
                    "A power-of-two picker over 10 backends, all up, in a simulation.",
                    "a backend",
                    format!("Err({e:?})"),
                )
            })?;
            let i = lease.id().0 as usize;
            if i >= n {
                return Err(fail(
                    "A power-of-two picker over [b0..b9].",
                    "a backend of the list",
                    lease.id().to_string(),
                ));
            }
            loads[i] += 1;
            ends[(t + d) % horizon].push(lease);
        }
        let max = loads.iter().copied().max().unwrap_or(0);
        peak = peak.max(max);
        if t >= WARMUP {
            sum += max;
            counted += 1;
        }
    }
    Ok(Peak { mean_max: sum as f64 / counted.max(1) as f64, peak })
}

/// Exact least-connections, ties rotating: the best a balancer can do with
/// fresh counts.
pub(super) fn least_loaded_model(n: usize) -> impl FnMut(&[usize]) -> usize {
    let mut cursor = 0;
    move |loads: &[usize]| {
        let mut best = cursor % n;
        for j in 0..n {
            let i = (cursor + j) % n;
            if loads[i] < loads[best] {
                best = i;
            }
        }
        cursor = best + 1;
        best
    }
}

#[cfg(test)]
mod tests {
    use rand::RngExt;

    use crate::harness::Ctx;

    use super::*;

    #[test]
    fn least_connections_beats_random_in_the_simulation() {
        let ctx = Ctx { seed: 3 };
        let work = workload(&mut ctx.rng(1), 1_000);
        let mut r = ctx.rng(2);
        let random = simulate_model(&work, 10, |_| r.random_range(0..10));
        let least = simulate_model(&work, 10, least_loaded_model(10));
        assert!(least.mean_max + 1.0 < random.mean_max, "{least:?} vs {random:?}");
    }
}
