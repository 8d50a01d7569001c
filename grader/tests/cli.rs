//! What the learner sees: snapshots of the CLI's output (insta + assert_cmd).
//! Timings are the only thing that varies between runs; they are filtered.

mod common;

use assert_cmd::Command;

/// The grader, run at the workspace root with progress kept in `progress`.
fn grader(progress: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("grader").expect("the grader binary");
    cmd.current_dir(common::root()).env("GRADER_PROGRESS", progress);
    cmd
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    // Stage timings ("  12ms", "  1.5s") at the end of a stage line.
    s.add_filter(r"(?m)^([✓✗○] stage .*?)  \d+(\.\d)?m?s$", "$1  [time]");
    // Where in course.toml: lines move whenever a lesson is added above.
    s.add_filter(r"course\.toml:\d+:", "course.toml:[line]:");
    s
}

/// `grader grade token-bucket --crate DIR [--features F] --seed S [extra…]`,
/// with progress kept nowhere that matters: the exit code and stdout.
fn grade_crate(dir: &str, features: Option<&str>, seed: u64, extra: &[&str]) -> (i32, String) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut cmd = grader(&scratch.path().join("p.toml"));
    cmd.args(["grade", "token-bucket", "--crate", dir, "--seed", &seed.to_string()]);
    if let Some(f) = features {
        cmd.args(["--features", f]);
    }
    stdout(cmd.args(extra))
}

fn stdout(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A small course written here, linking to the real exercises and lessons:
/// two exercises with a few stages each and a lesson to read only. Status
/// snapshots use it, so that a new exercise of the real course, or a new
/// stage, does not change them.
const SMALL_COURSE: &str = r#"format_version = 1
title = "A small course"

[[lesson]]
slug = "load-balancer"
title = "Load balancing"

[lesson.exercise]
simulation = true

[[lesson.exercise.stage]]
id = "round-robin"
title = "round-robin is exact"

[[lesson.exercise.stage]]
id = "smooth-weighted"
title = "smooth weighted round-robin"

[[lesson.exercise.stage]]
id = "least-connections"
title = "least-connections"

[[lesson]]
slug = "reading"
title = "A lesson to read"
file = "lessons/1-front-door/load-balancer.md"

[[lesson]]
slug = "token-bucket"
title = "Rate limiting with a token bucket"

[[lesson.exercise.stage]]
id = "starts-full"
title = "starts full, allows exactly capacity"

[[lesson.exercise.stage]]
id = "exact-refill"
title = "refill is exact at fractional rates"
hints = ["Tokens come back lazily.", "Keep the fraction of a token already earned."]

[[lesson.exercise.stage]]
id = "retry-after"
title = "Retry-After is exact to the nanosecond and honoured"
"#;

/// The grader on [`SMALL_COURSE`], progress kept in `progress`.
fn small_course(progress: &std::path::Path) -> Command {
    let course = common::linked_course("small", SMALL_COURSE, &[]);
    let mut cmd = grader(progress);
    cmd.arg("--root").arg(course);
    cmd
}

#[test]
fn status_shows_progress_and_what_to_do_next() {
    let dir = tempfile::tempdir().expect("tempdir");
    let progress = dir.path().join("progress.toml");
    std::fs::write(&progress, "[exercise.token-bucket]\npassed = [\"starts-full\", \"exact-refill\"]\n")
        .expect("write");
    let (code, out) = stdout(small_course(&progress).arg("status"));
    assert_eq!(code, 0);
    settings().bind(|| insta::assert_snapshot!(out));
}

#[test]
fn a_failing_grade_teaches() {
    let (code, out) = grade_crate("grader/mutants/token-bucket/buggy", Some("wrong-instant"), 1729, &[]);
    assert_eq!(code, 1, "a failing grade exits 1");
    settings().bind(|| insta::assert_snapshot!(out));
}

#[test]
fn the_pristine_stub_reads_as_not_implemented() {
    let (code, out) = grade_crate("exercises/.pristine/token-bucket", None, 1, &[]);
    assert_eq!(code, 1);
    settings().bind(|| insta::assert_snapshot!(out));
}

#[test]
fn hints_come_one_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let progress = dir.path().join("progress.toml");
    std::fs::write(&progress, "[exercise.token-bucket]\npassed = [\"starts-full\"]\n").expect("write");
    let mut shown = String::new();
    for _ in 0..4 {
        let (code, out) = stdout(grader(&progress).args(["hint", "token-bucket"]));
        assert_eq!(code, 0);
        shown.push_str(&out);
        shown.push_str("---\n");
    }
    insta::assert_snapshot!(shown);
}

