//! Builds a *runner*: the hidden suite linked with one implementation.
//!
//! Every implementation the grader grades (the learner's crate, the reference,
//! a known-buggy mutant, a hostile fixture) goes through this one path: a tiny
//! crate is generated under `target/grader/runners/`, depending on the suite,
//! the implementation (as `subject`) and the reference (as `reference`, for
//! benchmarks), and built with cargo in release mode into a target directory
//! shared by all runners, so the suite and its dependencies compile once.
//!
//! That target directory is the grader's own ([`target_dir`]), and `cargo
//! grade` builds the grader in the same release profile (grader/launch): the
//! runner copies the workspace's `[profile.release]` keys and declares
//! [`SHARED`], so that cargo resolves the crates both use (serde, syn, libc,
//! rand…) with the same features as for the grader, and compiles each once.
//! (The course's own path crates, suites and contracts, compile for the
//! runners alone: cargo identifies a path crate by its path relative to the
//! workspace being built, and a runner is a workspace of its own.)
//!
//! The runner's `main` is written from the suite's own declaration of what an
//! implementation must export: `pub const EXPORTS: &[&str]` in
//! `grader/suites/src/<suite>/mod.rs`, one entry per export, in the order the
//! suite's `Subject::of` takes them:
//!
//! ```text
//! pub const EXPORTS: &[&str] = &["pub struct TokenBucket: Bucket", "pub struct Limiter: KeyedLimiter"];
//! ```
//!
//! A `pub struct X: Trait` is a type argument of `Subject::of`, a `pub fn x(…)`
//! a value argument. The grader reads that text and depends on no suite; a
//! crate that lacks an export, or exports it under another name or shape, is
//! told so in those words (`your crate must export …`), not in rustc's.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, BufRead as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

/// A built runner, ready to run stages.
#[derive(Debug, Clone)]
pub struct Runner {
    /// The runner executable.
    pub binary: PathBuf,
}

/// Why a runner could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The implementation does not compile: the first errors, as rustc renders them.
    #[error("does not compile")]
    Compile {
        /// The first few errors, rendered.
        errors: Vec<String>,
        /// How many errors there were in all.
        total: usize,
    },
    /// Cargo failed before compiling (bad manifest, missing dependency…).
    #[error("cargo could not build it: {0}")]
    Cargo(String),
    /// Something that is not the implementation does not compile: the suite,
    /// the contracts, the reference, or the runner's `main` (a suite without
    /// a readable `EXPORTS`). A fault of the course, never the learner's.
    #[error(
        "the course does not build (a fault of the course or the grader, not of the crate graded):\n\n{}",
        errors.join("\n\n")
    )]
    Course {
        /// The first few errors, rendered.
        errors: Vec<String>,
    },
    /// The implementation's crate could not be read.
    #[error("{path}: {message}")]
    Crate {
        /// The crate's folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An I/O error while preparing the build.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// What a runner says its suite has (`runner list`): the stage ids, one a
/// line, in grading order, then a line `+simulation` when the suite carries
/// one. Stage ids are slugs, so a `+` line cannot be one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Stage ids, in the suite's order.
    pub stages: Vec<String>,
    /// Whether `runner simulate` has a simulation to run.
    pub simulation: bool,
}

impl Listing {
    /// Reads `runner list`'s output.
    pub fn parse(text: &str) -> Listing {
        let mut listing = Listing::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.strip_prefix('+') {
                Some("simulation") => listing.simulation = true,
                Some(_) => {}
                None => listing.stages.push(line.to_string()),
            }
        }
        listing
    }
}

/// Errors shown in full; the rest are counted.
const SHOWN_ERRORS: usize = 3;

/// How every message about a missing export starts.
pub const MUST_EXPORT: &str = "your crate must export ";

/// One export a suite requires of an implementation (an entry of its
/// `EXPORTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// As the suite wrote it, e.g. `pub struct TokenBucket: Bucket`.
    pub text: String,
    /// The name the runner's `main` uses, e.g. `TokenBucket`.
    pub name: String,
    /// For a type, the contract trait it implements; `None` for a function.
    pub implements: Option<String>,
}

