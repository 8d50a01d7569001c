//! Runs one stage of a runner binary in a child process that cannot hurt the
//! grader: its own process group, a wall-clock timeout, a heap cap (Linux),
//! no descriptor of the grader but its three pipes, and bounded capture of
//! whatever it prints. When the stage ends, everything it started ends too.
//!
//! The stage's verdict counts only if it arrives as the nonce-tagged result
//! line of [`grader_protocol`]; anything else the child prints is kept only as
//! evidence for the learner.
//!
//! # What this guards against, and what it does not
//!
//! Accidents: a loop, a deadlock, a stack overflow, an abort, `exit`, a memory
//! bomb, a flood of output (with or without newlines), a process or thread
//! left running, a process that left the process group (`setsid`, a double
//! fork) and holds the output pipes, a process that stopped itself, a hang
//! after the result was printed. Each ends the stage with a message naming
//! what happened.
//!
//! Not a learner determined to fool their own grader: the learner's code runs
//! in the same process as the suite, so it can read the nonce from its own
//! memory (`/proc/self/mem`) and print a passing result; it can also edit the
//! grader, which is in their checkout. The exit status of the grader is what
//! to trust, never text that merely looks like a report.
//!
//! # Platforms
//!
//! Linux: everything above. The grader makes itself a *child subreaper*
//! (`PR_SET_CHILD_SUBREAPER`), so a process the stage started that leaves
//! the process group is re-parented to the grader instead of `init`: after
//! the stage it is found (by a per-stage token in its environment, or because
//! it still holds the stage's output pipe) and killed, then reaped. The grader
//! also makes itself non-dumpable (`PR_SET_DUMPABLE` 0), so a non-root
//! process of the same user cannot open `/proc/<grader>/fd/1` and write into
//! the grader's own report (root bypasses this). The heap cap is
//! `RLIMIT_DATA`, which Linux (≥ 4.7) applies to every private writable
//! mapping, the allocator's included.
//!
//! Other Unix (macOS): process group, timeout and bounded capture only. A
//! process that leaves the group is not found (only `killpg` is used); the
//! grader stops waiting for the output pipes shortly after the stage ended.
//! No heap cap: on macOS `RLIMIT_DATA` is checked against the whole address
//! space (xnu compares it with the VM map's size, shared cache included), and
//! `setrlimit` refuses a value below the current size, so the grader does not
//! set it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once};
use std::thread;
use std::time::{Duration, Instant};

use grader_protocol::{RESULT_TAG, StageOutcome, parse_result_line};

/// Resource limits of one stage.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time before the whole process group is killed.
    pub timeout: Duration,
    /// Cap on the data segment (heap), through `RLIMIT_DATA`, on Linux only
    /// (see the module's documentation). (`RLIMIT_AS` would also count every
    /// thread's reserved stack and allocator arenas, and break threads.)
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
    /// allocation failure). [`describe_signal`] names it.
    Signal(i32),
    /// It ran past the timeout and was killed.
    TimedOut,
    /// It was stopped by this signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)
    /// and still stopped when the timeout ran out; then it was killed.
    Stopped(i32),
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
    /// The result line arrived but the process had not exited
    /// [`RESULT_GRACE`] later: it was killed and its result kept (the checks
    /// had all run; what hung was the way out).
    pub hung_after_result: bool,
    /// Processes the stage started outside its process group (`setsid`, a
    /// double fork) that were still running after it: found and killed
    /// (Linux).
    pub escaped: usize,
    /// Processes found holding the stage's output open after it ended (and
    /// not carrying the stage's token): killed (Linux).
    pub holders: usize,
    /// The output was still held open, by a process the grader could not
    /// find, when it stopped reading: the capture may lack the end.
    pub held_open: bool,
    /// A line starting with the result tag was longer than
    /// [`MAX_RESULT_LINE`] and was not read.
    pub result_too_long: bool,
}

