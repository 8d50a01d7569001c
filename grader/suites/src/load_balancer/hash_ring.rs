//! Stage `hash-ring`: a consistent-hash ring with virtual nodes: the same
//! key on the same node (in every process), balance, and few keys moved.

use std::collections::BTreeSet;

use contracts::load_balancer::BackendId;
use grader_protocol::Failure;

use super::Subject;
use super::ring::{NODES, RING_PROBE, cv, keys, owners, per_node, probe_keys, ring_placement, ring_with, show_key};
use super::show::{histogram, num, show_ids};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail, probe_in_fresh_process};

/// Two rings in one process and a ring in another process agree on every key.
fn ring_agrees_across_processes(s: Subject, ctx: &Ctx) -> Result<(), Failure> {
    let keys = probe_keys(ctx);
    let here = ring_placement(s, ctx);
    let again = ring_placement(s, ctx);
    let there = probe_in_fresh_process(RING_PROBE, ctx)?;
    let hint = "Two processes (two balancers of a fleet, or the same one after a restart) must place every key on the same node. Hash with a fixed function of the bytes (FNV-1a, a SplitMix64 fold over 8-byte words, xxHash or SipHash with constant keys). RandomState, or any seed drawn once per process (a `static` filled from RandomState, getrandom or the clock), gives each process its own ring. std's `DefaultHasher` has fixed keys today, but its algorithm is unspecified and may change between Rust releases: do not rely on it where the contract asks for the same answer everywhere.";
    for (other, where_) in [
        (&again, "a second ring built the same way in the same process"),
        (&there, "a ring built the same way in a second process (the grader ran this program again)"),
    ] {
        if *other == here {
            continue;
        }
        let (a, b): (Vec<&str>, Vec<&str>) = (here.split(' ').collect(), other.split(' ').collect());
        let k = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        return Err(fail(
            format!("A ring of 10 nodes {NODES:?} with 100 points each, added in that order; {} keys looked up; then {where_}.", num(keys.len() as u64)),
            format!("every key on the same node in both, e.g. key {} on {}", show_key(keys.get(k).map_or(&[][..], Vec::as_slice)), a.get(k).unwrap_or(&"?")),
            format!("{} keys placed differently; key {} on {}", num(differ.max(1) as u64), show_key(keys.get(k).map_or(&[][..], Vec::as_slice)), b.get(k).unwrap_or(&"?")),
        )
        .hint(hint));
    }
    Ok(())
}

/// Most points per node the contract allows (`Ring::new`).
const MAX_VNODES: u32 = 10_000;

