//! The subcommands. Each returns `Ok(true)` when everything it checked
//! passed, `Ok(false)` when it ran but something did not pass (exit 1), and
//! `Err` when it could not run (exit 2).
//!
//! Everything a command prints on stdout goes through [`out!`] and
//! [`outln!`], which turn a closed pipe (`cargo grader status | head -1`)
//! into [`OutputClosed`]: the command stops there and the grader exits
//! quietly, where `println!` would panic. Progress notes go to stderr through
//! [`note!`], which ignores a closed stderr.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use catalog::{Catalog, Exercise, Lesson};

use crate::grade::{self, Request};
use crate::progress::Store;
use crate::report::{Report, Status, SubjectKind, render_benchmarks};

/// The reader of the grader's stdout went away (a pipe into `head`, a
/// closed terminal): not a failure to report, a reason to stop quietly.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("standard output was closed before the grader finished writing")]
pub struct OutputClosed;

/// Writes to stdout and flushes; a closed pipe is [`OutputClosed`].
pub fn write_out(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(OutputClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
    }
}

/// `print!` that returns [`OutputClosed`] (with `?`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::write_out(format_args!($($arg)*))?
    };
}

/// `println!` that returns [`OutputClosed`] (with `?`) instead of panicking.
macro_rules! outln {
    () => {
        $crate::commands::write_out(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::commands::write_out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `eprintln!` that ignores a closed stderr: a note is never worth a panic.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// What every command needs: the catalogue and the progress store.
#[derive(Debug)]
pub struct Ctx {
    /// The loaded catalogue.
    pub catalog: Catalog,
    /// Where progress lives.
    pub store: Store,
}

impl Ctx {
    /// Finds the workspace from `start` and loads it.
    pub fn load(start: &Path) -> anyhow::Result<Ctx> {
        let root = crate::find_root(start)?;
        let catalog = Catalog::load(&root)?;
        let store = Store::open(&root);
        Ok(Ctx { catalog, store })
    }

    fn exercise(&self, slug: &str) -> anyhow::Result<(&Lesson, &Exercise)> {
        let Some(lesson) = self.catalog.lesson(slug) else {
            let known: Vec<&str> = self.catalog.exercises().map(|(l, _)| l.slug.as_str()).collect();
            bail!("no exercise `{slug}`; the exercises are: {}", known.join(", "));
        };
        let ex = lesson.exercise.as_ref().with_context(|| format!("lesson `{slug}` has no exercise"))?;
        Ok((lesson, ex))
    }

    /// The exercise named, or else the one in progress: the exercise
    /// `status` points at ([`crate::progress::Progress::in_progress`]), or
    /// the first one when every exercise is complete. `hint` and `watch`
    /// default the same way.
    fn exercise_or_current(&self, slug: Option<&str>) -> anyhow::Result<String> {
        if let Some(slug) = slug {
            return Ok(slug.to_string());
        }
        let progress = self.store.load()?;
        progress
            .in_progress(&self.catalog)
            .or_else(|| self.catalog.exercises().next())
            .map(|(l, _)| l.slug.clone())
            .context("the course has no exercise")
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.catalog.root).unwrap_or(p).display().to_string()
    }
}

/// Arguments of `grade`.
#[derive(Debug, Clone, clap::Args)]
pub struct GradeArgs {
    /// The exercise to grade (default: all, in course order).
    pub exercise: Option<String>,
    /// Only this stage (its number, from 1). The report then speaks of that
    /// stage alone: it never says the exercise is done.
    #[arg(long)]
    pub stage: Option<usize>,
    /// Seed for the stages' randomness (a failure prints the one it used).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Grade the reference solution instead of your crate.
    #[arg(long, conflicts_with = "krate")]
    pub reference: bool,
    /// Print one JSON object (or an array, for all exercises) on stdout.
    #[arg(long)]
    pub json: bool,
    /// Grade the crate in this folder (a mutant, a fixture) instead of yours.
    #[arg(long = "crate", value_name = "DIR", hide = true)]
    pub krate: Option<PathBuf>,
    /// Cargo features for `--crate` (the mutants' switches).
    #[arg(long, value_delimiter = ',', requires = "krate", hide = true)]
    pub features: Vec<String>,
    /// Override every stage's time limit, in milliseconds.
    #[arg(long, hide = true)]
    pub timeout_ms: Option<u64>,
}

/// `grade`: one exercise or all of them.
pub fn grade(ctx: &Ctx, args: &GradeArgs) -> anyhow::Result<bool> {
    let slugs: Vec<String> = match &args.exercise {
        Some(s) => vec![s.clone()],
        None => ctx.catalog.exercises().map(|(l, _)| l.slug.clone()).collect(),
    };
    if args.stage.is_some() && slugs.len() != 1 {
        bail!("--stage needs an exercise: `cargo grade <exercise> --stage N`");
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    if args.json {
        crate::ui::quiet();
    }
    let mut reports = Vec::new();
    for slug in &slugs {
        let (lesson, ex) = ctx.exercise(slug)?;
        let (subject_dir, kind, command) = match (&args.krate, args.reference) {
            (Some(dir), _) => {
                let features = if args.features.is_empty() {
                    String::new()
                } else {
                    format!(" --features {}", args.features.join(","))
                };
                (
                    dir.clone(),
                    SubjectKind::Learner,
                    format!("cargo grader grade {slug} --crate {}{features}", dir.display()),
                )
            }
            (None, true) => {
                (ex.solution_dir.clone(), SubjectKind::Reference, format!("cargo grade {slug} --reference"))
            }
            (None, false) => (ex.crate_dir.clone(), SubjectKind::Learner, format!("cargo grade {slug}")),
        };
        if !args.json {
            let whose = match (&args.krate, kind) {
                (Some(_), _) => format!("the crate in {}", ctx.rel(&subject_dir)),
                (None, SubjectKind::Reference) => format!("the reference ({})", ctx.rel(&subject_dir)),
                (None, SubjectKind::Learner) => format!("your crate ({})", ctx.rel(&subject_dir)),
            };
            let only = args.stage.map(|n| format!(" (stage {n} only)")).unwrap_or_default();
            note!("grading {slug}{only}: {whose}, seed {seed}…");
        }
        let request = Request {
            catalog: &ctx.catalog,
            lesson,
            exercise: ex,
            subject_dir,
            features: args.features.clone(),
            kind,
            only_stage: args.stage,
            seed,
            timeout: args.timeout_ms.map(Duration::from_millis),
            command,
        };
        let report = grade::grade(&request)?;
        let is_learners = args.krate.is_none() && !args.reference;
        if is_learners {
            ctx.store.record(&report, args.exercise.is_some())?;
        }
        if !args.json {
            out!("{}", report.render(&format!("{} — {}", lesson.slug, lesson.title)));
            if is_learners {
                outln!("{}", next_step(slug, ex, &report));
            }
            outln!();
        }
        reports.push(report);
    }
    if args.json {
        let json = if args.exercise.is_some() && reports.len() == 1 {
            serde_json::to_string_pretty(&reports[0])?
        } else {
            serde_json::to_string_pretty(&reports)?
        };
        outln!("{json}");
    }
    Ok(reports.iter().all(|r| r.passed))
}

/// The line after a learner's report: what to do next. Only a full run that
/// passed everything says the exercise is done; a `--stage` run speaks of
/// its stage alone.
fn next_step(slug: &str, ex: &Exercise, report: &Report) -> String {
    if !report.build.compiled() {
        return format!(
            "next: make your crate compile (the first error above first); then `cargo grade {slug}` grades it."
        );
    }
    let title = |n: usize| ex.stages.get(n - 1).map_or("", |s| s.title.as_str());
    match (report.first_problem(), report.only_stage) {
        (None, Some(n)) if report.passed => {
            format!("stage {n} ({}) passes; run `cargo grade {slug}` for every stage.", title(n))
        }
        (None, None) if report.complete() => format!(
            "All stages pass: {slug} is complete. Read the reference with `cargo grader solution {slug}`, or compare with `cargo grader compare {slug}`."
        ),
        (None, _) => String::new(),
        (Some((n, stage)), _) => match stage.status {
            Status::NotImplemented => {
                format!("next: implement what stage {n} ({}) needs; `cargo grader hint {slug}` if stuck.", title(n))
            }
            _ => format!("next: fix stage {n} ({}); `cargo grader hint {slug}` for a hint.", title(n)),
        },
    }
}

/// `status`: a table of lessons, and what to do next in the exercise in
/// progress ([`crate::progress::Progress::in_progress`] says which).
pub fn status(ctx: &Ctx) -> anyhow::Result<bool> {
    let progress = ctx.store.load()?;
    outln!("{}\n", ctx.catalog.title);
    let width = ctx.catalog.lessons.iter().map(|l| l.title.chars().count()).max().unwrap_or(0);
    for (i, lesson) in ctx.catalog.lessons.iter().enumerate() {
        let Some(ex) = &lesson.exercise else {
            outln!("{:>2}. {:width$}  (reading only)", i + 1, lesson.title);
            continue;
        };
        let p = progress.exercise.get(&lesson.slug);
        let passed = p.map_or(0, |p| ex.stages.iter().filter(|s| p.passed.contains(&s.id)).count());
        let total = ex.stages.len();
        let bar: String = (0..total).map(|k| if k < passed { '■' } else { '□' }).collect();
        let state = match p {
            Some(p) if p.complete => "complete".to_string(),
            Some(_) => format!("{passed}/{total} stages"),
            None => "not started".to_string(),
        };
        outln!("{:>2}. {:width$}  {bar}  {state:<12}  cargo grade {}", i + 1, lesson.title, lesson.slug);
    }
    let next = match progress.in_progress(&ctx.catalog) {
        None => "Every exercise is complete. Well done.".to_string(),
        Some((lesson, ex)) => {
            let p = progress.exercise.get(&lesson.slug);
            match ex.stages.iter().find(|s| !p.is_some_and(|p| p.passed.contains(&s.id))) {
                Some(s) => format!(
                    "next: read {}, then make stage \"{}\" pass: cargo grade {}",
                    ctx.rel(&lesson.file),
                    s.title,
                    lesson.slug
                ),
                None => format!("next: cargo grade {}", lesson.slug),
            }
        }
    };
    outln!("\n{next}");
    Ok(true)
}

/// `hint`: the next hint of the first stage not passed, one at a time; of
/// the exercise in progress unless one is named.
pub fn hint(ctx: &Ctx, slug: Option<&str>) -> anyhow::Result<bool> {
    let slug = &ctx.exercise_or_current(slug)?;
    let (_, ex) = ctx.exercise(slug)?;
    let mut progress = ctx.store.load()?;
    let entry = progress.exercise.entry(slug.to_string()).or_default();
    let Some((n, stage)) = ex.stages.iter().enumerate().find(|(_, s)| !entry.passed.contains(&s.id)) else {
        outln!("Every stage of {slug} passes: no hint needed. `cargo grader solution {slug}` shows the reference.");
        return Ok(true);
    };
    let shown = entry.hints_shown.get(&stage.id).copied().unwrap_or(0);
    let total = stage.hints.len();
    if shown >= total {
        outln!(
            "stage {}/{}  {}\nYou have seen all {total} hints for this stage. Re-read the lesson section it names, or look at the reference: `cargo grader solution {slug}`.",
            n + 1,
            ex.stages.len(),
            stage.title
        );
        return Ok(true);
    }
    // Progress, not the code, says where the learner is: name it, so a hint
    // read after an edit but before the next grade is not taken for advice
    // about the edit.
    outln!(
        "stage {}/{}  {}  (the first stage your last `cargo grade {slug}` did not pass)\nhint {}/{total}: {}",
        n + 1,
        ex.stages.len(),
        stage.title,
        shown + 1,
        stage.hints[shown]
    );
    if shown + 1 < total {
        outln!("(run `cargo grader hint {slug}` again for the next one)");
    }
    entry.hints_shown.insert(stage.id.clone(), shown + 1);
    ctx.store.save(&progress)?;
    Ok(true)
}

/// The `.rs` files of a crate's `src/`, relative to `src/`, sorted.
fn sources(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(base, &path, out)?;
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(base).unwrap_or(&path).to_path_buf());
            }
        }
        Ok(())
    }
    let src = dir.join("src");
    let mut out = vec![];
    walk(&src, &src, &mut out).with_context(|| format!("reading {}", src.display()))?;
    out.sort();
    Ok(out)
}

