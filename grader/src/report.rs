//! The grade report: what `--json` prints, and how a person reads it.

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

/// How a stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every check held.
    Passed,
    /// A check did not hold (or the crate does not compile).
    Failed,
    /// The code reached a `todo!()`.
    NotImplemented,
    /// The stage ran past its time limit and was killed.
    TimedOut,
    /// The process panicked, aborted, overflowed its stack, ran out of
    /// memory, or exited before reporting.
    Crashed,
    /// An earlier stage failed, so this one was not run.
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
    /// `true` iff every graded stage and benchmark passed.
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

    /// The report as a person reads it.
    pub fn render(&self, heading: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{heading}");
        let total = self.stages.len();
        for (i, stage) in self.stages.iter().enumerate() {
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
        let passed = self.stages.iter().filter(|s| s.status == Status::Passed).count();
        let _ = writeln!(out, "{passed} of {total} stages passed.");
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
