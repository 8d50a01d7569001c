//! Hit ratios computed by the suite itself on a trace: LRU's (the yardstick
//! an admission policy must beat) and Bélády's optimum (the ceiling no policy
//! can pass).
//!
//! Every hit ratio here, and the learner's, is measured the same way: for
//! each request, a `get`; on a miss, a `put` of the key. A cold start counts.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Hits of an LRU cache of `capacity` entries on `trace`.
pub(super) fn lru_hits(trace: &[u64], capacity: usize) -> u64 {
    // key → tick of its last use; tick → key, oldest first.
    let mut last: HashMap<u64, u64> = HashMap::with_capacity(capacity + 1);
    let mut order: BTreeMap<u64, u64> = BTreeMap::new();
    let mut hits = 0;
    for (tick, &key) in trace.iter().enumerate() {
        let tick = tick as u64;
        if let Some(old) = last.insert(key, tick) {
            hits += 1;
            order.remove(&old);
        } else if last.len() > capacity {
            if let Some((_, victim)) = order.pop_first() {
                last.remove(&victim);
            }
        }
        order.insert(tick, key);
    }
    hits
}

/// Hits of Bélády's optimum with a cache of `capacity` entries on `trace`:
/// on a miss, of the cached keys *and the newcomer*, the one whose next
/// request is farthest in the future is left out. Leaving out the newcomer
/// is allowed because an admission policy may refuse it, so this is the
/// ceiling for every policy of the contract, admission or not.
pub(super) fn belady_hits(trace: &[u64], capacity: usize) -> u64 {
    let never = trace.len();
    // next[i]: where trace[i] is requested again (`never` if it is not).
    let mut next = vec![never; trace.len()];
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for i in (0..trace.len()).rev() {
        if let Some(&j) = seen.get(&trace[i]) {
            next[i] = j;
        }
        seen.insert(trace[i], i);
    }
    drop(seen);
    // Cached keys by their next request; and each key's next request.
    let mut by_next: BTreeSet<(usize, u64)> = BTreeSet::new();
    let mut cached: HashMap<u64, usize> = HashMap::with_capacity(capacity + 1);
    let mut hits = 0;
    for (i, &key) in trace.iter().enumerate() {
        if let Some(at) = cached.get_mut(&key) {
            hits += 1;
            by_next.remove(&(*at, key));
            *at = next[i];
            by_next.insert((next[i], key));
            continue;
        }
        if cached.len() == capacity {
            let Some(&(farthest, victim)) = by_next.last() else { continue };
            if farthest <= next[i] {
                continue; // the newcomer is needed last (or never): leave it out.
            }
            by_next.pop_last();
            cached.remove(&victim);
        }
        cached.insert(key, next[i]);
        by_next.insert((next[i], key));
    }
    hits
}

/// `hits / requests` as a percentage.
pub(super) fn percent(hits: u64, requests: usize) -> f64 {
    100.0 * hits as f64 / requests.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_on_a_small_trace() {
        // capacity 2: a b a c b → hits: a (3rd); c evicts b; b misses.
        assert_eq!(lru_hits(&[1, 2, 1, 3, 2], 2), 1);
        assert_eq!(lru_hits(&[1, 1, 1], 1), 2);
        assert_eq!(lru_hits(&[1, 2, 1, 2], 1), 0);
    }

    #[test]
    fn belady_on_a_small_trace() {
        // capacity 1, 1 2 1 2 1: keeping 1 and refusing 2 hits twice.
        assert_eq!(belady_hits(&[1, 2, 1, 2, 1], 1), 2);
        // capacity 2: a b c a b: keep a, b; refuse c → 2 hits.
        assert_eq!(belady_hits(&[1, 2, 3, 1, 2], 2), 2);
        assert!(belady_hits(&[1, 2, 3, 1, 2, 3, 1, 2, 3], 2) >= lru_hits(&[1, 2, 3, 1, 2, 3, 1, 2, 3], 2));
    }
}
