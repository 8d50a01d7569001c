//! Contract of the `cache-aside` exercise (lesson: caching).
//!
//! # The model
//!
//! A cache keeps a bounded number of **entries**, each a key and a value,
//! both `u64` (the traces of the suite are integer ids; in the front, a value
//! stands for a row of a slow database). When a new key arrives and the cache
//! is full, one entry must go: which one is the **eviction policy**, and it is
//! what decides the **hit ratio** (the share of reads answered without the
//! database).
//!
//! Four pieces, one per trait:
//!
//! - [`TtlLru`]: least recently used eviction, with a **time to live** per
//!   entry. Expired entries are never returned.
//! - [`Policy`]: a bounded cache without TTL whose eviction is the point.
//!   Two of them: **LFU** (least frequently used, ties broken by recency) and
//!   an **admission** policy (W-TinyLFU or S3-FIFO, your choice) that beats
//!   LRU on skewed traces and resists scans.
//! - [`Store`]: the slow database, implemented by the suite.
//! - [`CacheAside`]: the thread-safe front an application calls. Reads go
//!   to the cache, and on a miss to the store (one load per key however many
//!   threads miss it at once); writes go to the store and then **delete** the
//!   key from the cache, and a read that was already loading the old value
//!   must not put it back.
//!
//! Time is a [`Nanos`] value handed in by the caller: nanoseconds on a
//! monotonic clock whose origin means nothing. Your code never reads a clock.
//! Randomness (the TTL jitter) comes from [`FrontConfig::seed`].
//!
//! # The envelope
//!
//! Every promise below holds for every value inside these limits, and the
//! suites use values at the limits:
//!
//! | quantity | smallest | largest |
//! | --- | --- | --- |
//! | a key, a value | 0 | `u64::MAX` |
//! | `capacity` (every cache), `negative_capacity` | 1 | [`MAX_CAPACITY`] = 2^20 (1,048,576) |
//! | `now` | 0 | [`MAX_NOW`] = 2^62 ns (about 146 years) |
//! | `ttl` of a [`TtlLru::put`] | 1 | [`MAX_NOW`] = 2^62 ns |
//! | [`FrontConfig::ttl`], [`FrontConfig::negative_ttl`] | 1 | [`MAX_TTL`] = 2^50 ns (about 13 days) |
//! | [`FrontConfig::jitter`] | 0 | [`MAX_TTL`] = 2^50 ns |
//! | threads calling one front at once | 1 | 128 |
//!
//! So `now + ttl` fits a `u64` (at most 2^63), and so does
//! `now + ttl + jitter` in the front.
//!
//! `now` need not grow from call to call: calls may hand in any instant in
//! the envelope, in any order (threads read their clocks at slightly
//! different times). Whether an entry is alive is a question about the `now`
//! of the call that asks, and nothing else.
//!
//! # Time per call
//!
//! `LruCache` ([`TtlLru`]), `Lfu` and `Admission` ([`Policy`]) each
//! answer every call in time that does not grow with the number of entries:
//! O(1), or O(log n) at worst for the TTL bookkeeping of a
//! [`TtlLru::put`]. The suite measures the time per call at capacity 1,000
//! and at capacity 100,000 with every entry in use, and fails the stage when
//! it grows more than 10× (the course's growth limit). A scan of all entries
//! on any call fails it on any machine.
//!
//! # Hit ratio of the admission policy
//!
//! The suite replays seeded traces of keys: for each key, a
//! [`Policy::get`], and on a miss a [`Policy::put`] of that key. It replays
//! the same trace through a plain LRU of the same capacity and through
//! Bélády's optimum (which knows the future, and may also decline to admit a
//! newcomer). Traces:
//!
//! - **Zipf**: 500,000 requests over 100,000 keys, the key of popularity
//!   rank `r` (from 1) drawn with probability proportional to `1 / r^α`, for
//!   α = 0.6, 0.8 and 1.0, at capacities 1,000 and 10,000 (1% and 10% of the
//!   keys). Ranks are mapped to keys by a seeded bijection: a key's number
//!   says nothing about its popularity, and keys spread over all of `u64`;
//! - **Zipf with a popularity shift**: the same at α = 0.8, capacities 1,000
//!   and 10,000, except that halfway through (after 250,000 requests) the
//!   popular keys change: rank `r` then maps to the key that had rank
//!   `r + 50,000` (modulo 100,000), so the hot keys of the first half turn
//!   cold and cold ones turn hot;
//! - **scan plus hot set**: 500,000 requests at capacity 1,000: runs of
//!   1,000 reads of a hot set of 500 keys (uniformly), each run followed by
//!   a scan of 1,000 fresh keys (each requested once, never again).
//!
//! Your admission policy passes when, on every trace, its hit ratio is at
//! least LRU's plus **1 percentage point** (Zipf, and Zipf with a popularity
//! shift) and plus **10 percentage points** (scan plus hot set), and never
//! above the optimum's (a hit ratio above the optimum means `get` answered a
//! key it did not hold). Values are checked too: a hit answers the value
//! last put for that key. (For scale: on these traces the reference,
//! S3-FIFO, beats LRU by 3.8 to 11 points on Zipf, by 5 to 10 on the shift
//! and by 21 on the scan trace; an LFU whose counts never age passes Zipf
//! and the scan but falls 1 to 5 points *below* LRU on the shift, its old
//! hot keys holding the cache. Frequencies must age.)
//!
//! # What your crate exports
//!
//! The grader links your crate by these names, at its root (`src/lib.rs`);
//! a name it cannot find is reported as such, before any stage runs:
//!
//! - `pub struct LruCache` implementing [`TtlLru`];
//! - `pub struct Lfu` implementing [`Policy`];
//! - `pub struct Admission` implementing [`Policy`];
//! - `pub struct Front` implementing [`CacheAside`].

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// Nanoseconds on a monotonic clock chosen by the caller. Only differences
/// between two values mean anything. Callers never hand in a value above
/// [`MAX_NOW`].
pub type Nanos = u64;

