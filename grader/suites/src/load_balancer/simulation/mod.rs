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

mod picture;
use picture::svg;

#[cfg(test)]
mod tests;
