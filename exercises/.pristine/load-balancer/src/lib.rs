//! # Exercise: load balancing
//!
//! Read `lessons/02-load-balancing.md` first. Then fill in the types below so
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
//! - A picker is shared by every thread of a server: methods take `&self`.
//!   Keep the backend list behind a lock (`RwLock` suits: picks read, changes
//!   write) and make every per-pick update atomic.
//! - A backend marked down is never picked. No backend to pick is an answer,
//!   `Err(NoBackend::Empty)` or `Err(NoBackend::AllDown)`, never a panic:
//!   beware `i % up.len()` when `up` is empty.
//! - A pick returns `Lease::new(id, self)`. The lease calls your `release`
//!   exactly once when the request ends: from `finish()`, or from its `Drop`
//!   if the request returned early, panicked or was cancelled.
//! - Health belongs to the id: `set_backends` keeps the health and in-flight
//!   count of the ids that stay.
//! - Hash with a *deterministic* function: two rings built with the same nodes,
//!   in any order, in any process, must agree on every key.

// The stubs below name their parameters so that you can read the signature;
// until you use them (and the fields you add), the compiler would warn that
// they are unused. Delete this line once you have implemented everything.
#![allow(unused_variables, dead_code)]

use contracts::load_balancer::{Backend, BackendId, Lease, NoBackend, Outcome, Picker, Ring};

/// Round-robin: cycle through the up backends in list order.
///
/// The state is a counter: pick `up[i % up.len()]` and add 1 to `i`. Over any
/// `n` consecutive picks each of the `n` up backends is picked once, and that
/// must stay exact when 4 threads pick at once.
///
/// The classic mistake is a counter read and written in two steps
/// (`let i = next.load(); next.store(i + 1)`): two threads read the same `i`,
/// both send to the same backend, and the cycle drifts. One atomic
/// `fetch_add` takes a turn for exactly one caller.
#[derive(Debug)]
pub struct RoundRobin {
    // Your fields here: the backend list (and health), and the counter.
}

impl Picker for RoundRobin {
    /// A round-robin picker over `backends`, all up. It makes no random
    /// choice, so `seed` is unused.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("store the backend list and a counter starting at 0")
    }

    /// Replace the list. Ids that stay keep their health.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("swap in the new list, carrying over the health of ids that stay")
    }

    /// `id` is not picked until `mark_up(id)`. Unknown ids change nothing.
    fn mark_down(&self, id: BackendId) {
        todo!("remember that this backend is down")
    }

    /// `id` is picked again. Unknown ids change nothing.
    fn mark_up(&self, id: BackendId) {
        todo!("remember that this backend is up")
    }

    /// The next up backend in the cycle, as `Lease::new(id, self)`.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("take a turn with fetch_add and index the up backends with it")
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
/// ahead of its share `t × w / W`. The naive "repeat each backend `w` times"
/// (`a a a a a b c`) meets the proportions but sends bursts: the grader
/// rejects it.
///
/// A change of list or health restarts the schedule (every score back to 0).
/// A pick changes every score, so a `Mutex` around the whole state is the
/// simple, correct choice.
#[derive(Debug)]
pub struct SmoothWeighted {
    // Your fields here: the backends with their weights, health and scores.
}

impl Picker for SmoothWeighted {
    /// A schedule over `backends`, all up, every score 0. `seed` is unused.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("store each backend with its weight and a score of 0")
    }

    /// Replace the list and restart the schedule. Ids that stay keep their
    /// health.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("swap in the new list and reset every score to 0")
    }

    /// Skip `id` from now on; if that changed anything, restart the schedule.
    fn mark_down(&self, id: BackendId) {
        todo!("mark it down and reset the scores")
    }

    /// Include `id` again; if that changed anything, restart the schedule.
    fn mark_up(&self, id: BackendId) {
        todo!("mark it up and reset the scores")
    }

    /// One step of the schedule: add, take the largest, subtract `W`.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("add weights, pick the largest score (earliest on a tie), subtract the total")
    }
}

/// Least-connections: pick the up backend with the fewest requests in flight.
///
/// Count +1 in `pick` and −1 in `release`. The contract's `Lease` calls
/// `release` from `Drop` when a request ends without `finish()` (an early
/// error return, a panic, a cancelled future): subtract on *every* outcome.
/// Subtracting only for `Outcome::Completed` is the classic leak: each failed
/// request leaves the backend looking one busier, forever, until it is never
/// picked.
///
/// Ties rotate: scan starting one place after the previous pick and take the
/// first least-loaded backend, so sequential requests visit every backend in
/// turn. Counts are shared by all threads: use an `AtomicUsize` per backend
/// (`fetch_add`, and a decrement that never goes below zero).
#[derive(Debug)]
pub struct LeastConnections {
    // Your fields here: the backends with health and in-flight counts, and
    // where the next scan starts.
}

