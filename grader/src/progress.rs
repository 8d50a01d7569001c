//! The learner's progress: `progress.toml` at the workspace root.
//!
//! Small, human-readable, rewritten atomically (a temporary file renamed over
//! the old one), so an interrupted grader never leaves it half-written. A
//! missing file is an empty progress; a malformed one is an error that names
//! the file, never silently reset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use catalog::{Catalog, Exercise, Lesson};
use serde::{Deserialize, Serialize};

use crate::report::{Report, Status};
use crate::runner::write_atomic;

/// Progress of every exercise, by slug.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// The exercise last graded by name (`cargo grade <exercise>`, with or
    /// without `--stage`, or `cargo grader watch`): the one the learner is
    /// working on. Grading every exercise at once does not change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_graded: Option<String>,
    /// By exercise slug.
    #[serde(default)]
    pub exercise: BTreeMap<String, ExerciseProgress>,
}

/// Progress of one exercise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseProgress {
    /// Stage ids passed, in course order: those of the last full grading,
    /// updated by every `--stage` run since (a stage that passes is added,
    /// one that does not is removed).
    #[serde(default)]
    pub passed: Vec<String>,
    /// Whether the last full grading passed every stage and benchmark (a
    /// `--stage` run never sets it, and unsets it when its stage does not
    /// pass).
    #[serde(default)]
    pub complete: bool,
    /// How many hints were shown, by stage id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hints_shown: BTreeMap<String, usize>,
}

/// Where progress is kept, or nowhere.
#[derive(Debug, Clone)]
pub struct Store {
    path: Option<PathBuf>,
}

impl Store {
    /// `progress.toml` in `root`, unless `GRADER_PROGRESS` names another file
    /// (or `none`, to keep no progress at all).
    pub fn open(root: &Path) -> Store {
        match std::env::var_os("GRADER_PROGRESS") {
            Some(p) if p == "none" => Store { path: None },
            Some(p) => Store { path: Some(PathBuf::from(p)) },
            None => Store { path: Some(root.join("progress.toml")) },
        }
    }

    /// Reads the progress (empty if there is none yet).
    pub fn load(&self) -> anyhow::Result<Progress> {
        let Some(path) = &self.path else { return Ok(Progress::default()) };
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("{} is not valid progress; fix or delete it", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the progress atomically.
    pub fn save(&self, progress: &Progress) -> anyhow::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let text = format!("# Your progress through the course, kept by the grader.\n{}", toml::to_string(progress)?);
        write_atomic(path, &text).with_context(|| format!("writing {}", path.display()))
    }

    /// Records a grading of the learner's crate; `named` when the learner
    /// named the exercise (it becomes [`Progress::last_graded`]).
    pub fn record(&self, report: &Report, named: bool) -> anyhow::Result<()> {
        let mut progress = self.load()?;
        progress.learn(report);
        if named {
            progress.last_graded = Some(report.exercise.clone());
        }
        self.save(&progress)
    }
}

impl Progress {
    /// What `report` teaches about its exercise. A full grading replaces
    /// what was known; a `--stage N` run only updates stage N, and never
    /// marks the exercise complete (the other stages were not graded).
    pub fn learn(&mut self, report: &Report) {
        let entry = self.exercise.entry(report.exercise.clone()).or_default();
        let Some(n) = report.only_stage else {
            entry.passed = report.passed_ids();
            entry.complete = report.passed;
            return;
        };
        let Some(stage) = report.stages.get(n.wrapping_sub(1)) else { return };
        if !report.build.compiled() {
            // The stage did not run: nothing learned about it, but the crate
            // as it stands does not pass.
            entry.complete = false;
            return;
        }
        let passes = stage.status == Status::Passed;
        if !passes {
            entry.complete = false;
        }
        let keep = |id: &String| if *id == stage.id { passes } else { entry.passed.contains(id) };
        entry.passed = report.stages.iter().map(|s| &s.id).filter(|id| keep(id)).cloned().collect();
    }

    /// The exercise the learner is working on, which `status` points at and
    /// `watch` grades by default; `None` when every exercise is complete.
    ///
    /// 1. The exercise last graded by name, unless it is complete: that is
    ///    where the learner was.
    /// 2. Otherwise the first incomplete exercise at or after the furthest
    ///    one with any progress (a stage passed): the learner moves forward
    ///    through the course, and an earlier exercise left unfinished (a
    ///    benchmark still slow, say) stays visible in the table without
    ///    pulling them back.
    /// 3. Otherwise the first incomplete exercise.
    pub fn in_progress<'c>(&self, catalog: &'c Catalog) -> Option<(&'c Lesson, &'c Exercise)> {
        let complete = |slug: &str| self.exercise.get(slug).is_some_and(|p| p.complete);
        let started = |slug: &str| self.exercise.get(slug).is_some_and(|p| p.complete || !p.passed.is_empty());
        let exercises: Vec<(&Lesson, &Exercise)> = catalog.exercises().collect();
        if let Some(last) = &self.last_graded {
            if let Some(found) = exercises.iter().find(|(l, _)| l.slug == *last && !complete(&l.slug)) {
                return Some(*found);
            }
        }
        let furthest = exercises.iter().rposition(|(l, _)| started(&l.slug)).unwrap_or(0);
        exercises[furthest..].iter().chain(exercises.iter()).find(|(l, _)| !complete(&l.slug)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Build, StageReport, SubjectKind};

    #[test]
    fn progress_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store { path: Some(dir.path().join("p.toml")) };
        assert_eq!(store.load().expect("empty"), Progress::default());
        let mut p = Progress::default();
        p.exercise.entry("token-bucket".into()).or_default().passed = vec!["starts-full".into()];
        store.save(&p).expect("save");
        assert_eq!(store.load().expect("load"), p);
    }