/// `solution`: print the reference's sources.
pub fn solution(ctx: &Ctx, slug: &str) -> anyhow::Result<bool> {
    let (_, ex) = ctx.exercise(slug)?;
    for file in sources(&ex.solution_dir)? {
        let path = ex.solution_dir.join("src").join(&file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        outln!("// ─── {} ───\n{text}", ctx.rel(&path));
    }
    Ok(true)
}

/// `compare`: a diff of your sources against the reference's, then the
/// benchmark stage, which measures both side by side.
pub fn compare(ctx: &Ctx, slug: &str, seed: Option<u64>) -> anyhow::Result<bool> {
    let (lesson, ex) = ctx.exercise(slug)?;
    let mine = sources(&ex.crate_dir)?;
    let theirs = sources(&ex.solution_dir)?;
    let mut files: Vec<&PathBuf> = mine.iter().chain(theirs.iter()).collect();
    files.sort();
    files.dedup();
    for file in files {
        let read = |dir: &Path| std::fs::read_to_string(dir.join("src").join(file)).unwrap_or_default();
        let (a, b) = (read(&ex.crate_dir), read(&ex.solution_dir));
        let diff = similar::TextDiff::from_lines(&a, &b);
        let header = (
            format!("yours: {}", ctx.rel(&ex.crate_dir.join("src").join(file))),
            format!("reference: {}", ctx.rel(&ex.solution_dir.join("src").join(file))),
        );
        out!("{}", diff.unified_diff().context_radius(3).header(&header.0, &header.1));
    }
    let bench = ex.stages.len();
    let request = Request {
        catalog: &ctx.catalog,
        lesson,
        exercise: ex,
        subject_dir: ex.crate_dir.clone(),
        features: vec![],
        kind: SubjectKind::Learner,
        only_stage: Some(bench),
        seed: seed.unwrap_or_else(rand::random),
        timeout: None,
        command: format!("cargo grade {slug}"),
    };
    note!("\nbenchmarking yours against the reference (stage {bench})…");
    let report = grade::grade(&request)?;
    if report.benchmarks.is_empty() {
        out!("{}", report.render(&format!("{slug}: benchmark stage")));
    } else {
        out!("{}", render_benchmarks(&report.benchmarks));
    }
    Ok(report.passed)
}

/// `reset`: back up the learner's crate, then restore the pristine stub.
pub fn reset(ctx: &Ctx, slug: &str, yes: bool) -> anyhow::Result<bool> {
    let (_, ex) = ctx.exercise(slug)?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("reset overwrites {}; pass --yes to confirm when not at a terminal", ctx.rel(&ex.crate_dir));
        }
        out!("Replace {} with the pristine stub? Your code is backed up first. [y/N] ", ctx.rel(&ex.crate_dir));
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            outln!("Nothing changed.");
            return Ok(true);
        }
    }
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let backup = ctx.catalog.root.join(".grader/backups").join(format!("{slug}-{stamp}"));
    copy_tree(&ex.crate_dir, &backup).with_context(|| format!("backing up to {}", backup.display()))?;
    std::fs::remove_dir_all(&ex.crate_dir).with_context(|| format!("clearing {}", ex.crate_dir.display()))?;
    copy_tree(&ex.pristine_dir, &ex.crate_dir).with_context(|| format!("restoring {}", ex.crate_dir.display()))?;
    outln!("Restored the pristine stub in {}. Your code is in {}.", ctx.rel(&ex.crate_dir), ctx.rel(&backup));
    Ok(true)
}

