//! # Exercise: load balancing
//!
//! Read `lessons/1-front-door/load-balancer.md` first. Then fill in the types below so
//! that they honour the contract in `contracts/src/load_balancer.rs`
//! (`cargo doc -p contracts --open` shows it nicely). Grade your work with
//!
//! ```text
//! cargo grade load-balancer              # every stage, stops at the first failure
//! cargo grade load-balancer --stage 3    # one stage
//! cargo grader hint load-balancer        # the next hint, one at a time
//! ```
//!
//! The stages follow the order of this file: `RoundRobin`, `SmoothWeighted`,
//! `LeastConnections`, `PowerOfTwo`, `HashRing`, `jump_hash`, then health
//! (every picker) and benchmarks. You may add fields, private types, helper
//! functions and modules freely, and depend on other crates if you like: the
//! grader only talks to these names through the contract.
//!
//! ## The rules, in one place
//!
//! - A picker is shared by every thread of a server: methods take `&self`,
//!   and the grader calls them from up to 16 threads at once. No
//!   interleaving may lose an update or let a pick see a list half-replaced.
//! - A backend marked down is never picked. No backend to pick is an answer,
//!   `Err(NoBackend::Empty)` or `Err(NoBackend::AllDown)`, never a panic.
//! - A pick returns `Lease::new(id, self)`. The lease calls your `release`
//!   exactly once when the request ends: from `finish()`, or from its `Drop`
//!   if the request returned early, panicked or was cancelled.
//! - Health belongs to an id while it is in the list: `set_backends` keeps the
//!   health and in-flight count of the ids that stay; an id that joins (for
//!   the first time, or again after it left) starts up and idle. A mark of an
//!   id that is not in the list changes nothing, then or later.
//! - One backend is a list like any other, for every strategy.
//! - The bounds the grader tries: any `u32` id (`u32::MAX` included); weights
//!   `1` to `2^32 − 1`; up to 65,536 backends, so a total weight below
//!   `2^48`; `1` to `10,000` points per ring node; `1` to `u32::MAX` jump-hash
//!   buckets.
//! - The ring places keys the same way in every process and every build: two
//!   balancers of a fleet must agree.

// The stubs below name their parameters so that you can read the signature;
// until you use them (and the fields you add), the compiler would warn that
// they are unused. Delete this line once you have implemented everything.
#![allow(unused_variables, dead_code)]

use contracts::load_balancer::{Backend, BackendId, Lease, NoBackend, Outcome, Picker, Ring};

/// Round-robin: cycle through the up backends in list order.
///
/// Over any `n` consecutive picks each of the `n` up backends is picked
/// exactly once, and that stays exact when 16 threads pick at once: `k × n`
/// picks from any number of threads give each backend exactly `k`. After a
/// change of list or health, the cycle carries on over the new up backends
/// with the same property. Weights are ignored.
#[derive(Debug)]
pub struct RoundRobin {
    // Your fields here.
}

impl Picker for RoundRobin {
    /// A round-robin picker over `backends`, all up. It makes no random
    /// choice, so `seed` is unused.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("a round-robin picker over these backends, all up")
    }

    /// Replace the list. Ids that stay keep their health; new ids start up.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("replace the list")
    }

    /// `id` is not picked until `mark_up(id)`. An id not in the list changes
    /// nothing.
    fn mark_down(&self, id: BackendId) {
        todo!("mark this backend down")
    }

    /// `id` is picked again. An id not in the list changes nothing.
    fn mark_up(&self, id: BackendId) {
        todo!("mark this backend up")
    }

    /// The next up backend in the cycle, as `Lease::new(id, self)`.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("the next up backend in the cycle")
    }
}

/// Smooth weighted round-robin (nginx's algorithm).
///
/// Each up backend keeps a score `current`, starting at 0. For each pick:
///
/// 1. add each up backend's weight to its `current`;
/// 2. pick the largest `current` (on a tie, the earliest in the list);
/// 3. subtract the total weight `W` of the up backends from the winner.
///
/// Weights `{a: 5, b: 1, c: 1}` give `a a b a c a a`. Every cycle of `W` picks
/// gives each backend exactly its weight, and a backend is never a whole pick
/// ahead of its share `t × w / W`: the naive "repeat each backend `w` times"
/// (`a a a a a b c`) is rejected. Picks from many threads form one schedule.
///
/// A change of list, or a mark that changes a backend's health (even in the
/// middle of a cycle), restarts the schedule: the next picks are those of a
/// fresh picker over the up backends. A mark that changes nothing does not.
/// Weights go up to `2^32 − 1` and a list's total up to `2^48`.
#[derive(Debug)]
pub struct SmoothWeighted {
    // Your fields here.
}

impl Picker for SmoothWeighted {
    /// A schedule over `backends`, all up, every score 0. `seed` is unused.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("a fresh schedule over these backends")
    }

    /// Replace the list and restart the schedule. Ids that stay keep their
    /// health.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("replace the list and restart the schedule")
    }

    /// Skip `id` from now on; if that changed its health, restart the
    /// schedule.
    fn mark_down(&self, id: BackendId) {
        todo!("mark this backend down")
    }

    /// Include `id` again; if that changed its health, restart the schedule.
    fn mark_up(&self, id: BackendId) {
        todo!("mark this backend up")
    }

    /// One step of the schedule.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("one step of the smooth weighted schedule")
    }
}

