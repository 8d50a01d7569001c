//! The book server: it serves the built book over HTTP/1.1 on loopback, never a
//! file outside the book's folder, and it stops when told to.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use common::real_catalog;

/// Sends `request` as is and returns the whole response (the server closes).
fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    // A guard against a hung server, not a synchronisation: the test never waits on it.
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read the response");
    String::from_utf8_lossy(&response).into_owned()
}

fn get(addr: SocketAddr, path: &str) -> String {
    raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"))
}

fn status(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

fn built_book() -> (tempfile::TempDir, catalog::Catalog) {
    let catalog = real_catalog();
    let out = tempfile::tempdir().expect("temp dir");
    if let Err(e) = book::build(&catalog, out.path()) {
        panic!("{e}");
    }
    (out, catalog)
}

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

#[test]
fn serves_the_book_refuses_traversal_and_stops() {
    let (out, catalog) = built_book();
    let server = match book::Server::bind(out.path(), loopback()) {
        Ok(server) => server,
        Err(e) => panic!("{e}"),
    };
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0, "port 0 became a real port");
    let stopper = server.stopper();
    let running = std::thread::spawn(move || server.run());

    let index = get(addr, "/index.html");
    assert_eq!(status(&index), "HTTP/1.1 200 OK", "{index}");
    assert!(index.contains("Content-Type: text/html; charset=utf-8"), "{index}");
    assert!(index.contains(&catalog.title), "the index shows the course title");
    assert_eq!(status(&get(addr, "/")), "HTTP/1.1 200 OK", "/ is the index");

    let lesson = &catalog.lessons[0];
    let page = get(addr, &format!("/{}.html?from=test#top", lesson.slug));
    assert_eq!(status(&page), "HTTP/1.1 200 OK");
    assert!(page.contains(&lesson.slug));
    let css = get(addr, "/style.css");
    assert!(status(&css).ends_with("200 OK") && css.contains("text/css"), "{css}");

    for evil in ["/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../../etc/passwd", "/..%2f..%2fetc/passwd"]
    {
        let response = get(addr, evil);
        assert!(
            status(&response).contains(" 400 ") || status(&response).contains(" 404 "),
            "{evil} answered {}",
            status(&response)
        );
        assert!(!response.contains("root:"), "{evil} leaked a file");
    }
    assert!(status(&get(addr, "/no-such-page.html")).contains(" 404 "));

    let head = raw(addr, "HEAD /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(status(&head), "HTTP/1.1 200 OK");
    assert!(head.ends_with("\r\n\r\n"), "HEAD has no body: {head}");
    let post = raw(addr, "POST /index.html HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert!(status(&post).contains(" 405 ") && post.contains("Allow: GET, HEAD"), "{post}");
    assert!(status(&raw(addr, "nonsense\r\n\r\n")).contains(" 400 "));

    stopper.stop();
    let result = running.join().expect("the server thread did not panic");
    assert!(result.is_ok(), "run ended cleanly");
    assert!(TcpStream::connect(addr).is_err(), "nothing listens after stop");
}

/// `serve` itself: `ready` hands over the bound address before any request.
/// (`serve` runs until the process ends, so this thread is left to the end of
/// the test binary; `Server` above is the stoppable form.)
#[test]
fn serve_reports_the_bound_address_through_ready() {
    let (out, catalog) = built_book();
    let (tx, rx) = mpsc::channel();
    let dir = out.path().to_path_buf();
    std::thread::spawn(move || book::serve(&dir, loopback(), move |addr| tx.send(addr).expect("send the address")));
    let addr = rx.recv().expect("serve called ready");
    let index = get(addr, "/index.html");
    assert_eq!(status(&index), "HTTP/1.1 200 OK");
    assert!(index.contains(&catalog.title));
    drop(out);
}

#[test]
fn binding_a_missing_folder_is_an_error_naming_it() {
    let missing = Path::new("/definitely/not/a/book");
    let err = book::Server::bind(missing, loopback()).map(|_| ()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.starts_with("/definitely/not/a/book:"), "{err}");
}
