//! Reading one lesson: its headings and their ids, the anchors it defines, the
//! links it makes (with their lines), and a one-paragraph summary.
//!
//! The renderer walks the same event stream and takes heading ids from here by
//! position, so the ids checked are the ids written.

use std::collections::HashSet;

use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

use crate::html;
use crate::slug::Slugger;

/// The markdown dialect of the lessons: CommonMark plus GitHub's tables,
/// strikethrough, task lists, footnotes and alerts, and `{#id}` on headings.
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Byte offset → 1-based line number.
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// A heading of a lesson.
#[derive(Debug, Clone)]
pub(crate) struct Heading {
    pub level: HeadingLevel,
    pub id: String,
    pub text: String,
}

/// A link or image target written in a lesson.
#[derive(Debug, Clone)]
pub(crate) struct LinkRef {
    pub line: usize,
    pub target: String,
}

/// What the book needs to know about a lesson before rendering any page.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Headings in document order; the renderer takes ids from here by index.
    pub headings: Vec<Heading>,
    /// Every id a `#fragment` may name: heading ids and `id=` in raw HTML.
    pub anchors: HashSet<String>,
    /// Every link and image target, markdown or raw HTML.
    pub links: Vec<LinkRef>,
    /// The first paragraph, as plain text.
    pub summary: Option<String>,
}

/// Reads a lesson's markdown.
pub(crate) fn analyze(text: &str) -> Analysis {
    let lines = Lines::new(text);
    let mut analysis = Analysis::default();
    let mut slugger = Slugger::new();
    let mut heading: Option<(HeadingLevel, Option<String>, String)> = None;
    let mut paragraph: Option<String> = None;
    let mut html_block: Option<(usize, String)> = None;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((level, id.map(|id| id.to_string()), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, explicit, text)) = heading.take() {
                    let id = match explicit {
                        Some(id) => slugger.reserve(&id),
                        None => slugger.slug(&text),
                    };
                    analysis.anchors.insert(id.clone());
                    analysis.headings.push(Heading { level, id, text: text.trim().to_string() });
                }
            }
            Event::Start(Tag::Paragraph) if analysis.summary.is_none() && heading.is_none() => {
                paragraph = Some(String::new());
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(p) = paragraph.take() {
                    analysis.summary = Some(p.trim().to_string());
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
                if let Some(p) = paragraph.as_mut() {
                    p.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = paragraph.as_mut() {
                    p.push(' ');
                }
            }
            // `<someone@example.com>`: its target is an address, not a path.
            Event::Start(Tag::Link { link_type: LinkType::Email, .. }) => {}
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                analysis.links.push(LinkRef { line: lines.line(range.start), target: dest_url.to_string() });
            }
            Event::Start(Tag::HtmlBlock) => html_block = Some((lines.line(range.start), String::new())),
            Event::Html(h) => match html_block.as_mut() {
                Some((_, block)) => block.push_str(&h),
                None => raw_html(&mut analysis, lines.line(range.start), &h),
            },
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((line, block)) = html_block.take() {
                    raw_html(&mut analysis, line, &block);
                }
            }
            Event::InlineHtml(h) => raw_html(&mut analysis, lines.line(range.start), &h),
            _ => {}
        }
    }
    analysis
}

/// Anchors and links in raw HTML starting on `line`.
fn raw_html(analysis: &mut Analysis, line: usize, text: &str) {
    for attr in html::attributes(text) {
        if attr.is_anchor() {
            analysis.anchors.insert(attr.value.clone());
        } else if attr.is_link() {
            let line = line + text[..attr.range.start].matches('\n').count();
            analysis.links.push(LinkRef { line, target: attr.value });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_github_ids_deduplicated_and_explicit_ids_win() {
        let md = "# Lesson\n\n## Examples\n\n## Examples\n\n## The `Bucket` trait\n\n## Custom {#mine}\n";
        let a = analyze(md);
        let ids: Vec<&str> = a.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["lesson", "examples", "examples-1", "the-bucket-trait", "mine"]);
        assert_eq!(a.headings[3].text, "The Bucket trait");
    }

    #[test]
    fn links_carry_their_lines_and_raw_html_defines_anchors() {
        let md = "# T\n\nFirst para\ncontinues.\n\n[a](b.md#c)\n\n<details id=\"faq\">\n<summary>Q</summary>\n<img\n src=\"x.svg\">\n</details>\n\n![i](assets/i.svg) <a href=\"#faq\">f</a> <me@example.com>\n";
        let a = analyze(md);
        let links: Vec<(usize, &str)> = a.links.iter().map(|l| (l.line, l.target.as_str())).collect();
        assert_eq!(links, [(6, "b.md#c"), (11, "x.svg"), (14, "assets/i.svg"), (14, "#faq")]);
        assert!(a.anchors.contains("faq") && a.anchors.contains("t"));
        assert_eq!(a.summary.as_deref(), Some("First para continues."));
    }

    #[test]
    fn line_numbers_are_one_based() {
        let lines = Lines::new("a\nb\n\nc");
        assert_eq!([0, 1, 2, 3, 4, 5].map(|o| lines.line(o)), [1, 1, 2, 2, 3, 4]);
    }
}
