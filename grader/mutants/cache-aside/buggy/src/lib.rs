//! The cache-aside reference, with one piece swapped for a classic mistake by
//! each Cargo feature (see `mutants.toml` beside this crate). With no feature
//! this crate *is* the reference; with one, everything but the broken piece
//! still is, so the grader's tests can check that the stage teaching that
//! mistake, and no earlier one, rejects it.
//!
//! The broken pieces are short plain types (`plain`): an LRU over `BTreeMap`s
//! (correct but for the feature's mistake), one over a `Vec` (O(n)), an LFU
//! over a `BTreeSet`, a FIFO, and a one-lock front (and the reference's own
//! LFU, counts never aging, as the admission policy). Each mistake is marked
//! `MISTAKE` where it is made.

#[cfg(not(any(feature = "fifo", feature = "admission-plain-lfu")))]
pub use cache_aside_solution::Admission;
// MISTAKE (admission-plain-lfu): the reference's LFU, whose counts never age,
// as the admission policy: yesterday's hot keys keep their counts forever.
#[cfg(feature = "admission-plain-lfu")]
pub use cache_aside_solution::Lfu as Admission;
#[cfg(feature = "fifo")]
pub use plain::Fifo as Admission;

#[cfg(not(any(
    feature = "lru-no-refresh",
    feature = "ttl-inclusive",
    feature = "ttl-lru-before-expired",
    feature = "lru-linear",
    feature = "lru-walk-for-expired"
)))]
pub use cache_aside_solution::LruCache;
#[cfg(any(
    feature = "lru-no-refresh",
    feature = "ttl-inclusive",
    feature = "ttl-lru-before-expired",
    feature = "lru-walk-for-expired"
))]
pub use plain::Lru as LruCache;
#[cfg(feature = "lru-linear")]
pub use plain::VecLru as LruCache;

#[cfg(not(any(feature = "lfu-insertion-ties", feature = "lfu-put-not-counted", feature = "lfu-linear")))]
pub use cache_aside_solution::Lfu;
#[cfg(any(feature = "lfu-insertion-ties", feature = "lfu-put-not-counted", feature = "lfu-linear"))]
pub use plain::Lfu;

#[cfg(not(any(
    feature = "update-on-write",
    feature = "no-lease",
    feature = "no-single-flight",
    feature = "caches-errors",
    feature = "unbounded-negative",
    feature = "no-jitter",
    feature = "negative-in-main"
)))]
pub use cache_aside_solution::Front;
#[cfg(any(
    feature = "update-on-write",
    feature = "no-lease",
    feature = "no-single-flight",
    feature = "caches-errors",
    feature = "unbounded-negative",
    feature = "no-jitter",
    feature = "negative-in-main"
))]
pub use plain::Front;

#[allow(dead_code)]
mod plain {
    use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
    use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

    use cache_aside_solution::LruCache;
    use contracts::cache_aside::{CacheAside, FrontConfig, Nanos, Policy, Store, StoreError, TtlLru};

    #[derive(Debug, Clone, Copy)]
    struct Entry {
        value: u64,
        expires: Nanos,
        tick: u64,
    }

    /// Is an entry that expires at `expires` alive at `now`?
    fn alive(expires: Nanos, now: Nanos) -> bool {
        if cfg!(feature = "ttl-inclusive") {
            now <= expires // MISTAKE: still returned at now + ttl
        } else {
            now < expires
        }
    }

    /// LRU with TTL over ordered maps: O(log n), correct but for the
    /// feature's mistake.
    #[derive(Debug)]
    pub struct Lru {
        capacity: usize,
        tick: u64,
        entries: HashMap<u64, Entry>,
        by_use: BTreeMap<u64, u64>,
        by_expiry: BTreeSet<(Nanos, u64)>,
    }

    impl Lru {
        fn drop_key(&mut self, key: u64) -> Option<Entry> {
            let e = self.entries.remove(&key)?;
            self.by_use.remove(&e.tick);
            self.by_expiry.remove(&(e.expires, key));
            Some(e)
        }

        fn touch(&mut self, key: u64) {
            self.tick += 1;
            let tick = self.tick;
            if let Some(e) = self.entries.get_mut(&key) {
                self.by_use.remove(&e.tick);
                e.tick = tick;
                self.by_use.insert(tick, key);
            }
        }
    }

    impl TtlLru for Lru {
        fn new(capacity: usize) -> Self {
            Lru { capacity, tick: 0, entries: HashMap::new(), by_use: BTreeMap::new(), by_expiry: BTreeSet::new() }
        }