impl Finished {
    /// What the grader had to do to end the stage, as sentences for the
    /// learner (each on its own line, starting with a newline); empty when
    /// the stage simply ended.
    pub fn notes(&self) -> String {
        let mut s = String::new();
        let plural = |n: usize| if n == 1 { "process" } else { "processes" };
        if self.hung_after_result {
            s.push_str(&format!(
                "\nnote: the stage printed its result but its process did not exit within {}s (an exit handler or a thread that blocks the way out?): the grader killed it and kept the result.",
                RESULT_GRACE.as_secs()
            ));
        }
        if self.escaped > 0 {
            s.push_str(&format!(
                "\nnote: {} {} your code started outside its process group (`setsid`, a double fork) were still running after the stage: the grader killed them.",
                self.escaped,
                plural(self.escaped)
            ));
        }
        if self.holders > 0 {
            s.push_str(&format!(
                "\nnote: {} {} your code started still held the stage's output open after it ended: the grader killed them.",
                self.holders,
                plural(self.holders)
            ));
        }
        if self.held_open {
            s.push_str(
                "\nnote: the stage's output was still held open after it ended, by a process the grader could not find (it left the process group): the grader stopped reading, and that process may still be running.",
            );
        }
        if self.result_too_long {
            s.push_str(&format!("\nnote: a result line longer than {} MiB was not read.", MAX_RESULT_LINE >> 20));
        }
        s
    }
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
        if bytes.len() > self.keep {
            // Only the last `keep` bytes of a large chunk can matter.
            self.tail.clear();
            bytes = &bytes[bytes.len() - self.keep..];
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

/// How long a stage may take to exit after its result line arrived.
pub const RESULT_GRACE: Duration = Duration::from_secs(2);

/// Longest result line read (a simulation's picture travels in it). Other
/// output is never buffered by line, so a flood without newlines costs
/// nothing and cannot hide a result that follows it.
pub const MAX_RESULT_LINE: usize = 16 << 20;

/// The environment variable that marks every process a stage starts (the
/// value is unique per stage), so that the grader can find them after they
/// left the process group.
pub const STAGE_ENV: &str = "GRADER_STAGE";

/// Runs `binary args…` as an isolated stage, handing it `nonce` on stdin.
pub fn run(binary: &Path, args: &[String], nonce: &str, limits: Limits) -> io::Result<Finished> {
    static HARDEN: Once = Once::new();
    HARDEN.call_once(harden_grader);
    let token = stage_token();
    let mut command = Command::new(binary);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that killing the group also ends any
        // process the implementation spawned.
        .process_group(0)
        .env("RUST_BACKTRACE", "0")
        .env(STAGE_ENV, &token);
    let memory = limits.memory_bytes;
    // SAFETY: the closure runs in the forked child before exec and makes
    // only async-signal-safe system calls (setrlimit, close_range or fcntl);
    // it touches no allocator or lock.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || limit_child(memory));
    }
    let start = Instant::now();
    let mut child = command.spawn()?;
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    if let Some(mut stdin) = child.stdin.take() {
        // The runner reads this line before any implementation code runs;
        // dropping stdin then leaves it at end of file. A runner that died
        // before reading it makes this write fail: that is its crash to
        // report, not ours.
        let _ = stdin.write_all(format!("{nonce}\n").as_bytes());
    }
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            stdout: Scanner::new(nonce, limits.keep_bytes, MAX_RESULT_LINE),
            stderr: Captured::new(limits.keep_bytes),
            stdout_eof: false,
            stderr_eof: false,
            outcome_at: None,
            exited: false,
        }),
        changed: Condvar::new(),
    });
    let mut pipes: Vec<Arc<File>> = Vec::new();
    if let Some(out) = child.stdout.take() {
        let out = Arc::new(File::from(OwnedFd::from(out)));
        pipes.push(Arc::clone(&out));
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            let _ = read_chunks(&*out, |bytes| {
                let mut st = shared.lock();
                st.stdout.feed(bytes);
                if st.stdout.outcome.is_some() && st.outcome_at.is_none() {
                    st.outcome_at = Some(Instant::now());
                    shared.changed.notify_all();
                }
            });
            let mut st = shared.lock();
            st.stdout.finish();
            st.stdout_eof = true;
            shared.changed.notify_all();
        });
    }
    if let Some(err) = child.stderr.take() {
        let err = Arc::new(File::from(OwnedFd::from(err)));
        pipes.push(Arc::clone(&err));
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            let _ = read_chunks(&*err, |bytes| shared.lock().stderr.push(bytes));
            shared.lock().stderr_eof = true;
            shared.changed.notify_all();
        });
    }
    {
        // Waits for the exit without reaping, so the pid stays the child's
        // (no reuse) until `child.wait()` below.
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            wait_exited(pid);
            shared.lock().exited = true;
            shared.changed.notify_all();
        });
    }

    // Until it exits, runs out of time, or printed its result and then
    // failed to exit within the grace.
    let deadline = start + limits.timeout;
    let mut st = shared.lock();
    let ending = loop {
        if st.exited {
            break Ending::Exited;
        }
        let now = Instant::now();
        let until = match st.outcome_at {
            Some(at) if now >= at + RESULT_GRACE => break Ending::HungAfterResult,
            Some(at) => at + RESULT_GRACE,
            None if now >= deadline => break Ending::TimedOut,
            None => deadline,
        };
        st = shared.wait(st, until - now);
    };
    let elapsed = start.elapsed();
    drop(st);
    let mut exit = None;
    if ending != Ending::Exited {
        if ending == Ending::TimedOut {
            exit = Some(stopped_by(pid).map_or(Exit::TimedOut, Exit::Stopped));
        }
        kill(pid, libc::SIGKILL);
    }
    let mut st = shared.lock();
    while !st.exited {
        st = shared.wait(st, Duration::from_secs(1));
    }
    drop(st);

    // While its zombie keeps the pid reserved: everything it started, found
    // by its token (in the group or not), killed and reaped; then whatever
    // is left in its group (killing the group first could catch a process
    // in the middle of `setsid`, leaving a zombie no longer in the group);
    // then the zombies that made.
    let mut escaped = sweep(&token, pid);
    kill_group(pid);
    escaped += sweep(&token, pid);
    // What still holds the output pipes (a process that also dropped its
    // environment): found by the pipe, killed.
    let mut holders = 0;
    if !pipes.iter().all(|p| hung_up(p)) {
        holders = kill_pipe_holders(&pipes);
    }
    let status = child.wait()?;
    let exit = exit.unwrap_or(match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(signal)) => Exit::Signal(signal),
        (None, None) => Exit::Code(-1),
    });
    let all_closed = pipes.iter().all(|p| hung_up(p));
    let mut st = shared.lock();
    // Once every writer is gone the readers only drain what is buffered;
    // otherwise a writer the grader could not find (or, off Linux, could not
    // look for) holds them: stop reading soon, sooner if the result is in.
    let drain = if all_closed {
        Duration::from_secs(10)
    } else if st.stdout.outcome.is_some() {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(2)
    };
    let drain_deadline = Instant::now() + drain;
    while !(st.stdout_eof && st.stderr_eof) {
        let now = Instant::now();
        if now >= drain_deadline {
            break;
        }
        st = shared.wait(st, drain_deadline - now);
    }
    let held_open = !(st.stdout_eof && st.stderr_eof);
    let outcome = if ending == Ending::TimedOut { None } else { st.stdout.outcome.clone() };
    Ok(Finished {
        outcome,
        exit,
        stdout: st.stdout.captured.clone(),
        stderr: st.stderr.clone(),
        elapsed,
        hung_after_result: ending == Ending::HungAfterResult,
        escaped,
        holders,
        held_open,
        result_too_long: st.stdout.result_too_long,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Exited,
    TimedOut,
    HungAfterResult,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>, at_most: Duration) -> MutexGuard<'a, State> {
        match self.changed.wait_timeout(guard, at_most) {
            Ok((guard, _)) => guard,
            Err(p) => p.into_inner().0,
        }
    }
}

