//! [`Lfu`]: least frequently used eviction in O(1), ties broken by recency.
//!
//! The obvious LFU keeps a min-heap of frequencies: O(log n) a call. The
//! O(1) one (Shah, Mitra and Matani, 2010) notices that a frequency only
//! ever grows by one: an entry at frequency `f` moves to `f + 1`, never
//! further. So keep one **bucket** per frequency in use, each a list of its
//! entries (most recent at the head), and the buckets themselves in a list
//! sorted by frequency (lowest at the head):
//!
//! ```text
//! buckets:  [f=1: e d] → [f=2: b] → [f=5: a c]
//!                   ^ victim: least frequent, then least recent
//! ```
//!
//! - A use of `b` (frequency 2) moves it to the bucket of 3, which, if it
//!   exists, is the very next bucket; if not, a new bucket is linked right
//!   after `b`'s. An emptied bucket is unlinked. O(1).
//! - The victim is the tail of the first bucket: least frequent, and among
//!   those, least recently used, because every entry enters a bucket at its
//!   head (as the most recent) at the moment of its use.
//! - A new key goes into the bucket of 1, which is the first bucket or
//!   created in front of it.
//!
//! Entries and buckets live in two slabs linked by index (see `list.rs`).

use contracts::cache_aside::Policy;

use crate::list::{Linked, Links, List, NIL};
use crate::map::{Map, new_map};

#[derive(Debug, Clone)]
struct Entry {
    key: u64,
    value: u64,
    /// The bucket holding this entry.
    bucket: u32,
    links: Links,
}

impl Linked for Entry {
    #[inline]
    fn links(&mut self) -> &mut Links {
        &mut self.links
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    freq: u64,
    /// Entries used `freq` times, most recent at the head.
    entries: List,
    links: Links,
}

impl Linked for Bucket {
    #[inline]
    fn links(&mut self) -> &mut Links {
        &mut self.links
    }
}

/// Least frequently used eviction, least recently used among equals.
#[derive(Debug)]
pub struct Lfu {
    capacity: usize,
    map: Map<u32>,
    entries: Vec<Entry>,
    buckets: Vec<Bucket>,
    free_buckets: Vec<u32>,
    /// The buckets in use, lowest frequency at the head.
    by_freq: List,
}

impl Lfu {
    /// A bucket of frequency `freq`, linked in `by_freq` right after `after`
    /// (or at the head when `after` is [`NIL`]).
    fn new_bucket(&mut self, freq: u64, after: u32) -> u32 {
        let bucket = Bucket { freq, entries: List::EMPTY, links: Links::UNLINKED };
        let b = match self.free_buckets.pop() {
            Some(b) => {
                self.buckets[b as usize] = bucket;
                b
            }
            None => {
                self.buckets.push(bucket);
                (self.buckets.len() - 1) as u32
            }
        };
        if after == NIL {
            self.by_freq.push_front(&mut self.buckets, b);
        } else {
            self.by_freq.insert_after(&mut self.buckets, after, b);
        }
        b
    }

    /// Take entry `e` out of its bucket, dropping the bucket if it empties.
    /// Answers the bucket before it in `by_freq` if it was dropped (where a
    /// successor bucket must be linked), else the bucket itself.
    fn leave_bucket(&mut self, e: u32) -> u32 {
        let b = self.entries[e as usize].bucket;
        let bucket = &mut self.buckets[b as usize];
        bucket.entries.unlink(&mut self.entries, e);
        if !bucket.entries.is_empty() {
            return b;
        }
        let before = bucket.links.prev;
        self.by_freq.unlink(&mut self.buckets, b);
        self.free_buckets.push(b);
        before
    }

    /// One more use of entry `e`: from the bucket of `f` to the bucket of
    /// `f + 1`, at its head.
    #[inline]
    fn touch(&mut self, e: u32) {
        let b = self.entries[e as usize].bucket;
        let freq = self.buckets[b as usize].freq + 1;
        let next = self.buckets[b as usize].links.next;
        // Fast path: alone in its bucket and no bucket of `freq` yet: the
        // bucket itself becomes the bucket of `freq`.
        if self.buckets[b as usize].entries.len() == 1 && (next == NIL || self.buckets[next as usize].freq != freq) {
            self.buckets[b as usize].freq = freq;
            return;
        }
        let anchor = self.leave_bucket(e);
        let target =
            if next != NIL && self.buckets[next as usize].freq == freq { next } else { self.new_bucket(freq, anchor) };
        self.enter_bucket(e, target);
    }

    #[inline]
    fn enter_bucket(&mut self, e: u32, b: u32) {
        self.entries[e as usize].bucket = b;
        self.buckets[b as usize].entries.push_front(&mut self.entries, e);
    }
}

impl Policy for Lfu {
    fn new(capacity: usize) -> Self {
        Lfu {
            capacity,
            map: new_map(),
            entries: Vec::new(),
            buckets: Vec::new(),
            free_buckets: Vec::new(),
            by_freq: List::EMPTY,
        }
    }

    #[inline]
    fn get(&mut self, key: u64) -> Option<u64> {
        let e = *self.map.get(&key)?;
        self.touch(e);
        Some(self.entries[e as usize].value)
    }

    fn put(&mut self, key: u64, value: u64) -> Option<u64> {
        if let Some(&e) = self.map.get(&key) {
            self.entries[e as usize].value = value;
            self.touch(e);
            return None;
        }
        let entry = Entry { key, value, bucket: NIL, links: Links::UNLINKED };
        let (e, evicted) = if self.map.len() < self.capacity {
            self.entries.push(entry);
            ((self.entries.len() - 1) as u32, None)
        } else {
            // The victim: the least recent entry of the least frequent bucket.
            let first = self.by_freq.head().unwrap_or(NIL);
            let e = self.buckets[first as usize].entries.tail().unwrap_or(NIL);
            let old = self.entries[e as usize].key;
            self.map.remove(&old);
            self.leave_bucket(e);
            self.entries[e as usize] = entry;
            (e, Some(old))
        };
        self.map.insert(key, e);
        let ones = match self.by_freq.head() {
            Some(b) if self.buckets[b as usize].freq == 1 => b,
            _ => self.new_bucket(1, NIL),
        };
        self.enter_bucket(e, ones);
        evicted
    }

    #[inline]
    fn len(&self) -> usize {
        self.map.len()
    }
}
