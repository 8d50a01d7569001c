//! Progress at a terminal: one line on stderr that says what the grader is
//! waiting for (a build, a stage, a simulation) while it waits, then erases
//! itself, so that the report that follows reads as if it had never been there.
//!
//! Shown only when both stdout and stderr are terminals, `CI` is not set, and
//! the command did not ask for `--json` ([`quiet`]): piped, redirected or
//! machine-read output never carries a spinner.
//!
//! Hand-written rather than `indicatif`: the grader is compiled on the
//! learner's first `cargo grade`, before any verdict, so every dependency it
//! adds is time a learner spends waiting; a spinner is forty lines.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static QUIET: AtomicBool = AtomicBool::new(false);

/// No progress from now on (`--json`: the output is for a program).
pub fn quiet() {
    QUIET.store(true, Ordering::Relaxed);
}

/// Whether progress is shown: at a terminal, outside CI, unless [`quiet`].
pub fn enabled() -> bool {
    !QUIET.load(Ordering::Relaxed)
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
}

/// The longest message drawn, in characters: the line must not wrap on a
/// narrow terminal, or erasing it would leave its first half behind.
const WIDTH: usize = 76;

/// How long a wait lasts before its spinner appears.
const SHOW_AFTER: Duration = Duration::from_millis(200);

/// A spinner with a message and the seconds elapsed, redrawn ten times a
/// second by its own thread; erased when dropped. Inert when progress is
/// not [`enabled`].
#[derive(Debug)]
pub struct Spinner {
    shown: Option<(Arc<Shared>, JoinHandle<()>)>,
}

#[derive(Debug)]
struct Shared {
    /// The message, and whether the spinner was dropped.
    state: Mutex<(String, bool)>,
    wake: Condvar,
}

impl Spinner {
    /// Starts a spinner saying `message`.
    pub fn start(message: impl Into<String>) -> Spinner {
        if !enabled() {
            return Spinner { shown: None };
        }
        let shared = Arc::new(Shared { state: Mutex::new((message.into(), false)), wake: Condvar::new() });
        let theirs = Arc::clone(&shared);
        let thread = std::thread::spawn(move || draw(&theirs));
        Spinner { shown: Some((shared, thread)) }
    }

    /// Changes the message.
    pub fn set(&self, message: impl Into<String>) {
        if let Some((shared, _)) = &self.shown {
            if let Ok(mut state) = shared.state.lock() {
                state.0 = message.into();
            }
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        let Some((shared, thread)) = self.shown.take() else { return };
        if let Ok(mut state) = shared.state.lock() {
            state.1 = true;
        }
        shared.wake.notify_all();
        let _ = thread.join();
    }
}

/// The spinner's thread: redraws every 100 ms until dropped, then erases.
fn draw(shared: &Shared) {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let start = Instant::now();
    let mut frame = 0;
    let Ok(mut state) = shared.state.lock() else { return };
    // A wait shorter than this shows nothing (a stage of a few
    // milliseconds would only flicker); dropped before, it returns at once.
    state = match shared.wake.wait_timeout_while(state, SHOW_AFTER, |s| !s.1) {
        Ok((state, _)) => state,
        Err(_) => return,
    };
    if state.1 {
        return;
    }
    while !state.1 {
        let message: String = state.0.chars().take(WIDTH).collect();
        let line = format!("\r\x1b[K{} {message} ({}s)", FRAMES[frame % FRAMES.len()], start.elapsed().as_secs());
        // A closed stderr: nothing to show, nothing to fail.
        let _ = std::io::stderr().write_all(line.as_bytes());
        frame += 1;
        // Woken early when dropped; otherwise a redraw tick.
        state = match shared.wake.wait_timeout(state, Duration::from_millis(100)) {
            Ok((state, _)) => state,
            Err(_) => return,
        };
    }
    let _ = std::io::stderr().write_all(b"\r\x1b[K");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_spinner_is_inert() {
        quiet();
        assert!(!enabled());
        let s = Spinner::start("building");
        assert!(s.shown.is_none(), "no thread, nothing drawn");
        s.set("still building");
    }
}