struct State {
    stdout: Scanner,
    stderr: Captured,
    stdout_eof: bool,
    stderr_eof: bool,
    /// When the result line arrived.
    outcome_at: Option<Instant>,
    /// The stage's process has exited (not yet reaped).
    exited: bool,
}

/// Reads stdout as it comes: finds the result line wherever it starts (after
/// megabytes without a newline too) and keeps everything else as evidence.
/// The harness starts its result line on a fresh line; that framing newline
/// is not part of the learner's output.
struct Scanner {
    nonce: String,
    captured: Captured,
    outcome: Option<StageOutcome>,
    /// Bytes at the end of the last chunk that may begin a tag (and the byte
    /// before it): at most the tag's length.
    held: Vec<u8>,
    /// The result line being read, from its tag on.
    result: Option<Vec<u8>>,
    /// Whether a framing newline (dropped) preceded the tag of the line
    /// being read.
    framing_newline: bool,
    /// Whether the output so far ends a line (or is empty).
    line_start: bool,
    max_line: usize,
    result_too_long: bool,
}

impl Scanner {
    fn new(nonce: &str, keep: usize, max_line: usize) -> Scanner {
        Scanner {
            nonce: nonce.to_string(),
            captured: Captured::new(keep),
            outcome: None,
            held: Vec::new(),
            result: None,
            framing_newline: false,
            line_start: true,
            max_line,
            result_too_long: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let tag = RESULT_TAG.as_bytes();
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(bytes);
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            if let Some(line) = &mut self.result {
                match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        line.extend_from_slice(&rest[..i]);
                        pos += i + 1;
                        self.end_result();
                    }
                    None => {
                        line.extend_from_slice(rest);
                        pos = data.len();
                        if line.len() > self.max_line {
                            // Not a result we will read: the rest of this
                            // line is plain output.
                            self.result_too_long = true;
                            self.give_back();
                        }
                    }
                }
            } else {
                match rest.windows(tag.len()).position(|w| w == tag) {
                    Some(at) => {
                        let framed = at > 0 && rest[at - 1] == b'\n';
                        self.output(&rest[..if framed { at - 1 } else { at }]);
                        // The newline ends the learner's last line when it
                        // had none; it is framing only after a complete line.
                        self.framing_newline = framed && self.line_start;
                        if framed && !self.line_start {
                            self.output(b"\n");
                        }
                        self.result = Some(Vec::new());
                        pos += at;
                    }
                    None => {
                        let cut = rest.len().saturating_sub(tag.len());
                        self.output(&rest[..cut]);
                        self.held = rest[cut..].to_vec();
                        pos = data.len();
                    }
                }
            }
        }
    }

    /// A complete line that started with the tag.
    fn end_result(&mut self) {
        let Some(line) = self.result.take() else { return };
        match std::str::from_utf8(&line).ok().and_then(|l| parse_result_line(l, &self.nonce)) {
            Some(outcome) => {
                self.outcome.get_or_insert(outcome);
            }
            None => {
                self.result = Some(line);
                self.give_back();
                self.output(b"\n");
            }
        }
    }

    /// The line being read is output after all.
    fn give_back(&mut self) {
        if let Some(line) = self.result.take() {
            if self.framing_newline {
                self.output(b"\n");
            }
            self.output(&line);
        }
    }

    /// End of the stream: an unfinished line is output.
    fn finish(&mut self) {
        self.give_back();
        let held = std::mem::take(&mut self.held);
        self.output(&held);
    }

    fn output(&mut self, bytes: &[u8]) {
        if let Some(&last) = bytes.last() {
            self.line_start = last == b'\n';
        }
        self.captured.push(bytes);
    }
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

