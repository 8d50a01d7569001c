//! Contract of the `shard-router` exercise (lesson: Replicas and shards).
//!
//! # The model
//!
//! A database too big or too busy for one machine is split into **shards**,
//! each holding part of the keys, and each shard is copied to **replicas**
//! that serve reads. A router in front of them answers two questions: which
//! shard holds this key, and which copy of it may answer this read. Five
//! pieces, one per trait (and one function):
//!
//! - [`HashRouter`]: a key goes to the shard its hash picks. Adding a shard
//!   must move few keys (about 1/(n+1) of them, all to the new shard), and
//!   [`HashRouter::plan_add`] says exactly which ones before anything moves.
//! - [`RangeRouter`]: the key space is cut into contiguous ranges, one per
//!   shard; ranges are split (when one grows hot or big) and merged.
//! - [`HotShards`]: watches the stream of accesses with bounded memory,
//!   says which shards take much more than their fair share, and suggests a
//!   key at which to split one.
//! - [`ReadRouter`]: a primary takes the writes; replicas apply them later,
//!   each at its own pace. A read goes to a replica only if that replica has
//!   caught up with what the reader's session has already written or seen
//!   (read-your-writes, monotonic reads), and reads spread over the replicas
//!   that have.
//! - `merge_top_k` ([`MergeTopK`] is its signature): a query sent to every shard (scatter) comes back as one
//!   sorted list per shard; merging them into the global first `k` items,
//!   with a cursor for the next page, is the gather.
//!
//! **Keys** are byte strings (`&[u8]`). Ranges compare them
//! lexicographically, byte by byte, as `[u8]`'s `Ord` does: the empty key
//! is the smallest of all, `[0x00]` comes right after it, and `b"a"` comes
//! before `b"a\0"` and `b"b"`. Shards are named by a [`ShardId`].
//!
//! # The envelope
//!
//! Every promise below holds for every value inside these limits, and the
//! suites use values at the limits:
//!
//! | quantity | smallest | largest |
//! | --- | --- | --- |
//! | key length | 0 bytes (the empty key) | [`MAX_KEY_LEN`] = 1,024 bytes, any byte values (`0xFF…` included) |
//! | shards of a [`HashRouter`] | 1 | [`MAX_SHARDS`] = 4,096 |
//! | keys handed to one [`HashRouter::plan_add`] | 0 | 1,000,000 |
//! | ranges of a [`RangeRouter`] | 1 | [`MAX_RANGES`] = 65,536 |
//! | shards watched by a [`HotShards`] | 1 | [`MAX_SHARDS`] = 4,096 |
//! | [`HotConfig::max_tracked_keys`] | 256 | [`MAX_TRACKED_KEYS`] = 4,096 |
//! | replicas of a [`ReadRouter`] | 0 (reads all go to the primary) | [`MAX_REPLICAS`] = 64 |
//! | writes to one [`ReadRouter`] | 0 | 2^40 |
//! | threads calling one [`ReadRouter`] at once | 1 | 64 |
//! | shard slices handed to `merge_top_k` | 0 | [`MAX_SHARDS`] = 4,096 |
//! | items in one shard slice | 0 | 1,000,000 |
//! | `k` of `merge_top_k` | 0 | 100,000 |
//!
//! # Time per call
//!
//! The suite measures the time per call at sizes 100× apart and fails the
//! stage when it grows more than 10× (the course's growth limit):
//!
//! - [`RangeRouter::shard_for`] answers in O(log ranges): measured at 100
//!   and at 10,000 ranges. A scan of the ranges fails on any machine.
//!   ([`RangeRouter::split`] and [`RangeRouter::merge`] may take
//!   O(ranges); they are rare.)
//! - `merge_top_k` answers a page in O(shards × log items + k × log
//!   shards): measured for pages of 10 items from 16 shards holding 1,000
//!   and then 100,000 items each, the cursor in the middle. Walking each
//!   shard up to the cursor, or sorting everything, fails on any machine.
//! - [`HashRouter::shard_for`] answers in O(log shards) or better.
//!
//! Speed is graded against a plain, correct implementation (a sorted `Vec`,
//! a lock): at least 0.2× as fast passes.
//!
//! # What your crate exports
//!
//! The grader links your crate by these names, at its root (`src/lib.rs`);
//! a name it cannot find is reported as such, before any stage runs:
//!
//! - `pub struct Jump` implementing [`HashRouter`];
//! - `pub struct Ranges` implementing [`RangeRouter`];
//! - `pub struct Hotspots` implementing [`HotShards`];
//! - `pub struct Replicas` implementing [`ReadRouter`];
//! - `pub fn merge_top_k(shards: &[&[Item]], k: usize, after: Option<Cursor>) -> Page`
//!   (the signature [`MergeTopK`] names).

