//! Runs one stage of a runner binary in a child process that cannot hurt the
//! grader: its own process group (killed as a whole), a wall-clock timeout, a
//! data-segment cap, and bounded capture of whatever it prints.
//!
//! The stage's verdict counts only if it arrives as the nonce-tagged result
//! line of [`grader_protocol`]; anything else the child prints is kept only as
//! evidence for the learner.

use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use grader_protocol::{RESULT_TAG, StageOutcome, parse_result_line};
use wait_timeout::ChildExt;

/// Resource limits of one stage.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time before the whole process group is killed.
    pub timeout: Duration,
    /// Cap on the data segment (heap), through `RLIMIT_DATA`. (`RLIMIT_AS`
    /// would also count every thread's reserved stack and break threads.)
    pub memory_bytes: u64,
    /// Bytes kept from each of stdout and stderr: this many from the start
    /// and this many from the end.
    pub keep_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { timeout: Duration::from_secs(20), memory_bytes: 1 << 30, keep_bytes: 2 << 10 }
    }
}

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it (6 is SIGABRT: `abort()`, a stack overflow, an
    /// allocation failure).
    Signal(i32),
    /// It ran past the timeout and was killed.
    TimedOut,
}

/// What a stage's child left behind.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The verdict, if a valid result line with the right nonce arrived.
    pub outcome: Option<StageOutcome>,
    /// How the process ended.
    pub exit: Exit,
    /// What it printed on stdout (result line removed), bounded.
    pub stdout: Captured,
    /// What it printed on stderr, bounded.
    pub stderr: Captured,
    /// Wall-clock time of the stage.
    pub elapsed: Duration,
}

/// Bounded capture of one output stream: its head and its tail.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Bytes the stream carried in total.
    pub total: u64,
    keep: usize,
}

impl Captured {
    fn new(keep: usize) -> Captured {
        Captured { keep, ..Captured::default() }
    }

    fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if self.head.len() < self.keep {
            let n = (self.keep - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 2 * self.keep {
            self.tail.drain(..self.tail.len() - self.keep);
        }
    }

    /// The captured text, with a marker where bytes were dropped.
    pub fn text(&self) -> String {
        let tail_start = self.tail.len().saturating_sub(self.keep);
        let tail = &self.tail[tail_start..];
        let kept = (self.head.len() + tail.len()) as u64;
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if kept < self.total {
            s.push_str(&format!("\n[… {} bytes not shown …]\n", self.total - kept));
        }
        s.push_str(&String::from_utf8_lossy(tail));
        s
    }

    /// `true` when nothing was printed.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// Runs `binary args…` as an isolated stage, handing it `nonce` on stdin.
pub fn run(binary: &Path, args: &[String], nonce: &str, limits: Limits) -> io::Result<Finished> {
    let mut command = Command::new(binary);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that killing the group also ends any
        // process the implementation spawned.
        .process_group(0)
        .env("RUST_BACKTRACE", "0");
    let memory = limits.memory_bytes;
    // SAFETY: the closure runs in the forked child before exec and calls only
    // setrlimit, which is async-signal-safe; it touches no allocator or lock.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || {
            let data = libc::rlimit { rlim_cur: memory, rlim_max: memory };
            let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            if libc::setrlimit(libc::RLIMIT_DATA, &data) != 0 || libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = command.spawn()?;
    let pgid = child.id();
    if let Some(mut stdin) = child.stdin.take() {
        // The runner reads this line before any implementation code runs;
        // dropping stdin then leaves it at end of file. A runner that died
        // before reading it makes this write fail: that is its crash to
        // report, not ours.
        let _ = stdin.write_all(format!("{nonce}\n").as_bytes());
    }
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        let nonce = nonce.to_string();
        let keep = limits.keep_bytes;
        thread::spawn(move || {
            let _ = tx.send(Stream::Stdout(read_stdout(out, &nonce, keep)));
        });
    }
    if let Some(err) = child.stderr.take() {
        let keep = limits.keep_bytes;
        thread::spawn(move || {
            let mut captured = Captured::new(keep);
            let _ = read_chunks(err, |b| captured.push(b));
            let _ = tx.send(Stream::Stderr(captured));
        });
    }
    let exit = match child.wait_timeout(limits.timeout)? {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            (None, None) => Exit::Code(-1),
        },
        None => {
            kill_group(pgid);
            child.wait()?;
            Exit::TimedOut
        }
    };
    let elapsed = start.elapsed();
    // Whatever the child left running in its group (a spawned process
    // holding our pipes, say) goes too, so the readers see end of file.
    kill_group(pgid);
    let mut stdout = None;
    let mut stderr = None;
    let deadline = Instant::now() + Duration::from_secs(2);
    while stdout.is_none() || stderr.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Stream::Stdout(s)) => stdout = Some(s),
            Ok(Stream::Stderr(s)) => stderr = Some(s),
            // A process that escaped the group still holds a pipe: give up on
            // the rest of its output rather than hang.
            Err(_) => break,
        }
    }
    let (outcome, stdout) = stdout.unwrap_or((None, Captured::new(0)));
    let outcome = if exit == Exit::TimedOut { None } else { outcome };
    Ok(Finished { outcome, exit, stdout, stderr: stderr.unwrap_or_default(), elapsed })
}

