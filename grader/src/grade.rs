//! Grading: build the runner, run each stage isolated, turn what happened
//! into a report that teaches.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use catalog::{Catalog, Exercise, Lesson};
use grader_protocol::{Artifact, Failure, PanicReport, Verdict};

use crate::isolate::{self, Exit, Finished, Limits};
use crate::report::{Build, Report, StageReport, Status, SubjectKind};
use crate::runner::{self, BuildError, BuildSpec, Listing};

/// What to grade and how.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The catalogue.
    pub catalog: &'a Catalog,
    /// The lesson whose exercise is graded.
    pub lesson: &'a Lesson,
    /// Its exercise.
    pub exercise: &'a Exercise,
    /// The crate to grade: the learner's, the reference, or any other
    /// implementation of the same contract.
    pub subject_dir: PathBuf,
    /// Cargo features to enable on the subject (mutants only).
    pub features: Vec<String>,
    /// Whose it is, for the report.
    pub kind: SubjectKind,
    /// Only this stage (1-based), if set.
    pub only_stage: Option<usize>,
    /// Seed of every stage's randomness.
    pub seed: u64,
    /// Overrides every stage's time limit (tests of the grader use this).
    pub timeout: Option<Duration>,
    /// The command a learner types to grade this again (without stage/seed).
    pub command: String,
}

/// Grades one exercise. `Err` only for problems of the course, the grader
/// or the machine (exit 2): a bad `--stage`, a suite that does not build or
/// whose stages are not the catalogue's. Everything the implementation does,
/// from not compiling to crashing, is in the report.
pub fn grade(req: &Request<'_>) -> anyhow::Result<Report> {
    let ex = req.exercise;
    let mut stages: Vec<StageReport> = ex
        .stages
        .iter()
        .map(|s| StageReport {
            id: s.id.clone(),
            title: s.title.clone(),
            status: Status::NotRun,
            message: String::new(),
            seed: None,
            millis: 0,
        })
        .collect();
    if let Some(n) = req.only_stage {
        anyhow::ensure!(
            (1..=stages.len()).contains(&n),
            "stage {n} does not exist: {} has stages 1 to {}",
            req.lesson.slug,
            stages.len()
        );
    }
    let runner = match build(req)? {
        Ok(runner) => runner,
        Err(failed) => return Ok(finish(req, failed, stages, vec![])),
    };
    let listing = list(req, &runner)?;
    check_stages(req, &listing)?;
    let mut benchmarks = vec![];
    for (i, stage) in ex.stages.iter().enumerate() {
        if req.only_stage.is_some_and(|n| n != i + 1) {
            continue;
        }
        let limits =
            Limits { timeout: req.timeout.unwrap_or(Duration::from_millis(stage.timeout_ms)), ..Limits::default() };
        let nonce = nonce();
        let args = ["stage".to_string(), stage.id.clone(), "--seed".into(), req.seed.to_string()];
        let progress = crate::ui::Spinner::start(format!("stage {}/{}  {}", i + 1, ex.stages.len(), stage.title));
        let finished = isolate::run(&runner.binary, &args, &nonce, limits)
            .with_context(|| format!("starting {}", runner.binary.display()))?;
        drop(progress);
        let report = &mut stages[i];
        report.seed = Some(req.seed);
        report.millis = finished.elapsed.as_millis() as u64;
        let reproduce = format!("reproduce: {} --stage {} --seed {}", req.command, i + 1, req.seed);
        let hint = stage.hints.first().map(String::as_str);
        let (status, message) = explain(&req.catalog.root, &finished, limits, hint, &reproduce);
        report.status = status;
        report.message = message;
        if let Some(outcome) = finished.outcome {
            benchmarks.extend(outcome.benchmarks);
        }
        if !status.continues() {
            break;
        }
    }
    Ok(finish(req, Build::Compiled, stages, benchmarks))
}

/// Asks the built runner what its suite has (`runner list`). The suite's
/// code only runs: no stage, no implementation code.
fn list(req: &Request<'_>, runner: &runner::Runner) -> anyhow::Result<Listing> {
    let limits = Limits { timeout: Duration::from_secs(30), ..Limits::default() };
    let finished = isolate::run(&runner.binary, &["list".to_string()], &nonce(), limits)
        .with_context(|| format!("starting {}", runner.binary.display()))?;
    anyhow::ensure!(
        finished.exit == Exit::Code(0),
        "the grader could not list the stages of suite `{}` (`{} list` ended with {:?}): a fault of the grader, not of your crate{}",
        req.exercise.suite,
        runner.binary.display(),
        finished.exit,
        evidence(&finished)
    );
    Ok(Listing::parse(&finished.stdout.text()))
}

