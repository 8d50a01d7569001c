//! Stage `health`: a down backend is never picked, every picker keeps its
//! fairness over the up ones, and a ring's health is membership.

use std::collections::BTreeMap;

use contracts::load_balancer::{Backend, BackendId, Lease, NoBackend, Picker};
use grader_protocol::Failure;
use rand::RngExt;

use super::picks::{check_sequence, cycle_break, no_panic, take_run};
use super::ring::{NODES, keys, owners, ring_with};
use super::show::{count_rows, histogram, ids_of, show_ids, show_run, show_weights, weighted};
use super::smooth::smooth_model;
use super::{MakePicker, Strategy, Subject};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

fn health_picker(kind: Strategy, make: MakePicker, seed: u64) -> Result<(), Failure> {
    let name = kind.name();
    let down_hint = "Filter down backends out *before* choosing (keep a list of the up ones, rebuilt when health changes). Skipping a down backend by moving to the next one fails when two neighbours are down.";
    let all_down_hint = "When every backend is down, pick must answer Err(NoBackend::AllDown); for an empty list, Err(NoBackend::Empty).";

    // An empty list is an answer, not a panic.
    let p = make(&[], seed);
    let answer =
        no_panic(&format!("A {name} picker created over an empty list; pick()."), || p.pick().map(|l| l.id()))?;
    ensure(answer == Err(NoBackend::Empty), || {
        fail(format!("A {name} picker over an empty list; pick()."), "Err(Empty)", format!("{answer:?}"))
            .hint(all_down_hint)
    })?;

    let backends = weighted(&[(0, 3), (1, 1), (2, 2), (3, 1), (4, 1), (5, 2)]);
    let p = make(&backends, seed);
    // Two neighbours down, and an unknown id and a repeated mark.
    p.mark_down(BackendId(2));
    p.mark_down(BackendId(3));
    p.mark_down(BackendId(99));
    p.mark_down(BackendId(2));
    let up: Vec<Backend> = backends.iter().filter(|b| ![2, 3].contains(&b.id.0)).copied().collect();
    let story = "6 backends b0..b5; mark_down(b2), mark_down(b3) (two neighbours), mark_down(b99) (not in the list), mark_down(b2) again";
    check_up_only(kind, name, p.as_ref(), &up, &[BackendId(2), BackendId(3)], story, down_hint)?;

    // Health survives a change of list; a new backend starts up.
    let mut grown = backends.clone();
    grown.push(Backend::weighted(6, 2));
    p.set_backends(&grown);
    let mut up_now = up.clone();
    up_now.push(Backend::weighted(6, 2));
    let story = format!("{story}; then set_backends(b0..b6), adding b6");
    check_up_only(
        kind,
        name,
        p.as_ref(),
        &up_now,
        &[BackendId(2), BackendId(3)],
        &story,
        "Health belongs to the id: set_backends keeps the health of the ids that stay (a service registry update must not resurrect a backend the health checker took out).",
    )?;

    // All down: an explicit answer.
    for b in &grown {
        p.mark_down(b.id);
    }
    let answer = no_panic(&format!("A {name} picker whose 7 backends are all marked down; pick()."), || {
        p.pick().map(|l| l.id())
    })?;
    ensure(answer == Err(NoBackend::AllDown), || {
        fail(
            format!("A {name} picker whose 7 backends are all marked down; pick()."),
            "Err(AllDown)",
            format!("{answer:?}"),
        )
        .hint(all_down_hint)
    })?;

    // Recovery: one comes back, then all.
    p.mark_up(BackendId(3));
    let picks = take_run(p.as_ref(), 5, &|| format!("A {name} picker: all 7 backends down, then mark_up(b3)."))?;
    ensure(picks.iter().all(|&id| id == BackendId(3)), || {
        fail(
            format!("A {name} picker: all 7 backends down, then mark_up(b3); 5 picks."),
            "b3 every time",
            show_run(&picks, 5),
        )
        .hint("mark_up must put the backend back among the candidates.")
    })?;
    for b in &grown {
        p.mark_up(b.id);
    }
    check_up_only(
        kind,
        name,
        p.as_ref(),
        &grown,
        &[],
        &format!("{story}; all marked down; then all marked up again"),
        "mark_up must put every backend back.",
    )?;

    p.set_backends(&[]);
    let answer = no_panic(&format!("A {name} picker whose list was replaced by an empty one; pick()."), || {
        p.pick().map(|l| l.id())
    })?;
    ensure(answer == Err(NoBackend::Empty), || {
        fail(format!("A {name} picker; set_backends([]); pick()."), "Err(Empty)", format!("{answer:?}"))
            .hint(all_down_hint)
    })?;
    Ok(())
}