#[test]
fn json_report_has_the_documented_shape() {
    let (code, out) = grade_crate("grader/mutants/token-bucket/buggy", Some("greater-than"), 7, &["--json"]);
    assert_eq!(code, 1);
    let mut report: serde_json::Value = serde_json::from_str(&out).expect("stdout is one JSON object");
    for stage in report["stages"].as_array_mut().expect("stages") {
        stage["millis"] = 0.into();
    }
    insta::assert_snapshot!(serde_json::to_string_pretty(&report).expect("json"));
}

#[test]
fn a_malformed_catalogue_is_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("course.toml"),
        "format_version = 1\ntitle = \"x\"\n[[lesson]]\nslug = \"a\"\ntitel = \"typo\"\n",
    )
    .expect("write");
    let out = grader(&dir.path().join("p.toml")).args(["--root"]).arg(dir.path()).arg("status").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&dir.path().display().to_string(), "[dir]");
    insta::assert_snapshot!(stderr);
}

#[test]
fn an_unknown_exercise_lists_the_real_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = grader(&dir.path().join("p.toml")).args(["grade", "token-bukket"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let slugs: Vec<String> = common::catalog().exercises().map(|(l, _)| l.slug.clone()).collect();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("no exercise `token-bukket`; the exercises are: {}", slugs.join(", "))),
        "{stderr}"
    );
}

#[test]
fn a_crate_that_does_not_compile_shows_the_first_errors() {
    let (code, out) = grade_crate("grader/fixtures/broken", None, 1, &[]);
    assert_eq!(code, 1);
    settings().bind(|| insta::assert_snapshot!(out));
}

/// A minimal course in a temporary folder: one lesson whose exercise the
/// learner has edited.
fn scratch_course() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    for d in ["lessons", "ex/src", "sol/src", "pristine/src", "grader/suites/src/a"] {
        std::fs::create_dir_all(p.join(d)).expect("mkdir");
    }
    let files = [
        ("lessons/a.md", "# A\n"),
        ("ex/Cargo.toml", "[package]\nname = \"a\"\n"),
        ("ex/src/lib.rs", "// the learner's work\n"),
        ("sol/Cargo.toml", "[package]\nname = \"a-solution\"\n"),
        ("sol/src/lib.rs", "// reference\n"),
        ("pristine/Cargo.toml", "[package]\nname = \"a\"\n"),
        ("pristine/src/lib.rs", "// todo\n"),
        ("grader/suites/src/a/mod.rs", "// the suite\n"),
        (
            "course.toml",
            "format_version = 1\ntitle = \"t\"\n[[lesson]]\nslug = \"a\"\ntitle = \"A\"\nfile = \"lessons/a.md\"\n[lesson.exercise]\ncrate = \"ex\"\nsolution = \"sol\"\npristine = \"pristine\"\nsuite = \"a\"\n[[lesson.exercise.stage]]\nid = \"one\"\ntitle = \"one\"\n",
        ),
    ];
    for (path, text) in files {
        std::fs::write(p.join(path), text).expect("write");
    }
    dir
}

