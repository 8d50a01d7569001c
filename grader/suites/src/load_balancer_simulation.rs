//! `cargo grader simulate load-balancer`: one skewed workload through every
//! strategy, the learner's and the reference's side by side. Not graded: it
//! shows what the lesson claims, with the learner's own code.
//!
//! The model is a small discrete-time queueing system. Eight backends each
//! run up to [`WORKERS`] requests at once and queue the rest (FIFO); one of
//! them is degraded and serves at half speed, the everyday situation in which
//! the choice of algorithm matters. Requests are mostly short with a long
//! tail, and come from clients of Zipf-like popularity (which only the hash
//! ring, keyed by client, cares about). A request's lease is held from the
//! pick until it completes, so load-aware pickers see queued requests too.

use std::collections::VecDeque;
use std::fmt::Write as _;

use contracts::load_balancer::{Backend, BackendId, Lease, Picker};
use grader_protocol::{Artifact, Failure};
use rand::RngExt;

use crate::harness::{Ctx, catch_expected_panic, fail};
use crate::load_balancer::Subject;

/// Backends in the simulation.
const BACKENDS: usize = 8;
/// Requests a backend runs at once; the rest wait in its queue.
const WORKERS: usize = 16;
/// The degraded backend: it takes twice as long for everything.
const SLOW: usize = 7;
/// Ticks during which requests arrive.
const TICKS: usize = 2_000;
/// Distinct clients (keys for the ring).
const CLIENTS: usize = 1_000;

/// One arriving request.
#[derive(Debug, Clone, Copy)]
struct Request {
    arrival: usize,
    work: usize,
    client: usize,
}

/// What one strategy did with the workload.
#[derive(Debug, Clone, Default)]
struct Run {
    served: [u64; BACKENDS],
    peak_queue: [usize; BACKENDS],
    latencies: Vec<usize>,
}

impl Run {
    fn percentile(&self, p: f64) -> usize {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        let i = ((l.len() as f64 - 1.0) * p).round() as usize;
        l.get(i).copied().unwrap_or(0)
    }
}

fn workload(ctx: &Ctx) -> Vec<Request> {
    let mut rng = ctx.rng(900);
    // Zipf-like popularity: client k is chosen with weight 1/(k+1).
    let weights: Vec<f64> = (0..CLIENTS).map(|k| 1.0 / (k as f64 + 1.0)).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(CLIENTS);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let mut out = Vec::new();
    for arrival in 0..TICKS {
        for _ in 0..rng.random_range(7..=13) {
            let work = if rng.random_range(0..10) == 0 { rng.random_range(40..=80) } else { rng.random_range(1..=4) };
            let u: f64 = rng.random();
            let client = cumulative.partition_point(|&c| c < u).min(CLIENTS - 1);
            out.push(Request { arrival, work, client });
        }
    }
    out
}

/// Where each request goes: a picker's lease, or a ring's answer.
enum Router<'a> {
    Picker(&'a dyn Picker),
    Ring(&'a dyn contracts::load_balancer::Ring),
}

struct Queued<'a> {
    request: Request,
    lease: Option<Lease<'a>>,
}

struct Running<'a> {
    end: usize,
    request: Request,
    lease: Option<Lease<'a>>,
}