/// A token unique to one stage of this grader process.
fn stage_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Process-wide settings of the grader, made once before its first stage.
/// Linux: become a child subreaper (orphans of a stage are re-parented to
/// the grader, where [`sweep`] finds them) and non-dumpable (a same-user,
/// non-root process cannot open `/proc/<grader>/fd/*` or `/proc/<grader>/mem`).
/// Both are inherited by no one: exec resets dumpability, and the subreaper
/// flag is not inherited across fork.
fn harden_grader() {
    // SAFETY: prctl with integer arguments only; failure (an old kernel)
    // leaves the grader as it was, which is still correct, only less
    // thorough.
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    };
}

/// In the forked child, before exec: the limits, and no inherited
/// descriptor beyond stdin, stdout and stderr (Rust opens its own with
/// close-on-exec, but the grader may itself have inherited some from whoever
/// started it).
fn limit_child(memory: u64) -> io::Result<()> {
    // SAFETY (for the block): setrlimit, syscall(close_range) and fcntl take
    // plain integers and pointers to locals, and are async-signal-safe.
    #[allow(unsafe_code)]
    unsafe {
        #[cfg(target_os = "linux")]
        {
            let data = libc::rlimit { rlim_cur: memory, rlim_max: memory };
            if libc::setrlimit(libc::RLIMIT_DATA, &data) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = memory;
        let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
            return Err(io::Error::last_os_error());
        }
        #[cfg(target_os = "linux")]
        let marked = libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) == 0;
        #[cfg(not(target_os = "linux"))]
        let marked = false;
        if !marked {
            // No close_range (Linux < 5.11, other Unix): the usual range.
            for fd in 3..1024 {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
    }
    Ok(())
}

/// Blocks until `pid` (a child) has exited, without reaping it.
fn wait_exited(pid: libc::pid_t) {
    let Ok(id) = libc::id_t::try_from(pid) else { return };
    loop {
        // SAFETY: siginfo_t is plain data (all-zero is valid); waitid writes
        // into it and nothing else.
        #[allow(unsafe_code)]
        let r = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT)
        };
        if r == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// The signal that stopped `pid` (a child not yet reaped), if it is stopped.
fn stopped_by(pid: libc::pid_t) -> Option<i32> {
    let id = libc::id_t::try_from(pid).ok()?;
    // SAFETY: as in `wait_exited`; WNOHANG | WNOWAIT neither blocks nor
    // consumes anything, and without WEXITED an exited child is not matched.
    #[allow(unsafe_code)]
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(libc::P_PID, id, &mut info, libc::WSTOPPED | libc::WNOHANG | libc::WNOWAIT);
        (r == 0 && info.si_pid() == pid).then(|| info.si_status())
    }
}