    /// A course of three exercises `a`, `b`, `c`, two stages each.
    fn course() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = String::from("format_version = 1\ntitle = \"t\"\n");

        for slug in ["a", "b", "c"] {
            std::fs::create_dir_all(dir.path().join(slug)).expect("mkdir");
            let suite = dir.path().join(catalog::SUITES_DIR).join(slug);
            std::fs::create_dir_all(&suite).expect("mkdir");
            std::fs::write(suite.join("mod.rs"), "").expect("write");
            text.push_str(&format!(
                "[[lesson]]\nslug = \"{slug}\"\ntitle = \"{slug}\"\nfile = \"{slug}\"\n[lesson.exercise]\ncrate = \"{slug}\"\nsolution = \"{slug}\"\npristine = \"{slug}\"\nsuite = \"{slug}\"\n[[lesson.exercise.stage]]\nid = \"one\"\ntitle = \"one\"\n[[lesson.exercise.stage]]\nid = \"two\"\ntitle = \"two\"\n"
            ));
        }
        let catalog = Catalog::parse(dir.path(), Path::new("course.toml"), &text).expect("valid");
        (dir, catalog)
    }

    fn progress(text: &str) -> Progress {
        toml::from_str(text).expect("valid progress")
    }

    fn current(p: &Progress, catalog: &Catalog) -> Option<String> {
        p.in_progress(catalog).map(|(l, _)| l.slug.clone())
    }

    #[test]
    fn the_exercise_in_progress_is_the_last_graded_unless_complete() {
        let (_dir, c) = course();
        assert_eq!(current(&Progress::default(), &c).as_deref(), Some("a"), "nothing done: the first");
        // Half-way through b, a left with a stage to go: b, not a.
        let half = "[exercise.a]\npassed = [\"one\"]\n[exercise.b]\npassed = [\"one\"]\n";
        assert_eq!(current(&progress(half), &c).as_deref(), Some("b"), "the furthest with progress");
        let back = format!("last_graded = \"a\"\n{half}");
        assert_eq!(current(&progress(&back), &c).as_deref(), Some("a"), "went back to a");
        // b complete: on to c, the first incomplete after it.
        let b_done = "last_graded = \"b\"\n[exercise.a]\npassed = [\"one\"]\n[exercise.b]\npassed = [\"one\", \"two\"]\ncomplete = true\n";
        assert_eq!(current(&progress(b_done), &c).as_deref(), Some("c"));
        // c complete too: back to a, the only one left.
        let c_done = format!("{b_done}[exercise.c]\ncomplete = true\n");
        assert_eq!(current(&progress(&c_done), &c).as_deref(), Some("a"));
        let all = format!("{c_done}\n").replace("[exercise.a]\npassed = [\"one\"]", "[exercise.a]\ncomplete = true");
        assert_eq!(current(&progress(&all), &c), None);
    }

    fn report(only_stage: Option<usize>, statuses: [Status; 2], build: Build) -> Report {
        let stage = |id: &str, status| StageReport {
            id: id.into(),
            title: id.into(),
            status,
            message: String::new(),
            seed: None,
            millis: 0,
        };
        let passed = build.compiled()
            && statuses.iter().enumerate().all(|(i, s)| only_stage.is_some_and(|n| n != i + 1) || *s == Status::Passed);
        Report {
            exercise: "a".into(),
            subject: SubjectKind::Learner,
            build,
            only_stage,
            passed,
            stages: vec![stage("one", statuses[0]), stage("two", statuses[1])],
            benchmarks: vec![],
        }
    }

    #[test]
    fn a_stage_run_updates_its_stage_and_never_completes() {
        use Status::{Failed, NotRun, Passed};
        let mut p = Progress::default();
        p.learn(&report(Some(2), [NotRun, Passed], Build::Compiled));
        assert_eq!(p.exercise["a"].passed, ["two"]);
        assert!(!p.exercise["a"].complete, "stage 2 alone does not complete the exercise");
        p.learn(&report(Some(1), [Passed, NotRun], Build::Compiled));
        assert_eq!(p.exercise["a"].passed, ["one", "two"], "course order");
        assert!(!p.exercise["a"].complete, "every stage passed, but not in one full run");
        p.learn(&report(None, [Passed, Passed], Build::Compiled));
        assert!(p.exercise["a"].complete);
        p.learn(&report(Some(2), [NotRun, Failed], Build::Compiled));
        assert_eq!(p.exercise["a"].passed, ["one"]);
        assert!(!p.exercise["a"].complete, "a stage that no longer passes undoes complete");
        let broken = Build::CargoFailed { errors: vec![], message: "no".into() };
        p.learn(&report(Some(1), [NotRun, NotRun], broken));
        assert_eq!(p.exercise["a"].passed, ["one"], "a stage that did not run teaches nothing about it");
    }

    #[test]
    fn a_malformed_file_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "exercise = 3").expect("write");
        let store = Store { path: Some(path) };
        assert!(store.load().is_err());
    }
}
