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
//!
//! The report (a terminal table and an SVG picture) shows three views, each
//! with its own scale, because no single one tells the story:
//! - requests per backend: round-robin's counts are the most even of all;
//! - latency percentiles (p50, p90, p99, max): round-robin's tail is yet the
//!   worst of the pickers, because an even share is too much for the slow
//!   backend;
//! - requests waiting at each strategy's busiest backend, over time: where
//!   that tail comes from.
//!
//! For the ring it also counts the requests of the [`HOT`] most popular
//! clients on each backend. Two correct rings with different hash functions
//! put those clients on different backends, so their hot spots differ; the
//! report says whether a difference between the learner's ring and the
//! reference's is explained by where the popular clients landed, or remains
//! once they are set aside (then it is worth a look).

use std::collections::VecDeque;
use std::fmt::Write as _;

use contracts::load_balancer::{Backend, BackendId, Lease, Picker, Ring};
use grader_protocol::{Artifact, Failure};
use rand::RngExt;

use super::{MakePicker, Strategy, Subject};
use crate::harness::{Caught, Ctx, catch_panic, fail};

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
/// The most popular clients, followed to the backend they land on.
const HOT: usize = 10;
/// Ticks per point of the queue-over-time trace (each point is the longest
/// queue seen in its window, so no peak is lost between points).
const SAMPLE: usize = 10;
/// Points per node of the simulated ring.
const VNODES: u32 = 100;
/// The most uneven spread of clients over backends (coefficient of variation
/// of the clients per backend, each client counted once whatever its
/// traffic) that the report still calls even, and so puts a ring's difference
/// from the reference's down to where its popular clients landed. Stage 5
/// allows 2/√k = 0.2 at k = 100 points per node; sampling only the ~1,000
/// clients of this workload adds about 0.05. Measured on rings of 100 points
/// with eight different hash functions: 0.04–0.15; with 10 points:
/// 0.23–0.36; with one point per node (the classic bug): about 1.2.
const EVEN_SPREAD: f64 = 0.25;

/// The pickers the simulation runs, in its columns' order. Every backend
/// weighs 1, so smooth weighted round-robin would only repeat round-robin.
const PICKERS: [Strategy; 3] = [Strategy::RoundRobin, Strategy::LeastConnections, Strategy::PowerOfTwo];

/// Each strategy's name, the pickers' then the ring's.
const NAMES: [&str; 4] = [PICKERS[0].title(), PICKERS[1].title(), PICKERS[2].title(), "hash ring, by client"];
/// Index of the ring in [`NAMES`].
const RING: usize = PICKERS.len();

/// One arriving request.
#[derive(Debug, Clone, Copy)]
struct Request {
    arrival: usize,
    work: usize,
    client: usize,
}

/// The requests, and who the popular clients are.
#[derive(Debug, Clone)]
struct Workload {
    requests: Vec<Request>,
    /// The [`HOT`] clients with the most requests, most popular first.
    hot: Vec<usize>,
    /// For each client, its rank among the popular ones.
    rank: Vec<Option<usize>>,
    /// Requests of each popular client, in the order of `hot`.
    hot_requests: Vec<u64>,
}

impl Workload {
    fn hot_total(&self) -> u64 {
        self.hot_requests.iter().sum()
    }
}

/// What one strategy did with the workload.
#[derive(Debug, Clone, Default)]
struct Run {
    served: [u64; BACKENDS],
    /// Of `served`, the requests of the popular clients.
    popular: [u64; BACKENDS],
    /// Where each popular client's requests went (the last one's backend;
    /// for a ring, the only one).
    homes: [Option<usize>; HOT],
    /// Clients whose first request went to each backend: for a ring, the
    /// clients (keys) each backend owns, counted once whatever their traffic.
    clients: [u64; BACKENDS],
    /// The most requests waiting (not running) at once, per backend.
    peak_queue: [usize; BACKENDS],
    /// Per window of [`SAMPLE`] ticks, the longest queue of each backend.
    queue_trace: Vec<[usize; BACKENDS]>,
    /// Ticks from arrival to completion, sorted.
    latencies: Vec<usize>,
}

/// Latency percentiles, in ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tail {
    p50: usize,
    p90: usize,
    p99: usize,
    max: usize,
}

impl Run {
    /// The latency below which a fraction `p` of requests completed
    /// (nearest rank).
    fn percentile(&self, p: f64) -> usize {
        let l = &self.latencies;
        let i = ((l.len() as f64 - 1.0) * p).round() as usize;
        l.get(i).copied().unwrap_or(0)
    }

    fn tail(&self) -> Tail {
        Tail {
            p50: self.percentile(0.5),
            p90: self.percentile(0.9),
            p99: self.percentile(0.99),
            max: self.percentile(1.0),
        }
    }

    /// The backend with the longest queue, and that queue.
    fn worst_queue(&self) -> (usize, usize) {
        // Ties go to the lowest id, so the answer is stable.
        (0..BACKENDS)
            .fold((0, 0), |(bb, bq), b| if self.peak_queue[b] > bq { (b, self.peak_queue[b]) } else { (bb, bq) })
    }

    /// The backend that served the most requests.
    fn busiest(&self) -> usize {
        (0..BACKENDS).fold(0, |best, b| if self.served[b] > self.served[best] { b } else { best })
    }

    /// How evenly a ring spreads keys, their traffic set aside: the
    /// coefficient of variation (standard deviation over mean) of the clients
    /// per backend.
    fn key_spread(&self) -> f64 {
        let mean = self.clients.iter().sum::<u64>() as f64 / BACKENDS as f64;
        let variance = self.clients.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / BACKENDS as f64;
        if mean == 0.0 { 0.0 } else { variance.sqrt() / mean }
    }

    /// Fewest and most clients on one backend.
    fn client_range(&self) -> (u64, u64) {
        (self.clients.iter().copied().min().unwrap_or(0), self.clients.iter().copied().max().unwrap_or(0))
    }
}

fn workload(ctx: &Ctx) -> Workload {
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
    let mut requests = Vec::new();
    for arrival in 0..TICKS {
        for _ in 0..rng.random_range(7..=13) {
            let work = if rng.random_range(0..10) == 0 { rng.random_range(40..=80) } else { rng.random_range(1..=4) };
            let u: f64 = rng.random();
            let client = cumulative.partition_point(|&c| c < u).min(CLIENTS - 1);
            requests.push(Request { arrival, work, client });
        }
    }
    let mut per_client = vec![0u64; CLIENTS];
    for r in &requests {
        per_client[r.client] += 1;
    }
    let mut by_popularity: Vec<usize> = (0..CLIENTS).collect();
    by_popularity.sort_by_key(|&c| (std::cmp::Reverse(per_client[c]), c));
    let hot: Vec<usize> = by_popularity[..HOT].to_vec();
    let mut rank = vec![None; CLIENTS];
    for (i, &c) in hot.iter().enumerate() {
        rank[c] = Some(i);
    }
    let hot_requests = hot.iter().map(|&c| per_client[c]).collect();
    Workload { requests, hot, rank, hot_requests }
}