/// The ring at the edges of its contract: one point per node, the most
/// points, ids at the ends of their range.
fn ring_edges(s: Subject, some: &[Vec<u8>]) -> Result<(), Failure> {
    // One point per node: still a ring (a join moves keys only to the newcomer).
    let mut ring = ring_with(s, 1, &NODES);
    let before = owners(ring.as_ref(), some);
    let newcomer = BackendId(1_000);
    ring.add(newcomer);
    let after = owners(ring.as_ref(), some);
    if let Some(i) =
        (0..some.len()).find(|&i| before[i].is_none() || (before[i] != after[i] && after[i] != Some(newcomer)))
    {
        return Err(fail(
            format!("A ring of 10 nodes with 1 point each (the fewest allowed); {} keys; then node {newcomer} joined.", num(some.len() as u64)),
            format!("every key on a node, and every key that moves, moved to {newcomer}"),
            format!("key {} on {:?}, then {:?}", show_key(&some[i]), before[i], after[i]),
        )
        .hint("With one point per node the ring works the same way: a key belongs to the first point at or after its hash, wrapping past the end."));
    }

    // The most points per node the contract allows.
    let nodes = &NODES[..4];
    let ring = ring_with(s, MAX_VNODES, nodes);
    let placed = owners(ring.as_ref(), some);
    let counts = per_node(&placed);
    let spread = cv(&counts, nodes);
    let strangers = placed.iter().filter(|o| !o.is_some_and(|id| nodes.contains(&id.0))).count();
    ensure(strangers == 0 && spread <= 0.05, || {
        let rows: Vec<(String, u64)> =
            nodes.iter().map(|&n| (format!("b{n}"), counts.get(&BackendId(n)).copied().unwrap_or(0))).collect();
        fail(
            format!("A ring of 4 nodes {nodes:?} with {} points each (the most allowed); {} keys.", num(u64::from(MAX_VNODES)), num(some.len() as u64)),
            "every key on one of the 4 nodes, and a coefficient of variation of keys per node of at most 0.05",
            format!("{} keys elsewhere; coefficient of variation {spread:.3}; keys per node:{}", num(strangers as u64), histogram(&rows)),
        )
        .hint(format!("Give every node all of its `vnodes` points, up to {MAX_VNODES}, each at its own position: a point number must never be truncated or wrap around."))
    })?;

    // Ids at both ends of their range.
    let ends = [0, u32::MAX];
    let ring = ring_with(s, 100, &ends);
    let counts = per_node(&owners(ring.as_ref(), &some[..10_000]));
    let share = |n: u32| counts.get(&BackendId(n)).copied().unwrap_or(0);
    ensure((3_500..=6_500).contains(&share(0)) && (3_500..=6_500).contains(&share(u32::MAX)), || {
        fail(
            format!("A ring of two nodes, b0 and b{}, with 100 points each; 10,000 keys.", u32::MAX),
            "about half the keys on each (3,500 to 6,500)",
            format!("b0 {}, b{} {}, elsewhere {}", share(0), u32::MAX, share(u32::MAX), 10_000 - share(0) - share(u32::MAX)),
        )
        .hint("Any u32 is a node id, u32::MAX included: hash the id's full value (no `+ 1` that wraps, no narrowing cast).")
    })
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let some = keys(ctx, 50, 100_000);
    let few = &some[..10_000];

    // Empty, then one node.
    let mut ring = (s.ring)(100);
    ensure(ring.node_for(b"user:42").is_none(), || {
        fail(
            "An empty ring (no node added).",
            "node_for(\"user:42\") = None",
            format!("{:?}", ring.node_for(b"user:42")),
        )
    })?;
    ring.add(BackendId(7));
    let all7 = few.iter().all(|k| ring.node_for(k) == Some(BackendId(7)));
    ensure(all7, || {
        fail("A ring with one node, b7.", "every key on b7", "some key elsewhere (or None)").hint(
            "With one node, every key's successor point belongs to it: wrap around past the last point to the first.",
        )
    })?;

    // Same key, same node: twice, on a twin ring of this process, on a ring
    // of another process, and on a ring built in another order.
    ring_agrees_across_processes(s, ctx)?;
    let ring = ring_with(s, 100, &NODES);
    let first = owners(ring.as_ref(), few);
    let again = owners(ring.as_ref(), few);
    let mut reversed = NODES;
    reversed.reverse();
    let other = ring_with(s, 100, &reversed);
    let twin = owners(other.as_ref(), few);
    if let Some(i) = (0..few.len()).find(|&i| first[i] != again[i] || first[i] != twin[i]) {
        let same_ring = first[i] != again[i];
        return Err(fail(
            format!(
                "Rings of 10 nodes {NODES:?} with 100 points each{}.",
                if same_ring { "; the same key looked up twice" } else { ", one built adding the nodes in that order, the other in reverse order" }
            ),
            format!("key {} on the same node every time", show_key(&few[i])),
            if same_ring { format!("{:?}, then {:?}", first[i], again[i]) } else { format!("{:?} on the first ring, {:?} on the second", first[i], twin[i]) },
        )
        .hint("Place points and keys with a deterministic hash of (node id, point number) and of the key bytes: never RandomState (seeded per map) or anything that depends on insertion order. Keep the points sorted by (position, node id)."));
    }
    ensure(first.iter().all(Option::is_some), || {
        fail("A ring of 10 nodes.", "every key on a node", "None for some key")
    })?;
    let strangers: Vec<BackendId> = first.iter().flatten().filter(|id| !NODES.contains(&id.0)).copied().collect();
    ensure(strangers.is_empty(), || {
        fail(
            format!("A ring of 10 nodes {NODES:?}."),
            "only those node ids",
            format!("{} (not a node of the ring)", strangers[0]),
        )
        .hint("node_for returns the id of the node that owns the point, not the point's index.")
    })?;

    // Balance improves with virtual nodes: cv ≤ 2/√k.
    for k in [100u32, 200] {
        let ring = ring_with(s, k, &NODES);
        let counts = per_node(&owners(ring.as_ref(), &some));
        let spread = cv(&counts, &NODES);
        let bound = 2.0 / f64::from(k).sqrt();
        ensure(spread <= bound, || {
            let rows: Vec<(String, u64)> =
                NODES.iter().map(|&n| (format!("b{n}"), counts.get(&BackendId(n)).copied().unwrap_or(0))).collect();
            fail(
                format!("A ring of 10 nodes with {k} points each; 100,000 keys."),
                format!("coefficient of variation of keys per node ≤ 2/√{k} = {bound:.3} (a fair share is 10,000 keys)"),
                format!("{spread:.3}; keys per node:{}", histogram(&rows)),
            )
            .hint("Give each node `vnodes` points, each at its own hashed position: hash(node, 0), hash(node, 1), …. With one point per node the shares vary by ~100%; with k points by ~1/√k. If you do place k points, check your hash spreads similar inputs (a final avalanche step such as SplitMix64's mixer).")
        })?;
    }

    // A node joins: about 1/(n+1) of keys move, all to it.
    for n in [3usize, 10] {
        let nodes = &NODES[..n];
        let mut ring = ring_with(s, 100, nodes);
        let before = owners(ring.as_ref(), &some);
        let newcomer = BackendId(1_000);
        ring.add(newcomer);
        let after = owners(ring.as_ref(), &some);
        let moved: Vec<usize> = (0..some.len()).filter(|&i| before[i] != after[i]).collect();
        if let Some(&i) = moved.iter().find(|&&i| after[i] != Some(newcomer)) {
            let elsewhere = moved.iter().filter(|&&i| after[i] != Some(newcomer)).count();
            return Err(fail(
                format!("A ring of {n} nodes with 100 points each; 100,000 keys; then node {newcomer} joined."),
                format!("every key that moves, moves to {newcomer}"),
                format!("{} keys moved between old nodes, e.g. key {} from {:?} to {:?}", num(elsewhere as u64), show_key(&some[i]), before[i], after[i]),
            )
            .hint("A key belongs to the first point clockwise from its hash; a new node's points can only take keys for themselves. If keys move between old nodes, the lookup depends on the node count (hash % n is not a ring) or the old points moved."));
        }
        let fraction = moved.len() as f64 / some.len() as f64;
        let ideal = 1.0 / (n as f64 + 1.0);
        ensure((0.5 * ideal..=1.6 * ideal).contains(&fraction), || {
            fail(
                format!("A ring of {n} nodes with 100 points each; 100,000 keys; then node {newcomer} joined."),
                format!(
                    "about 1/(n+1) = {:.1}% of keys moved (between {:.1}% and {:.1}%)",
                    100.0 * ideal,
                    50.0 * ideal,
                    160.0 * ideal
                ),
                format!("{:.1}% ({} keys)", 100.0 * fraction, num(moved.len() as u64)),
            )
            .hint("The newcomer should get about one share: give it the same number of points as every other node.")
        })?;
    }

    // A node leaves: only its keys move, and they scatter.
    let mut ring = ring_with(s, 100, &NODES);
    let before = owners(ring.as_ref(), &some);
    let leaver = BackendId(NODES[4]);
    ring.remove(leaver);
    let after = owners(ring.as_ref(), &some);
    if let Some(i) = (0..some.len()).find(|&i| before[i] != Some(leaver) && before[i] != after[i]) {
        return Err(fail(
            format!("A ring of 10 nodes with 100 points each; 100,000 keys; then node {leaver} left."),
            format!("only {leaver}'s keys move"),
            format!("key {} moved from {:?} to {:?}", show_key(&some[i]), before[i], after[i]),
        )
        .hint("Removing a node removes its points and nothing else: every other key keeps the same successor point."));
    }
    ensure(after.iter().all(|o| *o != Some(leaver)), || {
        fail(
            format!("Node {leaver} left a ring of 10."),
            format!("no key on {leaver}"),
            format!("keys still on {leaver}"),
        )
        .hint("Remove every one of the node's points.")
    })?;
    let heirs: BTreeSet<BackendId> =
        (0..some.len()).filter(|&i| before[i] == Some(leaver)).filter_map(|i| after[i]).collect();
    ensure(heirs.len() >= 5, || {
        fail(
            format!("Node {leaver} left a ring of 10 nodes with 100 points each."),
            "its keys scatter over many of the 9 others (at least 5): each of its 100 points hands over to a different successor",
            format!("they all went to {}", show_ids(&heirs.iter().copied().collect::<Vec<_>>())),
        )
    })?;

    // Adding twice or removing an absent node changes nothing.
    let mut ring = ring_with(s, 50, &NODES);
    let base = owners(ring.as_ref(), few);
    ring.add(BackendId(NODES[0]));
    ring.remove(BackendId(4_242));
    let same = owners(ring.as_ref(), few);
    ensure(base == same, || {
        fail("A ring of 10 nodes; then add(an existing node) and remove(a node never added).", "no key moves", "keys moved")
            .hint("add of a present node and remove of an absent one change nothing: check membership first, or duplicate points will tilt the ring.")
    })?;
    ring_edges(s, &some)?;
    Ok(vec![])
}