#[test]
fn reset_backs_up_then_restores_the_pristine_stub() {
    let course = scratch_course();
    let p = course.path();
    let mut cmd = grader(&p.join("progress.toml"));
    let out = cmd.arg("--root").arg(p).args(["reset", "a", "--yes"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(p.join("ex/src/lib.rs")).expect("read"), "// todo\n");
    let backups: Vec<_> = std::fs::read_dir(p.join(".grader/backups")).expect("backups").collect();
    assert_eq!(backups.len(), 1);
    let backup = backups[0].as_ref().expect("entry").path();
    assert_eq!(std::fs::read_to_string(backup.join("src/lib.rs")).expect("read"), "// the learner's work\n");
}

#[test]
fn reset_without_a_terminal_asks_for_yes_and_changes_nothing() {
    let course = scratch_course();
    let p = course.path();
    let out = grader(&p.join("progress.toml")).arg("--root").arg(p).args(["reset", "a"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --yes to confirm"));
    assert_eq!(std::fs::read_to_string(p.join("ex/src/lib.rs")).expect("read"), "// the learner's work\n");
    assert!(!p.join(".grader").exists());
}

#[test]
fn json_for_all_exercises_is_an_array_of_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out) =
        stdout(grader(&dir.path().join("p.toml")).args(["grade", "--reference", "--json", "--seed", "3"]));
    let reports: Vec<serde_json::Value> = serde_json::from_str(&out).expect("stdout is a JSON array");
    assert_eq!(reports.len(), common::catalog().exercises().count());
    for r in &reports {
        assert_eq!(r["subject"], "reference");
        assert_eq!(r["passed"], true, "{r:#}");
        for key in ["name", "learner", "reference", "unit", "ratio", "threshold", "passed"] {
            assert!(r["benchmarks"][0].get(key).is_some(), "benchmark lacks {key}: {r:#}");
        }
    }
    assert_eq!(code, 0);
    assert!(!dir.path().join("p.toml").exists(), "grading the reference must not record progress");
}

/// The learner's p99 latency for `strategy` in a simulation report: the
/// latency table has a `p50 p90 p99 …` header, then one row per strategy,
/// yours left of the `│`, the reference's right of it.
fn p99_of(report: &str, strategy: &str) -> u64 {
    let mut lines = report.lines().skip_while(|l| !l.trim_start().starts_with("strategy") || !l.contains("p99"));
    let header = lines.next().unwrap_or_else(|| panic!("no latency table:\n{report}"));
    let column = header.split('│').next().unwrap_or("").split_whitespace().position(|h| h == "p99");
    let column = column.unwrap_or_else(|| panic!("no p99 column in {header}"));
    let line = lines.find(|l| l.starts_with(strategy)).unwrap_or_else(|| panic!("no {strategy} row:\n{report}"));
    let yours = line.split('│').next().unwrap_or("");
    // The header's first word is `strategy`; the row's first are the name's.
    let fields: Vec<&str> = yours[strategy.len()..].split_whitespace().collect();
    fields.get(column - 1).and_then(|f| f.parse().ok()).unwrap_or_else(|| panic!("no p99 in {line}"))
}

#[test]
fn the_simulation_shows_what_the_lesson_claims() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out) =
        stdout(grader(&dir.path().join("p.toml")).args(["simulate", "load-balancer", "--reference", "--seed", "5"]));
    assert_eq!(code, 0, "{out}");
    // One degraded backend: round-robin keeps feeding it, load-aware pickers do not.
    let (rr, lc, p2c) =
        (p99_of(&out, "round-robin"), p99_of(&out, "least-connections"), p99_of(&out, "power of two choices"));
    assert!(rr > 3 * lc, "round-robin p99 {rr} should dwarf least-connections' {lc}:\n{out}");
    assert!(p2c < 2 * lc, "power of two choices p99 {p2c} should be close to least-connections' {lc}:\n{out}");
    assert!(common::root().join("target/grader/simulate-load-balancer.svg").is_file());
}

