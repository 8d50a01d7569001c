//! The plain idiomatic caches the benchmarks grade speed against.
//!
//! This is the yardstick of the `benchmarks` stage: correct, and written the
//! way a careful engineer writes it the first time, with `std` collections
//! and nothing tuned. The LRU is a `HashMap` plus two `BTreeMap`s (recency
//! by a tick, expiry by instant); the LFU a `HashMap` plus a `BTreeMap`
//! ordered by (count, tick); the admission policy a plain S3-FIFO
//! (`VecDeque`s and a ghost set); the front one `Mutex` around the whole
//! state and one `Condvar` for the threads waiting on a load. A learner's
//! code passes the speed figures when it is at least
//! [`SPEED_THRESHOLD`](crate::bench::SPEED_THRESHOLD) times as fast as this;
//! the tuned reference is shown beside it as a stretch goal, not graded.
//!
//! It passes every stage of the suite (the `control` crate in
//! `grader/mutants/cache-aside` re-exports it, and the project's tests grade
//! it like any learner's crate).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use contracts::cache_aside::{CacheAside, FrontConfig, Nanos, Policy, Store, StoreError, TtlLru};

/// One stored entry of [`LruCache`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    value: u64,
    expires: Nanos,
    tick: u64,
}

/// LRU with TTL: a `HashMap` of entries, a `BTreeMap` from tick to key
/// (oldest first), a `BTreeMap` from (expiry, tick) to key (soonest first).
#[derive(Debug, Default)]
pub struct LruCache {
    capacity: usize,
    entries: HashMap<u64, Entry>,
    by_tick: BTreeMap<u64, u64>,
    by_expiry: BTreeMap<(Nanos, u64), u64>,
    tick: u64,
}

impl LruCache {
    fn unlink(&mut self, key: u64) -> Option<Entry> {
        let e = self.entries.remove(&key)?;
        self.by_tick.remove(&e.tick);
        self.by_expiry.remove(&(e.expires, e.tick));
        Some(e)
    }

    fn link(&mut self, key: u64, value: u64, expires: Nanos) {
        self.tick += 1;
        let e = Entry { value, expires, tick: self.tick };
        self.entries.insert(key, e);
        self.by_tick.insert(e.tick, key);
        self.by_expiry.insert((e.expires, e.tick), key);
    }
}

impl TtlLru for LruCache {
    fn new(capacity: usize) -> Self {
        LruCache { capacity, ..LruCache::default() }
    }

    fn get(&mut self, key: u64, now: Nanos) -> Option<u64> {
        let e = *self.entries.get(&key)?;
        if now >= e.expires {
            return None;
        }
        // A hit becomes the most recent: a new tick.
        self.unlink(key);
        self.link(key, e.value, e.expires);
        Some(e.value)
    }

    fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos) -> Option<u64> {
        let expires = now + ttl;
        if self.unlink(key).is_some() {
            self.link(key, value, expires);
            return None;
        }
        let mut evicted = None;
        if self.entries.len() >= self.capacity {
            // The soonest expiry, if it has passed; else the least recent.
            let victim = match self.by_expiry.first_key_value() {
                Some((&(at, _), &k)) if at <= now => Some(k),
                _ => self.by_tick.first_key_value().map(|(_, &k)| k),
            };
            if let Some(k) = victim {
                self.unlink(k);
                evicted = Some(k);
            }
        }
        self.link(key, value, expires);
        evicted
    }

    fn remove(&mut self, key: u64, now: Nanos) -> Option<u64> {
        let e = self.unlink(key)?;
        (now < e.expires).then_some(e.value)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// LFU: a `HashMap` of (value, count, tick) and a `BTreeMap` ordered by
/// (count, tick): the first entry is the one to evict.
#[derive(Debug, Default)]
pub struct Lfu {
    capacity: usize,
    entries: HashMap<u64, (u64, u64, u64)>,
    order: BTreeMap<(u64, u64), u64>,
    tick: u64,
}

impl Lfu {
    fn used(&mut self, key: u64, value: Option<u64>) -> Option<u64> {
        let (v, count, tick) = self.entries.get_mut(&key)?;
        self.order.remove(&(*count, *tick));
        self.tick += 1;
        *count += 1;
        *tick = self.tick;
        if let Some(new) = value {
            *v = new;
        }
        self.order.insert((*count, *tick), key);
        Some(*v)
    }
}

impl Policy for Lfu {
    fn new(capacity: usize) -> Self {
        Lfu { capacity, ..Lfu::default() }
    }

    fn get(&mut self, key: u64) -> Option<u64> {
        self.used(key, None)
    }

    fn put(&mut self, key: u64, value: u64) -> Option<u64> {
        if self.used(key, Some(value)).is_some() {
            return None;
        }
        let mut evicted = None;
        if self.entries.len() >= self.capacity {
            if let Some((_, k)) = self.order.pop_first() {
                self.entries.remove(&k);
                evicted = Some(k);
            }
        }
        self.tick += 1;
        self.entries.insert(key, (value, 1, self.tick));
        self.order.insert((1, self.tick), key);
        evicted
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// S3-FIFO, plainly: a small FIFO (a tenth of the capacity) where newcomers
/// wait to prove themselves, a main FIFO with a second chance (a count of
/// reads up to 3), and a ghost FIFO of keys recently evicted from the small
/// one, whose return goes straight to main.
#[derive(Debug, Default)]
pub struct Admission {
    capacity: usize,
    small_target: usize,
    /// key → (value, reads since it was last moved, up to 3).
    entries: HashMap<u64, (u64, u8)>,
    small: VecDeque<u64>,
    main: VecDeque<u64>,
    /// Ghost keys in eviction order, each with the number it was remembered
    /// under; a key that came back is dropped from `ghosts` only, and its
    /// stale place in the queue is skipped when it comes out.
    ghost: VecDeque<(u64, u64)>,
    ghosts: HashMap<u64, u64>,
    remembered: u64,
}

impl Admission {
    /// Evicts one key from main: entries read since their last pass get
    /// another round (one read forgotten), the first one unread goes.
    fn evict_main(&mut self) -> Option<u64> {
        while let Some(k) = self.main.pop_front() {
            let Some(e) = self.entries.get_mut(&k) else { continue };
            if e.1 > 0 {
                e.1 -= 1;
                self.main.push_back(k);
            } else {
                self.entries.remove(&k);
                return Some(k);
            }
        }
        None
    }

    /// Evicts one key from the cache: from small while it holds its share
    /// (moving the entries read while there to main), else from main.
    fn evict(&mut self) -> Option<u64> {
        while self.small.len() >= self.small_target || self.main.is_empty() {
            let Some(k) = self.small.pop_front() else { break };
            let Some(e) = self.entries.get_mut(&k) else { continue };
            if e.1 > 0 {
                e.1 = 0;
                self.main.push_back(k);
            } else {
                self.entries.remove(&k);
                self.remember(k);
                return Some(k);
            }
        }
        self.evict_main()
    }

    fn remember(&mut self, key: u64) {
        self.remembered += 1;
        self.ghosts.insert(key, self.remembered);
        self.ghost.push_back((key, self.remembered));
        while self.ghost.len() > self.capacity {
            if let Some((old, n)) = self.ghost.pop_front() {
                if self.ghosts.get(&old) == Some(&n) {
                    self.ghosts.remove(&old);
                }
            }
        }
    }
}

impl Policy for Admission {
    fn new(capacity: usize) -> Self {
        Admission { capacity, small_target: (capacity / 10).max(1), ..Admission::default() }
    }

    fn get(&mut self, key: u64) -> Option<u64> {
        let e = self.entries.get_mut(&key)?;
        e.1 = (e.1 + 1).min(3);
        Some(e.0)
    }

    fn put(&mut self, key: u64, value: u64) -> Option<u64> {
        if let Some(e) = self.entries.get_mut(&key) {
            e.0 = value;
            e.1 = (e.1 + 1).min(3);
            return None;
        }
        let evicted = if self.entries.len() >= self.capacity { self.evict() } else { None };
        if self.ghosts.remove(&key).is_some() {
            self.main.push_back(key);
        } else {
            self.small.push_back(key);
        }
        self.entries.insert(key, (value, 0));
        evicted
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A load in progress, shared by the threads that missed its key.
#[derive(Debug)]
struct Flight {
    /// Threads waiting for the result.
    waiters: usize,
    /// The result, once the load is over.
    result: Option<Result<Option<u64>, StoreError>>,
}

/// The front's state, under one lock.
#[derive(Debug)]
struct State {
    found: LruCache,
    missing: LruCache,
    /// The load in progress for a key, if any: a write removes it, so that
    /// the load's result is not cached (it may be older than the write) and
    /// later gets start a load of their own.
    current: HashMap<u64, u64>,
    flights: HashMap<u64, Flight>,
    next_flight: u64,
}

/// One `Mutex` around the whole state, one `Condvar` for every waiter; the
/// store is called with the lock released.
pub struct Front {
    store: Arc<dyn Store>,
    config: FrontConfig,
    state: Mutex<State>,
    loaded: Condvar,
}

impl Front {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The jitter of `key`: a hash of the seed and the key, in `0..=jitter`.
    fn jitter(&self, key: u64) -> Nanos {
        let mut z = key ^ self.config.seed.rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        z % (self.config.jitter + 1)
    }
}

impl CacheAside for Front {
    fn new(store: Arc<dyn Store>, config: FrontConfig) -> Self {
        let state = State {
            found: LruCache::new(config.capacity),
            missing: LruCache::new(config.negative_capacity),
            current: HashMap::new(),
            flights: HashMap::new(),
            next_flight: 0,
        };
        Front { store, config, state: Mutex::new(state), loaded: Condvar::new() }
    }

    fn get(&self, key: u64, now: Nanos) -> Result<Option<u64>, StoreError> {
        let mut st = self.lock();
        if let Some(v) = st.found.get(key, now) {
            return Ok(Some(v));
        }
        if st.missing.get(key, now).is_some() {
            return Ok(None);
        }
        if let Some(&id) = st.current.get(&key) {
            // Join the load in progress.
            if let Some(f) = st.flights.get_mut(&id) {
                f.waiters += 1;
            }
            loop {
                let Some(f) = st.flights.get_mut(&id) else {
                    return Err(StoreError::new("the load this get waited for vanished"));
                };
                if let Some(result) = f.result.clone() {
                    f.waiters -= 1;
                    if f.waiters == 0 {
                        st.flights.remove(&id);
                    }
                    return result;
                }
                st = self.loaded.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        }
        // Lead a load of our own, with the lock released.
        let id = st.next_flight;
        st.next_flight += 1;
        st.current.insert(key, id);
        st.flights.insert(id, Flight { waiters: 0, result: None });
        drop(st);
        let result = self.store.load(key);
        let mut st = self.lock();
        // Still the current load of the key (no write since it started)?
        if st.current.get(&key) == Some(&id) {
            st.current.remove(&key);
            match result {
                Ok(Some(v)) => {
                    let ttl = self.config.ttl + self.jitter(key);
                    st.found.put(key, v, now, ttl);
                }
                Ok(None) => {
                    st.missing.put(key, 0, now, self.config.negative_ttl);
                }
                Err(_) => {}
            }
        }
        let waiting = st.flights.get(&id).is_some_and(|f| f.waiters > 0);
        if waiting {
            if let Some(f) = st.flights.get_mut(&id) {
                f.result = Some(result.clone());
            }
            self.loaded.notify_all();
        } else {
            st.flights.remove(&id);
        }
        result
    }

    fn write(&self, key: u64, value: Option<u64>, now: Nanos) -> Result<(), StoreError> {
        let saved = self.store.save(key, value);
        let mut st = self.lock();
        st.found.remove(key, now);
        st.missing.remove(key, now);
        st.current.remove(&key);
        saved
    }

    fn len(&self) -> usize {
        self.lock().found.len()
    }

    fn negative_len(&self) -> usize {
        self.lock().missing.len()
    }
}