fn run(work: &[Request], router: Router<'_>) -> Result<Run, Failure> {
    let mut queues: Vec<VecDeque<Queued<'_>>> = (0..BACKENDS).map(|_| VecDeque::new()).collect();
    let mut running: Vec<Vec<Running<'_>>> = (0..BACKENDS).map(|_| Vec::new()).collect();
    let mut result = Run::default();
    let mut next = 0;
    let mut t = 0;
    while next < work.len() || queues.iter().any(|q| !q.is_empty()) || running.iter().any(|r| !r.is_empty()) {
        for r in running.iter_mut() {
            let (finished, still): (Vec<_>, Vec<_>) = std::mem::take(r).into_iter().partition(|job| job.end == t);
            *r = still;
            for done in finished {
                result.latencies.push(done.end - done.request.arrival);
                if let Some(lease) = done.lease {
                    lease.finish();
                }
            }
        }
        while next < work.len() && work[next].arrival == t {
            let request = work[next];
            next += 1;
            let (id, lease) = match &router {
                Router::Picker(p) => {
                    let lease = p.pick().map_err(|e| fail("The simulation asked for a backend.", "a backend", e))?;
                    (lease.id(), Some(lease))
                }
                Router::Ring(r) => {
                    let key = format!("client-{}", request.client);
                    let id = r
                        .node_for(key.as_bytes())
                        .ok_or_else(|| fail("The ring was asked for a client's node.", "a node", "None"))?;
                    (id, None)
                }
            };
            let b = id.0 as usize;
            if b >= BACKENDS {
                return Err(fail("The simulation's backends are b0 … b7.", "one of them", id));
            }
            result.served[b] += 1;
            queues[b].push_back(Queued { request, lease });
            result.peak_queue[b] = result.peak_queue[b].max(queues[b].len());
        }
        for b in 0..BACKENDS {
            while running[b].len() < WORKERS {
                let Some(job) = queues[b].pop_front() else { break };
                let speed = if b == SLOW { 2 } else { 1 };
                running[b].push(Running { end: t + job.request.work * speed, request: job.request, lease: job.lease });
            }
        }
        t += 1;
    }
    Ok(result)
}

/// One strategy run for one implementation, or why it could not run.
type Outcome = Result<Run, String>;

fn attempt(f: impl FnOnce() -> Result<Run, Failure>) -> Outcome {
    match catch_expected_panic(f) {
        Ok(Ok(run)) => Ok(run),
        Ok(Err(failure)) => Err(format!("{}: expected {}, got {}", failure.situation, failure.expected, failure.got)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panicked".into());
            Err(if message.starts_with("not yet implemented") || message.starts_with("not implemented") {
                "not implemented yet".into()
            } else {
                format!("panicked: {message}")
            })
        }
    }
}

fn strategies(s: Subject, work: &[Request], seed: u64) -> Vec<Outcome> {
    let backends: Vec<Backend> = (0..BACKENDS as u32).map(Backend::new).collect();
    let picker = |make: crate::load_balancer::MakePicker| {
        attempt(|| {
            let p = make(&backends, seed);
            run(work, Router::Picker(p.as_ref()))
        })
    };
    vec![
        picker(s.round_robin),
        picker(s.least_connections),
        picker(s.power_of_two),
        attempt(|| {
            let mut ring = (s.ring)(100);
            for b in 0..BACKENDS as u32 {
                ring.add(BackendId(b));
            }
            run(work, Router::Ring(ring.as_ref()))
        }),
    ]
}

const NAMES: [&str; 4] = ["round-robin", "least-connections", "power of two choices", "hash ring, by client"];

/// Runs the workload through every strategy of both implementations.
pub fn simulate(learner: Subject, reference: Subject, ctx: &Ctx) -> Result<Artifact, Failure> {
    let work = workload(ctx);
    let yours = strategies(learner, &work, ctx.seed);
    let theirs = strategies(reference, &work, ctx.seed);
    Ok(Artifact { text: text(&work, &yours, &theirs), svg: Some(svg(&yours, &theirs)) })
}

fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values.iter().map(|&v| BARS[((v * 7 + max / 2) / max) as usize]).collect()
}

