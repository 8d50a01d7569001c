//! `grader`: grade exercises, show hints, compare with the reference.
//! `cargo grade` is an alias for `cargo run -q -p grader -- grade`.
//!
//! Exit status, for every command: 0 when everything it checked passed, 1
//! when it ran and something did not pass, 2 when it could not run (see
//! [`EXIT_STATUS`]). A closed stdout (`cargo grader status | head -1`) ends
//! the grader quietly, with status 2 and no message: what it had to say was
//! not all read.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use grader::commands::{self, Ctx, GradeArgs, OutputClosed};

/// The exit status, as `--help` shows it.
const EXIT_STATUS: &str = "Exit status:
  0  every graded stage and benchmark passed (with --stage N: stage N passed)
  1  something did not pass: a stage, a benchmark, or your crate does not compile
  2  the grader could not run: a bad argument, a fault of course.toml or of the
     grader (an unknown exercise or stage, a suite that does not match), an
     I/O error, or its output was closed before it finished";

/// The course's grader: hidden staged suites, run isolated, that tell you what
/// to fix next.
#[derive(Debug, Parser)]
#[command(name = "grader", version, about, long_about = None, after_help = EXIT_STATUS)]
struct Cli {
    /// The course workspace (default: the nearest folder holding course.toml).
    #[arg(long, global = true, hide = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Your progress: each lesson, its stages passed, what to do next.
    Status,
    /// Grade an exercise (or all of them) against its hidden suite.
    #[command(after_help = EXIT_STATUS)]
    Grade(GradeArgs),
    /// Re-grade every time you save.
    Watch {
        /// The exercise (default: the first one not yet complete).
        exercise: Option<String>,
    },
    /// Show the next hint for the first stage you have not passed.
    Hint {
        /// The exercise.
        exercise: String,
    },
    /// Print the reference solution.
    Solution {
        /// The exercise.
        exercise: String,
    },
    /// Diff your crate against the reference and benchmark both.
    Compare {
        /// The exercise.
        exercise: String,
        /// Seed of the benchmark's randomness.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Run the exercise's workload through your code and the reference's,
    /// side by side (not graded).
    Simulate {
        /// The exercise.
        exercise: String,
        /// Seed of the workload.
        #[arg(long)]
        seed: Option<u64>,
        /// Run the reference in both columns (to see the picture before you
        /// have implemented anything).
        #[arg(long)]
        reference: bool,
    },
    /// Render the lessons as a local HTML book, or serve it.
    Book {
        #[command(subcommand)]
        action: Option<BookAction>,
    },
    /// Restore the pristine stub (your code is backed up first).
    Reset {
        /// The exercise.
        exercise: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
enum BookAction {
    /// Render into target/book and print the address to open (the default).
    Build,
    /// Render, then serve on http://127.0.0.1:PORT/ until interrupted.
    Serve {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        // Nobody is reading: say nothing more.
        Err(e) if e.chain().any(|c| c.is::<OutputClosed>()) => ExitCode::from(2),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let start = match cli.root {
        Some(r) => r,
        None => std::env::current_dir()?,
    };
    let ctx = Ctx::load(&start)?;
    match cli.command.unwrap_or(Command::Status) {
        Command::Status => commands::status(&ctx),
        Command::Grade(args) => commands::grade(&ctx, &args),
        Command::Watch { exercise } => commands::watch(&ctx, exercise.as_deref()),
        Command::Hint { exercise } => commands::hint(&ctx, &exercise),
        Command::Solution { exercise } => commands::solution(&ctx, &exercise),
        Command::Compare { exercise, seed } => commands::compare(&ctx, &exercise, seed),
        Command::Reset { exercise, yes } => commands::reset(&ctx, &exercise, yes),
        Command::Simulate { exercise, seed, reference } => commands::simulate(&ctx, &exercise, seed, reference),
        Command::Book { action: None | Some(BookAction::Build) } => commands::book(&ctx, None),
        Command::Book { action: Some(BookAction::Serve { port }) } => commands::book(&ctx, Some(port)),
    }
}