fn kill(pid: libc::pid_t, signal: i32) {
    // SAFETY: kill takes plain integers; callers pass only their own,
    // not-yet-reaped children, so the pid cannot have been reused.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(pid, signal);
    }
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: killpg takes plain integers; a group that no longer exists
    // yields ESRCH, which is fine.
    #[allow(unsafe_code)]
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Reaps `pid`, a child of the grader.
#[cfg(target_os = "linux")]
fn reap(pid: libc::pid_t) {
    loop {
        // SAFETY: waitpid on our own child with a null status pointer.
        #[allow(unsafe_code)]
        let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        if r >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// Kills and reaps every process left from the stage `stage` (whose own
/// process is already reaped or a zombie): the grader's children carrying
/// the stage's token (orphans are re-parented to the grader, a subreaper),
/// round after round, since killing one re-parents its children to the
/// grader in turn. Returns how many had left the stage's process group.
#[cfg(target_os = "linux")]
fn sweep(token: &str, stage: libc::pid_t) -> usize {
    // SAFETY: getpid cannot fail.
    #[allow(unsafe_code)]
    let me = unsafe { libc::getpid() };
    let needle = format!("{STAGE_ENV}={token}\0").into_bytes();
    let inner = [&b"\0"[..], &needle].concat();
    // An entry of the environment (NUL-separated) equal to the token's.
    let carries = |pid: libc::pid_t| {
        std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.starts_with(&needle) || contains(&env, &inner))
    };
    let mut escaped = 0;
    // Each round ends one generation; a tree deeper than this is a fork bomb.
    for _ in 0..256 {
        let victims: Vec<Proc> = processes()
            .into_iter()
            .filter(|p| p.ppid == me && p.pid != stage)
            .filter(|p| if p.state == b'Z' { p.pgrp == stage } else { carries(p.pid) })
            .collect();
        if victims.is_empty() {
            break;
        }
        for v in victims {
            kill(v.pid, libc::SIGKILL);
            reap(v.pid);
            if v.state != b'Z' && v.pgrp != stage {
                escaped += 1;
            }
        }
    }
    escaped
}

#[cfg(not(target_os = "linux"))]
fn sweep(_token: &str, _stage: libc::pid_t) -> usize {
    0
}

/// Kills every process (but the grader) that holds one of `pipes`, and
/// reaps those that are the grader's children. Returns how many.
#[cfg(target_os = "linux")]
fn kill_pipe_holders(pipes: &[Arc<File>]) -> usize {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getpid cannot fail.
    #[allow(unsafe_code)]
    let me = unsafe { libc::getpid() };
    let names: Vec<String> =
        pipes.iter().filter_map(|p| p.metadata().ok()).map(|m| format!("pipe:[{}]", m.ino())).collect();
    let mut killed = 0;
    for p in processes() {
        if p.pid == me || p.state == b'Z' {
            // The grader holds the read ends; a zombie holds nothing.
            continue;
        }
        let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", p.pid)) else { continue };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|target| names.iter().any(|n| target.as_os_str() == n.as_str()))
        });
        if holds {
            kill(p.pid, libc::SIGKILL);
            if p.ppid == me {
                reap(p.pid);
            }
            killed += 1;
        }
    }
    killed
}

#[cfg(not(target_os = "linux"))]
fn kill_pipe_holders(_pipes: &[Arc<File>]) -> usize {
    0
}