/// Copies a crate's folder, leaving out `target/`.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name() == "target" {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(&path, to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// `watch`: grade, then grade again after each save, the exercise in
/// progress unless one is named. Runs until interrupted.
pub fn watch(ctx: &Ctx, slug: Option<&str>) -> anyhow::Result<bool> {
    let slug = ctx.exercise_or_current(slug)?;
    let (_, ex) = ctx.exercise(&slug)?;
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx)?;
    notify::Watcher::watch(&mut watcher, &ex.crate_dir, notify::RecursiveMode::Recursive)?;
    let args = GradeArgs {
        exercise: Some(slug.clone()),
        stage: None,
        seed: None,
        reference: false,
        json: false,
        krate: None,
        features: vec![],
        timeout_ms: None,
    };
    loop {
        grade(ctx, &args)?;
        outln!("watching {} for changes (Ctrl-C to stop)…", ctx.rel(&ex.crate_dir));
        wait_for_edit(&rx)?;
    }
}

/// Blocks until a file of the crate is written, created, renamed or removed
/// (outside `target/`), then lets a burst of such events settle for 300 ms,
/// so that one save grades once. Reads, such as cargo's own, are no edit.
fn wait_for_edit(rx: &mpsc::Receiver<notify::Result<notify::Event>>) -> anyhow::Result<()> {
    let is_edit = |event: &notify::Result<notify::Event>| match event {
        Ok(e) => {
            !matches!(e.kind, notify::EventKind::Access(_))
                && e.paths.iter().any(|p| !p.components().any(|c| c.as_os_str() == "target"))
        }
        // An error from the watcher (an overflowed queue, say): grade again.
        Err(_) => true,
    };
    loop {
        let event = rx.recv().context("the file watcher stopped")?;
        if is_edit(&event) {
            break;
        }
    }
    let settle = Duration::from_millis(300);
    while rx.recv_timeout(settle).is_ok() {}
    Ok(())
}