use std::error::Error;
use std::fmt;

/// The name of a shard: `0..shards` for a [`HashRouter`]; for a
/// [`RangeRouter`], 0 and then one more than the last id it gave out.
pub type ShardId = u32;

/// The longest key a caller hands in: 1,024 bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// The most shards of a [`HashRouter`] or a [`HotShards`], and the most
/// shard slices of `merge_top_k`: 4,096.
pub const MAX_SHARDS: u32 = 4096;

/// The most ranges a [`RangeRouter`] holds at once: 65,536.
pub const MAX_RANGES: usize = 1 << 16;

/// The largest [`HotConfig::max_tracked_keys`]: 4,096.
pub const MAX_TRACKED_KEYS: usize = 4096;

/// The most replicas of a [`ReadRouter`]: 64.
pub const MAX_REPLICAS: u32 = 64;

/// One key that changes shard when a shard is added.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Move {
    /// The key, as it was handed in.
    pub key: Vec<u8>,
    /// The shard that holds it now.
    pub from: ShardId,
    /// The shard that will hold it after the change.
    pub to: ShardId,
}

/// Routes a key to one of `n` shards by hashing it, and grows by one shard
/// at a time, moving as few keys as it can. Shared by every request thread
/// (`&self` to route).
///
/// # Routing
///
/// `shard_for` is **total** (every key, the empty one and 1,024 bytes of
/// `0xFF` included, gets a shard in `0..shards`) and **deterministic**: it
/// depends on the key's bytes and the shard count alone. Two routers of `n`
/// shards answer alike, a router grown by [`HashRouter::add_shard`] from
/// `n` to `n + 1` answers like one created with `n + 1`, and the answers are
/// the same in every process, on every platform and in every build: the
/// suite compares them with a second process. (So the hash is written in
/// your code: no `RandomState`, whose keys are random per process, and no
/// `DefaultHasher`, whose algorithm may change between Rust releases.)
///
/// # Spread
///
/// With `n ≤ 256` shards and `1,000 × n` distinct keys, each shard receives
/// between 70% and 130% of the fair share (1,000 keys): for keys of random
/// bytes, and for keys that differ only in a counter (`user:0`, `user:1`, …).
///
/// # Growth
///
/// Going from `n` to `n + 1` shards moves only keys **to the new shard**
/// `n`: a key either stays where it was or moves to shard `n`. With
/// `n ≤ 255` and 100,000 distinct random keys, the share that moves is
/// between 0.5/(n+1) and 1.5/(n+1) (the new shard takes its fair share, and
/// no more). Routing by `hash % n` moves about n/(n+1) of all keys: it fails.
pub trait HashRouter: Send + Sync {
    /// A router over shards `0..shards` (`1 ≤ shards ≤` [`MAX_SHARDS`]).
    fn new(shards: u32) -> Self
    where
        Self: Sized;

    /// The shard holding `key`, in `0..shards()`.
    fn shard_for(&self, key: &[u8]) -> ShardId;

    /// How many shards there are.
    fn shards(&self) -> u32;

    /// Add one shard; its id is the old count (`shards()` before the call),
    /// which is the answer. Called only while `shards() <` [`MAX_SHARDS`].
    /// Afterwards, keys route as [`HashRouter::plan_add`] said just before.
    fn add_shard(&mut self) -> ShardId;

    /// What [`HashRouter::add_shard`] would move, changing nothing: one
    /// [`Move`] for each of `keys` whose shard would change (`from` its
    /// shard now, `to` the new shard), in the order of `keys`, and none for
    /// a key that stays. A key handed in twice is listed twice. Called only
    /// while `shards() <` [`MAX_SHARDS`].
    fn plan_add(&self, keys: &[&[u8]]) -> Vec<Move>;
}

