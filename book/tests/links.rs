//! Slugs, link rewriting and link checking, on small fixture courses.

mod common;

use common::{course_toml, fixture, load};

const ALPHA: &str = "# Alpha

Intro: see [beta's setup](02-beta.md#setup), or [the top](#alpha).

## Setup

![diagram](assets/d.svg)

<details id=\"faq\"><summary>Question</summary>

A [link inside a toggle](02-beta.md) and <img src=\"assets/d.svg\" alt=\"raw\">.
</details>

[external](https://example.com/x.md), [mail](mailto:a@example.com), ```rust,ignore``` is code.

```rust,ignore
let x = 1;
```
";

const BETA: &str = "# Beta

## Setup

## Setup

Back to [the FAQ](01-alpha.md#faq), [the second setup](#setup-1), [the source](../src/lib.rs).
";

fn good_course() -> tempfile::TempDir {
    let toml = course_toml(
        "Fixture course",
        &[("alpha", "Alpha lesson", "lessons/01-alpha.md"), ("beta", "Beta lesson", "lessons/02-beta.md")],
    );
    fixture(&[
        ("course.toml", &toml),
        ("lessons/01-alpha.md", ALPHA),
        ("lessons/02-beta.md", BETA),
        ("lessons/assets/d.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        ("lessons/assets/extra/unlinked.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        ("src/lib.rs", "// linked from a lesson\n"),
    ])
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).expect("needle in text")
}

#[test]
fn slugs_follow_github() {
    assert_eq!(book::slugify("1. The problem, concretely"), "1-the-problem-concretely");
    assert_eq!(book::slugify("GCRA: the same bucket in one number"), "gcra-the-same-bucket-in-one-number");
    assert_eq!(book::slugify("Saying no: 429 and Retry-After"), "saying-no-429-and-retry-after");
    assert_eq!(book::slugify("L4 vs. L7 — which?"), "l4-vs-l7--which");
    assert_eq!(book::slugify("snake_case `code` & Ünïcode"), "snake_case-code--ünïcode");
    assert_eq!(book::slugify("  Trimmed  "), "trimmed");
    let mut s = book::Slugger::new();
    let ids: Vec<String> = ["Setup", "Setup", "Setup-1", "Setup", "???"].iter().map(|t| s.slug(t)).collect();
    assert_eq!(ids, ["setup", "setup-1", "setup-1-1", "setup-2", "section"]);
}

#[test]
fn a_good_course_checks_clean_and_builds_with_rewritten_links() {
    let dir = good_course();
    let catalog = load(dir.path());
    if let Err(e) = book::check_links(&catalog) {
        panic!("{e}");
    }
    let out = dir.path().join("out");
    let report = match book::build(&catalog, &out) {
        Ok(report) => report,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(report.pages, 3);
    assert_eq!(report.index, out.join("index.html"));

    let alpha = std::fs::read_to_string(out.join("alpha.html")).expect("alpha.html");
    for want in [
        "href=\"beta.html#setup\"",         // lesson file → page, anchor kept
        "href=\"#alpha\"",                  // same-page anchor untouched
        "<h2 id=\"setup\">",                // heading ids
        "src=\"assets/d.svg\" alt=\"raw\"", // raw HTML checked and kept working
        "<a href=\"beta.html\">link inside a toggle</a>",
        "<details id=\"faq\"><summary>Question</summary>", // raw HTML passes through
        "href=\"https://example.com/x.md\"",               // external links untouched
        "<code class=\"language-rust\">let x = 1;",        // the language, not `rust,ignore`
        "href=\"beta.html\"><span class=\"label\">Next →", // previous/next
    ] {
        assert!(alpha.contains(want), "alpha.html lacks {want}:\n{alpha}");
    }
    let beta = std::fs::read_to_string(out.join("beta.html")).expect("beta.html");
    for want in ["href=\"alpha.html#faq\"", "<h2 id=\"setup-1\">", "href=\"_repo/src/lib.rs\""] {
        assert!(beta.contains(want), "beta.html lacks {want}:\n{beta}");
    }
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    let (a, b) = (index.find("Alpha lesson").expect("alpha listed"), index.find("Beta lesson").expect("beta listed"));
    assert!(a < b, "lessons in catalogue order");
    assert!(index.contains("<h1>Fixture course</h1>"));
    for copied in ["assets/d.svg", "assets/extra/unlinked.svg", "_repo/src/lib.rs", "style.css"] {
        assert!(out.join(copied).is_file(), "{copied} not copied");
    }
}

#[test]
fn broken_links_are_all_reported_with_file_line_and_target() {
    let dir = good_course();
    let broken = format!(
        "{ALPHA}\nSee [a missing anchor](02-beta.md#nope).\n\n![missing](assets/missing.svg)\n\n\
         [not a lesson](03-gamma.md) and [a folder](assets/)\n\n<a href=\"#nowhere\">raw</a>\n\n[escape](../../outside.md)\n"
    );
    std::fs::write(dir.path().join("lessons/01-alpha.md"), &broken).expect("write");
    std::fs::write(dir.path().join("lessons/03-gamma.md"), "# Gamma\n").expect("write");
    let catalog = load(dir.path());
    let err = match book::check_links(&catalog) {
        Ok(()) => panic!("broken links went unnoticed"),
        Err(e) => e,
    };
    let book::BookError::BrokenLinks(links) = &err else { panic!("not a link error: {err}") };
    let got: Vec<(String, usize, &str)> =
        links.iter().map(|l| (l.file.display().to_string(), l.line, l.target.as_str())).collect();
    let file = "lessons/01-alpha.md".to_string();
    let want = vec![
        (file.clone(), line_of(&broken, "02-beta.md#nope"), "02-beta.md#nope"),
        (file.clone(), line_of(&broken, "missing.svg"), "assets/missing.svg"),
        (file.clone(), line_of(&broken, "03-gamma.md"), "03-gamma.md"),
        (file.clone(), line_of(&broken, "a folder"), "assets/"),
        (file.clone(), line_of(&broken, "#nowhere"), "#nowhere"),
        (file.clone(), line_of(&broken, "outside.md"), "../../outside.md"),
    ];
    assert_eq!(got, want);

    let text = err.to_string();
    let first = format!("lessons/01-alpha.md:{}: broken link `02-beta.md#nope`", line_of(&broken, "#nope"));
    assert!(text.starts_with("6 broken links in the lessons:\n"), "{text}");
    assert!(text.contains(&first), "{text}");
    for reason in [
        "no heading or id `nope` in lessons/02-beta.md",
        "no such file: lessons/assets/missing.svg",
        "lessons/03-gamma.md is not a lesson of course.toml",
        "is a folder",
        "no heading or id `nowhere` in lessons/01-alpha.md",
        "points outside the course folder",
    ] {
        assert!(text.contains(reason), "missing `{reason}` in:\n{text}");
    }

    let out = dir.path().join("out");
    assert!(book::build(&catalog, &out).is_err(), "build refuses a book with broken links");
    assert!(!out.exists(), "a failed build writes nothing");
}

#[test]
fn an_anchor_in_another_lesson_is_checked_against_that_lesson() {
    let dir = good_course();
    // `faq` exists in alpha (raw HTML id), not in beta.
    std::fs::write(dir.path().join("lessons/02-beta.md"), format!("{BETA}\n[wrong page](02-beta.md#faq)\n"))
        .expect("write");
    let err = book::check_links(&load(dir.path())).map(|()| "no error".to_string()).unwrap_or_else(|e| e.to_string());
    assert!(err.contains("lessons/02-beta.md:9: broken link `02-beta.md#faq`: no heading or id `faq`"), "{err}");
}
