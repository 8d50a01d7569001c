//! Stage `bounded-memory`: a limiter forgets full buckets, so its size
//! follows the active keys, not every key ever seen.

use contracts::token_bucket::{BucketConfig, Decision, Nanos};
use grader_protocol::Failure;

use super::Subject;
use super::configs::{MS, SECOND, cfg, late_start, refill_time, t};
use crate::harness::{Ctx, StageResult, WithHint, ensure, fail};

/// The contract's slack: a limiter keeps at most `2 × A + SLACK` buckets,
/// `A` the keys active (not full) at the busiest moment so far.
const SLACK: u64 = 1024;

/// Milliseconds after draining its bucket that a client asks again: before
/// its bucket is full (each churn's bucket refills in 100 ms).
const ASKS_AGAIN_MS: u64 = 50;

/// Milliseconds after draining their buckets that a crowd comes back.
const CROWD_RETURNS_MS: u64 = 60;

/// A steady churn of clients: a new client every millisecond drains its
/// bucket, which refills in `r` ms, so about `r` are active at any time.
/// Between clients `burst_at` and `burst_at + burst`, each millisecond also
/// brings a crowd of extra clients that drain their buckets and come back
/// [`CROWD_RETURNS_MS`] later, before those are full again.
struct Churn {
    config: BucketConfig,
    clients: u64,
    start: Nanos,
    burst_at: u64,
    burst: u64,
    crowd: u64,
}

fn churn(s: Subject, c: &Churn) -> Result<(), Failure> {
    let Churn { config, clients, start, burst_at, burst, crowd } = *c;
    let limiter = (s.limiter)(config);
    // A client is active for the refill time, one arrives every millisecond.
    let refill_ms = refill_time(config) / MS;
    let steady = refill_ms + 1;
    let refilled = |ms: u64| 100 * ms / refill_ms;
    let keep_hint = "Only a bucket that has refilled to full may be forgotten, however many keys are active: forgetting one that is still refilling (by age, by a size cap, least recently used first) gives that client a free burst.";
    for i in 0..clients {
        let now = start + i * MS;
        let key = format!("client-{i}");
        let d = limiter.try_acquire(&key, now, config.capacity);
        if d != (Decision::Allowed { remaining: 0 }) {
            return Err(fail(
                format!("A new client {key:?} drained its bucket ({config}) at t={}.", t(now - start)),
                "allowed (0 tokens left)",
                d,
            ));
        }
        if i >= ASKS_AGAIN_MS {
            // A client seen 50 ms ago is still active: forgetting it would hand it a new burst.
            let recent = format!("client-{}", i - ASKS_AGAIN_MS);
            let d = limiter.try_acquire(&recent, now, config.capacity);
            if !matches!(d, Decision::Limited { .. }) {
                return Err(fail(
                    format!("Client {recent:?} drained its bucket ({config}) {ASKS_AGAIN_MS}ms ago and asked for its full capacity again at t={}.", t(now - start)),
                    format!("limited (only {}% of the bucket has refilled)", refilled(ASKS_AGAIN_MS)),
                    d,
                )
                .hint(keep_hint));
            }
        }
        let in_burst = (burst_at..burst_at + burst).contains(&i);
        if in_burst {
            for j in 0..crowd {
                let key = format!("crowd-{i}-{j}");
                limiter.try_acquire(&key, now, config.capacity);
            }
        }
        if (burst_at + CROWD_RETURNS_MS..burst_at + burst + CROWD_RETURNS_MS).contains(&i) {
            // The crowd of 60 ms ago comes back: its buckets are not full yet.
            for j in 0..crowd {
                let key = format!("crowd-{}-{j}", i - CROWD_RETURNS_MS);
                let d = limiter.try_acquire(&key, now, config.capacity);
                if !matches!(d, Decision::Limited { .. }) {
                    return Err(fail(
                        format!(
                            "During a burst of {} active clients ({config}), client {key:?} drained its bucket {CROWD_RETURNS_MS}ms ago and asked for its full capacity again at t={}.",
                            steady + refill_ms * crowd,
                            t(now - start)
                        ),
                        format!("limited (only {}% of the bucket has refilled)", refilled(CROWD_RETURNS_MS)),
                        d,
                    )
                    .hint(keep_hint));
                }
            }
        }
        let active =
            if (burst_at..burst_at + burst + refill_ms).contains(&i) { steady + refill_ms * crowd } else { steady };
        // After a burst the promise is still the one for the busiest moment.
        let peak = if i >= burst_at && burst > 0 { steady + refill_ms * crowd } else { steady };
        let bound = 2 * peak + SLACK;
        let len = limiter.len();
        if len as u64 > bound {
            return Err(fail(
                format!(
                    "{} clients came and went ({config}), at most {peak} active at any time so far ({active} now); after {} clients,",
                    clients,
                    i + 1
                ),
                format!("len() ≤ 2 × {peak} + {SLACK} = {bound}"),
                format!("len() = {len}"),
            )
            .hint("A full bucket answers exactly like a fresh one, so it can be dropped. Sweep full buckets out when the map has doubled since the last sweep: amortized O(1) per call."));
        }
    }
    Ok(())
}

pub(super) fn run(s: Subject, _ctx: &Ctx) -> StageResult {
    // 200,000 clients, about 100 active at any time.
    churn(s, &Churn { config: cfg(10, 1, 10 * MS), clients: 200_000, start: 0, burst_at: 0, burst: 0, crowd: 0 })?;
    // Capacity 1; and the top of the envelope: 2^32 tokens, 2^32 per 100 ms,
    // near the end of the clock.
    churn(s, &Churn { config: cfg(1, 1, 100 * MS), clients: 50_000, start: 0, burst_at: 0, burst: 0, crowd: 0 })?;
    churn(
        s,
        &Churn {
            config: cfg(1 << 32, 1 << 32, 100 * MS),
            clients: 50_000,
            start: late_start(60 * SECOND),
            burst_at: 0,
            burst: 0,
            crowd: 0,
        },
    )?;
    // The active set changes mid-sequence: 100 ms in which 60 extra clients
    // arrive every millisecond (6,000 more active keys), then calm again.
    churn(
        s,
        &Churn { config: cfg(10, 1, 10 * MS), clients: 20_000, start: 0, burst_at: 5_000, burst: 100, crowd: 60 },
    )?;
    // Requests that take nothing (cost 0, or above capacity) leave every
    // bucket full: no key is active, so at most SLACK may be kept.
    let config = cfg(10, 1, 10 * MS);
    let limiter = (s.limiter)(config);
    for i in 0..50_000u64 {
        let cost = if i % 2 == 0 { 0 } else { 11 };
        limiter.try_acquire(&format!("probe-{i}"), i * MS, cost);
        let len = limiter.len();
        ensure(len as u64 <= SLACK, || {
            fail(
                format!("{} new clients each asked once for nothing (cost 0) or for more than the capacity ({config}): no bucket was ever below full.", i + 1),
                format!("len() ≤ 2 × 0 + {SLACK} = {SLACK}"),
                format!("len() = {len}"),
            )
            .hint("A bucket that is full (or that a request did not touch) carries no information: forget it like any other full bucket, or never store it.")
        })?;
    }
    Ok(vec![])
}