enum Stream {
    Stdout((Option<StageOutcome>, Captured)),
    Stderr(Captured),
}

/// Longest stdout line examined for a result (result lines are short; a
/// flood without newlines must not grow a buffer without bound).
const MAX_LINE: usize = 1 << 20;

fn read_stdout(out: impl Read, nonce: &str, keep: usize) -> (Option<StageOutcome>, Captured) {
    let mut captured = Captured::new(keep);
    let mut outcome = None;
    let mut line: Vec<u8> = Vec::new();
    let mut overlong = false;
    // The result may follow learner output that had no newline: look for the
    // tag anywhere in the line, and keep what came before it as output.
    let on_line = |line: &[u8], captured: &mut Captured, outcome: &mut Option<StageOutcome>| {
        let tag = RESULT_TAG.as_bytes();
        if let Some(at) = line.windows(tag.len()).position(|w| w == tag) {
            let parsed = std::str::from_utf8(&line[at..]).ok().and_then(|l| parse_result_line(l, nonce));
            if let Some(o) = parsed {
                outcome.get_or_insert(o);
                if at > 0 {
                    captured.push(&line[..at]);
                    captured.push(b"\n");
                }
                return;
            }
        }
        captured.push(line);
        captured.push(b"\n");
    };
    let _ = read_chunks(out, |mut bytes| {
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            if overlong {
                captured.push(&bytes[..=i]);
                overlong = false;
            } else {
                line.extend_from_slice(&bytes[..i]);
                on_line(&line, &mut captured, &mut outcome);
            }
            line.clear();
            bytes = &bytes[i + 1..];
        }
        if overlong {
            captured.push(bytes);
        } else {
            line.extend_from_slice(bytes);
            if line.len() > MAX_LINE {
                captured.push(&line);
                line.clear();
                overlong = true;
            }
        }
    });
    if !line.is_empty() {
        captured.push(&line);
    }
    (outcome, captured)
}

fn read_chunks(mut r: impl Read, mut f: impl FnMut(&[u8])) -> io::Result<()> {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => f(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn kill_group(pgid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else { return };
    // SAFETY: killpg takes plain integers; a group that no longer exists
    // yields ESRCH, which is fine.
    #[allow(unsafe_code)]
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_head_and_tail() {
        let mut c = Captured::new(4);
        for chunk in [&b"abcdef"[..], b"ghij", b"klmnop"] {
            c.push(chunk);
        }
        assert_eq!(c.total, 16);
        assert_eq!(c.text(), "abcd\n[… 8 bytes not shown …]\nmnop");
    }

    #[test]
    fn small_output_is_kept_whole() {
        let mut c = Captured::new(64);
        c.push(b"hello");
        assert_eq!(c.text(), "hello");
    }
}
