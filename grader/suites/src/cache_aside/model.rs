//! The specification, executable: what the stages check the caches' answers
//! against.
//!
//! [`LruModel`] is the contract's [`TtlLru`](contracts::cache_aside::TtlLru):
//! exact about live entries, and tolerant where the contract leaves a choice
//! (an expired entry may be purged at any time, and which expired entry a
//! full cache evicts is the implementation's choice). It learns what the
//! implementation still stores from `len()`, asked before each `put`.
//! [`LfuModel`] is the contract's `Lfu`, exact.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use contracts::cache_aside::Nanos;

/// One entry of the LRU model.
#[derive(Debug, Clone, Copy)]
struct Entry {
    value: u64,
    expires: Nanos,
    tick: u64,
}

/// What a `put` may answer, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PutAnswer {
    /// Exactly this answer.
    Exactly(Option<u64>, &'static str),
    /// `Some(k)` for any of these keys (expired at the put's `now`), or also
    /// `None` when `none_too` (the newcomer itself may be one of the stored
    /// expired entries, replaced in place).
    OneOf(Vec<u64>, bool),
}

impl PutAnswer {
    pub(super) fn accepts(&self, got: Option<u64>) -> bool {
        match self {
            PutAnswer::Exactly(want, _) => got == *want,
            PutAnswer::OneOf(keys, none_too) => match got {
                None => *none_too,
                Some(k) => keys.contains(&k),
            },
        }
    }

    /// The expected answer, in words.
    pub(super) fn describe(&self) -> String {
        match self {
            PutAnswer::Exactly(None, why) => format!("None ({why})"),
            PutAnswer::Exactly(Some(k), why) => format!("Some({k}) ({why})"),
            PutAnswer::OneOf(keys, none_too) => {
                let mut shown: Vec<String> = keys.iter().take(8).map(|k| k.to_string()).collect();
                if keys.len() > 8 {
                    shown.push(format!("… {} more", keys.len() - 8));
                }
                let mut s = format!(
                    "Some(k) for an expired entry, k one of {{{}}}: the cache is full and holds expired entries, so an expired one goes before any live one",
                    shown.join(", ")
                );
                if *none_too {
                    let _ = write!(s, " (or None, if the key put was itself still stored, expired, and replaced)");
                }
                s
            }
        }
    }
}

/// The contract's TTL-LRU, exact about live entries.
#[derive(Debug, Clone)]
pub(super) struct LruModel {
    capacity: usize,
    /// Entries the implementation may still store: every live one, and
    /// expired ones it has not reported evicting (it may have purged them).
    entries: HashMap<u64, Entry>,
    tick: u64,
}

impl LruModel {
    pub(super) fn new(capacity: usize) -> LruModel {
        LruModel { capacity, entries: HashMap::new(), tick: 0 }
    }

    fn alive(e: &Entry, now: Nanos) -> bool {
        now < e.expires
    }

    /// Whether `key` was put and is expired at `now`.
    pub(super) fn expired(&self, key: u64, now: Nanos) -> bool {
        self.entries.get(&key).is_some_and(|e| !Self::alive(e, now))
    }

    /// Live entries at `now`.
    pub(super) fn live(&self, now: Nanos) -> usize {
        self.entries.values().filter(|e| Self::alive(e, now)).count()
    }

    /// Entries the implementation may store: an upper bound on its `len()`.
    pub(super) fn stored_at_most(&self) -> usize {
        self.entries.len()
    }

    /// The least recently used live entry at `now`.
    pub(super) fn lru(&self, now: Nanos) -> Option<u64> {
        self.entries.iter().filter(|(_, e)| Self::alive(e, now)).min_by_key(|(_, e)| e.tick).map(|(&k, _)| k)
    }

    /// The contract's answer to `get`, and its effect.
    pub(super) fn get(&mut self, key: u64, now: Nanos) -> Option<u64> {
        self.tick += 1;
        let tick = self.tick;
        let e = self.entries.get_mut(&key).filter(|e| Self::alive(e, now))?;
        e.tick = tick;
        Some(e.value)
    }