/// Checks that only `up` backends are picked, with the strategy's own
/// fairness over them, including when down ones are the least loaded.
fn check_up_only(
    kind: Strategy,
    name: &str,
    p: &dyn Picker,
    up: &[Backend],
    down: &[BackendId],
    story: &str,
    hint: &str,
) -> Result<(), Failure> {
    let ups = ids_of(up);
    let context = || format!("A {name} picker: {story}.");
    let bad = |picks: &[BackendId]| picks.iter().find(|id| down.contains(id)).copied();
    match kind {
        Strategy::RoundRobin => {
            let picks = take_run(p, 4 * ups.len(), &context)?;
            if let Some(id) = bad(&picks) {
                return Err(fail(
                    format!("{}\n  picks: {}", context(), show_run(&picks, 28)),
                    format!("never {id}: it is down"),
                    format!("{id} picked"),
                )
                .hint(hint));
            }
            if let Some((_, what)) = cycle_break(&picks, &ups) {
                return Err(fail(format!("{}\n  picks: {}", context(), show_run(&picks, 28)), format!("round-robin over the {} up backends: each once in every {} picks", ups.len(), ups.len()), what)
                    .hint("Cycle over the list of *up* backends (index it with the counter), rather than skipping down ones in the full list: skipping sends a down backend's turns to its neighbour."));
            }
        }
        Strategy::SmoothWeighted => {
            let total: u64 = up.iter().map(|b| u64::from(b.weight)).sum();
            let picks = take_run(p, 2 * total as usize, &context)?;
            if let Some(id) = bad(&picks) {
                return Err(fail(
                    format!("{}\n  picks: {}", context(), show_run(&picks, 28)),
                    format!("never {id}: it is down"),
                    format!("{id} picked"),
                )
                .hint(hint));
            }
            let mut counts: BTreeMap<BackendId, u64> = BTreeMap::new();
            for id in &picks {
                *counts.entry(*id).or_default() += 1;
            }
            let exact = up.iter().all(|b| counts.get(&b.id).copied().unwrap_or(0) == 2 * u64::from(b.weight));
            ensure(exact, || {
                fail(
                    format!("{}\n  then {} picks: {}", context(), 2 * total, show_run(&picks, 28)),
                    format!("exactly twice each up backend's weight ({}), the schedule restarted over the up backends (total weight {total})", show_weights(up)),
                    format!("counts:{}", histogram(&count_rows(&counts))),
                )
                .hint("A health change restarts the schedule: reset every score to 0 and use the total weight of the *up* backends.")
            })?;
        }
        Strategy::LeastConnections | Strategy::PowerOfTwo => {
            // Load every up backend, so that the down ones are the idlest.
            let mut held = vec![];
            for _ in 0..2 * ups.len() {
                match p.pick() {
                    Ok(l) => held.push(l),
                    Err(e) => return Err(fail(context(), "a backend", format!("Err({e:?})"))),
                }
            }
            let holding: Vec<BackendId> = held.iter().map(Lease::id).collect();
            if let Some(id) = bad(&holding) {
                return Err(fail(
                    format!(
                        "{}\n  then {} requests held their leases: {}",
                        context(),
                        holding.len(),
                        show_run(&holding, 20)
                    ),
                    format!("never {id}: it is down, however idle"),
                    format!("{id} picked"),
                )
                .hint(hint));
            }
            let rounds = if kind == Strategy::PowerOfTwo { 600 } else { 4 * ups.len() };
            let picks = take_run(p, rounds, &context)?;
            if let Some(id) = bad(&picks) {
                return Err(fail(context(), format!("never {id}: it is down"), format!("{id} picked")).hint(hint));
            }
            let missing: Vec<BackendId> =
                ups.iter().filter(|id| !picks.contains(id) && !holding.contains(id)).copied().collect();
            ensure(missing.is_empty(), || {
                fail(
                    format!("{}\n  then {rounds} requests one after another.", context()),
                    format!("every up backend picked: {}", show_ids(&ups)),
                    format!("never {}", show_ids(&missing)),
                )
            })?;
            drop(held);
        }
    }
    Ok(())
}

