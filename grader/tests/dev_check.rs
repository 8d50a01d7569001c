//! The course's self-check (`cargo grader dev check`): the real course
//! agrees with itself, and each way a course can disagree with itself is one
//! problem line that names the file to fix.

mod common;

use std::path::Path;

use grader::dev::{self, Options};

/// The real course: catalogue, workspace, suites and their built stage
/// lists, mutants, README. (Stubs ⇄ pristine copies is left to `.ci/run`'s
/// `cargo grader dev check` on a clean clone: here the stubs may hold a
/// learner's work.)
#[test]
fn the_course_agrees_with_itself() {
    let checked = dev::check(&common::root(), Options { build: true, stubs_as_shipped: false });
    let lines: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
    assert!(lines.is_empty(), "cargo grader dev check finds:\n{}", lines.join("\n"));
    let catalog = common::catalog();
    assert_eq!(checked.counts.exercises, catalog.exercises().count());
    assert!(checked.counts.mutants >= 6 * checked.counts.exercises, "{:?}", checked.counts);
}

/// A course of one exercise `a` (stages `one`, `two`, `benchmarks`) where
/// everything agrees; each case of [`every_disagreement_is_one_line_naming_its_file`]
/// breaks one thing.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = |name: &str| format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n");
    let files: Vec<(&str, String)> = vec![
        ("Cargo.toml", "[workspace]\nresolver = \"3\"\nmembers = [\"exercises/[!.]*\", \"solutions/*\"]\n".into()),
        (
            "course.toml",
            "format_version = 1\ntitle = \"T\"\n\n[[lesson]]\nslug = \"a\"\ntitle = \"A\"\n\n[[lesson.exercise.stage]]\nid = \"one\"\ntitle = \"1\"\n\n[[lesson.exercise.stage]]\nid = \"two\"\ntitle = \"2\"\n\n[[lesson.exercise.stage]]\nid = \"benchmarks\"\ntitle = \"b\"\n".into(),
        ),
        ("README.md", "# T\n\n| # | lesson | exercise |\n| - | ------ | -------- |\n| 1 | [A](lessons/1-p/a.md) | `exercises/a` |\n\nMore.\n".into()),
        ("lessons/1-p/a.md", "# A\n".into()),
        ("exercises/a/Cargo.toml", manifest("a")),
        ("exercises/a/src/lib.rs", "// stub\n".into()),
        ("exercises/.pristine/a/Cargo.toml", manifest("a")),
        ("exercises/.pristine/a/src/lib.rs", "// stub\n".into()),
        ("solutions/a/Cargo.toml", manifest("a-solution")),
        ("solutions/a/src/lib.rs", "// reference\n".into()),
        ("contracts/src/lib.rs", "".into()),
        ("contracts/src/a.rs", "// contract\n".into()),
        ("grader/suites/src/a/mod.rs", "// suite\n".into()),
        ("grader/suites/src/a/one.rs", "// stage one\n".into()),
        ("grader/suites/src/a/two.rs", "// stage two\n".into()),
        ("grader/suites/src/a/benchmarks.rs", "// stage benchmarks\n".into()),
        ("grader/mutants/a/buggy/Cargo.toml", format!("{}\n[features]\nf1 = []\nf2 = []\n", manifest("a-mutants"))),
        ("grader/mutants/a/buggy/src/lib.rs", "// mutants\n".into()),
        (
            "grader/mutants/a/mutants.toml",
            "[[mutant]]\ncrate = \"buggy\"\nmistake = \"none\"\ncaught_by = \"\"\nstatus = \"passed\"\n\n[[mutant]]\ncrate = \"buggy\"\nfeatures = [\"f1\"]\nmistake = \"m1\"\ncaught_by = \"one\"\nstatus = \"failed\"\n\n[[mutant]]\ncrate = \"buggy\"\nfeatures = [\"f2\"]\nmistake = \"m2\"\ncaught_by = \"two\"\nstatus = \"crashed\"\n".into(),
        ),
    ];
    for (path, text) in files {
        write(dir.path(), path, &text);
    }
    dir
}

fn write(root: &Path, path: &str, text: &str) {
    let at = root.join(path);
    std::fs::create_dir_all(at.parent().expect("a file has a folder")).expect("mkdir");
    std::fs::write(at, text).expect("write");
}

fn edit(root: &Path, path: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(root.join(path)).expect("read");
    assert!(text.contains(from), "{path} has no {from:?}");
    std::fs::write(root.join(path), text.replace(from, to)).expect("write");
}

fn remove(root: &Path, path: &str) {
    let at = root.join(path);
    if at.is_dir() { std::fs::remove_dir_all(at) } else { std::fs::remove_file(at) }.expect("remove");
}

