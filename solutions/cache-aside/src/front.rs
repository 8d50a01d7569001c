//! [`Front`]: the thread-safe cache-aside front.
//!
//! # Shape
//!
//! The keys are spread over a few **shards** (16 at most), each one `Mutex`
//! around everything that key needs: an [`LruCache`] of found values, a
//! smaller [`LruCache`] of "not found" answers (the negative cache, its own
//! bounded space), and the loads in flight. Threads that touch different
//! shards never wait for each other; a shard's lock is held only for a few
//! map operations, never across a call to the store.
//!
//! # Single flight
//!
//! A miss looks in the shard's `flights` map. If a load of the key is
//! already running, the thread waits on it (a [`Flight`]: a slot for the
//! result and a `Condvar`). If not, the thread becomes the **leader**: it
//! registers a new flight, releases the lock, calls [`Store::load`], and
//! publishes the result to every waiter. A hundred threads missing one key
//! make one load.
//!
//! # The lease
//!
//! The registered flight is also a **lease** on the key (the mechanism
//! Facebook's memcache paper calls leases). A [`CacheAside::write`] saves to
//! the store, then, under the shard's lock, deletes the key's cached entries
//! *and takes its flight out of the map*. That revokes the lease, which does
//! two things:
//!
//! - when the old load finishes, its leader finds that the map no longer
//!   holds *its* flight (`Arc::ptr_eq`), so it does not cache what it read:
//!   the value may predate the write (the stale-set race);
//! - a get that begins after the write finds no flight to join, so it starts
//!   a fresh load, which reads the new value.
//!
//! Waiters already attached to the old flight still get its answer: they
//! began before the write returned, so an old value is a fair answer for
//! them.
//!
//! # Errors and panics
//!
//! An error is handed to every waiter and not cached: the flight leaves the
//! map, and the next miss loads again. If the store panics, the leader's
//! guard still publishes an error on its way out, so waiters never hang.
//!
//! # Jitter
//!
//! A found value lives `ttl + j`, with `j` in `0..=jitter` a hash of the
//! seed and the key (splitmix64's mixer, then a multiply-shift into the
//! band): deterministic, and spread evenly over the band, so that keys loaded
//! together (after a deploy, a flush) do not all expire in the same instant
//! and stampede the store.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use contracts::cache_aside::{CacheAside, FrontConfig, Nanos, Store, StoreError, TtlLru};

use crate::lru::LruCache;
use crate::map::{Map, new_map};

/// What a load answers.
type Loaded = Result<Option<u64>, StoreError>;

/// The most shards a front splits its keys over.
const MAX_SHARDS: usize = 16;

/// The cache-aside front: sharded LRU caches (found values and negative
/// answers), single-flight loads, leases against stale sets.
pub struct Front {
    store: Arc<dyn Store>,
    config: FrontConfig,
    shards: Box<[Mutex<Shard>]>,
    /// `shards.len() - 1`: the shard count is a power of two.
    mask: u64,
}

/// Everything one shard's keys need, behind one lock.
struct Shard {
    found: LruCache,
    negative: LruCache,
    /// The loads in flight, by key; each is also the lease of its key.
    flights: Map<Arc<Flight>>,
}

/// One load in flight: where its waiters wait for the answer.
struct Flight {
    answer: Mutex<Option<Loaded>>,
    ready: Condvar,
}

impl Flight {
    fn new() -> Flight {
        Flight { answer: Mutex::new(None), ready: Condvar::new() }
    }

    fn publish(&self, answer: Loaded) {
        *lock(&self.answer) = Some(answer);
        self.ready.notify_all();
    }

