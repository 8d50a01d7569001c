//! Stage `read-your-writes`: with replicas that lag at random and reports
//! that arrive late and out of order (the `lag` simulator), a read never
//! goes to a replica that has not reported the session's position; it goes
//! to the primary only when no replica has; a stale report never moves a
//! replica back; no replicas means the primary; positions count 1, 2, 3;
//! and caught-up replicas share the reads (50% to 150% of the fair share).

use contracts::shard_router::{Position, Session, Target};
use rand::RngExt;

use super::Subject;
use super::lag::Lag;
use crate::harness::{Ctx, StageResult, Story, WithHint, ensure, fail};

const HINT_CAUGHT_UP: &str = "Keep each replica's largest report (a report smaller than one already received changes nothing). A read of a session at position p may go to a replica whose largest report is ≥ p; the primary only when none is.";

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    // Positions: 1, 2, 3, … ; no replicas: the primary.
    let router = (s.reads)(0);
    for want in 1..=5u64 {
        let got = router.write();
        ensure(got == Position(want), || {
            fail(format!("ReadRouter::new(0), then {want} calls of write(): the last answer."), Position(want), got)
                .hint("The first write is position 1, each later one one more.")
        })?;
    }
    let mut session = Session::new();
    let t = router.read(&mut session);
    ensure(t == Target::Primary, || {
        fail("ReadRouter::new(0) (no replicas), 5 writes, then read(a new session).", Target::Primary, t)
            .hint("With no replica, every read goes to the primary.")
    })?;

    // A stale report never moves a replica back.
    let router = (s.reads)(2);
    for _ in 0..10 {
        router.write();
    }
    router.applied(0, Position(8));
    router.applied(0, Position(3));
    router.applied(1, Position(2));
    let mut session = Session { position: Position(7) };
    let t = router.read(&mut session);
    ensure(t == Target::Replica(0), || {
        fail(
            "ReadRouter::new(2), 10 writes, applied(0, 8), applied(0, 3) (a late report), applied(1, 2), then read(a session at position 7).",
            "replica 0 (its largest report, 8, covers position 7; replica 1 is behind)",
            t,
        )
        .hint(HINT_CAUGHT_UP)
    })?;
    let mut session = Session { position: Position(9) };
    let t = router.read(&mut session);
    ensure(t == Target::Primary, || {
        fail(
            "ReadRouter::new(2), 10 writes, applied(0, 8), applied(0, 3), applied(1, 2), then read(a session at position 9).",
            "the primary (no replica has reported position 9)",
            t,
        )
        .hint(HINT_CAUGHT_UP)
    })?;

    // Seeded random lag, writers and readers interleaved.
    let mut rng = ctx.rng(50);
    for replicas in [1u32, 3, 8, 64] {
        let router = (s.reads)(replicas);
        let mut lag = Lag::new(&mut rng, replicas);
        let mut sessions = [Session::new(); 6];
        let mut story: Story<String> = Story::new();
        for _ in 0..5_000 {
            match rng.random_range(0..10) {
                0..=2 => {
                    let i = rng.random_range(0..sessions.len());
                    let p = router.write();
                    lag.wrote(p.0);
                    sessions[i].observe(p);
                    story.record(format!("session {i}: write() → {}", p.0));
                }
                3..=5 => {
                    for (r, p) in lag.tick(&mut rng) {
                        router.applied(r, Position(p));
                        story.record(format!("applied({r}, {p})"));
                    }
                }
                _ => {
                    let i = rng.random_range(0..sessions.len());
                    let p = sessions[i].position.0;
                    let t = router.read(&mut sessions[i]);
                    let caught = lag.caught_up(p);
                    let ok = match t {
                        Target::Replica(r) => r < replicas && lag.known(r) >= p,
                        Target::Primary => caught.is_empty(),
                    };
                    let step = format!("session {i} (at {p}): read → {t}");
                    story.check(ok, step.clone(), |st| {
                        let (want, hint) = match t {
                            Target::Replica(r) if r >= replicas => (format!("a replica in 0..{replicas} or the primary"), "Replica ids are 0..replicas.".to_string()),
                            Target::Replica(r) => (
                                format!("a replica whose largest report is ≥ {p} (caught up: {caught:?}), or the primary if none"),
                                format!("Replica {r} has only reported {}: reading it would miss the session's own write. {HINT_CAUGHT_UP}", lag.known(r)),
                            ),
                            Target::Primary => (
                                format!("one of the caught-up replicas {caught:?}"),
                                "A read goes to the primary only when no replica has caught up: the replicas are there to take the reads.".to_string(),
                            ),
                        };
                        fail(
                            format!("ReadRouter::new({replicas}), 6 sessions, replicas lagging at random, reports arriving late and out of order:\n  {}\n  then {step}\n  (replicas: {})", st.tell(String::clone), lag.describe()),
                            want,
                            t,
                        )
                        .hint(hint)
                    })?;
                }
            }
        }
        // Everyone catches up: every read goes to a replica.
        for (r, p) in lag.settle(&mut rng) {
            router.applied(r, Position(p));
        }
        for (i, session) in sessions.iter_mut().enumerate() {
            let p = session.position.0;
            let t = router.read(session);
            ensure(matches!(t, Target::Replica(r) if r < replicas), || {
                fail(
                    format!("ReadRouter::new({replicas}), after random traffic every replica reported the latest write; then read(session {i} at {p})."),
                    "a replica (all are caught up)",
                    t,
                )
                .hint(HINT_CAUGHT_UP)
            })?;
        }
    }

    // Spread: the caught-up replicas share the reads.
    for (replicas, caught) in [(2u32, 2u32), (8, 5), (64, 64)] {
        let router = (s.reads)(replicas);
        for _ in 0..100 {
            router.write();
        }
        for r in 0..replicas {
            router.applied(r, Position(if r < caught { 100 } else { 50 }));
        }
        let mut per = vec![0u32; replicas as usize];
        let reads = 1_000 * caught;
        for _ in 0..reads {
            let mut session = Session { position: Position(90) };
            if let Target::Replica(r) = router.read(&mut session) {
                if let Some(c) = per.get_mut(r as usize) {
                    *c += 1;
                }
            }
        }
        for r in 0..caught {
            let c = per[r as usize];
            ensure((500..=1_500).contains(&c), || {
                fail(
                    format!("ReadRouter::new({replicas}), 100 writes, replicas 0..{caught} reported 100 (the others 50), then {reads} reads of sessions at 90."),
                    "each caught-up replica between 500 and 1,500 reads (fair share 1,000)",
                    format!("replica {r} served {c}; all: {per:?}"),
                )
                .hint("Spread the reads over every caught-up replica: rotate (round-robin over the caught-up ones) or pick at random among them; never always the first or the most caught-up one.")
            })?;
        }
    }
    Ok(vec![])
}
