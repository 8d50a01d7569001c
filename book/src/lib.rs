//! The course book: renders the lessons (markdown) into a local static HTML
//! book, checks that no internal link in it is broken, extracts the Rust code
//! blocks that must compile, and serves the result on loopback.
//!
//! The lessons come from the catalogue (`course.toml`), in its order:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let catalog = catalog::Catalog::load(std::path::Path::new("."))?;
//! book::check_links(&catalog)?; // every relative link and #anchor resolves
//! let report = book::build(&catalog, std::path::Path::new("target/book"))?;
//! println!("{} pages in {}", report.pages, report.out_dir.display());
//! # Ok(()) }
//! ```
//!
//! Lessons live in part folders (`lessons/1-front-door/<slug>.md`; the index and
//! the sidebar group them under "Front door"), their images in `lessons/assets/`.
//! A lesson's identity is its slug, never its place: the output is flat,
//! `index.html`, one `<slug>.html` per lesson, `style.css`, the lessons'
//! `assets/`, and any other file a lesson links to. Every relative link is
//! checked and rewritten for that layout (a link to `../2-data/cache.md#y`
//! becomes `cache.html#y`, `../assets/x.svg` becomes `assets/x.svg`), so a link
//! that works in the markdown works in the book.
//!
//! Facts about stages come from the catalogue: a table after `<!-- stages -->`
//! lists the exercise's stages by id, and the book adds each one's number and
//! title from `course.toml`; sample reports quoted in a lesson are checked
//! against it (see [`StageProblem`]).

mod code;
mod html;
mod markdown;
mod render;
mod serve;
mod site;
mod slug;
mod stages;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use code::{CodeBlock, rust_blocks};
pub use serve::{Server, Stopper, serve};
pub use slug::{Slugger, slugify};

use site::Site;

/// What [`build`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// HTML pages written: one per lesson, plus the index.
    pub pages: usize,
    /// The folder the book was written to.
    pub out_dir: PathBuf,
    /// The book's entry page, `out_dir/index.html`.
    pub index: PathBuf,
    /// Files copied next to the pages (images, linked sources), the stylesheet excluded.
    pub files: usize,
}

/// A relative link in a lesson that leads nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The lesson file, relative to the course root when inside it.
    pub file: PathBuf,
    /// 1-based line of the link.
    pub line: usize,
    /// The target as written.
    pub target: String,
    /// Why it does not resolve.
    pub reason: String,
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: broken link `{}`: {}", self.file.display(), self.line, self.target, self.reason)
    }
}

/// A fact about a stage that a lesson states and the catalogue contradicts (a
/// stage table without a row for a stage, a sample report with a stale stage
/// number), or a stage directive that cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageProblem {
    /// The lesson file, relative to the course root when inside it.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong, and what course.toml says.
    pub message: String,
}

impl fmt::Display for StageProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Why the book could not be built, checked or served.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Some lessons link to files, lessons or anchors that do not exist.
    #[error("{} broken link{} in the lessons:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, list(.0))]
    BrokenLinks(Vec<BrokenLink>),
    /// Some lessons state stage facts that disagree with `course.toml`.
    #[error("{} stage fact{} in the lessons disagree{} with course.toml:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, if .0.len() == 1 { "s" } else { "" }, list(.0))]
    Stages(Vec<StageProblem>),
    /// The server could not listen.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
}

impl BookError {
    fn io(path: &Path, source: io::Error) -> BookError {
        BookError::Io { path: path.to_path_buf(), source }
    }
}

fn list(items: &[impl fmt::Display]) -> String {
    items.iter().map(|b| format!("  {b}")).collect::<Vec<_>>().join("\n")
}

/// Checks every lesson against the catalogue, then every relative link and
/// image: stage tables and sample reports agree with `course.toml`
/// ([`BookError::Stages`]); the file exists (relative to the lesson), a linked
/// `.md` is a lesson of the catalogue, and a `#anchor` names a heading id or an
/// `id=` of the target page. External links (`https:`, `mailto:`, …) are not
/// checked. All problems of a kind are reported at once, each with its file
/// and line.
pub fn check_links(catalog: &catalog::Catalog) -> Result<(), BookError> {
    Site::load(catalog)?.check()
}

/// Renders the book into `out_dir` (created if missing; files in it are
/// overwritten, others left alone). Fails, writing nothing, if [`check_links`] fails.
pub fn build(catalog: &catalog::Catalog, out_dir: &Path) -> Result<BuildReport, BookError> {
    let site = Site::load(catalog)?;
    site.check()?;
    std::fs::create_dir_all(out_dir).map_err(|e| BookError::io(out_dir, e))?;
    let write = |name: &str, text: &str| {
        let path = out_dir.join(name);
        std::fs::write(&path, text).map_err(|e| BookError::io(&path, e))
    };
    write("style.css", render::STYLE)?;
    for (i, page) in site.pages.iter().enumerate() {
        write(&format!("{}.html", page.slug), &render::lesson_page(&site, i))?;
    }
    write("index.html", &render::index_page(&site))?;

    let mut files = site.linked_files();
    let assets = site.lessons_dir.join("assets");
    if assets.is_dir() {
        for file in walk(&assets)? {
            let rel = file.strip_prefix(&site.lessons_dir).unwrap_or(&file);
            let out = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            files.insert(out, file);
        }
    }
    for (out, source) in &files {
        let dest = out_dir.join(out);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| BookError::io(parent, e))?;
        }
        std::fs::copy(source, &dest).map_err(|e| BookError::io(source, e))?;
    }
    Ok(BuildReport {
        pages: site.pages.len() + 1,
        out_dir: out_dir.to_path_buf(),
        index: out_dir.join("index.html"),
        files: files.len(),
    })
}

/// Every file below `dir`, recursively, in a stable order.
fn walk(dir: &Path) -> Result<Vec<PathBuf>, BookError> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| BookError::io(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| BookError::io(dir, e))?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(walk(&path)?);
        } else if path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}
