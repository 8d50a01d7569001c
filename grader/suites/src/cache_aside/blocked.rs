//! Knowing that threads are waiting inside the implementation, without
//! sleeping: on Linux, a thread's state in `/proc/self/task/<tid>/stat` says
//! whether it is running or blocked (on a lock, a condition variable, the
//! suite's gate). When every thread of a check is blocked at once, none of
//! them can move until the suite opens its gate: that is the instant to open
//! it. Elsewhere, a bounded wait stands in (a correct implementation passes
//! either way; only how quickly a mistake shows changes).

use std::time::{Duration, Instant};

/// This thread's id as `/proc` names it (Linux), read by the thread itself.
pub(super) fn my_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Whether thread `tid` of this process is blocked (sleeping in the kernel)
/// or gone; `None` if that cannot be told.
fn settled(tid: u32) -> Option<bool> {
    match std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) {
        // The state is the first field after the command name in parentheses.
        Ok(stat) => {
            let state = stat.rsplit_once(')')?.1.split_whitespace().next()?;
            Some(matches!(state, "S" | "D" | "Z" | "X" | "T" | "t"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(true),
        Err(_) => None,
    }
}

/// Waits until every thread of `tids` is blocked or finished at the same
/// moment, or `done()` holds, or `limit` passed. Where thread states cannot
/// be read (a `None` tid, not Linux), waits until `done()` or `fallback`.
pub(super) fn wait_until_settled(tids: &[Option<u32>], done: impl Fn() -> bool, limit: Duration, fallback: Duration) {
    let start = Instant::now();
    let readable = tids.iter().all(|t| t.is_some_and(|t| settled(t).is_some()));
    let limit = if readable { limit } else { fallback };
    // Several agreeing looks in a row: a thread between two locks is briefly
    // asleep too.
    let mut calm = 0;
    while start.elapsed() < limit && !done() {
        let all = readable && tids.iter().flatten().all(|&t| settled(t) == Some(true));
        calm = if all { calm + 1 } else { 0 };
        if calm >= 3 {
            return;
        }
        std::thread::yield_now();
    }
}