/// The catalogue's stages of the exercise must be the suite's, in the same
/// order: a stage the suite lacks would read as a crash of the learner's
/// code, a stage the catalogue lacks would never be graded.
fn check_stages(req: &Request<'_>, listing: &Listing) -> anyhow::Result<()> {
    let ours: Vec<&str> = req.exercise.stages.iter().map(|s| s.id.as_str()).collect();
    let theirs: Vec<&str> = listing.stages.iter().map(String::as_str).collect();
    if ours == theirs {
        return Ok(());
    }
    let missing: Vec<&str> = ours.iter().copied().filter(|id| !theirs.contains(id)).collect();
    let extra: Vec<&str> = theirs.iter().copied().filter(|id| !ours.contains(id)).collect();
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("the suite has no stage {}", quoted(&missing)));
    }
    if !extra.is_empty() {
        why.push(format!("{} lists no stage {}", catalog::FILE_NAME, quoted(&extra)));
    }
    if why.is_empty() {
        why.push("the same stages are in another order".into());
    }
    anyhow::bail!(
        "{}: the stages of exercise `{}` are not those of its suite `{}` (grader/suites/src/{}.rs): {}.\n  {}: {}\n  suite:       {}\nThis is a fault of the course, not of your crate: the stages must match, in order.",
        catalog::FILE_NAME,
        req.lesson.slug,
        req.exercise.suite,
        req.exercise.suite,
        why.join("; "),
        catalog::FILE_NAME,
        ours.join(", "),
        theirs.join(", "),
    )
}

fn quoted(ids: &[&str]) -> String {
    ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
}

/// Builds the runner for `req`: `Ok(Err(build))` when the graded crate does
/// not build (the build status shows the first errors); `Err` when the
/// course does not (its suite, contracts or reference, or an unknown suite).
fn build(req: &Request<'_>) -> anyhow::Result<Result<runner::Runner, Build>> {
    let ex = req.exercise;
    let spec = BuildSpec {
        root: &req.catalog.root,
        suite: &ex.suite,
        subject: &req.subject_dir,
        reference: &ex.solution_dir,
        features: &req.features,
    };
    let whose = match req.kind {
        SubjectKind::Learner => "Your crate",
        SubjectKind::Reference => "The reference",
    };
    match runner::build(&spec) {
        Ok(r) => Ok(Ok(r)),
        Err(BuildError::Compile { errors, total }) => {
            let errors: Vec<String> = errors.iter().map(|e| relative_paths(&req.catalog.root, e.trim_end())).collect();
            let shown = errors.len();
            let more = if total > shown { format!("\n\n… and {} more.", total - shown) } else { String::new() };
            let package = runner::package_name(&req.subject_dir).unwrap_or_else(|_| "<crate>".into());
            // An export the suite requires (said by the runner in words):
            // the crate itself may compile on its own.
            let hint = if errors.iter().any(|e| e.starts_with(runner::MUST_EXPORT)) {
                format!(
                    "hint: the grader links your crate by these names, at its root (src/lib.rs); the documentation of contracts/src/{}.rs lists every one.",
                    ex.suite
                )
            } else {
                format!(
                    "hint: fix the first error first; later ones often follow from it. `cargo check -p {package}` shows them all."
                )
            };
            let message = format!(
                "{whose} does not compile ({total} error{}):\n\n{}{more}\n\n{hint}",
                if total == 1 { "" } else { "s" },
                errors.join("\n\n"),
            );
            Ok(Err(Build::DoesNotCompile { total, errors, message }))
        }
        Err(BuildError::Cargo(text)) => Ok(Err(Build::CargoFailed {
            errors: vec![],
            message: format!("Cargo could not build {}:\n\n{text}", whose.to_lowercase()),
        })),
        Err(BuildError::Course { errors }) => {
            let errors: Vec<String> = errors.iter().map(|e| relative_paths(&req.catalog.root, e.trim_end())).collect();
            anyhow::bail!(
                "suite `{}` of exercise `{}` (named in {}) does not build with the grader: a fault of the course or the grader, not of your crate. (A suite is a folder grader/suites/src/<suite>/ whose mod.rs has its `Subject`, `suite()` and `EXPORTS`.)\n\n{}",
                req.exercise.suite,
                req.lesson.slug,
                catalog::FILE_NAME,
                errors.join("\n\n")
            )
        }
        Err(e) => Err(e).context("preparing the runner"),
    }
}

