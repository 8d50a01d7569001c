//! Hostile implementations (grader/fixtures/hostile): each is a clear failed
//! stage with a message that says what happened, nothing they print reads as
//! a pass, and the grader returns promptly.

mod common;

use std::time::{Duration, Instant};

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixtures {
    fixture: Vec<Fixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    feature: String,
    status: String,
    message: String,
}

/// Stage time limit for these tests: short, but leaving the memory bomb
/// time to fault in its gigabyte on a loaded two-core machine.
const LIMIT: Duration = Duration::from_secs(6);

fn fixtures() -> Vec<Fixture> {
    let path = common::root().join("grader/fixtures/hostile/fixtures.toml");
    let text = std::fs::read_to_string(path).expect("fixtures.toml");
    toml::from_str::<Fixtures>(&text).expect("fixtures.toml parses").fixture
}

fn check(feature: &str) {
    let all = fixtures();
    let f = all.iter().find(|f| f.feature == feature).unwrap_or_else(|| panic!("no fixture {feature}"));
    let catalog = common::catalog();
    let dir = catalog.root.join("grader/fixtures/hostile");
    // Build first, so the clock below measures grading, not compiling.
    common::grade(
        &catalog,
        "token-bucket",
        &dir,
        std::slice::from_ref(&f.feature),
        Some(Duration::from_millis(1)),
        Some(1),
    );
    let start = Instant::now();
    let report = common::grade(&catalog, "token-bucket", &dir, std::slice::from_ref(&f.feature), Some(LIMIT), Some(1));
    let took = start.elapsed();
    let stage = &report.stages[0];
    assert!(!report.passed, "{feature}: graded as a pass:\n{}", common::summary(&report));
    assert_eq!(stage.status, common::status(&f.status), "{feature}:\n{}", common::summary(&report));
    assert!(stage.message.contains(&f.message), "{feature}: message lacks {:?}:\n{}", f.message, stage.message);
    assert!(
        stage.message.len() < 16 << 10,
        "{feature}: message is {} bytes; output must be bounded",
        stage.message.len()
    );
    assert!(took < LIMIT + Duration::from_secs(10), "{feature}: the grader took {took:?} to come back");
}

#[test]
fn every_fixture_has_a_test() {
    let names: Vec<String> = fixtures().into_iter().map(|f| f.feature).collect();
    assert_eq!(
        names,
        [
            "infinite-loop",
            "deadlock",
            "stack-overflow",
            "abort",
            "exit-zero",
            "output-flood",
            "memory-bomb",
            "thread-left-running",
            "spoof-pass"
        ]
    );
}

#[test]
fn infinite_loop_times_out() {
    check("infinite-loop");
}

#[test]
fn deadlock_times_out() {
    check("deadlock");
}

#[test]
fn stack_overflow_is_a_crash() {
    check("stack-overflow");
}

#[test]
fn abort_is_a_crash() {
    check("abort");
}

#[test]
fn exit_zero_is_not_a_pass() {
    check("exit-zero");
}

#[test]
fn output_flood_is_bounded() {
    check("output-flood");
}

#[test]
fn memory_bomb_hits_the_cap() {
    check("memory-bomb");
}

#[test]
fn a_thread_left_running_does_not_hold_the_grader() {
    check("thread-left-running");
}

#[test]
fn a_spoofed_result_is_not_a_pass() {
    check("spoof-pass");
}
