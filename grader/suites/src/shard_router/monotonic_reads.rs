//! Stage `monotonic-reads`: each read moves the session's position up to
//! what its target has applied (the replica's largest report, the latest
//! write for the primary), so a session that read from a replica far ahead
//! never lands on one further behind; and 64 sessions on threads, writing,
//! reading and reporting at once, each see positions that never go back and
//! never read a replica behind their own writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use contracts::shard_router::{Position, Session, Target};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Subject;
use super::lag::Lag;
use crate::harness::{Ctx, StageResult, Story, WithHint, ensure, fail};

const HINT_MOVE: &str = "After choosing the target, move the session to what that target has applied: session.observe(the replica's largest report), or the latest write's position for the primary. Then its next read only goes to a replica at least that far along.";

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    // The lesson's example: one replica far ahead, one behind.
    let router = (s.reads)(2);
    for _ in 0..10 {
        router.write();
    }
    router.applied(0, Position(9));
    router.applied(1, Position(4));
    let mut session = Session::new();
    let mut seen = 0;
    for i in 0..20 {
        let before = session.position;
        let t = router.read(&mut session);
        let want = match t {
            Target::Replica(0) => Position(9),
            Target::Replica(1) => Position(4),
            _ => Position(10),
        };
        ensure(session.position == want, || {
            fail(
                format!("ReadRouter::new(2), 10 writes, applied(0, 9), applied(1, 4); one session (at {}) reads {} times; read {} went to {t}: the session's position after it.", before.0, i + 1, i + 1),
                want,
                session.position,
            )
            .hint(HINT_MOVE)
        })?;
        let now = match t {
            Target::Replica(1) => 4,
            Target::Replica(_) => 9,
            Target::Primary => 10,
        };
        ensure(now >= seen, || {
            fail(
                format!(
                    "ReadRouter::new(2), 10 writes, applied(0, 9), applied(1, 4); one session reads {} times.",
                    i + 1
                ),
                format!("a target at least as far along as the last read ({seen})"),
                format!("{t}, at {now}: the session went back in time"),
            )
            .hint(HINT_MOVE)
        })?;
        seen = now;
    }

    // Seeded random lag, readers only: positions never go back.
    let mut rng = ctx.rng(60);
    for replicas in [1u32, 2, 5, 16] {
        let router = (s.reads)(replicas);
        let mut lag = Lag::new(&mut rng, replicas);
        let mut sessions = [Session::new(); 4];
        let mut latest = 0u64;
        let mut story: Story<String> = Story::new();
        for _ in 0..5_000 {
            match rng.random_range(0..10) {
                0..=2 => {
                    latest = router.write().0;
                    lag.wrote(latest);
                    story.record(format!("write() → {latest}"));
                }
                3..=5 => {
                    for (r, p) in lag.tick(&mut rng) {
                        router.applied(r, Position(p));
                        story.record(format!("applied({r}, {p})"));
                    }
                }
                _ => {
                    let i = rng.random_range(0..sessions.len());
                    let before = sessions[i].position;
                    let t = router.read(&mut sessions[i]);
                    let want = match t {
                        Target::Replica(r) => Position(lag.known(r)),
                        Target::Primary => Position(latest),
                    };
                    let got = sessions[i].position;
                    let step = format!("session {i} (at {}): read → {t}, session now at {}", before.0, got.0);
                    story.check(got == want && got >= before, step.clone(), |st| {
                        fail(
                            format!("ReadRouter::new({replicas}), 4 reading sessions, replicas lagging at random, reports late and out of order:\n  {}\n  then {step}\n  (replicas: {})", st.tell(String::clone), lag.describe()),
                            format!("the session at {} ({t} has applied that much)", want.0),
                            format!("at {}", got.0),
                        )
                        .hint(HINT_MOVE)
                    })?;
                }
            }
        }
    }

    // 64 sessions on threads: writes, reads and reports at once.
    let replicas = 8u32;
    let router = (s.reads)(replicas);
    let reported: Arc<Vec<AtomicU64>> = Arc::new((0..replicas).map(|_| AtomicU64::new(0)).collect());
    let latest = Arc::new(AtomicU64::new(0));
    let seed = ctx.seed;
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..64u64)
            .map(|thread| {
                let (router, reported, latest) = (Arc::clone(&router), Arc::clone(&reported), Arc::clone(&latest));
                scope.spawn(move || -> Option<String> {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (thread << 32));
                    let mut session = Session::new();
                    let mut last = 0u64;
                    for step in 0..2_000 {
                        match rng.random_range(0..10) {
                            0 => {
                                let p = router.write();
                                latest.fetch_max(p.0, Ordering::SeqCst);
                                session.observe(p);
                            }
                            1..=3 => {
                                // Report a position some way behind the latest (never ahead).
                                let r = rng.random_range(0..replicas);
                                let top = latest.load(Ordering::SeqCst);
                                let p = top.saturating_sub(rng.random_range(0..20));
                                reported[r as usize].fetch_max(p, Ordering::SeqCst);
                                router.applied(r, Position(p));
                            }
                            _ => {
                                let before = session.position.0;
                                let t = router.read(&mut session);
                                let after = session.position.0;
                                if let Target::Replica(r) = t {
                                    let known = reported.get(r as usize).map(|a| a.load(Ordering::SeqCst));
                                    if known.is_none_or(|k| k < before) {
                                        return Some(format!("thread {thread}: read {step} at position {before} went to {t}, which had reported only {}", known.unwrap_or(0)));
                                    }
                                }
                                if after < before || after < last {
                                    return Some(format!("thread {thread}: read {step} moved the session from {before} to {after} (it had seen {last})"));
                                }
                                last = after;
                            }
                        }
                    }
                    None
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().unwrap_or_else(|_| Some("a thread panicked".into()))).collect()
    });
    ensure(failures.is_empty(), || {
        fail(
            "ReadRouter::new(8) shared by 64 threads, each one session: writes, reads, and reports of replicas (late, out of order) all at once.",
            "no read at a replica behind the session, no session going back",
            failures.first().cloned().unwrap_or_default(),
        )
        .hint("Keep each replica's largest report with an atomic fetch_max (or under one lock), read it once per decision, and set the session from the same value you decided with: a second load may see a newer report.")
    })?;
    Ok(vec![])
}