/// `book`: render the lessons into `target/book`; with a port, serve them on
/// loopback until interrupted.
pub fn book(ctx: &Ctx, serve_on: Option<u16>) -> anyhow::Result<bool> {
    let out = ctx.catalog.root.join("target/book");
    let report = book::build(&ctx.catalog, &out)?;
    outln!("wrote {} pages to {}", report.pages, ctx.rel(&report.out_dir));
    match serve_on {
        None => outln!("open file://{}", report.index.display()),
        Some(port) => {
            let addr = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port));
            book::serve(&report.out_dir, addr, |bound| {
                // A closed stdout does not stop the server; Ctrl-C does.
                let _ = write_out(format_args!("serving the book at http://{bound}/ (Ctrl-C to stop)\n"));
            })?;
        }
    }
    Ok(true)
}

/// `simulate`: the exercise's workload through your code and the reference's,
/// side by side (not graded). Writes the picture to `target/grader/`.
pub fn simulate(ctx: &Ctx, slug: &str, seed: Option<u64>, reference: bool) -> anyhow::Result<bool> {
    let (lesson, ex) = ctx.exercise(slug)?;
    // Refused before anything is built: the catalogue says which have one.
    grade::has_simulation(&ctx.catalog, lesson, ex)?;
    let seed = seed.unwrap_or(1);
    let (subject_dir, kind) = if reference {
        (ex.solution_dir.clone(), SubjectKind::Reference)
    } else {
        (ex.crate_dir.clone(), SubjectKind::Learner)
    };
    let request = Request {
        catalog: &ctx.catalog,
        lesson,
        exercise: ex,
        subject_dir,
        features: vec![],
        kind,
        only_stage: None,
        seed,
        timeout: None,
        command: format!("cargo grader simulate {slug}{}", if reference { " --reference" } else { "" }),
    };
    let whose = if reference { "the reference (twice)" } else { "your crate and the reference" };
    note!("simulating {slug} with {whose}, seed {seed}…");
    match grade::simulate(&request)? {
        grade::Simulated::Done(artifact) => {
            out!("{}", artifact.text);
            if let Some(svg) = artifact.svg {
                let path = ctx.catalog.root.join("target/grader").join(format!("simulate-{slug}.svg"));
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                crate::runner::write_atomic(&path, &svg).with_context(|| format!("writing {}", path.display()))?;
                outln!("\npicture: {}", ctx.rel(&path));
            }
            Ok(true)
        }
        grade::Simulated::Problem(status, message) => {
            outln!("The simulation could not run ({status:?}):\n{message}");
            Ok(false)
        }
    }
}

