//! `cargo grader dev check`: the course's one self-check, for its authors.
//!
//! An exercise is spread over several folders (its lesson, contract, stub,
//! pristine copy, reference, suite, mutants) and a few facts are written in
//! two places (a stage id in `course.toml` and in its suite; a mutant's
//! feature in its `Cargo.toml` and in `mutants.toml`). This module checks
//! that they agree, and names each disagreement on one line that starts with
//! the file to fix:
//!
//! - **catalogue ⇄ workspace**: every exercise's crate and solution is a
//!   workspace member, and every member under `exercises/` or `solutions/`
//!   is an exercise's (`cargo metadata`);
//! - **catalogue ⇄ folders**: every folder of `exercises/.pristine/`,
//!   `grader/suites/src/`, `grader/mutants/` and file of `contracts/src/`
//!   belongs to an exercise, and every exercise has its contract module;
//! - **catalogue ⇄ stages**: each stage has its file in the suite's folder
//!   (`starts-full` → `starts_full.rs`), and the built suite lists the
//!   catalogue's stages in the catalogue's order (`runner list`, on the
//!   reference; [`Options::build`]);
//! - **stubs ⇄ pristine copies**, byte for byte ([`Options::stubs_as_shipped`]:
//!   only on a checkout where no learner has worked);
//! - **mutants**: each `mutants.toml` entry names a crate of its folder and
//!   features that crate declares; each declared feature and each crate is
//!   used; `caught_by` is a stage of the exercise; every exercise has a
//!   control; every stage that is not a benchmark is caught by at least one
//!   mutant (that each is caught *by that stage* is `grader/tests/mutants.rs`,
//!   which grades them);
//! - **README**: its lesson table is the one [`readme_table`] renders from the
//!   catalogue (`cargo grader dev readme` rewrites it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use catalog::{Catalog, Exercise, Lesson};
use serde::Deserialize;

use crate::report::Status;
use crate::runner::{self, BuildSpec, Listing};

/// Where the mutants live: `grader/mutants/<slug>/mutants.toml`.
pub const MUTANTS_DIR: &str = "grader/mutants";

/// Where the contracts live: `contracts/src/<suite>.rs`.
pub const CONTRACTS_DIR: &str = "contracts/src";

/// The README, whose lesson table is generated.
pub const README: &str = "README.md";

/// The header of the README's lesson table, which [`readme_table`] renders.
const TABLE_HEADER: &str = "| # | lesson | exercise |";

/// What to check beyond the files themselves.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Build each exercise's reference runner and compare its `list` with
    /// the catalogue (seconds when the target directory is warm).
    pub build: bool,
    /// Check that each stub equals its pristine copy byte for byte. True on
    /// a fresh clone and in CI; false in a learner's checkout, where the
    /// stubs are their work.
    pub stubs_as_shipped: bool,
}

/// One disagreement, on one line: the file to fix, then what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file (relative to the root, with `:line` where known).
    pub file: String,
    /// What is wrong, and where it is written otherwise.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// What a check looked at, for the closing line of `dev check`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Exercises in the catalogue.
    pub exercises: usize,
    /// Their stages.
    pub stages: usize,
    /// Entries of every `mutants.toml`, controls included.
    pub mutants: usize,
}

/// The outcome of [`check`].
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Every disagreement found, sorted by file.
    pub problems: Vec<Problem>,
    /// What was looked at.
    pub counts: Counts,
}

/// One entry of `grader/mutants/<slug>/mutants.toml`: an implementation
/// with one known mistake (or none: a control) and the stage that must catch
/// it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutant {
    /// The crate's folder, beside `mutants.toml`.
    #[serde(rename = "crate")]
    pub krate: String,
    /// Cargo features that switch the mistake on.
    #[serde(default)]
    pub features: Vec<String>,
    /// What is wrong, in the lesson's words (`none: …` for a control).
    pub mistake: String,
    /// The stage id that must catch it; empty for a control, which must
    /// pass every stage.
    pub caught_by: String,
    /// That stage's expected status (`failed`, `crashed`, `timed_out`;
    /// `passed` for a control).
    pub status: String,
}

impl Mutant {
    /// Whether this is a control: a correct implementation that must pass.
    pub fn is_control(&self) -> bool {
        self.caught_by.is_empty()
    }

