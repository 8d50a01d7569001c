//! Contract of the `load-balancer` exercise (lesson: load balancing).
//!
//! # The model
//!
//! A balancer chooses one **backend** for each request. Backends are named by
//! a [`BackendId`] and listed, in order, as [`Backend`]s; the list can be
//! replaced at run time ([`Picker::set_backends`]: a deploy, an autoscaler, a
//! service registry) and any backend can be marked down and up again
//! ([`Picker::mark_down`], [`Picker::mark_up`]: a health checker).
//!
//! Two families of strategies share this module:
//!
//! - **pickers** ([`Picker`]): round-robin, smooth weighted round-robin,
//!   least-connections, power of two choices. Any request may go anywhere; the
//!   picker spreads them. A pick hands back a [`Lease`], held for as long as
//!   the request runs.
//! - **key-affine** schemes: a consistent-hash ring with virtual nodes
//!   ([`Ring`]) and jump consistent hash ([`JumpHash`]). The same key must
//!   reach the same node, and a change of nodes must move as few keys as
//!   possible.
//!
//! Randomness is injected: a picker that makes random choices derives every
//! one of them from the `seed` it was built with, so the same seed and the
//! same calls give the same picks, and a grader's failure replays exactly.
//! Nothing here reads a clock.
//!
//! # The rules every picker follows
//!
//! - **Health.** A backend marked down is never picked until it is marked up.
//!   When no backend can be picked, [`Picker::pick`] answers
//!   [`NoBackend::Empty`] (the list is empty) or [`NoBackend::AllDown`] (every
//!   backend is down): an explicit answer, never a panic (beware `i % 0`).
//!   Marking an id that is not in the list, or marking a backend down twice,
//!   changes nothing, then or later: the mark is not remembered for an id
//!   that joins afterwards.
//! - **Changes of the list.** Health belongs to the id *while it is in the
//!   list*: a backend that stays in the list keeps its health and its
//!   in-flight count; an id that was not in the previous list (never seen, or
//!   back after it left, whatever its state when it left) starts up and idle.
//!   Leases still out on a backend that has left the list may be released
//!   later, harmlessly, even after the backend came back: a release never
//!   pushes a count below zero.
//! - **Threads.** Methods take `&self`: one picker sits behind an `Arc` and is
//!   called from any number of threads of a server at once (the grader uses
//!   up to 16). No interleaving may lose an update (two threads both taking
//!   the same round-robin turn, an in-flight count that misses a decrement).
//!
//! # Bounds
//!
//! Every value below is allowed, and the grader tries the edges:
//!
//! | value | allowed |
//! | --- | --- |
//! | a backend id ([`BackendId`]) | any `u32`, `0` to `4,294,967,295` (`u32::MAX`) |
//! | a weight ([`Backend::weight`]) | `1` to `4,294,967,295` (`2^32 − 1`) |
//! | backends in a list | `0` to `65,536`, so a total weight stays below `2^48` |
//! | points per ring node (`vnodes`, [`Ring::new`]) | `1` to `10,000` |
//! | a ring key | any byte string, the empty one included |
//! | jump-hash buckets | `1` to `4,294,967,295` (`u32::MAX`); any `u64` key |
//!
//! # The four strategies
//!
//! **Round-robin** (`RoundRobin`). Cycle through the *up* backends in list
//! order: over any `n` consecutive picks, each of the `n` up backends is picked
//! exactly once. This holds across threads too: `k × n` picks made by any
//! number of threads at once (nothing changing meanwhile) give each backend
//! exactly `k`. After a change of list or health, the cycle carries on over
//! the new up list with the same property. Weights are ignored.
//!
//! **Smooth weighted round-robin** (`SmoothWeighted`, nginx's algorithm).
//! Each up backend keeps a score, `current`, starting at 0. For each pick:
//! add each up backend's weight to its `current`; pick the largest `current`
//! (on a tie, the earliest in the list); subtract the total weight `W` of the
//! up backends from the winner. Consequences the grader checks:
//!
//! - weights `{a: 5, b: 1, c: 1}` give `a a b a c a a`, then again;
//! - every cycle of `W` picks gives each backend exactly its weight;
//! - **no bursts**: after `t` picks of a schedule, no backend of weight `w`
//!   has been picked `t × w / W + 1` times or more: it is never a whole pick
//!   ahead of its exact share. (The winner drops to `current − W`, and
//!   `current` was positive, so its lead stays below 1.) The naive "repeat
//!   each backend `w` times" breaks this: `a a a a a b c` has picked `a` 5
//!   times after 5 picks, against a share of 3.6;
//! - a change of list or of health restarts the schedule: every score back to
//!   0, so the picks that follow are exactly those of a fresh picker over the
//!   current up backends, and the properties above hold again from the first
//!   pick after it. A change is any [`Picker::set_backends`] (even with the
//!   same list) and any mark that changes a backend's health, including in
//!   the middle of a cycle. A mark that changes nothing (an id not in the
//!   list, a backend already down, or already up) does not restart it: the
//!   schedule carries on as if the call had not happened.
//!
//! A picker shared by threads hands out one schedule: `k × W` picks from any
//! number of threads give each backend exactly `k × w`.
//!
//! **Least-connections** (`LeastConnections`). Count the requests **in flight**
//! on each backend: +1 when it is picked, −1 when its [`Lease`] is released.
//! Pick an up backend with the fewest in flight. Ties rotate: scan the list
//! starting one place after the previous pick and take the first least-loaded
//! backend, so sequential traffic (each request over before the next starts)
//! visits every backend in turn instead of piling on the first. Weights are
//! ignored.
//!
//! **Power of two choices** (`PowerOfTwo`). Draw two *different* up backends
//! uniformly at random and pick the one with fewer in flight; on a tie, the
//! first drawn, so that idle traffic spreads uniformly. With one up backend,
//! pick it. In-flight counts work exactly as for
//! least-connections. Randomness comes from `seed` only: two pickers built with
//! the same seed and called the same way (from one thread) make the same
//! picks. Weights are ignored.
//!
//! # What your crate exports
//!
//! The grader links your crate by these names, at its root (`src/lib.rs`);
//! a name it cannot find is reported as such, before any stage runs:
//!
//! - `pub struct RoundRobin`, `pub struct SmoothWeighted`,
//!   `pub struct LeastConnections` and `pub struct PowerOfTwo`, each
//!   implementing [`Picker`];
//! - `pub struct HashRing` implementing [`Ring`];
//! - `pub fn jump_hash(key: u64, buckets: u32) -> u32` (a [`JumpHash`]).

