//! The shard-router reference, with one piece swapped for a classic mistake
//! by each Cargo feature (see `mutants.toml` beside this crate). With no
//! feature this crate *is* the reference; with one, everything but the
//! broken piece still is, so the grader's tests can check that the stage
//! teaching that mistake, and no earlier one, rejects it.
//!
//! The broken pieces are short plain types (`plain`): a hash router, a range
//! table, a read router and a merge written out again with the mistake, and
//! a hot-shard detector that wraps the reference's and adds it. Each mistake
//! is marked `MISTAKE` where it is made.

#[cfg(any(feature = "random-seed-hash", feature = "modulo", feature = "plan-omits"))]
pub use plain::Jump;
#[cfg(not(any(feature = "random-seed-hash", feature = "modulo", feature = "plan-omits")))]
pub use shard_router_solution::Jump;

#[cfg(any(feature = "range-off-by-one", feature = "merge-reuses-id", feature = "linear-range-lookup"))]
pub use plain::Ranges;
#[cfg(not(any(feature = "range-off-by-one", feature = "merge-reuses-id", feature = "linear-range-lookup")))]
pub use shard_router_solution::Ranges;

#[cfg(any(feature = "unbounded-counter", feature = "no-decay"))]
pub use plain::Hotspots;
#[cfg(not(any(feature = "unbounded-counter", feature = "no-decay")))]
pub use shard_router_solution::Hotspots;

#[cfg(any(
    feature = "primary-only",
    feature = "lagging-replica",
    feature = "stale-report-moves-back",
    feature = "no-session-advance"
))]
pub use plain::Replicas;
#[cfg(not(any(
    feature = "primary-only",
    feature = "lagging-replica",
    feature = "stale-report-moves-back",
    feature = "no-session-advance"
)))]
pub use shard_router_solution::Replicas;

#[cfg(any(feature = "merge-no-global-limit", feature = "cursor-inclusive", feature = "merge-sorts-everything"))]
pub use plain::merge_top_k;
#[cfg(not(any(
    feature = "merge-no-global-limit",
    feature = "cursor-inclusive",
    feature = "merge-sorts-everything"
)))]
pub use shard_router_solution::merge_top_k;