impl Picker for LeastConnections {
    /// A picker over `backends`, all up and idle. `seed` is unused.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("store the backends, each with an in-flight count of 0")
    }

    /// Replace the list. Ids that stay keep their health *and* their
    /// in-flight count; new ids start idle.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("swap in the new list, carrying over health and counts of ids that stay")
    }

    /// `id` is not picked until `mark_up(id)`.
    fn mark_down(&self, id: BackendId) {
        todo!("remember that this backend is down")
    }

    /// `id` is picked again.
    fn mark_up(&self, id: BackendId) {
        todo!("remember that this backend is up")
    }

    /// The least-loaded up backend (ties rotate), its count +1.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("scan from one past the previous pick, take the first with the fewest in flight, count it")
    }

    /// A request on `id` ended, completed or abandoned: its count −1 (never
    /// below 0; an id no longer in the list changes nothing).
    fn release(&self, id: BackendId, outcome: Outcome) {
        todo!("subtract one from id's in-flight count, whatever the outcome")
    }

    /// Requests on `id` picked and not yet released (0 for unknown ids).
    fn in_flight(&self, id: BackendId) -> usize {
        todo!("read id's in-flight count")
    }
}

/// Power of two random choices: draw two *different* up backends at random and
/// pick the one with fewer in flight (the first drawn on a tie).
///
/// It needs the same counts as least-connections but only looks at two
/// backends, and random draws keep many balancers from herding onto the same
/// "least loaded" backend. All randomness comes from `seed`: write a small
/// generator (SplitMix64 is ten lines, and with its state in one `AtomicU64`
/// it is lock-free) rather than reaching for a thread-local random source,
/// so that the same seed gives the same picks.
///
/// Two classic mistakes: drawing the two candidates independently (half the
/// time, with two backends, both draws are the same one and the busy backend
/// gets the request), and ignoring the seed.
#[derive(Debug)]
pub struct PowerOfTwo {
    // Your fields here: the backends with health and in-flight counts, and the
    // state of your random generator.
}

impl Picker for PowerOfTwo {
    /// A picker over `backends`, all up and idle, drawing from `seed`.
    fn new(backends: &[Backend], seed: u64) -> Self {
        todo!("store the backends and seed your generator")
    }

    /// Replace the list, carrying over health and counts of ids that stay.
    fn set_backends(&self, backends: &[Backend]) {
        todo!("swap in the new list, carrying over health and counts of ids that stay")
    }

    /// `id` is not picked until `mark_up(id)`.
    fn mark_down(&self, id: BackendId) {
        todo!("remember that this backend is down")
    }

    /// `id` is picked again.
    fn mark_up(&self, id: BackendId) {
        todo!("remember that this backend is up")
    }

    /// Two different up backends at random; the less loaded one (the first
    /// drawn on a tie), counted +1.
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        todo!("draw two different up backends, keep the one with fewer in flight, count it")
    }

    /// A request on `id` ended: its count −1, whatever the outcome.
    fn release(&self, id: BackendId, outcome: Outcome) {
        todo!("subtract one from id's in-flight count, whatever the outcome")
    }

    /// Requests on `id` picked and not yet released (0 for unknown ids).
    fn in_flight(&self, id: BackendId) -> usize {
        todo!("read id's in-flight count")
    }
}

/// A consistent-hash ring with virtual nodes.
///
/// Keep every point as `(position, node)` in one `Vec` sorted by position. A
/// node owns `vnodes` points at positions `hash(node, 0..vnodes)`; a key
/// belongs to the node of the first point at or after `hash(key)`, wrapping
/// around to the first point. Find it by binary search
/// (`slice::partition_point`): a linear scan is O(n) and fails the benchmark.
///
/// Use a deterministic hash. `std::hash::DefaultHasher::new()` is one (fixed
/// keys); `RandomState` is not, and neither is anything seeded at start-up.
/// With one point per node, shares vary wildly (the hottest of 10 nodes
/// typically gets about 3× its share); with 100 points per node they vary by
/// about 10%.
#[derive(Debug)]
pub struct HashRing {
    // Your fields here: the number of points per node and the sorted points.
}

impl Ring for HashRing {
    /// An empty ring giving each node `vnodes` points.
    fn new(vnodes: u32) -> Self {
        todo!("an empty ring that remembers vnodes")
    }

    /// Add `node`'s points (if it is not there already), keeping them sorted.
    fn add(&mut self, node: BackendId) {
        todo!("insert vnodes points for this node and keep the points sorted")
    }

    /// Remove all of `node`'s points (if it is there).
    fn remove(&mut self, node: BackendId) {
        todo!("remove this node's points")
    }

    /// The owner of `key`: first point at or after `hash(key)`, wrapping.
    fn node_for(&self, key: &[u8]) -> Option<BackendId> {
        todo!("hash the key, binary-search the points, wrap past the end")
    }
}

/// Jump consistent hash (Lamping and Veach, 2014): the bucket in
/// `0..buckets` of `key`. `buckets` is at least 1.
///
/// Translate the paper's loop exactly; the grader compares with published
/// answers, bit for bit:
///
/// ```text
/// b = -1, j = 0
/// while j < buckets:
///     b = j
///     key = key × 2862933555777941757 + 1              (wrapping_mul, wrapping_add)
///     j = floor((b + 1) × (2^31 / ((key >> 33) + 1)))  (divide and multiply in f64)
/// return b
/// ```
///
/// Keep `b` and `j` in `i64`. The division must be in floating point: in
/// integers it truncates and the answers differ.
pub fn jump_hash(key: u64, buckets: u32) -> u32 {
    todo!("the paper's loop: advance the key, jump to the next bucket count, return the last bucket")
}
