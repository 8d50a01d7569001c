//! The whole book before it is written: every lesson read and analysed, and
//! the rule that turns a link written in a lesson into a link in the book.
//!
//! Layout of the output: every page sits at the top (`index.html`,
//! `<slug>.html`), so every relative link is rewritten:
//! - a lesson (`../1-front-door/load-balancer.md#health`) becomes its page (`load-balancer.html#health`);
//! - a file under `lessons/` keeps its path below `lessons/` (`assets/x.svg`);
//! - any other file of the course is copied below `_repo/` (`_repo/contracts/src/lib.rs`).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use catalog::Catalog;

use crate::markdown::{self, Analysis};
use crate::{BookError, BrokenLink, StageProblem, stages};

/// One lesson, read.
pub(crate) struct Page {
    pub slug: String,
    pub title: String,
    /// Absolute, normalised.
    pub file: PathBuf,
    /// The part of the course the lesson belongs to, from its folder
    /// (`lessons/1-front-door/x.md` → "Front door"); `None` directly in `lessons/`.
    pub part: Option<String>,
    /// The markdown with its stage tables rendered from the catalogue (same lines as the file).
    pub text: String,
    /// Stage facts the lesson gets wrong.
    pub problems: Vec<stages::Problem>,
    pub analysis: Analysis,
    pub exercise: Option<ExerciseInfo>,
}

/// What the index says about a lesson's exercise.
pub(crate) struct ExerciseInfo {
    /// The learner's crate, relative to the course root.
    pub crate_dir: String,
    /// How many graded stages it has.
    pub stages: usize,
}

/// All lessons of a catalogue, read and analysed.
pub(crate) struct Site {
    pub title: String,
    pub root: PathBuf,
    pub lessons_dir: PathBuf,
    pub pages: Vec<Page>,
}

/// Where a link written in a lesson leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// Leave the link as written: external, or an anchor on the same page.
    Keep,
    /// Another lesson's page (or this one's, by file name).
    Page { href: String },
    /// A file copied into the book.
    File { source: PathBuf, out: String, href: String },
}

impl Site {
    pub fn load(catalog: &Catalog) -> Result<Site, BookError> {
        let root = normalize(&std::path::absolute(&catalog.root).map_err(|e| BookError::io(&catalog.root, e))?);
        let mut pages = Vec::with_capacity(catalog.lessons.len());
        for lesson in &catalog.lessons {
            let file = normalize(&root.join(&lesson.file));
            let source = std::fs::read_to_string(&file).map_err(|e| BookError::io(&file, e))?;
            let facts = lesson.exercise.as_ref().map(|ex| ex.stages.as_slice());
            let (text, mut problems) = stages::expand(&source, facts);
            problems.extend(stages::check_samples(&source, facts));
            problems.sort_by_key(|p| p.line);
            let analysis = markdown::analyze(&text);
            let exercise = lesson.exercise.as_ref().map(|ex| ExerciseInfo {
                crate_dir: slash_path(
                    normalize(&root.join(&ex.crate_dir)).strip_prefix(&root).unwrap_or(&ex.crate_dir),
                ),
                stages: ex.stages.len(),
            });
            let lessons_dir = root.join("lessons");
            let part = file.parent().filter(|dir| dir.parent() == Some(lessons_dir.as_path())).and_then(part_name);
            pages.push(Page {
                slug: lesson.slug.clone(),
                title: lesson.title.clone(),
                file,
                part,
                text,
                problems,
                analysis,
                exercise,
            });
        }
        Ok(Site { title: catalog.title.clone(), lessons_dir: root.join("lessons"), root, pages })
    }

    /// `path` as shown in messages: relative to the course root when inside it.
    pub fn display(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
    }

    /// Stage facts a lesson gets wrong, then every broken link of every
    /// lesson, in lesson then line order.
    pub fn check(&self) -> Result<(), BookError> {
        let stale: Vec<StageProblem> = self
            .pages
            .iter()
            .flat_map(|page| {
                page.problems.iter().map(|p| StageProblem {
                    file: self.display(&page.file),
                    line: p.line,
                    message: p.message.clone(),
                })
            })
            .collect();
        if !stale.is_empty() {
            return Err(BookError::Stages(stale));
        }
        let mut broken = Vec::new();
        for (i, page) in self.pages.iter().enumerate() {
            for link in &page.analysis.links {
                if let Err(reason) = self.resolve(i, &link.target) {
                    broken.push(BrokenLink {
                        file: self.display(&page.file),
                        line: link.line,
                        target: link.target.clone(),
                        reason,
                    });
                }
            }
        }
        if broken.is_empty() { Ok(()) } else { Err(BookError::BrokenLinks(broken)) }
    }

    /// Files the pages link to, by their place in the output.
    pub fn linked_files(&self) -> BTreeMap<String, PathBuf> {
        let mut files = BTreeMap::new();
        for (i, page) in self.pages.iter().enumerate() {
            for link in &page.analysis.links {
                if let Ok(Resolved::File { source, out, .. }) = self.resolve(i, &link.target) {
                    files.insert(out, source);
                }
            }
        }
        files
    }

