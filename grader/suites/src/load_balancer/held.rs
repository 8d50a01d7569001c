//! Requests that hold their leases, the way a server's handlers do, with
//! the true in-flight count per backend: the model the counting pickers
//! (least-connections, power of two choices) are checked against.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use contracts::load_balancer::{BackendId, Lease, Picker};
use grader_protocol::Failure;
use rand::{Rng, RngExt};

use super::MakePicker;
use super::picks::{no_panic, take_run};
use super::show::{ids_of, list, show_ids, show_run};
use crate::harness::{Story, WithHint, catch_expected_panic, ensure, fail};

/// Drives a picker that counts in-flight requests, holding leases the way a
/// server's handlers would, and knows the true count per backend.
pub(super) struct Held<'a> {
    pub(super) p: &'a dyn Picker,
    pub(super) ups: Vec<BackendId>,
    pub(super) leases: Vec<Lease<'a>>,
    pub(super) truth: BTreeMap<BackendId, usize>,
    /// What happened, for the failure message (formatted as it happens:
    /// stories here are short).
    pub(super) story: Story<String>,
}

impl<'a> Held<'a> {
    pub(super) fn new(p: &'a dyn Picker, ups: &[BackendId]) -> Held<'a> {
        Held {
            p,
            ups: ups.to_vec(),
            leases: vec![],
            truth: ups.iter().map(|&id| (id, 0)).collect(),
            story: Story::new(),
        }
    }

    pub(super) fn loads(&self) -> String {
        self.truth.iter().map(|(id, n)| format!("{id}={n}")).collect::<Vec<_>>().join(" ")
    }

    pub(super) fn reported(&self) -> String {
        self.ups.iter().map(|&id| format!("{id}={}", self.p.in_flight(id))).collect::<Vec<_>>().join(" ")
    }

    pub(super) fn situation(&self, name: &str) -> String {
        let mut s = format!("A {name} picker over {}, all up.", show_ids(&self.ups));
        if !self.story.is_empty() {
            let _ = write!(s, "\n  {}", self.story.tell(String::clone));
        }
        s
    }

    /// Picks and holds the lease; checks the choice was least loaded.
    pub(super) fn pick(&mut self, name: &str) -> Result<BackendId, Failure> {
        let before = self.loads();
        let lease = match self.p.pick() {
            Ok(l) => l,
            Err(e) => return Err(fail(self.situation(name), "a backend", format!("Err({e:?})"))),
        };
        let id = lease.id();
        let Some(&load) = self.truth.get(&id) else {
            return Err(fail(self.situation(name), "a backend of the list", format!("{id}")));
        };
        let least = self.truth.values().copied().min().unwrap_or(0);
        self.story.record(format!("in flight {before}: pick → {id}"));
        if load != least {
            return Err(fail(
                self.situation(name),
                format!("a backend with {least} in flight (the fewest)"),
                format!("{id}, with {load} in flight"),
            )
            .hint("Count +1 in pick and −1 in release, and pick the up backend with the smallest count. If your counts look right, check that set_backends and health changes did not reset them."));
        }
        *self.truth.entry(id).or_default() += 1;
        self.leases.push(lease);
        Ok(id)
    }

    /// Picks and holds the lease; checks the choice was not the unique
    /// busiest backend, which two different candidates can never yield.
    pub(super) fn pick_p2c(&mut self, name: &str) -> Result<BackendId, Failure> {
        let before = self.loads();
        let lease = match self.p.pick() {
            Ok(l) => l,
            Err(e) => return Err(fail(self.situation(name), "a backend", format!("Err({e:?})"))),
        };
        let id = lease.id();
        let Some(&load) = self.truth.get(&id) else {
            return Err(fail(self.situation(name), "a backend of the list", format!("{id}")));
        };
        self.story.record(format!("in flight {before}: pick → {id}"));
        let others_max = self.truth.iter().filter(|(other, _)| **other != id).map(|(_, &n)| n).max().unwrap_or(0);
        if self.truth.len() > 1 && load > others_max {
            return Err(fail(
                self.situation(name),
                format!("never {id}: it is busier ({load} in flight) than every other backend, so whichever other candidate was drawn beats it"),
                format!("{id}, with {load} in flight"),
            )
            .hint(format!("Compare the two candidates' in-flight counts and keep the smaller. {TWO_HINT}")));
        }
        *self.truth.entry(id).or_default() += 1;
        self.leases.push(lease);
        Ok(id)
    }

    pub(super) fn end(&mut self, i: usize, how: &str) -> Lease<'a> {
        let lease = self.leases.swap_remove(i);
        if let Some(n) = self.truth.get_mut(&lease.id()) {
            *n = n.saturating_sub(1);
        }
        self.story.record(format!("request on {} {how}", lease.id()));
        lease
    }

    pub(super) fn finish(&mut self, i: usize) {
        self.end(i, "finished").finish();
    }

    pub(super) fn abandon(&mut self, i: usize) {
        drop(self.end(i, "dropped its lease without finish() (an early error return, a cancelled future)"));
    }

    pub(super) fn panic_with(&mut self, i: usize) -> Result<(), Failure> {
        let lease = self.end(i, "panicked while holding its lease");
        let unwound = catch_expected_panic(move || {
            let _held = lease;
            panic!("the request handler panicked (on purpose: the grader checks that its lease is released)");
        });
        ensure(unwound.is_err(), || fail("A request panicked on purpose.", "the panic to unwind", "it returned"))
    }