    /// `crate[features] (mistake)`, for messages.
    pub fn label(&self) -> String {
        format!("{}{:?} ({})", self.krate, self.features, self.mistake)
    }

    /// The expected status, if it names one.
    pub fn expected_status(&self) -> Option<Status> {
        serde_json::from_value(serde_json::Value::String(self.status.clone())).ok()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MutantFile {
    mutant: Vec<Mutant>,
}

/// The mutants of exercise `slug`, from `grader/mutants/<slug>/mutants.toml`.
pub fn mutants(root: &Path, slug: &str) -> anyhow::Result<Vec<Mutant>> {
    let path = root.join(MUTANTS_DIR).join(slug).join("mutants.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file: MutantFile =
        toml::from_str(&text).with_context(|| format!("{} is not a mutant table", path.display()))?;
    Ok(file.mutant)
}

/// Whether a stage grades speed or growth rather than behaviour: its id
/// starts with `bench` (`benchmarks`). A benchmark stage needs no mutant
/// (one is welcome: an O(n) mistake the growth figure catches).
pub fn is_benchmark(stage_id: &str) -> bool {
    stage_id.starts_with("bench")
}

/// The file of a stage in its suite's folder: `starts-full` → `starts_full.rs`.
pub fn stage_file(root: &Path, suite: &str, stage_id: &str) -> PathBuf {
    root.join(catalog::SUITES_DIR).join(suite).join(format!("{}.rs", stage_id.replace('-', "_")))
}

/// Runs every check on the course at `root`.
pub fn check(root: &Path, options: Options) -> Checked {
    let catalog = match Catalog::load(root) {
        Ok(c) => c,
        // The catalogue's error already names file, line and column.
        Err(e) => {
            let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
            let problem = match e {
                catalog::CatalogError::Invalid { path, line, column, message } => {
                    Problem { file: format!("{}:{line}:{column}", rel(&path)), message }
                }
                catalog::CatalogError::Io { path, message } => Problem { file: rel(&path), message },
            };
            return Checked { problems: vec![problem], ..Checked::default() };
        }
    };
    let mut c = Checker { root: root.to_path_buf(), catalog: &catalog, problems: vec![], counts: Counts::default() };
    c.workspace_members();
    c.orphans();
    for (lesson, ex) in catalog.exercises() {
        c.counts.exercises += 1;
        c.counts.stages += ex.stages.len();
        c.contract(lesson, ex);
        c.stage_files(lesson, ex);
        if options.build {
            c.runner_list(lesson, ex);
        }
        if options.stubs_as_shipped {
            c.pristine(ex);
        }
        c.mutants(lesson, ex);
    }
    c.readme();
    let Checker { mut problems, counts, .. } = c;
    problems.sort();
    problems.dedup();
    Checked { problems, counts }
}

struct Checker<'a> {
    root: PathBuf,
    catalog: &'a Catalog,
    problems: Vec<Problem>,
    counts: Counts,
}

impl Checker<'_> {
    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap_or(p).display().to_string()
    }

