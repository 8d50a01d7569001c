//! The course catalogue: `course.toml` at the workspace root.
//!
//! It lists the lessons in reading order. A lesson may come with an exercise:
//! the learner's crate, the reference solution, the pristine stub that `reset`
//! restores, the hidden suite that grades it, and the suite's stages with their
//! titles and hints (the grader shows hints one at a time).
//!
//! **Convention over configuration.** Everything a lesson's slug `S` implies
//! is derived from it, so a lesson says only what is particular to it:
//!
//! | what | derived | key that overrides it |
//! | --- | --- | --- |
//! | the lesson's markdown | the one `lessons/*/S.md` | `file` |
//! | the learner's crate | `exercises/S` | `crate` |
//! | the reference solution | `solutions/S` | `solution` |
//! | the pristine stub | `exercises/.pristine/S` | `pristine` |
//! | the hidden suite | `S` with `-` → `_` (`grader/suites/src/<suite>/`) | `suite` |
//!
//! A lesson has an exercise when it has stages (or an `[lesson.exercise]`
//! table). A minimal lesson with an exercise is therefore:
//!
//! ```toml
//! format_version = 1
//! title = "System design, built"
//!
//! [[lesson]]
//! slug = "token-bucket"                  # lessons/*/token-bucket.md, exercises/token-bucket, …
//! title = "Rate limiting with a token bucket"
//!
//! [[lesson.exercise.stage]]
//! id = "starts-full"
//! title = "starts full, allows exactly capacity"
//! hints = ["A new bucket holds `capacity` tokens."]
//! ```
//!
//! and `[lesson.exercise]` with `simulation = true` says the suite carries
//! an ungraded simulation (`cargo grader simulate`).
//!
//! Loading is strict: an unknown key, a missing file, a duplicate slug or stage
//! id, a suite with no module under `grader/suites/src/` is an error that
//! names the file, line and column, because a typo in the catalogue should
//! never silently drop a lesson, nor read later as the learner's compile
//! error. A derived path that does not exist is reported at the lesson's
//! `slug` line, with the path that was looked for. (That the suite's stages
//! are the catalogue's can only be known once the suite is built: the grader
//! checks it then, with `runner list`, and so does `cargo grader dev check`.)

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// The only `format_version` this grader understands.
pub const FORMAT_VERSION: u32 = 1;

/// Default wall-clock limit of a stage, in milliseconds.
pub const DEFAULT_STAGE_TIMEOUT_MS: u64 = 30_000;

/// The catalogue's file name, at the workspace root.
pub const FILE_NAME: &str = "course.toml";

/// Where the suites live, relative to the workspace root: suite `x` is the
/// folder `x/` (its `mod.rs`, a stage per file) of the `grader-suites` crate.
pub const SUITES_DIR: &str = "grader/suites/src";

/// Where the lessons live: one folder per part of the course, named
/// `<n>-<part>` (`1-front-door`), holding `<slug>.md`.
pub const LESSONS_DIR: &str = "lessons";

/// The learner's crates: `exercises/<slug>`.
pub const EXERCISES_DIR: &str = "exercises";

/// The reference solutions: `solutions/<slug>`.
pub const SOLUTIONS_DIR: &str = "solutions";

/// The pristine stubs that `reset` restores: `exercises/.pristine/<slug>`.
pub const PRISTINE_DIR: &str = "exercises/.pristine";

/// What the convention derives from a slug, relative to the workspace root
/// (each can be overridden in `course.toml`; see the crate's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// `exercises/<slug>`.
    pub crate_dir: String,
    /// `solutions/<slug>`.
    pub solution_dir: String,
    /// `exercises/.pristine/<slug>`.
    pub pristine_dir: String,
    /// The slug with `-` → `_`: a Rust module name.
    pub suite: String,
}

impl Derived {
    /// The conventional places of `slug`'s exercise.
    pub fn of(slug: &str) -> Derived {
        Derived {
            crate_dir: format!("{EXERCISES_DIR}/{slug}"),
            solution_dir: format!("{SOLUTIONS_DIR}/{slug}"),
            pristine_dir: format!("{PRISTINE_DIR}/{slug}"),
            suite: slug.replace('-', "_"),
        }
    }
}