    /// Where `target`, written in lesson `from`, leads; or why it leads nowhere.
    pub fn resolve(&self, from: usize, target: &str) -> Result<Resolved, String> {
        let page = &self.pages[from];
        let target = target.trim();
        if target.is_empty() {
            return Err("empty link target".into());
        }
        if is_external(target) {
            return Ok(Resolved::Keep);
        }
        if target.starts_with('/') {
            return Err("absolute path: write it relative to the lesson file".into());
        }
        let (path, fragment) = match target.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (target, None),
        };
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        if path.is_empty() {
            if let Some(fragment) = fragment {
                self.anchor(from, fragment)?;
            }
            return Ok(Resolved::Keep);
        }
        let decoded = percent_decode(path).ok_or_else(|| "bad %-escape in the path".to_string())?;
        let dir = page.file.parent().unwrap_or(&self.root);
        let resolved = normalize(&dir.join(&decoded));
        if !resolved.starts_with(&self.root) {
            return Err("points outside the course folder".into());
        }
        let suffix =
            query.map(|q| format!("?{q}")).unwrap_or_default() + &fragment.map(|f| format!("#{f}")).unwrap_or_default();
        if let Some(to) = self.pages.iter().position(|p| p.file == resolved) {
            if let Some(fragment) = fragment {
                self.anchor(to, fragment)?;
            }
            return Ok(Resolved::Page { href: format!("{}.html{suffix}", self.pages[to].slug) });
        }
        let shown = self.display(&resolved);
        let is_md = resolved.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"));
        if is_md && resolved.starts_with(&self.lessons_dir) && resolved.is_file() {
            return Err(format!("{} is not a lesson of course.toml: the book has no page for it", shown.display()));
        }
        if resolved.is_dir() {
            return Err(format!("{} is a folder: the book cannot show a folder, link a file in it", shown.display()));
        }
        if !resolved.is_file() {
            return Err(format!("no such file: {}", shown.display()));
        }
        let out = match resolved.strip_prefix(&self.lessons_dir) {
            Ok(rel) => slash_path(rel),
            Err(_) => format!("_repo/{}", slash_path(&shown)),
        };
        let href = percent_encode_path(&out) + &suffix;
        Ok(Resolved::File { source: resolved, out, href })
    }

    fn anchor(&self, page: usize, fragment: &str) -> Result<(), String> {
        let page = &self.pages[page];
        let id = percent_decode(fragment).unwrap_or_else(|| fragment.to_string());
        if fragment.is_empty() || page.analysis.anchors.contains(&id) {
            Ok(())
        } else {
            Err(format!("no heading or id `{id}` in {}", self.display(&page.file).display()))
        }
    }
}

/// The part a folder of `lessons/` holds: `1-front-door` → "Front door".
/// A folder not named `<n>-<part>` is no part.
fn part_name(dir: &Path) -> Option<String> {
    let name = dir.file_name()?.to_str()?;
    let (number, words) = name.split_once('-')?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || words.is_empty() {
        return None;
    }
    let words = words.replace('-', " ");
    let mut chars = words.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

/// A link with a scheme (`https:`, `mailto:`, …) or protocol-relative (`//host`).
fn is_external(target: &str) -> bool {
    if target.starts_with("//") {
        return true;
    }
    match target.find(':') {
        Some(colon) => {
            let scheme = &target[..colon];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(out.components().next_back(), Some(Component::RootDir | Component::Prefix(_))) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// Decodes `%xx` escapes; `None` for a malformed escape or invalid UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_folders_name_their_part() {
        assert_eq!(part_name(Path::new("/c/lessons/1-front-door")).as_deref(), Some("Front door"));
        assert_eq!(part_name(Path::new("/c/lessons/12-data")).as_deref(), Some("Data"));
        for no_part in ["/c/lessons/assets", "/c/lessons/front-door", "/c/lessons/1-", "/c/lessons/x1-a"] {
            assert_eq!(part_name(Path::new(no_part)), None, "{no_part}");
        }
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
        assert_eq!(normalize(Path::new("/a/../../b")), PathBuf::from("/b"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
    }

    #[test]
    fn schemes_are_external_paths_are_not() {
        for t in ["https://x.org", "http://x", "mailto:a@b", "//cdn.example/x.js", "irc+x:y"] {
            assert!(is_external(t), "{t}");
        }
        for t in ["a.md", "assets/x.svg", "#anchor", "x.md#a:b", "./c:d"] {
            assert!(!is_external(t), "{t}");
        }
    }

    #[test]
    fn percent_escapes_round_trip() {
        assert_eq!(percent_decode("my%20file%C3%A9.svg").as_deref(), Some("my fileé.svg"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_encode_path("assets/my fileé.svg"), "assets/my%20file%C3%A9.svg");
    }
}
