//! "Its code blocks compile": every fenced Rust block of every lesson that is
//! not marked `ignore` (or `compile_fail`, `text`) is compiled with
//! `cargo check`, against the course's `contracts` crate, so a block may
//! `use contracts::…`. A block without `fn main` is wrapped in one.

mod common;

use std::path::Path;
use std::process::Command;

use common::{course_toml, fixture, load, real_catalog, repo_root};

/// One block, with where it came from.
struct Located {
    file: String,
    name: String,
    block: book::CodeBlock,
}

/// Compiles every compile-able Rust block of `catalog`'s lessons in one
/// throwaway crate; returns how many there were, or a report naming each
/// failing block by file:line with its code and the compiler's output.
fn check_blocks(catalog: &catalog::Catalog) -> Result<usize, String> {
    let mut blocks = Vec::new();
    for lesson in &catalog.lessons {
        let text = std::fs::read_to_string(&lesson.file).expect("read lesson");
        let file = lesson.file.strip_prefix(&catalog.root).unwrap_or(&lesson.file).display().to_string();
        for block in book::rust_blocks(&text) {
            let name = format!("{}_l{}", lesson.slug.replace('-', "_"), block.line);
            blocks.push(Located { file: file.clone(), name, block });
        }
    }

    let root = repo_root();
    let krate = tempfile::tempdir().expect("temp dir");
    let contracts = root.join("contracts");
    let manifest = format!(
        "[package]\nname = \"book-doctest\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\ncontracts = {{ path = {:?} }}\n\n[workspace]\n",
        contracts.display().to_string()
    );
    write(&krate.path().join("Cargo.toml"), &manifest);
    write(&krate.path().join("src/lib.rs"), "//! The lessons' Rust blocks, one binary each.\n");
    if root.join("Cargo.lock").is_file() {
        // Same dependency versions as the workspace, nothing to fetch.
        std::fs::copy(root.join("Cargo.lock"), krate.path().join("Cargo.lock")).expect("copy Cargo.lock");
    }
    for b in &blocks {
        let source = format!(
            "// {}:{} (```{})\n#![allow(unused, dead_code)]\n{}",
            b.file,
            b.block.line,
            b.block.info,
            wrap(&b.block.code)
        );
        write(&krate.path().join(format!("src/bin/{}.rs", b.name)), &source);
    }

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["check", "--offline", "--keep-going", "--bins", "--lib", "--manifest-path"])
        .arg(krate.path().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/book-doctest"))
        .output()
        .expect("run cargo check");
    if output.status.success() {
        return Ok(blocks.len());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut report = String::from("Rust code blocks in the lessons do not compile:\n");
    for b in blocks.iter().filter(|b| stderr.contains(&format!("src/bin/{}.rs", b.name))) {
        report.push_str(&format!("\n{}:{}: ```{}\n{}\n", b.file, b.block.line, b.block.info, b.block.code.trim_end()));
    }
    report.push_str(&format!("\ncargo check said:\n{stderr}"));
    Err(report)
}

/// The block as a program: as is when it has a `main`, else inside one, with
/// its inner attributes (`#![…]`) kept at the top.
fn wrap(code: &str) -> String {
    if code.contains("fn main") {
        return code.to_string();
    }
    let (attrs, body): (Vec<&str>, Vec<&str>) = {
        let lines: Vec<&str> = code.lines().collect();
        let n = lines.iter().take_while(|l| l.trim_start().starts_with("#![") || l.trim().is_empty()).count();
        (lines[..n].to_vec(), lines[n..].to_vec())
    };
    format!("{}\nfn main() {{\n{}\n}}\n", attrs.join("\n"), body.join("\n"))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn the_lessons_rust_blocks_compile() {
    match check_blocks(&real_catalog()) {
        Ok(n) => println!("{n} Rust block(s) in the lessons compile"),
        Err(report) => panic!("{report}"),
    }
}

const FIXTURE: &str = "# A

```rust
use contracts as _;
let x: u32 = 1;
```

```rust,ignore
this is not Rust at all
```

```rust,no_run
# use std::collections::HashMap;
fn main() {
    let _m: HashMap<u8, u8> = HashMap::new();
}
```

```text
neither is this
```

```rust
let y: u32 = \"not a number\";
```
";

/// The harness is not vacuous: a block that does not compile fails the check,
/// named by file and line, while ignored and non-Rust blocks are left alone.
#[test]
fn a_block_that_does_not_compile_is_named_by_file_and_line() {
    let dir = fixture(&[("course.toml", &course_toml("T", &[("a", "A", "lessons/a.md")])), ("lessons/a.md", FIXTURE)]);
    let report = match check_blocks(&load(dir.path())) {
        Ok(n) => panic!("{n} blocks compiled, but one is broken"),
        Err(report) => report,
    };
    assert!(report.contains("lessons/a.md:23: ```rust\nlet y: u32 = \"not a number\";"), "{report}");
    assert!(report.contains("mismatched types"), "{report}");
    for fine in ["lessons/a.md:3:", "lessons/a.md:12:", "lessons/a.md:8:"] {
        assert!(!report.contains(fine), "{fine} was reported:\n{report}");
    }
}

/// Blocks that compile pass: one using `contracts`, one with hidden lines.
#[test]
fn good_blocks_compile_against_contracts() {
    let good = FIXTURE.split("```rust\nlet y").next().expect("the fixture's good part");
    let dir = fixture(&[("course.toml", &course_toml("T", &[("a", "A", "lessons/a.md")])), ("lessons/a.md", good)]);
    match check_blocks(&load(dir.path())) {
        Ok(n) => assert_eq!(n, 2),
        Err(report) => panic!("{report}"),
    }
}

#[test]
fn rust_blocks_are_the_rust_fences_meant_to_compile() {
    let blocks = book::rust_blocks(FIXTURE);
    let got: Vec<(usize, &str)> = blocks.iter().map(|b| (b.line, b.info.as_str())).collect();
    assert_eq!(got, [(3, "rust"), (12, "rust,no_run"), (23, "rust")]);
    assert_eq!(blocks[0].code, "use contracts as _;\nlet x: u32 = 1;\n");
    assert!(blocks[1].code.starts_with("use std::collections::HashMap;\nfn main() {"), "hidden lines are compiled");
}