/// `true` when no process holds the write end of `pipe` any more (Linux:
/// `poll` reports POLLHUP); `false` when one does or when it cannot tell.
fn hung_up(pipe: &File) -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let mut fds = libc::pollfd { fd: pipe.as_raw_fd(), events: 0, revents: 0 };
    // SAFETY: one pollfd on a descriptor this `File` keeps open; no wait.
    #[allow(unsafe_code)]
    let r = unsafe { libc::poll(&mut fds, 1, 0) };
    r == 1 && fds.revents & libc::POLLHUP != 0
}

#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy)]
struct Proc {
    pid: libc::pid_t,
    ppid: libc::pid_t,
    pgrp: libc::pid_t,
    state: u8,
}

/// Every process in `/proc` whose `stat` could be read.
#[cfg(target_os = "linux")]
fn processes() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter_map(|pid| parse_stat(pid, &std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?))
        .collect()
}

/// `pid (comm) state ppid pgrp …`; `comm` may hold spaces and parentheses,
/// so the fields are read after its last `)`.
#[cfg(target_os = "linux")]
fn parse_stat(pid: libc::pid_t, stat: &str) -> Option<Proc> {
    let mut fields = stat[stat.rfind(')')? + 1..].split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(Proc { pid, ppid, pgrp, state })
}

#[cfg(target_os = "linux")]
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A signal's name (`SIGSEGV`), or its number when it has no common name.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// A signal that ended a process, named, with what usually sends it.
pub fn describe_signal(signal: i32) -> String {
    let why = match signal {
        libc::SIGKILL => {
            " (sent from outside the stage: the system's out-of-memory killer when the machine ran short, or a `kill -9`)"
        }
        libc::SIGSEGV => " (an invalid memory access: `unsafe` code, or a stack overflow on a thread without a guard)",
        libc::SIGBUS => " (a bad memory access: a misaligned pointer, or a memory-mapped file that shrank)",
        libc::SIGFPE => " (an arithmetic fault)",
        libc::SIGILL => " (an illegal instruction: often `std::intrinsics::abort` or `unreachable_unchecked` reached)",
        libc::SIGPIPE => " (it wrote to a pipe nobody reads)",
        libc::SIGTERM => " (asked to terminate from outside the stage)",
        libc::SIGXCPU => " (its CPU-time limit ran out)",
        _ => "",
    };
    format!("{}{why}", signal_name(signal))
}

#[cfg(test)]
mod tests {
    use grader_protocol::{StageOutcome, Verdict, result_line};

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

    #[test]
    fn a_large_chunk_keeps_its_tail() {
        let mut c = Captured::new(4);
        c.push(b"abcd");
        c.push(&[b'x'; 100]);
        c.push(b"yz");
        assert_eq!(c.text(), "abcd\n[… 98 bytes not shown …]\nxxyz");
    }

    fn passed() -> StageOutcome {
        StageOutcome { verdict: Verdict::Passed, benchmarks: vec![], artifact: None }
    }

    /// Feeds `bytes` in chunks of `chunk` bytes.
    fn scan(bytes: &[u8], chunk: usize, max_line: usize) -> Scanner {
        let mut s = Scanner::new("n0nce", 1 << 10, max_line);
        for part in bytes.chunks(chunk) {
            s.feed(part);
        }
        s.finish();
        s
    }

    #[test]
    fn a_result_after_megabytes_without_a_newline_is_found() {
        let mut out = vec![b'x'; 3 << 20];
        // What the harness writes: a fresh line, then the result.
        out.extend_from_slice(format!("\n{}\n", result_line("n0nce", &passed())).as_bytes());
        let s = scan(&out, 64 << 10, 1 << 20);
        assert_eq!(s.outcome, Some(passed()));
        // The newline ends the learner's unfinished line; the result is not output.
        assert_eq!(s.captured.total, (3 << 20) + 1);
        let s = scan(format!("done\n\n{}\n", result_line("n0nce", &passed())).as_bytes(), 3, 1 << 20);
        assert_eq!(s.outcome, Some(passed()));
        assert_eq!(s.captured.text(), "done\n", "after a complete line the newline is framing");
    }

    #[test]
    fn a_tag_in_the_middle_of_an_overlong_line_is_found() {
        let mut out = vec![b'x'; 3 << 20];
        out.extend_from_slice(format!("{}\n", result_line("n0nce", &passed())).as_bytes());
        let s = scan(&out, 4096, 1 << 20);
        assert_eq!(s.outcome, Some(passed()));
    }

