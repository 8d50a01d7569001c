//! The plain idiomatic routers the benchmarks grade speed against.
//!
//! This is the yardstick of the `benchmarks` stage: correct, and written the
//! way a careful engineer writes it the first time, with `std` collections
//! and nothing tuned. The hash router is jump consistent hash over a plain
//! FNV-1a of the key; the range router a `BTreeMap` from lower bound to
//! shard; the hot-shard detector per-shard counts of the current and previous
//! window and a `VecDeque` of the last accesses, trimmed to its bound; the read router one
//! `Mutex` around the replicas' positions and a round-robin counter; the
//! merge a sort of every shard's candidates. A learner's code passes the
//! speed figures when it is at least
//! [`SPEED_THRESHOLD`](crate::bench::SPEED_THRESHOLD) times as fast as this;
//! the tuned reference is shown beside it as a stretch goal, not graded.
//!
//! It passes every stage of the suite (the `control` crate in
//! `grader/mutants/shard-router` re-exports it, and the project's tests grade
//! it like any learner's crate).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use contracts::shard_router::{
    Cursor, HashRouter, HotConfig, HotShards, Item, Move, Page, Position, RangeError, RangeMove, RangeRouter,
    ReadRouter, Session, ShardId, Target,
};

/// FNV-1a over the key's bytes, then splitmix64's finalizer: fixed, so the
/// same in every process.
fn hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Jump consistent hash (Lamping and Veach, 2014).
fn jump(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// Jump hash over FNV-1a.
#[derive(Debug)]
pub struct Jump {
    shards: u32,
}

impl HashRouter for Jump {
    fn new(shards: u32) -> Self {
        Jump { shards }
    }

    fn shard_for(&self, key: &[u8]) -> ShardId {
        jump(hash(key), self.shards)
    }

    fn shards(&self) -> u32 {
        self.shards
    }

    fn add_shard(&mut self) -> ShardId {
        self.shards += 1;
        self.shards - 1
    }

    fn plan_add(&self, keys: &[&[u8]]) -> Vec<Move> {
        let mut moves = vec![];
        for key in keys {
            let h = hash(key);
            let (from, to) = (jump(h, self.shards), jump(h, self.shards + 1));
            if from != to {
                moves.push(Move { key: key.to_vec(), from, to });
            }
        }
        moves
    }
}

/// A `BTreeMap` from each range's lower bound to its shard.
#[derive(Debug)]
pub struct Ranges {
    starts: BTreeMap<Vec<u8>, ShardId>,
    next: ShardId,
}

impl Ranges {
    /// The lower bound of the range holding `key`, and its shard.
    fn holding(&self, key: &[u8]) -> (&Vec<u8>, ShardId) {
        use std::ops::Bound::{Included, Unbounded};
        let (lo, &shard) =
            self.starts.range::<[u8], _>((Unbounded, Included(key))).next_back().expect("the empty key starts a range");
        (lo, shard)
    }

    fn end_of(&self, lo: &[u8]) -> Option<Vec<u8>> {
        use std::ops::Bound::{Excluded, Unbounded};
        self.starts.range::<[u8], _>((Excluded(lo), Unbounded)).next().map(|(k, _)| k.clone())
    }
}

impl RangeRouter for Ranges {
    fn new() -> Self {
        Ranges { starts: BTreeMap::from([(Vec::new(), 0)]), next: 1 }
    }

    fn shard_for(&self, key: &[u8]) -> ShardId {
        self.holding(key).1
    }

    fn split(&mut self, at: &[u8]) -> Result<RangeMove, RangeError> {
        let (lo, from) = self.holding(at);
        if lo.as_slice() == at {
            return Err(RangeError::AlreadyABound(at.to_vec()));
        }
        let hi = self.end_of(at);
        let to = self.next;
        self.next += 1;
        self.starts.insert(at.to_vec(), to);
        Ok(RangeMove { lo: at.to_vec(), hi, from, to })
    }

    fn merge(&mut self, left: ShardId) -> Result<RangeMove, RangeError> {
        let lo = self
            .starts
            .iter()
            .find(|(_, s)| **s == left)
            .map(|(k, _)| k.clone())
            .ok_or(RangeError::UnknownShard(left))?;
        let mid = self.end_of(&lo).ok_or(RangeError::NoRightNeighbour(left))?;
        let hi = self.end_of(&mid);
        let from = self.starts.remove(&mid).expect("the neighbour starts at mid");
        Ok(RangeMove { lo: mid, hi, from, to: left })
    }

    fn ranges(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>, ShardId)> {
        let starts: Vec<(&Vec<u8>, &ShardId)> = self.starts.iter().collect();
        starts
            .iter()
            .enumerate()
            .map(|(i, (lo, shard))| ((*lo).clone(), starts.get(i + 1).map(|(k, _)| (*k).clone()), **shard))
            .collect()
    }
}

/// Per-shard counts of the current and the previous window of accesses,
/// and the last `max_tracked_keys` accesses for split points.
#[derive(Debug)]
pub struct Hotspots {
    shards: u32,
    config: HotConfig,
    current: Vec<u64>,
    previous: Option<Vec<u64>>,
    in_current: u64,
    total: u64,
    recent: VecDeque<(ShardId, Vec<u8>)>,
}

impl HotShards for Hotspots {
    fn new(shards: u32, config: HotConfig) -> Self {
        Hotspots {
            shards,
            config,
            current: vec![0; shards as usize],
            previous: None,
            in_current: 0,
            total: 0,
            recent: VecDeque::new(),
        }
    }

    fn record(&mut self, shard: ShardId, key: &[u8]) {
        if self.in_current == self.config.window {
            let fresh = vec![0; self.shards as usize];
            self.previous = Some(std::mem::replace(&mut self.current, fresh));
            self.in_current = 0;
        }
        self.current[shard as usize] += 1;
        self.in_current += 1;
        self.total += 1;
        if self.recent.len() == self.config.max_tracked_keys {
            self.recent.pop_front();
        }
        self.recent.push_back((shard, key.to_vec()));
    }

    fn hot(&self) -> Vec<ShardId> {
        if self.total < self.config.min_accesses {
            return vec![];
        }
        let span = match self.previous {
            Some(_) => self.config.window + self.in_current,
            None => self.config.window,
        };
        (0..self.shards)
            .filter(|&s| {
                let count = self.current[s as usize] + self.previous.as_ref().map_or(0, |p| p[s as usize]);
                u128::from(count) * u128::from(self.shards) > u128::from(self.config.factor) * u128::from(span)
            })
            .collect()
    }

    fn split_point(&self, shard: ShardId) -> Option<Vec<u8>> {
        let mut keys: Vec<&Vec<u8>> = self.recent.iter().filter(|(s, _)| *s == shard).map(|(_, k)| k).collect();
        keys.sort();
        keys.get(keys.len() / 2).map(|k| (*k).clone())
    }

    fn tracked_keys(&self) -> usize {
        self.recent.len()
    }
}

/// One lock around the latest write, the replicas' largest reports and a
/// round-robin counter.
#[derive(Debug)]
pub struct Replicas {
    state: Mutex<ReadState>,
}

#[derive(Debug)]
struct ReadState {
    latest: u64,
    reports: Vec<u64>,
    turn: usize,
}

impl ReadRouter for Replicas {
    fn new(replicas: u32) -> Self {
        Replicas { state: Mutex::new(ReadState { latest: 0, reports: vec![0; replicas as usize], turn: 0 }) }
    }

    fn write(&self) -> Position {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.latest += 1;
        Position(s.latest)
    }

    fn applied(&self, replica: u32, position: Position) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let r = &mut s.reports[replica as usize];
        *r = (*r).max(position.0);
    }

    fn read(&self, session: &mut Session) -> Target {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let want = session.position.0;
        let caught: Vec<usize> = (0..s.reports.len()).filter(|&r| s.reports[r] >= want).collect();
        if caught.is_empty() {
            session.observe(Position(s.latest));
            return Target::Primary;
        }
        let r = caught[s.turn % caught.len()];
        s.turn = s.turn.wrapping_add(1);
        session.observe(Position(s.reports[r]));
        Target::Replica(r as u32)
    }
}

/// Each shard's first `k` items after the cursor (found by binary search),
/// all of them sorted, the first `k` kept.
pub fn merge_top_k(shards: &[&[Item]], k: usize, after: Option<Cursor>) -> Page {
    let rank = |i: &Item| (std::cmp::Reverse(i.score), i.id);
    let mut candidates: Vec<Item> = vec![];
    for shard in shards {
        let start = after.map_or(0, |c| shard.partition_point(|i| rank(i) <= (std::cmp::Reverse(c.score), c.id)));
        candidates.extend(shard[start..].iter().take(k));
    }
    candidates.sort_by_key(rank);
    candidates.truncate(k);
    let next = candidates.last().and_then(|last| {
        let c = (std::cmp::Reverse(last.score), last.id);
        let more = shards.iter().any(|s| s.partition_point(|i| rank(i) <= c) < s.len());
        more.then_some(Cursor { score: last.score, id: last.id })
    });
    Page { items: candidates, next }
}