/// A loaded, validated catalogue. Paths in it are absolute.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The workspace root (the folder holding `course.toml`).
    pub root: PathBuf,
    /// The course's title.
    pub title: String,
    /// Lessons in reading order.
    pub lessons: Vec<Lesson>,
}

/// One lesson.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// Stable identifier, used on the command line (`cargo grade token-bucket`).
    pub slug: String,
    /// The 1-based line of its `slug` in `course.toml`, for messages about it.
    pub line: usize,
    /// Human title.
    pub title: String,
    /// The lesson's markdown file.
    pub file: PathBuf,
    /// The exercise, if the lesson has one.
    pub exercise: Option<Exercise>,
}

/// The exercise of a lesson.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// The learner's crate.
    pub crate_dir: PathBuf,
    /// The reference solution's crate.
    pub solution_dir: PathBuf,
    /// The pristine stub that `reset` restores.
    pub pristine_dir: PathBuf,
    /// Name of the hidden suite (a module of the `grader-suites` crate,
    /// checked to exist under [`SUITES_DIR`]).
    pub suite: String,
    /// Whether the suite carries an ungraded simulation
    /// (`cargo grader simulate`); the grader refuses to simulate an exercise
    /// without one before building anything.
    pub simulation: bool,
    /// Stages in the order they are graded.
    pub stages: Vec<Stage>,
}

/// One graded stage.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Stable identifier, shared with the suite.
    pub id: String,
    /// What the stage proves, in a few words.
    pub title: String,
    /// Hints, from gentle to explicit.
    pub hints: Vec<String>,
    /// Wall-clock limit for the stage's process.
    pub timeout_ms: u64,
}

impl Catalog {
    /// Reads `course.toml` from `root`.
    pub fn load(root: &Path) -> Result<Catalog, CatalogError> {
        let path = root.join(FILE_NAME);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CatalogError::Io { path: path.clone(), message: e.to_string() })?;
        Catalog::parse(root, &path, &text)
    }

    /// Parses catalogue text; `path` is only used in error messages.
    pub fn parse(root: &Path, path: &Path, text: &str) -> Result<Catalog, CatalogError> {
        let at = |span: Range<usize>, message: String| CatalogError::at(path, text, span, message);
        let raw: RawCatalog = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            at(span, e.message().to_string())
        })?;
        if *raw.format_version.get_ref() != FORMAT_VERSION {
            return Err(at(
                raw.format_version.span(),
                format!(
                    "format_version {} is not supported (this grader reads version {FORMAT_VERSION})",
                    raw.format_version.get_ref()
                ),
            ));
        }
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        let mut lessons = Vec::with_capacity(raw.lesson.len());
        for lesson in raw.lesson {
            let slug = lesson.slug.get_ref().clone();
            if !is_slug(&slug) {
                return Err(at(
                    lesson.slug.span(),
                    format!(
                        "slug `{slug}` must be kebab-case: lowercase letters and digits in words joined by single dashes, starting with a letter (`token-bucket`)"
                    ),
                ));
            }
            if let Some(first) = seen.get(&slug) {
                let line = line_col(text, first.start).0;
                return Err(at(lesson.slug.span(), format!("duplicate slug `{slug}` (first used on line {line})")));
            }
            seen.insert(slug.clone(), lesson.slug.span());
            let file = match &lesson.file {
                Some(file) => existing(root, file, "lesson file").map_err(|m| at(file.span(), m))?,
                None => lesson_file(root, &slug).map_err(|m| at(lesson.slug.span(), m))?,
            };
            let exercise = match lesson.exercise {
                None => None,
                Some(ex) => Some(exercise(root, &lesson.slug, ex).map_err(|(span, m)| at(span, m))?),
            };
            let line = line_col(text, lesson.slug.span().start).0;
            lessons.push(Lesson { slug, line, title: lesson.title, file, exercise });
        }
        Ok(Catalog { root: root.to_path_buf(), title: raw.title, lessons })
    }

    /// The lesson with this slug.
    pub fn lesson(&self, slug: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.slug == slug)
    }

    /// Lessons that have an exercise, in order.
    pub fn exercises(&self) -> impl Iterator<Item = (&Lesson, &Exercise)> {
        self.lessons.iter().filter_map(|l| l.exercise.as_ref().map(|e| (l, e)))
    }
}

