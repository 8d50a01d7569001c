//! `cargo grader new SLUG` gives a complete exercise: in a scratch copy of
//! the course, the new exercise passes `cargo grader dev check` (stage lists
//! built, stubs equal to their pristine copies), its reference passes, its
//! stub reads "not implemented", its mutant is caught by its stage and its
//! control passes. A slug that exists or is malformed is refused, and
//! nothing is written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh copy of the course's tracked files (`git ls-files`), with each
/// stub reset to its pristine copy, at a fixed path under `target/` whose
/// `target` links to the real one: runners and their dependencies built for
/// an earlier run are reused.
fn scratch_copy() -> PathBuf {
    let root = common::root();
    let dir = root.join("target/grader/test-courses/scaffold");
    if dir.exists() {
        // A symlink inside is removed, never followed.
        std::fs::remove_dir_all(&dir).expect("clear the previous copy");
    }
    std::fs::create_dir_all(&dir).expect("mkdir");
    let out = Command::new("git").arg("-C").arg(&root).args(["ls-files", "-z"]).output().expect("git runs");
    assert!(out.status.success(), "git ls-files: {}", String::from_utf8_lossy(&out.stderr));
    for rel in out.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel).expect("a UTF-8 path"));
        let from = root.join(rel);
        if !from.is_file() {
            continue; // deleted in the working tree, not yet committed
        }
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().expect("a file has a folder")).expect("mkdir");
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
    }
    // The stubs as shipped, whatever a learner did to the real ones.
    for entry in std::fs::read_dir(dir.join("exercises/.pristine")).expect("pristine copies") {
        let pristine = entry.expect("entry").path();
        let stub = dir.join("exercises").join(pristine.file_name().expect("a name"));
        let _ = std::fs::remove_dir_all(&stub);
        copy_dir(&pristine, &stub);
    }
    std::os::unix::fs::symlink(root.join("target"), dir.join("target")).expect("link target/");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let path = entry.expect("entry").path();
        let dest = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy");
        }
    }
}

/// Runs the grader on the course at `root`; exit code, stdout, stderr.
fn grader(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_grader"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("GRADER_PROGRESS", "none")
        .output()
        .expect("the grader runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Every file under `dir` but `target/`, relative, with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.push((path.strip_prefix(base).expect("under base").to_path_buf(), bytes));
            }
        }
    }
    let mut out = vec![];
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_new_exercise_passes_the_self_check_and_grades() {
    let course = scratch_copy();
    let before = snapshot(&course);

    // Refused, with nothing written: a bad slug, a slug that exists, a part
    // that does not.
    for (args, says) in [
        (&["new", "Demo_Slug"][..], "`Demo_Slug` is not a slug"),
        (&["new", "token-bucket"], "lesson `token-bucket` exists already"),
        (&["new", "match"], "a Rust keyword"),
        (&["new", "demo-slug", "--part", "nowhere"], "no part `nowhere`: the parts are 1-front-door"),
    ] {
        let (code, _, stderr) = grader(&course, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(says) && stderr.contains("nothing written"), "{args:?}: {stderr}");
        assert!(snapshot(&course) == before, "{args:?} wrote something");
    }

    let (code, stdout, stderr) =
        grader(&course, &["new", "demo-slug", "--title", "A demo exercise", "--part", "front-door"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for file in [
        "contracts/src/demo_slug.rs",
        "exercises/demo-slug/src/lib.rs",
        "exercises/.pristine/demo-slug/src/lib.rs",
        "solutions/demo-slug/src/lib.rs",
        "grader/suites/src/demo_slug/mod.rs",
        "grader/suites/src/demo_slug/counts_up.rs",
        "grader/mutants/demo-slug/mutants.toml",
        "lessons/1-front-door/demo-slug.md",
        "course.toml",
        "README.md",
    ] {
        assert!(stdout.contains(&format!("  {file}\n")), "{file} not listed:\n{stdout}");
    }
    let readme = std::fs::read_to_string(course.join("README.md")).expect("README");
    assert!(
        readme.contains("| [A demo exercise](lessons/1-front-door/demo-slug.md) | `exercises/demo-slug` |"),
        "{readme}"
    );

    // The same slug again: refused, nothing changed.
    let after = snapshot(&course);
    let (code, _, stderr) = grader(&course, &["new", "demo-slug"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("lesson `demo-slug` exists already"), "{stderr}");
    assert!(snapshot(&course) == after, "a refused `new` wrote something");

    let (code, stdout, stderr) = grader(&course, &["dev", "check"]);
    assert_eq!(code, 0, "dev check on the scaffolded course:\n{stdout}{stderr}");
    // The real course's exercises, and the new one.
    let exercises = catalog::Catalog::load(&common::root()).expect("course.toml loads").exercises().count() + 1;
    assert!(stdout.contains(&format!("the course agrees with itself: {exercises} exercises")), "{stdout}");

    let grade = |args: &[&str]| {
        let mut all = vec!["grade", "demo-slug", "--seed", "7", "--json"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = grader(&course, &all);
        let report: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{all:?}: {e}\n{stdout}{stderr}"));
        (code, report)
    };
    let (code, report) = grade(&["--reference"]);
    assert_eq!(code, 0, "the reference passes: {report:#}");
    let (code, report) = grade(&[]);
    assert_eq!(code, 1);
    assert_eq!(report["stages"][0]["status"], "not_implemented", "the stub: {report:#}");
    let mutant = course.join("grader/mutants/demo-slug/buggy");
    let mutant = mutant.to_str().expect("a UTF-8 path");
    let (code, report) = grade(&["--crate", mutant]);
    assert_eq!(code, 0, "the control passes: {report:#}");
    let (code, report) = grade(&["--crate", mutant, "--features", "skips-start"]);
    assert_eq!(code, 1);
    assert_eq!(report["stages"][0]["status"], "failed", "the mutant is caught by counts-up: {report:#}");
}