    fn wait(&self) -> Loaded {
        let mut answer = lock(&self.answer);
        loop {
            if let Some(answer) = answer.as_ref() {
                return answer.clone();
            }
            answer = self.ready.wait(answer).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A poisoned lock only means another thread panicked while holding it;
/// every state here is valid between two statements, so carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// splitmix64's finalizer: a bijection of `u64` that mixes every bit.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` split as evenly as possible over `parts`: part `i`'s share.
fn share(n: usize, parts: usize, i: usize) -> usize {
    n / parts + usize::from(i < n % parts)
}

/// The leader's promise to its waiters: if it unwinds (the store panicked)
/// before publishing, the guard publishes an error and ends the flight.
struct Leading<'a> {
    front: &'a Front,
    key: u64,
    flight: Arc<Flight>,
    done: bool,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.front.land(self.key, &self.flight, None, Err(StoreError::new("the store panicked during a load")));
        }
    }
}

impl Front {
    #[inline]
    fn shard(&self, key: u64) -> &Mutex<Shard> {
        &self.shards[(mix(key ^ 0x5ca1_ab1e) & self.mask) as usize]
    }

    /// The jitter of `key`: in `0..=jitter`, a function of the seed and the
    /// key alone.
    #[inline]
    fn jitter(&self, key: u64) -> Nanos {
        let band = u128::from(self.config.jitter) + 1;
        let h = mix(key ^ mix(self.config.seed));
        ((u128::from(h) * band) >> 64) as Nanos
    }

    /// End `flight`: if it still holds the key's lease, cache its answer
    /// (found or not found, loaded at `now`) and take it out of the map;
    /// then hand the answer to its waiters.
    fn land(&self, key: u64, flight: &Arc<Flight>, now: Option<Nanos>, answer: Loaded) {
        {
            let mut shard = lock(self.shard(key));
            let holds_lease = shard.flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, flight));
            if holds_lease {
                shard.flights.remove(&key);
                match (&answer, now) {
                    (Ok(Some(value)), Some(now)) => {
                        let ttl = self.config.ttl + self.jitter(key);
                        shard.found.put(key, *value, now, ttl);
                    }
                    (Ok(None), Some(now)) => {
                        shard.negative.put(key, 0, now, self.config.negative_ttl);
                    }
                    _ => {} // an error: never cached.
                }
            }
        }
        flight.publish(answer);
    }
}

impl CacheAside for Front {
    fn new(store: Arc<dyn Store>, config: FrontConfig) -> Self {
        // Each shard needs room for at least one found value and one
        // negative answer, or some key could never be cached.
        let most = MAX_SHARDS.min(config.capacity).min(config.negative_capacity).max(1);
        let count = 1 << most.ilog2();
        let shards = (0..count)
            .map(|i| {
                Mutex::new(Shard {
                    found: LruCache::new(share(config.capacity, count, i)),
                    negative: LruCache::new(share(config.negative_capacity, count, i)),
                    flights: new_map(),
                })
            })
            .collect();
        Front { store, config, shards, mask: count as u64 - 1 }
    }

    fn get(&self, key: u64, now: Nanos) -> Result<Option<u64>, StoreError> {
        let flight = {
            let mut shard = lock(self.shard(key));
            if let Some(value) = shard.found.get(key, now) {
                return Ok(Some(value));
            }
            if shard.negative.get(key, now).is_some() {
                return Ok(None);
            }
            if let Some(flight) = shard.flights.get(&key) {
                let flight = Arc::clone(flight);
                drop(shard);
                return flight.wait();
            }
            let flight = Arc::new(Flight::new());
            shard.flights.insert(key, Arc::clone(&flight));
            flight
        };
        // The leader: load without holding any lock.
        let mut leading = Leading { front: self, key, flight, done: false };
        let answer = self.store.load(key);
        leading.done = true;
        self.land(key, &leading.flight, Some(now), answer.clone());
        answer
    }

    fn write(&self, key: u64, value: Option<u64>, now: Nanos) -> Result<(), StoreError> {
        let saved = self.store.save(key, value);
        let mut shard = lock(self.shard(key));
        shard.found.remove(key, now);
        shard.negative.remove(key, now);
        // Revoke the lease of a load in flight: it may have read the old value.
        shard.flights.remove(&key);
        saved
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).found.len()).sum()
    }

    fn negative_len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).negative.len()).sum()
    }
}