use std::fmt;

/// Names a backend. Ids are chosen by the caller, any `u32` (`u32::MAX`
/// included, so not necessarily small or dense); a list never holds the same
/// id twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackendId(pub u32);

impl fmt::Display for BackendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", self.0)
    }
}

/// One entry of a backend list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backend {
    /// Which backend.
    pub id: BackendId,
    /// Its share, for weighted strategies (others ignore it): `1` to
    /// `2^32 − 1`. A list holds at most 65,536 backends, so the total weight
    /// of a list is below `2^48`.
    pub weight: u32,
}

impl Backend {
    /// A backend of weight 1.
    pub const fn new(id: u32) -> Backend {
        Backend { id: BackendId(id), weight: 1 }
    }

    /// A backend of the given weight (at least 1).
    pub const fn weighted(id: u32, weight: u32) -> Backend {
        Backend { id: BackendId(id), weight }
    }
}

/// Why no backend could be picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoBackend {
    /// The backend list is empty.
    Empty,
    /// The list has backends, and every one of them is marked down.
    AllDown,
}

impl fmt::Display for NoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoBackend::Empty => f.write_str("no backend: the list is empty"),
            NoBackend::AllDown => f.write_str("no backend: every backend is down"),
        }
    }
}

impl std::error::Error for NoBackend {}

/// How a request held by a [`Lease`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The handler reached the end and called [`Lease::finish`].
    Completed,
    /// The lease was dropped without `finish`: the handler returned early with
    /// an error, panicked (unwinding drops the lease), or its future was
    /// cancelled by a timeout. The request is over all the same.
    Abandoned,
}