    fn problem(&mut self, file: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { file: file.into(), message: message.into() });
    }

    /// `course.toml:LINE`, the lesson's slug line.
    fn at(&self, lesson: &Lesson) -> String {
        format!("{}:{}", catalog::FILE_NAME, lesson.line)
    }

    fn workspace_members(&mut self) {
        let members = match workspace_members(&self.root) {
            Ok(m) => m,
            Err(e) => return self.problem("Cargo.toml", format!("cannot list the workspace members: {e:#}")),
        };
        let mut graded = BTreeSet::new();
        for (lesson, ex) in self.catalog.exercises() {
            for (dir, what) in [(&ex.crate_dir, "crate"), (&ex.solution_dir, "solution")] {
                let dir = dir.canonicalize().unwrap_or_else(|_| dir.clone());
                if !members.contains(&dir) {
                    let at = self.at(lesson);
                    let rel = self.rel(&dir);
                    self.problem(
                        at,
                        format!(
                            "the {what} of `{}` ({rel}) is not a workspace member (Cargo.toml `members`)",
                            lesson.slug
                        ),
                    );
                }
                graded.insert(dir);
            }
        }
        let root = self.root.canonicalize().unwrap_or_else(|_| self.root.clone());
        for member in &members {
            let under = |d: &str| member.strip_prefix(&root).is_ok_and(|r| r.starts_with(d));
            if (under(catalog::EXERCISES_DIR) || under(catalog::SOLUTIONS_DIR)) && !graded.contains(member) {
                let file = format!("{}/Cargo.toml", member.strip_prefix(&root).unwrap_or(member).display());
                self.problem(file, "a workspace member that no exercise of course.toml names as its crate or solution");
            }
        }
    }

    /// Folders and files that exist for an exercise the catalogue does not have.
    fn orphans(&mut self) {
        let exercises: Vec<(&Lesson, &Exercise)> = self.catalog.exercises().collect();
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let pristine: BTreeSet<PathBuf> = exercises.iter().map(|(_, e)| canon(&e.pristine_dir)).collect();
        let slugs: BTreeSet<&str> = exercises.iter().map(|(l, _)| l.slug.as_str()).collect();
        let suites: BTreeSet<&str> = exercises.iter().map(|(_, e)| e.suite.as_str()).collect();
        for dir in subfolders(&self.root.join(catalog::PRISTINE_DIR)) {
            if !pristine.contains(&canon(&dir)) {
                let rel = self.rel(&dir);
                self.problem(format!("{rel}/"), "a pristine copy of no exercise of course.toml");
            }
        }
        for dir in subfolders(&self.root.join(MUTANTS_DIR)) {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if !slugs.contains(name.as_str()) {
                let rel = self.rel(&dir);
                self.problem(format!("{rel}/"), format!("mutants of `{name}`, which is no exercise of course.toml"));
            }
        }
        for dir in subfolders(&self.root.join(catalog::SUITES_DIR)) {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if dir.join("mod.rs").is_file() && !suites.contains(name.as_str()) {
                let rel = self.rel(&dir);
                self.problem(format!("{rel}/"), format!("suite `{name}`, which no exercise of course.toml uses"));
            }
        }
        for file in files(&self.root.join(CONTRACTS_DIR)) {
            let Some(stem) = file.file_stem().map(|s| s.to_string_lossy().into_owned()) else { continue };
            if file.extension().is_some_and(|e| e == "rs") && stem != "lib" && !suites.contains(stem.as_str()) {
                let rel = self.rel(&file);
                self.problem(rel, format!("contract `{stem}`, the suite of no exercise of course.toml"));
            }
        }
    }

    fn contract(&mut self, lesson: &Lesson, ex: &Exercise) {
        let file = self.root.join(CONTRACTS_DIR).join(format!("{}.rs", ex.suite));
        if !file.is_file() {
            let rel = self.rel(&file);
            self.problem(rel, format!("missing: the contract of exercise `{}` (suite `{}`)", lesson.slug, ex.suite));
        }
    }

    fn stage_files(&mut self, lesson: &Lesson, ex: &Exercise) {
        for stage in &ex.stages {
            let file = stage_file(&self.root, &ex.suite, &stage.id);
            if !file.is_file() {
                let rel = self.rel(&file);
                self.problem(
                    rel,
                    format!(
                        "missing: stage `{}` of `{}` (course.toml:{}) has no file",
                        stage.id, lesson.slug, lesson.line
                    ),
                );
            }
        }
    }

    fn runner_list(&mut self, lesson: &Lesson, ex: &Exercise) {
        let spec = BuildSpec {
            root: &self.root,
            suite: &ex.suite,
            subject: &ex.solution_dir,
            reference: &ex.solution_dir,
            features: &[],
        };
        let suite_file = format!("{}/{}/mod.rs", catalog::SUITES_DIR, ex.suite);
        let runner = match runner::build(&spec) {
            Ok(r) => r,
            Err(e) => {
                let text = e.to_string();
                let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
                let first = lines.clone().find(|l| l.starts_with("error")).or_else(|| lines.next());
                let first = first.unwrap_or_default().to_string();
                return self
                    .problem(suite_file, format!("the reference runner of `{}` does not build: {first}", lesson.slug));
            }
        };
        let listing = match std::process::Command::new(&runner.binary).arg("list").output() {
            Ok(out) if out.status.success() => Listing::parse(&String::from_utf8_lossy(&out.stdout)),
            Ok(out) => return self.problem(suite_file, format!("`runner list` ended with {}", out.status)),
            Err(e) => return self.problem(suite_file, format!("`runner list` did not start: {e}")),
        };
        let catalogued: Vec<&str> = ex.stages.iter().map(|s| s.id.as_str()).collect();
        if listing.stages != catalogued {
            self.problem(
                suite_file.clone(),
                format!(
                    "the suite's stages are [{}]; course.toml:{} lists [{}] (same ids, same order)",
                    listing.stages.join(", "),
                    lesson.line,
                    catalogued.join(", ")
                ),
            );
        }
        if listing.simulation != ex.simulation {
            let has = |b: bool| if b { "has" } else { "has no" };
            self.problem(
                suite_file,
                format!(
                    "the suite {} simulation; course.toml:{} says it {} (`simulation`)",
                    has(listing.simulation),
                    lesson.line,
                    has(ex.simulation)
                ),
            );
        }
    }

    fn pristine(&mut self, ex: &Exercise) {
        let (stub, pristine) = (&ex.crate_dir, &ex.pristine_dir);
        let (a, b) = (tree(stub), tree(pristine));
        for rel in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            let file = self.rel(&stub.join(rel));
            let copy = self.rel(&pristine.join(rel));
            match (a.get(rel), b.get(rel)) {
                (Some(x), Some(y)) if x == y => {}
                (Some(_), Some(_)) => self.problem(file, format!("differs from its pristine copy {copy}")),
                (Some(_), None) => self.problem(file, format!("has no pristine copy ({copy} is missing)")),
                (None, _) => self.problem(copy, format!("is in the pristine copy but not in the stub ({file})")),
            }
        }
    }

    fn mutants(&mut self, lesson: &Lesson, ex: &Exercise) {
        let dir = self.root.join(MUTANTS_DIR).join(&lesson.slug);
        let table = dir.join("mutants.toml");
        let file = self.rel(&table);
        let Ok(text) = std::fs::read_to_string(&table) else {
            return self.problem(file, format!("missing: exercise `{}` has no mutants", lesson.slug));
        };
        let list = match toml::from_str::<MutantFile>(&text) {
            Ok(f) => f.mutant,
            Err(e) => {
                let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                return self.problem(format!("{file}:{line}"), e.message().trim().replace('\n', " "));
            }
        };
        self.counts.mutants += list.len();
        // Each crate's declared features.
        let mut declared: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
        for sub in subfolders(&dir) {
            let name = sub.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            declared.insert(name, features(&sub.join("Cargo.toml")));
        }
        let mut used: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut caught: BTreeSet<&str> = BTreeSet::new();
        for m in &list {
            let label = m.label();
            match declared.get(&m.krate) {
                None | Some(None) => {
                    self.problem(file.clone(), format!("{label}: no crate {}/{}/Cargo.toml", self.rel(&dir), m.krate))
                }
                Some(Some(have)) => {
                    for f in m.features.iter().filter(|f| !have.contains(*f)) {
                        self.problem(
                            file.clone(),
                            format!(
                                "{label}: feature `{f}` is not declared in {}/{}/Cargo.toml",
                                self.rel(&dir),
                                m.krate
                            ),
                        );
                    }
                }
            }
            used.entry(m.krate.as_str()).or_default().extend(m.features.iter().map(String::as_str));
            if m.expected_status().is_none() {
                self.problem(file.clone(), format!("{label}: status `{}` is not a stage status", m.status));
            }
            if m.is_control() {
                if m.expected_status() != Some(Status::Passed) {
                    self.problem(
                        file.clone(),
                        format!("{label}: a control (no caught_by) must have status \"passed\""),
                    );
                }
            } else if ex.stage(&m.caught_by).is_none() {
                self.problem(
                    file.clone(),
                    format!("{label}: caught_by `{}` is no stage of `{}`", m.caught_by, lesson.slug),
                );
            } else {
                caught.insert(m.caught_by.as_str());
            }
        }
        if !list.iter().any(Mutant::is_control) {
            self.problem(
                file.clone(),
                format!(
                    "`{}` has no control: a correct implementation in another style, with caught_by = \"\"",
                    lesson.slug
                ),
            );
        }
        for stage in ex.stages.iter().filter(|s| !is_benchmark(&s.id) && !caught.contains(s.id.as_str())) {
            self.problem(
                file.clone(),
                format!("stage `{}` is caught by no mutant: add the mistake it exists to catch", stage.id),
            );
        }
        for (krate, have) in &declared {
            let manifest = format!("{}/{krate}/Cargo.toml", self.rel(&dir));
            let Some(have) = have else { continue };
            let Some(used) = used.get(krate.as_str()) else {
                self.problem(manifest, format!("a crate that no entry of {file} grades"));
                continue;
            };
            for f in have.iter().filter(|f| *f != "default" && !used.contains(f.as_str())) {
                self.problem(manifest.clone(), format!("feature `{f}` is in no entry of {file}"));
            }
        }
    }

    fn readme(&mut self) {
        let path = self.root.join(README);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return self.problem(README, "missing: the course's front page, with its lesson table");
        };
        match table_span(&text) {
            None => self.problem(README, format!("no lesson table (a line `{TABLE_HEADER}`)")),
            Some((line, current)) => {
                if current != readme_table(self.catalog) {
                    self.problem(
                        format!("{README}:{line}"),
                        "the lesson table is not course.toml's; `cargo grader dev readme` rewrites it",
                    );
                }
            }
        }
    }
}