/// A change of a [`RangeRouter`]: the keys `lo ≤ key < hi` (every key
/// `≥ lo` when `hi` is `None`) move from shard `from` to shard `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RangeMove {
    /// The smallest key that moves (inclusive).
    pub lo: Vec<u8>,
    /// The first key past the ones that move (exclusive); `None`: no end.
    pub hi: Option<Vec<u8>>,
    /// The shard that held them.
    pub from: ShardId,
    /// The shard that holds them now.
    pub to: ShardId,
}

/// Why a [`RangeRouter`] refused a change. A refused change changes
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeError {
    /// A split at a key that is already the lower bound of a range
    /// (the empty key always is: it starts the first range).
    AlreadyABound(Vec<u8>),
    /// A merge of a shard that holds no range (never given out, or retired
    /// by an earlier merge).
    UnknownShard(ShardId),
    /// A merge of the shard holding the last range: it has no right
    /// neighbour.
    NoRightNeighbour(ShardId),
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeError::AlreadyABound(at) => write!(f, "{at:?} is already the lower bound of a range"),
            RangeError::UnknownShard(id) => write!(f, "shard {id} holds no range"),
            RangeError::NoRightNeighbour(id) => write!(f, "shard {id} holds the last range: nothing to merge"),
        }
    }
}

impl Error for RangeError {}

/// Routes a key to the shard whose **range** covers it. The ranges are
/// contiguous, in key order, and cover every key: the first starts at the
/// empty key, each ends where the next starts, the last has no end.
///
/// A range `[lo, hi)` holds the keys with `lo ≤ key < hi`: its lower bound
/// is **inclusive**, its upper bound **exclusive**. So a key equal to a
/// split point belongs to the range that *starts* there, never to the one
/// that ends there.
///
/// Shard ids: the first range is shard 0; each split gives the new range
/// the next id (one more than the largest id this router has given out,
/// whether or not that shard still exists); a merge retires an id, which is
/// never given out again.
///
/// Lookup is O(log ranges) (see the module documentation); the router holds
/// at most [`MAX_RANGES`] = 65,536 ranges (callers never split beyond).
pub trait RangeRouter: Send + Sync {
    /// One range, shard 0, covering every key.
    fn new() -> Self
    where
        Self: Sized;

    /// The shard whose range covers `key`.
    fn shard_for(&self, key: &[u8]) -> ShardId;

    /// Split the range holding `at`, `[lo, hi)`, into `[lo, at)` (kept by
    /// its shard) and `[at, hi)` (a new shard with the next id). The answer
    /// says what moved: `lo = at`, `hi` the old range's end, `from` the old
    /// shard, `to` the new one. A split at a key that is already a lower
    /// bound (the empty key included) is `Err(AlreadyABound(at))` and
    /// changes nothing.
    fn split(&mut self, at: &[u8]) -> Result<RangeMove, RangeError>;

    /// The range of shard `left`, `[lo, mid)`, absorbs its right neighbour
    /// `[mid, hi)`, becoming `[lo, hi)`; the neighbour's id is retired. The
    /// answer says what moved: `[mid, hi)`, `from` the neighbour, `to`
    /// `left`. `Err(UnknownShard(left))` when `left` holds no range,
    /// `Err(NoRightNeighbour(left))` when it holds the last one; either way
    /// nothing changes.
    fn merge(&mut self, left: ShardId) -> Result<RangeMove, RangeError>;

    /// Every range in key order, as `(lo, hi, shard)`: the first `lo` is the
    /// empty key, each `hi` is the next `lo`, the last `hi` is `None`.
    fn ranges(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>, ShardId)>;
}

/// The knobs of a [`HotShards`] detector. Callers only build configurations
/// inside the bounds given per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HotConfig {
    /// A shard is hot when its share of the recent accesses exceeds
    /// `factor` × the fair share `1 / shards`: 2 to 16.
    pub factor: u32,
    /// How many accesses "recent" means (see [`HotShards`]): 1,000 to
    /// 1,000,000.
    pub window: u64,
    /// Nothing is hot before this many accesses were recorded in all: 0 to
    /// `window`.
    pub min_accesses: u64,
    /// The most keys held at once, whatever the stream
    /// ([`HotShards::tracked_keys`]): 256 to [`MAX_TRACKED_KEYS`] = 4,096.
    pub max_tracked_keys: usize,
}