/// The answer to a pick: which backend to use, held for as long as the
/// request runs.
///
/// A lease ends exactly once, and its end always reaches the picker through
/// [`Picker::release`]: either [`Lease::finish`] (outcome
/// [`Outcome::Completed`]) or, if the lease is dropped without it,
/// [`Outcome::Abandoned`] from its `Drop`. `Drop` also runs while a panic
/// unwinds, and when an async task holding the lease is cancelled: that is why
/// bookkeeping that must happen "when the request ends" belongs in `release`
/// and never in code that runs only after a successful request.
///
/// A picker builds leases with [`Lease::new`], passing itself.
#[must_use = "dropping a lease ends its request at once: hold it while the request runs"]
pub struct Lease<'a> {
    id: BackendId,
    picker: &'a dyn Picker,
    live: bool,
}

impl<'a> Lease<'a> {
    /// A lease on backend `id`, to be released to `picker`.
    #[inline]
    pub fn new(id: BackendId, picker: &'a dyn Picker) -> Lease<'a> {
        Lease { id, picker, live: true }
    }

    /// The backend to send the request to.
    #[inline]
    pub fn id(&self) -> BackendId {
        self.id
    }

    /// The request completed: releases the lease with [`Outcome::Completed`].
    #[inline]
    pub fn finish(mut self) {
        self.live = false;
        self.picker.release(self.id, Outcome::Completed);
    }
}

impl Drop for Lease<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.live {
            self.live = false;
            self.picker.release(self.id, Outcome::Abandoned);
        }
    }
}

impl fmt::Debug for Lease<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").field("id", &self.id).field("live", &self.live).finish()
    }
}

/// A strategy that chooses a backend for each request, shared by every
/// thread of a server. See the module documentation for each strategy's rule.
pub trait Picker: Send + Sync {
    /// A picker over `backends` (possibly empty; ids distinct), all up and
    /// idle. `seed` is the seed of every random choice the strategy makes;
    /// strategies that make none ignore it.
    fn new(backends: &[Backend], seed: u64) -> Self
    where
        Self: Sized;

    /// Replaces the backend list (at most 65,536 backends, ids distinct). Ids
    /// that stay keep their health and their in-flight count; ids not in the
    /// previous list start up and idle; removed ids are forgotten, health and
    /// count (a lease still out on one releases harmlessly, even after the id
    /// came back).
    fn set_backends(&self, backends: &[Backend]);

    /// Marks `id` down: it is not picked until marked up. An id not in the
    /// list, or already down, changes nothing, and is not remembered for
    /// later.
    fn mark_down(&self, id: BackendId);

    /// Marks `id` up again. An id not in the list, or already up, changes
    /// nothing, and is not remembered for later.
    fn mark_up(&self, id: BackendId);

    /// Chooses an up backend and returns a lease on it (build it with
    /// [`Lease::new`]`(id, self)`), or says why there is none.
    fn pick(&self) -> Result<Lease<'_>, NoBackend>;

    /// Called exactly once per lease, when its request ends, however it ended.
    /// Strategies that count requests in flight subtract one here, and never
    /// below zero: a lease taken on a backend that has since left the list and
    /// come back (new, so idle) must not push its count below zero. The
    /// default does nothing.
    fn release(&self, id: BackendId, outcome: Outcome) {
        let _ = (id, outcome);
    }

    /// Requests picked on `id` and not yet released. 0 for an id not in the
    /// list, and always 0 for strategies that do not count (the default).
    fn in_flight(&self, id: BackendId) -> usize {
        let _ = id;
        0
    }
}

