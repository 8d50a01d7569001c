//! How failures show backend lists, runs of picks and counts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use contracts::load_balancer::{Backend, BackendId};

pub(super) fn list(ids: &[u32]) -> Vec<Backend> {
    ids.iter().map(|&i| Backend::new(i)).collect()
}

pub(super) fn weighted(ws: &[(u32, u32)]) -> Vec<Backend> {
    ws.iter().map(|&(i, w)| Backend::weighted(i, w)).collect()
}

pub(super) fn ids_of(backends: &[Backend]) -> Vec<BackendId> {
    backends.iter().map(|b| b.id).collect()
}

/// `[b0 b1 b2]`.
pub(super) fn show_ids(ids: &[BackendId]) -> String {
    format!("[{}]", ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
}

/// `b0:5 b1:1`.
pub(super) fn show_weights(backends: &[Backend]) -> String {
    backends.iter().map(|b| format!("{}:{}", b.id, b.weight)).collect::<Vec<_>>().join(" ")
}

/// A run of picks, the first `max` of them.
pub(super) fn show_run(picks: &[BackendId], max: usize) -> String {
    let mut s = picks.iter().take(max).map(ToString::to_string).collect::<Vec<_>>().join(" ");
    if picks.len() > max {
        s.push_str(" …");
    }
    s
}

/// 12,345.
pub(super) fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows of `label ████ count`, scaled to the largest count, indented to sit
/// under the `got:` column of a failure.
pub(super) fn histogram(rows: &[(String, u64)]) -> String {
    const WIDTH: u64 = 32;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let label = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, n) in rows {
        let len = if *n == 0 { 0 } else { (n * WIDTH / max).max(1) as usize };
        let _ = write!(out, "\n            {name:>label$} {:<w$} {}", "█".repeat(len), num(*n), w = WIDTH as usize);
    }
    out
}

/// Rows of `label count  +diff ███`, bars scaled to the largest difference
/// from `want`: near-equal counts differ where it matters.
pub(super) fn deviations(counts: &BTreeMap<BackendId, u64>, want: u64) -> String {
    const WIDTH: u64 = 24;
    let max = counts.values().map(|&c| c.abs_diff(want)).max().unwrap_or(0).max(1);
    let label = counts.keys().map(|id| id.to_string().len()).max().unwrap_or(0);
    let mut out = String::new();
    for (id, &c) in counts {
        let diff = c.abs_diff(want);
        let len = if diff == 0 { 0 } else { (diff * WIDTH / max).max(1) as usize };
        let sign = if c >= want { '+' } else { '−' };
        let id = id.to_string();
        let _ = write!(out, "\n            {id:>label$} {:>9}  {sign}{diff:<5} {}", num(c), "█".repeat(len));
    }
    out
}

pub(super) fn count_rows(counts: &BTreeMap<BackendId, u64>) -> Vec<(String, u64)> {
    counts.iter().map(|(id, n)| (id.to_string(), *n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_histograms_read_well() {
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(num(12), "12");
        let h = histogram(&[("b0".into(), 10), ("b1".into(), 5), ("b2".into(), 0)]);
        assert!(h.contains(&format!("b0 {} 10", "█".repeat(32))), "{h}");
        assert!(h.contains("b1 ████████████████"), "{h}");
    }
}