/// Where each request goes: a picker's lease, or a ring's answer.
enum Router<'a> {
    Picker(&'a dyn Picker),
    Ring(&'a dyn Ring),
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

fn run(work: &Workload, router: Router<'_>) -> Result<Run, Failure> {
    let requests = &work.requests;
    let mut queues: Vec<VecDeque<Queued<'_>>> = (0..BACKENDS).map(|_| VecDeque::new()).collect();
    let mut running: Vec<Vec<Running<'_>>> = (0..BACKENDS).map(|_| Vec::new()).collect();
    let mut result = Run::default();
    let mut seen = vec![false; CLIENTS];
    let mut next = 0;
    let mut t = 0;
    while next < requests.len() || queues.iter().any(|q| !q.is_empty()) || running.iter().any(|r| !r.is_empty()) {
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
        while next < requests.len() && requests[next].arrival == t {
            let request = requests[next];
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
                return Err(fail(format!("The simulation's backends are b0 … b{}.", BACKENDS - 1), "one of them", id));
            }
            result.served[b] += 1;
            if !std::mem::replace(&mut seen[request.client], true) {
                result.clients[b] += 1;
            }
            if let Some(rank) = work.rank[request.client] {
                result.popular[b] += 1;
                result.homes[rank] = Some(b);
            }
            queues[b].push_back(Queued { request, lease });
        }
        for b in 0..BACKENDS {
            while running[b].len() < WORKERS {
                let Some(job) = queues[b].pop_front() else { break };
                let speed = if b == SLOW { 2 } else { 1 };
                running[b].push(Running { end: t + job.request.work * speed, request: job.request, lease: job.lease });
            }
        }
        // What waits now is what could not start: the queue a request meets.
        let window = t / SAMPLE;
        if result.queue_trace.len() <= window {
            result.queue_trace.push([0; BACKENDS]);
        }
        for (b, queue) in queues.iter().enumerate() {
            let q = queue.len();
            result.peak_queue[b] = result.peak_queue[b].max(q);
            result.queue_trace[window][b] = result.queue_trace[window][b].max(q);
        }
        t += 1;
    }
    result.latencies.sort_unstable();
    Ok(result)
}

/// Why a strategy could not run.
#[derive(Debug, Clone, PartialEq)]
enum Trouble {
    /// It reached a `todo!()`.
    NotImplemented,
    /// It failed or panicked; the text says how.
    Broke(String),
}

impl Trouble {
    /// What a table cell says.
    fn short(&self) -> &'static str {
        match self {
            Trouble::NotImplemented => "not implemented yet",
            Trouble::Broke(_) => "failed (see below)",
        }
    }
}

/// One strategy run for one implementation, or why it could not run.
type Outcome = Result<Run, Trouble>;

fn attempt(f: impl FnOnce() -> Result<Run, Failure>) -> Outcome {
    match catch_panic(f) {
        Ok(Ok(run)) => Ok(run),
        Ok(Err(failure)) => {
            Err(Trouble::Broke(format!("{} Expected {}, got {}.", failure.situation, failure.expected, failure.got)))
        }
        Err(Caught::NotImplemented(_)) => Err(Trouble::NotImplemented),
        Err(Caught::Panicked(message)) => Err(Trouble::Broke(format!("panicked: {message}"))),
    }
}

fn strategies(s: Subject, work: &Workload, seed: u64) -> Vec<Outcome> {
    let backends: Vec<Backend> = (0..BACKENDS as u32).map(Backend::new).collect();
    let picker = |make: MakePicker| {
        attempt(|| {
            let p = make(&backends, seed);
            run(work, Router::Picker(p.as_ref()))
        })
    };
    let mut outcomes: Vec<Outcome> = PICKERS.iter().map(|&kind| picker(s.picker(kind))).collect();
    outcomes.push(attempt(|| {
        let mut ring = (s.ring)(VNODES);
        for b in 0..BACKENDS as u32 {
            ring.add(BackendId(b));
        }
        run(work, Router::Ring(ring.as_ref()))
    }));
    outcomes
}

/// Runs the workload through every strategy of both implementations.
pub fn simulate(learner: Subject, reference: Subject, ctx: &Ctx) -> Result<Artifact, Failure> {
    let work = workload(ctx);
    let yours = strategies(learner, &work, ctx.seed);
    let theirs = strategies(reference, &work, ctx.seed);
    Ok(report(&work, &yours, &theirs))
}

fn report(work: &Workload, yours: &[Outcome], theirs: &[Outcome]) -> Artifact {
    let notes = Notes::new(work, yours, theirs);
    Artifact { text: text(work, yours, theirs, &notes), svg: Some(svg(work, yours, theirs, &notes)) }
}

// ---------------------------------------------------------------------------
// What the figures mean, in words: shared by the terminal and the picture.

/// The sentences under the figures, computed from them.
struct Notes {
    /// Why round-robin's tail is long although its counts are even.
    tail: Option<String>,
    /// Where the ring's popular clients landed, and what that explains.
    ring: Vec<String>,
}

impl Notes {
    fn new(work: &Workload, yours: &[Outcome], theirs: &[Outcome]) -> Notes {
        Notes {
            tail: tail_note(theirs, "the reference").or_else(|| tail_note(yours, "yours")),
            ring: ring_notes(work, &yours[RING], &theirs[RING]),
        }
    }
}

/// The column of picker `kind` in the simulation's tables.
fn column(kind: Strategy) -> usize {
    PICKERS.iter().position(|&k| k == kind).unwrap_or(RING)
}