impl Export {
    /// Reads one entry: `pub struct Name: Trait` or `pub fn name(…) -> …`.
    pub fn parse(text: &str) -> Option<Export> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let is_ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if let Some(rest) = text.strip_prefix("pub struct ") {
            let (name, implements) = rest.split_once(':')?;
            let (name, implements) = (name.trim(), implements.trim());
            (is_ident(name) && !implements.is_empty()).then(|| Export {
                name: name.to_string(),
                implements: Some(implements.to_string()),
                text: text.clone(),
            })
        } else if let Some(rest) = text.strip_prefix("pub fn ") {
            let name = rest.split('(').next()?.trim();
            (is_ident(name) && rest.contains('(')).then(|| Export {
                name: name.to_string(),
                implements: None,
                text: text.clone(),
            })
        } else {
            None
        }
    }

    /// What a crate that lacks this export is told; `why` says what the
    /// compiler found instead.
    pub fn missing(&self, contract: &str, why: &str) -> String {
        match &self.implements {
            Some(t) => {
                format!("{MUST_EXPORT}`pub struct {}` implementing `contracts::{contract}::{t}`: {why}", self.name)
            }
            None => format!("{MUST_EXPORT}`{}`: {why}", self.text),
        }
    }
}

/// The exports suite `suite` declares in `suites_dir/<suite>/mod.rs`
/// (`pub const EXPORTS: &[&str] = &[…];`, string literals without escapes).
/// An `Err` is a fault of the course, said in words.
pub fn exports(suites_dir: &Path, suite: &str) -> Result<Vec<Export>, String> {
    let file = suites_dir.join(suite).join("mod.rs");
    let shown = format!("grader/suites/src/{suite}/mod.rs");
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{shown}: cannot read the suite ({e})"))?;
    let declared = text
        .split_once("pub const EXPORTS: &[&str] = &[")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .ok_or_else(|| {
            format!(
                "{shown} declares no `pub const EXPORTS: &[&str] = &[…];`: the exports an implementation must have, from which the grader writes the runner"
            )
        })?;
    let entries: Vec<&str> = declared.split('"').skip(1).step_by(2).collect();
    if entries.is_empty() {
        return Err(format!("{shown}: `EXPORTS` lists nothing"));
    }
    entries
        .iter()
        .map(|e| {
            Export::parse(e).ok_or_else(|| {
                format!("{shown}: `EXPORTS` entry {e:?} is neither `pub struct Name: Trait` nor `pub fn name(…) -> …`")
            })
        })
        .collect()
}

/// The runner's `main.rs`: the suite run with `subject` graded and
/// `reference` compared against, each made by `Subject::of` from its exports.
fn runner_main(suite: &str, exports: &[Export], subject: &str) -> String {
    let of = |krate: &str| {
        let types: Vec<String> =
            exports.iter().filter(|e| e.implements.is_some()).map(|e| format!("{krate}::{}", e.name)).collect();
        let fns: Vec<String> =
            exports.iter().filter(|e| e.implements.is_none()).map(|e| format!("{krate}::{}", e.name)).collect();
        let turbofish = if types.is_empty() { String::new() } else { format!("::<{}>", types.join(", ")) };
        format!("Subject::of{turbofish}({})", fns.join(", "))
    };
    format!(
        "// Generated by the grader from `EXPORTS` in grader/suites/src/{suite}/mod.rs.\nuse suites::{suite}::{{Subject, suite}};\n\nfn main() {{\n    suites::harness::main(suite({}, {}))\n}}\n",
        of(subject),
        of("reference")
    )
}

/// Dependencies a runner declares but never uses, so that cargo resolves
/// the crates it shares with the grader with the grader's features (the
/// grader's other dependencies ask for more of them than the suites do), and
/// both use one compiled copy. `[dependencies]` lines, then
/// `[build-dependencies]` lines (proc-macro crates' features are resolved
/// apart from the rest). `grader/tests/shared_build.rs` checks that they
/// still make every shared crate's features agree.
pub const SHARED: (&str, &str) = (
    "libc = \"0.2\"\nmemchr = \"2\"\nserde_core = { version = \"1\", default-features = false, features = [\"alloc\", \"result\", \"std\"] }\n",
    "proc-macro2 = \"1\"\nquote = \"1\"\nsyn = { version = \"3\", features = [\"full\"] }\n",
);