impl Exercise {
    /// The stage with this id, with its 1-based position.
    pub fn stage(&self, id: &str) -> Option<(usize, &Stage)> {
        self.stages.iter().enumerate().find(|(_, s)| s.id == id).map(|(i, s)| (i + 1, s))
    }
}

fn exercise(root: &Path, slug: &Spanned<String>, ex: RawExercise) -> Result<Exercise, (Range<usize>, String)> {
    let derived = Derived::of(slug.get_ref());
    // An explicit key is checked where it is written; a derived path at the
    // slug that implies it, naming what was looked for.
    let place = |key: &Option<Spanned<String>>, derived: &str, what: &str, name: &str| match key {
        Some(k) => existing(root, k, what).map_err(|m| (k.span(), m)),
        None => existing_derived(root, derived, what, slug.get_ref(), name).map_err(|m| (slug.span(), m)),
    };
    let crate_dir = place(&ex.krate, &derived.crate_dir, "exercise crate", "crate")?;
    let solution_dir = place(&ex.solution, &derived.solution_dir, "solution crate", "solution")?;
    let pristine_dir = place(&ex.pristine, &derived.pristine_dir, "pristine stub", "pristine")?;
    let suite = match &ex.suite {
        Some(suite) => {
            suite_module(root, suite.get_ref()).map_err(|m| (suite.span(), m))?;
            suite.get_ref().clone()
        }
        None => {
            suite_module(root, &derived.suite).map_err(|m| {
                (slug.span(), format!("{m} (the suite is derived from the slug; `suite = \"...\"` under [lesson.exercise] overrides it)"))
            })?;
            derived.suite
        }
    };
    if ex.stage.is_empty() {
        return Err((
            slug.span(),
            format!("exercise `{}` needs at least one [[lesson.exercise.stage]]", slug.get_ref()),
        ));
    }
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut stages = Vec::with_capacity(ex.stage.len());
    for stage in ex.stage {
        let id = stage.id.get_ref().clone();
        if !is_slug(&id) {
            return Err((
                stage.id.span(),
                format!(
                    "stage id `{id}` must be kebab-case: lowercase letters and digits in words joined by single dashes, starting with a letter (`starts-full`)"
                ),
            ));
        }
        if ids.insert(id.clone(), stages.len()).is_some() {
            return Err((stage.id.span(), format!("duplicate stage id `{id}`")));
        }
        stages.push(Stage {
            id,
            title: stage.title,
            hints: stage.hints,
            timeout_ms: stage.timeout_ms.unwrap_or(DEFAULT_STAGE_TIMEOUT_MS),
        });
    }
    Ok(Exercise { crate_dir, solution_dir, pristine_dir, suite, simulation: ex.simulation, stages })
}

/// The one `lessons/*/<slug>.md`: zero or two are an error that says so.
fn lesson_file(root: &Path, slug: &str) -> Result<PathBuf, String> {
    let lessons = root.join(LESSONS_DIR);
    let entries = std::fs::read_dir(&lessons).map_err(|e| format!("cannot read {LESSONS_DIR}/: {e}"))?;
    let mut found: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path().join(format!("{slug}.md"))).filter(|p| p.is_file()).collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!(
            "no lesson file for `{slug}`: looked for {LESSONS_DIR}/*/{slug}.md (a part folder such as {LESSONS_DIR}/1-front-door/); `file = \"...\"` overrides it"
        )),
        _ => {
            let names: Vec<String> =
                found.iter().map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string()).collect();
            Err(format!(
                "two lesson files for `{slug}`: {}; keep one, or say which with `file = \"...\"`",
                names.join(", ")
            ))
        }
    }
}

fn existing_derived(root: &Path, rel: &str, what: &str, slug: &str, key: &str) -> Result<PathBuf, String> {
    let path = root.join(rel);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{what} `{rel}` does not exist (derived from slug `{slug}`; `{key} = \"...\"` under [lesson.exercise] overrides it)"
        ))
    }
}

