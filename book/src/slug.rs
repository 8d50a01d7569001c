//! Heading ids, the way GitHub makes them.
//!
//! A lesson read on GitHub and the same lesson read in the book must agree on
//! anchors, or a link like `other.md#exact-arithmetic` works in one and breaks in
//! the other. So ids follow GitHub's rule (github-slugger): lowercase, drop
//! everything that is not a letter, a digit, `-`, `_` or a space, turn each
//! space into `-`, and number repeats `-1`, `-2`, ….

use std::collections::HashMap;

/// The GitHub-style slug of a heading's text, without deduplication.
///
/// ```
/// assert_eq!(book::slugify("2. The mechanism"), "2-the-mechanism");
/// assert_eq!(book::slugify("Saying no: 429 and Retry-After"), "saying-no-429-and-retry-after");
/// assert_eq!(book::slugify("GCRA — one number"), "gcra--one-number");
/// ```
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c == ' ' {
            slug.push('-');
        } else if c.is_alphanumeric() || c == '-' || c == '_' {
            slug.extend(c.to_lowercase());
        }
    }
    slug
}

/// Hands out unique slugs for one page: the second "Examples" becomes
/// `examples-1`, the third `examples-2`, exactly as GitHub numbers them.
#[derive(Debug, Default, Clone)]
pub struct Slugger {
    seen: HashMap<String, usize>,
}

impl Slugger {
    /// A slugger that has handed out nothing yet.
    pub fn new() -> Slugger {
        Slugger::default()
    }

    /// The unique slug for `text` on this page.
    pub fn slug(&mut self, text: &str) -> String {
        let mut base = slugify(text);
        if base.is_empty() {
            base = "section".to_string();
        }
        self.unique(base)
    }

    /// Records an id given explicitly (`{#id}` on a heading) so that later
    /// generated slugs avoid it; returns it unchanged.
    pub fn reserve(&mut self, id: &str) -> String {
        self.seen.entry(id.to_string()).or_insert(0);
        id.to_string()
    }

    fn unique(&mut self, base: String) -> String {
        let mut candidate = base.clone();
        while self.seen.contains_key(&candidate) {
            let n = self.seen.entry(base.clone()).or_insert(0);
            *n += 1;
            candidate = format!("{base}-{n}");
        }
        self.seen.insert(candidate.clone(), 0);
        candidate
    }
}