/// The largest `now` a caller hands in, and the largest `ttl` of a
/// [`TtlLru::put`]: 2^62 ns, about 146 years. `now + ttl` fits a `u64`.
pub const MAX_NOW: Nanos = 1 << 62;

/// The largest [`FrontConfig::ttl`], [`FrontConfig::jitter`] and
/// [`FrontConfig::negative_ttl`]: 2^50 ns, about 13 days.
pub const MAX_TTL: Nanos = 1 << 50;

/// The largest capacity of any cache here: 2^20 = 1,048,576 entries.
pub const MAX_CAPACITY: usize = 1 << 20;

/// Least recently used eviction with a time to live per entry, owned by one
/// caller (`&mut self`).
///
/// # Recency
///
/// Entries are ordered from most to least recently used. A [`TtlLru::put`]
/// and a [`TtlLru::get`] that hits make their key the most recent. Nothing
/// else changes the order: a `get` that misses (the key is absent or expired)
/// changes no entry's place.
///
/// # Expiry
///
/// An entry put at `now` with `ttl` is **alive** at every instant `t` with
/// `t < now + ttl`, and **expired** at every `t ≥ now + ttl`: at
/// `now + ttl − 1` it is still returned, at `now + ttl` it is not. An
/// expired entry is never returned by any call; it counts as absent. A `get`
/// that hits does not extend an entry's life: only a `put` sets it.
///
/// # Memory
///
/// [`TtlLru::len`] counts the entries stored: the live ones, and expired ones
/// you have not purged yet. It never exceeds `capacity`, after any call. You
/// may purge an expired entry whenever you like (or keep it until its place
/// is needed); you never drop a live entry, except to make room in a `put`
/// as below, or in a `remove`.
pub trait TtlLru: Send {
    /// An empty cache of at most `capacity` entries
    /// (`1 ≤ capacity ≤` [`MAX_CAPACITY`] = 2^20).
    fn new(capacity: usize) -> Self
    where
        Self: Sized;

    /// The value of `key` if it is stored and alive at `now`; it becomes the
    /// most recent entry. `None` if it is absent or expired at `now`; then no
    /// entry moves (you may purge the expired one).
    fn get(&mut self, key: u64, now: Nanos) -> Option<u64>;

    /// Store `value` under `key` at `now`, alive until `now + ttl`
    /// (`1 ≤ ttl ≤` [`MAX_NOW`]), as the most recent entry.
    ///
    /// - `key` already stored (alive or expired): its value and expiry are
    ///   replaced, nothing is evicted, the answer is `None`.
    /// - there is room (`len() < capacity`): the entry is added, `None`.
    /// - the cache is full: one entry is evicted to make room and its key is
    ///   the answer, `Some(evicted)`. If any stored entry is expired at
    ///   `now`, the evicted one is an expired one (which of them is yours to
    ///   choose); only when none is expired does the least recently used
    ///   entry go.
    ///
    /// So `Some(k)` is never `key` itself, and a live entry is evicted only
    /// by a `put` of a new key into a full cache holding no expired entry.
    fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos) -> Option<u64>;

    /// Drop `key`. Answers its value if it was alive at `now`, `None` if it
    /// was absent or expired (an expired entry is dropped as well).
    fn remove(&mut self, key: u64, now: Nanos) -> Option<u64>;

    /// Entries stored, live or expired-but-not-yet-purged: never above
    /// `capacity`, never below the number of live entries.
    fn len(&self) -> usize;

    /// `true` when nothing is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A bounded cache without time to live, whose eviction policy is the point,
