//! Stage `least-connections`: the least-loaded backend, counts exact through
//! every way a request ends, ties rotating.

use contracts::load_balancer::{BackendId, Lease};

use super::held::{Held, LEAK_HINT, counting_edges};
use super::picks::{cycle_break, no_panic, take_run};
use super::show::{ids_of, list, num, show_ids, show_run};
use super::{Strategy, Subject};
use crate::harness::{Ctx, StageResult, WithHint, catch_expected_panic, ensure, fail};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let name = "least-connections";
    let ids = [0, 1, 2, 3];
    let backends = list(&ids);
    let ups = ids_of(&backends);

    // Basic: holds spread out; a finished request frees its backend.
    let p = s.picker(Strategy::LeastConnections)(&backends, 0);
    let mut h = Held::new(p.as_ref(), &ups);
    for _ in 0..6 {
        h.pick(name)?;
    }
    h.check_counts(name, "in_flight(id) must count the leases picked on id and not yet released.")?;
    h.finish(0);
    h.check_counts(name, "finish() calls release(id, Outcome::Completed): subtract one there.")?;
    h.pick(name)?;
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, "Every finish() must subtract one.")?;
    drop(h);

    // A request that panics must not leak its count (the lesson's example).
    let pair = list(&[0, 1]);
    let p = s.picker(Strategy::LeastConnections)(&pair, 0);
    let first = p.pick();
    let first_id = first
        .as_ref()
        .map(Lease::id)
        .map_err(|e| fail("A least-connections picker over [b0 b1], both idle.", "a backend", format!("Err({e:?})")))?;
    let unwound = catch_expected_panic(move || {
        let _lease = first;
        panic!("the request handler panicked (on purpose: the grader checks that its lease is released)");
    });
    ensure(unwound.is_err(), || fail("A request panicked on purpose.", "the panic to unwind", "it returned"))?;
    let after: Vec<usize> = [0, 1].map(|i| p.in_flight(BackendId(i))).to_vec();
    let picks =
        take_run(p.as_ref(), 4, &|| "A least-connections picker over [b0 b1]; a request on one panicked.".into())?;
    let each_twice = [0, 1].iter().all(|&i| picks.iter().filter(|id| id.0 == i).count() == 2);
    ensure(after == [0, 0] && each_twice, || {
        fail(
            format!("Backends b0 and b1, both idle. A request took a lease on {first_id} and panicked.\n  Then 4 requests ran one after another, each finishing before the next."),
            "in flight b0=0 b1=0 after the panic; the 4 picks shared 2 and 2 (ties rotate)",
            format!("in flight b0={} b1={} after the panic; picks {}", after[0], after[1], show_run(&picks, 4)),
        )
        .hint(if after == [0, 0] {
            "The counts are right but ties do not rotate: start each scan one place after the previous pick, and take the first backend with the fewest in flight."
        } else {
            LEAK_HINT
        })
    })?;

    // Dropped without finish (a cancelled future), and two leases in one panic.
    let p = s.picker(Strategy::LeastConnections)(&backends, 0);
    let mut h = Held::new(p.as_ref(), &ups);
    h.pick(name)?;
    h.pick(name)?;
    h.abandon(1);
    h.check_counts(name, LEAK_HINT)?;
    let (a, b) = (h.p.pick(), h.p.pick());
    h.story.record("one request took two leases (a fan-out) and panicked".into());
    let unwound = catch_expected_panic(move || {
        let _both = (a, b);
        panic!("the request handler panicked (on purpose: the grader checks that its leases are released)");
    });
    ensure(unwound.is_err(), || fail("A request panicked on purpose.", "the panic to unwind", "it returned"))?;
    h.check_counts(name, LEAK_HINT)?;
    h.abandon(0);
    h.check_counts(name, LEAK_HINT)?;
    drop(h);

    // Random traffic: every pick is least loaded, every count exact.
    let mut rng = ctx.rng(3);
    let six = list(&[0, 1, 2, 3, 4, 5]);
    let p = s.picker(Strategy::LeastConnections)(&six, 0);
    let mut h = Held::new(p.as_ref(), &ids_of(&six));
    h.churn(&mut rng, 3_000, 1, |h| h.pick(name), name)?;
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, LEAK_HINT)?;
    drop(h);

    // Ties rotate: sequential traffic visits every backend in turn.
    let p = s.picker(Strategy::LeastConnections)(&six, 0);
    let picks = take_run(p.as_ref(), 18, &|| "A least-connections picker over 6 idle backends.".into())?;
    if let Some((_, what)) = cycle_break(&picks, &ids_of(&six)) {
        return Err(fail(
            format!("A least-connections picker over 6 backends [b0..b5]; 18 requests one after another, each finished before the next (so all are tied at 0).\n  picks: {}", show_run(&picks, 18)),
            "ties rotate: each backend once in every 6 picks",
            what,
        )
        .hint("Among equally loaded backends, start the scan one place after the previous pick (a cursor) and take the first least-loaded one. Always taking the lowest index piles all sequential traffic on b0."));
    }

    // The list changes under held leases.
    let p = s.picker(Strategy::LeastConnections)(&list(&[0, 1, 2]), 0);
    let lease = p.pick();
    let held = lease
        .as_ref()
        .map(Lease::id)
        .map_err(|e| fail("A least-connections picker over [b0 b1 b2].", "a backend", format!("Err({e:?})")))?;
    let others: Vec<u32> = [0, 1, 2, 3].into_iter().filter(|&i| i != held.0).collect();
    p.set_backends(&list(&[0, 1, 2, 3]));
    let kept = p.in_flight(held);
    ensure(kept == 1, || {
        fail(
            format!("A least-connections picker over [b0 b1 b2]; a request holds a lease on {held}; then set_backends([b0 b1 b2 b3])."),
            format!("in_flight({held}) = 1: a backend that stays keeps its count"),
            format!("in_flight({held}) = {kept}"),
        )
        .hint("set_backends must carry the in-flight counts of the ids that stay; resetting them makes the picker send more to backends that are already busy.")
    })?;
    let picks = take_run(p.as_ref(), 6, &|| "After set_backends([b0 b1 b2 b3]).".into())?;
    ensure(!picks.contains(&held), || {
        fail(
            format!(
                "A request holds a lease on {held}; the list became [b0 b1 b2 b3]; 6 requests ran one after another."
            ),
            format!(
                "picks among {} (idle), never the busy {held}",
                show_ids(&others.iter().map(|&i| BackendId(i)).collect::<Vec<_>>())
            ),
            format!("picks {}", show_run(&picks, 6)),
        )
    })?;
    let without: Vec<u32> = [0, 1, 2, 3].into_iter().filter(|&i| i != held.0).collect();
    p.set_backends(&list(&without));
    no_panic(&format!("A lease on {held} was released after {held} had left the list."), move || drop(lease))?;
    p.set_backends(&list(&[0, 1, 2, 3]));
    let back = p.in_flight(held);
    ensure(back == 0, || {
        fail(
            format!("A lease on {held} was released after {held} left the list; then {held} came back."),
            format!("in_flight({held}) = 0"),
            format!("in_flight({held}) = {back}"),
        )
        .hint("A backend that comes back starts idle, and a late release must never push a count below zero (use a saturating decrement: fetch_update with checked_sub).")
    })?;

    counting_edges(s.picker(Strategy::LeastConnections), name, 0, false)?;

    // Threads: counts stay exact under concurrent picks and releases.
    let p = s.picker(Strategy::LeastConnections)(&six, 0);
    let (threads, per_thread) = (8, 30_000u32);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let p = p.as_ref();
                scope.spawn(move || {
                    let mut held: Vec<Lease<'_>> = Vec::new();
                    for i in 0..per_thread {
                        if let Ok(lease) = p.pick() {
                            held.push(lease);
                        }
                        if held.len() > 3 {
                            let lease = held.swap_remove((i as usize + t) % held.len());
                            if i % 2 == 0 { lease.finish() } else { drop(lease) }
                        }
                        if i % 3_000 == 0 {
                            let lease = held.pop();
                            let _ = catch_expected_panic(move || {
                                let _lease = lease;
                                panic!("a request panicked on purpose");
                            });
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload));
        }
    });
    let left: Vec<(BackendId, usize)> =
        ids_of(&six).into_iter().map(|id| (id, p.in_flight(id))).filter(|&(_, n)| n != 0).collect();
    ensure(left.is_empty(), || {
        fail(
            format!("{threads} threads picked and released {} requests at once on a least-connections picker over {} backends (finished, dropped, or panicked); every lease was released.", num(u64::from(per_thread) * threads as u64), six.len()),
            "in_flight = 0 on every backend",
            left.iter().map(|(id, n)| format!("in_flight({id}) = {n}")).collect::<Vec<_>>().join(", "),
        )
        .hint("Update counts with atomic read-modify-write operations (fetch_add, fetch_sub / fetch_update), never load-then-store: two threads that both read 3 both write back 4, and a count is lost.")
    })?;
    Ok(vec![])
}
