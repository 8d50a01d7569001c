//! Hidden suite of the `load-balancer` exercise.
//!
//! Expected answers come from the contract's properties, checked directly on
//! what the implementation does: which backends a run of picks visited, how
//! many requests the suite itself holds on each backend (it is the only
//! caller, so it knows the true in-flight counts), which keys moved when a
//! node joined. Where the lesson promises a number (P2C's peak load against
//! random and least-connections, a ring's spread against `1/√k`), the suite
//! computes the baseline with its own small models in the same run, from the
//! same seeded workload.
//!
//! The folder: one file per stage, named by its id (`round_robin.rs` is stage
//! `round-robin`); helpers beside them (`show.rs`, `picks.rs`, `held.rs`,
//! `smooth.rs`, `queueing.rs`, `ring.rs`), which stages import and which
//! import no stage; [`baseline`], the plain implementation the speed figures
//! grade against; `simulation.rs`, the ungraded `cargo grader simulate`.

pub mod baseline;
mod held;
mod picks;
mod queueing;
mod ring;
mod show;
mod simulation;
mod smooth;

mod benchmarks;
mod hash_ring;
mod health;
mod jump_hash;
mod least_connections;
mod power_of_two;
mod round_robin;
mod smooth_weighted;

use std::sync::Arc;

use contracts::load_balancer::{Backend, JumpHash, Picker, Ring};

use crate::harness::{Stage, Suite, register_probe};

/// What the learner's crate must export, in the order [`Subject::of`] takes
/// them (the types, then the function). The grader writes the runner's
/// `main` from this list, and names the export a crate lacks as it is
/// written here.
pub const EXPORTS: &[&str] = &[
    "pub struct RoundRobin: Picker",
    "pub struct SmoothWeighted: Picker",
    "pub struct LeastConnections: Picker",
    "pub struct PowerOfTwo: Picker",
    "pub struct HashRing: Ring",
    "pub fn jump_hash(key: u64, buckets: u32) -> u32",
];

/// Builds a picker from a backend list and a seed.
pub type MakePicker = fn(&[Backend], u64) -> Arc<dyn Picker>;

/// The pickers of the contract, in the lesson's order: the one list that
/// the stages, the benchmarks and the simulation go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Each up backend in turn.
    RoundRobin,
    /// nginx's smooth weighted round-robin.
    SmoothWeighted,
    /// The fewest requests in flight, ties rotating.
    LeastConnections,
    /// Two different random candidates, the less loaded kept.
    PowerOfTwo,
}

impl Strategy {
    /// Every picker, in the lesson's order (the order of [`EXPORTS`]).
    pub const ALL: [Strategy; 4] =
        [Strategy::RoundRobin, Strategy::SmoothWeighted, Strategy::LeastConnections, Strategy::PowerOfTwo];

    /// As failure messages name it: "a {name} picker".
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round-robin",
            Strategy::SmoothWeighted => "smooth weighted round-robin",
            Strategy::LeastConnections => "least-connections",
            Strategy::PowerOfTwo => "power-of-two",
        }
    }

    /// As the lesson names it, in prose and in the simulation's tables.
    pub const fn title(self) -> &'static str {
        match self {
            Strategy::PowerOfTwo => "power of two choices",
            other => other.name(),
        }
    }
}

/// How the suite builds instances of one implementation.
#[derive(Clone, Copy)]
pub struct Subject {
    /// Builds each picker, in the order of [`Strategy::ALL`].
    pickers: [MakePicker; 4],
    /// Builds an empty ring with this many points per node.
    pub ring: fn(u32) -> Box<dyn Ring>,
    /// Jump consistent hash.
    pub jump_hash: JumpHash,
}

impl Subject {
    /// The subject made of these types and this jump hash function
    /// ([`EXPORTS`], in order).
    pub fn of<RR, SW, LC, P2, R>(jump_hash: JumpHash) -> Subject
    where
        RR: Picker + 'static,
        SW: Picker + 'static,
        LC: Picker + 'static,
        P2: Picker + 'static,
        R: Ring + 'static,
    {
        Subject {
            pickers: [
                |b, seed| Arc::new(RR::new(b, seed)),
                |b, seed| Arc::new(SW::new(b, seed)),
                |b, seed| Arc::new(LC::new(b, seed)),
                |b, seed| Arc::new(P2::new(b, seed)),
            ],
            ring: |vnodes| Box::new(R::new(vnodes)),
            jump_hash,
        }
    }

    /// How this implementation builds the picker of `strategy`.
    pub fn picker(&self, strategy: Strategy) -> MakePicker {
        self.pickers[strategy as usize]
    }

    /// The plain baseline the speed figures grade against.
    fn baseline() -> Subject {
        Subject::of::<
            baseline::RoundRobin,
            baseline::SmoothWeighted,
            baseline::LeastConnections,
            baseline::PowerOfTwo,
            baseline::HashRing,
        >(baseline::jump_hash)
    }
}

/// The stages, in grading order; ids match `course.toml`.
pub fn suite(learner: Subject, reference: Subject) -> Suite {
    let s = learner;
    register_probe(ring::RING_PROBE, move |ctx| ring::ring_placement(s, ctx));
    Suite {
        stages: vec![
            Stage::new("round-robin", move |ctx| round_robin::run(s, ctx)),
            Stage::new("smooth-weighted", move |ctx| smooth_weighted::run(s, ctx)),
            Stage::new("least-connections", move |ctx| least_connections::run(s, ctx)),
            Stage::new("power-of-two", move |ctx| power_of_two::run(s, ctx)),
            Stage::new("hash-ring", move |ctx| hash_ring::run(s, ctx)),
            Stage::new("jump-hash", move |ctx| jump_hash::run(s, ctx)),
            Stage::new("health", move |ctx| health::run(s, ctx)),
            Stage::new("benchmarks", move |ctx| benchmarks::run(s, Subject::baseline(), reference, ctx)),
        ],
        simulation: Some(Box::new(move |ctx| simulation::simulate(s, reference, ctx))),
    }
}