    /// What `put` may answer, given the implementation's `len()` just before.
    pub(super) fn put_answer(&self, key: u64, now: Nanos, len_before: usize) -> PutAnswer {
        if self.entries.get(&key).is_some_and(|e| Self::alive(e, now)) {
            return PutAnswer::Exactly(None, "the key is stored and alive: its value is replaced, nothing is evicted");
        }
        if len_before < self.capacity {
            return PutAnswer::Exactly(None, "there is room: len() was below capacity before the put");
        }
        let live = self.live(now);
        if len_before > live {
            let expired: Vec<u64> = {
                let mut v: Vec<u64> =
                    self.entries.iter().filter(|(k, e)| **k != key && !Self::alive(e, now)).map(|(&k, _)| k).collect();
                v.sort_unstable();
                v
            };
            let none_too = self.entries.contains_key(&key);
            return PutAnswer::OneOf(expired, none_too);
        }
        match self.lru(now) {
            Some(k) => {
                PutAnswer::Exactly(Some(k), "the cache is full of live entries: the least recently used one goes")
            }
            None => PutAnswer::Exactly(None, "nothing is stored"),
        }
    }

    /// Applies a `put` whose answer was accepted.
    pub(super) fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos, evicted: Option<u64>) {
        if let Some(k) = evicted {
            self.entries.remove(&k);
        }
        self.tick += 1;
        self.entries.insert(key, Entry { value, expires: now.saturating_add(ttl), tick: self.tick });
    }

    /// The contract's answer to `remove`, and its effect.
    pub(super) fn remove(&mut self, key: u64, now: Nanos) -> Option<u64> {
        let e = self.entries.remove(&key)?;
        Self::alive(&e, now).then_some(e.value)
    }
}

/// The contract's LFU: frequency, then recency.
#[derive(Debug, Clone)]
pub(super) struct LfuModel {
    capacity: usize,
    /// key → (value, frequency, tick of the last use).
    entries: HashMap<u64, (u64, u64, u64)>,
    /// (frequency, tick, key), the next to go first.
    order: BTreeSet<(u64, u64, u64)>,
    tick: u64,
}

impl LfuModel {
    pub(super) fn new(capacity: usize) -> LfuModel {
        LfuModel { capacity, entries: HashMap::new(), order: BTreeSet::new(), tick: 0 }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// A key's frequency, if stored.
    pub(super) fn frequency(&self, key: u64) -> Option<u64> {
        self.entries.get(&key).map(|e| e.1)
    }

    fn touch(&mut self, key: u64) {
        self.tick += 1;
        if let Some(e) = self.entries.get_mut(&key) {
            self.order.remove(&(e.1, e.2, key));
            e.1 += 1;
            e.2 = self.tick;
            self.order.insert((e.1, e.2, key));
        }
    }

    pub(super) fn get(&mut self, key: u64) -> Option<u64> {
        let value = self.entries.get(&key)?.0;
        self.touch(key);
        Some(value)
    }

    /// The entry that goes next: (key, frequency).
    pub(super) fn victim(&self) -> Option<(u64, u64)> {
        self.order.first().map(|&(f, _, k)| (k, f))
    }

    pub(super) fn put(&mut self, key: u64, value: u64) -> Option<u64> {
        if let Some(e) = self.entries.get_mut(&key) {
            e.0 = value;
            self.touch(key);
            return None;
        }
        let mut evicted = None;
        if self.entries.len() >= self.capacity {
            if let Some((f, t, k)) = self.order.pop_first() {
                let _ = (f, t);
                self.entries.remove(&k);
                evicted = Some(k);
            }
        }
        self.tick += 1;
        self.entries.insert(key, (value, 1, self.tick));
        self.order.insert((1, self.tick, key));
        evicted
    }
}
