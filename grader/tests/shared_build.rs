//! The grader and the runners share one target folder and one profile so
//! that the crates both use compile once (grader/src/runner.rs). That holds
//! only while cargo resolves each shared crate with the same features for
//! both: a runner declares `runner::SHARED` to that end. This checks it, with
//! `cargo tree`, against the grader's own resolution.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

/// `package version` → its features, for every crate cargo would build.
fn features(args: &[&str]) -> BTreeMap<String, String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--quiet", "--offline", "-e", "normal,build,features", "--prefix", "none", "-f", "{p}|{f}"])
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('"') && !l.contains(" feature \""))
        .filter_map(|l| l.split_once('|'))
        // Registry crates only: path crates are the runner's own builds.
        .filter(|(p, _)| !p.contains('('))
        .map(|(p, f)| (p.to_string(), f.trim_end_matches(" (*)").to_string()))
        .collect()
}

#[test]
fn the_runner_resolves_the_crates_it_shares_with_the_grader_alike() {
    let catalog = common::catalog();
    // Any built runner will do: the reference's, as the learner's would be.
    let report =
        common::grade(&catalog, "token-bucket", &common::root().join("solutions/token-bucket"), &[], None, Some(1));
    assert!(report.build.compiled(), "{}", common::summary(&report));
    let runners = grader::runner::target_dir(&common::root()).join("grader/runners");
    // The one just built: its manifest is the newest (others may be stale).
    let runner = std::fs::read_dir(&runners)
        .expect("runners")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("runner-token-bucket-")))
        .max_by_key(|p| p.join("Cargo.toml").metadata().and_then(|m| m.modified()).ok())
        .expect("a token-bucket runner");
    let manifest = runner.join("Cargo.toml");
    let grader = features(&["-p", "grader"]);
    let ours = features(&["--manifest-path", &manifest.display().to_string()]);
    let differ: Vec<String> = grader
        .iter()
        .filter_map(|(p, f)| ours.get(p).filter(|g| *g != f).map(|g| format!("{p}: grader [{f}], runner [{g}]")))
        .collect();
    assert!(
        differ.is_empty(),
        "crates the grader and the runners share are resolved with other features, so compiled twice; add them to runner::SHARED:\n{}",
        differ.join("\n")
    );
    assert!(grader.keys().filter(|p| ours.contains_key(*p)).count() >= 10, "they share serde, syn, rand…");
}