        fn get(&mut self, key: u64, now: Nanos) -> Option<u64> {
            let e = *self.entries.get(&key)?;
            if !alive(e.expires, now) {
                self.drop_key(key);
                return None;
            }
            if !cfg!(feature = "lru-no-refresh") {
                self.touch(key); // (MISTAKE when skipped: a hit does not make the key recent)
            }
            Some(e.value)
        }

        fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos) -> Option<u64> {
            let expires = now + ttl;
            let mut evicted = None;
            if self.drop_key(key).is_none() && self.entries.len() >= self.capacity {
                let expired = if cfg!(feature = "lru-walk-for-expired") {
                    // MISTAKE (lru-walk-for-expired): walk from the least recent entry until an
                    // expired one turns up; with none expired, it visits every entry, O(n).
                    self.by_use.values().copied().find(|k| !alive(self.entries[k].expires, now))
                } else {
                    self.by_expiry.first().filter(|(at, _)| !alive(*at, now)).map(|&(_, k)| k)
                };
                // MISTAKE (ttl-lru-before-expired): the least recently used goes even when an entry has expired.
                let victim = match expired {
                    Some(k) if !cfg!(feature = "ttl-lru-before-expired") => Some(k),
                    _ => self.by_use.first_key_value().map(|(_, &k)| k),
                };
                if let Some(k) = victim {
                    self.drop_key(k);
                    evicted = Some(k);
                }
            }
            self.tick += 1;
            self.entries.insert(key, Entry { value, expires, tick: self.tick });
            self.by_use.insert(self.tick, key);
            self.by_expiry.insert((expires, key));
            evicted
        }

        fn remove(&mut self, key: u64, now: Nanos) -> Option<u64> {
            self.drop_key(key).filter(|e| alive(e.expires, now)).map(|e| e.value)
        }

