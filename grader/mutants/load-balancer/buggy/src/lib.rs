//! The load-balancer reference, with one piece swapped for a classic mistake
//! by each Cargo feature. With no feature this crate *is* the reference; with
//! one, everything but the broken piece still is, so the grader's tests can
//! check that the stage teaching that mistake, and no earlier one, rejects it.
//!
//! The broken pieces are small on purpose: a wrapper around the reference
//! where the mistake is a wrong decision (`lc-leak-on-panic`,
//! `ring-no-vnodes`, `ring-process-seed`, `mark-unknown-sticks`), a short
//! plain type where the mistake is inside the algorithm (round-robin with a
//! racy counter or a careless skip, naive weighted round-robin, modulo
//! hashing, a smooth schedule that keeps its scores across a health change or
//! sums weights in 32 bits, counts that `fetch_sub` below zero, P2C's second
//! draw among `n − 1` with one backend, jump hash through an `i32`).

use std::collections::HashSet;
use std::hash::{BuildHasher, DefaultHasher, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock, RwLock};

use contracts::load_balancer::{Backend, BackendId, Lease, NoBackend, Outcome, Picker, Ring};

#[cfg(not(feature = "jump-i32-buckets"))]
pub use load_balancer_solution::jump_hash;
#[cfg(feature = "jump-i32-buckets")]
pub use plain::jump_hash;

#[cfg(not(feature = "p2c-n-minus-1"))]
pub use load_balancer_solution::PowerOfTwo;
#[cfg(feature = "p2c-n-minus-1")]
pub use plain::Counting as PowerOfTwo;

#[cfg(not(any(
    feature = "rr-racy-counter",
    feature = "picks-down-backend",
    feature = "mark-unknown-sticks",
    feature = "rr-rebuild-per-pick"
)))]
pub use load_balancer_solution::RoundRobin;
#[cfg(any(feature = "rr-racy-counter", feature = "picks-down-backend", feature = "rr-rebuild-per-pick"))]
pub use plain::RoundRobin;
#[cfg(feature = "mark-unknown-sticks")]
pub use wrapped::StickyMarks as RoundRobin;

#[cfg(not(any(feature = "wrr-bursts", feature = "wrr-mark-no-restart", feature = "wrr-u32-total")))]
pub use load_balancer_solution::SmoothWeighted;
#[cfg(feature = "wrr-bursts")]
pub use plain::NaiveWeighted as SmoothWeighted;
#[cfg(any(feature = "wrr-mark-no-restart", feature = "wrr-u32-total"))]
pub use plain::Smooth as SmoothWeighted;

#[cfg(not(any(feature = "lc-leak-on-panic", feature = "lc-fetch-sub")))]
pub use load_balancer_solution::LeastConnections;
#[cfg(feature = "lc-leak-on-panic")]
pub use wrapped::LeakyLeastConnections as LeastConnections;
#[cfg(feature = "lc-fetch-sub")]
pub use plain::Counting as LeastConnections;