/// A consistent-hash ring with virtual nodes.
///
/// Each node owns `vnodes` **points** on a ring of `u64` positions. The
/// position of a point depends only on the node's id and the point's number
/// (`0..vnodes`), through a hash that is a fixed function of its input: the
/// same in every instance, every process and every build. Two rings holding
/// the same nodes, built in any order, in two processes (two balancers of a
/// fleet, or one balancer before and after a restart) agree on every key.
/// That rules out a randomly seeded hash (`RandomState`, or any seed drawn
/// once per process), and std's `DefaultHasher`, whose algorithm the standard
/// library leaves unspecified: it may change between Rust releases.
///
/// A key is hashed to a position (same rule: deterministic) and belongs to the
/// node of the first point at or after that position, wrapping around past
/// `u64::MAX` to the smallest point. Two points at the same position (rare)
/// go to the smaller node id, again for determinism.
///
/// What follows, and what the grader checks:
///
/// - adding a node moves only the keys that now land on one of its points:
///   about `1/(n+1)` of them, every one *to the new node*;
/// - removing a node moves only its own keys;
/// - with `k` points per node, the number of keys per node varies with a
///   coefficient of variation (standard deviation ÷ mean) near `1/√k`.
///
/// Mutation takes `&mut self`: a server rebuilds or locks its ring when the
/// membership changes, and reads it from many threads (`Sync`) in between.
pub trait Ring: Send + Sync {
    /// An empty ring giving each node `vnodes` points, `1` to `10,000`.
    fn new(vnodes: u32) -> Self
    where
        Self: Sized;

    /// Adds `node` (any `u32` id) with its `vnodes` points. Adding a node
    /// already present changes nothing.
    fn add(&mut self, node: BackendId);

    /// Removes `node` and all its points. Removing an absent node changes
    /// nothing.
    fn remove(&mut self, node: BackendId);

    /// The node that owns `key` (any bytes, the empty key included), or `None`
    /// when the ring is empty.
    fn node_for(&self, key: &[u8]) -> Option<BackendId>;
}

/// Jump consistent hash (Lamping and Veach, 2014): the bucket, in
/// `0..buckets`, of a 64-bit `key`. `buckets` is `1` to `u32::MAX`
/// (`4,294,967,295`); `key` is any `u64`.
///
/// The exercise crate exports it as `pub fn jump_hash(key: u64, buckets: u32)
/// -> u32`. It must return exactly what the published algorithm returns, bit
/// for bit, so that every implementation in a fleet agrees:
///
/// ```text
/// b = -1, j = 0
/// while j < buckets:
///     b = j
///     key = key × 2862933555777941757 + 1              (wrapping, mod 2^64)
///     j = floor((b + 1) × (2^31 / ((key >> 33) + 1)))  (in f64, as the paper)
/// return b
/// ```
///
/// Going from `n` to `n + 1` buckets moves exactly the keys whose jump sequence
/// lands on `n`: about `1/(n+1)` of them, all into bucket `n`, and no key
/// moves between the old buckets.
pub type JumpHash = fn(key: u64, buckets: u32) -> u32;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records every release, to check that a lease ends exactly once.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(BackendId, Outcome)>>);

    impl Picker for Recorder {
        fn new(_: &[Backend], _: u64) -> Self {
            Recorder::default()
        }
        fn set_backends(&self, _: &[Backend]) {}
        fn mark_down(&self, _: BackendId) {}
        fn mark_up(&self, _: BackendId) {}
        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            Ok(Lease::new(BackendId(7), self))
        }
        fn release(&self, id: BackendId, outcome: Outcome) {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).push((id, outcome));
        }
    }

    fn released(r: &Recorder) -> Vec<(BackendId, Outcome)> {
        r.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    #[test]
    fn a_lease_ends_exactly_once_however_its_request_ends() -> Result<(), NoBackend> {
        let r = Recorder::default();
        let lease = r.pick()?;
        assert_eq!(lease.id(), BackendId(7));
        lease.finish();
        assert_eq!(released(&r), [(BackendId(7), Outcome::Completed)]);

        let r = Recorder::default();
        drop(r.pick()?);
        assert_eq!(released(&r), [(BackendId(7), Outcome::Abandoned)]);

        let r = Recorder::default();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _lease = r.pick();
            panic!("the request failed");
        }));
        assert!(unwound.is_err());
        assert_eq!(released(&r), [(BackendId(7), Outcome::Abandoned)]);
        Ok(())
    }

    #[test]
    fn messages_read_well() {
        assert_eq!(BackendId(3).to_string(), "b3");
        assert_eq!(NoBackend::AllDown.to_string(), "no backend: every backend is down");
        assert_eq!(Backend::weighted(2, 5), Backend { id: BackendId(2), weight: 5 });
    }
}