/// Where cargo builds the grader, and so the runners: `CARGO_TARGET_DIR`
/// when set (as cargo reads it), else `target/` at the workspace root.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::absolute(&dir).unwrap_or_else(|_| PathBuf::from(dir)),
        None => root.join("target"),
    }
}

/// The workspace's `[profile.release]`, without its per-package overrides
/// (they name the grader's crates, which a runner does not build), as TOML
/// lines; the keys a runner used before the grader shared its target folder
/// when the workspace has none.
fn release_profile(root: &Path) -> String {
    let table = std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .and_then(|t| t.get("profile")?.get("release")?.as_table().cloned());
    let Some(mut table) = table else { return "incremental = true\ndebug = false\n".to_string() };
    table.remove("package");
    table.remove("build-override");
    toml::to_string(&table).unwrap_or_default()
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildSpec<'a> {
    /// Workspace root (holds `grader/suites` and `target/`).
    pub root: &'a Path,
    /// Suite module name, e.g. `token_bucket`.
    pub suite: &'a str,
    /// The implementation to grade.
    pub subject: &'a Path,
    /// The reference implementation.
    pub reference: &'a Path,
    /// Cargo features to enable on the subject (the mutants' switches).
    pub features: &'a [String],
}

/// Generates (if changed) and builds the runner for `spec`.
pub fn build(spec: &BuildSpec<'_>) -> Result<Runner, BuildError> {
    let subject = canonical(spec.subject)?;
    let reference = canonical(spec.reference)?;
    let suites = canonical(&spec.root.join("grader/suites"))?;
    let exports = exports(&suites.join("src"), spec.suite).map_err(|e| BuildError::Course { errors: vec![e] })?;
    let target = target_dir(spec.root);
    let name = format!("runner-{}-{:016x}", spec.suite.replace('_', "-"), digest(&(&subject, spec.features)));
    let dir = target.join("grader/runners").join(&name);
    std::fs::create_dir_all(&dir)?;

    let same = subject == reference;
    let reference_pkg = package_name(&reference)?;
    let mut deps = format!(
        "suites = {{ package = \"grader-suites\", path = {} }}\nreference = {{ package = {}, path = {} }}\n",
        toml_str(&suites),
        toml_str_s(&reference_pkg),
        toml_str(&reference),
    );
    if !same {
        let subject_pkg = package_name(&subject)?;
        let features: Vec<String> = spec.features.iter().map(|f| toml_str_s(f)).collect();
        deps.push_str(&format!(
            "subject = {{ package = {}, path = {}, features = [{}] }}\n",
            toml_str_s(&subject_pkg),
            toml_str(&subject),
            features.join(", ")
        ));
    }
    let (shared, shared_build) = SHARED;
    let profile = release_profile(spec.root);
    let manifest = format!(
        "# Generated by the grader; rewritten on every build.\n[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[[bin]]\nname = \"{name}\"\npath = \"main.rs\"\n\n[dependencies]\n{deps}\n# Unused: the features the grader resolves for the crates it shares with the runners.\n{shared}\n[build-dependencies]\n{shared_build}\n[workspace]\n\n# The workspace's, so that the crates shared with the grader compile once.\n[profile.release]\n{profile}"
    );
    let subject_crate = if same { "reference" } else { "subject" };
    let main = runner_main(spec.suite, &exports, subject_crate);
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    write_if_changed(&dir.join("main.rs"), &main)?;
    if !dir.join("Cargo.lock").exists() {
        // Same versions as the workspace, and no index lookup for them.
        if let Ok(lock) = std::fs::read_to_string(spec.root.join("Cargo.lock")) {
            write_if_changed(&dir.join("Cargo.lock"), &lock)?;
        }
    }

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args(["build", "--release", "--message-format=json", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Cargo's stderr (its status lines) is read aside, so that neither pipe
    // fills while the other is read.
    let mut stderr_pipe = child.stderr.take().ok_or_else(|| io::Error::other("no stderr pipe"))?;
    let stderr_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut bytes);
        bytes
    });
    let stdout_pipe = child.stdout.take().ok_or_else(|| io::Error::other("no stdout pipe"))?;
    let progress = crate::ui::Spinner::start("checking what needs compiling…");
    let mut messages = Vec::new();
    let mut compiled = 0;
    for line in io::BufReader::new(stdout_pipe).lines() {
        let Ok(msg) = serde_json::from_str::<CargoMessage>(&line?) else { continue };
        if msg.reason == "compiler-artifact" && msg.fresh == Some(false) {
            compiled += 1;
            let krate = msg.target.as_ref().map_or("", |t| t.name.as_str());
            progress.set(format!("compiling the suite and your crate: {compiled} done, last {krate}"));
        }
        messages.push(msg);
    }
    drop(progress);
    let status = child.wait()?;
    let stderr = stderr_reader.join().unwrap_or_default();
    let mut errors = Vec::new();
    let mut course_errors = Vec::new();
    let mut binary = None;
    for msg in messages {
        match msg.reason.as_str() {
            "compiler-message" => {
                if let Some(m) = msg.message {
                    if m.level == "error" && !m.message.starts_with("aborting due to") {
                        let rendered = m.rendered.clone().unwrap_or_else(|| m.message.clone());
                        let code = m.code.as_ref().map_or("", |c| c.code.as_str());
                        match blame(msg.package_id.as_deref(), &subject, &dir, &rendered, subject_crate) {
                            Blame::Subject => errors.push(rendered),
                            Blame::Export => {
                                let said = missing_export(&rendered, code, &exports, spec.suite, subject_crate)
                                    .unwrap_or(rendered);
                                if !errors.contains(&said) {
                                    errors.push(said);
                                }
                            }
                            Blame::Course => course_errors.push(rendered),
                        }
                    }
                }
            }
            "compiler-artifact" if msg.target.as_ref().is_some_and(|t| t.name == name) => {
                binary = msg.executable.or(binary);
            }
            _ => {}
        }
    }
    if !status.success() {
        if !course_errors.is_empty() {
            course_errors.truncate(SHOWN_ERRORS);
            return Err(BuildError::Course { errors: course_errors });
        }
        if errors.is_empty() {
            let stderr = String::from_utf8_lossy(&stderr);
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim_start().starts_with("Compiling")).collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            return Err(BuildError::Cargo(tail));
        }
        let total = errors.len();
        errors.truncate(SHOWN_ERRORS);
        return Err(BuildError::Compile { errors, total });
    }
    let binary = binary.ok_or_else(|| BuildError::Cargo("cargo reported no runner executable".into()))?;
    Ok(Runner { binary })
}

