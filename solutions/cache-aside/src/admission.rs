//! [`Admission`]: S3-FIFO (Yang et al., SOSP 2023), three FIFO queues that
//! beat LRU on skewed traffic and shrug off scans.
//!
//! The observation behind it: in real traces most keys are requested once
//! and never again ("one-hit wonders"). LRU gives each of them a full trip
//! through the cache, pushing out keys that would have been hit. S3-FIFO
//! makes a newcomer *prove itself* in a small queue first:
//!
//! - **small** (10% of the capacity): every new key enters here.
//! - **main** (the rest): keys that were hit while in small, and keys that
//!   come back soon after being evicted from small.
//! - **ghost**: the *keys* (no values) recently evicted from small, about
//!   as many as main holds. A miss on a ghost key means "evicted too soon": it goes
//!   straight to main.
//!
//! Each entry carries a tiny use counter (0 to 3), bumped on a hit; a hit
//! moves nothing, so a hit is one hash lookup and one increment (LRU must
//! relink a node on every hit, which is what makes it hard to scale).
//! Eviction looks at the tail of one queue:
//!
//! - from **small** (when small holds its share or more): a key that was hit
//!   moves to main; one never hit is evicted and remembered in ghost.
//! - from **main**: a key with a count above 0 gets a second chance (back to
//!   the head, count minus 1); a key at 0 is evicted.
//!
//! A scan of fresh keys only ever churns small: each scanned key is never
//! hit, so it leaves from small, and main (the hot set) is untouched. That
//! is the scan resistance the stage checks. Every key that leaves is
//! evicted; no newcomer is refused, so `put` answers the evicted key.
//!
//! Each eviction is O(1) amortised: a key moves from small to main once, and
//! a second chance in main spends one unit of a counter that only hits refill.
//!
//! # Why S3-FIFO rather than W-TinyLFU
//!
//! Both are in the contract's menu. W-TinyLFU needs a frequency sketch (a
//! count-min sketch with aging), a window LRU and a segmented main LRU; S3-FIFO
//! is three queues and a two-bit counter, and on the admission stage's traces
//! it is at least as good (`peers/benches/hit_ratio.rs`, hit ratio in %):
//!
//! | trace | LRU | LFU | S3-FIFO (this) | moka (W-TinyLFU) | Bélády |
//! | --- | --- | --- | --- | --- | --- |
//! | Zipf α 0.6, 1% of keys cached | 5.4 | 11.2 | 12.8 | 9.7 | 23.9 |
//! | Zipf α 0.8, 1% | 20.3 | 30.0 | 31.4 | 28.8 | 40.9 |
//! | Zipf α 1.0, 10% | 73.3 | 76.6 | 77.0 | 77.1 | 83.3 |
//! | hot set of 500 cut by scans, capacity 1,000 | 28.4 | 49.9 | 49.9 | 49.7 | 49.9 |
//!
//! (`quick_cache`, a CLOCK-PRO-like S3-FIFO relative, is 0.1 to 0.4 points
//! above on each row.)

use contracts::cache_aside::Policy;

use crate::list::{Linked, Links, List};
use crate::map::{Map, new_map};

/// A use counter saturates here: three hits buy three second chances.
const MAX_USES: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Small,
    Main,
}

#[derive(Debug, Clone)]
struct Entry {
    key: u64,
    value: u64,
    uses: u8,
    queue: Queue,
    links: Links,
}

impl Linked for Entry {
    #[inline]
    fn links(&mut self) -> &mut Links {
        &mut self.links
    }
}

/// S3-FIFO: a small probation queue, a main queue, and a ghost of keys.
#[derive(Debug)]
pub struct Admission {
    capacity: usize,
    /// How many entries small holds before eviction takes from it.
    small_share: usize,
    map: Map<u32>,
    entries: Vec<Entry>,
    small: List,
    main: List,
    ghost: Ghost,
    /// The slot of the entry `evict` just dropped, for the newcomer.
    free: Option<u32>,
}

