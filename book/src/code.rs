//! Fenced code blocks: their language, rustdoc-style attributes, hidden lines,
//! and the Rust blocks that must compile.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::markdown::{Lines, options};

/// A fenced Rust code block that the course promises compiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// 1-based line of the opening fence in the markdown.
    pub line: usize,
    /// The fence's info string, as written (`rust`, `rust,no_run`, …).
    pub info: String,
    /// The code to compile: hidden lines (`# …`) included, without their `# `.
    pub code: String,
}

/// The fenced blocks of `markdown` that are Rust and meant to compile, in order.
///
/// A block is taken when its info string names `rust` (or starts with a
/// rustdoc attribute, which implies Rust) and carries none of `ignore`,
/// `ignore-*`, `compile_fail` or `text`. `no_run` and `should_panic` blocks are
/// taken: they must compile even though they are not run, as in rustdoc.
/// Blocks in other languages, bare fences and indented blocks are never taken.
///
/// Lines starting with `# ` (or a lone `#`) are hidden in the book but are part
/// of the code, as in rustdoc: a block can hide its `use contracts::…;`.
pub fn rust_blocks(markdown: &str) -> Vec<CodeBlock> {
    let lines = Lines::new(markdown);
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String, String)> = None;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                current = Some((lines.line(range.start), info.to_string(), String::new()));
            }
            Event::Text(text) => {
                if let Some((_, _, code)) = current.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((line, info, code)) = current.take() {
                    let fence = Fence::parse(&info);
                    if fence.compiles() {
                        blocks.push(CodeBlock { line, info, code: unhide(&code) });
                    }
                }
            }
            _ => {}
        }
    }
    blocks
}

/// What a fence's info string says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fence {
    /// The language, lowercase; empty for a bare fence.
    pub lang: String,
    /// The other words: rustdoc attributes and the like.
    pub attrs: Vec<String>,
}

/// rustdoc attributes that may open an info string and imply Rust.
const RUSTDOC_ATTRS: &[&str] =
    &["ignore", "no_run", "should_panic", "compile_fail", "edition2015", "edition2018", "edition2021", "edition2024"];

impl Fence {
    /// Splits `rust,ignore`, `rust ignore`, `{.rust}` and the like.
    pub fn parse(info: &str) -> Fence {
        let mut words = info
            .split(|c: char| c == ',' || c.is_whitespace() || c == '{' || c == '}')
            .map(|w| w.trim_start_matches('.'))
            .filter(|w| !w.is_empty())
            .map(str::to_string);
        let first = words.next().unwrap_or_default();
        let mut attrs: Vec<String> = words.collect();
        let lang = if RUSTDOC_ATTRS.contains(&first.as_str()) || first.starts_with("ignore-") {
            attrs.insert(0, first);
            "rust".to_string()
        } else {
            first.to_ascii_lowercase()
        };
        Fence { lang, attrs }
    }

    /// Rust, with hidden-line support in the rendered book.
    pub fn is_rust(&self) -> bool {
        self.lang == "rust"
    }

    /// Rust that is meant to compile.
    pub fn compiles(&self) -> bool {
        self.is_rust()
            && !self
                .attrs
                .iter()
                .any(|a| a == "ignore" || a.starts_with("ignore-") || a == "compile_fail" || a == "text")
    }
}

/// How a line of a Rust block reads: hidden from the book or shown.
enum RustLine<'a> {
    Hidden(&'a str),
    Shown(&'a str),
    /// `##…` shows as `#…`.
    Escaped(&'a str),
}

fn classify(line: &str) -> RustLine<'_> {
    let trimmed = line.trim_start();
    if trimmed == "#" {
        RustLine::Hidden("")
    } else if let Some(rest) = trimmed.strip_prefix("# ") {
        RustLine::Hidden(rest)
    } else if trimmed.starts_with("##") {
        let indent = line.len() - trimmed.len();
        RustLine::Escaped(&line[indent + 1..])
    } else {
        RustLine::Shown(line)
    }
}

fn map_lines(code: &str, keep_hidden: bool) -> String {
    let mut out = String::with_capacity(code.len());
    for line in code.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        match classify(body) {
            RustLine::Hidden(rest) if keep_hidden => out.push_str(rest),
            RustLine::Hidden(_) => continue,
            RustLine::Escaped(rest) => {
                out.push_str(&body[..body.len() - rest.len() - 1]);
                out.push_str(rest);
            }
            RustLine::Shown(body) => out.push_str(body),
        }
        out.push_str(newline);
    }
    out
}

/// The code as the compiler sees it: hidden lines kept, `# ` removed.
pub(crate) fn unhide(code: &str) -> String {
    map_lines(code, true)
}

/// The code as the reader sees it: hidden lines dropped.
pub(crate) fn visible(code: &str) -> String {
    map_lines(code, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_read_like_rustdoc() {
        let f = Fence::parse("rust,ignore");
        assert_eq!((f.lang.as_str(), f.attrs.as_slice()), ("rust", &["ignore".to_string()][..]));
        assert!(!f.compiles());
        assert!(Fence::parse("rust").compiles());
        assert!(Fence::parse("rust,no_run").compiles());
        assert!(Fence::parse("no_run").compiles());
        assert!(Fence::parse("Rust edition2024").compiles());
        assert!(!Fence::parse("ignore").compiles());
        assert!(!Fence::parse("rust,ignore-wasm32").compiles());
        assert!(!Fence::parse("rust,compile_fail").compiles());
        assert!(!Fence::parse("rust,text").compiles());
        assert!(!Fence::parse("text").compiles());
        assert!(!Fence::parse("").compiles());
        assert_eq!(Fence::parse("{.lua}").lang, "lua");
    }

    #[test]
    fn hidden_lines_compile_but_do_not_show() {
        let code = "# use std::fmt;\n#\nfn f() {}\n    ## not hidden\n#[derive(Debug)]\nstruct S;";
        assert_eq!(unhide(code), "use std::fmt;\n\nfn f() {}\n    # not hidden\n#[derive(Debug)]\nstruct S;");
        assert_eq!(visible(code), "fn f() {}\n    # not hidden\n#[derive(Debug)]\nstruct S;");
    }
}
