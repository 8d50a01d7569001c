//! A subject cache driven in lockstep with its model: the first answer that
//! differs is a failure that tells the story of the calls before it (kept by
//! the harness's [`Story`], formatted only then), with a hint chosen by what
//! went wrong.

use contracts::cache_aside::{Nanos, Policy, TtlLru};
use grader_protocol::Failure;

use super::model::{LfuModel, LruModel, PutAnswer};
use super::show::t;
use crate::harness::{Story, WithHint, fail};

/// One call and the implementation's (accepted) answer.
#[derive(Debug, Clone, Copy)]
enum Call {
    Get(u64, Nanos, Option<u64>),
    Put(u64, u64, Nanos, Nanos, Option<u64>),
    Remove(u64, Nanos, Option<u64>),
    Len(usize),
}

fn answer(a: Option<u64>) -> String {
    match a {
        Some(v) => format!("Some({v})"),
        None => "None".into(),
    }
}

impl Call {
    fn show(&self, timed: bool) -> String {
        let at = |now: Nanos| if timed { format!("at t={}: ", t(now)) } else { String::new() };
        match *self {
            Call::Get(k, now, a) => format!("{}get({k}) → {}", at(now), answer(a)),
            Call::Put(k, v, now, ttl, a) if timed => {
                format!("{}put({k}, {v}, ttl {}) → {}", at(now), t(ttl), answer(a))
            }
            Call::Put(k, v, _, _, a) => format!("put({k}, {v}) → {}", answer(a)),
            Call::Remove(k, now, a) => format!("{}remove({k}) → {}", at(now), answer(a)),
            Call::Len(n) => format!("len() → {n}"),
        }
    }

    /// The call without its answer: "then …".
    fn asked(&self, timed: bool) -> String {
        let s = self.show(timed);
        s.rsplit_once(" → ").map_or(s.clone(), |(call, _)| call.to_string())
    }
}

const RECENCY: &str = "A get that hits and every put make their key the most recent; when a new key arrives in a full cache, the least recently used entry goes. A get that misses moves nothing.";

const EXPIRY: &str = "An entry put at now with ttl is alive while t < now + ttl and expired from now + ttl on (compare with <, not <=); an expired entry is never returned, and a hit does not extend its life.";

const EXPIRED_FIRST: &str = "When the cache is full and some stored entry is expired at the put's now, evict an expired one, never a live one: keep the entries ordered by expiry too (a BTreeMap or a heap keyed by expiry instant) so the earliest-expiring is found without a scan.";

const BOUNDS: &str = "len() counts what you store, live or expired-but-not-purged: never above capacity, never below the number of live entries. A put of a new key into a full cache evicts exactly one entry.";

/// A subject `TtlLru` and the model, fed the same calls.
pub(super) struct LruLockstep {
    capacity: usize,
    subject: Box<dyn TtlLru>,
    pub(super) model: LruModel,
    story: Story<Call>,
    /// Whether the story shows instants and ttls (the `ttl` stage) or hides
    /// them (the `lru` stage, where nothing expires).
    timed: bool,
}

impl LruLockstep {
    pub(super) fn new(subject: Box<dyn TtlLru>, capacity: usize, timed: bool) -> LruLockstep {
        LruLockstep { capacity, subject, model: LruModel::new(capacity), story: Story::new(), timed }
    }

    fn failure(&self, call: Call, expected: String, got: String, hint: &str) -> Failure {
        fail(
            format!(
                "An LruCache of capacity {}:\n  {}\n  then {}",
                self.capacity,
                self.story.tell(|c| c.show(self.timed)),
                call.asked(self.timed)
            ),
            expected,
            got,
        )
        .hint(hint)
    }

    pub(super) fn get(&mut self, key: u64, now: Nanos) -> Result<Option<u64>, Failure> {
        let expired = self.timed && self.model.expired(key, now);
        let want = self.model.get(key, now);
        let got = self.subject.get(key, now);
        let call = Call::Get(key, now, got);
        if got != want {
            let hint = if expired { EXPIRY } else { RECENCY };
            return Err(self.failure(call, answer(want), answer(got), hint));
        }
        self.story.record(call);
        Ok(got)
    }

    pub(super) fn put(&mut self, key: u64, value: u64, now: Nanos, ttl: Nanos) -> Result<Option<u64>, Failure> {
        let len_before = self.checked_len(now, false)?;
        let want = self.model.put_answer(key, now, len_before);
        let got = self.subject.put(key, value, now, ttl);
        let call = Call::Put(key, value, now, ttl, got);
        if !want.accepts(got) {
            let hint = match &want {
                PutAnswer::OneOf(..) => EXPIRED_FIRST,
                PutAnswer::Exactly(Some(_), _) if got == Some(key) => {
                    "The key being put is the newcomer: it is never the one evicted. Evict before you insert, or exclude it."
                }
                PutAnswer::Exactly(None, _) if got.is_some() => BOUNDS,
                PutAnswer::Exactly(Some(_), _) if got.is_none() => BOUNDS,
                _ => RECENCY,
            };
            return Err(self.failure(call, want.describe(), answer(got), hint));
        }
        self.model.put(key, value, now, ttl, got);
        self.story.record(call);
        self.checked_len(now, false)?;
        Ok(got)
    }

