//! The grader: the learner's one tool.
//!
//! Data flows one way:
//!
//! ```text
//! course.toml ─► catalog ─► grade ─► runner::build ─► isolate::run (one child per stage)
//!                                                          │ nonce-tagged result line
//!                              progress.toml ◄── report ◄──┘
//! ```
//!
//! - [`runner`] generates and builds the runner crate (suite + implementation);
//! - [`isolate`] runs one stage in a limited child process;
//! - [`grade`] turns what happened into a [`report::Report`] that teaches;
//! - [`progress`] remembers what passed and which hints were shown;
//! - [`commands`] implements the subcommands on top of those;
//! - [`ui`] shows progress while the grader waits, at a terminal only;
//! - [`dev`] and [`scaffold`] are for the course's authors: the self-check
//!   (`cargo grader dev check`) and `cargo grader new`.

pub mod commands;
pub mod dev;
pub mod grade;
pub mod isolate;
pub mod progress;
pub mod report;
pub mod runner;
pub mod scaffold;
pub mod ui;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Finds the workspace root: the nearest folder at or above `start` holding
/// `course.toml`.
pub fn find_root(start: &Path) -> anyhow::Result<PathBuf> {
    start.ancestors().find(|d| d.join(catalog::FILE_NAME).is_file()).map(Path::to_path_buf).with_context(|| {
        format!(
            "no {} in {} or any folder above it: run the grader inside the course workspace",
            catalog::FILE_NAME,
            start.display()
        )
    })
}
