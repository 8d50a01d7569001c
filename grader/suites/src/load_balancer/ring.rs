//! Rings of the stages: the nodes, the keys, where keys land, and the probe
//! that asks a second process the same.

use std::collections::BTreeMap;

use contracts::load_balancer::{BackendId, Ring};
use rand::RngExt;

use super::Subject;
use crate::harness::Ctx;

/// Ids of the ten nodes of the ring checks (arbitrary, not 0..10, so that a
/// ring that confuses ids with indexes shows it).
pub(super) const NODES: [u32; 10] = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38];

pub(super) fn ring_with(s: Subject, vnodes: u32, nodes: &[u32]) -> Box<dyn Ring> {
    let mut ring = (s.ring)(vnodes);
    for &n in nodes {
        ring.add(BackendId(n));
    }
    ring
}

pub(super) fn keys(ctx: &Ctx, stream: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = ctx.rng(stream);
    (0..count)
        .map(|i| match i % 3 {
            0 => format!("user:{}", rng.random_range(0..100_000_000u64)).into_bytes(),
            1 => format!("/img/{:016x}.png", rng.random::<u64>()).into_bytes(),
            _ => rng.random::<u64>().to_le_bytes().to_vec(),
        })
        .collect()
}

pub(super) fn owners(ring: &dyn Ring, keys: &[Vec<u8>]) -> Vec<Option<BackendId>> {
    keys.iter().map(|k| ring.node_for(k)).collect()
}

pub(super) fn per_node(owners: &[Option<BackendId>]) -> BTreeMap<BackendId, u64> {
    let mut m = BTreeMap::new();
    for id in owners.iter().flatten() {
        *m.entry(*id).or_default() += 1;
    }
    m
}

/// Coefficient of variation of the counts of `nodes` (absent nodes count 0).
pub(super) fn cv(counts: &BTreeMap<BackendId, u64>, nodes: &[u32]) -> f64 {
    let xs: Vec<f64> = nodes.iter().map(|&n| counts.get(&BackendId(n)).copied().unwrap_or(0) as f64).collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
    if mean == 0.0 { f64::INFINITY } else { var.sqrt() / mean }
}

pub(super) fn show_key(k: &[u8]) -> String {
    match std::str::from_utf8(k) {
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("{k:02x?}"),
    }
}

/// Name of the probe that answers where the learner's ring places keys, for
/// the check that a second process places them the same way.
pub(super) const RING_PROBE: &str = "ring-placement";

/// The keys of the placement probe: the empty key, a long one, and keys of
/// the stage's usual shapes.
pub(super) fn probe_keys(ctx: &Ctx) -> Vec<Vec<u8>> {
    let mut all = vec![Vec::new(), vec![0xAB; 1_000]];
    all.extend(keys(ctx, 52, 2_000));
    all
}

/// `b3 b14 - …`: the owner of each key, `-` for none.
pub(super) fn show_owners(owners: &[Option<BackendId>]) -> String {
    owners.iter().map(|o| o.map_or("-".to_string(), |id| id.to_string())).collect::<Vec<_>>().join(" ")
}

/// The probe run in a second process: where a ring of [`NODES`] (100 points
/// each, added in order) places the probe keys.
pub(super) fn ring_placement(s: Subject, ctx: &Ctx) -> String {
    let ring = ring_with(s, 100, &NODES);
    show_owners(&owners(ring.as_ref(), &probe_keys(ctx)))
}
