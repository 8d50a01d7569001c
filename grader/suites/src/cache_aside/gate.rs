//! The suite's database: a [`Store`] that counts its calls, fails on demand,
//! and holds a call on a *gate* until the suite opens it, so that the races
//! of the lesson are driven step by step, the same way on every run, with no
//! sleeps.
//!
//! A held `load` reads the value when it is called (the database answered)
//! and then waits at the gate (the answer is slow to arrive). A held `save`
//! applies the value and then waits (the database has it, the caller does
//! not know yet).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use contracts::cache_aside::{FrontConfig, Store, StoreError};

/// Which store call a gate holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Load,
    Save,
}

/// A gate: calls of `op` on `key` that arrive while it is closed wait there
/// (the first `capture` of them; later ones pass).
#[derive(Debug)]
struct Gate {
    op: Op,
    key: u64,
    capture: usize,
    arrived: usize,
    open: bool,
}

#[derive(Debug, Default)]
struct State {
    values: HashMap<u64, u64>,
    loads: HashMap<u64, u64>,
    fail_loads: HashMap<u64, u32>,
    fail_saves: HashMap<u64, u32>,
    gates: Vec<Gate>,
}

/// A gate's handle, from [`GatedStore::hold`].
#[derive(Debug, Clone, Copy)]
pub(super) struct GateId(usize);

/// The message of the errors the store makes up.
pub(super) const LOAD_ERROR: &str = "the database timed out (the suite's store failed this load on purpose)";

pub(super) const SAVE_ERROR: &str = "the database refused the write (the suite's store failed this save on purpose)";

/// The suite's store: values in a map, every call counted.
#[derive(Debug, Default)]
pub(super) struct GatedStore {
    state: Mutex<State>,
    changed: Condvar,
}

impl GatedStore {
    pub(super) fn new() -> Arc<GatedStore> {
        Arc::new(GatedStore::default())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets a value directly (not counted as a save).
    pub(super) fn set(&self, key: u64, value: Option<u64>) {
        let mut st = self.lock();
        match value {
            Some(v) => st.values.insert(key, v),
            None => st.values.remove(&key),
        };
    }

    /// What the store holds for `key`.
    pub(super) fn value(&self, key: u64) -> Option<u64> {
        self.lock().values.get(&key).copied()
    }

    /// Loads of `key` so far.
    pub(super) fn loads_of(&self, key: u64) -> u64 {
        self.lock().loads.get(&key).copied().unwrap_or(0)
    }

    /// The next `n` loads of `key` fail with [`LOAD_ERROR`].
    pub(super) fn fail_loads(&self, key: u64, n: u32) {
        self.lock().fail_loads.insert(key, n);
    }

    /// The next `n` saves of `key` fail with [`SAVE_ERROR`] (and change nothing).
    pub(super) fn fail_saves(&self, key: u64, n: u32) {
        self.lock().fail_saves.insert(key, n);
    }

    /// A closed gate that holds the next `capture` calls of `op` on `key`.
    pub(super) fn hold(&self, op: Op, key: u64, capture: usize) -> GateId {
        let mut st = self.lock();
        st.gates.push(Gate { op, key, capture, arrived: 0, open: false });
        GateId(st.gates.len() - 1)
    }

    /// Calls that arrived at the gate so far (waiting, or let through since).
    pub(super) fn arrived(&self, gate: GateId) -> usize {
        self.lock().gates[gate.0].arrived
    }

    /// Waits until `n` calls arrived at the gate, for at most `limit`, or
    /// until `gone()` says the caller that should arrive has ended (a panic,
    /// a `todo!()`). A watchdog for an implementation that never makes the
    /// call, not a way to synchronise: a correct one arrives at once. `false`
    /// if they did not arrive.
    pub(super) fn wait_arrived(&self, gate: GateId, n: usize, limit: Duration, gone: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut st = self.lock();
        while st.gates[gate.0].arrived < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || gone() {
                return false;
            }
            let slice = left.min(Duration::from_millis(10));
            st = self.changed.wait_timeout(st, slice).unwrap_or_else(|p| p.into_inner()).0;
        }
        true
    }