    #[test]
    fn a_tag_split_across_reads_is_found_and_output_is_kept_exactly() {
        let out = format!("one\ntwo without newline\n{}\nafter\n", result_line("n0nce", &passed()));
        for chunk in [1, 2, 3, 7, 16, 1000] {
            let s = scan(out.as_bytes(), chunk, 1 << 20);
            assert_eq!(s.outcome, Some(passed()), "chunks of {chunk}");
            assert_eq!(s.captured.text(), "one\ntwo without newline\nafter\n", "chunks of {chunk}");
        }
    }

    #[test]
    fn a_line_with_the_wrong_nonce_stays_output() {
        let forged = result_line("guess", &passed());
        let out = format!("a\n{forged}\nb{forged}\n");
        let s = scan(out.as_bytes(), 5, 1 << 20);
        assert_eq!(s.outcome, None);
        assert_eq!(s.captured.text(), out);
    }

    #[test]
    fn an_overlong_result_line_is_reported_not_read() {
        let mut line = format!("\n{} ", RESULT_TAG).into_bytes();
        line.extend(vec![b'y'; 5000]);
        line.push(b'\n');
        let s = scan(&line, 100, 1000);
        assert_eq!(s.outcome, None);
        assert!(s.result_too_long);
        assert_eq!(s.captured.total, line.len() as u64);
    }

    #[test]
    fn signals_are_named() {
        assert_eq!(signal_name(libc::SIGKILL), "SIGKILL");
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(libc::SIGBUS), "SIGBUS");
        assert!(describe_signal(libc::SIGKILL).contains("out-of-memory killer"));
        assert_eq!(signal_name(77), "signal 77");
    }

    fn sh(script: &str, timeout: Duration) -> Finished {
        let limits = Limits { timeout, ..Limits::default() };
        run(Path::new("/bin/sh"), &["-c".to_string(), script.to_string()], "n0nce", limits).expect("sh runs")
    }

    #[test]
    fn a_result_then_a_hang_keeps_the_result() {
        let line = result_line("n0nce", &passed());
        let start = Instant::now();
        let f = sh(&format!("echo '{line}'; exec sleep 30"), Duration::from_secs(20));
        assert_eq!(f.outcome, Some(passed()));
        assert!(f.hung_after_result);
        assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    }

    #[test]
    fn a_stopped_stage_reads_as_stopped() {
        let f = sh("kill -STOP $$", Duration::from_millis(500));
        assert_eq!(f.exit, Exit::Stopped(libc::SIGSTOP));
    }

    #[test]
    fn a_signal_is_reported() {
        let f = sh("kill -SEGV $$", Duration::from_secs(20));
        assert_eq!(f.exit, Exit::Signal(libc::SIGSEGV));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn no_descriptor_of_the_grader_is_inherited() {
        // A descriptor without close-on-exec, as a grader may inherit from
        // whoever started it.
        let mut ends = [0; 2];
        // SAFETY: pipe writes two descriptors into the array.
        #[allow(unsafe_code)]
        let r = unsafe { libc::pipe(ends.as_mut_ptr()) };
        assert_eq!(r, 0);
        let f = sh("ls /proc/$$/fd", Duration::from_secs(20));
        // SAFETY: closing the two descriptors made above.
        #[allow(unsafe_code)]
        unsafe {
            libc::close(ends[0]);
            libc::close(ends[1]);
        }
        let fds: Vec<String> = f.stdout.text().split_whitespace().map(str::to_string).collect();
        assert_eq!(fds, ["0", "1", "2"], "the shell's descriptors (leaky pipe: {ends:?})");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_process_that_left_the_group_is_killed_and_the_stage_ends_promptly() {
        let start = Instant::now();
        let line = result_line("n0nce", &passed());
        // setsid: a new session (so a new group), holding both pipes.
        let f = sh(&format!("setsid sleep 617 & echo $! >&2; echo '{line}'"), Duration::from_secs(20));
        assert_eq!(f.outcome, Some(passed()));
        assert!(!f.held_open);
        let pid: i32 = f.stderr.text().trim().parse().expect("a pid on stderr");
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "process {pid} still exists");
        assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stat_is_parsed_after_the_command_name() {
        let p = parse_stat(42, "42 (a (b) c) S 7 42 42 0 -1").expect("parses");
        assert_eq!((p.pid, p.ppid, p.pgrp, p.state), (42, 7, 42, b'S'));
    }
}