impl fmt::Display for HotConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "factor {}, window {} accesses, min_accesses {}, max_tracked_keys {}",
            self.factor, self.window, self.min_accesses, self.max_tracked_keys
        )
    }
}

/// Watches a stream of accesses (a shard and the key asked of it) and says
/// which shards are **hot**, with memory that does not grow with the
/// stream. Owned by one caller (`&mut self` to record).
///
/// # Recent
///
/// "Recent" means about the last [`HotConfig::window`] accesses: an exact
/// sliding window, counts of the current and the previous window, or
/// counts that decay with age are all fine, as long as the promises below
/// hold. Write `t = factor / shards` for the hot threshold (a share).
///
/// - **Quiet start**: before [`HotConfig::min_accesses`] accesses were
///   recorded in all, `hot()` is empty.
/// - **Detection**: when, in each of the last two runs of `window`
///   consecutive accesses, a shard received at least `2 × t` of them (and
///   at least `min_accesses` were recorded in all), it is in `hot()`.
/// - **No false alarm**: when, in every run of `window` consecutive
///   accesses since `new`, a shard received at most `t / 2` of them, it is
///   not in `hot()`. A uniform stream, every shard at the fair share
///   `1 / shards ≤ t / 2`, reports nothing (the suite's uniform streams
///   have `window ≥ 100 × shards`, so that chance does not make a shard
///   look hot).
/// - **Cooling down**: when, in each of the last 8 runs of `window`
///   consecutive accesses, a shard received at most `t / 2` of them, it is
///   not in `hot()`, whatever came before (checked with at most 16 shards).
///
/// # Memory
///
/// The keys held (in a sample, a sketch, counters: every key your
/// structure keeps a copy of) number at most
/// [`HotConfig::max_tracked_keys`] after every call, whatever the stream:
/// a million distinct keys included. [`HotShards::tracked_keys`] says how
/// many; the suite checks it, and checks that a stream of distinct keys
/// does not grow it past the bound. Per-shard counts are not keys: a few
/// numbers per shard are fine.
pub trait HotShards: Send {
    /// A detector over shards `0..shards` (`1 ≤ shards ≤` [`MAX_SHARDS`]),
    /// configured by `config` (bounds in [`HotConfig`]).
    fn new(shards: u32, config: HotConfig) -> Self
    where
        Self: Sized;

    /// One access of `key` on `shard` (`shard < shards`).
    fn record(&mut self, shard: ShardId, key: &[u8]);

    /// The hot shards, in increasing id order, without repeats.
    fn hot(&self) -> Vec<ShardId>;

    /// A key at which to split `shard`'s range: one that divides its recent
    /// accesses roughly in half. `None` when no access of `shard` was ever
    /// recorded. For a shard in `hot()`, when `max_tracked_keys ≥ 16 ×
    /// shards / factor` (enough room for a bounded sample of the recent
    /// accesses to hold many of a hot shard's keys; the suite's
    /// configurations have it), the answer is `Some(key)`, `key` is a key
    /// recorded for that shard, and when no single key took more than 10%
    /// of the shard's accesses in the last `window`, between 25% and 75% of
    /// those accesses were to keys smaller than `key`. (When one key takes
    /// most of a shard's traffic no split can halve it: that is the hot
    /// *key* of the lesson, for which any recorded key is an answer.) For
    /// other shards, `Some` or `None`.
    fn split_point(&self, shard: ShardId) -> Option<Vec<u8>>;

    /// How many keys the detector holds now: at most
    /// [`HotConfig::max_tracked_keys`], after every call.
    fn tracked_keys(&self) -> usize;
}

/// How far the primary's log has gone: the position of a write. Positions
/// only grow; `Position(0)` is "before any write".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position(pub u64);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "position {}", self.0)
    }
}

/// What a client carries from request to request: the position of the
/// latest write it made or state it read. A plain value the client owns (a
/// cookie, a header); the router reads it and moves it forward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Session {
    /// Every read of this session must see at least this position.
    pub position: Position,
}

impl Session {
    /// A session that has seen nothing: position 0.
    pub fn new() -> Session {
        Session::default()
    }