/// Least-connections: pick the up backend with the fewest requests in flight.
///
/// A request is in flight from its pick until its lease is released, whatever
/// the outcome: completed, or abandoned (an early error return, a panic, a
/// cancelled future). `in_flight` reports the exact count at every moment,
/// with many threads picking and releasing at once, and a count never goes below
/// zero, even when a lease is released after its backend left the list and
/// came back.
///
/// Ties rotate: among the least-loaded backends, take the first one found
/// scanning from one place after the previous pick, so sequential requests
/// (each over before the next starts) visit every backend in turn.
#[derive(Debug)]
pub struct LeastConnections {
    // Your fields here.
}

impl Picker for LeastConnections {
    /// A picker over `backends`, all up and idle. `seed` is unused.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("a picker over these backends, all up and idle")
    }

    /// Replace the list. Ids that stay keep their health *and* their
    /// in-flight count; new ids start up and idle.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("replace the list, keeping health and counts of the ids that stay")
    }

    /// `id` is not picked until `mark_up(id)`.
    fn mark_down(&self, id: BackendId) {
        todo!("mark this backend down")
    }

    /// `id` is picked again.
    fn mark_up(&self, id: BackendId) {
        todo!("mark this backend up")
    }

    /// The least-loaded up backend (ties rotate), now one more in flight.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("the least-loaded up backend")
    }

    /// A request on `id` ended, completed or abandoned: one fewer in flight
    /// (never below 0; an id no longer in the list changes nothing).
    fn release(&self, id: BackendId, outcome: Outcome) {
        todo!("one fewer request in flight on id")
    }

    /// Requests on `id` picked and not yet released (0 for unknown ids).
    fn in_flight(&self, id: BackendId) -> usize {
        todo!("the requests in flight on id")
    }
}

/// Power of two random choices: draw two *different* up backends uniformly at
/// random and pick the one with fewer in flight (the first drawn on a tie).
/// With one up backend, pick it.
///
/// In-flight counts behave exactly as for least-connections. Every random
/// choice derives from `seed`: two pickers built with the same seed and called
/// the same way (from one thread) make the same picks, and another seed makes
/// other picks. In a simulation with skewed request durations, its busiest
/// backend must close at least half the gap from uniform random choice to
/// least-connections.
#[derive(Debug)]
pub struct PowerOfTwo {
    // Your fields here.
}

impl Picker for PowerOfTwo {
    /// A picker over `backends`, all up and idle, drawing from `seed`.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("a picker over these backends, drawing from seed")
    }

    /// Replace the list, keeping health and counts of the ids that stay.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("replace the list, keeping health and counts of the ids that stay")
    }

    /// `id` is not picked until `mark_up(id)`.
    fn mark_down(&self, id: BackendId) {
        todo!("mark this backend down")
    }

    /// `id` is picked again.
    fn mark_up(&self, id: BackendId) {
        todo!("mark this backend up")
    }

    /// The less loaded of two different random up backends (the first drawn on
    /// a tie), now one more in flight.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("the less loaded of two different random up backends")
    }

    /// A request on `id` ended: one fewer in flight, whatever the outcome.
    fn release(&self, id: BackendId, outcome: Outcome) {
        todo!("one fewer request in flight on id")
    }

    /// Requests on `id` picked and not yet released (0 for unknown ids).
    fn in_flight(&self, id: BackendId) -> usize {
        todo!("the requests in flight on id")
    }
}

/// A consistent-hash ring with virtual nodes.
///
/// A node owns `vnodes` points (`1` to `10,000`) on a ring of `u64`
/// positions, each placed by hashing the node's id and the point's number; a
/// key belongs to the node of the first point at or after the key's hash,
/// wrapping around past the largest position. Two points at the same
/// position go to the smaller node id.
///
/// What the grader checks: a key's node is the same on every lookup, on a
/// ring built in another order, and on a ring built in another process; a
/// join moves about `1/(n+1)` of the keys, all to the newcomer; a leave moves
/// only the leaver's keys; with `k` points per node the keys per node vary by
/// at most `2/√k` (coefficient of variation); and a lookup's time grows with
/// the logarithm of the number of points, not in proportion to it.
#[derive(Debug)]
pub struct HashRing {
    // Your fields here.
}

impl Ring for HashRing {
    /// An empty ring giving each node `vnodes` points.
    fn new(vnodes: u32) -> Self {
        todo!("an empty ring")
    }

    /// Add `node`'s points (if it is not there already).
    fn add(&mut self, node: BackendId) {
        todo!("add this node's points")
    }

    /// Remove all of `node`'s points (if it is there).
    fn remove(&mut self, node: BackendId) {
        todo!("remove this node's points")
    }

    /// The owner of `key` (any bytes, the empty key included), or `None` on
    /// an empty ring.
    fn node_for(&self, key: &[u8]) -> Option<BackendId> {
        todo!("the node of the first point at or after the key's hash")
    }
}

/// Jump consistent hash (Lamping and Veach, 2014): the bucket in
/// `0..buckets` of `key`, for `buckets` from `1` to `u32::MAX`.
///
/// It must return exactly what the published algorithm returns, bit for bit
/// (the contract, `contracts::load_balancer::JumpHash`, shows the paper's
/// loop): every implementation in a fleet must agree. The grader compares
/// with published answers, and checks that growing from `n` to `n + 1`
/// buckets moves only keys into bucket `n`.
pub fn jump_hash(key: u64, buckets: u32) -> u32 {
    todo!("the paper's algorithm")
}