#[cfg(not(any(feature = "ring-no-vnodes", feature = "ring-modulo", feature = "ring-process-seed")))]
pub use load_balancer_solution::HashRing;
#[cfg(feature = "ring-modulo")]
pub use plain::ModuloRing as HashRing;
#[cfg(feature = "ring-no-vnodes")]
pub use wrapped::SinglePointRing as HashRing;
#[cfg(feature = "ring-process-seed")]
pub use wrapped::ProcessSeededRing as HashRing;

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
    /// With `rr-rebuild-per-pick` it is correct, only slow: it collects the
    /// up backends into a new `Vec` on every pick. That one is not a mistake
    /// the suite should reject: it shows that the speed grade passes a plain
    /// correct design, every time.
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
            // Health belongs to the ids that stay.
            list.down.retain(|id| backends.iter().any(|b| b.id == *id));
        }

        fn mark_down(&self, id: BackendId) {
            let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
            if list.backends.iter().any(|b| b.id == id) {
                list.down.insert(id);
            }
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
            if cfg!(feature = "rr-rebuild-per-pick") {
                // Correct: one atomic turn over the up list (rebuilt above).
                let turn = self.next.fetch_add(1, Relaxed);
                return Ok(Lease::new(up[turn % up.len()].id, self));
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

    /// One backend of a counting picker.
    #[derive(Debug)]
    struct Slot {
        id: BackendId,
        up: bool,
        count: AtomicUsize,
    }

    /// A counting picker: least-connections (`lc-fetch-sub`: its release is
    /// a plain `fetch_sub`) or power of two choices (`p2c-n-minus-1`: no
    /// case for a single up backend).
    #[derive(Debug)]
    pub struct Counting {
        slots: RwLock<Vec<Slot>>,
        cursor: AtomicUsize,
        rng: AtomicU64,
    }

    impl Counting {
        fn random(&self) -> u64 {
            let mut z = self.rng.fetch_add(0x9E37_79B9_7F4A_7C15, Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn set_up(&self, id: BackendId, up: bool) {
            let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = slots.iter_mut().find(|s| s.id == id) {
                s.up = up;
            }
        }
    }

    impl Picker for Counting {
        fn new(backends: &[Backend], seed: u64) -> Self {
            let slots = backends.iter().map(|b| Slot { id: b.id, up: true, count: AtomicUsize::new(0) }).collect();
            Counting { slots: RwLock::new(slots), cursor: AtomicUsize::new(0), rng: AtomicU64::new(seed) }
        }

        fn set_backends(&self, backends: &[Backend]) {
            let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
            let fresh = backends
                .iter()
                .map(|b| {
                    let old = slots.iter().find(|s| s.id == b.id);
                    let (up, n) = old.map_or((true, 0), |s| (s.up, s.count.load(Relaxed)));
                    Slot { id: b.id, up, count: AtomicUsize::new(n) }
                })
                .collect();
            *slots = fresh;
        }

        fn mark_down(&self, id: BackendId) {
            self.set_up(id, false);
        }

        fn mark_up(&self, id: BackendId) {
            self.set_up(id, true);
        }

        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            let slots = self.slots.read().unwrap_or_else(|p| p.into_inner());
            let none = if slots.is_empty() { NoBackend::Empty } else { NoBackend::AllDown };
            let n = slots.iter().filter(|s| s.up).count();
            if n == 0 {
                return Err(none);
            }
            let load = |i: usize| slots[i].count.load(Relaxed);
            let chosen = if cfg!(feature = "p2c-n-minus-1") {
                let up: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].up).collect();
                let r = self.random();
                let a = ((r >> 32) % n as u64) as usize;
                // MISTAKE (p2c-n-minus-1): the second candidate among the
                // n − 1 others, with no case for n = 1: `% 0` panics.
                let mut b = ((r & 0xFFFF_FFFF) % (n as u64 - 1)) as usize;
                if b >= a {
                    b += 1;
                }
                if load(up[b]) < load(up[a]) { up[b] } else { up[a] }
            } else {
                let len = slots.len();
                let start = self.cursor.load(Relaxed) % len;
                let mut best: Option<usize> = None;
                for i in (start..len).chain(0..start) {
                    if slots[i].up && best.is_none_or(|b| load(i) < load(b)) {
                        best = Some(i);
                    }
                }
                let i = best.ok_or(none)?;
                self.cursor.store(i + 1, Relaxed);
                i
            };
            slots[chosen].count.fetch_add(1, Relaxed);
            Ok(Lease::new(slots[chosen].id, self))
        }

        fn release(&self, id: BackendId, _outcome: Outcome) {
            let slots = self.slots.read().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = slots.iter().find(|s| s.id == id) {
                if cfg!(feature = "lc-fetch-sub") {
                    // MISTAKE (lc-fetch-sub): a lease taken before its backend
                    // left and came back takes the new, idle count from 0 to
                    // 2^64 − 1.
                    s.count.fetch_sub(1, Relaxed);
                } else {
                    let _ = s.count.fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1));
                }
            }
        }

        fn in_flight(&self, id: BackendId) -> usize {
            let slots = self.slots.read().unwrap_or_else(|p| p.into_inner());
            slots.iter().find(|s| s.id == id).map_or(0, |s| s.count.load(Relaxed))
        }
    }

    /// nginx's smooth weighted round-robin, with one of two mistakes: scores
    /// kept across a health change (`wrr-mark-no-restart`), or the total
    /// weight summed in a `u32`, which wraps at the largest weights
    /// (`wrr-u32-total`).
    #[derive(Debug)]
    pub struct Smooth {
        /// Each backend, whether it is up, and its score.
        state: Mutex<Vec<(Backend, bool, i64)>>,
    }

    impl Smooth {
        fn set_up(&self, id: BackendId, up: bool) {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(slot) = state.iter_mut().find(|s| s.0.id == id && s.1 != up) {
                slot.1 = up;
                // MISTAKE (wrr-mark-no-restart): the scores of the old
                // schedule are kept.
                if !cfg!(feature = "wrr-mark-no-restart") {
                    state.iter_mut().for_each(|s| s.2 = 0);
                }
            }
        }
    }

    impl Picker for Smooth {
        fn new(backends: &[Backend], seed: u64) -> Self {
            let this = Smooth { state: Mutex::new(Vec::new()) };
            this.set_backends(backends);
            let _ = seed;
            this
        }

        fn set_backends(&self, backends: &[Backend]) {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let fresh = backends.iter().map(|b| (*b, state.iter().find(|s| s.0.id == b.id).is_none_or(|s| s.1), 0)).collect();
            *state = fresh;
        }

        fn mark_down(&self, id: BackendId) {
            self.set_up(id, false);
        }

        fn mark_up(&self, id: BackendId) {
            self.set_up(id, true);
        }

        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let total: i64 = if cfg!(feature = "wrr-u32-total") {
                // MISTAKE (wrr-u32-total): a u32 sum wraps past 2^32 − 1.
                i64::from(state.iter().filter(|s| s.1).fold(0u32, |t, s| t.wrapping_add(s.0.weight)))
            } else {
                state.iter().filter(|s| s.1).map(|s| i64::from(s.0.weight)).sum()
            };
            let mut best: Option<usize> = None;
            for i in 0..state.len() {
                if state[i].1 {
                    state[i].2 += i64::from(state[i].0.weight);
                    if best.is_none_or(|b| state[i].2 > state[b].2) {
                        best = Some(i);
                    }
                }
            }
            let Some(i) = best else {
                return Err(if state.is_empty() { NoBackend::Empty } else { NoBackend::AllDown });
            };
            state[i].2 -= total;
            let id = state[i].0.id;
            drop(state);
            Ok(Lease::new(id, self))
        }
    }

    /// Jump hash with the bucket count passed through an `i32`
    /// (`jump-i32-buckets`): from 2^31 buckets up it is negative, the loop
    /// never runs, and the answer is out of range.
    pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
        // MISTAKE: a narrowing cast.
        let n = buckets as i32;
        let (mut b, mut j): (i64, i64) = (-1, 0);
        while j < i64::from(n) {
            b = j;
            key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
            j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
        }
        b as u32
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

    /// Round-robin that remembers every id ever marked down, in a set apart
    /// from the list, and applies it to every new list: a mark of an id not
    /// in the list takes effect when that id joins, and a backend that left
    /// while down comes back down (`mark-unknown-sticks`).
    #[derive(Debug)]
    pub struct StickyMarks {
        inner: load_balancer_solution::RoundRobin,
        down: Mutex<HashSet<BackendId>>,
    }

    impl Picker for StickyMarks {
        fn new(backends: &[Backend], seed: u64) -> Self {
            StickyMarks { inner: load_balancer_solution::RoundRobin::new(backends, seed), down: Mutex::new(HashSet::new()) }
        }

        fn set_backends(&self, backends: &[Backend]) {
            let down = self.down.lock().unwrap_or_else(|p| p.into_inner());
            self.inner.set_backends(backends);
            // MISTAKE: marks are remembered by id forever, in or out of the list.
            for &id in down.iter() {
                self.inner.mark_down(id);
            }
        }

        fn mark_down(&self, id: BackendId) {
            self.down.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
            self.inner.mark_down(id);
        }

        fn mark_up(&self, id: BackendId) {
            self.down.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            self.inner.mark_up(id);
        }

        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            self.inner.pick()
        }
    }

    /// The reference ring, with every key salted by a seed drawn once per
    /// process: two rings in one process agree, two processes do not
    /// (`ring-process-seed`).
    #[derive(Debug)]
    pub struct ProcessSeededRing(load_balancer_solution::HashRing);

    /// MISTAKE: a seed drawn at random once per process.
    fn process_seed() -> u64 {
        static SEED: OnceLock<u64> = OnceLock::new();
        *SEED.get_or_init(|| RandomState::new().hash_one(0u8))
    }

    impl Ring for ProcessSeededRing {
        fn new(vnodes: u32) -> Self {
            ProcessSeededRing(load_balancer_solution::HashRing::new(vnodes))
        }

        fn add(&mut self, node: BackendId) {
            self.0.add(node);
        }

        fn remove(&mut self, node: BackendId) {
            self.0.remove(node);
        }

        fn node_for(&self, key: &[u8]) -> Option<BackendId> {
            let mut salted = process_seed().to_le_bytes().to_vec();
            salted.extend_from_slice(key);
            self.0.node_for(&salted)
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
