//! `cargo grader new SLUG`: scaffolds a complete exercise in the course's
//! conventional places, one that compiles, grades (its reference passes, its
//! mutant is caught, its control passes) and passes `cargo grader dev check`.
//!
//! | what | where |
//! | --- | --- |
//! | the contract | `contracts/src/<suite>.rs` |
//! | the stub, and its pristine copy | `exercises/SLUG/`, `exercises/.pristine/SLUG/` |
//! | the reference | `solutions/SLUG/` |
//! | the suite, one stage | `grader/suites/src/<suite>/mod.rs`, `…/counts_up.rs` |
//! | one mutant and a control | `grader/mutants/SLUG/mutants.toml`, `…/buggy/` |
//! | the lesson skeleton | `lessons/<part>/SLUG.md` |
//! | the catalogue entry | `course.toml`, at the end of its part |
//! | the lesson table | `README.md` (rewritten from the catalogue) |
//!
//! The placeholder is a counter (`start`, `start + 1`, …) so that every piece
//! is real code an author replaces, never a blank to fill before anything
//! builds. Every `TODO(author)` marks what to write. An existing or malformed
//! slug is refused before anything is written; if a write fails half-way,
//! what was written is removed again.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use catalog::{Catalog, Derived};

use crate::dev;
use crate::runner::write_atomic;

/// The templates, with `__SLUG__`, `__SUITE__`, `__PASCAL__`, `__TITLE__`
/// and `__LESSON__` to fill in.
mod templates {
    pub const CONTRACT: &str = include_str!("scaffold/contract.rs.tmpl");
    pub const STUB_CARGO: &str = include_str!("scaffold/stub_cargo.toml.tmpl");
    pub const STUB_LIB: &str = include_str!("scaffold/stub_lib.rs.tmpl");
    pub const SOLUTION_CARGO: &str = include_str!("scaffold/solution_cargo.toml.tmpl");
    pub const SOLUTION_LIB: &str = include_str!("scaffold/solution_lib.rs.tmpl");
    pub const SUITE_MOD: &str = include_str!("scaffold/suite_mod.rs.tmpl");
    pub const SUITE_STAGE: &str = include_str!("scaffold/suite_stage.rs.tmpl");
    pub const MUTANTS: &str = include_str!("scaffold/mutants.toml.tmpl");
    pub const MUTANT_CARGO: &str = include_str!("scaffold/mutant_cargo.toml.tmpl");
    pub const MUTANT_LIB: &str = include_str!("scaffold/mutant_lib.rs.tmpl");
    pub const LESSON: &str = include_str!("scaffold/lesson.md.tmpl");
}

/// The one stage the scaffold's suite has (its file is `counts_up.rs`).
pub const FIRST_STAGE: &str = "counts-up";

