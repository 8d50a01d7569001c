//! Hostile implementations (grader/fixtures/hostile): each is a clear failed
//! stage with a message that says what happened, nothing they print reads as
//! a pass, and the grader returns promptly. The table is
//! `grader/fixtures/hostile/fixtures.toml`; a fixture marked `limitation`
//! records a hole the grader documents instead of closing (it may pass), and
//! its recorded status is checked all the same.

mod common;

use std::sync::RwLock;
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
    #[serde(default)]
    message_as_root: Option<String>,
    #[serde(default)]
    gone: Option<String>,
    #[serde(default)]
    only_on: Option<String>,
    #[serde(default)]
    limitation: Option<String>,
}

/// Stage time limit for these tests: short, but leaving the memory bomb
/// time to fault in its gigabyte on a loaded two-core machine.
const LIMIT: Duration = Duration::from_secs(6);

/// Held to build a fixture's runner (exclusive), and to grade one (shared).
static BUILDS: RwLock<()> = RwLock::new(());

fn fixtures() -> Vec<Fixture> {
    let path = common::root().join("grader/fixtures/hostile/fixtures.toml");
    let text = std::fs::read_to_string(path).expect("fixtures.toml");
    toml::from_str::<Fixtures>(&text).expect("fixtures.toml parses").fixture
}

fn check(feature: &str) {
    let all = fixtures();
    let f = all.iter().find(|f| f.feature == feature).unwrap_or_else(|| panic!("no fixture {feature}"));
    if let Some(os) = &f.only_on
        && os != std::env::consts::OS
    {
        eprintln!("{feature}: holds on {os} only; not checked on {}", std::env::consts::OS);
        return;
    }
    let catalog = common::catalog();
    let dir = catalog.root.join("grader/fixtures/hostile");
    // Build first, so the clock below measures grading, not compiling; and
    // never while another test builds (grading runs cargo too, which would
    // wait for that build's lock on the shared target directory).
    let building = BUILDS.write().unwrap_or_else(|p| p.into_inner());
    common::grade(
        &catalog,
        "token-bucket",
        &dir,
        std::slice::from_ref(&f.feature),
        Some(Duration::from_millis(1)),
        Some(1),
    );
    drop(building);
    let grading = BUILDS.read().unwrap_or_else(|p| p.into_inner());
    let start = Instant::now();
    let report = common::grade(&catalog, "token-bucket", &dir, std::slice::from_ref(&f.feature), Some(LIMIT), Some(1));
    let took = start.elapsed();
    drop(grading);
    let stage = &report.stages[0];
    if f.limitation.is_none() {
        assert!(!report.passed, "{feature}: graded as a pass:\n{}", common::summary(&report));
    }
    assert_eq!(stage.status, common::status(&f.status), "{feature}:\n{}", common::summary(&report));
    let expected = match &f.message_as_root {
        Some(m) if is_root() => m,
        _ => &f.message,
    };
    assert!(stage.message.contains(expected), "{feature}: message lacks {expected:?}:\n{}", stage.message);
    if let Some(marker) = &f.gone {
        let pids: Vec<u32> = stage.message.split(marker.as_str()).skip(1).filter_map(leading_number).collect();
        assert!(!pids.is_empty(), "{feature}: the message names no pid after {marker:?}:\n{}", stage.message);
        for pid in pids {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
            assert!(stat.is_err(), "{feature}: process {pid} outlived the stage: {}", stat.unwrap_or_default());
        }
    }
    assert!(
        stage.message.len() < 16 << 10,
        "{feature}: message is {} bytes; output must be bounded",
        stage.message.len()
    );
    assert!(took < LIMIT + Duration::from_secs(10), "{feature}: the grader took {took:?} to come back");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0")))
}

fn leading_number(text: &str) -> Option<u32> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
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
            "spoof-pass",
            "long-line-then-result",
            "huge-panic",
            "escape-setsid",
            "escape-double-fork",
            "escape-env-clear",
            "stop-self",
            "hang-after-result",
            "segfault",
            "sigkill-self",
            "descriptor-inventory",
            "forge-from-own-memory",
            "forge-into-grader-stdout"
        ]
    );
    for f in fixtures() {
        assert!(
            f.limitation.is_some() || f.status != "passed",
            "{}: a fixture that passes must say which limitation it documents",
            f.feature
        );
    }
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

#[test]
fn a_result_after_megabytes_without_a_newline_is_read() {
    check("long-line-then-result");
}

#[test]
fn a_panic_message_of_megabytes_is_cut() {
    check("huge-panic");
}

#[test]
fn a_process_that_left_the_group_is_killed() {
    check("escape-setsid");
}

#[test]
fn a_double_forked_daemon_is_killed() {
    check("escape-double-fork");
}

#[test]
fn a_process_without_the_token_holding_the_output_is_killed() {
    check("escape-env-clear");
}

#[test]
fn a_stopped_stage_reads_as_stopped() {
    check("stop-self");
}

#[test]
fn a_hang_after_the_result_keeps_the_result() {
    check("hang-after-result");
}

#[test]
fn a_segfault_is_named() {
    check("segfault");
}

#[test]
fn a_sigkill_is_named() {
    check("sigkill-self");
}

#[test]
fn only_the_three_pipes_are_inherited() {
    check("descriptor-inventory");
}

#[test]
fn a_nonce_read_from_own_memory_forges_a_pass_documented_limitation() {
    check("forge-from-own-memory");
}

#[test]
fn the_graders_stdout_is_out_of_reach() {
    check("forge-into-grader-stdout");
}
