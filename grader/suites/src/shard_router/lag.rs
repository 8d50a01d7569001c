//! A seeded simulator of replication lag: each replica applies the
//! primary's writes in order, some quickly and some far behind, and reports
//! what it applied over a network that delays and reorders the reports (a
//! report may arrive after a later one from the same replica).
//!
//! The simulator also keeps what the router can know: for each replica, the
//! largest position any delivered report named. A read may go to a replica
//! only if that knowledge covers the session's position.

use rand::{Rng, RngExt};

/// The replicas' state, and the reports in flight.
#[derive(Debug, Clone)]
pub(super) struct Lag {
    /// Every position the primary handed out, in order.
    writes: Vec<u64>,
    /// How many writes each replica has applied.
    applied: Vec<usize>,
    /// Reports sent, not yet delivered: (replica, position).
    in_flight: Vec<(u32, u64)>,
    /// The largest position delivered for each replica (every replica starts
    /// at position 0).
    known: Vec<u64>,
    /// How far behind each replica tends to fall: it applies a write with
    /// probability `1 / (1 + slowness)` on each tick.
    slowness: Vec<u32>,
}

impl Lag {
    /// `replicas` replicas, replica 0 the fastest and the last the slowest
    /// (one is nearly stuck), none applied anything.
    pub(super) fn new(rng: &mut impl Rng, replicas: u32) -> Lag {
        let slowness = (0..replicas)
            .map(|r| if r + 1 == replicas && replicas > 1 { 40 } else { rng.random_range(0..6) })
            .collect();
        Lag {
            writes: vec![],
            applied: vec![0; replicas as usize],
            in_flight: vec![],
            known: vec![0; replicas as usize],
            slowness,
        }
    }

    /// The primary handed out `position`.
    pub(super) fn wrote(&mut self, position: u64) {
        self.writes.push(position);
    }

    /// One tick: replicas apply writes and send reports; some reports in
    /// flight are delivered, in random order. Answers the reports to give
    /// the router now (each also recorded as known).
    pub(super) fn tick(&mut self, rng: &mut impl Rng) -> Vec<(u32, u64)> {
        for r in 0..self.applied.len() {
            if self.applied[r] < self.writes.len() && rng.random_range(0..=self.slowness[r]) == 0 {
                self.applied[r] += rng.random_range(1..=3).min(self.writes.len() - self.applied[r]);
            }
            if self.applied[r] > 0 && rng.random_range(0..3) == 0 {
                self.in_flight.push((r as u32, self.writes[self.applied[r] - 1]));
            }
        }
        let mut delivered = vec![];
        let mut i = 0;
        while i < self.in_flight.len() {
            if rng.random_range(0..3) == 0 {
                delivered.push(self.in_flight.swap_remove(i));
            } else {
                i += 1;
            }
        }
        for &(r, p) in &delivered {
            let k = &mut self.known[r as usize];
            *k = (*k).max(p);
        }
        delivered
    }

    /// Every replica catches up and every report is delivered (in random
    /// order, stale ones among them).
    pub(super) fn settle(&mut self, rng: &mut impl Rng) -> Vec<(u32, u64)> {
        for r in 0..self.applied.len() {
            if let Some(&last) = self.writes.last() {
                self.applied[r] = self.writes.len();
                self.in_flight.push((r as u32, last));
            }
        }
        let mut all = std::mem::take(&mut self.in_flight);
        for i in (1..all.len()).rev() {
            let j = rng.random_range(0..=i);
            all.swap(i, j);
        }
        for &(r, p) in &all {
            let k = &mut self.known[r as usize];
            *k = (*k).max(p);
        }
        all
    }

    /// The largest position delivered for `replica`.
    pub(super) fn known(&self, replica: u32) -> u64 {
        self.known[replica as usize]
    }

    /// The replicas known to have applied `position`.
    pub(super) fn caught_up(&self, position: u64) -> Vec<u32> {
        (0..self.known.len() as u32).filter(|&r| self.known(r) >= position).collect()
    }

    /// The replicas, each with what the router knows of it, as a failure
    /// message shows them: `r0 at 17, r1 at 12, r2 at 0`.
    pub(super) fn describe(&self) -> String {
        (0..self.known.len()).map(|r| format!("r{r} at {}", self.known[r])).collect::<Vec<_>>().join(", ")
    }
}
