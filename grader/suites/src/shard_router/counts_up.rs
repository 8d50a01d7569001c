//! Stage `counts-up`: a counter answers `start`, then one more on each call.

use rand::RngExt;

use super::Subject;
use crate::harness::{Ctx, StageResult, WithHint, fail};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let mut rng = ctx.rng(1);
    for _ in 0..20 {
        let start = rng.random_range(0..=1u64 << 63);
        let counter = (s.counter)(start);
        for call in 0..100u64 {
            let got = counter.next();
            let expected = start + call;
            if got != expected {
                let situation = format!("A counter created with start {start}, called {} times:", call + 1);
                return Err(fail(situation, expected, got)
                    .hint("The first call answers `start` itself; each later call one more than the last."));
            }
        }
    }
    Ok(vec![])
}