/// A learner's load balancer: the reference, except that round-robin's
/// answer for an empty list is still a `todo!()` (reached first by a late
/// stage, through the suite's catch-and-re-raise of a panic).
fn learner_load_balancer() -> Vec<(&'static str, String)> {
    let root = common::root();
    let manifest = format!(
        "[package]\nname = \"load-balancer\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\ncontracts = {{ path = {:?} }}\nload-balancer-solution = {{ path = {:?} }}\n",
        root.join("contracts"),
        root.join("solutions/load-balancer")
    );
    let lib = r#"//! The reference, with round-robin on an empty list not written yet.
pub use load_balancer_solution::{HashRing, LeastConnections, PowerOfTwo, SmoothWeighted, jump_hash};

use contracts::load_balancer::{Backend, BackendId, Lease, NoBackend, Outcome, Picker};

pub struct RoundRobin(load_balancer_solution::RoundRobin);

impl Picker for RoundRobin {
    fn new(backends: &[Backend], seed: u64) -> Self {
        RoundRobin(load_balancer_solution::RoundRobin::new(backends, seed))
    }
    fn set_backends(&self, backends: &[Backend]) {
        self.0.set_backends(backends)
    }
    fn mark_down(&self, id: BackendId) {
        self.0.mark_down(id)
    }
    fn mark_up(&self, id: BackendId) {
        self.0.mark_up(id)
    }
    fn pick(&self) -> Result<Lease<'_>, NoBackend> {
        match self.0.pick() {
            // What `todo!("an empty list")` panics with, at this line.
            Err(NoBackend::Empty) => panic!("not yet implemented: an empty list"),
            other => other,
        }
    }
    fn release(&self, id: BackendId, outcome: Outcome) {
        self.0.release(id, outcome)
    }
    fn in_flight(&self, id: BackendId) -> usize {
        self.0.in_flight(id)
    }
}
"#;
    vec![("exercises/load-balancer/Cargo.toml", manifest), ("exercises/load-balancer/src/lib.rs", lib.to_string())]
}

/// The 1-based number of stage `id` of exercise `slug` in the real course.
fn stage_number(slug: &str, id: &str) -> usize {
    let catalog = common::catalog();
    let ex = catalog.lesson(slug).and_then(|l| l.exercise.as_ref()).expect("the exercise");
    ex.stage(id).unwrap_or_else(|| panic!("{slug} has no stage {id}")).0
}

#[test]
fn a_stage_run_says_what_it_ran_and_never_that_the_exercise_is_done() {
    let course = common::linked_course("stage-run", &common::real_course(), &learner_load_balancer());
    let scratch = tempfile::tempdir().expect("tempdir");
    let progress = scratch.path().join("progress.toml");
    // Stage 1 passes, while the health stage (later) is not implemented.
    let (code, out) = stdout(grader(&progress).arg("--root").arg(&course).args([
        "grade",
        "load-balancer",
        "--stage",
        "1",
        "--seed",
        "1",
    ]));
    assert_eq!(code, 0, "the stage graded passed:\n{out}");
    assert!(!out.contains("All stages pass"), "{out}");
    settings().bind(|| insta::assert_snapshot!(out));
    // Progress learned stage 1, and only that.
    let recorded: toml::Table =
        toml::from_str(&std::fs::read_to_string(&progress).expect("progress written")).expect("progress is TOML");
    assert_eq!(recorded["last_graded"].as_str(), Some("load-balancer"));
    let lb = &recorded["exercise"]["load-balancer"];
    assert_eq!(lb["passed"].as_array().map(Vec::len), Some(1), "{recorded}");
    assert_eq!(lb["passed"][0].as_str(), Some("round-robin"));
    assert_eq!(lb["complete"].as_bool(), Some(false), "a stage run never completes an exercise");
}