    /// Record that this session wrote, or saw, `position`: the session's
    /// position becomes the larger of the two (it never goes back).
    pub fn observe(&mut self, position: Position) {
        self.position = self.position.max(position);
    }
}

/// Where a read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The primary: it has applied every write.
    Primary,
    /// Replica `id`, in `0..replicas`.
    Replica(u32),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Primary => write!(f, "the primary"),
            Target::Replica(id) => write!(f, "replica {id}"),
        }
    }
}

/// Routes reads between a primary and its asynchronous replicas
/// `0..replicas`, so that no session reads older data than it wrote or
/// already saw. Shared by up to 64 threads (`&self` everywhere).
///
/// # Positions
///
/// [`ReadRouter::write`] stands for one write committed on the primary: it
/// answers the write's position, `Position(1)` for the first and one more
/// for each later one (under concurrent writes, each gets its own). Each
/// replica starts at `Position(0)` and reports with
/// [`ReadRouter::applied`] how far it has applied the log. Reports travel
/// over a network: they may arrive late and out of order, so a report
/// smaller than one already received changes nothing (**a replica never
/// moves back**). A report never exceeds the latest write's position.
///
/// # Reads
///
/// A read of `session` (position `p`) goes to a **caught-up** replica, one
/// whose largest report is at least `p`, and to the primary only when no
/// replica is caught up (or there are none). Then the session's position
/// becomes the position of what was read: the target replica's largest
/// report, or for the primary the latest write's position (never smaller
/// than `p`). So a session reads its own writes, and its reads never go
/// back in time (**monotonic reads**), even when its next read lands on
/// another replica.
///
/// # Spread
///
/// Reads spread over the caught-up replicas: over `1,000 × c` consecutive
/// reads during which the same `c` replicas are caught up, each of them
/// serves between 50% and 150% of the fair share `1/c` of those reads.
pub trait ReadRouter: Send + Sync {
    /// A primary with `replicas` replicas (`0 ≤ replicas ≤`
    /// [`MAX_REPLICAS`]), nothing written.
    fn new(replicas: u32) -> Self
    where
        Self: Sized;

    /// A write committed on the primary: its position, one more than the
    /// previous write's (1 for the first). The caller then calls
    /// `session.observe(position)` on the writer's session.
    fn write(&self) -> Position;

    /// Replica `replica` (`< replicas`) has applied the log up to
    /// `position` (at most the latest write's). A smaller report than one
    /// already received changes nothing.
    fn applied(&self, replica: u32, position: Position);

    /// Where the next read of `session` goes (see [Reads](ReadRouter#reads)),
    /// moving the session's position up to what that target has applied.
    fn read(&self, session: &mut Session) -> Target;
}

/// One result of a query on one shard: ordered by `score`, highest first,
/// and among equal scores by `id`, smallest first. Ids are unique across all
/// shards of one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Item {
    /// The ranking value: higher comes first.
    pub score: u64,
    /// The item's identity: breaks ties, smaller first.
    pub id: u64,
}

/// Where a page ended: the `(score, id)` of its last item. The next page
/// starts with the first item after it in the order (score descending, id
/// ascending), whether or not that item still exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// The last item's score.
    pub score: u64,
    /// The last item's id.
    pub id: u64,
}

/// One page of a merged result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Page {
    /// At most `k` items, in the order (score descending, id ascending).
    pub items: Vec<Item>,
    /// Where to resume: the last item's cursor when at least one item comes
    /// after it; `None` when the page reached the end (or is empty).
    pub next: Option<Cursor>,
}

/// The signature of the exported `merge_top_k`.
///
/// `merge_top_k(shards, k, after)`: each of `shards` is one shard's results,
/// sorted by (score descending, id ascending), ids unique across all of
/// them. The answer is the global first `k` items strictly after `after`
/// (from the very first when `after` is `None`), in that order: exact, as
/// if every slice were concatenated and sorted. Paging with each answer's
/// `next` yields every item exactly once, in order, with no gap and no
/// repeat. `k = 0` answers no items and `next: None`; so does no shard, or
/// only empty ones. Time O(shards × log items + k × log shards) (see the
/// module documentation): it never depends on the items past the page.
pub type MergeTopK = fn(shards: &[&[Item]], k: usize, after: Option<Cursor>) -> Page;