impl Admission {
    /// Evict one key to make room, and answer it.
    fn evict(&mut self) -> u64 {
        loop {
            if self.small.len() >= self.small_share || self.main.is_empty() {
                let Some(e) = self.small.pop_back(&mut self.entries) else { unreachable!("a full cache is empty") };
                let entry = &mut self.entries[e as usize];
                if entry.uses > 0 {
                    // Hit while on probation: promote, with a clean count.
                    entry.uses = 0;
                    entry.queue = Queue::Main;
                    self.main.push_front(&mut self.entries, e);
                    continue;
                }
                let key = entry.key;
                self.ghost.remember(key);
                return self.forget(e);
            }
            let Some(e) = self.main.pop_back(&mut self.entries) else { unreachable!("checked not empty") };
            let entry = &mut self.entries[e as usize];
            if entry.uses > 0 {
                entry.uses -= 1;
                self.main.push_front(&mut self.entries, e);
                continue;
            }
            return self.forget(e);
        }
    }

    /// Drop entry `e` (already out of its queue) from the map; its slot is
    /// reused by the `put` that asked for room.
    #[inline]
    fn forget(&mut self, e: u32) -> u64 {
        let key = self.entries[e as usize].key;
        self.map.remove(&key);
        self.free = Some(e);
        key
    }
}

impl Policy for Admission {
    fn new(capacity: usize) -> Self {
        let small_share = (capacity / 10).max(1);
        Admission {
            capacity,
            small_share,
            map: new_map(),
            entries: Vec::new(),
            small: List::EMPTY,
            main: List::EMPTY,
            ghost: Ghost::new(capacity - small_share.min(capacity - 1)),
            free: None,
        }
    }

    #[inline]
    fn get(&mut self, key: u64) -> Option<u64> {
        let e = *self.map.get(&key)?;
        let entry = &mut self.entries[e as usize];
        entry.uses = (entry.uses + 1).min(MAX_USES);
        Some(entry.value)
    }

    fn put(&mut self, key: u64, value: u64) -> Option<u64> {
        if let Some(&e) = self.map.get(&key) {
            let entry = &mut self.entries[e as usize];
            entry.value = value;
            entry.uses = (entry.uses + 1).min(MAX_USES);
            return None;
        }
        let evicted = (self.map.len() >= self.capacity).then(|| self.evict());
        let queue = if self.ghost.take(key) { Queue::Main } else { Queue::Small };
        let entry = Entry { key, value, uses: 0, queue, links: Links::UNLINKED };
        let e = match self.free.take() {
            Some(e) => {
                self.entries[e as usize] = entry;
                e
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        self.map.insert(key, e);
        match queue {
            Queue::Small => self.small.push_front(&mut self.entries, e),
            Queue::Main => self.main.push_front(&mut self.entries, e),
        }
        evicted
    }

    #[inline]
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// The keys recently evicted from small, as a table of fingerprints: a key
/// is remembered in one slot chosen by its hash, overwriting whatever was
/// there. A ghost is a hint, not a promise, so forgetting an older key a bit
/// early (a collision) only costs a little hit ratio, and a fingerprint match
/// for a key never seen (one chance in 2^63) only sends it to main. In
/// exchange each operation is one memory access: no map, no queue.
#[derive(Debug)]
struct Ghost {
    /// Fingerprints (never 0), or 0 for an empty slot.
    slots: Box<[u64]>,
    mask: usize,
}

impl Ghost {
    /// A ghost of at most `size` keys: the largest power of two not above
    /// it. (Measured on the admission stage's traces, a table of main's size
    /// or less does as well as an exact FIFO ghost; a larger one remembers
    /// too long and does worse.)
    fn new(size: usize) -> Ghost {
        let len = 1 << size.max(1).ilog2();
        Ghost { slots: vec![0; len].into_boxed_slice(), mask: len - 1 }
    }

    /// The key's slot and fingerprint.
    #[inline]
    fn place(&self, key: u64) -> (usize, u64) {
        let h = mix(key);
        ((h >> 32) as usize & self.mask, h | 1)
    }

    #[inline]
    fn remember(&mut self, key: u64) {
        let (at, print) = self.place(key);
        self.slots[at] = print;
    }

    /// Was `key` remembered? It is forgotten either way.
    #[inline]
    fn take(&mut self, key: u64) -> bool {
        let (at, print) = self.place(key);
        let hit = self.slots[at] == print;
        if hit {
            self.slots[at] = 0;
        }
        hit
    }
}

/// splitmix64's finalizer: every bit of the key moves every bit of the hash.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