/// The README's lesson table, rendered from the catalogue: one row per
/// lesson in reading order, its title linking to the lesson file, and its
/// exercise's crate (or `—` for a lesson to read only).
pub fn readme_table(catalog: &Catalog) -> String {
    let mut out = format!("{TABLE_HEADER}\n| - | ------ | -------- |\n");
    for (i, lesson) in catalog.lessons.iter().enumerate() {
        let rel = |p: &Path| p.strip_prefix(&catalog.root).unwrap_or(p).display().to_string();
        let exercise = lesson.exercise.as_ref().map_or("—".to_string(), |e| format!("`{}`", rel(&e.crate_dir)));
        out.push_str(&format!("| {} | [{}]({}) | {exercise} |\n", i + 1, lesson.title, rel(&lesson.file)));
    }
    out
}

/// Rewrites the README's lesson table from the catalogue. Returns whether
/// the file changed.
pub fn write_readme_table(catalog: &Catalog) -> anyhow::Result<bool> {
    let path = catalog.root.join(README);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let Some(start) = text.lines().position(|l| l.trim_end() == TABLE_HEADER) else {
        anyhow::bail!("{README} has no lesson table (a line `{TABLE_HEADER}`) to rewrite");
    };
    let lines: Vec<&str> = text.lines().collect();
    let end = (start..lines.len()).find(|&i| !lines[i].starts_with('|')).unwrap_or(lines.len());
    let mut out: String = lines[..start].iter().map(|l| format!("{l}\n")).collect();
    out.push_str(&readme_table(catalog));
    for l in &lines[end..] {
        out.push_str(l);
        out.push('\n');
    }
    if out == text {
        return Ok(false);
    }
    crate::runner::write_atomic(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    Ok(true)
}

/// The 1-based line of the table's header and the table's text.
fn table_span(text: &str) -> Option<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == TABLE_HEADER)?;
    let table: String = lines[start..].iter().take_while(|l| l.starts_with('|')).map(|l| format!("{l}\n")).collect();
    Some((start + 1, table))
}

