//! Helpers shared by the book's integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The course root: the workspace folder holding `course.toml`.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The real course's catalogue.
pub fn real_catalog() -> catalog::Catalog {
    catalog::Catalog::load(&repo_root()).expect("the course catalogue loads")
}

/// A course folder made of `files` (path, content); `course.toml` among them.
pub fn fixture(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write fixture file");
    }
    dir
}

/// Loads the catalogue of a fixture folder.
pub fn load(dir: &Path) -> catalog::Catalog {
    catalog::Catalog::load(dir).expect("fixture catalogue loads")
}

/// `course.toml` for lessons given as (slug, title, file).
pub fn course_toml(title: &str, lessons: &[(&str, &str, &str)]) -> String {
    let mut toml = format!("format_version = 1\ntitle = \"{title}\"\n");
    for (slug, title, file) in lessons {
        toml.push_str(&format!("\n[[lesson]]\nslug = \"{slug}\"\ntitle = \"{title}\"\nfile = \"{file}\"\n"));
    }
    toml
}

/// Every `href="…"` and `src="…"` value in an HTML page.
pub fn html_links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            let value = &rest[at + attr.len()..];
            let end = value.find('"').expect("a closing quote");
            links.push(value[..end].replace("&amp;", "&"));
            rest = &value[end..];
        }
    }
    links
}