/// `dev check`: every check of [`crate::dev::check`], one line per problem
/// naming its file; `Ok(false)` (exit 1) if there is any.
pub fn dev_check(root: &Path, options: crate::dev::Options) -> anyhow::Result<bool> {
    if options.build {
        note!("dev check: building each exercise's reference runner to read its stage list…");
    }
    let checked = crate::dev::check(root, options);
    for problem in &checked.problems {
        outln!("{problem}");
    }
    let crate::dev::Counts { exercises, stages, mutants } = checked.counts;
    let skipped: Vec<&str> =
        [(!options.build, "stage lists of the built suites"), (!options.stubs_as_shipped, "stubs")]
            .into_iter()
            .filter_map(|(skip, what)| skip.then_some(what))
            .collect();
    let skipped = if skipped.is_empty() { String::new() } else { format!(" (not checked: {})", skipped.join(", ")) };
    match checked.problems.len() {
        0 => outln!(
            "dev check: the course agrees with itself: {exercises} exercises, {stages} stages, {mutants} mutants{skipped}."
        ),
        n => outln!("dev check: {n} problem{} in {exercises} exercises{skipped}.", if n == 1 { "" } else { "s" }),
    }
    Ok(checked.problems.is_empty())
}

/// `dev readme`: rewrite README.md's lesson table from the catalogue.
pub fn dev_readme(ctx: &Ctx) -> anyhow::Result<bool> {
    let changed = crate::dev::write_readme_table(&ctx.catalog)?;
    outln!(
        "{}",
        if changed {
            "README.md: lesson table rewritten from course.toml."
        } else {
            "README.md: lesson table already current."
        }
    );
    Ok(true)
}

