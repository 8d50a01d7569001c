//! Scatter-gather: the global top `k` from per-shard sorted results.
//!
//! Each shard answers its own results sorted by (score descending, id
//! ascending). The global order is the same order over the union, so the
//! merge is the classic **k-way merge**: a binary heap holds the next
//! candidate of each shard; take the best, emit it, and put that shard's
//! next item in its place; stop after `k`. Each step costs O(log s) for `s`
//! shards, whatever the shards hold. (Replacing the top and letting it sink,
//! through `BinaryHeap::peek_mut`, is one sift per item where a pop and a
//! push are two: it halves the merge's time.)
//!
//! **The cursor** is the `(score, id)` of the last item a page returned.
//! Since the order is total (ids are unique), "after the cursor" is a
//! position in every shard's list, found by binary search: no page ever
//! walks over the items before it. Resuming from a position, not an offset,
//! also keeps pages exact when items are added or removed between two pages
//! (an offset would skip or repeat items); an item equal to the cursor need
//! not exist any more.
//!
//! **The limit is global.** Asking each shard for its own top `k` is right
//! (no shard can contribute more than `k`), but concatenating those answers
//! returns up to `s × k` items in the wrong order: the merge, and the cut
//! after `k`, happen at the gatherer.
//!
//! Cost: O(s log m) to find the cursor in `s` shards of up to `m` items,
//! plus O(k log s) for the page.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;

use contracts::shard_router::{Cursor, Item, Page};

/// An item's place in the global order, as a key a max-heap pops first:
/// the highest score, and among equal scores the smallest id.
#[inline]
fn rank(score: u64, id: u64) -> (u64, Reverse<u64>) {
    (score, Reverse(id))
}

/// `true` when `item` comes strictly after `cursor` in the order.
#[inline]
fn after(item: &Item, cursor: &Cursor) -> bool {
    item.score < cursor.score || (item.score == cursor.score && item.id > cursor.id)
}

/// The global first `k` items after `cursor` (from the start when `None`),
/// and where the next page starts (`None` when nothing is left, and for
/// `k = 0`). See the module docs.
pub fn merge_top_k(shards: &[&[Item]], k: usize, cursor: Option<Cursor>) -> Page {
    if k == 0 {
        return Page { items: Vec::new(), next: None };
    }
    // Each shard's first position after the cursor: a binary search.
    let start = |items: &[Item]| cursor.map_or(0, |c| items.partition_point(|it| !after(it, &c)));
    // The heap holds one candidate per shard: (rank, shard, position).
    let mut heap: BinaryHeap<((u64, Reverse<u64>), usize, usize)> = shards
        .iter()
        .enumerate()
        .filter_map(|(s, items)| {
            let i = start(items);
            items.get(i).map(|it| (rank(it.score, it.id), s, i))
        })
        .collect();
    let left: usize = heap.iter().map(|&(_, s, i)| shards[s].len() - i).sum();
    let mut items = Vec::with_capacity(k.min(left));
    while items.len() < k {
        let Some(mut top) = heap.peek_mut() else { break };
        let (_, s, i) = *top;
        items.push(shards[s][i]);
        match shards[s].get(i + 1) {
            // The shard's next item takes the top's place and sinks to its
            // own: one sift, where a pop and a push would take two.
            Some(next) => *top = (rank(next.score, next.id), s, i + 1),
            None => {
                PeekMut::pop(top);
            }
        }
    }
    let next = match items.last() {
        Some(last) if !heap.is_empty() => Some(Cursor { score: last.score, id: last.id }),
        _ => None,
    };
    Page { items, next }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn it(score: u64, id: u64) -> Item {
        Item { score, id }
    }

    #[test]
    fn ties_are_broken_by_id_and_the_limit_is_global() {
        let a = [it(9, 4), it(5, 1), it(5, 3)];
        let b = [it(9, 2), it(5, 2), it(1, 0)];
        let page = merge_top_k(&[&a, &b], 3, None);
        assert_eq!(page.items, [it(9, 2), it(9, 4), it(5, 1)]);
        assert_eq!(page.next, Some(Cursor { score: 5, id: 1 }));
        let page = merge_top_k(&[&a, &b], 10, page.next);
        assert_eq!(page.items, [it(5, 2), it(5, 3), it(1, 0)]);
        assert_eq!(page.next, None);
    }

    #[test]
    fn empty_cases() {
        assert_eq!(merge_top_k(&[], 5, None), Page { items: vec![], next: None });
        assert_eq!(merge_top_k(&[&[], &[]], 5, None), Page { items: vec![], next: None });
        assert_eq!(merge_top_k(&[&[it(1, 1)]], 0, None), Page { items: vec![], next: None });
    }

    proptest! {
        #[test]
        fn pages_concatenate_to_the_sorted_union(scores in proptest::collection::vec((0u64..5, 0usize..4), 0..60), k in 1usize..7) {
            // Unique ids, scattered over four shards.
            let mut shards: Vec<Vec<Item>> = vec![Vec::new(); 4];
            for (id, &(score, s)) in scores.iter().enumerate() {
                shards[s].push(it(score, id as u64));
            }
            let order = |x: &Item, y: &Item| y.score.cmp(&x.score).then(x.id.cmp(&y.id));
            shards.iter_mut().for_each(|v| v.sort_by(order));
            let mut all: Vec<Item> = shards.concat();
            all.sort_by(order);
            let refs: Vec<&[Item]> = shards.iter().map(Vec::as_slice).collect();
            let (mut got, mut cursor) = (Vec::new(), None);
            loop {
                let page = merge_top_k(&refs, k, cursor);
                prop_assert!(page.items.len() <= k);
                got.extend(page.items);
                match page.next { Some(c) => cursor = Some(c), None => break }
            }
            prop_assert_eq!(got, all);
        }
    }
}
