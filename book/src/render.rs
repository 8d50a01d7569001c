//! Markdown → HTML pages: the lesson bodies, the index, and the frame around
//! them (sidebar with the lessons in order, in-page contents, previous/next).

use std::fmt::Write as _;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::code::{Fence, visible};
use crate::html::{escape, rewrite_attributes};
use crate::markdown::options;
use crate::site::{Resolved, Site};

/// The stylesheet written next to the pages.
pub(crate) const STYLE: &str = include_str!("../assets/style.css");

/// The HTML of lesson `i`, a whole page.
pub(crate) fn lesson_page(site: &Site, i: usize) -> String {
    let page = &site.pages[i];
    let mut main = String::new();
    main.push_str("<article class=\"lesson\">\n");
    main.push_str(&lesson_body(site, i));
    main.push_str("</article>\n");
    main.push_str(&pager(site, i));
    let _ = writeln!(
        main,
        "<p class=\"source\">Source: <code>{}</code></p>",
        escape(&site.display(&page.file).to_string_lossy())
    );
    frame(site, Some(i), &format!("{} · {}", page.title, site.title), &main)
}

/// The HTML of the index page: the course title and its lessons in order.
pub(crate) fn index_page(site: &Site) -> String {
    let mut main = String::new();
    main.push_str("<article class=\"index\">\n");
    let _ = writeln!(main, "<h1>{}</h1>", escape(&site.title));
    let count = site.pages.len();
    let _ = writeln!(
        main,
        "<p class=\"lede\">{count} lesson{}. Each explains one building block of large systems; \
         then you build it in <code>exercises/</code> and the grader checks it, stage by stage.</p>",
        if count == 1 { "" } else { "s" }
    );
    for (part, lessons) in parts(site) {
        if let Some(part) = part {
            let _ = writeln!(main, "<h2 class=\"part\">{}</h2>", escape(part));
        }
        let _ = writeln!(main, "<ol class=\"lesson-list\" start=\"{}\">", lessons.start + 1);
        for n in lessons {
            let page = &site.pages[n];
            let _ = write!(
                main,
                "<li><a class=\"lesson-link\" href=\"{}.html\"><span class=\"num\">{:02}</span> {}</a>",
                escape(&page.slug),
                n + 1,
                escape(&page.title)
            );
            if let Some(summary) = &page.analysis.summary {
                let _ = write!(main, "\n<p>{}</p>", escape(&shorten(summary, 320)));
            }
            if let Some(ex) = &page.exercise {
                let _ = write!(
                    main,
                    "\n<p class=\"meta\">Exercise: <code>{}</code> · {} stage{}</p>",
                    escape(&ex.crate_dir),
                    ex.stages,
                    if ex.stages == 1 { "" } else { "s" }
                );
            }
            main.push_str("</li>\n");
        }
        main.push_str("</ol>\n");
    }
    main.push_str("</article>\n");
    frame(site, None, &site.title, &main)
}

/// The lessons in catalogue order, cut into runs of the same part (a part
/// folder that comes back later in the catalogue starts a new run).
fn parts(site: &Site) -> Vec<(Option<&str>, std::ops::Range<usize>)> {
    let mut runs: Vec<(Option<&str>, std::ops::Range<usize>)> = Vec::new();
    for (i, page) in site.pages.iter().enumerate() {
        let part = page.part.as_deref();
        match runs.last_mut() {
            Some((last, range)) if *last == part => range.end = i + 1,
            _ => runs.push((part, i..i + 1)),
        }
    }
    runs
}

/// The page around `main`: head, top bar, sidebar.
fn frame(site: &Site, current: Option<usize>, title: &str, main: &str) -> String {
    let mut html = String::with_capacity(main.len() + 4096);
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>{}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n\
         <header class=\"topbar\"><a href=\"index.html\">{}</a><a class=\"to-nav\" href=\"#nav\">Lessons ↓</a></header>\n\
         <div class=\"layout\">\n",
        escape(title),
        escape(&site.title)
    );
    html.push_str(&sidebar(site, current));
    html.push_str("<main>\n");
    html.push_str(main);
    html.push_str("</main>\n</div>\n</body>\n</html>\n");
    html
}

fn sidebar(site: &Site, current: Option<usize>) -> String {
    let mut nav = String::new();
    let _ = writeln!(
        nav,
        "<nav id=\"nav\" class=\"sidebar\" aria-label=\"Lessons\">\n<a class=\"book-title\" href=\"index.html\">{}</a>\n<ol class=\"lessons\">",
        escape(&site.title)
    );
    for (part, lessons) in parts(site) {
        if let Some(part) = part {
            let _ = writeln!(nav, "<li class=\"part\">{}</li>", escape(part));
        }
        for i in lessons {
            let page = &site.pages[i];
            let is_current = current == Some(i);
            let _ = write!(
                nav,
                "<li><a href=\"{}.html\"{}>{}</a>",
                escape(&page.slug),
                if is_current { " class=\"current\" aria-current=\"page\"" } else { "" },
                escape(&page.title)
            );
            if is_current {
                let sections: Vec<_> = page.analysis.headings.iter().filter(|h| h.level == HeadingLevel::H2).collect();
                if !sections.is_empty() {
                    nav.push_str("\n<ol class=\"toc\">");
                    for h in sections {
                        let _ = write!(nav, "<li><a href=\"#{}\">{}</a></li>", escape(&h.id), escape(&h.text));
                    }
                    nav.push_str("</ol>");
                }
            }
            nav.push_str("</li>\n");
        }
    }
    nav.push_str("</ol>\n</nav>\n");
    nav
}

