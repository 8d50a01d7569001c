//! Small HTML helpers: escaping, and a forgiving scanner for the attributes of
//! raw HTML written inside lessons (`<img src=…>`, `<a href=…>`, `id="…"`).
//!
//! The scanner is not a full HTML parser and does not need to be: lessons hold
//! a handful of hand-written tags (`<details>`, `<summary>`, now and then an
//! `<img>` or an anchor), and all the book needs from them is where their
//! links point and which ids they define.

use std::ops::Range;

/// Escapes text for use in HTML content or a quoted attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One attribute with a value, found in a start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attr {
    /// The tag's name, lowercase.
    pub tag: String,
    /// The attribute's name, lowercase.
    pub name: String,
    /// The value, as written (entities are not decoded).
    pub value: String,
    /// Where the value sits in the scanned text (without its quotes).
    pub range: Range<usize>,
}

impl Attr {
    /// An attribute whose value is a URL the book must check and may rewrite.
    pub fn is_link(&self) -> bool {
        matches!(self.name.as_str(), "href" | "src")
    }

    /// An attribute that defines an anchor a `#fragment` may point at.
    pub fn is_anchor(&self) -> bool {
        self.name == "id" || (self.name == "name" && self.tag == "a")
    }
}

/// Every valued attribute of every start tag in `html`, in order. Comments are
/// skipped; text that is not a tag is ignored.
pub(crate) fn attributes(html: &str) -> Vec<Attr> {
    let b = html.as_bytes();
    let mut attrs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if html[i..].starts_with("<!--") {
            i = html[i + 4..].find("-->").map_or(b.len(), |end| i + 4 + end + 3);
            continue;
        }
        if b[i] != b'<' || !b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        let tag = html[i + 1..j].to_ascii_lowercase();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() {
                break;
            }
            if b[j] == b'>' {
                j += 1;
                break;
            }
            let name_start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/') {
                j += 1;
            }
            let name = html[name_start..j].to_ascii_lowercase();
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if b.get(j) != Some(&b'=') {
                if name.is_empty() {
                    j += 1;
                }
                continue;
            }
            j += 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let range = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let start = j + 1;
                    let end = html[start..].find(q as char).map_or(b.len(), |n| start + n);
                    j = (end + 1).min(b.len());
                    start..end
                }
                _ => {
                    let start = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    start..j
                }
            };
            if !name.is_empty() {
                attrs.push(Attr { tag: tag.clone(), name, value: html[range.clone()].to_string(), range });
            }
        }
        i = j;
    }
    attrs
}

/// `html` with the values of some attributes replaced: `replace` sees each
/// valued attribute and returns the new raw value (already escaped) or `None`
/// to keep it.
pub(crate) fn rewrite_attributes(html: &str, mut replace: impl FnMut(&Attr) -> Option<String>) -> String {
    let mut out = html.to_string();
    for attr in attributes(html).iter().rev() {
        if let Some(value) = replace(attr) {
            out.replace_range(attr.range.clone(), &value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quoted_unquoted_and_multiline_attributes() {
        let html = "<p>a < b</p><!-- <a href=\"no\"> -->\n<img\n  src='assets/x.svg' width=600 alt=\"a > b\">\n<a name=top id=\"t\" href=#x>";
        let found: Vec<(String, String, String)> =
            attributes(html).into_iter().map(|a| (a.tag, a.name, a.value)).collect();
        let want = [
            ("img", "src", "assets/x.svg"),
            ("img", "width", "600"),
            ("img", "alt", "a > b"),
            ("a", "name", "top"),
            ("a", "id", "t"),
            ("a", "href", "#x"),
        ];
        let want: Vec<(String, String, String)> =
            want.iter().map(|(t, n, v)| (t.to_string(), n.to_string(), v.to_string())).collect();
        assert_eq!(found, want);
    }

    #[test]
    fn rewrites_only_what_it_is_asked_to() {
        let html = r#"<a href="b.md#x" title="b.md">b</a>"#;
        let out = rewrite_attributes(html, |a| a.is_link().then(|| "b.html#x".to_string()));
        assert_eq!(out, r#"<a href="b.html#x" title="b.md">b</a>"#);
    }

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