/// `new`: scaffold an exercise (see [`crate::scaffold`]) and list what it wrote.
pub fn new(ctx: &Ctx, slug: &str, title: Option<&str>, part: Option<&str>) -> anyhow::Result<bool> {
    let written = crate::scaffold::new(&ctx.catalog, slug, title, part)?;
    outln!("Scaffolded exercise `{slug}`:");
    for path in &written {
        outln!("  {}", ctx.rel(path));
    }
    outln!(
        "\nNext: write the contract, the lesson and the stages; then `cargo grader dev check` and `cargo grade {slug} --reference`."
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, ModifyKind};

    fn event(kind: notify::EventKind, path: &str) -> notify::Result<notify::Event> {
        Ok(notify::Event::new(kind).add_path(PathBuf::from(path)))
    }

    #[test]
    fn reads_and_target_are_not_edits() {
        let (tx, rx) = mpsc::channel();
        tx.send(event(notify::EventKind::Access(AccessKind::Any), "/c/src/lib.rs")).expect("send");
        tx.send(event(notify::EventKind::Create(CreateKind::File), "/c/target/debug/x")).expect("send");
        drop(tx);
        // Only non-edits, then the watcher goes away: no edit was seen.
        assert!(wait_for_edit(&rx).is_err());
    }

    #[test]
    fn a_save_is_an_edit() {
        let (tx, rx) = mpsc::channel();
        tx.send(event(notify::EventKind::Access(AccessKind::Any), "/c/src/lib.rs")).expect("send");
        tx.send(event(notify::EventKind::Modify(ModifyKind::Any), "/c/src/lib.rs")).expect("send");
        drop(tx);
        assert!(wait_for_edit(&rx).is_ok());
    }
}
