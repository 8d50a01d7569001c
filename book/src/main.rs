//! `book`: render the course's lessons into a local HTML book, check its links,
//! or serve it on loopback.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: book <command>

commands:
  build [--out DIR]              render the lessons into DIR (default: target/book)
  check                          check every internal link of the lessons
  serve [--port N] [--out DIR]   build, then serve on http://127.0.0.1:N/ (default port 3000)
  help                           show this

Run from anywhere inside the course: the course is the nearest folder above
holding course.toml.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("book: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(());
    };
    let mut out: Option<PathBuf> = None;
    let mut port: u16 = 3000;
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--out" if command != "check" => out = Some(PathBuf::from(value()?)),
            "--port" if command == "serve" => {
                let v = value()?;
                port = v
                    .parse()
                    .map_err(|_| format!("--port {v}: not a port number"))?;
            }
            other => return Err(format!("unexpected argument `{other}`\n\n{USAGE}")),
        }
    }
    match command.as_str() {
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        "check" => {
            let catalog = load()?;
            book::check_links(&catalog).map_err(|e| e.to_string())?;
            let n = catalog.lessons.len();
            println!(
                "every internal link resolves ({n} lesson{})",
                if n == 1 { "" } else { "s" }
            );
            Ok(())
        }
        "build" => {
            let catalog = load()?;
            let out = out.unwrap_or_else(|| catalog.root.join("target/book"));
            let report = book::build(&catalog, &out).map_err(|e| e.to_string())?;
            println!(
                "wrote {} pages to {}",
                report.pages,
                report.out_dir.display()
            );
            println!("open {}", file_url(&report.index));
            Ok(())
        }
        "serve" => {
            let catalog = load()?;
            let out = out.unwrap_or_else(|| catalog.root.join("target/book"));
            let report = book::build(&catalog, &out).map_err(|e| e.to_string())?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            book::serve(&report.out_dir, addr, |bound| {
                println!(
                    "serving {} at http://{bound}/ (Ctrl-C to stop)",
                    report.out_dir.display()
                );
            })
            .map_err(|e| e.to_string())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// The catalogue of the nearest course folder above the current directory, or
/// of the course this binary was built in.
fn load() -> Result<catalog::Catalog, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
    let root = cwd
        .ancestors()
        .find(|dir| dir.join(catalog::FILE_NAME).is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    catalog::Catalog::load(&root).map_err(|e| e.to_string())
}

fn file_url(path: &Path) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", path.display())
}