#[allow(dead_code, unused_imports)]
mod plain {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};
    use std::hash::{BuildHasher, RandomState};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use contracts::shard_router::{
        Cursor, HashRouter, HotConfig, HotShards, Item, Move, Page, Position, RangeError, RangeMove, RangeRouter,
        ReadRouter, Session, ShardId, Target,
    };
    use shard_router_solution::{jump, key_hash};

    // ─── Hash routing ───

    /// The reference's router, with the hash, the placement or the plan
    /// swapped.
    pub struct Jump {
        shards: u32,
    }

    fn hash(key: &[u8]) -> u64 {
        #[cfg(feature = "random-seed-hash")]
        {
            // MISTAKE (random-seed-hash): std's RandomState draws its keys at
            // random once per process: routers in one process agree, but
            // another process routes the same key elsewhere.
            static STATE: OnceLock<RandomState> = OnceLock::new();
            STATE.get_or_init(RandomState::new).hash_one(key)
        }
        #[cfg(not(feature = "random-seed-hash"))]
        key_hash(key)
    }

    fn place(h: u64, shards: u32) -> u32 {
        #[cfg(feature = "modulo")]
        {
            // MISTAKE (modulo): hash mod n. Total, deterministic, even; but
            // going from n to n + 1 shards moves about n/(n+1) of the keys,
            // most of them between old shards.
            (h % u64::from(shards)) as u32
        }
        #[cfg(not(feature = "modulo"))]
        jump(h, shards)
    }

    impl HashRouter for Jump {
        fn new(shards: u32) -> Self {
            Jump { shards }
        }

        fn shard_for(&self, key: &[u8]) -> ShardId {
            place(hash(key), self.shards)
        }

        fn shards(&self) -> u32 {
            self.shards
        }

        fn add_shard(&mut self) -> ShardId {
            self.shards += 1;
            self.shards - 1
        }

        fn plan_add(&self, keys: &[&[u8]]) -> Vec<Move> {
            let n = self.shards;
            keys.iter()
                .filter_map(|&key| {
                    let h = hash(key);
                    let (from, to) = (place(h, n), place(h, n + 1));
                    // MISTAKE (plan-omits): the plan walks the old shards
                    // 0..n-1 with an off-by-one and never lists the keys that
                    // leave the last one.
                    let listed = from != to && (cfg!(not(feature = "plan-omits")) || from + 1 != n);
                    listed.then(|| Move { key: key.to_vec(), from, to })
                })
                .collect()
        }
    }

    // ─── Range routing ───

    /// A sorted table of lower bounds, like the reference's, with the lookup
    /// or the id allocation swapped.
    pub struct Ranges {
        table: Vec<(Vec<u8>, ShardId)>,
        next_id: ShardId,
        retired: Vec<ShardId>,
    }

    impl Ranges {
        /// The range holding `key`, found correctly (splits and merges use it).
        fn index_of(&self, key: &[u8]) -> usize {
            self.table.partition_point(|(lo, _)| lo.as_slice() <= key) - 1
        }

        fn end_of(&self, i: usize) -> Option<Vec<u8>> {
            self.table.get(i + 1).map(|(lo, _)| lo.clone())
        }
    }

    impl RangeRouter for Ranges {
        fn new() -> Self {
            Ranges { table: vec![(Vec::new(), 0)], next_id: 1, retired: Vec::new() }
        }

        fn shard_for(&self, key: &[u8]) -> ShardId {
            #[cfg(feature = "range-off-by-one")]
            {
                // MISTAKE (range-off-by-one): compares with `<`, so a key
                // equal to a split point goes to the range that *ends*
                // there: upper bounds inclusive, lower bounds exclusive.
                let i = self.table.partition_point(|(lo, _)| lo.as_slice() < key).saturating_sub(1);
                self.table[i].1
            }
            #[cfg(feature = "linear-range-lookup")]
            {
                // MISTAKE (linear-range-lookup): walks the table from the end
                // to the last bound ≤ key: right, and O(ranges) per lookup.
                self.table.iter().rev().find(|(lo, _)| lo.as_slice() <= key).map_or(0, |t| t.1)
            }
            #[cfg(not(any(feature = "range-off-by-one", feature = "linear-range-lookup")))]
            self.table[self.index_of(key)].1
        }

        fn split(&mut self, at: &[u8]) -> Result<RangeMove, RangeError> {
            let i = self.index_of(at);
            if self.table[i].0.as_slice() == at {
                return Err(RangeError::AlreadyABound(at.to_vec()));
            }
            let from = self.table[i].1;
            // MISTAKE (merge-reuses-id): a retired id is handed out again, so
            // an old id in a log or a client's cache now names another range.
            let to = match self.retired.pop() {
                Some(id) if cfg!(feature = "merge-reuses-id") => id,
                _ => {
                    self.next_id += 1;
                    self.next_id - 1
                }
            };
            let hi = self.end_of(i);
            self.table.insert(i + 1, (at.to_vec(), to));
            Ok(RangeMove { lo: at.to_vec(), hi, from, to })
        }

        fn merge(&mut self, left: ShardId) -> Result<RangeMove, RangeError> {
            let i = self.table.iter().position(|&(_, id)| id == left).ok_or(RangeError::UnknownShard(left))?;
            if i + 1 == self.table.len() {
                return Err(RangeError::NoRightNeighbour(left));
            }
            let hi = self.end_of(i + 1);
            let (mid, from) = self.table.remove(i + 1);
            self.retired.push(from);
            Ok(RangeMove { lo: mid, hi, from, to: left })
        }

        fn ranges(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>, ShardId)> {
            (0..self.table.len()).map(|i| (self.table[i].0.clone(), self.end_of(i), self.table[i].1)).collect()
        }
    }

    // ─── Hot shards ───

    /// The reference's detector, plus the mistake.
    pub struct Hotspots {
        inner: shard_router_solution::Hotspots,
        shards: u32,
        config: HotConfig,
        /// no-decay: accesses per shard since `new`.
        counts: Vec<u64>,
        recorded: u64,
        /// unbounded-counter: accesses per key, never trimmed.
        per_key: HashMap<Vec<u8>, u64>,
    }

    impl HotShards for Hotspots {
        fn new(shards: u32, config: HotConfig) -> Self {
            Hotspots {
                inner: shard_router_solution::Hotspots::new(shards, config),
                shards,
                config,
                counts: vec![0; shards as usize],
                recorded: 0,
                per_key: HashMap::new(),
            }
        }

        fn record(&mut self, shard: ShardId, key: &[u8]) {
            self.inner.record(shard, key);
            self.counts[shard as usize] += 1;
            self.recorded += 1;
            if cfg!(feature = "unbounded-counter") {
                // MISTAKE (unbounded-counter): a counter per key, never
                // trimmed: a stream of distinct keys grows it without limit.
                *self.per_key.entry(key.to_vec()).or_insert(0) += 1;
            }
        }

        fn hot(&self) -> Vec<ShardId> {
            #[cfg(feature = "no-decay")]
            {
                // MISTAKE (no-decay): shares since the start, never aged: a
                // shard that was hot an hour ago stays hot long after its
                // traffic went back to normal.
                if self.recorded < self.config.min_accesses {
                    return Vec::new();
                }
                let bar = u128::from(self.config.factor) * u128::from(self.recorded);
                (0..self.shards)
                    .filter(|&s| u128::from(self.counts[s as usize]) * u128::from(self.shards) > bar)
                    .collect()
            }
            #[cfg(not(feature = "no-decay"))]
            self.inner.hot()
        }

        fn split_point(&self, shard: ShardId) -> Option<Vec<u8>> {
            self.inner.split_point(shard)
        }

        fn tracked_keys(&self) -> usize {
            self.inner.tracked_keys() + self.per_key.len()
        }
    }

    // ─── Read routing ───

    /// The reference's read router, written out again with the mistake.
    pub struct Replicas {
        written: AtomicU64,
        applied: Vec<AtomicU64>,
        turn: AtomicU64,
    }

    impl ReadRouter for Replicas {
        fn new(replicas: u32) -> Self {
            Replicas {
                written: AtomicU64::new(0),
                applied: (0..replicas).map(|_| AtomicU64::new(0)).collect(),
                turn: AtomicU64::new(0),
            }
        }

        fn write(&self) -> Position {
            Position(self.written.fetch_add(1, Relaxed) + 1)
        }

        fn applied(&self, replica: u32, position: Position) {
            let Some(applied) = self.applied.get(replica as usize) else { return };
            if cfg!(feature = "stale-report-moves-back") {
                // MISTAKE (stale-report-moves-back): the latest report wins,
                // so a late, smaller one moves the replica back in time.
                applied.store(position.0, Relaxed);
            } else {
                applied.fetch_max(position.0, Relaxed);
            }
        }

        fn read(&self, session: &mut Session) -> Target {
            let advance = |session: &mut Session, at: u64| {
                // MISTAKE (no-session-advance): the session keeps only what
                // it wrote, not what it read: its next read may land on a
                // replica behind the one it just read from.
                if cfg!(not(feature = "no-session-advance")) {
                    session.observe(Position(at));
                }
            };
            if cfg!(feature = "primary-only") || self.applied.is_empty() {
                // MISTAKE (primary-only): every read to the primary: always
                // fresh, and the replicas idle.
                advance(session, self.written.load(Relaxed));
                return Target::Primary;
            }
            if cfg!(feature = "lagging-replica") {
                // MISTAKE (lagging-replica): round-robin over every replica,
                // ignoring the session's position: a read right after a
                // write may land on a replica that has not applied it.
                let id = (self.turn.fetch_add(1, Relaxed) % self.applied.len() as u64) as usize;
                advance(session, self.applied[id].load(Relaxed));
                return Target::Replica(id as u32);
            }
            let need = session.position.0;
            let caught_up: Vec<(usize, u64)> = self
                .applied
                .iter()
                .enumerate()
                .map(|(id, a)| (id, a.load(Relaxed)))
                .filter(|&(_, at)| at >= need)
                .collect();
            if caught_up.is_empty() {
                advance(session, self.written.load(Relaxed));
                return Target::Primary;
            }
            let (id, at) = caught_up[(self.turn.fetch_add(1, Relaxed) % caught_up.len() as u64) as usize];
            advance(session, at);
            Target::Replica(id as u32)
        }
    }

    // ─── Scatter-gather ───

    /// An item's place in the order: smaller comes first.
    type Rank = (Reverse<u64>, u64);

    fn rank(it: &Item) -> Rank {
        (Reverse(it.score), it.id)
    }

    fn after(it: &Item, c: &Cursor) -> bool {
        rank(it) > (Reverse(c.score), c.id)
    }

    /// Where each shard's items after the cursor start.
    fn start(items: &[Item], cursor: Option<Cursor>) -> usize {
        let Some(c) = cursor else { return 0 };
        if cfg!(feature = "cursor-inclusive") {
            // MISTAKE (cursor-inclusive): resumes *at* the cursor, not after
            // it: the last item of a page comes back first on the next one.
            items.partition_point(|it| rank(it) < (Reverse(c.score), c.id))
        } else {
            items.partition_point(|it| !after(it, &c))
        }
    }

    pub fn merge_top_k(shards: &[&[Item]], k: usize, cursor: Option<Cursor>) -> Page {
        if k == 0 {
            return Page { items: Vec::new(), next: None };
        }
        if cfg!(feature = "merge-no-global-limit") {
            // MISTAKE (merge-no-global-limit): each shard's own top k,
            // concatenated: up to shards × k items, out of global order.
            let mut items = Vec::new();
            let mut more = false;
            for s in shards {
                let i = start(s, cursor);
                let end = (i + k).min(s.len());
                items.extend_from_slice(&s[i..end]);
                more |= end < s.len();
            }
            let next = items.last().filter(|_| more).map(|l| Cursor { score: l.score, id: l.id });
            return Page { items, next };
        }
        if cfg!(feature = "merge-sorts-everything") {
            // MISTAKE (merge-sorts-everything): gathers every item after the
            // cursor and sorts them all: exact, and O(total items) per page.
            let mut all: Vec<Item> = shards.iter().flat_map(|s| s[start(s, cursor)..].iter().copied()).collect();
            all.sort_by_key(rank);
            let more = all.len() > k;
            all.truncate(k);
            let next = all.last().filter(|_| more).map(|l| Cursor { score: l.score, id: l.id });
            return Page { items: all, next };
        }
        let mut heap: BinaryHeap<(Reverse<Rank>, usize, usize)> = shards
            .iter()
            .enumerate()
            .filter_map(|(s, items)| {
                let i = start(items, cursor);
                items.get(i).map(|it| (Reverse(rank(it)), s, i))
            })
            .collect();
        let mut items = Vec::new();
        while items.len() < k {
            let Some((_, s, i)) = heap.pop() else { break };
            items.push(shards[s][i]);
            if let Some(next) = shards[s].get(i + 1) {
                heap.push((Reverse(rank(next)), s, i + 1));
            }
        }
        let next = items.last().filter(|_| !heap.is_empty()).map(|l| Cursor { score: l.score, id: l.id });
        Page { items, next }
    }
}
