//! The real course: every lesson of `course.toml` renders, no internal link is
//! broken, and every link in the built HTML lands on a file and anchor that the
//! book actually contains.

mod common;

use std::path::Path;

use common::{html_links, real_catalog, repo_root};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

#[test]
fn the_course_has_no_broken_internal_link() {
    if let Err(e) = book::check_links(&real_catalog()) {
        panic!("{e}");
    }
}

#[test]
fn the_course_builds_one_page_per_lesson_plus_the_index() {
    let catalog = real_catalog();
    let out = tempfile::tempdir().expect("temp dir");
    let report = match book::build(&catalog, out.path()) {
        Ok(report) => report,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(report.pages, catalog.lessons.len() + 1);
    assert_eq!(report.out_dir, out.path());
    let index = std::fs::read_to_string(&report.index).expect("index.html");
    assert!(index.contains(&format!("<h1>{}</h1>", escape(&catalog.title))), "the index shows the course title");
    let mut last = 0;
    for lesson in &catalog.lessons {
        let page = out.path().join(format!("{}.html", lesson.slug));
        assert!(page.is_file(), "{} was not written", page.display());
        let href = format!("href=\"{}.html\"", lesson.slug);
        let at = index[last..].find(&href).map(|i| i + last);
        let at = at.unwrap_or_else(|| panic!("the index lists {} after the lessons before it", lesson.slug));
        last = at + 1;
    }
    assert!(out.path().join("style.css").is_file());
}

/// An independent check of the output: whatever the renderer did, every
/// relative `href`/`src` of every page names a file of the book, and every
/// `#anchor` an `id` in that file.
#[test]
fn every_link_in_the_built_book_lands() {
    let out = tempfile::tempdir().expect("temp dir");
    if let Err(e) = book::build(&real_catalog(), out.path()) {
        panic!("{e}");
    }
    let mut checked = 0;
    let mut broken = Vec::new();
    for entry in std::fs::read_dir(out.path()).expect("read out dir") {
        let page = entry.expect("entry").path();
        if page.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = std::fs::read_to_string(&page).expect("read page");
        for link in html_links(&html) {
            if link.contains(':') && !link.starts_with('#') || link.starts_with("data:") {
                continue; // external (https:, mailto:) or inline
            }
            checked += 1;
            if let Err(why) = lands(out.path(), &page, &link) {
                broken.push(format!("{}: `{link}`: {why}", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links in the built book that land nowhere:\n{}", broken.join("\n"));
    assert!(checked > 0, "the book has internal links (at least its navigation)");
}

fn lands(out: &Path, page: &Path, link: &str) -> Result<(), String> {
    let (path, fragment) = link.split_once('#').map_or((link, None), |(p, f)| (p, Some(f)));
    let file = if path.is_empty() { page.to_path_buf() } else { out.join(path.replace("%20", " ")) };
    if !file.is_file() {
        return Err(format!("no file {}", file.display()));
    }
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        let target = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        if !target.contains(&format!("id=\"{fragment}\"")) {
            return Err(format!("no id `{fragment}` in {}", file.display()));
        }
    }
    Ok(())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Every lesson with an exercise shows its stages in a table rendered from the
/// catalogue: in the book, each stage's number, id and title as `course.toml`
/// has them now.
#[test]
fn every_exercise_lesson_shows_its_stages_from_the_catalogue() {
    let catalog = real_catalog();
    let out = tempfile::tempdir().expect("temp dir");
    if let Err(e) = book::build(&catalog, out.path()) {
        panic!("{e}");
    }
    for lesson in &catalog.lessons {
        let Some(exercise) = &lesson.exercise else { continue };
        let source = std::fs::read_to_string(&lesson.file).expect("read lesson");
        assert!(
            source.lines().any(|l| l.trim_start().starts_with("<!-- stages")),
            "{} has no `<!-- stages -->` table",
            lesson.file.display()
        );
        let page = std::fs::read_to_string(out.path().join(format!("{}.html", lesson.slug))).expect("page");
        for (n, stage) in exercise.stages.iter().enumerate() {
            let row = format!("{}</td><td><code>{}</code>: {}</td>", n + 1, stage.id, escape(&stage.title));
            assert!(page.contains(&row), "{}.html lacks the row `{row}`", lesson.slug);
        }
    }
}

/// Lessons name a stage by its id or title, never by its number in prose: a
/// number changes when a stage is added. (Sample reports in code blocks show
/// numbers, as the grader prints them; the book checks those against the
/// catalogue.)
#[test]
fn lessons_refer_to_stages_by_id_not_by_number() {
    let mut found = Vec::new();
    for lesson in &real_catalog().lessons {
        let text = std::fs::read_to_string(&lesson.file).expect("read lesson");
        let mut in_code = false;
        for (event, range) in Parser::new(&text).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(_)) => in_code = true,
                Event::End(TagEnd::CodeBlock) => in_code = false,
                Event::Text(t) if !in_code => {
                    let lower = t.to_lowercase();
                    for word in ["stage ", "stages "] {
                        for (at, _) in lower.match_indices(word) {
                            if lower[at + word.len()..].starts_with(|c: char| c.is_ascii_digit()) {
                                let line = text[..range.start].matches('\n').count() + 1;
                                found.push(format!("{}:{line}: `{}`", lesson.file.display(), t.trim()));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(found.is_empty(), "stages named by number (use the id, e.g. `hash-ring`):\n{}", found.join("\n"));
}

/// The speed floor a lesson quotes ("0.2× the speed of a plain …") is the one
/// the suites grade with, read from `grader/suites/src/bench.rs`.
#[test]
fn the_speed_floor_quoted_in_lessons_is_the_graded_one() {
    lessons_quote_the_graded("SPEED_THRESHOLD", "× the speed of", "speed floor");
}

/// The growth bound a lesson quotes ("10× for 100× the keys") is the one the
/// suites grade with.
#[test]
fn the_growth_bound_quoted_in_lessons_is_the_graded_one() {
    lessons_quote_the_graded("GROWTH_LIMIT", "× for 100×", "growth bound");
}

/// Every lesson with a benchmark stage quotes the `f64` constant `name` of
/// `bench.rs` as "N<marker>", and every such N equals it.
fn lessons_quote_the_graded(name: &str, marker: &str, what: &str) {
    let bench = repo_root().join("grader/suites/src/bench.rs");
    let source = std::fs::read_to_string(&bench).expect("read bench.rs");
    let declaration = format!("pub const {name}: f64 =");
    let graded: f64 = source
        .lines()
        .find_map(|l| l.trim().strip_prefix(declaration.as_str()))
        .and_then(|v| v.trim().trim_end_matches(';').parse().ok())
        .unwrap_or_else(|| panic!("no `{declaration} <number>;` in {}", bench.display()));
    for lesson in &real_catalog().lessons {
        let Some(exercise) = &lesson.exercise else { continue };
        if !exercise.stages.iter().any(|s| s.id == "benchmarks") {
            continue;
        }
        let text = std::fs::read_to_string(&lesson.file)
            .expect("read lesson")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let quoted = numbers_before(&text, marker);
        assert!(!quoted.is_empty(), "{} does not quote its {what} as \"N{marker} …\"", lesson.file.display());
        for q in quoted {
            assert_eq!(q, graded, "{} quotes a {what} of {q}×; the suites grade {graded}×", lesson.file.display());
        }
    }
}

/// The numbers written right before `marker` in `text`.
fn numbers_before(text: &str, marker: &str) -> Vec<f64> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let head = &text[..at];
            let start = head.rfind(|c: char| !(c.is_ascii_digit() || c == '.')).map_or(0, |i| i + 1);
            head[start..].parse().ok()
        })
        .collect()
}