/// Rust's keywords, which a suite (a module) cannot be named.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Scaffolds exercise `slug` in the course of `catalog`; returns the files
/// written (and rewritten: `course.toml`, `README.md`), absolute.
pub fn new(catalog: &Catalog, slug: &str, title: Option<&str>, part: Option<&str>) -> anyhow::Result<Vec<PathBuf>> {
    let root = &catalog.root;
    if !catalog::is_slug(slug) {
        bail!(
            "`{slug}` is not a slug: kebab-case, lowercase letters and digits in words joined by single dashes, starting with a letter (`consistent-hashing`); nothing written"
        );
    }
    if let Some(lesson) = catalog.lesson(slug) {
        bail!(
            "{}:{}: lesson `{slug}` exists already (\"{}\"); nothing written",
            catalog::FILE_NAME,
            lesson.line,
            lesson.title
        );
    }
    let derived = Derived::of(slug);
    let suite = derived.suite.clone();
    if KEYWORDS.contains(&suite.as_str()) {
        bail!("`{slug}` would name its suite `{suite}`, a Rust keyword; choose another slug; nothing written");
    }
    let part_dir = part_folder(catalog, part)?;
    let title = title.map_or_else(|| words(slug), str::to_string);
    let lesson_file = part_dir.join(format!("{slug}.md"));
    let names = Names {
        slug,
        suite: &suite,
        pascal: &pascal(slug),
        title: &title,
        lesson: &lesson_file.strip_prefix(root).unwrap_or(&lesson_file).display().to_string(),
    };

    let suites = root.join(catalog::SUITES_DIR);
    let mutants = root.join(dev::MUTANTS_DIR).join(slug);
    let files: Vec<(PathBuf, &str)> = vec![
        (root.join(dev::CONTRACTS_DIR).join(format!("{suite}.rs")), templates::CONTRACT),
        (root.join(&derived.crate_dir).join("Cargo.toml"), templates::STUB_CARGO),
        (root.join(&derived.crate_dir).join("src/lib.rs"), templates::STUB_LIB),
        (root.join(&derived.pristine_dir).join("Cargo.toml"), templates::STUB_CARGO),
        (root.join(&derived.pristine_dir).join("src/lib.rs"), templates::STUB_LIB),
        (root.join(&derived.solution_dir).join("Cargo.toml"), templates::SOLUTION_CARGO),
        (root.join(&derived.solution_dir).join("src/lib.rs"), templates::SOLUTION_LIB),
        (suites.join(&suite).join("mod.rs"), templates::SUITE_MOD),
        (dev::stage_file(root, &suite, FIRST_STAGE), templates::SUITE_STAGE),
        (mutants.join("mutants.toml"), templates::MUTANTS),
        (mutants.join("buggy/Cargo.toml"), templates::MUTANT_CARGO),
        (mutants.join("buggy/src/lib.rs"), templates::MUTANT_LIB),
        (lesson_file.clone(), templates::LESSON),
    ];

    // Anything already there is refused before the first write.
    let mut taken: Vec<PathBuf> = [
        root.join(&derived.crate_dir),
        root.join(&derived.pristine_dir),
        root.join(&derived.solution_dir),
        root.join(dev::CONTRACTS_DIR).join(format!("{suite}.rs")),
        suites.join(&suite),
        suites.join(format!("{suite}.rs")),
        mutants.clone(),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect();
    taken.extend(lesson_files(root, slug));
    if !taken.is_empty() {
        let names: Vec<String> =
            taken.iter().map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string()).collect();
        bail!(
            "`{slug}` is taken: {} exist{} already; nothing written",
            names.join(", "),
            if names.len() == 1 { "s" } else { "" }
        );
    }

    let course_path = root.join(catalog::FILE_NAME);
    let course = std::fs::read_to_string(&course_path).with_context(|| format!("reading {}", course_path.display()))?;
    let readme_path = root.join(dev::README);
    let readme = std::fs::read_to_string(&readme_path).ok();
    let mut written: Vec<PathBuf> = vec![];
    let result = (|| -> anyhow::Result<()> {
        for (path, template) in &files {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            written.push(path.clone());
            std::fs::write(path, names.fill(template)).with_context(|| format!("writing {}", path.display()))?;
        }
        let entry = catalogue_entry(slug, &title);
        let number = part_number(&part_dir);
        write_atomic(&course_path, &insert_lesson(catalog, &course, &entry, number))
            .with_context(|| format!("writing {}", course_path.display()))?;
        let updated = Catalog::load(root).context("the catalogue with the new lesson does not load")?;
        if readme.is_some() {
            dev::write_readme_table(&updated)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        // Leave the course as it was.
        for path in written.iter().rev() {
            let _ = std::fs::remove_file(path);
        }
        for dir in [&derived.crate_dir, &derived.pristine_dir, &derived.solution_dir] {
            let _ = std::fs::remove_dir_all(root.join(dir));
        }
        let _ = std::fs::remove_dir_all(suites.join(&suite));
        let _ = std::fs::remove_dir_all(&mutants);
        let _ = write_atomic(&course_path, &course);
        if let Some(text) = &readme {
            let _ = write_atomic(&readme_path, text);
        }
        return Err(e.context(format!("scaffolding `{slug}` failed; nothing was kept")));
    }
    written.push(course_path);
    if readme.is_some() {
        written.push(readme_path);
    }
    Ok(written)
}

/// The words that fill a template.
struct Names<'a> {
    slug: &'a str,
    suite: &'a str,
    pascal: &'a str,
    title: &'a str,
    lesson: &'a str,
}

impl Names<'_> {
    fn fill(&self, template: &str) -> String {
        template
            .replace("__SLUG__", self.slug)
            .replace("__SUITE__", self.suite)
            .replace("__PASCAL__", self.pascal)
            .replace("__TITLE__", self.title)
            .replace("__LESSON__", self.lesson)
    }
}