fn text(work: &[Request], yours: &[Outcome], theirs: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} requests over {TICKS} ticks to {BACKENDS} backends of {WORKERS} workers each; b{SLOW} is degraded (half speed).\n\
         9 in 10 requests take 1–4 ticks, 1 in 10 takes 40–80; {CLIENTS} clients, a few very popular.\n",
        work.len()
    );
    let _ = writeln!(
        out,
        "{:<22} {:<5} {:>5} {:>5} {:>6}   requests per backend   longest queue",
        "strategy", "", "p50", "p99", "max"
    );
    for (i, name) in NAMES.iter().enumerate() {
        for (who, outcome) in [("you", &yours[i]), ("ref", &theirs[i])] {
            let label = if who == "you" { *name } else { "" };
            match outcome {
                Ok(r) => {
                    let (lo, hi) = (r.served.iter().min().unwrap_or(&0), r.served.iter().max().unwrap_or(&0));
                    let (busiest, queue) =
                        r.peak_queue.iter().enumerate().max_by_key(|(_, q)| **q).map_or((0, 0), |(b, q)| (b, *q));
                    let _ = writeln!(
                        out,
                        "{label:<22} {who:<5} {:>5} {:>5} {:>6}   {} {:>5}–{:<5}         {queue:>5} on b{busiest}",
                        r.percentile(0.5),
                        r.percentile(0.99),
                        r.percentile(1.0),
                        sparkline(&r.served),
                        lo,
                        hi,
                    );
                }
                Err(why) => {
                    let _ = writeln!(out, "{label:<22} {who:<5} {why}");
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\nLatency is in ticks, from arrival to completion. Round-robin keeps feeding the slow b{SLOW} its full share,\n\
         so requests queue there and the tail grows; least-connections and power of two choices see the queue\n\
         through their in-flight counts and send less; the ring follows keys, not load, so popular clients make\n\
         hot spots whatever the backends' health."
    );
    out
}

fn svg(yours: &[Outcome], theirs: &[Outcome]) -> String {
    let (panel_w, panel_h, pad) = (380.0, 210.0, 20.0);
    let width = 2.0 * panel_w + 3.0 * pad;
    let height = 2.0 * panel_h + 3.0 * pad + 30.0;
    let max =
        yours.iter().chain(theirs).filter_map(|o| o.as_ref().ok()).flat_map(|r| r.served).max().unwrap_or(1).max(1)
            as f64;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="{pad}" y="22" font-size="15" font-weight="bold">Requests per backend (b7 is degraded): yours vs the reference</text>
<rect x="{}" y="10" width="12" height="12" fill="#2563eb"/><text x="{}" y="21">yours</text>
<rect x="{}" y="10" width="12" height="12" fill="#9ca3af"/><text x="{}" y="21">reference</text>
"##,
        width - 190.0,
        width - 174.0,
        width - 110.0,
        width - 94.0
    );
    for (i, name) in NAMES.iter().enumerate() {
        let x0 = pad + (i % 2) as f64 * (panel_w + pad);
        let y0 = 30.0 + pad + (i / 2) as f64 * (panel_h + pad);
        let p99 = |o: &Outcome| o.as_ref().map_or("—".to_string(), |r| r.percentile(0.99).to_string());
        let _ = writeln!(
            s,
            r##"<rect x="{x0}" y="{y0}" width="{panel_w}" height="{panel_h}" fill="none" stroke="#d1d5db"/>
<text x="{}" y="{}" font-weight="bold">{name}</text><text x="{}" y="{}" fill="#374151">p99 latency: yours {}, reference {} ticks</text>"##,
            x0 + 10.0,
            y0 + 18.0,
            x0 + 10.0,
            y0 + 34.0,
            p99(&yours[i]),
            p99(&theirs[i])
        );
        let chart_h = panel_h - 70.0;
        let base = y0 + panel_h - 22.0;
        let slot = (panel_w - 20.0) / BACKENDS as f64;
        for b in 0..BACKENDS {
            for (k, (o, color)) in [(&yours[i], "#2563eb"), (&theirs[i], "#9ca3af")].into_iter().enumerate() {
                let Ok(r) = o else { continue };
                let h = r.served[b] as f64 / max * chart_h;
                let x = x0 + 10.0 + b as f64 * slot + 4.0 + k as f64 * (slot - 8.0) / 2.0;
                let _ = writeln!(
                    s,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{color}"><title>b{b}: {}</title></rect>"#,
                    base - h,
                    (slot - 8.0) / 2.0 - 1.0,
                    r.served[b]
                );
            }
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#374151">b{b}</text>"##,
                x0 + 10.0 + (b as f64 + 0.5) * slot,
                base + 15.0
            );
        }
        for (o, who, dy) in [(&yours[i], "yours", 0.0), (&theirs[i], "reference", 14.0)] {
            if let Err(why) = o {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" fill="#b91c1c">{who}: {}</text>"##,
                    x0 + 10.0,
                    y0 + 60.0 + dy,
                    escape(why)
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
