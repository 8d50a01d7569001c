//! [`LruCache`]: least recently used eviction with a time to live per entry.
//!
//! Three structures over one slab of nodes, each answering one question in
//! O(1) or O(log n):
//!
//! | question | structure | cost |
//! | --- | --- | --- |
//! | where is key `k`? | hash map key → slot | O(1) |
//! | which entry is least recently used? | linked list through the slots, newest at the head | O(1) |
//! | has any entry expired? which one? | binary min-heap of slots by expiry | O(1) to look, O(log n) to change |
//!
//! A hit moves its node to the head of the list: unlink, relink, four index
//! writes. Nothing else moves on a hit, and a miss moves nothing.
//!
//! Why a heap at all? The contract says that a full cache evicts an *expired*
//! entry before any live one, and entries have different TTLs, so the
//! least recently used entry is not necessarily the first to expire. The heap
//! keeps the soonest expiry at its root: if the root has expired, it is the
//! victim; otherwise nothing has, and the list's tail goes. Each node records
//! its place in the heap, so that a node can be taken out of the middle of
//! the heap (on `remove`, on an overwrite with a new TTL) in O(log n) without
//! searching for it. A `get` never touches the heap: it only reads the
//! node's expiry.
//!
//! Expired entries are purged lazily: when a `get` or `remove` meets one, or
//! when a `put` needs its slot. That keeps `len()` ≤ capacity at all times
//! (the bound that matters for memory) without a background sweeper.

use contracts::cache_aside::{Nanos, TtlLru};

use crate::list::{Linked, Links, List};
use crate::map::{Map, new_map};

/// One entry.
#[derive(Debug, Clone)]
struct Node {
    key: u64,
    value: u64,
    /// First instant at which the entry is expired: alive while `now < expires`.
    expires: Nanos,
    /// Where this node sits in `LruCache::heap`.
    heap_at: u32,
    links: Links,
}

impl Linked for Node {
    #[inline]
    fn links(&mut self) -> &mut Links {
        &mut self.links
    }
}

/// Least recently used eviction, entries with a time to live.
#[derive(Debug)]
pub struct LruCache {
    capacity: usize,
    /// key → slot in `nodes`.
    map: Map<u32>,
    /// The slab: every entry, at a slot that never changes while it lives.
    nodes: Vec<Node>,
    /// Slots freed by `remove` or a purge, reused first.
    free: Vec<u32>,
    /// Recency order, most recent at the head.
    order: List,
    /// Slots, as a binary min-heap on `nodes[slot].expires`.
    heap: Vec<u32>,
}

impl LruCache {
    /// Is the entry at `slot` alive at `now`?
    #[inline]
    fn alive(&self, slot: u32, now: Nanos) -> bool {
        now < self.nodes[slot as usize].expires
    }

    /// Drop the entry at `slot` from the map, the list and the heap; the slot
    /// goes to the free list.
    fn purge(&mut self, slot: u32) {
        let key = self.nodes[slot as usize].key;
        self.map.remove(&key);
        self.order.unlink(&mut self.nodes, slot);
        self.heap_remove(slot);
        self.free.push(slot);
    }

    /// The slot to reuse for a new key when the cache is full: the soonest
    /// expiry if it has passed, the least recently used entry otherwise.
    fn victim(&self, now: Nanos) -> u32 {
        let soonest = self.heap[0];
        if !self.alive(soonest, now) {
            return soonest;
        }
        self.order.tail().unwrap_or(soonest)
    }

    // --- The expiry heap. `heap[0]` is the soonest; a node's children sit at
    // 2i + 1 and 2i + 2. Every move writes the node's new place back into it.

    #[inline]
    fn expiry_at(&self, i: usize) -> Nanos {
        self.nodes[self.heap[i] as usize].expires
    }

    #[inline]
    fn heap_set(&mut self, i: usize, slot: u32) {
        self.heap[i] = slot;
        self.nodes[slot as usize].heap_at = i as u32;
    }

    fn heap_push(&mut self, slot: u32) {
        self.heap.push(slot);
        let last = self.heap.len() - 1;
        self.heap_set(last, slot);
        self.sift_up(last);
    }

    fn heap_remove(&mut self, slot: u32) {
        let i = self.nodes[slot as usize].heap_at as usize;
        let last = self.heap.pop().unwrap_or(slot);
        if i < self.heap.len() {
            self.heap_set(i, last);
            self.restore(i);
        }
    }

    /// Put the heap right after the expiry at place `i` changed.
    fn restore(&mut self, i: usize) {
        if i > 0 && self.expiry_at(i) < self.expiry_at((i - 1) / 2) {
            self.sift_up(i);
        } else {
            self.sift_down(i);
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        let slot = self.heap[i];
        let expires = self.nodes[slot as usize].expires;
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.expiry_at(parent) <= expires {
                break;
            }
            self.heap_set(i, self.heap[parent]);
            i = parent;
        }
        self.heap_set(i, slot);
    }

    fn sift_down(&mut self, mut i: usize) {
        let slot = self.heap[i];
        let expires = self.nodes[slot as usize].expires;
        let n = self.heap.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.expiry_at(right) < self.expiry_at(left) { right } else { left };
            if expires <= self.expiry_at(child) {
                break;
            }
            self.heap_set(i, self.heap[child]);
            i = child;
        }
        self.heap_set(i, slot);
    }
}

impl TtlLru for LruCache {
    fn new(capacity: usize) -> Self {
        LruCache { capacity, map: new_map(), nodes: Vec::new(), free: Vec::new(), order: List::EMPTY, heap: Vec::new() }
    }

    #[inline]
    fn get(&mut self, key: u64, now: Nanos) -> Option<u64> {
        let slot = *self.map.get(&key)?;
        if !self.alive(slot, now) {
            self.purge(slot);
            return None;
        }
        self.order.move_to_front(&mut self.nodes, slot);
        Some(self.nodes[slot as usize].value)
    }

    fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos) -> Option<u64> {
        let expires = now + ttl;
        if let Some(&slot) = self.map.get(&key) {
            let node = &mut self.nodes[slot as usize];
            node.value = value;
            node.expires = expires;
            let at = node.heap_at as usize;
            self.restore(at);
            self.order.move_to_front(&mut self.nodes, slot);
            return None;
        }
        let node = Node { key, value, expires, heap_at: 0, links: Links::UNLINKED };
        let (slot, evicted) = if self.map.len() < self.capacity {
            match self.free.pop() {
                Some(slot) => {
                    self.nodes[slot as usize] = node;
                    (slot, None)
                }
                None => {
                    self.nodes.push(node);
                    ((self.nodes.len() - 1) as u32, None)
                }
            }
        } else {
            // Full: reuse the victim's slot in place.
            let slot = self.victim(now);
            let old = self.nodes[slot as usize].key;
            self.map.remove(&old);
            self.order.unlink(&mut self.nodes, slot);
            self.heap_remove(slot);
            self.nodes[slot as usize] = node;
            (slot, Some(old))
        };
        self.map.insert(key, slot);
        self.order.push_front(&mut self.nodes, slot);
        self.heap_push(slot);
        evicted
    }

    fn remove(&mut self, key: u64, now: Nanos) -> Option<u64> {
        let slot = *self.map.get(&key)?;
        let answer = self.alive(slot, now).then_some(self.nodes[slot as usize].value);
        self.purge(slot);
        answer
    }

    #[inline]
    fn len(&self) -> usize {
        self.map.len()
    }
}