        fn len(&self) -> usize {
            self.entries.len()
        }
    }

    /// LRU with TTL in a `Vec`, oldest first. MISTAKE: every call searches
    /// or shifts the whole vector, O(n).
    #[derive(Debug)]
    pub struct VecLru {
        capacity: usize,
        entries: Vec<(u64, u64, Nanos)>,
    }

    impl TtlLru for VecLru {
        fn new(capacity: usize) -> Self {
            VecLru { capacity, entries: Vec::new() }
        }

        fn get(&mut self, key: u64, now: Nanos) -> Option<u64> {
            let i = self.entries.iter().position(|e| e.0 == key)?;
            let e = self.entries.remove(i);
            if now >= e.2 {
                return None;
            }
            self.entries.push(e);
            Some(e.1)
        }

        fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos) -> Option<u64> {
            let mut evicted = None;
            if let Some(i) = self.entries.iter().position(|e| e.0 == key) {
                self.entries.remove(i);
            } else if self.entries.len() >= self.capacity {
                let i = self.entries.iter().position(|e| now >= e.2).unwrap_or(0);
                evicted = Some(self.entries.remove(i).0);
            }
            self.entries.push((key, value, now + ttl));
            evicted
        }

        fn remove(&mut self, key: u64, now: Nanos) -> Option<u64> {
            let i = self.entries.iter().position(|e| e.0 == key)?;
            let e = self.entries.remove(i);
            (now < e.2).then_some(e.1)
        }

        fn len(&self) -> usize {
            self.entries.len()
        }
    }

    /// LFU over a `BTreeSet` of (frequency, last use, key): O(log n),
    /// correct but for the feature's mistake.
    #[derive(Debug)]
    pub struct Lfu {
        capacity: usize,
        tick: u64,
        /// key → (value, frequency, tick)
        entries: HashMap<u64, (u64, u64, u64)>,
        order: BTreeSet<(u64, u64, u64)>,
    }

    impl Lfu {
        /// One more use of `key`: `count` adds to its frequency.
        fn used(&mut self, key: u64, count: bool) {
            self.tick += 1;
            let tick = self.tick;
            if let Some(e) = self.entries.get_mut(&key) {
                self.order.remove(&(e.1, e.2, key));
                if count {
                    e.1 += 1;
                }
                // MISTAKE (lfu-insertion-ties): the tick stays the insertion's, so ties go by age, not recency.
                if !cfg!(feature = "lfu-insertion-ties") {
                    e.2 = tick;
                }
                self.order.insert((e.1, e.2, key));
            }
        }
    }

    impl Policy for Lfu {
        fn new(capacity: usize) -> Self {
            Lfu { capacity, tick: 0, entries: HashMap::new(), order: BTreeSet::new() }
        }

        fn get(&mut self, key: u64) -> Option<u64> {
            let value = self.entries.get(&key)?.0;
            self.used(key, true);
            Some(value)
        }

        fn put(&mut self, key: u64, value: u64) -> Option<u64> {
            if let Some(e) = self.entries.get_mut(&key) {
                e.0 = value;
                // MISTAKE (lfu-put-not-counted): an overwrite is not counted as a use.
                self.used(key, !cfg!(feature = "lfu-put-not-counted"));
                return None;
            }
            let mut evicted = None;
            if self.entries.len() >= self.capacity {
                let victim = if cfg!(feature = "lfu-linear") {
                    // MISTAKE (lfu-linear): a scan of every entry for the least frequent, O(n).
                    self.entries.iter().map(|(&k, e)| (e.1, e.2, k)).min()
                } else {
                    self.order.first().copied()
                };
                if let Some(v) = victim {
                    self.order.remove(&v);
                    self.entries.remove(&v.2);
                    evicted = Some(v.2);
                }
            }
            self.tick += 1;
            self.entries.insert(key, (value, 1, self.tick));
            self.order.insert((1, self.tick, key));
            evicted
        }

        fn len(&self) -> usize {
            self.entries.len()
        }
    }

    /// MISTAKE (fifo): first in, first out; a hit changes nothing, so a hot
    /// key is evicted as soon as it is the oldest.
    #[derive(Debug)]
    pub struct Fifo {
        capacity: usize,
        values: HashMap<u64, u64>,
        order: VecDeque<u64>,
    }

    impl Policy for Fifo {
        fn new(capacity: usize) -> Self {
            Fifo { capacity, values: HashMap::new(), order: VecDeque::new() }
        }

        fn get(&mut self, key: u64) -> Option<u64> {
            self.values.get(&key).copied()
        }

        fn put(&mut self, key: u64, value: u64) -> Option<u64> {
            if let Some(v) = self.values.get_mut(&key) {
                *v = value;
                return None;
            }
            let mut evicted = None;
            if self.values.len() >= self.capacity {
                evicted = self.order.pop_front();
                if let Some(k) = evicted {
                    self.values.remove(&k);
                }
            }
            self.values.insert(key, value);
            self.order.push_back(key);
            evicted
        }

        fn len(&self) -> usize {
            self.values.len()
        }
    }

    type Loaded = Result<Option<u64>, StoreError>;

    struct Flight {
        answer: Mutex<Option<Loaded>>,
        ready: Condvar,
    }

    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The negative space: an LRU of `negative_capacity`, or (MISTAKE,
    /// unbounded-negative) a map that only ever grows.
    enum Negative {
        Bounded(LruCache),
        Unbounded(HashMap<u64, (u64, Nanos)>),
    }

    impl Negative {
        fn get(&mut self, key: u64, now: Nanos) -> Option<u64> {
            match self {
                Negative::Bounded(lru) => lru.get(key, now),
                Negative::Unbounded(map) => map.get(&key).filter(|e| now < e.1).map(|e| e.0),
            }
        }

        fn put(&mut self, key: u64, marker: u64, now: Nanos, ttl: Nanos) {
            match self {
                Negative::Bounded(lru) => {
                    lru.put(key, marker, now, ttl);
                }
                Negative::Unbounded(map) => {
                    map.insert(key, (marker, now + ttl));
                }
            }
        }

        fn remove(&mut self, key: u64, now: Nanos) {
            match self {
                Negative::Bounded(lru) => {
                    lru.remove(key, now);
                }
                Negative::Unbounded(map) => {
                    map.remove(&key);
                }
            }
        }

        fn len(&self) -> usize {
            match self {
                Negative::Bounded(lru) => lru.len(),
                Negative::Unbounded(map) => map.len(),
            }
        }
    }

    /// In the negative space: "not found", or (caches-errors) an error.
    const NOT_FOUND: u64 = 0;
    const ERROR: u64 = 1;
    /// (negative-in-main) "not found", among the found values.
    const PLACEHOLDER: u64 = u64::MAX;

    struct State {
        found: LruCache,
        negative: Negative,
        flights: HashMap<u64, Arc<Flight>>,
    }

    /// A cache-aside front behind one lock, correct but for the feature's
    /// mistake.
    pub struct Front {
        store: Arc<dyn Store>,
        config: FrontConfig,
        state: Mutex<State>,
    }

    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    impl Front {
        fn ttl(&self, key: u64) -> Nanos {
            if cfg!(feature = "no-jitter") {
                return self.config.ttl; // MISTAKE: every key loaded together expires together
            }
            let band = u128::from(self.config.jitter) + 1;
            self.config.ttl + ((u128::from(mix(key ^ mix(self.config.seed))) * band) >> 64) as Nanos
        }

        fn land(&self, key: u64, flight: &Arc<Flight>, now: Nanos, answer: &Loaded) {
            let mut state = lock(&self.state);
            let holds_lease = state.flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, flight));
            if holds_lease {
                state.flights.remove(&key);
            }
            // MISTAKE (no-lease): the answer is cached even if a write came meanwhile.
            if holds_lease || cfg!(feature = "no-lease") {
                match answer {
                    Ok(Some(v)) => {
                        let ttl = self.ttl(key);
                        state.found.put(key, *v, now, ttl);
                    }
                    // MISTAKE (negative-in-main): "not found" stored as a placeholder value among
                    // the found values: it takes their room, and a stored u64::MAX reads as absent.
                    Ok(None) if cfg!(feature = "negative-in-main") => {
                        state.found.put(key, PLACEHOLDER, now, self.config.negative_ttl);
                    }
                    Ok(None) => state.negative.put(key, NOT_FOUND, now, self.config.negative_ttl),
                    // MISTAKE (caches-errors): the error is remembered like an answer.
                    Err(_) if cfg!(feature = "caches-errors") => {
                        state.negative.put(key, ERROR, now, self.config.negative_ttl)
                    }
                    Err(_) => {}
                }
            }
            drop(state);
            *lock(&flight.answer) = Some(answer.clone());
            flight.ready.notify_all();
        }
    }

    impl CacheAside for Front {
        fn new(store: Arc<dyn Store>, config: FrontConfig) -> Self {
            let negative = if cfg!(feature = "unbounded-negative") {
                Negative::Unbounded(HashMap::new())
            } else {
                Negative::Bounded(LruCache::new(config.negative_capacity))
            };
            let state = State { found: LruCache::new(config.capacity), negative, flights: HashMap::new() };
            Front { store, config, state: Mutex::new(state) }
        }

        fn get(&self, key: u64, now: Nanos) -> Result<Option<u64>, StoreError> {
            let flight = {
                let mut state = lock(&self.state);
                if let Some(v) = state.found.get(key, now) {
                    if cfg!(feature = "negative-in-main") && v == PLACEHOLDER {
                        return Ok(None);
                    }
                    return Ok(Some(v));
                }
                match state.negative.get(key, now) {
                    Some(ERROR) => return Err(StoreError::new("a cached error")),
                    Some(_) => return Ok(None),
                    None => {}
                }
                // MISTAKE (no-single-flight): every miss loads for itself.
                if !cfg!(feature = "no-single-flight") {
                    if let Some(f) = state.flights.get(&key) {
                        let f = Arc::clone(f);
                        drop(state);
                        let mut answer = lock(&f.answer);
                        loop {
                            if let Some(a) = answer.as_ref() {
                                return a.clone();
                            }
                            answer = f.ready.wait(answer).unwrap_or_else(PoisonError::into_inner);
                        }
                    }
                }
                let f = Arc::new(Flight { answer: Mutex::new(None), ready: Condvar::new() });
                state.flights.insert(key, Arc::clone(&f));
                f
            };
            let answer = self.store.load(key);
            self.land(key, &flight, now, &answer);
            answer
        }

        fn write(&self, key: u64, value: Option<u64>, now: Nanos) -> Result<(), StoreError> {
            let saved = self.store.save(key, value);
            let mut state = lock(&self.state);
            if cfg!(feature = "update-on-write") {
                // MISTAKE: the new value is put in the cache instead of deleting the key.
                match value {
                    Some(v) => {
                        let ttl = self.ttl(key);
                        state.negative.remove(key, now);
                        state.found.put(key, v, now, ttl);
                    }
                    None => {
                        state.found.remove(key, now);
                        state.negative.put(key, NOT_FOUND, now, self.config.negative_ttl);
                    }
                }
            } else {
                state.found.remove(key, now);
                state.negative.remove(key, now);
            }
            if !cfg!(feature = "no-lease") {
                state.flights.remove(&key);
            }
            saved
        }

        fn len(&self) -> usize {
            lock(&self.state).found.len()
        }

        fn negative_len(&self) -> usize {
            lock(&self.state).negative.len()
        }
    }
}