    pub(super) fn remove(&mut self, key: u64, now: Nanos) -> Result<Option<u64>, Failure> {
        let want = self.model.remove(key, now);
        let got = self.subject.remove(key, now);
        let call = Call::Remove(key, now, got);
        if got != want {
            let hint = if self.timed {
                "remove answers the value only if the entry was alive at now; an expired one is dropped and answers None."
            } else {
                "remove drops the key and answers its value, or None if it was not stored; the freed place is reused by the next put without evicting anything."
            };
            return Err(self.failure(call, answer(want), answer(got), hint));
        }
        self.story.record(call);
        Ok(got)
    }

    /// `len()`, checked against its bounds at `now`, told in the story.
    pub(super) fn len(&mut self, now: Nanos) -> Result<usize, Failure> {
        self.checked_len(now, true)
    }

    /// `len()`, checked; told in the story only if `told` (the checks
    /// around every put stay silent unless they fail).
    fn checked_len(&mut self, now: Nanos, told: bool) -> Result<usize, Failure> {
        let got = self.subject.len();
        let live = self.model.live(now);
        let most = self.capacity.min(self.model.stored_at_most());
        let call = Call::Len(got);
        if got < live || got > most {
            let expected = if live == most {
                format!("{live}")
            } else {
                format!(
                    "between {live} (the live entries) and {most} (capacity, or every entry that may still be stored)"
                )
            };
            return Err(self.failure(call, expected, got.to_string(), BOUNDS));
        }
        if told {
            self.story.record(call);
        }
        Ok(got)
    }
}

const LFU: &str = "Count a key's uses: 1 when it is put as a new key, +1 for each get that hits it and each put that replaces its value. A full cache evicts the smallest count; among equal counts, the least recently used. An evicted key is forgotten (it comes back at 1), and the newcomer is never the one evicted.";

/// A subject `Lfu` and the model, fed the same calls.
pub(super) struct LfuLockstep {
    capacity: usize,
    subject: Box<dyn Policy>,
    pub(super) model: LfuModel,
    story: Story<Call>,
}

impl LfuLockstep {
    pub(super) fn new(subject: Box<dyn Policy>, capacity: usize) -> LfuLockstep {
        LfuLockstep { capacity, subject, model: LfuModel::new(capacity), story: Story::new() }
    }

    fn failure(&self, call: Call, expected: String, got: String) -> Failure {
        fail(
            format!(
                "An Lfu of capacity {}:\n  {}\n  then {}",
                self.capacity,
                self.story.tell(|c| c.show(false)),
                call.asked(false)
            ),
            expected,
            got,
        )
        .hint(LFU)
    }

    pub(super) fn get(&mut self, key: u64) -> Result<Option<u64>, Failure> {
        let want = self.model.get(key);
        let got = self.subject.get(key);
        let call = Call::Get(key, 0, got);
        if got != want {
            return Err(self.failure(call, answer(want), answer(got)));
        }
        self.story.record(call);
        Ok(got)
    }

    pub(super) fn put(&mut self, key: u64, value: u64) -> Result<Option<u64>, Failure> {
        let (victim, len_before) = (self.model.victim(), self.model.len());
        let want = self.model.put(key, value);
        let got = self.subject.put(key, value);
        let call = Call::Put(key, value, 0, 0, got);
        if got != want {
            let expected = match (want, victim) {
                (Some(k), Some((_, f))) => {
                    let why = match got.filter(|&g| g != key).and_then(|g| self.model.frequency(g)) {
                        Some(g) if g > f => format!("; key {} was used {g} time{}", got.unwrap_or_default(), plural(g)),
                        Some(_) => format!("; key {} was used as often but more recently", got.unwrap_or_default()),
                        None => String::new(),
                    };
                    format!(
                        "Some({k}): the least frequently used entry (used {f} times), the least recent among those{why}"
                    )
                }
                (None, _) if len_before < self.capacity => "None: there was room".into(),
                _ => "None: the key was stored, its value replaced".into(),
            };
            return Err(self.failure(call, expected, answer(got)));
        }
        self.story.record(call);
        self.checked_len(false)?;
        Ok(got)
    }

    fn checked_len(&mut self, told: bool) -> Result<usize, Failure> {
        let got = self.subject.len();
        let want = self.model.len();
        let call = Call::Len(got);
        if got != want {
            return Err(self.failure(call, want.to_string(), got.to_string()));
        }
        if told {
            self.story.record(call);
        }
        Ok(got)
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