/// Whose fault a compiler error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blame {
    /// The implementation graded: an error in its own code.
    Subject,
    /// The implementation graded, as the runner's `main` names it: an export
    /// it lacks, or has under another name or shape.
    Export,
    /// The suite, the contracts, the reference, or the suite's `EXPORTS`.
    Course,
}

/// Blames a compiler error on the package it arose in (`package_id`, as
/// cargo reports it: `path+file:///abs/dir#name@version` for a path
/// package). The runner's own `main.rs` names the subject's exports and the
/// suite: an error there that names the subject crate (`subject::X`, or
/// crate `subject`) is an export the subject lacks; any other is the course's.
fn blame(package_id: Option<&str>, subject: &Path, runner_dir: &Path, rendered: &str, subject_crate: &str) -> Blame {
    let Some(dir) = package_id.and_then(package_dir) else { return Blame::Subject };
    if dir == subject {
        Blame::Subject
    } else if dir == runner_dir || runner_dir.canonicalize().is_ok_and(|d| d == dir) {
        let names_subject =
            rendered.contains(&format!("{subject_crate}::")) || rendered.contains(&format!("crate `{subject_crate}`"));
        if names_subject { Blame::Export } else { Blame::Course }
    } else {
        Blame::Course
    }
}

/// The error rustc gave about an export, said as what the crate must export
/// (`None` when it names no export of the suite's list). `code` is rustc's
/// error code: E0412/E0425/E0433 (nothing of that name), E0603 (not `pub`),
/// E0277 (a type without the trait), E0308 (a function of another shape).
fn missing_export(rendered: &str, code: &str, exports: &[Export], suite: &str, krate: &str) -> Option<String> {
    // The first line is rustc's summary; the rest quotes the runner's main,
    // where each export appears as `subject::Name`. A type error is about a
    // function, a missing trait about a type.
    let candidates = exports.iter().filter(|e| match code {
        "E0308" => e.implements.is_none(),
        "E0277" => e.implements.is_some(),
        _ => true,
    });
    let summary = rendered.lines().next().unwrap_or("");
    let export = candidates
        .clone()
        .find(|e| mentions(summary, &e.name))
        .or_else(|| candidates.clone().find(|e| mentions(rendered, &format!("{krate}::{}", e.name))))?;
    let name = &export.name;
    let why = match (code, &export.implements) {
        ("E0603", _) => format!("it has a `{name}`, but not `pub`"),
        ("E0277", Some(t)) => format!("its `{name}` does not implement `{t}`"),
        ("E0308", None) => format!("its `{name}` has another signature"),
        ("E0412" | "E0425" | "E0433" | "E0422" | "E0423" | "E0531" | "E0532", _) => {
            format!(
                "it has no `{name}` at its root (check the spelling, and that src/lib.rs declares or re-exports it)"
            )
        }
        _ => return None,
    };
    Some(export.missing(suite, &why))
}

