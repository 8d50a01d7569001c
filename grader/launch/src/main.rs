//! `cargo grade` and `cargo grader` run this first (`.cargo/config.toml`).
//!
//! A learner's first `cargo grade` compiles the grader, then the suites and
//! their crate: most of a minute on two cores. `cargo run --quiet` would
//! hide the first of those waits entirely, and without `--quiet` cargo prints
//! `Finished`/`Running` lines on every run. So this launcher, which depends
//! on std alone and compiles in a moment:
//!
//! 1. on the first run, at a terminal, says once what is about to happen and
//!    how long it takes;
//! 2. builds the grader with `cargo build --release --quiet`, and at a
//!    terminal asks cargo for its progress bar anyway (`term.progress.when`),
//!    which cargo erases when done: a run that rebuilds nothing prints nothing;
//! 3. replaces itself with the grader (`exec`), passing its arguments on.
//!
//! Off a terminal (a pipe, a file, CI, `--json`) it adds nothing to the
//! output. The grader is built in the release profile, the one the runners
//! use, into the same target folder, so that the crates both need compile once
//! (see `grader/src/runner.rs`).

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// What the first run says before it compiles anything.
const FIRST_RUN: &str = "First run: compiling the grader, then the hidden suites and your crate \
(about a minute on two cores, once). After that, grading an edit takes about a second.";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let grader = target.join("release").join("grader");
    let terminal = std::io::stderr().is_terminal()
        && std::io::stdout().is_terminal()
        && std::env::var_os("CI").is_none()
        && !args.iter().any(|a| a == "--json");
    if terminal && !grader.exists() {
        eprintln!("{FIRST_RUN}");
    }
    let mut build = Command::new(&cargo);
    build.args(["build", "--release", "--quiet", "-p", "grader", "--manifest-path"]).arg(root.join("Cargo.toml"));
    if terminal {
        // `--quiet` turns cargo's progress bar off unless told otherwise;
        // "always" needs a width (cargo draws it only this wide).
        build.args(["--config", "term.progress.when=\"always\"", "--config"]);
        build.arg(format!("term.progress.width={}", width()));
    }
    match build.status() {
        Ok(status) if status.success() => {}
        // Cargo said why (a compile error in the grader is the course's).
        Ok(_) => return ExitCode::from(2),
        Err(e) => {
            eprintln!("error: cannot run cargo to build the grader: {e}");
            return ExitCode::from(2);
        }
    }
    let e = Command::new(&grader).args(&args).exec();
    eprintln!("error: cannot run {}: {e}", grader.display());
    ExitCode::from(2)
}

/// The progress bar's width: the terminal's when the shell exports
/// `COLUMNS`, else a width that fits any terminal.
fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .map_or(60, |c| c.saturating_sub(1).clamp(20, 100))
}