    /// Opens the gate: every call waiting there goes on, and later ones pass.
    pub(super) fn open(&self, gate: GateId) {
        self.lock().gates[gate.0].open = true;
        self.changed.notify_all();
    }

    /// Opens every gate (the end of a check, so that no thread stays blocked).
    pub(super) fn open_all(&self) {
        for g in &mut self.lock().gates {
            g.open = true;
        }
        self.changed.notify_all();
    }

    /// If a closed gate captures this call, waits there until it opens.
    fn pass_gates<'a>(&'a self, mut st: MutexGuard<'a, State>, op: Op, key: u64) -> MutexGuard<'a, State> {
        let Some(i) = st.gates.iter().position(|g| g.op == op && g.key == key && !g.open && g.arrived < g.capture)
        else {
            return st;
        };
        st.gates[i].arrived += 1;
        self.changed.notify_all();
        while !st.gates[i].open {
            st = self.changed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        st
    }
}

impl Store for GatedStore {
    fn load(&self, key: u64) -> Result<Option<u64>, StoreError> {
        let mut st = self.lock();
        *st.loads.entry(key).or_insert(0) += 1;
        let answer = match st.fail_loads.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                Err(StoreError::new(LOAD_ERROR))
            }
            _ => Ok(st.values.get(&key).copied()),
        };
        // The database answered; the answer is slow to arrive.
        drop(self.pass_gates(st, Op::Load, key));
        answer
    }

    fn save(&self, key: u64, value: Option<u64>) -> Result<(), StoreError> {
        let mut st = self.lock();
        let answer = match st.fail_saves.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                Err(StoreError::new(SAVE_ERROR))
            }
            _ => {
                match value {
                    Some(v) => st.values.insert(key, v),
                    None => st.values.remove(&key),
                };
                Ok(())
            }
        };
        drop(self.pass_gates(st, Op::Save, key));
        answer
    }
}

/// Runs `f` on a thread of its own and waits for its answer for at most
/// `limit`: `Err(handle)` when it has not answered by then (the caller opens
/// the gate that holds it, then joins). A watchdog, not a synchronisation: a
/// correct implementation answers at once.
pub(super) fn within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, std::thread::JoinHandle<T>> {
    let done = Arc::new((Mutex::new(false), Condvar::new()));
    let signal = Arc::clone(&done);
    let handle = std::thread::spawn(move || {
        // Flag the end even if `f` panics, so the wait below ends at once.
        struct Flag(Arc<(Mutex<bool>, Condvar)>);
        impl Drop for Flag {
            fn drop(&mut self) {
                *self.0.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
                self.0.1.notify_all();
            }
        }
        let _flag = Flag(signal);
        f()
    });
    let deadline = Instant::now() + limit;
    let (lock, cv) = &*done;
    let mut finished = lock.lock().unwrap_or_else(|p| p.into_inner());
    while !*finished {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(handle);
        }
        finished = cv.wait_timeout(finished, left).unwrap_or_else(|p| p.into_inner()).0;
    }
    drop(finished);
    Ok(join(handle))
}

/// Joins a thread, passing its panic on (a `todo!()` in it then reads "not
/// implemented", any other panic as the learner's).
pub(super) fn join<T>(handle: std::thread::JoinHandle<T>) -> T {
    match handle.join() {
        Ok(t) => t,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// How long a watchdog waits for a call that a correct implementation makes
/// at once.
pub(super) const WATCHDOG: Duration = Duration::from_secs(5);

/// A front configuration (the suite's shorthand; seed 7).
pub(super) fn config(
    capacity: usize,
    ttl: u64,
    jitter: u64,
    negative_ttl: u64,
    negative_capacity: usize,
) -> FrontConfig {
    FrontConfig { capacity, ttl, jitter, negative_ttl, negative_capacity, seed: 7 }
}

/// An answer of a front, as failure messages write it.
pub(super) fn shown(answer: &Result<Option<u64>, StoreError>) -> String {
    match answer {
        Ok(Some(v)) => format!("Ok(Some({v}))"),
        Ok(None) => "Ok(None)".into(),
        Err(e) => format!("Err({e})"),
    }
}