/// Whether `text` holds `name` as a whole word (not inside a longer name).
fn mentions(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| !text[..i].ends_with(ident) && !text[i + name.len()..].starts_with(ident))
}

/// The folder of a path package from its cargo package id
/// (`path+file:///abs/dir#name@1.0`, or `name 1.0 (path+file:///abs/dir)`
/// from older cargo), percent-decoded.
fn package_dir(id: &str) -> Option<PathBuf> {
    let (_, rest) = id.split_once("path+file://")?;
    let encoded = rest.split(['#', '?', ')']).next()?.as_bytes();
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let hex = encoded.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (encoded[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                bytes.push(b);
                i += 3;
            }
            (b, _) => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    Some(PathBuf::from(String::from_utf8(bytes).ok()?))
}

#[derive(Deserialize)]
struct CargoMessage {
    reason: String,
    package_id: Option<String>,
    message: Option<Diagnostic>,
    target: Option<Target>,
    executable: Option<PathBuf>,
    /// For a `compiler-artifact`: whether cargo reused it as it was.
    fresh: Option<bool>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    message: String,
    rendered: Option<String>,
    code: Option<Code>,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

#[derive(Deserialize)]
struct Target {
    name: String,
}

fn canonical(p: &Path) -> Result<PathBuf, BuildError> {
    p.canonicalize().map_err(|e| BuildError::Crate { path: p.to_path_buf(), message: e.to_string() })
}

fn digest(p: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    p.hash(&mut h);
    h.finish()
}

/// The `[package] name` of the crate in `dir`.
pub fn package_name(dir: &Path) -> Result<String, BuildError> {
    let path = dir.join("Cargo.toml");
    let bad = |message: String| BuildError::Crate { path: path.clone(), message };
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let value: toml::Table = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
    value
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .ok_or_else(|| bad("no [package] name".into()))
}

fn toml_str(p: &Path) -> String {
    toml_str_s(&p.to_string_lossy())
}

fn toml_str_s(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Writes atomically, and only when the content differs, so that cargo's
/// freshness check (by modification time) is not disturbed.
pub fn write_if_changed(path: &Path, content: &str) -> io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    write_atomic(path, content)
}

/// Writes to a temporary sibling, then renames it over `path`.
pub fn write_atomic(path: &Path, content: &str) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{unique}", std::process::id()));
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids_name_their_folder() {
        assert_eq!(
            package_dir("path+file:///w/my%20course/exercises/a#a@0.1.0"),
            Some(PathBuf::from("/w/my course/exercises/a"))
        );
        assert_eq!(package_dir("a 0.1.0 (path+file:///w/a)"), Some(PathBuf::from("/w/a")));
        assert_eq!(package_dir("registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0"), None);
    }

    #[test]
    fn errors_are_blamed_on_the_package_they_arise_in() {
        let (subject, runner) = (Path::new("/w/exercises/a"), Path::new("/w/target/grader/runners/r"));
        let blame_in = |id: &str, message: &str| blame(Some(id), subject, runner, message, "subject");
        assert_eq!(blame_in("path+file:///w/exercises/a#a@0.1.0", "mismatched types"), Blame::Subject);
        assert_eq!(blame_in("path+file:///w/grader/suites#grader-suites@0.1.0", "mismatched types"), Blame::Course);
        assert_eq!(blame_in("path+file:///w/contracts#contracts@0.1.0", "cannot find type"), Blame::Course);
        // In the runner's main: an export the subject lacks is the subject's;
        // anything else there (a suite without `Subject`) is the course's.
        let main = "path+file:///w/target/grader/runners/r#r@0.0.0";
        assert_eq!(blame_in(main, "cannot find type `Limiter` in crate `subject`"), Blame::Export);
        assert_eq!(
            blame_in(main, "cannot find `Subject` in `token_bucket`\n  use suites::token_bucket"),
            Blame::Course
        );
        assert_eq!(blame(None, subject, runner, "anything", "subject"), Blame::Subject);
    }

    #[test]
    fn exports_are_read_and_written_into_main() {
        let exports: Vec<Export> = ["pub struct RoundRobin: Picker", "pub fn jump_hash(key: u64, buckets: u32) -> u32"]
            .iter()
            .filter_map(|e| Export::parse(e))
            .collect();
        assert_eq!(exports.len(), 2);
        assert_eq!(exports[0].implements.as_deref(), Some("Picker"));
        assert_eq!(exports[1].name, "jump_hash");
        let main = runner_main("load_balancer", &exports, "subject");
        assert!(main.contains("suite(Subject::of::<subject::RoundRobin>(subject::jump_hash), Subject::of::<reference::RoundRobin>(reference::jump_hash))"), "{main}");
        for bad in ["struct X: T", "pub struct X", "pub fn", "pub struct a b: T"] {
            assert_eq!(Export::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_suites_exports_are_readable() {
        let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/src");
        for suite in ["token_bucket", "load_balancer"] {
            let exports = exports(&suites, suite).unwrap_or_else(|e| panic!("{e}"));
            assert!(!exports.is_empty(), "{suite}");
        }
        let err = exports(&suites, "no_such_suite").err().unwrap_or_default();
        assert!(err.contains("grader/suites/src/no_such_suite/mod.rs: cannot read the suite"), "{err}");
    }

    #[test]
    fn a_missing_export_is_said_in_words() {
        let exports = vec![
            Export::parse("pub struct TokenBucket: Bucket").unwrap_or_else(|| panic!("parses")),
            Export::parse("pub fn jump_hash(key: u64, buckets: u32) -> u32").unwrap_or_else(|| panic!("parses")),
        ];
        let say = |rendered: &str, code: &str| missing_export(rendered, code, &exports, "token_bucket", "subject");
        assert_eq!(
            say("error[E0412]: cannot find type `TokenBucket` in crate `subject`\n --> main.rs:4:5", "E0412")
                .as_deref(),
            Some(
                "your crate must export `pub struct TokenBucket` implementing `contracts::token_bucket::Bucket`: it has no `TokenBucket` at its root (check the spelling, and that src/lib.rs declares or re-exports it)"
            )
        );
        assert_eq!(
            say("error[E0277]: the trait bound `TokenBucket: Bucket` is not satisfied", "E0277").as_deref(),
            Some(
                "your crate must export `pub struct TokenBucket` implementing `contracts::token_bucket::Bucket`: its `TokenBucket` does not implement `Bucket`"
            )
        );
        assert_eq!(
            say(
                "error[E0308]: mismatched types\n  |     suite(Subject::of::<subject::TokenBucket>(subject::jump_hash)",
                "E0308"
            )
            .as_deref(),
            Some(
                "your crate must export `pub fn jump_hash(key: u64, buckets: u32) -> u32`: its `jump_hash` has another signature"
            )
        );
        assert_eq!(say("error[E0599]: no method named `x`", "E0599"), None);
    }
}