/// owned by one caller (`&mut self`). Two exports implement it:
///
/// **`Lfu`**: least frequently used. Each stored key has a **frequency**:
/// 1 when it is put as a new key, plus 1 for every `get` that hits it and
/// every `put` that replaces its value. When a new key arrives in a full
/// cache, the entry with the smallest frequency is evicted; among several
/// with that frequency, the least recently used one (recency as in
/// [`TtlLru`]: the latest `get` hit or `put` of the key). An evicted key is
/// forgotten: if it comes back, it starts again at frequency 1. The newcomer
/// is always admitted (it is never the one evicted).
///
/// **`Admission`**: a policy that may also refuse a newcomer (W-TinyLFU) or
/// evict it early (S3-FIFO), to keep the keys that are worth keeping. It
/// must beat LRU's hit ratio by the margins stated in the module
/// documentation, and resist a scan of keys used once.
///
/// Both answer every call in O(1) time (see the module documentation), and
/// a `get` that hits always answers the value last put for that key.
pub trait Policy: Send {
    /// An empty cache of at most `capacity` entries
    /// (`1 ≤ capacity ≤` [`MAX_CAPACITY`] = 2^20).
    fn new(capacity: usize) -> Self
    where
        Self: Sized;

    /// The value of `key` if it is stored (and it counts as a use of `key`),
    /// `None` otherwise.
    fn get(&mut self, key: u64) -> Option<u64>;

    /// Store `value` under `key`.
    ///
    /// - `key` already stored: its value is replaced (a use of `key`),
    ///   nothing is evicted, `None`.
    /// - there is room: the entry is added, `None`.
    /// - the cache is full: one key leaves and is the answer,
    ///   `Some(evicted)`. A policy with admission may refuse the newcomer:
    ///   then the answer is `Some(key)`, the newcomer itself, and a `get` of
    ///   `key` misses (nothing else changed). `Lfu` never refuses.
    ///
    /// At most one key leaves per `put`; `len()` never exceeds `capacity`.
    fn put(&mut self, key: u64, value: u64) -> Option<u64>;

    /// Entries stored, never above `capacity`.
    fn len(&self) -> usize;

    /// `true` when nothing is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a [`Store`] call failed: the database timed out, was unreachable…
/// Returned as it is to the callers of a [`CacheAside`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreError {
    /// What went wrong, for people.
    pub message: String,
}

impl StoreError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError { message: message.into() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store error: {}", self.message)
    }
}

impl Error for StoreError {}

/// The slow database behind the cache: the source of truth. The suite
/// implements it (counting loads, failing on demand, blocking a load until
/// it opens a gate); your front only calls it.
pub trait Store: Send + Sync {
    /// The current value of `key`: `Ok(Some(value))`, `Ok(None)` when the
    /// key does not exist, or an error.
    fn load(&self, key: u64) -> Result<Option<u64>, StoreError>;

    /// Make `value` the value of `key` (`None` deletes the key). Once it
    /// answers `Ok`, every later `load` sees it.
    fn save(&self, key: u64, value: Option<u64>) -> Result<(), StoreError>;
}

/// The shape of a [`CacheAside`] front.
///
/// Callers only build configurations inside these bounds:
/// `1 ≤ capacity ≤ 2^20`, `1 ≤ negative_capacity ≤ 2^20`,
/// `1 ≤ ttl ≤ 2^50`, `0 ≤ jitter ≤ 2^50`, `1 ≤ negative_ttl ≤ 2^50`
/// (nanoseconds; 2^50 ns is about 13 days), any `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrontConfig {
    /// Most values (found keys) held at once: 1 to 2^20.
    pub capacity: usize,
    /// Base time to live of a found value, in ns: 1 to 2^50.
    pub ttl: Nanos,
    /// Width of the jitter band added to `ttl`, in ns: 0 to 2^50. A value
    /// lives `ttl + j` with `0 ≤ j ≤ jitter`.
    pub jitter: Nanos,
    /// Time to live of a "not found" answer, in ns: 1 to 2^50. No jitter.
    pub negative_ttl: Nanos,
    /// Most "not found" answers held at once: 1 to 2^20, apart from (and in
    /// addition to) `capacity`.
    pub negative_capacity: usize,
    /// Where the jitter comes from: same seed, same key, same `j`.
    pub seed: u64,
}

