//! The grade report: what `--json` prints, and how a person reads it.
//!
//! `cargo grade <exercise> --json` prints one [`Report`] (an array of them
//! when no exercise is named). Its shape, field by field:
//!
//! ```json
//! {
//!   "exercise": "token-bucket",          // the lesson's slug
//!   "subject": "learner",                // or "reference"
//!   "build": { "status": "compiled" },   // see below
//!   "only_stage": null,                  // N for `--stage N`: only stage N was graded
//!   "passed": false,                     // every graded stage and benchmark passed
//!   "stages": [                          // every stage, in course order
//!     { "id": "starts-full", "title": "…", "status": "passed",
//!       "message": "", "seed": 7, "millis": 3 }
//!   ],
//!   "benchmarks": []                     // figures of the benchmark stage, when it ran
//! }
//! ```
//!
//! `build` says whether the crate compiled, independently of any stage: a
//! crate that does not compile has run no stage (every stage is `not_run`)
//! and reads
//!
//! ```json
//! "build": { "status": "does_not_compile", "total": 3,
//!            "errors": ["error[E0308]: mismatched types\n  --> exercises/…"],
//!            "message": "Your crate does not compile (3 errors): …" }
//! ```
//!
//! where `errors` are the first few compiler errors as rustc renders them
//! (paths relative to the workspace), `total` how many there were, and
//! `message` the text a person reads. When cargo fails before compiling (a
//! broken `Cargo.toml`), `status` is `"cargo_failed"`, `errors` is empty and
//! `message` holds cargo's own words. A stage's `status` is one of
//! `passed`, `failed`, `not_implemented`, `timed_out`, `crashed`, `not_run`
//! ([`Status`]).

use std::fmt::Write as _;

use grader_protocol::{BenchFigure, BenchKind};
use serde::{Deserialize, Serialize};

/// Whose implementation was graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// The learner's crate under `exercises/`.
    Learner,
    /// The reference solution under `solutions/`.
    Reference,
}

/// Whether the graded crate compiled: a status of its own, before any stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Build {
    /// The crate compiled with the suite; its stages ran.
    Compiled,
    /// rustc refused the crate: no stage ran.
    DoesNotCompile {
        /// How many errors rustc reported.
        total: usize,
        /// The first few, as rustc renders them, paths relative to the workspace.
        errors: Vec<String>,
        /// What a person reads: the errors and what to do about them.
        message: String,
    },
    /// Cargo failed before compiling (a broken `Cargo.toml`, a missing
    /// dependency): no stage ran.
    CargoFailed {
        /// Always empty: cargo gave no compiler error to show.
        errors: Vec<String>,
        /// Cargo's own words, and what to do about them.
        message: String,
    },
}

impl Build {
    /// Whether the crate compiled.
    pub fn compiled(&self) -> bool {
        matches!(self, Build::Compiled)
    }

    /// What a person reads when it did not compile (empty when it did).
    pub fn message(&self) -> &str {
        match self {
            Build::Compiled => "",
            Build::DoesNotCompile { message, .. } | Build::CargoFailed { message, .. } => message,
        }
    }
}

/// How a stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every check held.
    Passed,
    /// A check did not hold.
    Failed,
    /// The code reached a `todo!()`.
    NotImplemented,
    /// The stage ran past its time limit and was killed.
    TimedOut,
    /// The process panicked, aborted, overflowed its stack, ran out of
    /// memory, or exited before reporting.
    Crashed,
    /// Not graded: an earlier stage failed, the crate does not compile, or
    /// `--stage` asked for another one.
    NotRun,
}

impl Status {
    /// Whether grading goes on after a stage with this status.
    pub fn continues(self) -> bool {
        matches!(self, Status::Passed | Status::NotImplemented)
    }

    fn mark(self) -> &'static str {
        match self {
            Status::Passed => "✓",
            Status::NotImplemented => "○",
            Status::NotRun => "·",
            Status::Failed | Status::TimedOut | Status::Crashed => "✗",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Status::Passed => "",
            Status::Failed => "",
            Status::NotImplemented => "  (not implemented yet)",
            Status::TimedOut => "  (timed out)",
            Status::Crashed => "  (crashed)",
            Status::NotRun => "  (not run)",
        }
    }
}

/// One stage's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageReport {
    /// Stage id, as in `course.toml`.
    pub id: String,
    /// Stage title.
    pub title: String,
    /// How it ended.
    pub status: Status,
    /// What happened, written for the learner; empty when it passed.
    pub message: String,
    /// The seed the stage ran with (null when not run).
    pub seed: Option<u64>,
    /// Wall-clock time of the stage's process.
    pub millis: u64,
}