/// What a simulation produced, or why it could not run.
#[derive(Debug, Clone)]
pub enum Simulated {
    /// The report (and picture) to show.
    Done(Artifact),
    /// The crate did not build, or the simulation crashed, timed out or
    /// failed; the message says how.
    Problem(Status, String),
}

/// Runs the exercise's (ungraded) simulation with `req`'s crate, isolated
/// like a stage.
pub fn simulate(req: &Request<'_>) -> anyhow::Result<Simulated> {
    has_simulation(req.catalog, req.lesson, req.exercise)?;
    let runner = match build(req)? {
        Ok(runner) => runner,
        Err(failed) => return Ok(Simulated::Problem(Status::Failed, failed.message().to_string())),
    };
    let listing = list(req, &runner)?;
    anyhow::ensure!(
        listing.simulation,
        "{} says exercise `{}` has a simulation (`simulation = true`), but its suite `{}` (grader/suites/src/{}.rs) has none: a fault of the course, not of your crate",
        catalog::FILE_NAME,
        req.lesson.slug,
        req.exercise.suite,
        req.exercise.suite
    );
    let limits = Limits { timeout: req.timeout.unwrap_or(Duration::from_secs(120)), ..Limits::default() };
    let args = ["simulate".to_string(), "--seed".into(), req.seed.to_string()];
    let progress = crate::ui::Spinner::start(format!("running the {} simulation", req.lesson.slug));
    let finished = isolate::run(&runner.binary, &args, &nonce(), limits)
        .with_context(|| format!("starting {}", runner.binary.display()))?;
    drop(progress);
    if let Some(artifact) = finished.outcome.as_ref().and_then(|o| o.artifact.clone()) {
        return Ok(Simulated::Done(artifact));
    }
    let reproduce = format!("reproduce: {} --seed {}", req.command, req.seed);
    let (status, message) = explain(&req.catalog.root, &finished, limits, None, &reproduce);
    Ok(Simulated::Problem(status, message))
}

/// `Err` (a usage error, exit 2) unless the catalogue says the exercise has
/// a simulation: known before anything is built.
pub fn has_simulation(catalog: &Catalog, lesson: &Lesson, exercise: &Exercise) -> anyhow::Result<()> {
    if exercise.simulation {
        return Ok(());
    }
    let names: Vec<&str> = catalog.exercises().filter(|(_, e)| e.simulation).map(|(l, _)| l.slug.as_str()).collect();
    anyhow::bail!(
        "exercise `{}` has no simulation ({} does not give it `simulation = true`); the exercises with one: {}",
        lesson.slug,
        catalog::FILE_NAME,
        if names.is_empty() { "none".to_string() } else { names.join(", ") }
    )
}

/// The report: it passes when the crate compiled and every graded stage
/// (all of them, or only `--stage N`'s) and benchmark passed.
fn finish(
    req: &Request<'_>,
    build: Build,
    stages: Vec<StageReport>,
    benchmarks: Vec<grader_protocol::BenchFigure>,
) -> Report {
    let graded = |i: usize| req.only_stage.is_none_or(|n| n == i + 1);
    let passed = build.compiled()
        && stages.iter().enumerate().filter(|(i, _)| graded(*i)).all(|(_, s)| s.status == Status::Passed)
        && benchmarks.iter().all(|b| b.passed);
    Report {
        exercise: req.lesson.slug.clone(),
        subject: req.kind,
        build,
        only_stage: req.only_stage,
        passed,
        stages,
        benchmarks,
    }
}

/// A fresh unguessable token for one stage.
fn nonce() -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    format!("{:032x}", rng.random::<u128>())
}

