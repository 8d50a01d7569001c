//! Range routing: a sorted table of lower bounds.
//!
//! The ranges cover the key space with no gap and no overlap, so each one is
//! fully described by its **lower bound**: range `i` is
//! `[bounds[i], bounds[i + 1])`, and the last has no end. The table is a
//! `Vec` sorted by bound, the first bound being the empty key (the smallest
//! key of all).
//!
//! **Lookup** is "the last range whose lower bound is `≤ key`": a binary
//! search ([`slice::partition_point`]) for the first bound `> key`, minus
//! one. The comparison is `<=`, and that `=` is the inclusive lower bound:
//! a key equal to a split point belongs to the range that starts there.
//! O(log r) comparisons of byte strings, each touching a contiguous array.
//!
//! Comparing byte strings means following a pointer per comparison, and at
//! 10,000 ranges most of those are cache misses. So beside each bound the
//! table keeps its first 8 bytes as a big-endian `u64` (zero-padded), in a
//! `Vec<u64>` of its own: 80 KB, contiguous. Prefixes order like the keys
//! (`a < b` implies `prefix(a) ≤ prefix(b)`), so the search runs on the
//! integers, and only bounds whose prefix equals the key's (usually none,
//! a few at most) are compared in full. Databases call this trick
//! *abbreviated keys*.
//!
//! **Split** inserts one bound, **merge** removes one: O(r) to shift the
//! tail of the `Vec`, which is fine for operations that happen when data
//! moves (minutes apart), not per request. A `BTreeMap<Vec<u8>, ShardId>`
//! would make them O(log r) too, at the price of a lookup that chases
//! pointers; real systems (CockroachDB's range cache, MongoDB's chunk map)
//! keep an ordered map of this shape.
//!
//! Ids: the first range is shard 0, each split takes the next id, and a
//! merged-away id is retired for good, so an id seen in a log or a metric
//! never comes to mean another range.

use contracts::shard_router::{RangeError, RangeMove, RangeRouter, ShardId};

/// A range router: lower bounds in key order, each with its shard.
#[derive(Debug, Clone)]
pub struct Ranges {
    /// `(lower bound, shard)`, sorted by bound, bounds distinct; the first
    /// bound is the empty key.
    table: Vec<(Vec<u8>, ShardId)>,
    /// `prefix(bound)` of each entry of `table`, in the same order.
    prefixes: Vec<u64>,
    /// The id the next split gives out.
    next_id: ShardId,
}

/// A key's first 8 bytes as a big-endian number, zero-padded: keys compare
/// in the same order as their prefixes, or tie.
#[inline]
fn prefix(key: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let n = key.len().min(8);
    bytes[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(bytes)
}

impl Ranges {
    /// The index of the range covering `key`: the last bound `≤ key`.
    #[inline]
    fn index_of(&self, key: &[u8]) -> usize {
        // Bounds with a smaller prefix are smaller than the key, bounds with
        // a larger one larger; only those with an equal prefix need the
        // full comparison. The first bound is the empty key, `≤` every key,
        // so the partition point is at least 1.
        let p = prefix(key);
        let below = self.prefixes.partition_point(|&q| q < p);
        let tied = self.prefixes[below..].partition_point(|&q| q == p);
        below + self.table[below..below + tied].partition_point(|(lo, _)| lo.as_slice() <= key) - 1
    }

    /// The exclusive upper bound of range `i`: the next range's lower bound.
    fn end_of(&self, i: usize) -> Option<Vec<u8>> {
        self.table.get(i + 1).map(|(lo, _)| lo.clone())
    }
}

impl RangeRouter for Ranges {
    fn new() -> Self {
        Ranges { table: vec![(Vec::new(), 0)], prefixes: vec![0], next_id: 1 }
    }

    #[inline]
    fn shard_for(&self, key: &[u8]) -> ShardId {
        self.table[self.index_of(key)].1
    }

    fn split(&mut self, at: &[u8]) -> Result<RangeMove, RangeError> {
        let i = self.index_of(at);
        let (lo, from) = &self.table[i];
        if lo.as_slice() == at {
            return Err(RangeError::AlreadyABound(at.to_vec()));
        }
        let from = *from;
        let to = self.next_id;
        self.next_id += 1;
        let hi = self.end_of(i);
        self.table.insert(i + 1, (at.to_vec(), to));
        self.prefixes.insert(i + 1, prefix(at));
        Ok(RangeMove { lo: at.to_vec(), hi, from, to })
    }

    fn merge(&mut self, left: ShardId) -> Result<RangeMove, RangeError> {
        // O(r): merges are rare, and a second index by id would have to be
        // kept in step with every split and merge.
        let i = self.table.iter().position(|&(_, id)| id == left).ok_or(RangeError::UnknownShard(left))?;
        if i + 1 == self.table.len() {
            return Err(RangeError::NoRightNeighbour(left));
        }
        let hi = self.end_of(i + 1);
        let (mid, from) = self.table.remove(i + 1);
        self.prefixes.remove(i + 1);
        Ok(RangeMove { lo: mid, hi, from, to: left })
    }

    fn ranges(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>, ShardId)> {
        (0..self.table.len()).map(|i| (self.table[i].0.clone(), self.end_of(i), self.table[i].1)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_split_point_belongs_to_the_range_it_starts() {
        let mut r = Ranges::new();
        let m = r.split(b"m").expect("a new bound");
        assert_eq!(m, RangeMove { lo: b"m".to_vec(), hi: None, from: 0, to: 1 });
        assert_eq!(r.shard_for(b"m"), 1);
        assert_eq!(r.shard_for(b"l\xff\xff"), 0);
        assert_eq!(r.shard_for(b""), 0);
        assert_eq!(r.shard_for(&[0xFF; 1024]), 1);
        assert_eq!(r.split(b"m"), Err(RangeError::AlreadyABound(b"m".to_vec())));
        assert_eq!(r.split(b""), Err(RangeError::AlreadyABound(Vec::new())));
    }

    #[test]
    fn merge_retires_the_neighbour() {
        let mut r = Ranges::new();
        r.split(b"g").expect("a new bound");
        r.split(b"p").expect("a new bound");
        assert_eq!(r.merge(2), Err(RangeError::NoRightNeighbour(2)));
        assert_eq!(r.merge(9), Err(RangeError::UnknownShard(9)));
        let m = r.merge(0).expect("shard 0 has a neighbour");
        assert_eq!(m, RangeMove { lo: b"g".to_vec(), hi: Some(b"p".to_vec()), from: 1, to: 0 });
        assert_eq!(r.merge(1), Err(RangeError::UnknownShard(1)));
        assert_eq!(r.split(b"k").expect("a new bound").to, 3, "retired ids are never given out again");
        assert_eq!(
            r.ranges(),
            vec![
                (Vec::new(), Some(b"k".to_vec()), 0),
                (b"k".to_vec(), Some(b"p".to_vec()), 3),
                (b"p".to_vec(), None, 2)
            ]
        );
    }

    proptest! {
        #[test]
        fn lookup_agrees_with_the_table(splits in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..4), 0..30),
                                        probes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..5), 0..30)) {
            let mut r = Ranges::new();
            for s in &splits {
                let _ = r.split(s);
            }
            let table = r.ranges();
            for p in &probes {
                let want = table.iter().find(|(lo, hi, _)| lo <= p && hi.as_ref().is_none_or(|h| p < h)).map(|t| t.2);
                prop_assert_eq!(Some(r.shard_for(p)), want);
            }
        }
    }
}
