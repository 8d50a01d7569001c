//! How failure messages write instants and durations.

use contracts::cache_aside::Nanos;

/// `1500000` → `"1.5ms"`-style exact text: the largest unit that divides
/// the value, so a boundary reads exactly (`999ns`, `1s`, `86400s`).
pub(super) fn t(n: Nanos) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "µs")];
    for (size, unit) in UNITS {
        if n >= size && n % size == 0 {
            return format!("{}{unit}", n / size);
        }
    }
    format!("{n}ns")
}

pub(super) const MS: Nanos = 1_000_000;

pub(super) const SECOND: Nanos = 1_000_000_000;