/// Marks of ids that are not in the list change nothing, now or later: an id
/// marked before it joins, or after it left, joins up like any new id; a
/// backend that left while down comes back up.
fn marks_outside_the_list(kind: Strategy, make: MakePicker, seed: u64) -> Result<(), Failure> {
    let name = kind.name();
    let hint = "Health belongs to an id *in the list*. A mark of an id that is not in the list changes nothing, and an id that joins (for the first time, or again after it left) starts up, whatever was marked before. Keeping a set of down ids apart from the list, and never pruning it, remembers marks the contract says to forget.";
    let p = make(&weighted(&[(0, 2), (1, 1), (2, 3)]), seed);
    p.mark_down(BackendId(2));
    p.set_backends(&weighted(&[(0, 2), (1, 1)]));
    p.mark_down(BackendId(2));
    p.mark_down(BackendId(9));
    p.mark_up(BackendId(7));
    p.mark_down(BackendId(u32::MAX));
    let back = weighted(&[(0, 2), (1, 1), (2, 3), (9, 1), (u32::MAX, 2)]);
    p.set_backends(&back);
    let story = format!(
        "b0, b1, b2; mark_down(b2); set_backends([b0 b1]) (b2 left, down); mark_down(b2) again (no longer in the list), mark_down(b9), mark_up(b7), mark_down(b{}) (never in the list); then set_backends([b0 b1 b2 b9 b{}]): b2, b9 and b{} join, new, so up",
        u32::MAX,
        u32::MAX,
        u32::MAX
    );
    check_up_only(kind, name, p.as_ref(), &back, &[], &story, hint).map_err(|f| f.hint(hint))?;

    // Marks of absent ids do not disturb the picker now either.
    p.mark_down(BackendId(1));
    p.mark_up(BackendId(5));
    p.mark_down(BackendId(6));
    let up: Vec<Backend> = back.iter().filter(|b| b.id != BackendId(1)).copied().collect();
    let story = format!("{story}; then mark_down(b1), mark_up(b5), mark_down(b6) (neither in the list)");
    check_up_only(kind, name, p.as_ref(), &up, &[BackendId(1)], &story, hint).map_err(|f| f.hint(hint))
}

