//! `grader`: grade exercises, show hints, compare with the reference.
//! `cargo grade` is an alias for `cargo run -q -p grader-launch -- grade`:
//! the launcher builds this binary in the release profile (with progress at a
//! terminal), then runs it (grader/launch).
//!
//! Exit status, for every command: 0 when everything it checked passed, 1
//! when it ran and something did not pass, 2 when it could not run (see
//! [`EXIT_STATUS`]). A closed stdout (`cargo grader status | head -1`) ends
//! the grader quietly, with status 2 and no message: what it had to say was
//! not all read.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use grader::commands::{self, Ctx, GradeArgs, OutputClosed};

/// The exit status, as `--help` shows it.
const EXIT_STATUS: &str = "Exit status:
  0  every graded stage and benchmark passed (with --stage N: stage N passed)
  1  something did not pass: a stage, a benchmark, or your crate does not compile
  2  the grader could not run: a bad argument, a fault of course.toml or of the
     grader (an unknown exercise or stage, a suite that does not match), an
     I/O error, or its output was closed before it finished";

/// The learner's loop, as `--help` shows it.
const LOOP: &str = "The learner's loop:
  cargo grader status             where you are, and the lesson to read next
  cargo grader book               the lessons as a local book (open the printed address)
  cargo grade EXERCISE            grade your crate (exercises/EXERCISE) after each edit,
                                  until every stage passes
  cargo grader hint               stuck? the next hint for the stage you are on
  cargo grader compare EXERCISE   done: your code beside the reference, benchmarked";

/// The course's grader: hidden staged suites, run isolated, that tell you what
/// to fix next.
#[derive(Debug, Parser)]
#[command(name = "grader", bin_name = "cargo grader", version, about, long_about = None)]
struct Cli {
    /// The course workspace (default: the nearest folder holding course.toml).
    #[arg(long, global = true, hide = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Your progress: each lesson, its stages passed, what to do next (the
    /// default).
    Status,
    /// Grade an exercise (or all of them) against its hidden suite.
    #[command(after_help = EXIT_STATUS)]
    Grade(GradeArgs),
    /// Re-grade every time you save.
    Watch {
        /// The exercise (default: the one in progress, as `status` shows it).
        exercise: Option<String>,
    },
    /// Show the next hint for the first stage you have not passed.
    Hint {
        /// The exercise (default: the one in progress, as `status` shows it).
        exercise: Option<String>,
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
    /// One workload through your code and the reference's, side by side
    /// (not graded).
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
    /// For the course's authors: scaffold a new exercise (contract, stub and
    /// pristine copy, reference, suite with one stage, mutants with a
    /// control, lesson skeleton, catalogue entry) that passes `dev check`.
    #[command(hide = true)]
    New {
        /// The exercise's slug, in kebab-case (`consistent-hashing`).
        slug: String,
        /// The lesson's title (default: the slug in words).
        #[arg(long)]
        title: Option<String>,
        /// The part of the course, a folder of lessons/ with or without its
        /// number (`data` or `2-data`; default: the last lesson's part).
        #[arg(long)]
        part: Option<String>,
    },
    /// For the course's authors: checks that the course's pieces agree.
    #[command(hide = true)]
    Dev {
        #[command(subcommand)]
        action: DevAction,
    },
}

#[derive(Debug, Subcommand)]
enum DevAction {
    /// Catalogue ⇄ workspace members ⇄ suites ⇄ stage lists, stubs ⇄
    /// pristine copies, mutants ⇄ their crates, a mutant for every stage, a
    /// control for every exercise, README ⇄ catalogue. One line per problem;
    /// exit 1 if there is any.
    Check {
        /// Do not build the reference runners (skips the check of the
        /// suites' stage lists against course.toml).
        #[arg(long)]
        no_build: bool,
        /// Do not compare the stubs with their pristine copies (in a
        /// checkout where someone has worked on the exercises).
        #[arg(long)]
        no_stubs: bool,
    },
    /// Rewrite README.md's lesson table from course.toml.
    Readme,
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
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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

/// Parses the command line with `--help` showing each command as the
/// learner types it (`cargo grader status`, `cargo grade EXERCISE`), then
/// the learner's loop and the exit status.
fn parse() -> Result<Cli, clap::Error> {
    let command = Cli::command();
    let list = typed_commands(&command);
    let template = format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\nCommands:\n{list}\nOptions:\n{{options}}\n\n{LOOP}\n\n{EXIT_STATUS}"
    );
    let mut matches = command.help_template(template).try_get_matches()?;
    Cli::from_arg_matches_mut(&mut matches)
}

/// One line per visible command: as typed, then what it does.
fn typed_commands(command: &clap::Command) -> String {
    let rows: Vec<(String, String)> = command
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| {
            let typed = match c.get_name() {
                // The cargo alias the README teaches.
                "grade" => "cargo grade".to_string(),
                name => format!("cargo grader {name}"),
            };
            let args: String = c
                .get_positionals()
                .map(|a| {
                    let name = a.get_id().as_str().to_uppercase();
                    if a.is_required_set() { format!(" {name}") } else { format!(" [{name}]") }
                })
                .collect();
            let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
            (format!("{typed}{args}"), about.lines().next().unwrap_or_default().to_string())
        })
        .collect();
    let width = rows.iter().map(|(t, _)| t.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(typed, about)| format!("  {typed:width$}  {about}\n")).collect()
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let start = match cli.root {
        Some(r) => r,
        None => std::env::current_dir()?,
    };
    // Loaded by each command that needs it: the self-check reports a
    // catalogue that does not load as one of its problems.
    let ctx = || Ctx::load(&start);
    match cli.command.unwrap_or(Command::Status) {
        Command::Status => commands::status(&ctx()?),
        Command::Grade(args) => commands::grade(&ctx()?, &args),
        Command::Watch { exercise } => commands::watch(&ctx()?, exercise.as_deref()),
        Command::Hint { exercise } => commands::hint(&ctx()?, exercise.as_deref()),
        Command::Solution { exercise } => commands::solution(&ctx()?, &exercise),
        Command::Compare { exercise, seed } => commands::compare(&ctx()?, &exercise, seed),
        Command::Reset { exercise, yes } => commands::reset(&ctx()?, &exercise, yes),
        Command::Simulate { exercise, seed, reference } => commands::simulate(&ctx()?, &exercise, seed, reference),
        Command::Book { action: None | Some(BookAction::Build) } => commands::book(&ctx()?, None),
        Command::Book { action: Some(BookAction::Serve { port }) } => commands::book(&ctx()?, Some(port)),
        Command::New { slug, title, part } => commands::new(&ctx()?, &slug, title.as_deref(), part.as_deref()),
        Command::Dev { action: DevAction::Readme } => commands::dev_readme(&ctx()?),
        Command::Dev { action: DevAction::Check { no_build, no_stubs } } => {
            let options = grader::dev::Options { build: !no_build, stubs_as_shipped: !no_stubs };
            commands::dev_check(&grader::find_root(&start)?, options)
        }
    }
}
