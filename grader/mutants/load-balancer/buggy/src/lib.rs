//! The load-balancer reference, with one piece swapped for a classic mistake
//! by each Cargo feature. With no feature this crate *is* the reference; with
//! one, everything but the broken piece still is, so the grader's tests can
//! check that the stage teaching that mistake, and no earlier one, rejects it.
//!
//! The broken pieces are small on purpose: a wrapper around the reference
//! where the mistake is a wrong decision (`lc-leak-on-panic`,
//! `ring-no-vnodes`), a short plain type where the mistake is the algorithm
//! itself (round-robin with a racy counter or a careless skip, naive weighted
//! round-robin, modulo hashing).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, RwLock};

use contracts::load_balancer::{Backend, BackendId, Lease, NoBackend, Outcome, Picker, Ring};

pub use load_balancer_solution::{PowerOfTwo, jump_hash};

#[cfg(not(any(feature = "rr-racy-counter", feature = "picks-down-backend")))]
pub use load_balancer_solution::RoundRobin;
#[cfg(any(feature = "rr-racy-counter", feature = "picks-down-backend"))]
pub use plain::RoundRobin;

#[cfg(not(feature = "wrr-bursts"))]
pub use load_balancer_solution::SmoothWeighted;
#[cfg(feature = "wrr-bursts")]
pub use plain::NaiveWeighted as SmoothWeighted;

#[cfg(not(feature = "lc-leak-on-panic"))]
pub use load_balancer_solution::LeastConnections;
#[cfg(feature = "lc-leak-on-panic")]
pub use wrapped::LeakyLeastConnections as LeastConnections;

#[cfg(not(any(feature = "ring-no-vnodes", feature = "ring-modulo")))]
pub use load_balancer_solution::HashRing;
#[cfg(feature = "ring-modulo")]
pub use plain::ModuloRing as HashRing;
#[cfg(feature = "ring-no-vnodes")]
pub use wrapped::SinglePointRing as HashRing;

/// A backend list and the set of ids marked down, for the plain pickers.
#[derive(Debug, Default)]
struct List {
    backends: Vec<Backend>,
    down: HashSet<BackendId>,
}

impl List {
    fn up(&self) -> Vec<Backend> {
        self.backends.iter().filter(|b| !self.down.contains(&b.id)).copied().collect()
    }

    fn none(&self) -> NoBackend {
        if self.backends.is_empty() { NoBackend::Empty } else { NoBackend::AllDown }
    }
}

pub mod plain {
    //! Short stand-alone pickers whose algorithm is the mistake.

    use super::*;

    /// Round-robin that takes its turn in two steps (`rr-racy-counter`) or
    /// skips a down backend without checking the next (`picks-down-backend`).
    #[derive(Debug)]
    pub struct RoundRobin {
        list: RwLock<List>,
        next: AtomicUsize,
    }

    impl Picker for RoundRobin {
        fn new(backends: &[Backend], _seed: u64) -> Self {
            RoundRobin {
                list: RwLock::new(List { backends: backends.to_vec(), down: HashSet::new() }),
                next: AtomicUsize::new(0),
            }
        }

        fn set_backends(&self, backends: &[Backend]) {
            let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
            list.backends = backends.to_vec();
        }

        fn mark_down(&self, id: BackendId) {
            self.list.write().unwrap_or_else(|p| p.into_inner()).down.insert(id);
        }

