//! Read routing over asynchronous replicas: positions you can compare.
//!
//! The primary numbers its writes: 1, 2, 3, … (one atomic counter). Each
//! replica's **applied position** is one atomic too, moved only by
//! `fetch_max`: a late report, smaller than one already received, leaves it
//! where it is, so a replica never appears to go back in time.
//!
//! A **session** carries the position of the newest state it wrote or read.
//! A read may go to a replica whose applied position is at least that: it
//! holds everything the session has seen. Among those replicas a shared
//! counter takes turns (the `c`-th read goes to the `c mod k`-th caught-up
//! replica), so they share the load evenly; only when none has caught up
//! does the read go to the primary, which has applied everything.
//!
//! After the read, the session moves up to the position it just read: the
//! replica's applied position, or the primary's latest write. That is what
//! makes reads **monotonic**: the next read, wherever it lands, sees at least
//! as much, even on another replica that lags behind this one.
//!
//! No lock: positions are single numbers that only grow, the classic case
//! where atomics are simpler than a mutex. `Relaxed` ordering is enough,
//! because the positions *are* the data here (nothing else is published
//! through them), and each atomic on its own is read in a single total order
//! that never goes back. A real router would hold, beside the position,
//! connections to replicas; it would publish those with `Release`/`Acquire`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use contracts::shard_router::{MAX_REPLICAS, Position, ReadRouter, Session, Target};

/// A read router: the primary's latest write, each replica's applied
/// position, and a turn counter.
#[derive(Debug)]
pub struct Replicas {
    /// The position of the latest write.
    written: AtomicU64,
    /// The largest position each replica has reported.
    applied: Vec<AtomicU64>,
    /// Reads routed so far: whose turn it is among caught-up replicas.
    turn: AtomicU64,
}

impl ReadRouter for Replicas {
    fn new(replicas: u32) -> Self {
        Replicas {
            written: AtomicU64::new(0),
            applied: (0..replicas.min(MAX_REPLICAS)).map(|_| AtomicU64::new(0)).collect(),
            turn: AtomicU64::new(0),
        }
    }

    fn write(&self) -> Position {
        Position(self.written.fetch_add(1, Relaxed) + 1)
    }

    fn applied(&self, replica: u32, position: Position) {
        if let Some(applied) = self.applied.get(replica as usize) {
            applied.fetch_max(position.0, Relaxed);
        }
    }

    fn read(&self, session: &mut Session) -> Target {
        let need = session.position.0;
        // One look at every replica: (id, applied) of the caught-up ones.
        let mut caught_up = [(0u32, 0u64); MAX_REPLICAS as usize];
        let mut k = 0;
        for (id, applied) in self.applied.iter().enumerate() {
            let at = applied.load(Relaxed);
            if at >= need {
                caught_up[k] = (id as u32, at);
                k += 1;
            }
        }
        if k == 0 {
            session.observe(Position(self.written.load(Relaxed)));
            return Target::Primary;
        }
        let (id, at) = caught_up[(self.turn.fetch_add(1, Relaxed) % k as u64) as usize];
        session.observe(Position(at));
        Target::Replica(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_reads_its_writes_and_never_goes_back() {
        let r = Replicas::new(2);
        let mut s = Session::new();
        assert_eq!(r.read(&mut s), Target::Replica(0), "position 0: every replica has it");
        s.observe(r.write());
        assert_eq!(r.read(&mut s), Target::Primary);
        r.applied(1, Position(1));
        assert_eq!(r.read(&mut s), Target::Replica(1));
        r.applied(1, Position(0));
        assert_eq!(r.read(&mut s), Target::Replica(1), "a late report does not move a replica back");
        assert_eq!(s.position, Position(1));
    }

    #[test]
    fn reads_take_turns_among_caught_up_replicas() {
        let r = Replicas::new(4);
        r.write();
        for id in [0, 2, 3] {
            r.applied(id, Position(1));
        }
        let mut counts = [0; 4];
        for _ in 0..3_000 {
            let mut s = Session { position: Position(1) };
            if let Target::Replica(id) = r.read(&mut s) {
                counts[id as usize] += 1;
            }
        }
        assert_eq!(counts, [1_000, 0, 1_000, 1_000]);
    }

    #[test]
    fn no_replica_means_the_primary() {
        let r = Replicas::new(0);
        assert_eq!(r.read(&mut Session::new()), Target::Primary);
    }
}