fn tail_note(side: &[Outcome], whose: &str) -> Option<String> {
    let (Ok(rr), Ok(lc)) = (&side[column(Strategy::RoundRobin)], &side[column(Strategy::LeastConnections)]) else {
        return None;
    };
    let (lo, hi) = (rr.served.iter().min()?, rr.served.iter().max()?);
    let (rr_p99, lc_p99) = (rr.tail().p99, lc.tail().p99);
    let ratio = if lc_p99 == 0 { String::new() } else { format!(" ({:.1}×)", rr_p99 as f64 / lc_p99 as f64) };
    Some(format!(
        "With {whose}, round-robin's counts are the most even ({lo}–{hi} per backend), yet its p99 is {rr_p99} ticks against \
         least-connections' {lc_p99}{ratio}: it keeps sending the slow b{SLOW} its full eighth, so requests queue there \
         ({} waiting at the peak). Least-connections sees that queue in its in-flight counts and sends b{SLOW} only {}.",
        rr.peak_queue[SLOW], lc.served[SLOW]
    ))
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// What a ring's busiest backend carries, and how much of it is popular.
fn busiest_sentence(whose: &str, r: &Run) -> String {
    let b = r.busiest();
    let clients = r.homes.iter().filter(|h| **h == Some(b)).count();
    format!(
        "{whose} busiest backend is b{b}: {} requests, {} of them ({:.0}%) from {clients} of the popular clients",
        r.served[b],
        r.popular[b],
        percent(r.popular[b], r.served[b])
    )
}

fn home(r: &Run, rank: usize) -> String {
    match r.homes[rank] {
        Some(SLOW) => format!("b{SLOW} (the slow one)"),
        Some(b) => format!("b{b}"),
        None => "nowhere".into(),
    }
}

fn ring_notes(work: &Workload, yours: &Outcome, theirs: &Outcome) -> Vec<String> {
    let total = work.requests.len() as u64;
    let mut notes = vec![format!(
        "The ring sends each client to one backend, wherever its key hashes, whatever the load: the {HOT} most \
         popular clients send {:.0}% of all requests, so the backends they land on run hot.",
        percent(work.hot_total(), total)
    )];
    match (yours, theirs) {
        (Ok(y), Ok(t)) if y.served == t.served && y.homes == t.homes => {
            notes.push(format!(
                "{}; your ring places every client where the reference's does.",
                busiest_sentence("The", t)
            ));
        }
        (Ok(y), Ok(t)) => {
            notes.push(format!("{}; {}.", busiest_sentence("The reference's", t), busiest_sentence("your ring's", y)));
            let moved: Vec<String> = (0..HOT.min(3))
                .map(|i| {
                    format!(
                        "client-{} ({:.0}% of requests) is on {} in yours, {} in the reference's",
                        work.hot[i],
                        percent(work.hot_requests[i], total),
                        home(y, i),
                        home(t, i)
                    )
                })
                .collect();
            notes.push(format!("The most popular: {}.", moved.join("; ")));
            let ((ylo, yhi), (tlo, thi)) = (y.client_range(), t.client_range());
            let spread = format!(
                "Counting each client once, whatever its traffic, your ring gives each backend {ylo}–{yhi} clients \
                 (spread {:.2}) and the reference's {tlo}–{thi} (spread {:.2})",
                y.key_spread(),
                t.key_spread()
            );
            notes.push(if y.key_spread() <= EVEN_SPREAD {
                format!(
                    "{spread}: both spread keys evenly. The difference in requests and latency comes from where the \
                     popular clients landed (another hash function puts them on other backends), not from a bug."
                )
            } else {
                format!(
                    "{spread}: yours is uneven even with traffic set aside, which popular keys do not explain. Check \
                     that each node gets its virtual points and that the hash spreads them (stage 5, hash-ring)."
                )
            });
        }
        (Ok(r), Err(_)) | (Err(_), Ok(r)) => {
            let whose = if yours.is_ok() { "Your ring's" } else { "The reference's" };
            notes.push(format!("{}.", busiest_sentence(whose, r)));
        }
        (Err(_), Err(_)) => notes.clear(),
    }
    notes
}

// ---------------------------------------------------------------------------
// The terminal report.

/// Greedy word wrap to `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Columns of one side of the latency table: p50 p90 p99 max, longest queue.
fn tail_cells(o: &Outcome) -> String {
    match o {
        Ok(r) => {
            let t = r.tail();
            format!("{:>5} {:>5} {:>5} {:>5}  {:<11}", t.p50, t.p90, t.p99, t.max, queue_cell(r))
        }
        Err(trouble) => format!("  {:<34}", trouble.short()),
    }
}

/// The longest queue and where it was, or "none".
fn queue_cell(r: &Run) -> String {
    match r.worst_queue() {
        (_, 0) => format!("{:>5}", "none"),
        (b, q) => format!("{q:>5} on b{b}"),
    }
}

fn text(work: &Workload, yours: &[Outcome], theirs: &[Outcome], notes: &Notes) -> String {
    let mut out = String::new();
    let total = work.requests.len() as u64;
    let _ = writeln!(
        out,
        "{total} requests over {TICKS} ticks to {BACKENDS} backends (b0–b{}) of {WORKERS} workers each; b{SLOW} is \
         degraded (half speed).\n9 in 10 requests take 1–4 ticks, 1 in 10 takes 40–80. {CLIENTS} clients; the {HOT} \
         most popular send {:.0}% of the requests.\n",
        BACKENDS - 1,
        percent(work.hot_total(), total)
    );
    let _ =
        writeln!(out, "Latency (ticks from arrival to completion) and longest queue (requests waiting at one backend)");
    let _ = writeln!(out, "{:<22} {:^36} │ {:^36}", "", "yours", "reference");
    let head = format!("{:>5} {:>5} {:>5} {:>5}  {:<11}", "p50", "p90", "p99", "max", "queue");
    let _ = writeln!(out, "{:<22} {head} │ {head}", "strategy");
    for (i, name) in NAMES.iter().enumerate() {
        let _ = writeln!(out, "{name:<22} {} │ {}", tail_cells(&yours[i]), tail_cells(&theirs[i]));
    }

    let _ = writeln!(
        out,
        "\nRequests per backend (b{SLOW}* is degraded); for the ring, also the requests of the {HOT} most popular \
         clients (top {HOT}) and the clients each backend owns"
    );
    let _ = write!(out, "{:<22} {:<13}", "strategy", "");
    for b in 0..BACKENDS {
        let label = if b == SLOW { format!("b{b}*") } else { format!("b{b}") };
        let _ = write!(out, "{label:>8}");
    }
    out.push('\n');
    for (i, name) in NAMES.iter().enumerate() {
        for (k, (who, o)) in [("yours", &yours[i]), ("reference", &theirs[i])].into_iter().enumerate() {
            let label = if k == 0 { *name } else { "" };
            let _ = write!(out, "{label:<22} {who:<13}");
            match o {
                Ok(r) => {
                    for v in r.served {
                        let _ = write!(out, "{v:>8}");
                    }
                    out.push('\n');
                    if i == RING {
                        for (label, values) in [(format!("  top {HOT}"), r.popular), ("  clients".into(), r.clients)] {
                            let _ = write!(out, "{:<22} {label:<13}", "");
                            for v in values {
                                let _ = write!(out, "{v:>8}");
                            }
                            out.push('\n');
                        }
                    }
                }
                Err(trouble) => {
                    let _ = writeln!(out, "  {}", trouble.short());
                }
            }
        }
    }

    let troubles: Vec<String> = NAMES
        .iter()
        .enumerate()
        .flat_map(|(i, name)| {
            [("yours", &yours[i]), ("the reference's", &theirs[i])].into_iter().filter_map(move |(who, o)| match o {
                Err(Trouble::Broke(why)) => Some(format!("{name}, {who}: {why}")),
                _ => None,
            })
        })
        .collect();
    if !troubles.is_empty() {
        out.push('\n');
        for t in troubles {
            let _ = writeln!(out, "{t}");
        }
    }
    for paragraph in notes.tail.iter().chain(&notes.ring) {
        out.push('\n');
        for line in wrap(paragraph, 100) {
            let _ = writeln!(out, "{line}");
        }
    }
    out.lines().map(|l| format!("{}\n", l.trim_end())).collect()
}

// ---------------------------------------------------------------------------
// The picture.

const WIDTH: f64 = 900.0;
const MARGIN: f64 = 20.0;
const INK: &str = "#111827";
const MUTED: &str = "#4b5563";
const GRID: &str = "#e5e7eb";
const FRAME: &str = "#d1d5db";
const YOURS: &str = "#2563eb";
const YOURS_POPULAR: &str = "#1e3a8a";
const THEIRS: &str = "#9ca3af";
const THEIRS_POPULAR: &str = "#4b5563";
const SLOW_BAND: &str = "#fee2e2";
const SLOW_INK: &str = "#b91c1c";
/// Shades of the latency bars, up to p50, p90, p99 and max.
const YOURS_TAIL: [&str; 4] = ["#1e3a8a", "#2563eb", "#60a5fa", "#bfdbfe"];
const THEIRS_TAIL: [&str; 4] = ["#1f2937", "#6b7280", "#9ca3af", "#e5e7eb"];
/// One colour per strategy in the queue chart.
const STRATEGY_INK: [&str; 4] = ["#dc2626", "#16a34a", "#7c3aed", "#d97706"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round step for about `count` ticks from 0 to `max`: 1, 2 or 5 times a
/// power of ten, and at least 1 (the figures are whole numbers).
fn nice_step(max: f64, count: f64) -> f64 {
    let raw = (max / count).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

/// An axis from 0 to a round number at or above `max`, and its ticks.
fn axis(max: f64, count: f64) -> (f64, Vec<f64>) {
    let step = nice_step(max, count);
    let top = (max / step).ceil().max(1.0) * step;
    let ticks = (0..).map(|i| i as f64 * step).take_while(|v| *v <= top + step / 2.0).collect();
    (top, ticks)
}

/// An SVG document under construction.
struct Pic {
    body: String,
}

impl Pic {
    fn text(&mut self, x: f64, y: f64, attrs: &str, content: &str) {
        let _ = writeln!(self.body, r#"<text x="{x:.1}" y="{y:.1}"{attrs}>{}</text>"#, escape(content));
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: Option<&str>) {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}""#,
            w.max(0.0),
            h.max(0.0)
        );
        match tip {
            Some(tip) => {
                let _ = writeln!(self.body, "><title>{}</title></rect>", escape(tip));
            }
            None => self.body.push_str("/>\n"),
        }
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), attrs: &str) {
        let _ = writeln!(self.body, r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"{attrs}/>"#);
    }

    /// A section heading with a rule under it.
    fn heading(&mut self, y: f64, title: &str, note: &str) {
        self.text(MARGIN, y, r#" font-size="15" font-weight="bold""#, title);
        if !note.is_empty() {
            self.text(WIDTH - MARGIN, y, &format!(r#" font-size="11.5" fill="{MUTED}" text-anchor="end""#), note);
        }
        self.line((MARGIN, y + 6.0), (WIDTH - MARGIN, y + 6.0), &format!(r#" stroke="{FRAME}""#));
    }

    /// Wrapped paragraphs from `y`; returns the y below them.
    fn paragraphs(&mut self, mut y: f64, paragraphs: &[String], width_chars: usize) -> f64 {
        for p in paragraphs {
            for line in wrap(p, width_chars) {
                self.text(MARGIN, y, &format!(r#" font-size="12" fill="{INK}""#), &line);
                y += 16.0;
            }
            y += 4.0;
        }
        y
    }
}

fn svg(work: &Workload, yours: &[Outcome], theirs: &[Outcome], notes: &Notes) -> String {
    let mut pic = Pic { body: String::new() };
    let total = work.requests.len() as u64;
    pic.text(
        MARGIN,
        30.0,
        r#" font-size="19" font-weight="bold""#,
        "One skewed workload through four strategies: yours vs the reference",
    );
    let muted = format!(r#" font-size="12.5" fill="{MUTED}""#);
    pic.text(
        MARGIN,
        52.0,
        &muted,
        &format!(
            "{total} requests over {TICKS} ticks to {BACKENDS} backends of {WORKERS} workers each; b{SLOW} is degraded \
             (it serves at half speed)."
        ),
    );
    pic.text(
        MARGIN,
        69.0,
        &muted,
        &format!(
            "9 in 10 requests take 1–4 ticks, 1 in 10 takes 40–80. The {HOT} most popular of {CLIENTS} clients send \
             {:.0}% of the requests.",
            percent(work.hot_total(), total)
        ),
    );
    let mut x = MARGIN;
    let legend: [(&str, &str); 4] = [
        (YOURS, "yours"),
        (THEIRS, "reference"),
        (YOURS_POPULAR, &format!("(darker) requests of the {HOT} most popular clients, ring only")),
        (SLOW_BAND, "the degraded backend"),
    ];
    for (fill, label) in legend {
        pic.rect(x, 81.0, 12.0, 12.0, fill, None);
        pic.text(x + 17.0, 91.5, r#" font-size="12""#, label);
        x += 30.0 + label.chars().count() as f64 * 6.2;
    }

    let mut y = 124.0;
    pic.heading(y, "1. Requests per backend", "each panel on its own scale");
    y += 14.0;
    let (panel_w, panel_h, gap) = ((WIDTH - 2.0 * MARGIN - 20.0) / 2.0, 236.0, 14.0);
    for i in 0..NAMES.len() {
        let x0 = MARGIN + (i % 2) as f64 * (panel_w + 20.0);
        let y0 = y + (i / 2) as f64 * (panel_h + gap);
        counts_panel(&mut pic, (x0, y0, panel_w, panel_h), i, &yours[i], &theirs[i]);
    }
    y += 2.0 * panel_h + gap + 22.0;
    if !notes.ring.is_empty() {
        pic.text(MARGIN, y, r#" font-size="12.5" font-weight="bold""#, "The ring, yours against the reference's");
        y = pic.paragraphs(y + 18.0, &notes.ring, 132);
    }

    y += 22.0;
    pic.heading(y, "2. Latency percentiles", "ticks from arrival to completion; shades: up to p50, p90, p99, max");
    y = latency_panel(&mut pic, y + 16.0, yours, theirs);
    if let Some(tail) = &notes.tail {
        y = pic.paragraphs(y + 12.0, std::slice::from_ref(tail), 132);
    }

    y += 22.0;
    pic.heading(
        y,
        "3. Requests waiting over time, at each strategy's longest queue",
        "solid: yours; dashed: reference",
    );
    y = queue_panel(&mut pic, y + 16.0, yours, theirs);

    let height = y + MARGIN;
    let desc = description(work, yours, theirs, notes);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12" fill="{INK}" role="img" aria-labelledby="title desc">
<title id="title">Load-balancer simulation: requests per backend, latency percentiles and queues, yours vs the reference</title>
<desc id="desc">{}</desc>
<rect width="100%" height="100%" fill="#fff"/>
{}</svg>
"##,
        escape(&desc),
        pic.body
    )
}

/// The alt text: every figure the picture shows, in words.
fn description(work: &Workload, yours: &[Outcome], theirs: &[Outcome], notes: &Notes) -> String {
    let mut d = format!(
        "{} requests through {BACKENDS} backends, b{SLOW} at half speed, once per strategy. ",
        work.requests.len()
    );
    for (i, name) in NAMES.iter().enumerate() {
        for (who, o) in [("yours", &yours[i]), ("reference", &theirs[i])] {
            match o {
                Ok(r) => {
                    let t = r.tail();
                    let (b, q) = r.worst_queue();
                    let counts: Vec<String> = r.served.iter().map(u64::to_string).collect();
                    let _ = write!(
                        d,
                        "{name}, {who}: requests per backend b0 to b{} {}; latency p50 {}, p90 {}, p99 {}, max {} ticks; \
                         longest queue {q} on b{b}. ",
                        BACKENDS - 1,
                        counts.join(", "),
                        t.p50,
                        t.p90,
                        t.p99,
                        t.max
                    );
                }
                Err(trouble) => {
                    let _ = write!(d, "{name}, {who}: {}. ", trouble.short());
                }
            }
        }
    }
    for n in notes.tail.iter().chain(&notes.ring) {
        d.push_str(n);
        d.push(' ');
    }
    d.trim_end().to_string()
}

/// One strategy's requests per backend, yours and the reference's, on the
/// panel's own scale.
fn counts_panel(pic: &mut Pic, (x0, y0, w, h): (f64, f64, f64, f64), i: usize, yours: &Outcome, theirs: &Outcome) {
    let _ = writeln!(
        pic.body,
        r#"<rect x="{x0:.1}" y="{y0:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="{FRAME}"/>"#
    );
    pic.text(x0 + 10.0, y0 + 19.0, r#" font-size="13.5" font-weight="bold""#, NAMES[i]);
    let p99 = |o: &Outcome| o.as_ref().map_or("—".to_string(), |r| r.tail().p99.to_string());
    pic.text(
        x0 + 10.0,
        y0 + 36.0,
        &format!(r#" font-size="11.5" fill="{MUTED}""#),
        &format!("p99 latency: yours {}, reference {} ticks", p99(yours), p99(theirs)),
    );
    let (left, right, top, bottom) = (x0 + 56.0, x0 + w - 10.0, y0 + 70.0, y0 + h - 34.0);
    let sides = [(yours, YOURS, YOURS_POPULAR, "yours"), (theirs, THEIRS, THEIRS_POPULAR, "reference")];
    let max = sides.iter().filter_map(|s| s.0.as_ref().ok()).flat_map(|r| r.served).max().unwrap_or(0);
    let (axis_top, ticks) = axis(max as f64, 4.0);
    let scale = |v: f64| bottom - v / axis_top * (bottom - top);
    let slot = (right - left) / BACKENDS as f64;
    pic.rect(left + SLOW as f64 * slot, top - 4.0, slot, bottom - top + 4.0, SLOW_BAND, None);
    for &v in &ticks {
        let yy = scale(v);
        pic.line((left, yy), (right, yy), &format!(r#" stroke="{GRID}""#));
        pic.text(
            left - 5.0,
            yy + 3.5,
            &format!(r#" font-size="10" fill="{MUTED}" text-anchor="end""#),
            &format!("{v}"),
        );
    }
    pic.line((left, top - 4.0), (left, bottom), &format!(r#" stroke="{MUTED}""#));
    pic.line((left, bottom), (right, bottom), &format!(r#" stroke="{MUTED}""#));
    let (lx, ly) = (x0 + 14.0, (top + bottom) / 2.0);
    let _ = writeln!(
        pic.body,
        r#"<text x="{lx:.1}" y="{ly:.1}" font-size="11" fill="{MUTED}" text-anchor="middle" transform="rotate(-90 {lx:.1} {ly:.1})">requests</text>"#
    );
    let bar_w = ((slot - 10.0) / 2.0).min(20.0);
    for b in 0..BACKENDS {
        let centre = left + (b as f64 + 0.5) * slot;
        let mut tops = vec![];
        for (k, (o, fill, popular_fill, who)) in sides.iter().enumerate() {
            let Ok(r) = o else { continue };
            let x = centre - bar_w - 1.0 + k as f64 * (bar_w + 2.0);
            let v = r.served[b];
            let tip = format!("{}, {who}: b{b} served {v} requests", NAMES[i]);
            pic.rect(x, scale(v as f64), bar_w, bottom - scale(v as f64), fill, Some(&tip));
            if i == RING {
                let p = r.popular[b];
                let tip = format!("{who}: {p} of b{b}'s {v} requests came from the {HOT} most popular clients");
                pic.rect(x, scale(p as f64), bar_w, bottom - scale(p as f64), popular_fill, Some(&tip));
            }
            tops.push((v, if k == 0 { YOURS_POPULAR } else { MUTED }));
        }
        // Values above the pair: one number when both agree, else yours over
        // the reference's, each in its bar's colour.
        let highest = tops.iter().map(|(v, _)| *v).max().unwrap_or(0);
        let label_y = scale(highest as f64) - 4.0;
        let agree = tops.len() == 2 && tops[0].0 == tops[1].0;
        if agree || tops.len() == 1 {
            let fill = if agree { INK } else { tops[0].1 };
            pic.text(
                centre,
                label_y,
                &format!(r#" font-size="10" fill="{fill}" text-anchor="middle""#),
                &tops[0].0.to_string(),
            );
        } else {
            for (k, (v, fill)) in tops.iter().enumerate() {
                let yy = label_y - 11.0 * (1 - k) as f64;
                pic.text(centre, yy, &format!(r#" font-size="10" fill="{fill}" text-anchor="middle""#), &v.to_string());
            }
        }
        let (label, fill, weight) = if b == SLOW {
            (format!("b{b}"), SLOW_INK, r#" font-weight="bold""#)
        } else {
            (format!("b{b}"), MUTED, "")
        };
        pic.text(
            centre,
            bottom + 14.0,
            &format!(r#" font-size="11" fill="{fill}" text-anchor="middle"{weight}"#),
            &label,
        );
        if b == SLOW {
            pic.text(
                centre,
                bottom + 26.0,
                &format!(r#" font-size="10" fill="{SLOW_INK}" text-anchor="middle""#),
                "slow",
            );
        }
    }
    let troubles: Vec<String> =
        sides.iter().filter_map(|(o, _, _, who)| o.as_ref().err().map(|t| format!("{who}: {}", t.short()))).collect();
    for (k, t) in troubles.iter().enumerate() {
        let attrs = format!(r#" font-size="11.5" fill="{SLOW_INK}" text-anchor="end""#);
        pic.text(x0 + w - 10.0, y0 + 19.0 + 15.0 * k as f64, &attrs, t);
    }
}

/// Latency percentiles per strategy: one bar per side, shaded up to p50,
/// p90, p99 and max, on one scale so that the tails compare.
fn latency_panel(pic: &mut Pic, y0: f64, yours: &[Outcome], theirs: &[Outcome]) -> f64 {
    let (left, right) = (222.0, 590.0);
    // The figures, as a table right of the bars: p99 in bold, the tail.
    let columns = [(660.0, "p50"), (730.0, "p90"), (800.0, "p99"), (WIDTH - MARGIN - 10.0, "max")];
    let max = yours.iter().chain(theirs).filter_map(|o| o.as_ref().ok()).map(|r| r.tail().max).max().unwrap_or(0);
    let (axis_top, ticks) = axis(max as f64, 6.0);
    let scale = |v: f64| left + v / axis_top * (right - left);
    let (bar_h, row_h) = (14.0, 46.0);
    let top = y0 + 14.0;
    let bottom = top + row_h * NAMES.len() as f64;
    for (x, label) in columns {
        let weight = if label == "p99" { r#" font-weight="bold""# } else { "" };
        pic.text(x, top, &format!(r#" font-size="11" fill="{MUTED}" text-anchor="end"{weight}"#), label);
    }
    for &v in &ticks {
        let xx = scale(v);
        pic.line((xx, top), (xx, bottom), &format!(r#" stroke="{GRID}""#));
        let label = format!("{v}");
        pic.text(xx, bottom + 14.0, &format!(r#" font-size="10" fill="{MUTED}" text-anchor="middle""#), &label);
    }
    let mid = (left + right) / 2.0;
    pic.text(mid, bottom + 29.0, &format!(r#" font-size="11" fill="{MUTED}" text-anchor="middle""#), "ticks");
    pic.line((left, top), (left, bottom), &format!(r#" stroke="{MUTED}""#));
    for (i, name) in NAMES.iter().enumerate() {
        let ry = top + row_h * i as f64 + 6.0;
        pic.text(MARGIN, ry + bar_h + 3.0, r#" font-size="12.5" font-weight="bold""#, name);
        let sides = [(&yours[i], YOURS_TAIL, "yours"), (&theirs[i], THEIRS_TAIL, "reference")];
        for (k, (o, shades, who)) in sides.into_iter().enumerate() {
            let by = ry + k as f64 * (bar_h + 4.0);
            pic.text(left - 6.0, by + 11.0, &format!(r#" font-size="10" fill="{MUTED}" text-anchor="end""#), who);
            match o {
                Ok(r) => {
                    let t = r.tail();
                    let marks =
                        [(0, t.p50, "p50"), (t.p50, t.p90, "p90"), (t.p90, t.p99, "p99"), (t.p99, t.max, "max")];
                    for (j, (from, to, label)) in marks.into_iter().enumerate() {
                        let tip = format!("{name}, {who}: {label} {to} ticks");
                        let (x0, x1) = (scale(from as f64), scale(to as f64));
                        pic.rect(x0, by, x1 - x0, bar_h, shades[j], Some(&tip));
                        let (x, column) = columns[j];
                        let weight = if column == "p99" { r#" font-weight="bold""# } else { "" };
                        pic.text(
                            x,
                            by + 11.0,
                            &format!(r#" font-size="11.5" text-anchor="end"{weight}"#),
                            &to.to_string(),
                        );
                    }
                }
                Err(trouble) => {
                    pic.text(left + 6.0, by + 11.0, &format!(r#" font-size="11" fill="{SLOW_INK}""#), trouble.short());
                }
            }
        }
    }
    bottom + 36.0
}

/// Requests waiting over time at each strategy's busiest backend (the one
/// with the longest queue), yours solid and the reference's dashed.
fn queue_panel(pic: &mut Pic, y0: f64, yours: &[Outcome], theirs: &[Outcome]) -> f64 {
    let (left, right, top, bottom) = (MARGIN + 50.0, WIDTH - MARGIN - 10.0, y0 + 10.0, y0 + 210.0);
    let runs = || yours.iter().chain(theirs).filter_map(|o| o.as_ref().ok());
    let end = runs().map(|r| r.queue_trace.len() * SAMPLE).max().unwrap_or(TICKS).max(TICKS);
    let peak = runs().map(|r| r.worst_queue().1).max().unwrap_or(0);
    let (x_top, x_ticks) = axis(end as f64, 6.0);
    let (y_top, y_ticks) = axis(peak as f64, 4.0);
    let sx = |t: f64| left + t / x_top * (right - left);
    let sy = |q: f64| bottom - q / y_top * (bottom - top);
    for &v in &y_ticks {
        pic.line((left, sy(v)), (right, sy(v)), &format!(r#" stroke="{GRID}""#));
        pic.text(
            left - 5.0,
            sy(v) + 3.5,
            &format!(r#" font-size="10" fill="{MUTED}" text-anchor="end""#),
            &format!("{v}"),
        );
    }
    for &v in &x_ticks {
        pic.line((sx(v), bottom), (sx(v), bottom + 4.0), &format!(r#" stroke="{MUTED}""#));
        pic.text(
            sx(v),
            bottom + 16.0,
            &format!(r#" font-size="10" fill="{MUTED}" text-anchor="middle""#),
            &format!("{v}"),
        );
    }
    pic.line((left, top), (left, bottom), &format!(r#" stroke="{MUTED}""#));
    pic.line((left, bottom), (right, bottom), &format!(r#" stroke="{MUTED}""#));
    pic.text(
        (left + right) / 2.0,
        bottom + 31.0,
        &format!(r#" font-size="11" fill="{MUTED}" text-anchor="middle""#),
        "time (ticks)",
    );
    let (lx, ly) = (MARGIN + 8.0, (top + bottom) / 2.0);
    let _ = writeln!(
        pic.body,
        r#"<text x="{lx:.1}" y="{ly:.1}" font-size="11" fill="{MUTED}" text-anchor="middle" transform="rotate(-90 {lx:.1} {ly:.1})">requests waiting</text>"#
    );
    let stop = sx(TICKS as f64);
    pic.line((stop, top), (stop, bottom), &format!(r#" stroke="{MUTED}" stroke-dasharray="2 3""#));
    pic.text(stop + 4.0, top + 10.0, &format!(r#" font-size="10" fill="{MUTED}""#), "arrivals stop");
    for i in 0..NAMES.len() {
        for (o, dash, width) in [(&theirs[i], r#" stroke-dasharray="6 4""#, 1.6), (&yours[i], "", 2.0)] {
            let Ok(r) = o else { continue };
            let (b, _) = r.worst_queue();
            let mut points = String::new();
            for (w, sample) in r.queue_trace.iter().enumerate() {
                let _ = write!(points, "{:.1},{:.1} ", sx((w * SAMPLE) as f64), sy(sample[b] as f64));
            }
            let _ = writeln!(
                pic.body,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{width}"{dash}/>"#,
                points.trim_end(),
                STRATEGY_INK[i]
            );
        }
    }
    // The legend, as a table: which backend each line follows, and its peak.
    let (x_yours, x_theirs) = (MARGIN + 200.0, MARGIN + 470.0);
    let mut y = bottom + 56.0;
    let head = format!(r#" font-size="11" fill="{MUTED}" font-weight="bold""#);
    pic.text(MARGIN + 28.0, y, &head, "line");
    pic.text(x_yours, y, &head, "yours (solid)");
    pic.text(x_theirs, y, &head, "reference (dashed)");
    let side = |o: &Outcome| match o {
        Ok(r) => match r.worst_queue() {
            (_, 0) => "no queue at any backend".to_string(),
            (b, q) => format!("b{b}, peak {q} waiting"),
        },
        Err(t) => t.short().to_string(),
    };
    for (i, name) in NAMES.iter().enumerate() {
        y += 17.0;
        pic.line(
            (MARGIN, y - 4.0),
            (MARGIN + 22.0, y - 4.0),
            &format!(r#" stroke="{}" stroke-width="2.5""#, STRATEGY_INK[i]),
        );
        pic.text(MARGIN + 28.0, y, r#" font-size="11.5""#, name);
        pic.text(x_yours, y, r#" font-size="11.5""#, &side(&yours[i]));
        pic.text(x_theirs, y, r#" font-size="11.5""#, &side(&theirs[i]));
    }
    y + 8.0
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use contracts::load_balancer::{NoBackend, Outcome as Ended};

    use super::*;

    /// Round-robin, the plainest way.
    struct Cycle {
        next: AtomicUsize,
    }

    impl Picker for Cycle {
        fn new(_: &[Backend], _: u64) -> Self {
            Cycle { next: AtomicUsize::new(0) }
        }
        fn set_backends(&self, _: &[Backend]) {}
        fn mark_down(&self, _: BackendId) {}
        fn mark_up(&self, _: BackendId) {}
        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            let b = self.next.fetch_add(1, Ordering::Relaxed) % BACKENDS;
            Ok(Lease::new(BackendId(b as u32), self))
        }
    }

    /// Least-connections, lowest id on ties.
    struct Fewest {
        in_flight: Mutex<[usize; BACKENDS]>,
    }

    impl Picker for Fewest {
        fn new(_: &[Backend], _: u64) -> Self {
            Fewest { in_flight: Mutex::new([0; BACKENDS]) }
        }
        fn set_backends(&self, _: &[Backend]) {}
        fn mark_down(&self, _: BackendId) {}
        fn mark_up(&self, _: BackendId) {}
        fn pick(&self) -> Result<Lease<'_>, NoBackend> {
            let mut counts = self.in_flight.lock().map_err(|_| NoBackend::Empty)?;
            let b = (0..BACKENDS).min_by_key(|&b| counts[b]).ok_or(NoBackend::Empty)?;
            counts[b] += 1;
            Ok(Lease::new(BackendId(b as u32), self))
        }
        fn release(&self, id: BackendId, _: Ended) {
            if let Ok(mut counts) = self.in_flight.lock() {
                counts[id.0 as usize] -= 1;
            }
        }
    }

    /// A ring over FNV-1a with `salt` mixed in: another salt, another hash
    /// function, so popular clients land elsewhere. `vnodes` as asked.
    struct Salted {
        salt: u64,
        vnodes: u32,
        points: Vec<(u64, u32)>,
    }

    fn fnv(salt: u64, bytes: &[u8]) -> u64 {
        let mut h = 0xCBF2_9CE4_8422_2325 ^ salt;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01B3);
        }
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^ (h >> 31)
    }

    impl Salted {
        fn new(salt: u64, vnodes: u32) -> Salted {
            let mut ring = Salted { salt, vnodes, points: vec![] };
            for b in 0..BACKENDS as u32 {
                ring.add(BackendId(b));
            }
            ring
        }
    }

    impl Ring for Salted {
        fn new(vnodes: u32) -> Self {
            Salted { salt: 0, vnodes, points: vec![] }
        }
        fn add(&mut self, node: BackendId) {
            for i in 0..self.vnodes {
                self.points.push((fnv(self.salt, format!("{}-{i}", node.0).as_bytes()), node.0));
            }
            self.points.sort_unstable();
        }
        fn remove(&mut self, node: BackendId) {
            self.points.retain(|p| p.1 != node.0);
        }
        fn node_for(&self, key: &[u8]) -> Option<BackendId> {
            let h = fnv(self.salt, key);
            let i = self.points.partition_point(|p| p.0 < h);
            self.points.get(i).or(self.points.first()).map(|p| BackendId(p.1))
        }
    }

    fn work() -> Workload {
        workload(&Ctx { seed: 1 })
    }

    fn picker_run<P: Picker>(work: &Workload) -> Run {
        let p = P::new(&[], 0);
        run(work, Router::Picker(&p)).expect("the model pickers always answer")
    }

    fn ring_run(work: &Workload, salt: u64, vnodes: u32) -> Run {
        run(work, Router::Ring(&Salted::new(salt, vnodes))).expect("the model ring always answers")
    }

    /// Every strategy implemented by the models, both sides alike except the
    /// ring's hash.
    fn outcomes(work: &Workload, salt: u64, vnodes: u32) -> Vec<Outcome> {
        let (rr, lc) = (picker_run::<Cycle>(work), picker_run::<Fewest>(work));
        vec![Ok(rr), Ok(lc.clone()), Ok(lc), Ok(ring_run(work, salt, vnodes))]
    }

    /// Checks that `doc` is well-formed XML as far as SVG needs: one root,
    /// every tag closed in order, attributes quoted, `<` and `&` only as
    /// markup or entities. Returns the element names in document order.
    fn well_formed(doc: &str) -> Result<Vec<String>, String> {
        let mut stack: Vec<String> = vec![];
        let mut seen = vec![];
        let mut roots = 0;
        let mut rest = doc.trim();
        while !rest.is_empty() {
            let Some(open) = rest.find('<') else {
                return Err(format!("text after the root: {rest:.40}"));
            };
            check_text(&rest[..open])?;
            if stack.is_empty() && !rest[..open].trim().is_empty() {
                return Err("text outside the root".into());
            }
            rest = &rest[open..];
            let close = rest.find('>').ok_or("a tag is not closed")?;
            let tag = &rest[1..close];
            rest = &rest[close + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
                if top != name.trim() {
                    return Err(format!("</{name}> closes <{top}>"));
                }
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') {
                return Err(format!("bad tag name in <{tag:.40}>"));
            }
            check_attributes(&tag[name.len()..])?;
            if stack.is_empty() {
                roots += 1;
            }
            seen.push(name.clone());
            if !self_closing {
                stack.push(name);
            }
        }
        if let Some(open) = stack.pop() {
            return Err(format!("<{open}> is never closed"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(seen)
    }

    fn check_text(text: &str) -> Result<(), String> {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            if !["&amp;", "&lt;", "&gt;", "&quot;"].contains(&entity) {
                return Err(format!("bare & in text: {entity:.20}"));
            }
        }
        Ok(())
    }

    fn check_attributes(mut attrs: &str) -> Result<(), String> {
        let mut names = vec![];
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                return Ok(());
            }
            let eq = attrs.find('=').ok_or(format!("attribute without a value: {attrs:.40}"))?;
            let name = attrs[..eq].trim();
            if names.contains(&name) {
                return Err(format!("attribute {name} twice"));
            }
            names.push(name);
            let value = &attrs[eq + 1..];
            let rest = value.strip_prefix('"').ok_or(format!("unquoted attribute {name}"))?;
            let end = rest.find('"').ok_or(format!("attribute {name} is not closed"))?;
            if rest[..end].contains('<') {
                return Err(format!("< in attribute {name}"));
            }
            check_text(&rest[..end])?;
            attrs = &rest[end + 1..];
        }
    }

    #[test]
    fn the_checker_rejects_what_is_not_well_formed() {
        assert!(well_formed(r#"<svg><g><rect x="1"/></g></svg>"#).is_ok());
        for bad in [
            "<svg><g></svg>",
            "<svg></g></svg>",
            "<svg>a & b</svg>",
            r#"<svg x=1></svg>"#,
            r#"<svg x="1" x="2"></svg>"#,
            "<svg></svg><svg></svg>",
            "<svg>",
        ] {
            assert!(well_formed(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn the_picture_is_well_formed_with_a_title_and_alt_text() {
        let work = work();
        let mut yours = outcomes(&work, 7, VNODES);
        yours[0] = Err(Trouble::NotImplemented);
        yours[2] = Err(Trouble::Broke("panicked: <index> & \"bounds\"".into()));
        let theirs = outcomes(&work, 0, VNODES);
        let artifact = report(&work, &yours, &theirs);
        let svg = artifact.svg.expect("a picture");
        let names = well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert_eq!(names.first().map(String::as_str), Some("svg"));
        assert_eq!(names.get(1).map(String::as_str), Some("title"), "the title comes first, for screen readers");
        assert!(names.contains(&"desc".to_string()));
        assert!(svg.contains(r#"viewBox="0 0 900 "#), "drawn for 900 px");
        assert!(svg.contains("not implemented yet"));
        assert!(svg.len() < 300_000, "the picture travels in one result line: {} bytes", svg.len());
        // Every panel is labelled with its own figures.
        let tail = match &theirs[0] {
            Ok(r) => r.tail(),
            Err(_) => unreachable!(),
        };
        assert!(svg.contains(&format!("p99 {}", tail.p99)), "the reference's round-robin p99 is shown");
    }

    #[test]
    fn each_count_panel_has_its_own_scale() {
        let work = work();
        let yours = outcomes(&work, 7, VNODES);
        let svg = svg(&work, &yours, &yours, &Notes::new(&work, &yours, &yours));
        // Round-robin's axis ends near its ~2,500 per backend; the ring's
        // goes higher, so the tick labels differ per panel.
        let ring_max = match &yours[RING] {
            Ok(r) => r.served.iter().copied().max().unwrap_or(0),
            Err(_) => unreachable!(),
        };
        let (rr_top, _) = axis(2503.0, 4.0);
        let (ring_top, _) = axis(ring_max as f64, 4.0);
        assert!(ring_top > rr_top, "the ring's busiest backend ({ring_max}) needs a taller axis");
        assert!(svg.contains(&format!(">{rr_top}</text>")) && svg.contains(&format!(">{ring_top}</text>")));
    }

    #[test]
    fn axes_end_on_round_numbers_at_or_above_the_data() {
        for (max, top) in [(0.0, 1.0), (3.0, 3.0), (723.0, 800.0), (2503.0, 3000.0), (5012.0, 6000.0)] {
            let (t, ticks) = axis(max, 4.0);
            assert_eq!(t, top, "axis for {max}");
            assert_eq!(ticks.first(), Some(&0.0));
            assert_eq!(ticks.last(), Some(&t));
        }
    }

    #[test]
    fn round_robin_has_the_worst_tail_although_its_counts_are_the_most_even() {
        // The lesson's claim, on this workload, with the plainest pickers:
        // independent of any implementation's details.
        let work = work();
        let (rr, lc) = (picker_run::<Cycle>(&work), picker_run::<Fewest>(&work));
        let spread = |r: &Run| r.served.iter().max().unwrap_or(&0) - r.served.iter().min().unwrap_or(&0);
        assert!(spread(&rr) < spread(&lc), "round-robin's counts are the most even");
        assert!(rr.tail().p99 > 3 * lc.tail().p99, "p99 {} against {}", rr.tail().p99, lc.tail().p99);
        assert_eq!(rr.worst_queue().0, SLOW, "round-robin's queue builds at the slow backend");
        assert!(lc.served[SLOW] * 3 < rr.served[SLOW] * 2, "least-connections sends the slow backend less");
    }

    #[test]
    fn the_terminal_shows_both_sides_and_keeps_going_past_a_todo() {
        let work = work();
        let mut yours = outcomes(&work, 0, VNODES);
        yours[1] = Err(Trouble::NotImplemented);
        yours[2] = Err(Trouble::Broke("panicked: attempt to divide by zero".into()));
        let theirs = outcomes(&work, 0, VNODES);
        let text = report(&work, &yours, &theirs).text;
        let row =
            |name: &str| text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name}:\n{text}"));
        let rr = row("round-robin");
        let t = match &theirs[0] {
            Ok(r) => r.tail(),
            Err(_) => unreachable!(),
        };
        let figures = format!("{:>5} {:>5} {:>5} {:>5}", t.p50, t.p90, t.p99, t.max);
        assert_eq!(rr.matches(&figures).count(), 2, "yours and the reference's side by side: {rr}");
        assert!(row("least-connections").contains("not implemented yet"));
        assert!(row("least-connections").contains('│'), "the reference's side still shows");
        assert!(text.contains("power of two choices, yours: panicked: attempt to divide by zero"));
        let prose = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(prose.contains("your ring places every client where the reference's does"), "{text}");
    }

    #[test]
    fn a_ring_with_another_hash_is_put_down_to_where_popular_clients_landed() {
        let work = work();
        let (yours, theirs) = (Ok(ring_run(&work, 7, VNODES)), Ok(ring_run(&work, 0, VNODES)));
        if let (Ok(y), Ok(t)) = (&yours, &theirs) {
            assert_ne!(y.homes, t.homes, "another salt should move some popular client");
        }
        let notes = ring_notes(&work, &yours, &theirs).join(" ");
        assert!(notes.contains("comes from where the popular clients landed"), "{notes}");
        assert!(notes.contains("client-0"), "names where the most popular client went: {notes}");
    }

    #[test]
    fn a_ring_with_one_point_per_node_is_not_excused() {
        let work = work();
        let (yours, theirs) = (Ok(ring_run(&work, 7, 1)), Ok(ring_run(&work, 0, VNODES)));
        let notes = ring_notes(&work, &yours, &theirs).join(" ");
        assert!(notes.contains("uneven even with traffic set aside"), "{notes}");
        assert!(notes.contains("stage 5"), "{notes}");
    }

    #[test]
    fn the_popular_clients_are_the_busiest_and_are_counted_once() {
        let work = work();
        assert_eq!(work.hot.len(), HOT);
        assert!(work.hot_requests.windows(2).all(|w| w[0] >= w[1]));
        let r = ring_run(&work, 0, VNODES);
        assert_eq!(r.popular.iter().sum::<u64>(), work.hot_total());
        assert_eq!(r.served.iter().sum::<u64>(), work.requests.len() as u64);
        for (rank, home) in r.homes.iter().enumerate() {
            assert!(home.is_some(), "popular client {rank} was routed");
        }
        let distinct: std::collections::BTreeSet<usize> = work.requests.iter().map(|q| q.client).collect();
        assert_eq!(r.clients.iter().sum::<u64>(), distinct.len() as u64, "each client counted once");
    }

    #[test]
    fn the_even_spread_limit_separates_correct_rings_from_thin_ones() {
        // The figures EVEN_SPREAD's documentation quotes, on eight hash
        // functions: 100 points per node, 10, and one.
        let work = work();
        let spreads = |k: u32| (0..8).map(|salt| ring_run(&work, salt, k).key_spread()).collect::<Vec<_>>();
        let (full, thin, single) = (spreads(VNODES), spreads(10), spreads(1));
        assert!(full.iter().all(|&s| (0.03..=0.16).contains(&s)), "100 points: {full:.2?}");
        assert!(thin.iter().all(|&s| (0.22..=0.37).contains(&s)), "10 points: {thin:.2?}");
        assert!(single.iter().all(|&s| s > 1.1), "1 point: {single:.2?}");
        assert!(full.iter().all(|&s| s <= EVEN_SPREAD) && single.iter().all(|&s| s > EVEN_SPREAD));
    }

    #[test]
    fn wrap_keeps_words_whole_and_lines_short() {
        let lines = wrap("aaa bbb ccc ddd", 7);
        assert_eq!(lines, ["aaa bbb", "ccc ddd"]);
        assert!(wrap(&"word ".repeat(100), 50).iter().all(|l| l.chars().count() <= 50));
    }
}