        fn mark_up(&self, id: BackendId) {
            self.list.write().unwrap_or_else(|p| p.into_inner()).down.remove(&id);
        }

        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            let list = self.list.read().unwrap_or_else(|p| p.into_inner());
            let up = list.up();
            if up.is_empty() {
                return Err(list.none());
            }
            if cfg!(feature = "picks-down-backend") {
                // MISTAKE: cycle over the whole list; on a down backend take
                // the next one without checking it.
                let all = &list.backends;
                let mut i = self.next.fetch_add(1, Relaxed) % all.len();
                if list.down.contains(&all[i].id) {
                    i = (i + 1) % all.len();
                }
                return Ok(Lease::new(all[i].id, self));
            }
            // MISTAKE (rr-racy-counter): a load and a store, two steps;
            // another thread can take the same turn in between.
            let turn = self.next.load(Relaxed);
            self.next.store(turn.wrapping_add(1), Relaxed);
            Ok(Lease::new(up[turn % up.len()].id, self))
        }
    }

    /// Weighted round-robin that gives each backend `weight` picks in a row:
    /// exact shares, in bursts (`wrr-bursts`).
    #[derive(Debug)]
    pub struct NaiveWeighted {
        state: Mutex<(List, u64)>,
    }

    impl NaiveWeighted {
        fn with<R>(&self, f: impl FnOnce(&mut List, &mut u64) -> R) -> R {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let (list, position) = &mut *state;
            f(list, position)
        }
    }

    impl Picker for NaiveWeighted {
        fn new(backends: &[Backend], _seed: u64) -> Self {
            NaiveWeighted { state: Mutex::new((List { backends: backends.to_vec(), down: HashSet::new() }, 0)) }
        }

        fn set_backends(&self, backends: &[Backend]) {
            self.with(|list, position| {
                list.backends = backends.to_vec();
                *position = 0;
            });
        }

        fn mark_down(&self, id: BackendId) {
            self.with(|list, position| {
                list.down.insert(id);
                *position = 0;
            });
        }

        fn mark_up(&self, id: BackendId) {
            self.with(|list, position| {
                list.down.remove(&id);
                *position = 0;
            });
        }

        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            let id = self.with(|list, position| {
                let up = list.up();
                let total: u64 = up.iter().map(|b| u64::from(b.weight)).sum();
                if total == 0 {
                    return Err(list.none());
                }
                let mut at = *position % total;
                *position += 1;
                for b in &up {
                    if at < u64::from(b.weight) {
                        return Ok(b.id);
                    }
                    at -= u64::from(b.weight);
                }
                Err(list.none())
            })?;
            Ok(Lease::new(id, self))
        }
    }

    /// "Consistent" hashing as `hash(key) % n` over the sorted nodes:
    /// balanced, but growing from n to n+1 nodes moves n/(n+1) of the keys
    /// (`ring-modulo`).
    #[derive(Debug, Default)]
    pub struct ModuloRing {
        nodes: Vec<BackendId>,
    }

    impl Ring for ModuloRing {
        fn new(_vnodes: u32) -> Self {
            ModuloRing::default()
        }

        fn add(&mut self, node: BackendId) {
            if let Err(at) = self.nodes.binary_search(&node) {
                self.nodes.insert(at, node);
            }
        }

        fn remove(&mut self, node: BackendId) {
            self.nodes.retain(|&n| n != node);
        }

        fn node_for(&self, key: &[u8]) -> Option<BackendId> {
            if self.nodes.is_empty() {
                return None;
            }
            let mut h = DefaultHasher::new();
            key.hash(&mut h);
            self.nodes.get((h.finish() % self.nodes.len() as u64) as usize).copied()
        }
    }
}

pub mod wrapped {
    //! The reference, with one decision changed from the outside.

    use super::*;

    /// Least-connections that gives a request's count back only when it
    /// completed: an abandoned request (error, panic, cancellation) leaks it
    /// (`lc-leak-on-panic`).
    #[derive(Debug)]
    pub struct LeakyLeastConnections(load_balancer_solution::LeastConnections);

    impl Picker for LeakyLeastConnections {
        fn new(backends: &[Backend], seed: u64) -> Self {
            LeakyLeastConnections(load_balancer_solution::LeastConnections::new(backends, seed))
        }

        fn set_backends(&self, backends: &[Backend]) {
            self.0.set_backends(backends);
        }

        fn mark_down(&self, id: BackendId) {
            self.0.mark_down(id);
        }

        fn mark_up(&self, id: BackendId) {
            self.0.mark_up(id);
        }

        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            let inner = self.0.pick()?;
            let id = inner.id();
            // The reference's own lease would release on drop: take it over.
            std::mem::forget(inner);
            Ok(Lease::new(id, self))
        }

        fn release(&self, id: BackendId, outcome: Outcome) {
            // MISTAKE: the decrement happens only after the work completed.
            if outcome == Outcome::Completed {
                self.0.release(id, outcome);
            }
        }

        fn in_flight(&self, id: BackendId) -> usize {
            self.0.in_flight(id)
        }
    }

    /// A ring with one point per node, whatever `vnodes` says: shares vary
    /// by about 100% (`ring-no-vnodes`).
    #[derive(Debug)]
    pub struct SinglePointRing(load_balancer_solution::HashRing);

    impl Ring for SinglePointRing {
        fn new(_vnodes: u32) -> Self {
            // MISTAKE: virtual nodes ignored.
            SinglePointRing(load_balancer_solution::HashRing::new(1))
        }

        fn add(&mut self, node: BackendId) {
            self.0.add(node);
        }

        fn remove(&mut self, node: BackendId) {
            self.0.remove(node);
        }

        fn node_for(&self, key: &[u8]) -> Option<BackendId> {
            self.0.node_for(key)
        }
    }
}
