//! The specification, executable: what the stages check the routers'
//! answers against.
//!
//! [`RangeModel`] is the contract's range map, kept as a sorted `Vec` of
//! ranges (plain and obviously right, O(ranges) per call: a model, not a
//! router). [`top_k`] is the exact global order of a scatter-gather read:
//! every shard's items in one list, sorted, then cut after the cursor.

use contracts::shard_router::RangeMove;

/// A range as `RangeRouter::ranges` lists it: `(lo, hi, shard)`.
pub(super) type Listed = (Vec<u8>, Option<Vec<u8>>, u32);

/// One range of the model: `[lo, hi)`, `hi == None` for "to the end of the
/// key space".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Range {
    pub(super) lo: Vec<u8>,
    pub(super) hi: Option<Vec<u8>>,
    pub(super) shard: u32,
}

/// Whether `key` is in `[lo, hi)`.
pub(super) fn covers(lo: &[u8], hi: Option<&[u8]>, key: &[u8]) -> bool {
    lo <= key && hi.is_none_or(|hi| key < hi)
}

/// The range map of the contract.
#[derive(Debug, Clone)]
pub(super) struct RangeModel {
    /// In key order, covering every key exactly once.
    pub(super) ranges: Vec<Range>,
    /// The next fresh shard id (ids are never reused).
    pub(super) next: u32,
}

/// Why a split or merge of the model refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// `split(at)` where `at` already is a range's lower bound.
    ExistingBound,
    /// `merge(left)` of an id that holds no range.
    UnknownShard,
    /// `merge(left)` of the last range, which has no right neighbour.
    NoRightNeighbour,
}

impl RangeModel {
    /// One range, shard 0, covering every key.
    pub(super) fn new() -> RangeModel {
        RangeModel { ranges: vec![Range { lo: Vec::new(), hi: None, shard: 0 }], next: 1 }
    }

    fn index_of(&self, key: &[u8]) -> usize {
        self.ranges.iter().position(|r| covers(&r.lo, r.hi.as_deref(), key)).unwrap_or(0)
    }

    /// The shard whose range holds `key`.
    pub(super) fn shard_for(&self, key: &[u8]) -> u32 {
        self.ranges[self.index_of(key)].shard
    }

    /// Splits the range holding `at`: `[lo, at)` stays, `[at, hi)` goes to a
    /// fresh id. Answers the moved range `(at, hi)`, from, to.
    pub(super) fn split(&mut self, at: &[u8]) -> Result<RangeMove, Refused> {
        let i = self.index_of(at);
        if self.ranges[i].lo == at {
            return Err(Refused::ExistingBound);
        }
        let to = self.next;
        self.next += 1;
        let hi = self.ranges[i].hi.replace(at.to_vec());
        let from = self.ranges[i].shard;
        self.ranges.insert(i + 1, Range { lo: at.to_vec(), hi: hi.clone(), shard: to });
        Ok(RangeMove { lo: at.to_vec(), hi, from, to })
    }

    /// The range of `left` absorbs its right neighbour, whose id retires.
    /// Answers the moved range (the neighbour's `(lo, hi)`), from (the
    /// neighbour), to (`left`).
    pub(super) fn merge(&mut self, left: u32) -> Result<RangeMove, Refused> {
        let i = self.ranges.iter().position(|r| r.shard == left).ok_or(Refused::UnknownShard)?;
        if i + 1 == self.ranges.len() {
            return Err(Refused::NoRightNeighbour);
        }
        let right = self.ranges.remove(i + 1);
        self.ranges[i].hi = right.hi.clone();
        Ok(RangeMove { lo: right.lo, hi: right.hi, from: right.shard, to: left })
    }

    /// The live shard ids.
    pub(super) fn shards(&self) -> Vec<u32> {
        self.ranges.iter().map(|r| r.shard).collect()
    }
}

/// The global order of items: score descending, then id ascending. Items
/// are `(score, id)`.
pub(super) fn order(item: &(u64, u64)) -> (std::cmp::Reverse<u64>, u64) {
    (std::cmp::Reverse(item.0), item.1)
}

/// Every item of every shard, in the global order.
pub(super) fn all_sorted(shards: &[Vec<(u64, u64)>]) -> Vec<(u64, u64)> {
    let mut all: Vec<(u64, u64)> = shards.iter().flatten().copied().collect();
    all.sort_by_key(order);
    all
}

/// The first `k` items strictly after `after` (an item's position in the
/// order: `(score, id)`), and whether items remain after them.
pub(super) fn top_k(sorted: &[(u64, u64)], k: usize, after: Option<(u64, u64)>) -> (Vec<(u64, u64)>, bool) {
    let start = after.map_or(0, |c| sorted.partition_point(|x| order(x) <= order(&c)));
    let end = (start + k).min(sorted.len());
    (sorted[start..end].to_vec(), end < sorted.len())
}

/// `shards` shards of items for a scatter-gather check: each shard sorted,
/// ids distinct across shards, scores from a small range so that ties
/// across shards are frequent (broken by id), some shards empty.
pub(super) fn shards_of_items(
    rng: &mut impl rand::Rng,
    shards: usize,
    per_shard: usize,
    scores: u64,
) -> Vec<Vec<(u64, u64)>> {
    use rand::RngExt;
    let mut next_id: u64 = rng.random_range(0..1_000);
    let mut out = Vec::with_capacity(shards);
    for _ in 0..shards {
        let n = if rng.random_range(0..5) == 0 { 0 } else { rng.random_range(0..=per_shard) };
        let mut items: Vec<(u64, u64)> = (0..n)
            .map(|_| {
                next_id += rng.random_range(1..4);
                let score = match rng.random_range(0..40) {
                    0 => u64::MAX,
                    1 => 0,
                    _ => rng.random_range(0..scores),
                };
                (score, next_id)
            })
            .collect();
        items.sort_by_key(order);
        out.push(items);
    }
    // Ids drawn in order and given to shards in turn would make each shard
    // a contiguous id block: shuffle which shard got which block.
    for i in (1..out.len()).rev() {
        let j = rng.random_range(0..=i);
        out.swap(i, j);
    }
    out
}