/// The suite's module file, which must exist: a `suite` that names none
/// would otherwise fail later, inside the runner, as if the learner's crate
/// did not compile.
fn suite_module(root: &Path, suite: &str) -> Result<PathBuf, String> {
    let identifier = suite.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && suite.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !identifier {
        return Err(format!(
            "suite `{suite}` must be a module name: lowercase letters, digits and underscores (`token_bucket`)"
        ));
    }
    let file = root.join(SUITES_DIR).join(suite).join("mod.rs");
    if file.is_file() {
        Ok(file)
    } else {
        Err(format!("suite `{suite}` does not exist: there is no {SUITES_DIR}/{suite}/mod.rs"))
    }
}

fn existing(root: &Path, rel: &Spanned<String>, what: &str) -> Result<PathBuf, String> {
    let path = root.join(rel.get_ref());
    if path.exists() { Ok(path) } else { Err(format!("{what} `{}` does not exist", rel.get_ref())) }
}

/// Whether `s` is a slug: kebab-case, that is lowercase ASCII letters and
/// digits in words joined by single dashes, starting with a letter
/// (`token-bucket`, `l4-proxy`). Lesson slugs and stage ids are slugs; a
/// lesson's slug with `-` → `_` is then a Rust module name (its suite).
pub fn is_slug(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.split('-').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Why `course.toml` could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// The file was read but is not a valid catalogue.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl CatalogError {
    fn at(path: &Path, text: &str, span: Range<usize>, message: String) -> CatalogError {
        let (line, column) = line_col(text, span.start);
        CatalogError::Invalid { path: path.to_path_buf(), line, column, message: message.trim().to_string() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    format_version: Spanned<u32>,
    title: String,
    #[serde(default)]
    lesson: Vec<RawLesson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    slug: Spanned<String>,
    title: String,
    file: Option<Spanned<String>>,
    exercise: Option<RawExercise>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    #[serde(rename = "crate")]
    krate: Option<Spanned<String>>,
    solution: Option<Spanned<String>>,
    pristine: Option<Spanned<String>>,
    suite: Option<Spanned<String>>,
    #[serde(default)]
    simulation: bool,
    #[serde(default)]
    stage: Vec<RawStage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    hints: Vec<String>,
    timeout_ms: Option<u64>,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.title, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A course folder where lesson `a` has everything in its conventional
    /// place, and an unconventional `ex`, `sol`, `pri` and suite `b` exist
    /// for the overrides.
    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path();
        for d in ["lessons/1-part", "exercises/a", "solutions/a", "exercises/.pristine/a", "ex", "sol", "pri"] {
            std::fs::create_dir_all(p.join(d)).expect("mkdir");
        }
        for suite in ["a", "b"] {
            std::fs::create_dir_all(p.join(SUITES_DIR).join(suite)).expect("mkdir");
            std::fs::write(p.join(SUITES_DIR).join(suite).join("mod.rs"), "// suite").expect("write");
        }
        std::fs::write(p.join("lessons/1-part/a.md"), "# A").expect("write");
        std::fs::write(p.join("lessons/other.md"), "# other").expect("write");
        dir
    }

    /// Everything derived from the slug.
    const GOOD: &str = r#"format_version = 1
title = "T"

[[lesson]]
slug = "a"
title = "A"

[[lesson.exercise.stage]]
id = "one"
title = "first"
hints = ["h1", "h2"]
"#;

    /// Everything overridden.
    const EXPLICIT: &str = r#"format_version = 1
title = "T"

[[lesson]]
slug = "a"
title = "A"
file = "lessons/other.md"

[lesson.exercise]
crate = "ex"
solution = "sol"
pristine = "pri"
suite = "b"

[[lesson.exercise.stage]]
id = "one"
title = "first"
"#;

    fn parse(dir: &Path, text: &str) -> Result<Catalog, CatalogError> {
        Catalog::parse(dir, Path::new("course.toml"), text)
    }

    fn error_in(dir: &Path, text: &str) -> String {
        match parse(dir, text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    fn error_text(text: &str) -> String {
        error_in(fixture().path(), text)
    }

    #[test]
    fn a_good_catalogue_loads_with_everything_derived_from_the_slug() {
        let dir = fixture();
        let c = parse(dir.path(), GOOD).expect("valid");
        let (lesson, ex) = c.exercises().next().expect("one exercise");
        assert_eq!(lesson.slug, "a");
        assert_eq!(lesson.line, 5);
        assert_eq!(lesson.file, dir.path().join("lessons/1-part/a.md"));
        assert_eq!(ex.crate_dir, dir.path().join("exercises/a"));
        assert_eq!(ex.solution_dir, dir.path().join("solutions/a"));
        assert_eq!(ex.pristine_dir, dir.path().join("exercises/.pristine/a"));
        assert_eq!(ex.suite, "a");
        assert_eq!(ex.stages[0].hints, ["h1", "h2"]);
        assert_eq!(ex.stages[0].timeout_ms, DEFAULT_STAGE_TIMEOUT_MS);
        assert_eq!(ex.stage("one").map(|(n, _)| n), Some(1));
        assert!(!ex.simulation, "no simulation unless the catalogue says so");
    }

    #[test]
    fn every_derived_place_can_be_overridden() {
        let dir = fixture();
        let c = parse(dir.path(), EXPLICIT).expect("valid");
        let (lesson, ex) = c.exercises().next().expect("one exercise");
        assert_eq!(lesson.file, dir.path().join("lessons/other.md"));
        assert_eq!(ex.crate_dir, dir.path().join("ex"));
        assert_eq!(ex.solution_dir, dir.path().join("sol"));
        assert_eq!(ex.pristine_dir, dir.path().join("pri"));
        assert_eq!(ex.suite, "b");
    }

    #[test]
    fn a_slug_with_dashes_derives_a_module_name() {
        assert_eq!(
            Derived::of("token-bucket"),
            Derived {
                crate_dir: "exercises/token-bucket".into(),
                solution_dir: "solutions/token-bucket".into(),
                pristine_dir: "exercises/.pristine/token-bucket".into(),
                suite: "token_bucket".into(),
            }
        );
    }

    #[test]
    fn a_lesson_without_stages_is_reading_only() {
        let dir = fixture();
        let text = "format_version = 1\ntitle = \"T\"\n[[lesson]]\nslug = \"a\"\ntitle = \"A\"\n";
        let c = parse(dir.path(), text).expect("valid");
        assert!(c.lessons[0].exercise.is_none());
        assert_eq!(c.exercises().count(), 0);
    }

    #[test]
    fn a_derived_path_that_does_not_exist_names_the_slug_and_the_path() {
        let dir = fixture();
        std::fs::remove_dir_all(dir.path().join("solutions/a")).expect("rm");
        assert_eq!(
            error_in(dir.path(), GOOD),
            "course.toml:5:8: solution crate `solutions/a` does not exist (derived from slug `a`; `solution = \"...\"` under [lesson.exercise] overrides it)"
        );
        std::fs::remove_dir_all(dir.path().join(SUITES_DIR).join("a")).expect("rm");
        let e = error_in(
            dir.path(),
            &GOOD.replace("title = \"A\"", "title = \"A\"\n[lesson.exercise]\nsolution = \"sol\""),
        );
        assert_eq!(
            e,
            "course.toml:5:8: suite `a` does not exist: there is no grader/suites/src/a/mod.rs (the suite is derived from the slug; `suite = \"...\"` under [lesson.exercise] overrides it)"
        );
    }

    #[test]
    fn the_lesson_file_is_the_one_in_a_part_folder() {
        let dir = fixture();
        std::fs::create_dir_all(dir.path().join("lessons/2-more")).expect("mkdir");
        std::fs::write(dir.path().join("lessons/2-more/a.md"), "# again").expect("write");
        assert_eq!(
            error_in(dir.path(), GOOD),
            "course.toml:5:8: two lesson files for `a`: lessons/1-part/a.md, lessons/2-more/a.md; keep one, or say which with `file = \"...\"`"
        );
        let e = error_in(dir.path(), &GOOD.replace("\"a\"", "\"zz\""));
        assert_eq!(
            e,
            "course.toml:5:8: no lesson file for `zz`: looked for lessons/*/zz.md (a part folder such as lessons/1-front-door/); `file = \"...\"` overrides it"
        );
    }

    #[test]
    fn an_explicit_suite_without_a_module_is_located() {
        let e = error_text(&EXPLICIT.replace("suite = \"b\"", "suite = \"c\""));
        assert_eq!(e, "course.toml:13:9: suite `c` does not exist: there is no grader/suites/src/c/mod.rs");
        let e = error_text(&EXPLICIT.replace("suite = \"b\"", "suite = \"token-bucket\""));
        assert!(e.starts_with("course.toml:13:9: suite `token-bucket` must be a module name"), "{e}");
    }

    #[test]
    fn a_suite_is_a_folder_and_may_declare_a_simulation() {
        let dir = fixture();
        std::fs::write(dir.path().join(SUITES_DIR).join("c.rs"), "").expect("write");
        let e = error_in(dir.path(), &EXPLICIT.replace("suite = \"b\"", "suite = \"c\""));
        assert!(e.ends_with("there is no grader/suites/src/c/mod.rs"), "a module file is no suite folder: {e}");
        std::fs::create_dir_all(dir.path().join(SUITES_DIR).join("c")).expect("mkdir");
        std::fs::write(dir.path().join(SUITES_DIR).join("c/mod.rs"), "").expect("write");
        let text = EXPLICIT.replace("suite = \"b\"", "suite = \"c\"\nsimulation = true");
        let c = parse(dir.path(), &text).expect("valid");
        assert!(c.exercises().next().expect("one exercise").1.simulation);
    }

    #[test]
    fn an_unknown_key_names_line_and_column() {
        let text = GOOD.replace("title = \"A\"", "title = \"A\"\ntitel = \"oops\"");
        let e = error_text(&text);
        assert!(e.starts_with("course.toml:7:1: unknown field `titel`"), "{e}");
    }

    #[test]
    fn a_missing_explicit_path_names_its_line() {
        let e = error_text(&EXPLICIT.replace("lessons/other.md", "lessons/nope.md"));
        assert_eq!(e, "course.toml:7:8: lesson file `lessons/nope.md` does not exist");
        let e = error_text(&EXPLICIT.replace("crate = \"ex\"", "crate = \"exx\""));
        assert_eq!(e, "course.toml:10:9: exercise crate `exx` does not exist");
    }

    #[test]
    fn an_exercise_without_stages_is_refused_at_its_slug() {
        let text = "format_version = 1\ntitle = \"T\"\n[[lesson]]\nslug = \"a\"\ntitle = \"A\"\n[lesson.exercise]\n";
        assert_eq!(error_text(text), "course.toml:4:8: exercise `a` needs at least one [[lesson.exercise.stage]]");
    }

    #[test]
    fn a_duplicate_slug_points_at_both() {
        let second = "\n[[lesson]]\nslug = \"a\"\ntitle = \"again\"\n";
        let e = error_text(&format!("{GOOD}{second}"));
        assert_eq!(e, "course.toml:14:8: duplicate slug `a` (first used on line 5)");
    }

    #[test]
    fn slugs_are_kebab_case() {
        for good in ["a", "token-bucket", "l4-proxy", "x2"] {
            assert!(is_slug(good), "{good}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "4a", "a_b", "a b", "é"] {
            assert!(!is_slug(bad), "{bad:?}");
        }
        let e = error_text(&GOOD.replace("slug = \"a\"", "slug = \"Token_Bucket\""));
        assert!(e.starts_with("course.toml:5:8: slug `Token_Bucket` must be kebab-case"), "{e}");
    }

    #[test]
    fn a_duplicate_stage_id_is_refused() {
        let extra = "\n[[lesson.exercise.stage]]\nid = \"one\"\ntitle = \"again\"\n";
        let e = error_text(&format!("{GOOD}{extra}"));
        assert!(e.contains("duplicate stage id `one`"), "{e}");
    }

    #[test]
    fn an_unsupported_version_is_refused() {
        let e = error_text(&GOOD.replace("format_version = 1", "format_version = 7"));
        assert!(e.starts_with("course.toml:1:18: format_version 7 is not supported"), "{e}");
    }

    #[test]
    fn broken_toml_is_located() {
        let e = error_text(&GOOD.replace("title = \"T\"", "title = \"T"));
        assert!(e.starts_with("course.toml:2:"), "{e}");
    }
}