/// A health change in the middle of a smooth weighted cycle restarts the
/// schedule, exactly as a new list does; a mark that changes nothing does not.
fn smooth_mid_cycle(s: Subject) -> Result<(), Failure> {
    let all = weighted(&[(0, 5), (1, 1), (2, 1), (3, 3)]);
    let w = 10;
    let without = |id: u32| all.iter().filter(|b| b.id.0 != id).copied().collect::<Vec<_>>();
    let restart_hint = "A mark that changes a backend's health restarts the schedule, exactly as set_backends does: every score back to 0 and the total recomputed over the up backends, so the next picks are those of a fresh picker over the up backends. Keeping the old scores leaves the survivors with a lead or a debt from the old schedule.";
    let still_hint = "A mark that changes nothing (an id not in the list, a backend already down or already up) leaves the schedule where it was: restart only when a backend's health actually changed.";
    for into in [1usize, 3, 4, 7] {
        let shown = show_weights(&all);
        let word = if into == 1 { "pick" } else { "picks" };
        // Down in the middle of a cycle: a fresh schedule over the others.
        let p = s.picker(Strategy::SmoothWeighted)(&all, 0);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}."))?;
        p.mark_down(BackendId(0));
        let want = smooth_model(&without(0), 2 * 5);
        let story = format!(
            "A smooth weighted round-robin picker, weights {shown}; {into} {} (mid-cycle); then mark_down(b0). The schedule restarts over b1:1 b2:1 b3:3",
            word
        );
        check_sequence(p.as_ref(), &want, &|| story.clone(), restart_hint)?;

        // A few picks later, up again: a fresh schedule over all four.
        take_run(p.as_ref(), into, &|| story.clone())?;
        p.mark_up(BackendId(0));
        let want = smooth_model(&all, 2 * w);
        let story =
            format!("{story}; {} more picks; then mark_up(b0). The schedule restarts over all four", 2 * 5 + into);
        check_sequence(p.as_ref(), &want, &|| story.clone(), restart_hint)?;

        // Marks that change nothing, mid-cycle: the schedule carries on.
        let p = s.picker(Strategy::SmoothWeighted)(&all, 0);
        let run = smooth_model(&all, into + 2 * w);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}."))?;
        p.mark_down(BackendId(42));
        p.mark_up(BackendId(1));
        p.mark_up(BackendId(7));
        let story = format!(
            "A smooth weighted round-robin picker, weights {shown}; {into} {} (mid-cycle); then mark_down(b42) and mark_up(b7) (not in the list), mark_up(b1) (already up). Nothing changed, so the schedule carries on",
            word
        );
        check_sequence(p.as_ref(), &run[into..], &|| story.clone(), still_hint)?;

        // A repeated mark_down, mid-cycle of the restarted schedule: no restart.
        let p = s.picker(Strategy::SmoothWeighted)(&all, 0);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}."))?;
        p.mark_down(BackendId(3));
        let run = smooth_model(&without(3), into + 2 * 7);
        take_run(p.as_ref(), into, &|| format!("A smooth weighted picker, weights {shown}, b3 down."))?;
        p.mark_down(BackendId(3));
        let story = format!(
            "A smooth weighted round-robin picker, weights {shown}; {into} {}; mark_down(b3) (a restart over b0:5 b1:1 b2:1); {into} {}; mark_down(b3) again (already down: nothing changed, so the schedule carries on)",
            word, word
        );
        check_sequence(p.as_ref(), &run[into..], &|| story.clone(), still_hint)?;
    }
    Ok(())
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let seed = ctx.rng(70).random::<u64>();
    for kind in Strategy::ALL {
        health_picker(kind, s.picker(kind), seed)?;
    }
    for kind in Strategy::ALL {
        marks_outside_the_list(kind, s.picker(kind), seed)?;
    }
    smooth_mid_cycle(s)?;

    // The ring's health is membership: a down node leaves, and when it comes
    // back every key returns to it.
    let some = keys(ctx, 71, 20_000);
    let mut ring = ring_with(s, 100, &NODES);
    let before = owners(ring.as_ref(), &some);
    let down = BackendId(NODES[2]);
    ring.remove(down);
    ensure(owners(ring.as_ref(), &some).iter().all(|o| *o != Some(down)), || {
        fail(
            format!("A ring of 10 nodes; node {down} went down (removed)."),
            format!("no key on {down}"),
            format!("keys still on {down}"),
        )
    })?;
    ring.add(down);
    let back = owners(ring.as_ref(), &some);
    ensure(back == before, || {
        fail(format!("A ring of 10 nodes; node {down} was removed, then added back."), "every key back where it was before", "some keys elsewhere")
            .hint("A node's points must depend only on its id and point number, so that it comes back to exactly the same places.")
    })?;
    for &n in &NODES {
        ring.remove(BackendId(n));
    }
    let empty = ring.node_for(&some[0]);
    ensure(empty.is_none(), || {
        fail("A ring whose 10 nodes were all removed.", "node_for(key) = None", format!("{empty:?}"))
    })?;
    let mut reversed = NODES;
    reversed.reverse();
    for &n in &reversed {
        ring.add(BackendId(n));
    }
    ensure(owners(ring.as_ref(), &some) == before, || {
        fail(
            "A ring emptied, then refilled with the same 10 nodes in reverse order.",
            "every key where it was on the first ring",
            "some keys elsewhere",
        )
        .hint("Positions must not depend on insertion order; break ties between equal positions by node id.")
    })?;
    Ok(vec![])
}
