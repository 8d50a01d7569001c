//! Hostile implementations (grader/fixtures/hostile): each is a clear failed
//! stage with a message that says what happened, nothing they print reads as
//! a pass, and the grader returns promptly. The table is
//! `grader/fixtures/hostile/fixtures.toml`; a fixture marked `limitation`
//! records a hole the grader documents instead of closing (it may pass), and
//! its recorded status is checked all the same.
//!
//! One data-driven check over that table: a new fixture is a feature of the
//! hostile crate and an entry in `fixtures.toml`, nothing here.

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

/// Grades one fixture; `Err` says what it got away with.
fn check(f: &Fixture) -> Result<(), String> {
    let feature = f.feature.as_str();
    if let Some(os) = &f.only_on
        && os != std::env::consts::OS
    {
        eprintln!("{feature}: holds on {os} only; not checked on {}", std::env::consts::OS);
        return Ok(());
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
    let summary = || common::summary(&report);
    if f.limitation.is_none() && report.passed {
        return Err(format!("{feature}: graded as a pass:\n{}", summary()));
    }
    let want = common::status(&f.status);
    if stage.status != want {
        return Err(format!("{feature}: expected {want:?}, got {:?}:\n{}", stage.status, summary()));
    }
    let expected = match &f.message_as_root {
        Some(m) if is_root() => m,
        _ => &f.message,
    };
    if !stage.message.contains(expected) {
        return Err(format!("{feature}: message lacks {expected:?}:\n{}", stage.message));
    }
    if let Some(marker) = &f.gone {
        let pids: Vec<u32> = stage.message.split(marker.as_str()).skip(1).filter_map(leading_number).collect();
        if pids.is_empty() {
            return Err(format!("{feature}: the message names no pid after {marker:?}:\n{}", stage.message));
        }
        for pid in pids {
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                return Err(format!("{feature}: process {pid} outlived the stage: {stat}"));
            }
        }
    }
    if stage.message.len() >= 16 << 10 {
        return Err(format!("{feature}: message is {} bytes; output must be bounded", stage.message.len()));
    }
    if took >= LIMIT + Duration::from_secs(10) {
        return Err(format!("{feature}: the grader took {took:?} to come back"));
    }
    Ok(())
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
fn every_hostile_fixture_is_contained() {
    let all = fixtures();
    // The table and the crate name the same fixtures.
    let manifest = common::root().join("grader/fixtures/hostile/Cargo.toml");
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(manifest).expect("Cargo.toml")).expect("parses");
    let mut declared: Vec<&str> =
        manifest["features"].as_table().expect("[features]").keys().map(String::as_str).collect();
    let mut listed: Vec<&str> = all.iter().map(|f| f.feature.as_str()).collect();
    declared.sort();
    listed.sort();
    assert_eq!(listed, declared, "fixtures.toml and the hostile crate's features name the same fixtures");
    for f in &all {
        assert!(
            f.limitation.is_some() || f.status != "passed",
            "{}: a fixture that passes must say which limitation it documents",
            f.feature
        );
    }
    // As many at once as the test harness ran when this was one test per
    // fixture: a build at a time (BUILDS), gradings side by side.
    let queue = std::sync::Mutex::new(all.iter());
    let problems = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some(fixture) = next else { break };
                    if let Err(problem) = check(fixture) {
                        problems.lock().unwrap_or_else(|p| p.into_inner()).push(problem);
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