fn problems(root: &Path) -> Vec<String> {
    dev::check(root, Options { build: false, stubs_as_shipped: true })
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// One case: what is broken, how, and the problem lines it must give
/// (exactly those).
struct Case {
    what: &'static str,
    breaks: fn(&Path),
    expect: &'static [&'static str],
}

#[test]
fn every_disagreement_is_one_line_naming_its_file() {
    let clean = scratch();
    assert_eq!(problems(clean.path()), Vec::<String>::new(), "the scratch course agrees with itself");
    let cases = [
        Case {
            what: "an exercise that is no workspace member",
            breaks: |r| edit(r, "Cargo.toml", "\"exercises/[!.]*\", ", ""),
            expect: &["course.toml:5: the crate of `a` (exercises/a) is not a workspace member (Cargo.toml `members`)"],
        },
        Case {
            what: "a member no exercise names",
            breaks: |r| {
                write(
                    r,
                    "solutions/b/Cargo.toml",
                    "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
                );
                write(r, "solutions/b/src/lib.rs", "");
            },
            expect: &[
                "solutions/b/Cargo.toml: a workspace member that no exercise of course.toml names as its crate or solution",
            ],
        },
        Case {
            what: "folders of an exercise the catalogue does not have",
            breaks: |r| {
                write(r, "exercises/.pristine/b/src/lib.rs", "");
                write(r, "grader/suites/src/b/mod.rs", "");
                write(r, "grader/mutants/b/mutants.toml", "");
                write(r, "contracts/src/b.rs", "");
            },
            expect: &[
                "contracts/src/b.rs: contract `b`, the suite of no exercise of course.toml",
                "exercises/.pristine/b/: a pristine copy of no exercise of course.toml",
                "grader/mutants/b/: mutants of `b`, which is no exercise of course.toml",
                "grader/suites/src/b/: suite `b`, which no exercise of course.toml uses",
            ],
        },
        Case {
            what: "a missing contract",
            breaks: |r| remove(r, "contracts/src/a.rs"),
            expect: &["contracts/src/a.rs: missing: the contract of exercise `a` (suite `a`)"],
        },
        Case {
            what: "a stage without its file",
            breaks: |r| remove(r, "grader/suites/src/a/two.rs"),
            expect: &["grader/suites/src/a/two.rs: missing: stage `two` of `a` (course.toml:5) has no file"],
        },
        Case {
            what: "a stub that is not its pristine copy",
            breaks: |r| {
                edit(r, "exercises/a/src/lib.rs", "stub", "solved");
                write(r, "exercises/a/src/extra.rs", "");
                write(r, "exercises/.pristine/a/README.md", "");
                write(r, "exercises/a/target/debug/ignored", "");
            },
            expect: &[
                "exercises/.pristine/a/README.md: is in the pristine copy but not in the stub (exercises/a/README.md)",
                "exercises/a/src/extra.rs: has no pristine copy (exercises/.pristine/a/src/extra.rs is missing)",
                "exercises/a/src/lib.rs: differs from its pristine copy exercises/.pristine/a/src/lib.rs",
            ],
        },
        Case {
            what: "a mutant feature the crate does not declare, and one declared that no mutant uses",
            breaks: |r| {
                edit(r, "grader/mutants/a/mutants.toml", "[\"f1\"]", "[\"f1\", \"f3\"]");
                edit(r, "grader/mutants/a/buggy/Cargo.toml", "f2 = []", "f2 = []\nf4 = []\ndefault = []");
            },
            expect: &[
                "grader/mutants/a/buggy/Cargo.toml: feature `f4` is in no entry of grader/mutants/a/mutants.toml",
                "grader/mutants/a/mutants.toml: buggy[\"f1\", \"f3\"] (m1): feature `f3` is not declared in grader/mutants/a/buggy/Cargo.toml",
            ],
        },
        Case {
            what: "a mutant crate that does not exist, and one that nothing grades",
            breaks: |r| {
                edit(
                    r,
                    "grader/mutants/a/mutants.toml",
                    "crate = \"buggy\"\nfeatures = [\"f2\"]",
                    "crate = \"bugy\"\nfeatures = [\"f2\"]",
                );
                write(r, "grader/mutants/a/other/Cargo.toml", "[package]\nname = \"o\"\n");
            },
            expect: &[
                "grader/mutants/a/buggy/Cargo.toml: feature `f2` is in no entry of grader/mutants/a/mutants.toml",
                "grader/mutants/a/mutants.toml: bugy[\"f2\"] (m2): no crate grader/mutants/a/bugy/Cargo.toml",
                "grader/mutants/a/other/Cargo.toml: a crate that no entry of grader/mutants/a/mutants.toml grades",
            ],
        },
        Case {
            what: "a mutant caught by no stage of the exercise, or with a status that is none",
            breaks: |r| {
                edit(r, "grader/mutants/a/mutants.toml", "caught_by = \"one\"", "caught_by = \"on\"");
                edit(r, "grader/mutants/a/mutants.toml", "status = \"crashed\"", "status = \"crash\"");
            },
            expect: &[
                "grader/mutants/a/mutants.toml: buggy[\"f1\"] (m1): caught_by `on` is no stage of `a`",
                "grader/mutants/a/mutants.toml: buggy[\"f2\"] (m2): status `crash` is not a stage status",
                "grader/mutants/a/mutants.toml: stage `one` is caught by no mutant: add the mistake it exists to catch",
            ],
        },
        Case {
            what: "no control",
            breaks: |r| {
                edit(
                    r,
                    "grader/mutants/a/mutants.toml",
                    "caught_by = \"\"\nstatus = \"passed\"",
                    "caught_by = \"two\"\nstatus = \"failed\"",
                )
            },
            expect: &[
                "grader/mutants/a/mutants.toml: `a` has no control: a correct implementation in another style, with caught_by = \"\"",
            ],
        },
        Case {
            what: "a control that expects a failure",
            breaks: |r| {
                edit(
                    r,
                    "grader/mutants/a/mutants.toml",
                    "caught_by = \"\"\nstatus = \"passed\"",
                    "caught_by = \"\"\nstatus = \"failed\"",
                )
            },
            expect: &[
                "grader/mutants/a/mutants.toml: buggy[] (none): a control (no caught_by) must have status \"passed\"",
            ],
        },
        Case {
            what: "a mutants table that does not parse, or is missing",
            breaks: |r| edit(r, "grader/mutants/a/mutants.toml", "mistake = \"m1\"", "mistak = \"m1\""),
            expect: &[
                "grader/mutants/a/mutants.toml:10: unknown field `mistak`, expected one of `crate`, `features`, `mistake`, `caught_by`, `status`",
            ],
        },
        Case {
            what: "no mutants at all",
            breaks: |r| remove(r, "grader/mutants/a/mutants.toml"),
            expect: &["grader/mutants/a/mutants.toml: missing: exercise `a` has no mutants"],
        },
        Case {
            what: "a README table that is not the catalogue's",
            breaks: |r| edit(r, "course.toml", "title = \"A\"", "title = \"A, renamed\""),
            expect: &["README.md:3: the lesson table is not course.toml's; `cargo grader dev readme` rewrites it"],
        },
        Case {
            what: "a catalogue that does not load",
            breaks: |r| remove(r, "solutions/a"),
            expect: &[
                "course.toml:5:8: solution crate `solutions/a` does not exist (derived from slug `a`; `solution = \"...\"` under [lesson.exercise] overrides it)",
            ],
        },
    ];
    let mut failures = vec![];
    for case in &cases {
        let course = scratch();
        (case.breaks)(course.path());
        let got = problems(course.path());
        if got != case.expect {
            failures.push(format!("{}:\n  expected {:#?}\n  got      {:#?}", case.what, case.expect, got));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_readme_table_is_rewritten_from_the_catalogue() {
    let course = scratch();
    edit(course.path(), "course.toml", "title = \"A\"", "title = \"A, renamed\"");
    let catalog = catalog::Catalog::load(course.path()).expect("loads");
    assert!(dev::write_readme_table(&catalog).expect("rewrites"));
    let readme = std::fs::read_to_string(course.path().join("README.md")).expect("read");
    assert_eq!(
        readme,
        "# T\n\n| # | lesson | exercise |\n| - | ------ | -------- |\n| 1 | [A, renamed](lessons/1-p/a.md) | `exercises/a` |\n\nMore.\n"
    );
    assert!(!dev::write_readme_table(&catalog).expect("reads"), "a current table is left alone");
    assert_eq!(problems(course.path()), Vec::<String>::new());
}

/// The built suite's stage list is compared with the catalogue's (on a
/// course that links the real one, with one stage id changed).
#[test]
fn a_suite_whose_stages_are_not_the_catalogues_is_named() {
    let toml = common::real_course().replace("id = \"starts-full\"", "id = \"starts-fully\"");
    let course = common::linked_course("dev-check-stages", &toml, &[]);
    let checked = dev::check(&course, Options { build: true, stubs_as_shipped: false });
    let lines: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
    let stage_file = "grader/suites/src/token_bucket/starts_fully.rs: missing: stage `starts-fully` of `token-bucket`";
    assert!(lines.iter().any(|l| l.starts_with(stage_file)), "{lines:#?}");
    let listed = lines
        .iter()
        .find(|l| l.starts_with("grader/suites/src/token_bucket/mod.rs: the suite's stages are [starts-full, "));
    let listed = listed.unwrap_or_else(|| panic!("no runner-list problem in {lines:#?}"));
    assert!(listed.contains("lists [starts-fully, exact-refill"), "{listed}");
}
