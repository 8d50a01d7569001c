//! The real course: every lesson of `course.toml` renders, no internal link is
//! broken, and every link in the built HTML lands on a file and anchor that the
//! book actually contains.

mod common;

use std::path::Path;

use common::{html_links, real_catalog};

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
