//! Helpers shared by the grader's integration tests: load the real course and
//! grade any crate through the same path a learner's crate takes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use catalog::Catalog;
use grader::grade::{self, Request};
use grader::report::{Report, Status, SubjectKind};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("grader/ has a parent").to_path_buf()
}

/// The real catalogue.
pub fn catalog() -> Catalog {
    Catalog::load(&root()).expect("course.toml loads")
}

/// Grades `dir` (with `features`) as the subject of exercise `slug`.
pub fn grade(
    catalog: &Catalog,
    slug: &str,
    dir: &Path,
    features: &[String],
    timeout: Option<Duration>,
    only_stage: Option<usize>,
) -> Report {
    let lesson = catalog.lesson(slug).unwrap_or_else(|| panic!("no lesson {slug}"));
    let exercise = lesson.exercise.as_ref().expect("has an exercise");
    let request = Request {
        catalog,
        lesson,
        exercise,
        subject_dir: dir.to_path_buf(),
        features: features.to_vec(),
        kind: SubjectKind::Learner,
        only_stage,
        seed: 20261128,
        timeout,
        command: format!("cargo grader grade {slug} --crate {}", dir.display()),
    };
    grade::grade(&request).unwrap_or_else(|e| panic!("grading {} failed to run: {e:#}", dir.display()))
}

/// One line per stage, for assertion messages (after the compiler's errors,
/// when the crate did not compile).
pub fn summary(report: &Report) -> String {
    let build = if report.build.compiled() {
        String::new()
    } else {
        format!("does not compile:\n    {}\n", report.build.message().replace('\n', "\n    "))
    };
    let stages: Vec<String> = report
        .stages
        .iter()
        .map(|s| {
            let message = if s.message.is_empty() {
                String::new()
            } else {
                format!("\n    {}", s.message.replace('\n', "\n    "))
            };
            format!("{:?} {}{message}", s.status, s.id)
        })
        .collect();
    format!("{build}{}", stages.join("\n"))
}

/// Parses a status as `course.toml`-style snake case.
pub fn status(name: &str) -> Status {
    serde_json::from_value(serde_json::Value::String(name.into())).unwrap_or_else(|_| panic!("unknown status {name}"))
}

/// The real `course.toml`.
pub fn real_course() -> String {
    std::fs::read_to_string(root().join(catalog::FILE_NAME)).expect("course.toml")
}

/// A course at a fixed path under `target/` (so that its runners are built
/// once and then cached like a learner's): the real course's folders linked
/// in (each exercise's crate on its own, so that one can be replaced),
/// `course.toml` as given, and the files in `own` written in place (they
/// take the place of the linked folder they are in).
pub fn linked_course(name: &str, course_toml: &str, own: &[(&str, String)]) -> PathBuf {
    let root = root();
    let dir = root.join("target/grader/test-courses").join(name);
    std::fs::create_dir_all(dir.join("exercises")).expect("mkdir");
    let mut links: Vec<String> =
        ["Cargo.lock", "lessons", "solutions", "contracts", "grader", "target"].map(String::from).to_vec();
    for entry in std::fs::read_dir(root.join("exercises")).expect("exercises/") {
        let name = entry.expect("an entry").file_name();
        links.push(format!("exercises/{}", name.to_string_lossy()));
    }
    for link in &links {
        let at = dir.join(link);
        if own.iter().any(|(path, _)| path.starts_with(link.as_str())) || at.symlink_metadata().is_ok() {
            continue;
        }
        if let Err(e) = std::os::unix::fs::symlink(root.join(link), &at) {
            // Another test made the same link at the same moment.
            assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "linking {}: {e}", at.display());
        }
    }
    for (path, text) in own.iter().map(|(p, t)| (*p, t.as_str())).chain([("course.toml", course_toml)]) {
        let at = dir.join(path);
        std::fs::create_dir_all(at.parent().expect("a file has a folder")).expect("mkdir");
        grader::runner::write_if_changed(&at, text).expect("write");
    }
    dir
}