fn pager(site: &Site, i: usize) -> String {
    let link = |class: &str, label: &str, href: String, title: &str| {
        format!(
            "<a class=\"{class}\" href=\"{}\"><span class=\"label\">{label}</span>{}</a>",
            escape(&href),
            escape(title)
        )
    };
    let prev = match i.checked_sub(1) {
        Some(p) => link("prev", "← Previous", format!("{}.html", site.pages[p].slug), &site.pages[p].title),
        None => link("prev", "← Back to", "index.html".into(), "Contents"),
    };
    let next = match site.pages.get(i + 1) {
        Some(n) => link("next", "Next →", format!("{}.html", n.slug), &n.title),
        None => link("next", "Last lesson; back to →", "index.html".into(), "Contents"),
    };
    format!("<nav class=\"pager\" aria-label=\"Previous and next lessons\">\n{prev}\n{next}\n</nav>\n")
}

/// The HTML of lesson `i`'s markdown: heading ids and anchors, rewritten links,
/// code blocks with their language, tables that scroll.
pub(crate) fn lesson_body(site: &Site, i: usize) -> String {
    let page = &site.pages[i];
    let rewrite = |target: &str| -> Option<String> {
        match site.resolve(i, target) {
            Ok(Resolved::Page { href } | Resolved::File { href, .. }) => Some(href),
            Ok(Resolved::Keep) | Err(_) => None,
        }
    };
    let mut headings = page.analysis.headings.iter();
    let mut code: Option<(String, String)> = None;
    let mut html_block: Option<String> = None;
    let mut events: Vec<Event<'_>> = Vec::new();
    for event in Parser::new_ext(&page.text, options()) {
        match event {
            Event::Start(Tag::Heading { level, id: _, classes, attrs }) => {
                let id = headings.next().map(|h| h.id.clone()).unwrap_or_default();
                let anchor =
                    format!("<a class=\"anchor\" href=\"#{}\" aria-label=\"Link to this section\">#</a>", escape(&id));
                events.push(Event::Start(Tag::Heading { level, id: Some(id.into()), classes, attrs }));
                events.push(Event::InlineHtml(anchor.into()));
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let dest_url = rewrite(&dest_url).map_or(dest_url, CowStr::from);
                events.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let dest_url = rewrite(&dest_url).map_or(dest_url, CowStr::from);
                events.push(Event::Start(Tag::Image { link_type, dest_url, title, id }));
            }
            Event::Start(Tag::HtmlBlock) => html_block = Some(String::new()),
            Event::Html(h) => match html_block.as_mut() {
                Some(block) => block.push_str(&h),
                None => events.push(Event::Html(raw_html(&h, &rewrite).into())),
            },
            Event::End(TagEnd::HtmlBlock) => {
                if let Some(block) = html_block.take() {
                    events.push(Event::Html(raw_html(&block, &rewrite).into()));
                }
            }
            Event::InlineHtml(h) => events.push(Event::InlineHtml(raw_html(&h, &rewrite).into())),
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    pulldown_cmark::CodeBlockKind::Fenced(info) => info.to_string(),
                    pulldown_cmark::CodeBlockKind::Indented => String::new(),
                };
                code = Some((info, String::new()));
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, text)) = code.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, text)) = code.take() {
                    events.push(Event::Html(code_block(&info, &text).into()));
                }
            }
            Event::Start(Tag::Table(align)) => {
                events.push(Event::Html("<div class=\"table-wrap\">\n".into()));
                events.push(Event::Start(Tag::Table(align)));
            }
            Event::End(TagEnd::Table) => {
                events.push(Event::End(TagEnd::Table));
                events.push(Event::Html("</div>\n".into()));
            }
            other => events.push(other),
        }
    }
    let mut out = String::with_capacity(page.text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    out
}

fn raw_html(html: &str, rewrite: &impl Fn(&str) -> Option<String>) -> String {
    rewrite_attributes(html, |attr| if attr.is_link() { rewrite(&attr.value).map(|h| escape(&h)) } else { None })
}

/// Languages shown without a label: a label saying "text" says nothing.
const UNLABELLED: &[&str] = &["", "text", "txt", "plain", "plaintext"];

fn code_block(info: &str, code: &str) -> String {
    let fence = Fence::parse(info);
    let shown = if fence.is_rust() { visible(code) } else { code.to_string() };
    let lang = escape(&fence.lang);
    let label =
        if UNLABELLED.contains(&fence.lang.as_str()) { String::new() } else { format!(" data-lang=\"{lang}\"") };
    let class = if fence.lang.is_empty() { String::new() } else { format!(" class=\"language-{lang}\"") };
    format!("<pre{label}><code{class}>{}</code></pre>\n", escape(&shown))
}

/// `text` cut at a word boundary to at most about `max` characters.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_get_a_language_class_and_hide_rustdoc_lines() {
        let html = code_block("rust,ignore", "# use x;\nlet a = 1 < 2;\n");
        assert_eq!(html, "<pre data-lang=\"rust\"><code class=\"language-rust\">let a = 1 &lt; 2;\n</code></pre>\n");
        assert_eq!(code_block("text", "a\n"), "<pre><code class=\"language-text\">a\n</code></pre>\n");
        assert_eq!(code_block("", "a\n"), "<pre><code>a\n</code></pre>\n");
    }

    #[test]
    fn shorten_cuts_at_a_word() {
        assert_eq!(shorten("one two three", 100), "one two three");
        assert_eq!(shorten("one two, three", 9), "one two…");
    }
}
