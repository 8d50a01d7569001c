//! A subject bucket driven in lockstep with the [`Model`]: the first answer
//! that differs is a failure that tells the story of the calls before it
//! (kept by the harness's [`Story`], formatted only then).

use contracts::token_bucket::{Bucket, BucketConfig, Decision, Nanos};
use grader_protocol::Failure;

use super::Subject;
use super::configs::t;
use super::model::Model;
use crate::harness::{Story, fail};

/// Drives a subject bucket and the model with the same calls.
pub(super) struct Lockstep {
    config: BucketConfig,
    subject: Box<dyn Bucket>,
    /// The specification, fed the same calls.
    pub(super) model: Model,
    story: Story<Call>,
    origin: Nanos,
    /// Whether a `Limited` answer must carry the exact wait. Stages before
    /// `retry-after` only check that the request was limited, so that each
    /// mistake is reported by the stage that teaches it.
    exact_wait: bool,
}

/// One call and the implementation's (accepted) answer.
type Call = (Nanos, u64, Decision);

impl Lockstep {
    /// A subject bucket and a model, both created full at `now`.
    pub(super) fn new(s: Subject, config: BucketConfig, now: Nanos) -> Lockstep {
        Lockstep {
            config,
            subject: (s.bucket)(config, now),
            model: Model::new(config, now),
            story: Story::new(),
            origin: now,
            exact_wait: true,
        }
    }

    /// Only the kind of a `Limited` answer is checked, not its wait.
    pub(super) fn any_wait(mut self) -> Lockstep {
        self.exact_wait = false;
        self
    }

    /// An instant relative to the bucket's creation.
    fn at(&self, now: Nanos) -> String {
        if now >= self.origin { format!("t={}", t(now - self.origin)) } else { format!("t=-{}", t(self.origin - now)) }
    }

    fn line(&self, now: Nanos, cost: u64) -> String {
        format!("at {}: acquire({cost})", self.at(now))
    }

    /// `try_acquire(now, cost)` on both; the model's answer (the exact wait,
    /// even where only the kind was checked) when they agree.
    pub(super) fn call(&mut self, now: Nanos, cost: u64) -> Result<Decision, Failure> {
        let latest = self.model.latest();
        let want = self.model.try_acquire(now, cost);
        let got = self.subject.try_acquire(now, cost);
        let agree = match (got, want) {
            (Decision::Limited { .. }, Decision::Limited { .. }) if !self.exact_wait => true,
            _ => got == want,
        };
        // The story shows what the implementation answered.
        let mut story = std::mem::take(&mut self.story);
        let checked = story.check(agree, (now, cost, got), |story| {
            let origin = if self.origin == 0 { String::new() } else { format!(" (now = {})", self.origin) };
            let expected = match want {
                // After a backwards step, say which instant the wait is measured from.
                Decision::Limited { retry_after_nanos } if now < latest => format!(
                    "{want}: the bucket last saw {} and has the tokens at {}, which is {} after this call's own now ({}): the wait is measured from the caller's now",
                    self.at(latest),
                    self.at(now.saturating_add(retry_after_nanos)),
                    t(retry_after_nanos),
                    self.at(now)
                ),
                _ => want.to_string(),
            };
            fail(
                format!(
                    "A bucket ({}) created full at t=0{origin}:\n  {}\n  then {}",
                    self.config,
                    story.tell(|c: &Call| format!("{} → {}", self.line(c.0, c.1), c.2)),
                    self.line(now, cost)
                ),
                expected,
                got,
            )
        });
        self.story = story;
        checked.map(|()| want)
    }
}
