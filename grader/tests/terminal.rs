//! At a terminal the grader shows what it is waiting for; off one it never
//! does. The terminal is a real pseudo-terminal, made by util-linux's
//! `script`, which runs the grader with stdin, stdout and stderr on it.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// A copy of the pristine token-bucket stub at a fixed path (so its runner
/// is reused between runs), edited now, so that grading it must compile it
/// again: a build the grader waits on. One per test (they run in parallel).
fn edited_stub(name: &str) -> PathBuf {
    let root = common::root();
    let dir = root.join("target/grader/test-courses").join(name);
    let pristine = root.join("exercises/.pristine/token-bucket");
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    // Outside the workspace, it inherits nothing: its manifest says it all.
    let manifest = format!(
        "[package]\nname = \"token-bucket\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\ncontracts = {{ path = {:?} }}\n",
        root.join("contracts")
    );
    grader::runner::write_if_changed(&dir.join("Cargo.toml"), &manifest).expect("write");
    let text = std::fs::read_to_string(pristine.join("src/lib.rs")).expect("pristine stub");
    std::fs::write(dir.join("src/lib.rs"), text).expect("write");
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let lib = dir.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).expect("read");
    std::fs::write(&lib, format!("{text}\n// edited at {stamp}\n")).expect("write");
    dir
}

fn grade_args(stub: &std::path::Path) -> Vec<String> {
    ["grade", "token-bucket", "--crate", &stub.display().to_string(), "--seed", "1"].map(String::from).to_vec()
}

#[test]
#[cfg(target_os = "linux")]
fn at_a_terminal_the_build_shows_progress_then_erases_it() {
    // util-linux `script` makes the pseudo-terminal; a machine without it
    // says so in one line and skips (Debian ships it in an essential package).
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed, so no pseudo-terminal can be made");
        return;
    }
    let stub = edited_stub("terminal-stub");
    let grader = env!("CARGO_BIN_EXE_grader");
    let command: Vec<String> =
        std::iter::once(grader.to_string()).chain(grade_args(&stub)).map(|a| format!("'{a}'")).collect();
    let out = Command::new("script")
        .args(["-qefc", &command.join(" "), "/dev/null"])
        .current_dir(common::root())
        .env("GRADER_PROGRESS", "none")
        .env_remove("CI")
        .output()
        .expect("util-linux `script` runs (it makes the pseudo-terminal)");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the stub is graded: not implemented\n{shown}");
    assert!(
        shown.contains("compiling the suite and your crate: 1 done, last token_bucket"),
        "the runner's build is shown while it runs:\n{shown}"
    );
    let report = shown.find("stage 1/9").expect("the report follows");
    assert!(
        shown[..report].ends_with("\r\x1b[Ktoken-bucket — Rate limiting with a token bucket\r\n○ "),
        "the spinner is erased before the report:\n{shown:?}"
    );
}

#[test]
fn off_a_terminal_there_is_no_progress() {
    let stub = edited_stub("no-terminal-stub");
    let out = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(grade_args(&stub))
        .current_dir(common::root())
        .env("GRADER_PROGRESS", "none")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("(not implemented yet)"), "the stub compiled and was graded:\n{report}");
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{name} has terminal controls:\n{text:?}");
        assert!(!text.contains("compiling"), "{name} shows progress:\n{text}");
    }
}