impl fmt::Display for FrontConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "capacity {}, ttl {} ns + jitter up to {} ns, negative: {} entries for {} ns, seed {}",
            self.capacity, self.ttl, self.jitter, self.negative_capacity, self.negative_ttl, self.seed
        )
    }
}

/// The cache-aside front: what an application calls instead of its database.
/// Methods take `&self`: one front sits behind an `Arc` and is called from up
/// to 128 threads at once.
///
/// # Reads
///
/// A `get` of `key` at `now` is a **hit** when the front holds an entry for
/// `key` alive at `now`: it answers from the cache and calls no
/// [`Store::load`]. Otherwise it is a **miss**: the value is loaded from the
/// store, and
///
/// - `Ok(Some(v))` (found) is cached and answered. It lives `ttl + j` from
///   the `now` of the get that started the load (alive while
///   `now' < now + ttl + j`), where `j` (`0 ≤ j ≤ jitter`) is a function of
///   the seed and the key alone, the same on every run and every platform,
///   and spread over the band: with `jitter ≥ 10,000`, over any 10,000
///   consecutive keys, each tenth of `0..=jitter` gets between 5% and 15% of
///   them. (Keys loaded together,
///   after a deploy or a flush, then do not all expire in the same
///   instant.)
/// - `Ok(None)` (not found) is cached as a **negative entry** and answered:
///   it lives exactly `negative_ttl`. Negative entries have their own space
///   of at most `negative_capacity` entries: they never push a found value
///   out, and a flood of lookups of keys that do not exist cannot grow
///   memory.
/// - `Err(e)` is answered, and **not cached**: the next miss of `key` calls
///   `load` again.
///
/// A hit does not extend an entry's life. At most `capacity` found values
/// and `negative_capacity` negative entries are held; which entry makes room
/// is yours to choose, but a get of `key` that comes right after the get
/// that loaded it (no other call on the front in between, the entry still
/// alive) is a hit.
///
/// # Single flight
///
/// Concurrent misses of one key cause **one** `load`: the first starts it,
/// the others wait for it, and every one of them answers its result (the
/// value, the not-found, or the error). With 100 threads missing the same
/// key at once, the store sees exactly 1 load (if it succeeds). Misses of
/// different keys do not wait for each other: a load that blocks never holds
/// up a get of another key.
///
/// # Writes
///
/// A `write` saves the value to the store first, then **deletes** the key
/// from the cache (found or negative entry); it never puts the new value in
/// the cache itself. It answers the store's error, if any (the cache entry is
/// deleted either way).
///
/// **A write never waits for a load in progress**, of its key or any other:
/// it calls [`Store::save`] and invalidates while a load of the same key is
/// still blocked in the store. (The suite holds a load on its gate and fails
/// a write still blocked 5 s later.) Marking the key's load as stale is
/// enough; waiting for the load to finish is not needed, and would let one
/// slow read hold up every write of a hot key.
///
/// **No stale read after a write.** Once a `write` of `key` has returned
/// `Ok`, every `get` of `key` that begins afterwards answers the value that
/// write saved (or a later write's, or an error), never an older one, until
/// the entry expires or another write comes. Two races make this hard, and
/// both are checked, driven step by step with a store whose `load` waits on
/// a gate the suite opens (no sleeps):
///
/// - a load that began **before** the write may read the old value and
///   finish **after** it: the get that started it may answer the old value
///   (it began before the write), but must not leave it in the cache;
/// - a get that begins **after** the write must not join that old load: it
///   starts a load of its own.
///
/// A token taken when the load starts (a lease, a version) and checked
/// before the result is cached is the classic defence. Overlapping writes of
/// one key may land in either order: afterwards, reads answer what the store
/// holds.
pub trait CacheAside: Send + Sync {
    /// An empty front over `store`, configured by `config` (bounds in
    /// [`FrontConfig`]).
    fn new(store: Arc<dyn Store>, config: FrontConfig) -> Self
    where
        Self: Sized;

    /// The value of `key` at `now`: `Ok(Some(v))`, `Ok(None)` when the key
    /// does not exist, or the store's error. From the cache when it holds an
    /// entry alive at `now`; from one shared load otherwise.
    fn get(&self, key: u64, now: Nanos) -> Result<Option<u64>, StoreError>;

    /// Make `value` the value of `key` (`None` deletes it) in the store, then
    /// delete `key` from the cache, so that no get that begins after this
    /// call returns sees an older value. `now` is the instant of the write
    /// (you may not need it).
    fn write(&self, key: u64, value: Option<u64>, now: Nanos) -> Result<(), StoreError>;

    /// Found values held: at most `capacity`.
    fn len(&self) -> usize;

    /// `true` when no found value is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Negative (not found) entries held: at most `negative_capacity`.
    fn negative_len(&self) -> usize;
}
