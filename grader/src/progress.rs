//! The learner's progress: `progress.toml` at the workspace root.
//!
//! Small, human-readable, rewritten atomically (a temporary file renamed over
//! the old one), so an interrupted grader never leaves it half-written. A
//! missing file is an empty progress; a malformed one is an error that names
//! the file, never silently reset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::runner::write_atomic;

/// Progress of every exercise, by slug.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// By exercise slug.
    #[serde(default)]
    pub exercise: BTreeMap<String, ExerciseProgress>,
}

/// Progress of one exercise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseProgress {
    /// Stage ids passed at the last full grading.
    #[serde(default)]
    pub passed: Vec<String>,
    /// Whether the last full grading passed every stage and benchmark.
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

    /// Records a full grading of the learner's crate.
    pub fn record(&self, report: &Report) -> anyhow::Result<()> {
        let mut progress = self.load()?;
        let entry = progress.exercise.entry(report.exercise.clone()).or_default();
        entry.passed = report.passed_ids();
        entry.complete = report.passed;
        self.save(&progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_malformed_file_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "exercise = 3").expect("write");
        let store = Store { path: Some(path) };
        assert!(store.load().is_err());
    }
}