/// The stage's status and the message a learner reads.
fn explain(root: &Path, f: &Finished, limits: Limits, hint: Option<&str>, reproduce: &str) -> (Status, String) {
    // What the grader had to do to end the stage (isolate.rs), then what it printed.
    let printed = format!("{}{}", f.notes(), evidence(f));
    if let Some(outcome) = &f.outcome {
        return match &outcome.verdict {
            Verdict::Passed => (Status::Passed, f.notes().trim_start().to_string()),
            Verdict::Failed(failure) => (Status::Failed, failure_text(failure, hint, reproduce, &printed)),
            Verdict::Panicked(p) if p.is_not_implemented() => (Status::NotImplemented, not_implemented_text(root, p)),
            Verdict::Panicked(p) => (Status::Crashed, panic_text(root, p, hint, reproduce, &printed)),
        };
    }
    let stderr = f.stderr.text();
    let why = match f.exit {
        Exit::TimedOut => {
            return (
                Status::TimedOut,
                format!(
                    "The stage did not finish within {}s and was stopped.\nhint: look for a loop whose exit condition never becomes true, or a lock taken twice on one thread (a std Mutex is not reentrant: locking it again while holding it deadlocks).\n{reproduce}{printed}",
                    limits.timeout.as_secs_f64()
                ),
            );
        }
        Exit::Stopped(sig) => {
            return (
                Status::TimedOut,
                format!(
                    "The stage's process was stopped by {} and was still stopped when its {}s ran out: a stopped process never finishes.\nhint: something sent it a stop signal: `raise(SIGSTOP)`, `kill -STOP`, or a read from the terminal (SIGTTIN)?\n{reproduce}{printed}",
                    isolate::signal_name(sig),
                    limits.timeout.as_secs_f64()
                ),
            );
        }
        _ if stderr.contains("has overflowed its stack") => {
            "It overflowed its stack: a recursion that never reaches its base case?".to_string()
        }
        _ if stderr.contains("memory allocation of") => format!(
            "It ran out of memory (a stage may use at most {} MiB): something grows without bound?",
            limits.memory_bytes >> 20
        ),
        Exit::Signal(6) => "It aborted (SIGABRT): `std::process::abort()`, or a panic while panicking?".to_string(),
        Exit::Signal(sig) => format!("It was killed by {}.", isolate::describe_signal(sig)),
        Exit::Code(code) => {
            format!("It exited with code {code} before the stage finished: does your code call `std::process::exit`?")
        }
    };
    (Status::Crashed, format!("The stage's process ended without a result. {why}\n{reproduce}{printed}"))
}

fn failure_text(f: &Failure, stage_hint: Option<&str>, reproduce: &str, printed: &str) -> String {
    let mut s = format!("{}\n  expected: {}\n  got:      {}\n", f.situation, f.expected, f.got);
    if let Some(h) = f.hint.as_deref().or(stage_hint) {
        s.push_str(&format!("hint: {h}\n"));
    }
    s.push_str(reproduce);
    s.push_str(printed);
    s
}

fn not_implemented_text(root: &Path, p: &PanicReport) -> String {
    let what = p.message.split_once(": ").map_or("", |(_, w)| w);
    let at = p.location.as_deref().map(|l| relative(root, l)).unwrap_or_default();
    if what.is_empty() { format!("todo!() at {at}") } else { format!("todo!(\"{what}\") at {at}") }
}

fn panic_text(root: &Path, p: &PanicReport, hint: Option<&str>, reproduce: &str, printed: &str) -> String {
    let at = p.location.as_deref().map(|l| format!(" at {}", relative(root, l))).unwrap_or_default();
    let mut s = format!("Your code panicked{at}:\n  {}\n", p.message.replace('\n', "\n  "));
    if let Some(h) = hint {
        s.push_str(&format!("hint: {h}\n"));
    }
    s.push_str(reproduce);
    s.push_str(printed);
    s
}

/// What the implementation printed, bounded, for the learner to read.
fn evidence(f: &Finished) -> String {
    let mut s = String::new();
    for (name, c) in [("stdout", &f.stdout), ("stderr", &f.stderr)] {
        if !c.is_empty() {
            let text = c.text();
            s.push_str(&format!(
                "\n{name} ({} bytes):\n  | {}",
                c.total,
                text.trim_matches('\n').trim_end().replace('\n', "\n  | ")
            ));
        }
    }
    s
}

/// `text` with the workspace root's absolute path removed, so compiler
/// messages name `exercises/…` as the learner sees it.
fn relative_paths(root: &Path, text: &str) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    text.replace(&format!("{}/", root.display()), "")
}

/// A source location relative to the workspace root, when it is inside it.
fn relative(root: &Path, location: &str) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let prefix = format!("{}/", root.display());
    location.strip_prefix(&prefix).unwrap_or(location).to_string()
}