#[test]
fn a_todo_behind_a_caught_panic_shows_the_learners_line() {
    let course = common::linked_course("todo-location", &common::real_course(), &learner_load_balancer());
    let scratch = tempfile::tempdir().expect("tempdir");
    let health = stage_number("load-balancer", "health");
    let (code, out) = stdout(grader(&scratch.path().join("p.toml")).arg("--root").arg(&course).args([
        "grade",
        "load-balancer",
        "--stage",
        &health.to_string(),
        "--seed",
        "1",
        "--json",
    ]));
    assert_eq!(code, 1, "a stage not implemented does not pass:\n{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let stage = &report["stages"][health - 1];
    assert_eq!(stage["status"], "not_implemented", "{report:#}");
    let lib = &learner_load_balancer()[1].1;
    let stands_for_todo = "panic!(\"not yet implemented";
    let (line, text) = lib.lines().enumerate().find(|(_, l)| l.contains(stands_for_todo)).expect("a todo");
    let column = text.find(stands_for_todo).expect("a todo") + 1;
    assert_eq!(
        stage["message"].as_str(),
        Some(format!("todo!(\"an empty list\") at exercises/load-balancer/src/lib.rs:{}:{column}", line + 1).as_str()),
        "the learner's line, not the suite's: {report:#}"
    );
}

#[test]
fn status_points_at_the_exercise_in_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let progress = dir.path().join("progress.toml");
    // Lesson 1 left with stages to go; half-way through lesson 2.
    std::fs::write(
        &progress,
        "last_graded = \"load-balancer\"\n[exercise.token-bucket]\npassed = [\"starts-full\", \"exact-refill\"]\n[exercise.load-balancer]\npassed = [\"round-robin\", \"smooth-weighted\"]\n",
    )
    .expect("write");
    let (code, out) = stdout(small_course(&progress).arg("status"));
    assert_eq!(code, 0);
    settings().bind(|| insta::assert_snapshot!(out));
}

#[test]
fn hint_and_watch_default_to_the_exercise_in_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let progress = dir.path().join("progress.toml");
    // Past the first stage of token-bucket: the exercise in progress, as
    // `status` shows it, is token-bucket, though load-balancer comes first.
    std::fs::write(&progress, "[exercise.token-bucket]\npassed = [\"starts-full\"]\n").expect("write");
    let (code, status) = stdout(small_course(&progress).arg("status"));
    assert_eq!(code, 0);
    assert!(
        status.contains("cargo grade token-bucket\n") && status.ends_with("pass: cargo grade token-bucket\n"),
        "{status}"
    );
    let (code, named) = stdout(small_course(&progress).args(["hint", "token-bucket"]));
    assert_eq!(code, 0);
    std::fs::write(&progress, "[exercise.token-bucket]\npassed = [\"starts-full\"]\n").expect("write");
    let (code, defaulted) = stdout(small_course(&progress).arg("hint"));
    assert_eq!(code, 0);
    assert!(
        defaulted.starts_with("stage 2/3  refill is exact at fractional rates  (the first stage your last `cargo grade token-bucket` did not pass)\nhint 1/2: Tokens come back lazily."),
        "{defaulted}"
    );
    assert_eq!(defaulted, named, "`hint` is `hint token-bucket` here");
}

