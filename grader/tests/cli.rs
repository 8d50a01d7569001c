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

#[test]
fn status_shows_progress_and_what_to_do_next() {
    let dir = tempfile::tempdir().expect("tempdir");
    let progress = dir.path().join("progress.toml");
    std::fs::write(&progress, "[exercise.token-bucket]\npassed = [\"starts-full\", \"exact-refill\"]\n")
        .expect("write");
    let (code, out) = stdout(grader(&progress).arg("status"));
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
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no exercise `token-bukket`; the exercises are: token-bucket")
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
    for d in ["lessons", "ex/src", "sol/src", "pristine/src"] {
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

/// The p99 column of the `you` row of `strategy` in a simulation report.
fn p99_of(report: &str, strategy: &str) -> u64 {
    let line =
        report.lines().find(|l| l.starts_with(strategy)).unwrap_or_else(|| panic!("no {strategy} row:\n{report}"));
    let fields: Vec<&str> = line[strategy.len()..].split_whitespace().collect();
    assert_eq!(fields[0], "you", "{line}");
    fields[2].parse().unwrap_or_else(|_| panic!("no p99 in {line}"))
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