/// The new lesson's `[[lesson]]` entry: only what the convention cannot
/// derive.
fn catalogue_entry(slug: &str, title: &str) -> String {
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    format!(
        "[[lesson]]\nslug = {}\ntitle = {}\n\n[[lesson.exercise.stage]]\nid = {}\ntitle = \"counts up from its start, one per call\"\nhints = [\n    \"TODO(author): a gentle hint that names the lesson's section (lesson: \\\"The mechanism\\\").\",\n    \"TODO(author): a specific hint: the first call answers `start` itself.\",\n]\n",
        quoted(slug),
        quoted(title),
        quoted(FIRST_STAGE)
    )
}

/// `course.toml` with `entry` after the last lesson of its part (or of any
/// earlier part), so the catalogue stays in reading order.
fn insert_lesson(catalog: &Catalog, text: &str, entry: &str, part: Option<u32>) -> String {
    let headers: Vec<usize> = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(0))
        .filter(|&i| text[i..].lines().next().is_some_and(|l| l.trim() == "[[lesson]]"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let later = |lesson: &catalog::Lesson| {
        let theirs = lesson.file.parent().and_then(part_number);
        matches!((part, theirs), (Some(mine), Some(theirs)) if theirs > mine)
    };
    if headers.len() == catalog.lessons.len() {
        if let Some(i) = catalog.lessons.iter().position(later) {
            // Before the lesson's header and the comment lines right above it.
            let mut at = headers[i];
            while at > 0 {
                let start = text[..at - 1].rfind('\n').map_or(0, |n| n + 1);
                if !text[start..at].trim_start().starts_with('#') {
                    break;
                }
                at = start;
            }
            return format!("{}{entry}\n{}", &text[..at], &text[at..]);
        }
    }
    let sep = if text.ends_with("\n\n") {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    format!("{text}{sep}{entry}")
}

/// The lesson folder of the new exercise: the part named (`data` or
/// `2-data`; a numbered name not yet there is created), or else the part of
/// the catalogue's last lesson.
fn part_folder(catalog: &Catalog, part: Option<&str>) -> anyhow::Result<PathBuf> {
    let lessons = catalog.root.join(catalog::LESSONS_DIR);
    let parts: Vec<PathBuf> = std::fs::read_dir(&lessons)
        .map(|rd| {
            rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir() && part_number(p).is_some()).collect()
        })
        .unwrap_or_default();
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some(part) = part else {
        let last = catalog.lessons.last().and_then(|l| l.file.parent()).filter(|d| part_number(d).is_some());
        return last
            .map(Path::to_path_buf)
            .or_else(|| parts.iter().max_by_key(|p| part_number(p)).cloned())
            .with_context(|| {
                format!(
                    "the course has no part yet: name one with --part (a folder of {}/ such as `1-front-door`)",
                    catalog::LESSONS_DIR
                )
            });
    };
    if let Some(found) =
        parts.iter().find(|p| name(p) == part || name(p).split_once('-').is_some_and(|(_, n)| n == part))
    {
        return Ok(found.clone());
    }
    let numbered = part.split_once('-').is_some_and(|(n, rest)| n.parse::<u32>().is_ok() && catalog::is_slug(rest));
    if numbered {
        return Ok(lessons.join(part));
    }
    let mut known: Vec<String> = parts.iter().map(|p| name(p)).collect();
    known.sort();
    bail!(
        "no part `{part}`: the parts are {}; a new part is named with its number (`3-async`); nothing written",
        known.join(", ")
    )
}

/// The number of a part folder (`2-data` → 2).
fn part_number(dir: &Path) -> Option<u32> {
    let name = dir.file_name()?.to_str()?;
    name.split_once('-')?.0.parse().ok()
}

/// Every `lessons/*/<slug>.md` there is.
fn lesson_files(root: &Path, slug: &str) -> Vec<PathBuf> {
    std::fs::read_dir(root.join(catalog::LESSONS_DIR))
        .map(|rd| {
            rd.filter_map(Result::ok).map(|e| e.path().join(format!("{slug}.md"))).filter(|p| p.exists()).collect()
        })
        .unwrap_or_default()
}

/// `demo-slug` → `DemoSlug`.
fn pascal(slug: &str) -> String {
    slug.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// `demo-slug` → `Demo slug`.
fn words(slug: &str) -> String {
    let text = slug.replace('-', " ");
    let mut c = text.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_slug() {
        assert_eq!(pascal("demo-slug"), "DemoSlug");
        assert_eq!(pascal("l4-proxy"), "L4Proxy");
        assert_eq!(words("demo-slug"), "Demo slug");
        assert_eq!(part_number(Path::new("lessons/2-data")), Some(2));
        assert_eq!(part_number(Path::new("lessons/assets")), None);
    }

    /// A course with a lesson in part 1 and one in part 3 (reading only).
    fn course() -> (tempfile::TempDir, Catalog, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in [("lessons/1-front/a.md", "# A"), ("lessons/3-async/c.md", "# C")] {
            let at = dir.path().join(path);
            std::fs::create_dir_all(at.parent().expect("a folder")).expect("mkdir");
            std::fs::write(at, text).expect("write");
        }
        let text = "format_version = 1\ntitle = \"T\"\n\n[[lesson]]\nslug = \"a\"\ntitle = \"A\"\n\n# the async part\n[[lesson]]\nslug = \"c\"\ntitle = \"C\"\n";
        let catalog = Catalog::parse(dir.path(), Path::new("course.toml"), text).expect("valid");
        (dir, catalog, text.to_string())
    }

    #[test]
    fn a_lesson_goes_at_the_end_of_its_part() {
        let (_dir, catalog, text) = course();
        let entry = "[[lesson]]\nslug = \"b\"\n";
        let in_part_2 = insert_lesson(&catalog, &text, entry, Some(2));
        assert!(
            in_part_2
                .contains("title = \"A\"\n\n[[lesson]]\nslug = \"b\"\n\n# the async part\n[[lesson]]\nslug = \"c\""),
            "{in_part_2}"
        );
        let in_part_3 = insert_lesson(&catalog, &text, entry, Some(3));
        assert!(in_part_3.ends_with("title = \"C\"\n\n[[lesson]]\nslug = \"b\"\n"), "{in_part_3}");
    }

    #[test]
    fn a_part_is_named_with_or_without_its_number() {
        let (dir, catalog, _) = course();
        let found =
            |part: Option<&str>| part_folder(&catalog, part).map(|p| p.strip_prefix(dir.path()).map(Path::to_path_buf));
        assert_eq!(found(Some("async")).ok().and_then(Result::ok), Some(PathBuf::from("lessons/3-async")));
        assert_eq!(found(Some("1-front")).ok().and_then(Result::ok), Some(PathBuf::from("lessons/1-front")));
        assert_eq!(
            found(Some("2-data")).ok().and_then(Result::ok),
            Some(PathBuf::from("lessons/2-data")),
            "a new part"
        );
        assert_eq!(found(None).ok().and_then(Result::ok), Some(PathBuf::from("lessons/3-async")), "the last lesson's");
        let e = part_folder(&catalog, Some("data")).map(|_| ()).expect_err("no such part");
        assert!(e.to_string().starts_with("no part `data`: the parts are 1-front, 3-async"), "{e}");
    }
}