#[test]
fn a_crate_that_does_not_compile_is_a_build_status_in_json() {
    let (code, out) = grade_crate("grader/fixtures/broken", None, 1, &["--json"]);
    assert_eq!(code, 1, "not compiling is something that did not pass");
    let report: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let build = &report["build"];
    assert_eq!(build["status"], "does_not_compile", "{report:#}");
    assert_eq!(build["total"], 3);
    let errors = build["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 3);
    assert!(errors[0].as_str().is_some_and(|e| e.contains("grader/fixtures/broken/src/lib.rs")), "{errors:?}");
    assert!(build["message"].as_str().is_some_and(|m| m.starts_with("Your crate does not compile (3 errors)")));
    assert_eq!(report["passed"], false);
    for stage in report["stages"].as_array().expect("stages") {
        assert_eq!(stage["status"], "not_run", "no stage ran, none failed: {stage:#}");
        assert_eq!(stage["message"], "");
    }
}

#[test]
fn simulate_without_a_simulation_is_refused_before_building() {
    // On the small course, so that a new exercise with a simulation does not
    // change this snapshot.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = small_course(&dir.path().join("p.toml")).args(["simulate", "token-bucket"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    settings().bind(|| insta::assert_snapshot!(String::from_utf8_lossy(&out.stderr)));
}

#[test]
fn a_suite_that_does_not_exist_is_a_course_error() {
    // An override of the suite that convention derives, with a typo.
    let real = common::real_course();
    let slug = real.find("slug = \"token-bucket\"\n").expect("the token-bucket lesson");
    let title = slug + real[slug..].find("\ntitle = ").expect("its title") + 1;
    let end = title + real[title..].find('\n').expect("a line") + 1;
    let toml = format!("{}[lesson.exercise]\nsuite = \"tokn_bucket\"\n{}", &real[..end], &real[end..]);
    let course = common::linked_course("bad-suite", &toml, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = grader(&dir.path().join("p.toml"))
        .arg("--root")
        .arg(&course)
        .args(["grade", "token-bucket"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&course.display().to_string(), "[course]");
    settings().bind(|| insta::assert_snapshot!(stderr));
}

#[test]
fn stages_the_suite_does_not_have_are_a_course_error() {
    let toml = common::real_course().replace("id = \"starts-full\"", "id = \"starts-fully\"");
    let course = common::linked_course("bad-stage", &toml, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = grader(&dir.path().join("p.toml"))
        .arg("--root")
        .arg(&course)
        .args(["grade", "token-bucket", "--reference", "--seed", "1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "no stage was graded: {}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for part in [
        "error: course.toml: the stages of exercise `token-bucket` are not those of its suite `token_bucket` (grader/suites/src/token_bucket.rs)",
        "the suite has no stage `starts-fully`; course.toml lists no stage `starts-full`",
        "a fault of the course, not of your crate",
    ] {
        assert!(stderr.contains(part), "{part:?} not in:\n{stderr}");
    }
}

#[test]
fn a_closed_stdout_ends_the_grader_quietly() {
    for args in [&["status"][..], &["hint", "token-bucket"], &["solution", "token-bucket"], &["grade", "--help"]] {
        let dir = tempfile::tempdir().expect("tempdir");
        // The reading end is closed before the grader writes a byte: its
        // first write fails with EPIPE, as under `| head -1` a moment later.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_grader"))
            .current_dir(common::root())
            .env("GRADER_PROGRESS", dir.path().join("p.toml"))
            .args(args)
            .stdout(writer)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} should exit quietly: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}");
        assert!(out.status.code().is_some(), "{args:?} ended by a signal: {:?}", out.status);
    }
}

#[test]
fn grade_help_documents_the_exit_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out) = stdout(grader(&dir.path().join("p.toml")).args(["grade", "--help"]));
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn help_shows_the_commands_as_the_learner_types_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out) = stdout(grader(&dir.path().join("p.toml")).arg("--help"));
    assert_eq!(code, 0);
    for hidden in ["cargo grader new", "cargo grader dev"] {
        assert!(!out.contains(hidden), "{hidden} is for the course's authors, not in the learner's help:\n{out}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn off_a_terminal_the_output_is_free_of_progress() {
    // stdout and stderr are pipes here: what a log, a pipe or CI receives.
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = grader(&scratch.path().join("p.toml"))
        .args(["grade", "token-bucket", "--crate", "exercises/.pristine/token-bucket", "--seed", "1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let both =
        format!("stderr:\n{}\nstdout:\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    assert!(!both.contains('\r') && !both.contains('\x1b'), "terminal controls off a terminal: {both:?}");
    settings().bind(|| insta::assert_snapshot!(both));
}
