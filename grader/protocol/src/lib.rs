//! The runner ↔ grader protocol.
//!
//! The grader runs every stage in a fresh child process (a *runner*: the
//! hidden suite linked with one implementation). The runner's stdout and
//! stderr are shared with the learner's code, so anything printed there is
//! untrusted. A stage outcome therefore counts only when it arrives as one line
//!
//! ```text
//! @@grader-result <nonce> <json of StageOutcome>
//! ```
//!
//! where `<nonce>` is a fresh random token the grader wrote to the runner's
//! stdin before the stage began. The runner reads it first thing, before any
//! learner code runs, and stdin is then at end of file: learner code cannot
//! learn it, so it cannot forge a pass. A runner that exits, aborts or is
//! killed without that line has crashed, whatever it printed.

use serde::{Deserialize, Serialize};

/// First word of the result line.
pub const RESULT_TAG: &str = "@@grader-result";

/// What a runner reports for one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageOutcome {
    /// How the stage ended.
    pub verdict: Verdict,
    /// Benchmark figures measured by this stage (benchmark stages only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<BenchFigure>,
    /// What a simulation produced (simulations only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Artifact>,
}

/// The output of a simulation: not graded, shown to the learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// A report for the terminal.
    pub text: String,
    /// The same as a picture, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
}

/// How a stage ended, as seen from inside the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Every check held.
    Passed,
    /// A check did not hold.
    Failed(Failure),
    /// The implementation panicked (a `todo!()` included).
    Panicked(PanicReport),
}

/// A check that did not hold, written to teach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// One or two sentences: the situation, in the lesson's terms.
    pub situation: String,
    /// What the contract says should happen.
    pub expected: String,
    /// What the implementation did.
    pub got: String,
    /// A hint specific to this failure, when the suite can tell the cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A panic caught inside the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanicReport {
    /// The panic message (`not yet implemented` for a bare `todo!()`).
    pub message: String,
    /// `file:line:column` of the panic, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl PanicReport {
    /// `true` for the panic of `todo!()` or `unimplemented!()`.
    pub fn is_not_implemented(&self) -> bool {
        self.message.starts_with("not yet implemented") || self.message.starts_with("not implemented")
    }
}

/// What kind of figure a benchmark reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchKind {
    /// Time per operation of the learner, of a plain idiomatic *baseline*
    /// (the yardstick) and of the tuned reference, measured alternately in
    /// the same run. `ratio` is baseline ÷ learner (1.0: as fast as the plain
    /// baseline; 0.5: twice as slow); it passes when `ratio ≥ threshold`.
    /// The reference's figure is a stretch goal, shown and never graded.
    Speed,
    /// Growth of time per operation when the input grows 100×: learner and
    /// reference each measured at two sizes. `ratio` is the learner's growth
    /// factor; it passes when `ratio ≤ threshold`, whatever the machine.
    Complexity,
}

/// One benchmark figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchFigure {
    /// Short name, e.g. `bucket try_acquire`.
    pub name: String,
    /// What is measured.
    pub kind: BenchKind,
    /// The learner's figure (nanoseconds per operation, or a growth factor).
    pub learner: f64,
    /// The plain baseline's figure (speed only): the yardstick of the grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// The tuned reference's figure, same unit: shown, never graded.
    pub reference: f64,
    /// Unit of `learner`, `baseline` and `reference`.
    pub unit: String,
    /// See [`BenchKind`].
    pub ratio: f64,
    /// See [`BenchKind`].
    pub threshold: f64,
    /// Whether the figure is within its threshold.
    pub passed: bool,
    /// Speed only: reference ÷ learner, the ungraded stretch figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stretch: Option<f64>,
    /// How many times the figure was measured (a figure near its threshold
    /// is measured again before the verdict; the best measurement counts).
    #[serde(default = "one")]
    pub measurements: u32,
    /// What to look at when this figure fails: a growth failure is about
    /// complexity, a speed failure about constant factors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn one() -> u32 {
    1
}

/// Formats a result line.
pub fn result_line(nonce: &str, outcome: &StageOutcome) -> String {
    // A StageOutcome holds only strings, numbers and enums: it always serializes.
    let json = serde_json::to_string(outcome).unwrap_or_else(|e| {
        format!(r#"{{"verdict":{{"kind":"failed","situation":"runner could not encode its result: {e}","expected":"","got":""}}}}"#)
    });
    format!("{RESULT_TAG} {nonce} {json}")
}

/// Parses a line of runner output: `Some` only for a well-formed result line
/// carrying exactly this `nonce`.
pub fn parse_result_line(line: &str, nonce: &str) -> Option<StageOutcome> {
    if nonce.is_empty() {
        return None;
    }
    let rest = line.strip_prefix(RESULT_TAG)?.strip_prefix(' ')?;
    let json = rest.strip_prefix(nonce)?.strip_prefix(' ')?;
    serde_json::from_str(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_line_round_trips_only_with_its_nonce() {
        let outcome = StageOutcome { verdict: Verdict::Passed, benchmarks: vec![], artifact: None };
        let line = result_line("abc123", &outcome);
        assert_eq!(parse_result_line(&line, "abc123"), Some(outcome));
        assert_eq!(parse_result_line(&line, "abc12"), None);
        assert_eq!(parse_result_line(&line, "zzz"), None);
        assert_eq!(parse_result_line(r#"@@grader-result  {"verdict":{"kind":"passed"}}"#, ""), None);
    }

    #[test]
    fn todo_reads_as_not_implemented() {
        let p = PanicReport { message: "not yet implemented: refill".into(), location: None };
        assert!(p.is_not_implemented());
        let p = PanicReport { message: "index out of bounds".into(), location: None };
        assert!(!p.is_not_implemented());
    }
}