/// The report of grading one exercise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The lesson's slug.
    pub exercise: String,
    /// Whose code was graded.
    pub subject: SubjectKind,
    /// Whether the crate compiled; when it did not, no stage ran.
    pub build: Build,
    /// `Some(n)` when only stage `n` (1-based) was graded (`--stage n`): the
    /// report then says nothing about the other stages, and `passed` is about
    /// stage `n` alone, never that the exercise is done.
    pub only_stage: Option<usize>,
    /// `true` iff the crate compiled and every graded stage and benchmark
    /// passed.
    pub passed: bool,
    /// Every stage of the exercise, in order (those not graded are `not_run`).
    pub stages: Vec<StageReport>,
    /// Benchmark figures, when the benchmark stage ran.
    pub benchmarks: Vec<BenchFigure>,
}

impl Report {
    /// Ids of the stages that passed.
    pub fn passed_ids(&self) -> Vec<String> {
        self.stages.iter().filter(|s| s.status == Status::Passed).map(|s| s.id.clone()).collect()
    }

    /// The first stage that did not pass and was run, with its 1-based number.
    pub fn first_problem(&self) -> Option<(usize, &StageReport)> {
        self.stages
            .iter()
            .enumerate()
            .find(|(_, s)| !matches!(s.status, Status::Passed | Status::NotRun))
            .map(|(i, s)| (i + 1, s))
    }

    /// Whether every stage and benchmark of the exercise was graded and
    /// passed: what "the exercise is done" means. A `--stage` run never is.
    pub fn complete(&self) -> bool {
        self.passed && self.only_stage.is_none()
    }

    /// The report as a person reads it.
    pub fn render(&self, heading: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{heading}");
        let total = self.stages.len();
        if !self.build.compiled() {
            let _ = writeln!(out, "✗ does not compile: no stage ran");
            for line in self.build.message().lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "  {line}");
                }
            }
            let _ = writeln!(out, "0 of {total} stages ran: every stage needs the crate to compile.");
            return out;
        }
        for (i, stage) in self.stages.iter().enumerate() {
            if self.only_stage.is_some_and(|n| n != i + 1) {
                continue;
            }
            let time =
                if stage.status == Status::NotRun { String::new() } else { format!("  {}", millis(stage.millis)) };
            let _ = writeln!(
                out,
                "{} stage {}/{total}  {}{}{time}",
                stage.status.mark(),
                i + 1,
                stage.title,
                stage.status.label()
            );
            for line in stage.message.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        if !self.benchmarks.is_empty() {
            out.push_str(&render_benchmarks(&self.benchmarks));
        }
        match self.only_stage {
            Some(n) => {
                let _ = writeln!(out, "Only stage {n} of {total} was graded.");
            }
            None => {
                let passed = self.stages.iter().filter(|s| s.status == Status::Passed).count();
                let _ = writeln!(out, "{passed} of {total} stages passed.");
            }
        }
        out
    }
}

fn millis(ms: u64) -> String {
    if ms < 1000 { format!("{ms}ms") } else { format!("{:.1}s", ms as f64 / 1000.0) }
}

/// A table of benchmark figures: speed is graded against a plain baseline,
/// growth against a fixed bound; the tuned reference is a stretch figure.
pub fn render_benchmarks(figures: &[BenchFigure]) -> String {
    let mut out = String::from("\nbenchmarks (absolute figures vary by machine and are never graded)\n");
    let width = figures.iter().map(|f| f.name.chars().count()).max().unwrap_or(0);
    for f in figures {
        let again =
            if f.measurements > 1 { format!(", best of {} measurements", f.measurements) } else { String::new() };
        let line = match f.kind {
            BenchKind::Speed => format!(
                "you {:.1} ns/op, plain baseline {:.1}: {:.3}× its speed (needs ≥ {}×{again}); stretch: {:.3}× the tuned reference ({:.1} ns/op)",
                f.learner,
                f.baseline.unwrap_or(f64::NAN),
                f.ratio,
                f.threshold,
                f.stretch.unwrap_or(f.reference / f.learner),
                f.reference,
            ),
            BenchKind::Complexity => format!(
                "time/op grew {:.2}× for 100× the size (needs ≤ {}×{again}); reference {:.2}×",
                f.learner, f.threshold, f.reference
            ),
        };
        let mark = if f.passed { "✓" } else { "✗" };
        let _ = writeln!(out, "{mark} {:width$}  {line}", f.name);
    }
    out
}
