//! Stage `keyed-isolation`: each key owns its own bucket, checked call by
//! call against one [`Model`] per key.

use contracts::token_bucket::{Decision, MAX_NOW, Nanos};
use rand::RngExt;

use super::Subject;
use super::configs::{MS, SECOND, cfg, late_start, t};
use super::model::Model;
use crate::harness::{Ctx, StageResult, Story, WithHint, fail};

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    let hint = "Each key owns its own bucket, created full the first time the key is seen; keys that differ by case or a trailing space are different keys.";
    let mut rng = ctx.rng(6);
    let long_key = "k".repeat(1000);
    let keys = ["alice", "bob", "", "alice ", "ALICE", "a", "ab", "ключ", "🔑", "a\0b", long_key.as_str()];
    // Short steps (buckets mostly refilling), then long gaps in which every
    // bucket fills up (and may be forgotten) before it is used again; then
    // the same near the top of the clock, and with capacity 1. A key's clock
    // never runs backwards here, so every answer is exact.
    let runs = [
        (cfg(5, 2, SECOND), 5 * SECOND, 100 * MS),
        (cfg(5, 2, SECOND), 5 * SECOND, 10 * SECOND),
        (cfg(1, 3, SECOND), 0, SECOND),
        (cfg(1 << 32, 1 << 32, 1 << 40), late_start(1 << 56), 1 << 41),
    ];
    for (config, start, max_step) in runs {
        let limiter = (s.limiter)(config);
        let mut models: Vec<Option<Model>> = vec![None; keys.len()];
        let mut now = start;
        let mut story: Story<(Nanos, usize, u64, Decision)> = Story::new();
        // `key (shown)`: a long key is named by its length.
        let shown = |k: usize| {
            if keys[k].len() > 20 { format!("\"k\" × {}", keys[k].len()) } else { format!("{:?}", keys[k]) }
        };
        let line =
            |now: Nanos, k: usize, cost: u64| format!("at t={}: try_acquire({}, {cost})", t(now - start), shown(k));
        for _ in 0..3_000 {
            now = (now + rng.random_range(0..max_step)).min(MAX_NOW);
            let k = rng.random_range(0..keys.len());
            let cost = match rng.random_range(0..12) {
                0 => 0,
                1 => config.capacity + 1,
                2 => u64::MAX,
                3 => config.capacity,
                _ => rng.random_range(1..=config.capacity.min(3)),
            };
            let model = models[k].get_or_insert_with(|| Model::new(config, now));
            let want = model.try_acquire(now, cost);
            let got = limiter.try_acquire(keys[k], now, cost);
            story.check(got == want, (now, k, cost, got), |story| {
                let origin = if start == 0 { String::new() } else { format!(" (t=0 is now = {start})") };
                fail(
                    format!(
                        "A keyed limiter ({config}){origin}:\n  {}\n  then {}",
                        story.tell(|&(now, k, cost, got)| format!("{} → {got}", line(now, k, cost))),
                        line(now, k, cost)
                    ),
                    want,
                    got,
                )
                .hint(hint)
            })?;
        }
    }
    Ok(vec![])
}
