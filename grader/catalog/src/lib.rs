//! The course catalogue: `course.toml` at the workspace root.
//!
//! It lists the lessons in reading order. A lesson may come with an exercise:
//! the learner's crate, the reference solution, the pristine stub that `reset`
//! restores, the hidden suite that grades it, and the suite's stages with their
//! titles and hints (the grader shows hints one at a time).
//!
//! Loading is strict: an unknown key, a missing file, a duplicate slug or stage
//! id, a `suite` with no module under `grader/suites/src/` is an error that
//! names the file, line and column, because a typo in the catalogue should
//! never silently drop a lesson, nor read later as the learner's compile
//! error. (That the suite's stages are the catalogue's can only be known once
//! the suite is built: the grader checks it then, with `runner list`.)
//!
//! ```toml
//! format_version = 1
//! title = "System design, built"
//!
//! [[lesson]]
//! slug = "token-bucket"
//! title = "Rate limiting with a token bucket"
//! file = "lessons/1-front-door/token-bucket.md"
//!
//! [lesson.exercise]
//! crate = "exercises/token-bucket"
//! solution = "solutions/token-bucket"
//! pristine = "exercises/.pristine/token-bucket"
//! suite = "token_bucket"          # grader/suites/src/token_bucket.rs
//! simulation = false              # whether `cargo grader simulate` has one to run
//!
//! [[lesson.exercise.stage]]
//! id = "starts-full"
//! title = "starts full, allows exactly capacity"
//! hints = ["A new bucket holds `capacity` tokens."]
//! ```

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
/// module `x.rs` (or `x/mod.rs`) of the `grader-suites` crate.
pub const SUITES_DIR: &str = "grader/suites/src";

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
                    format!("slug `{slug}` must be lowercase letters, digits and dashes"),
                ));
            }
            if let Some(first) = seen.get(&slug) {
                let line = line_col(text, first.start).0;
                return Err(at(lesson.slug.span(), format!("duplicate slug `{slug}` (first used on line {line})")));
            }
            seen.insert(slug.clone(), lesson.slug.span());
            let file = existing(root, &lesson.file, "lesson file").map_err(|m| at(lesson.file.span(), m))?;
            let exercise = match lesson.exercise {
                None => None,
                Some(ex) => Some(exercise(root, ex).map_err(|(span, m)| at(span, m))?),
            };
            lessons.push(Lesson { slug, title: lesson.title, file, exercise });
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

fn exercise(root: &Path, ex: RawExercise) -> Result<Exercise, (Range<usize>, String)> {
    let crate_dir = existing(root, &ex.krate, "exercise crate").map_err(|m| (ex.krate.span(), m))?;
    let solution_dir = existing(root, &ex.solution, "solution crate").map_err(|m| (ex.solution.span(), m))?;
    let pristine_dir = existing(root, &ex.pristine, "pristine stub").map_err(|m| (ex.pristine.span(), m))?;
    suite_module(root, ex.suite.get_ref()).map_err(|m| (ex.suite.span(), m))?;
    if ex.stage.is_empty() {
        return Err((ex.suite.span(), "an exercise needs at least one [[lesson.exercise.stage]]".into()));
    }
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut stages = Vec::with_capacity(ex.stage.len());
    for stage in ex.stage {
        let id = stage.id.get_ref().clone();
        if !is_slug(&id) {
            return Err((stage.id.span(), format!("stage id `{id}` must be lowercase letters, digits and dashes")));
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
    Ok(Exercise {
        crate_dir,
        solution_dir,
        pristine_dir,
        suite: ex.suite.into_inner(),
        simulation: ex.simulation,
        stages,
    })
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
    let dir = root.join(SUITES_DIR);
    let candidates = [dir.join(format!("{suite}.rs")), dir.join(suite).join("mod.rs")];
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!("suite `{suite}` does not exist: there is no {SUITES_DIR}/{suite}.rs nor {SUITES_DIR}/{suite}/mod.rs")
    })
}

fn existing(root: &Path, rel: &Spanned<String>, what: &str) -> Result<PathBuf, String> {
    let path = root.join(rel.get_ref());
    if path.exists() { Ok(path) } else { Err(format!("{what} `{}` does not exist", rel.get_ref())) }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
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
    file: Spanned<String>,
    exercise: Option<RawExercise>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    #[serde(rename = "crate")]
    krate: Spanned<String>,
    solution: Spanned<String>,
    pristine: Spanned<String>,
    suite: Spanned<String>,
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

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for d in ["lessons", "ex", "sol", "pri", SUITES_DIR] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        std::fs::write(dir.path().join("lessons/a.md"), "# A").expect("write");
        std::fs::write(dir.path().join(SUITES_DIR).join("a.rs"), "// suite a").expect("write");
        dir
    }

    const GOOD: &str = r#"format_version = 1
title = "T"

[[lesson]]
slug = "a"
title = "A"
file = "lessons/a.md"

[lesson.exercise]
crate = "ex"
solution = "sol"
pristine = "pri"
suite = "a"

[[lesson.exercise.stage]]
id = "one"
title = "first"
hints = ["h1", "h2"]
"#;

    fn parse(dir: &Path, text: &str) -> Result<Catalog, CatalogError> {
        Catalog::parse(dir, Path::new("course.toml"), text)
    }

    fn error_text(text: &str) -> String {
        let dir = fixture();
        match parse(dir.path(), text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_good_catalogue_loads() {
        let dir = fixture();
        let c = parse(dir.path(), GOOD).expect("valid");
        let (lesson, ex) = c.exercises().next().expect("one exercise");
        assert_eq!(lesson.slug, "a");
        assert_eq!(ex.stages[0].hints, ["h1", "h2"]);
        assert_eq!(ex.stages[0].timeout_ms, DEFAULT_STAGE_TIMEOUT_MS);
        assert_eq!(ex.stage("one").map(|(n, _)| n), Some(1));
        assert!(!ex.simulation, "no simulation unless the catalogue says so");
    }

    #[test]
    fn a_suite_without_a_module_is_located() {
        let e = error_text(&GOOD.replace("suite = \"a\"", "suite = \"b\""));
        assert_eq!(
            e,
            "course.toml:13:9: suite `b` does not exist: there is no grader/suites/src/b.rs nor grader/suites/src/b/mod.rs"
        );
        let e = error_text(&GOOD.replace("suite = \"a\"", "suite = \"token-bucket\""));
        assert!(e.starts_with("course.toml:13:9: suite `token-bucket` must be a module name"), "{e}");
    }

    #[test]
    fn a_suite_may_be_a_folder_and_declare_a_simulation() {
        let dir = fixture();
        std::fs::create_dir_all(dir.path().join(SUITES_DIR).join("b")).expect("mkdir");
        std::fs::write(dir.path().join(SUITES_DIR).join("b/mod.rs"), "").expect("write");
        let text = GOOD.replace("suite = \"a\"", "suite = \"b\"\nsimulation = true");
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
    fn a_missing_lesson_file_names_its_line() {
        let e = error_text(&GOOD.replace("lessons/a.md", "lessons/nope.md"));
        assert_eq!(e, "course.toml:7:8: lesson file `lessons/nope.md` does not exist");
    }

    #[test]
    fn a_duplicate_slug_points_at_both() {
        let second = "\n[[lesson]]\nslug = \"a\"\ntitle = \"again\"\nfile = \"lessons/a.md\"\n";
        let e = error_text(&format!("{GOOD}{second}"));
        assert_eq!(e, "course.toml:21:8: duplicate slug `a` (first used on line 5)");
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
