//! A tiny static-file HTTP/1.1 server for the built book, meant for loopback.
//!
//! It answers `GET` and `HEAD` for files under the book's folder, one thread
//! per connection, one request per connection (`Connection: close`). It never
//! serves anything outside that folder: a path with a `..` segment is refused
//! with 400 before the file system is touched, and the resolved file must still
//! lie inside the (canonical) folder, so a symlink cannot lead out either.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::BookError;
use crate::site::percent_decode;

/// Longest request head read, in bytes.
const MAX_HEAD: usize = 16 * 1024;
/// Connections handled at once; more get 503 at once.
const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send its request or read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `out_dir` on `addr` until the process ends. `ready` is called once the
/// socket is bound, with the bound address (so port 0 picks a free port).
///
/// To serve until told to stop, use [`Server`] and its [`Stopper`].
pub fn serve(out_dir: &Path, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> Result<(), BookError> {
    let server = Server::bind(out_dir, addr)?;
    ready(server.local_addr());
    server.run()
}

/// A bound book server that has not started answering yet.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    root: PathBuf,
    stop: Arc<AtomicBool>,
}

/// Stops a running [`Server`] from another thread.
#[derive(Debug, Clone)]
pub struct Stopper {
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) to serve the files under `out_dir`.
    pub fn bind(out_dir: &Path, addr: SocketAddr) -> Result<Server, BookError> {
        let root = out_dir.canonicalize().map_err(|e| BookError::io(out_dir, e))?;
        let listener = TcpListener::bind(addr).map_err(|source| BookError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| BookError::Bind { addr, source })?;
        Ok(Server { listener, addr, root, stop: Arc::new(AtomicBool::new(false)) })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that makes [`Server::run`] return.
    pub fn stopper(&self) -> Stopper {
        Stopper { stop: Arc::clone(&self.stop), addr: self.addr }
    }

    /// Answers requests until [`Stopper::stop`] is called. Requests already
    /// being answered finish on their own threads.
    pub fn run(self) -> Result<(), BookError> {
        let busy = Arc::new(AtomicUsize::new(0));
        let root = Arc::new(self.root);
        for stream in self.listener.incoming() {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(mut stream) = stream else { continue };
            if busy.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                busy.fetch_sub(1, Ordering::SeqCst);
                let _ = respond(&mut stream, false, 503, "text/plain; charset=utf-8", b"busy, try again\n");
                continue;
            }
            let (root, done) = (Arc::clone(&root), Arc::clone(&busy));
            let spawned = std::thread::Builder::new().name("book-serve".into()).spawn(move || {
                let _ = handle(&mut stream, &root);
                let _ = stream.shutdown(Shutdown::Both);
                done.fetch_sub(1, Ordering::SeqCst);
            });
            if spawned.is_err() {
                // The closure (and its `busy` decrement) never ran.
                busy.fetch_sub(1, Ordering::SeqCst);
            }
        }
        Ok(())
    }
}

impl Stopper {
    /// Makes the server's [`Server::run`] return after its current accept.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept with a connection of our own.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect(wake);
    }
}

/// What the server answers for a request target.
#[derive(Debug, PartialEq, Eq)]
enum Lookup {
    File(PathBuf),
    BadRequest(&'static str),
    NotFound,
}

/// Maps a request target (`/assets/x.svg?v=1`) to a file under `root`.
fn lookup(root: &Path, target: &str) -> Lookup {
    let Some(path) = target.strip_prefix('/') else {
        return Lookup::BadRequest("the target must start with /");
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let Some(path) = percent_decode(path) else {
        return Lookup::BadRequest("bad %-escape");
    };
    let mut file = root.to_path_buf();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Lookup::BadRequest("`..` is not allowed in a path"),
            s if s.contains(['\\', '\0', ':']) => {
                return Lookup::BadRequest("bad character in the path");
            }
            s => file.push(s),
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    match file.canonicalize() {
        Ok(real) if real.starts_with(root) && real.is_file() => Lookup::File(real),
        _ => Lookup::NotFound,
    }
}

fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "md" => "text/markdown; charset=utf-8",
        "rs" | "toml" | "txt" | "lua" | "sh" | "lock" | "yaml" | "yml" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn handle(stream: &mut TcpStream, root: &Path) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        if head.len() > MAX_HEAD {
            return respond(stream, false, 431, "text/plain; charset=utf-8", b"request head too large\n");
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            if head.is_empty() {
                return Ok(());
            }
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target, version) = (words.next(), words.next(), words.next());
    let (Some(method), Some(target), Some(version)) = (method, target, version) else {
        return respond(stream, false, 400, "text/plain; charset=utf-8", b"bad request line\n");
    };
    if !version.starts_with("HTTP/1.") {
        return respond(stream, false, 505, "text/plain; charset=utf-8", b"HTTP/1.x only\n");
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            return respond(stream, false, 405, "text/plain; charset=utf-8", b"GET or HEAD only\n");
        }
    };
    match lookup(root, target) {
        Lookup::File(file) => match std::fs::read(&file) {
            Ok(body) => respond(stream, head_only, 200, content_type(&file), &body),
            Err(_) => respond(stream, head_only, 404, "text/html; charset=utf-8", NOT_FOUND.as_bytes()),
        },
        Lookup::NotFound => respond(stream, head_only, 404, "text/html; charset=utf-8", NOT_FOUND.as_bytes()),
        Lookup::BadRequest(why) => {
            respond(stream, head_only, 400, "text/plain; charset=utf-8", format!("bad request: {why}\n").as_bytes())
        }
    }
}

const NOT_FOUND: &str = "<!doctype html><meta charset=\"utf-8\"><title>Not found</title>\
<link rel=\"stylesheet\" href=\"/style.css\"><main><h1>Not found</h1>\
<p>No such page in the book. <a href=\"/index.html\">Back to the contents</a>.</p></main>\n";

fn respond(stream: &mut TcpStream, head_only: bool, status: u16, content_type: &str, body: &[u8]) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        body.len()
    );
    if status == 405 {
        response.push_str("Allow: GET, HEAD\r\n");
    }
    response.push_str("\r\n");
    let mut bytes = response.into_bytes();
    if !head_only {
        bytes.extend_from_slice(body);
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_refuses_to_leave_the_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::write(root.join("index.html"), "hi").expect("write");
        std::fs::create_dir(root.join("assets")).expect("mkdir");
        std::fs::write(root.join("assets/a b.svg"), "<svg/>").expect("write");
        assert_eq!(lookup(&root, "/"), Lookup::File(root.join("index.html")));
        assert_eq!(lookup(&root, "/index.html?x=1#y"), Lookup::File(root.join("index.html")));
        assert_eq!(lookup(&root, "/assets/a%20b.svg"), Lookup::File(root.join("assets/a b.svg")));
        assert_eq!(lookup(&root, "/assets/"), Lookup::NotFound);
        assert_eq!(lookup(&root, "/nope.html"), Lookup::NotFound);
        for evil in ["/../etc/passwd", "/assets/../../x", "/%2e%2e/etc/passwd", "/a%5c..%5cb", "/x%00"] {
            assert!(matches!(lookup(&root, evil), Lookup::BadRequest(_)), "{evil}");
        }
        assert!(matches!(lookup(&root, "index.html"), Lookup::BadRequest(_)));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_not_followed() {
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("secret"), "s").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("link")).expect("symlink");
        assert_eq!(lookup(&root, "/link"), Lookup::NotFound);
    }
}
