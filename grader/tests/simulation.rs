//! `cargo grader simulate load-balancer`: every figure the lesson quotes from
//! it is the one it prints, a pristine stub reads "not implemented yet" while
//! the reference still runs, and it tells a ring that hashes differently from
//! a ring that is broken. (The lesson's claim itself, on another seed, is
//! `the_simulation_shows_what_the_lesson_claims` in `cli.rs`.)

mod common;

use assert_cmd::Command;
use grader::grade::{self, Request, Simulated};
use grader::report::SubjectKind;

/// One side of a row of the latency table: p50, p90, p99, max, or why not.
#[derive(Debug, Clone, PartialEq)]
enum Side {
    Ran { p50: u64, p90: u64, p99: u64, max: u64 },
    NotImplemented,
}

/// The latency row of `strategy`: (yours, reference).
fn row(report: &str, strategy: &str) -> (Side, Side) {
    let line = report
        .lines()
        .find(|l| l.starts_with(strategy) && l.contains('│'))
        .unwrap_or_else(|| panic!("no {strategy} row:\n{report}"));
    let side = |cells: &str| {
        if cells.trim().starts_with("not implemented yet") {
            return Side::NotImplemented;
        }
        let n: Vec<u64> = cells
            .split_whitespace()
            .take(4)
            .map(|f| f.parse().unwrap_or_else(|_| panic!("not a figure: {f:?} in {line}")))
            .collect();
        Side::Ran { p50: n[0], p90: n[1], p99: n[2], max: n[3] }
    };
    let (yours, theirs) = line[strategy.len()..].split_once('│').unwrap_or_else(|| panic!("one side: {line}"));
    (side(yours), side(theirs))
}

/// `cargo grader simulate load-balancer --reference [--seed S]`: stdout.
fn simulate_reference(seed: Option<u64>) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::cargo_bin("grader").expect("the grader binary");
    cmd.current_dir(common::root()).env("GRADER_PROGRESS", dir.path().join("p.toml"));
    cmd.args(["simulate", "load-balancer", "--reference"]);
    if let Some(seed) = seed {
        cmd.args(["--seed", &seed.to_string()]);
    }
    let out = cmd.output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// The simulation with the crate at `dir` (relative to the root) as the
/// learner's: its report, as the terminal shows it.
fn simulate_crate(dir: &str, features: &[&str]) -> String {
    let catalog = common::catalog();
    let lesson = catalog.lesson("load-balancer").expect("the lesson");
    let exercise = lesson.exercise.as_ref().expect("its exercise");
    let request = Request {
        catalog: &catalog,
        lesson,
        exercise,
        subject_dir: common::root().join(dir),
        features: features.iter().map(|f| f.to_string()).collect(),
        kind: SubjectKind::Learner,
        only_stage: None,
        seed: 1,
        timeout: None,
        command: format!("cargo grader simulate load-balancer (with {dir})"),
    };
    match grade::simulate(&request).expect("the simulation runs") {
        Simulated::Done(artifact) => {
            let svg = artifact.svg.expect("a picture");
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg:.200}");
            artifact.text
        }
        Simulated::Problem(status, message) => panic!("{dir}: {status:?}\n{message}"),
    }
}

/// The report's prose, on one line.
fn prose(report: &str) -> String {
    report.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_figure_the_lesson_quotes_is_the_one_the_simulation_prints() {
    // The lesson quotes the command as a learner runs it: the default seed.
    let out = simulate_reference(None);
    let lesson =
        std::fs::read_to_string(common::root().join("lessons/1-front-door/load-balancer.md")).expect("the lesson");
    let lesson = prose(&lesson);
    let (rr, lc, p2c) =
        (row(&out, "round-robin").1, row(&out, "least-connections").1, row(&out, "power of two choices").1);
    let (Side::Ran { p99: rr99, p90: rr90, .. }, Side::Ran { p99: lc99, .. }, Side::Ran { p99: p2c99, .. }) =
        (&rr, &lc, &p2c)
    else {
        panic!("the reference runs every strategy:\n{out}")
    };
    let ratio = (*rr99 as f64 / *lc99 as f64).round() as u64;
    for quoted in [
        format!("p99 is about {ratio}× least-connections' ({rr99} ticks against {lc99})"),
        format!("its p90 is already {rr90} ticks"),
    ] {
        assert!(lesson.contains(&quoted), "the lesson should say {quoted:?}; the simulation prints:\n{out}");
    }
    // "About 20,000 requests"; round-robin's counts "within one request per backend".
    let requests: u64 = out
        .lines()
        .find_map(|l| l.split_once(" requests over ").map(|(n, _)| n.trim()))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count:\n{out}"));
    assert!(requests.abs_diff(20_000) < 500 && lesson.contains("about 20,000 requests"), "{requests}");
    let counts: Vec<u64> = out
        .lines()
        .skip_while(|l| !l.starts_with("Requests per backend"))
        .find(|l| l.starts_with("round-robin"))
        .map(|l| l.split_whitespace().skip(2).filter_map(|c| c.parse().ok()).collect())
        .unwrap_or_default();
    assert_eq!(counts.len(), 8, "round-robin's counts per backend:\n{out}");
    let spread = counts.iter().max().unwrap_or(&0) - counts.iter().min().unwrap_or(&0);
    assert!(spread <= 1 && lesson.contains("within one request per backend"), "{counts:?}");
    assert!(p2c99.abs_diff(*lc99) <= 1, "the lesson says P2C lands within a tick of least-connections:\n{out}");
    assert!(lesson.contains("within a tick of least-connections"));
    // "The queue there grows to hundreds": the longest queue, on the slow b7.
    let queue = out.lines().find(|l| l.starts_with("round-robin")).expect("round-robin row");
    let theirs = queue.split('│').nth(1).expect("reference side");
    let waiting: u64 = theirs.split_whitespace().nth(4).and_then(|q| q.parse().ok()).expect("a queue length");
    assert!((100..1000).contains(&waiting) && theirs.ends_with("on b7"), "{theirs}");
    assert!(lesson.contains("the queue there grows to hundreds"));
}

#[test]
fn the_pristine_stub_reads_not_implemented_and_the_reference_still_runs() {
    let out = simulate_crate("exercises/.pristine/load-balancer", &[]);
    for strategy in ["round-robin", "least-connections", "power of two choices", "hash ring, by client"] {
        let (yours, theirs) = row(&out, strategy);
        assert_eq!(yours, Side::NotImplemented, "{out}");
        assert!(matches!(theirs, Side::Ran { .. }), "{out}");
    }
}

#[test]
fn a_ring_that_hashes_differently_is_not_called_a_bug() {
    // The control is correct but hashes with another function, so its
    // popular clients land on other backends than the reference's.
    let out = simulate_crate("grader/mutants/load-balancer/control", &[]);
    let (yours, theirs) = row(&out, "hash ring, by client");
    assert_ne!(yours, theirs, "the control's ring should place keys unlike the reference's:\n{out}");
    let text = prose(&out);
    assert!(text.contains("comes from where the popular clients landed"), "{out}");
    assert!(text.contains("client-0"), "names where the most popular client went:\n{out}");
}

#[test]
fn a_ring_with_one_point_per_node_is_not_excused() {
    let out = simulate_crate("grader/mutants/load-balancer/buggy", &["ring-no-vnodes"]);
    let text = prose(&out);
    assert!(text.contains("uneven even with traffic set aside"), "{out}");
    assert!(!text.contains("not from a bug"), "{out}");
}