/// The manifest folders of the workspace's members, canonical.
fn workspace_members(root: &Path) -> anyhow::Result<BTreeSet<PathBuf>> {
    #[derive(Deserialize)]
    struct Metadata {
        packages: Vec<Package>,
        workspace_members: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Package {
        id: String,
        manifest_path: PathBuf,
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        // One line: cargo's message, then its causes.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty() && *l != "Caused by:").collect();
        anyhow::bail!("cargo metadata: {}", lines.join(" "));
    }
    let meta: Metadata = serde_json::from_slice(&out.stdout).context("reading cargo metadata")?;
    let members: BTreeSet<&str> = meta.workspace_members.iter().map(String::as_str).collect();
    Ok(meta
        .packages
        .iter()
        .filter(|p| members.contains(p.id.as_str()))
        .filter_map(|p| p.manifest_path.parent().map(|d| d.canonicalize().unwrap_or_else(|_| d.to_path_buf())))
        .collect())
}

/// The `[features]` of a manifest (`None` when there is no manifest).
fn features(manifest: &Path) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    Some(table.get("features").and_then(toml::Value::as_table).map(|f| f.keys().cloned().collect()).unwrap_or_default())
}

/// The folders directly in `dir` (none if it does not exist), sorted.
fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The files directly in `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Every file under `dir` (but `target/`), by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if entry.file_name() == "target" {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.insert(path.strip_prefix(base).unwrap_or(&path).to_path_buf(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