    /// `in_flight` agrees with the leases the suite holds.
    /// Random traffic: `steps` operations, each a pick (always, while fewer
    /// than `min_held` leases are out) or the end of a held request (finished,
    /// abandoned, or panicking), with every in-flight count checked after each.
    pub(super) fn churn(
        &mut self,
        rng: &mut impl Rng,
        steps: usize,
        min_held: usize,
        mut pick: impl FnMut(&mut Self) -> Result<BackendId, Failure>,
        name: &str,
    ) -> Result<(), Failure> {
        for _ in 0..steps {
            let op = rng.random_range(0..10);
            if self.leases.len() < min_held || op < 5 {
                pick(self)?;
            } else {
                let i = rng.random_range(0..self.leases.len());
                match op {
                    5..=7 => self.finish(i),
                    8 => self.abandon(i),
                    _ => self.panic_with(i)?,
                }
            }
            self.check_counts(name, LEAK_HINT)?;
        }
        Ok(())
    }

    pub(super) fn check_counts(&self, name: &str, hint: &str) -> Result<(), Failure> {
        let agree = self.truth.iter().all(|(&id, &n)| self.p.in_flight(id) == n);
        ensure(agree, || {
            fail(
                self.situation(name),
                format!("in_flight: {}", self.loads()),
                format!("in_flight: {}", self.reported()),
            )
            .hint(hint.to_string())
        })
    }
}

pub(super) const LEAK_HINT: &str = "Subtract in `release`, for every outcome. The lease calls release(id, Outcome::Abandoned) from its Drop when a request ends without finish(): an error returned early, a panic (unwinding runs Drop), a cancelled future. Subtracting only for Outcome::Completed leaks one count per failed request, until the backend is never picked again.";

pub(super) const SATURATE_HINT: &str = "A lease can outlive its backend's place in the list: taken on b, then b removed and added back (a new, idle b), then released. That late release must not push the new count below zero: decrement only a count above zero, in one atomic step (a compare-and-swap loop), or keep a generation per backend and ignore releases from an older one. A plain fetch_sub wraps an AtomicUsize round to 2^64 − 1.";

pub(super) const TWO_HINT: &str = "Draw the second candidate among the *other* up backends (draw j in 0..n−1 and skip over the first: if j >= i { j += 1 }). Two independent draws are the same backend 1 time in n, and then the busy one can be chosen.";

/// The edges of a counting picker (`name`): one backend (ids at the end of
/// their range), and a lease released after its backend left the list and
/// came back. `p2c` says which choice rule to hold the picks to.
pub(super) fn counting_edges(make: MakePicker, name: &str, seed: u64, p2c: bool) -> Result<(), Failure> {
    // One backend: every pick is it, and its count is exact.
    let one = list(&[u32::MAX]);
    let p = make(&one, seed);
    let picks = no_panic(&format!("A {name} picker over one backend, b{}; 20 picks.", u32::MAX), || {
        take_run(p.as_ref(), 20, &|| format!("A {name} picker over one backend."))
    })??;
    ensure(picks.iter().all(|&id| id == BackendId(u32::MAX)), || {
        fail(
            format!("A {name} picker over one backend, b{}; 20 picks.", u32::MAX),
            format!("b{} every time", u32::MAX),
            show_run(&picks, 20),
        )
    })?;
    let mut h = Held::new(p.as_ref(), &ids_of(&one));
    for _ in 0..3 {
        let situation = h.situation(name);
        no_panic(&situation, || if p2c { h.pick_p2c(name) } else { h.pick(name) })??;
    }
    h.check_counts(
        name,
        "in_flight(id) counts the leases picked on id and not yet released, with one backend as with many.",
    )?;
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, LEAK_HINT)?;
    drop(h);

    // A lease outlives its backend: taken, the backend leaves and comes back
    // (new, so idle), then the old lease ends.
    let three = list(&[0, 1, 2]);
    let p = make(&three, seed);
    let lease =
        p.pick().map_err(|e| fail(format!("A {name} picker over [b0 b1 b2]."), "a backend", format!("Err({e:?})")))?;
    let x = lease.id();
    let without: Vec<u32> = [0, 1, 2].into_iter().filter(|&i| i != x.0).collect();
    p.set_backends(&list(&without));
    p.set_backends(&three);
    let story = format!(
        "A {name} picker over [b0 b1 b2]; a request took a lease on {x}; then set_backends({}) ({x} left), set_backends([b0 b1 b2]) ({x} came back, a new backend: idle); then the old lease ended",
        show_ids(&ids_of(&list(&without)))
    );
    no_panic(&story, move || drop(lease))?;
    let count = p.in_flight(x);
    ensure(count == 0, || {
        fail(
            format!("{story}."),
            format!("in_flight({x}) = 0: the returning {x} started idle, and a count never goes below zero"),
            format!("in_flight({x}) = {count}"),
        )
        .hint(SATURATE_HINT)
    })?;
    let mut h = Held::new(p.as_ref(), &ids_of(&three));
    h.story.record(story);
    for _ in 0..6 {
        if p2c {
            h.pick_p2c(name)?
        } else {
            h.pick(name)?
        };
        h.check_counts(name, SATURATE_HINT)?;
    }
    while !h.leases.is_empty() {
        h.finish(0);
    }
    h.check_counts(name, SATURATE_HINT)
}
