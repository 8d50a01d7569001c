//! `cargo grader simulate cache-aside`: the learner's caches and front next
//! to the reference's, on the workloads of the lesson. Not graded: it shows
//! what the lesson claims, with the learner's own code.
//!
//! Two views, each with its own scales:
//! - **hit ratio against cache size**, on a Zipf trace (α 0.8) and on a hot
//!   set interrupted by scans: LRU (the learner's `LruCache` with a TTL no
//!   entry outlives), LFU, the admission policy, and Bélády's optimum (the
//!   suite's, the ceiling no policy passes). Each request is a `get`, and a
//!   `put` on a miss; a cold start counts.
//! - **a stampede replay**: store loads per tick around the moment a set of
//!   hot keys, all loaded together, expire, with and without single flight
//!   and with and without TTL jitter. "With single flight" is the front
//!   itself, replayed tick by tick (which keys miss when comes from its own
//!   jitter) and charged, per expiry, the loads it made when [`READERS`]
//!   threads missed one key at once with the load held open. "Without" is
//!   modelled here, plainly: every reader that misses while the key is being
//!   reloaded calls the store itself.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use contracts::cache_aside::{FrontConfig, Nanos, Policy, Store, StoreError};
use grader_protocol::{Artifact, Failure};

use super::Subject;
use super::blocked::{my_tid, wait_until_settled};
use super::gate::{GatedStore, Op, join};
use super::ratios::{belady_hits, percent};
use super::traces::{Trace, scan_plus_hot, thousands, zipf};
use crate::harness::{Caught, Ctx, catch_panic, fail};

/// Keys of the Zipf universe.
const UNIVERSE: usize = 100_000;
/// Requests per trace.
const REQUESTS: usize = 300_000;
/// Cache sizes, in entries: 0.1%, 0.3%, 1%, 3% and 10% of the Zipf universe.
const SIZES: [usize; 5] = [100, 300, 1_000, 3_000, 10_000];
/// A TTL no entry of a hit-ratio replay outlives (the LRU runs without expiry).
const FOREVER: Nanos = 1 << 50;

/// The policies replayed, in the table's order.
const POLICIES: [&str; 3] = ["LRU", "LFU", "admission"];

/// One tick of the stampede replay, in ns: a millisecond.
const TICK: Nanos = 1_000_000;
/// Hot keys, all loaded at tick 0 (a deploy, a flushed cache).
const HOT_KEYS: u64 = 100;
/// Readers of each hot key per tick; also the threads of the one-key burst.
const READERS: usize = 40;
/// Base TTL, in ticks.
const TTL: u64 = 100;
/// The jitter band of the jittered runs, in ticks.
const JITTER: u64 = 50;
/// Ticks a store load takes (the database is slow).
const LOAD_TICKS: u64 = 5;
/// Ticks shown around the expiry boundary.
const WINDOW: std::ops::Range<u64> = 90..170;
/// Ticks replayed (past the window, so every first expiry is seen).
const REPLAY: u64 = 200;

/// Why something could not run.
#[derive(Debug, Clone, PartialEq)]
enum Trouble {
    /// It reached a `todo!()`.
    NotImplemented,
    /// It failed or panicked; the text says how.
    Broke(String),
}

impl Trouble {
    fn short(&self) -> &'static str {
        match self {
            Trouble::NotImplemented => "not implemented yet",
            Trouble::Broke(_) => "failed (see below)",
        }
    }
}

type Outcome<T> = Result<T, Trouble>;

fn attempt<T>(f: impl FnOnce() -> Result<T, Failure>) -> Outcome<T> {
    match catch_panic(f) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(failure)) => {
            Err(Trouble::Broke(format!("{} Expected {}, got {}.", failure.situation, failure.expected, failure.got)))
        }
        Err(Caught::NotImplemented(_)) => Err(Trouble::NotImplemented),
        Err(Caught::Panicked(message)) => Err(Trouble::Broke(format!("panicked: {message}"))),
    }
}

// ---------------------------------------------------------------------------
// Hit ratios.

/// A trace and the figures measured on it.
struct Curves {
    /// "Zipf α 0.8" or "scans + hot set".
    short: &'static str,
    trace: Trace,
    /// Per policy of [`POLICIES`], per size of [`SIZES`]: hit ratio in %.
    yours: Vec<Outcome<Vec<f64>>>,
    theirs: Vec<Outcome<Vec<f64>>>,
    /// Bélády's optimum per size, in %.
    belady: Vec<f64>,
}

/// Hits of a policy replayed over `trace` (a get, and a put on a miss).
fn policy_hits(make: fn(usize) -> Box<dyn Policy>, trace: &[u64], capacity: usize) -> u64 {
    let mut p = make(capacity);
    let mut hits = 0;
    for &k in trace {
        if p.get(k).is_some() {
            hits += 1;
        } else {
            p.put(k, k);
        }
    }
    hits
}

/// Hits of the TTL-LRU with a TTL nothing outlives, time standing still.
fn lru_cache_hits(make: fn(usize) -> Box<dyn contracts::cache_aside::TtlLru>, trace: &[u64], capacity: usize) -> u64 {
    let mut c = make(capacity);
    let mut hits = 0;
    for &k in trace {
        if c.get(k, 0).is_some() {
            hits += 1;
        } else {
            c.put(k, k, 0, FOREVER);
        }
    }
    hits
}

fn ratios(s: Subject, trace: &[u64]) -> Vec<Outcome<Vec<f64>>> {
    let n = trace.len();
    let over = |f: &dyn Fn(usize) -> u64| SIZES.iter().map(|&c| percent(f(c), n)).collect::<Vec<f64>>();
    vec![
        attempt(|| Ok(over(&|c| lru_cache_hits(s.lru, trace, c)))),
        attempt(|| Ok(over(&|c| policy_hits(s.lfu, trace, c)))),
        attempt(|| Ok(over(&|c| policy_hits(s.admission, trace, c)))),
    ]
}

fn curves(learner: Subject, reference: Subject, ctx: &Ctx) -> Vec<Curves> {
    let traces = [
        ("Zipf α 0.8", zipf(&mut ctx.rng(801), UNIVERSE, 0.8, REQUESTS)),
        ("scans + hot set", scan_plus_hot(&mut ctx.rng(802), 500, 1_000, 1_000, REQUESTS)),
    ];
    traces
        .into_iter()
        .map(|(short, trace)| Curves {
            short,
            yours: ratios(learner, &trace.keys),
            theirs: ratios(reference, &trace.keys),
            belady: SIZES.iter().map(|&c| percent(belady_hits(&trace.keys, c), trace.keys.len())).collect(),
            trace,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The stampede.

/// A store that answers at once and counts its loads (the replay's clock
/// stands for the database's slowness).
#[derive(Debug, Default)]
struct Counting {
    loads: AtomicU64,
}

impl Store for Counting {
    fn load(&self, key: u64) -> Result<Option<u64>, StoreError> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        Ok(Some(key ^ 0x5eed))
    }

    fn save(&self, _: u64, _: Option<u64>) -> Result<(), StoreError> {
        Ok(())
    }
}

fn stampede_config(jitter: u64) -> FrontConfig {
    FrontConfig {
        capacity: 1_000,
        ttl: TTL * TICK,
        jitter: jitter * TICK,
        negative_ttl: TTL * TICK,
        negative_capacity: 1_000,
        seed: 7,
    }
}

/// For each tick of `0..REPLAY`, how many hot keys the front loaded (one
/// `get` per key per tick, in order; a load is a miss, an expiry).
fn expiries(s: Subject, jitter: u64) -> Result<Vec<u64>, Failure> {
    let store = Arc::new(Counting::default());
    let front = (s.front)(Arc::clone(&store) as Arc<dyn Store>, stampede_config(jitter));
    let mut per_tick = Vec::with_capacity(REPLAY as usize);
    for t in 0..REPLAY {
        let before = store.loads.load(Ordering::Relaxed);
        for k in 0..HOT_KEYS {
            let got = front.get(k, t * TICK).map_err(|e| fail("The stampede replay read a hot key.", "Ok", e))?;
            if got != Some(k ^ 0x5eed) {
                return Err(fail(
                    format!("The stampede replay read hot key {k} at tick {t} (the store holds {}).", k ^ 0x5eed),
                    format!("Some({})", k ^ 0x5eed),
                    format!("{got:?}"),
                ));
            }
        }
        per_tick.push(store.loads.load(Ordering::Relaxed) - before);
    }
    Ok(per_tick)
}

/// Store loads when [`READERS`] threads miss one key at once, its load held
/// until every one of them waits.
fn burst(s: Subject) -> Result<u64, Failure> {
    let key = 77;
    let store = GatedStore::new();
    store.set(key, Some(1));
    let front = (s.front)(Arc::clone(&store) as Arc<dyn Store>, stampede_config(0));
    let gate = store.hold(Op::Load, key, usize::MAX);
    let start = Arc::new(Barrier::new(READERS + 1));
    let tids = Arc::new(Mutex::new(Vec::with_capacity(READERS)));
    let handles: Vec<_> = (0..READERS)
        .map(|_| {
            let (f, start, tids) = (Arc::clone(&front), Arc::clone(&start), Arc::clone(&tids));
            std::thread::spawn(move || {
                tids.lock().unwrap_or_else(|p| p.into_inner()).push(my_tid());
                start.wait();
                f.get(key, 0)
            })
        })
        .collect();
    start.wait();
    let tids = tids.lock().unwrap_or_else(|p| p.into_inner()).clone();
    wait_until_settled(&tids, || store.arrived(gate) >= READERS, Duration::from_secs(5), Duration::from_secs(1));
    store.open(gate);
    let mut first = Ok(());
    for h in handles {
        let got = join(h);
        if first.is_ok() && got != Ok(Some(1)) {
            first = Err(fail(
                "A reader of the burst got the hot key (the store holds 1).",
                "Ok(Some(1))",
                format!("{got:?}"),
            ));
        }
    }
    first?;
    Ok(store.loads_of(key))
}

/// One front's stampede figures.
#[derive(Debug, Clone)]
struct Front {
    /// Loads when [`READERS`] threads miss one key at once.
    burst: u64,
    /// Hot keys expiring per tick, without and with jitter.
    expiries: [Vec<u64>; 2],
}

impl Front {
    /// Store loads per tick with this front: each expiry costs what the
    /// burst cost.
    fn loads(&self, j: usize) -> Vec<u64> {
        self.expiries[j].iter().map(|e| e * self.burst).collect()
    }
}

fn front_figures(s: Subject) -> Outcome<Front> {
    attempt(|| Ok(Front { burst: burst(s)?, expiries: [expiries(s, 0)?, expiries(s, JITTER)?] }))
}

/// Without single flight: every reader that misses while its key reloads
/// calls the store ([`READERS`] a tick for [`LOAD_TICKS`] ticks per expiry).
fn without_single_flight(expiries: &[u64]) -> Vec<u64> {
    let mut loads = vec![0; expiries.len()];
    for (t, &e) in expiries.iter().enumerate() {
        for l in loads.iter_mut().skip(t).take(LOAD_TICKS as usize) {
            *l += e * READERS as u64;
        }
    }
    loads
}

struct Stampede {
    yours: Outcome<Front>,
    theirs: Outcome<Front>,
}

impl Stampede {
    /// The lines of panel `j` (0 no jitter, 1 jitter): label, loads per tick
    /// over the whole replay, dashed.
    fn lines(&self, j: usize) -> Vec<(String, Outcome<Vec<u64>>, bool)> {
        let model = match &self.theirs {
            Ok(f) => Ok(without_single_flight(&f.expiries[j])),
            Err(t) => Err(t.clone()),
        };
        vec![
            ("without single flight (modelled)".into(), model, false),
            ("with single flight: yours".into(), self.yours.as_ref().map(|f| f.loads(j)).map_err(Clone::clone), false),
            (
                "with single flight: reference".into(),
                self.theirs.as_ref().map(|f| f.loads(j)).map_err(Clone::clone),
                true,
            ),
        ]
    }
}

/// Runs both views with both implementations.
pub fn simulate(learner: Subject, reference: Subject, ctx: &Ctx) -> Result<Artifact, Failure> {
    let curves = curves(learner, reference, ctx);
    let stampede = Stampede { yours: front_figures(learner), theirs: front_figures(reference) };
    Ok(Artifact { text: text(&curves, &stampede), svg: Some(svg(&curves, &stampede)) })
}

// ---------------------------------------------------------------------------
// The terminal.

fn peak_in_window(v: &[u64]) -> (u64, u64) {
    WINDOW
        .map(|t| (v.get(t as usize).copied().unwrap_or(0), t))
        .max_by_key(|&(l, t)| (l, std::cmp::Reverse(t)))
        .unwrap_or((0, 0))
}

fn total_in_window(v: &[u64]) -> u64 {
    WINDOW.map(|t| v.get(t as usize).copied().unwrap_or(0)).sum()
}

fn text(curves: &[Curves], stampede: &Stampede) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "Hit ratio by cache size (% of requests that hit; each request a get, and a put on a miss)\n");
    let mut troubles: Vec<String> = vec![];
    for c in curves {
        let _ = writeln!(out, "{}: {}", c.short, c.trace.name);
        let _ = write!(out, "{:<20}", "entries");
        for &s in &SIZES {
            let _ = write!(out, "{:>8}", thousands(s));
        }
        let _ = writeln!(out);
        for (i, name) in POLICIES.iter().enumerate() {
            for (whose, side) in [("yours", &c.yours[i]), ("reference", &c.theirs[i])] {
                let label = format!("{name} {whose}");
                let _ = write!(out, "{label:<20}");
                match side {
                    Ok(r) => {
                        for v in r {
                            let _ = write!(out, "{v:>8.1}");
                        }
                    }
                    Err(t) => {
                        let _ = write!(out, "{}", t.short());
                        if let Trouble::Broke(why) = t {
                            troubles.push(format!("{name} ({whose}), {}: {why}", c.short));
                        }
                    }
                }
                let _ = writeln!(out);
            }
        }
        let _ = write!(out, "{:<20}", "Bélády (the ceiling)");
        for v in &c.belady {
            let _ = write!(out, "{v:>8.1}");
        }
        let _ = writeln!(out, "\n");
    }

    let _ = writeln!(
        out,
        "Stampede: {HOT_KEYS} hot keys loaded together at tick 0 (1 tick = 1 ms), {READERS} readers per key per tick, ttl {TTL} ticks, a load takes {LOAD_TICKS} ticks"
    );
    for (whose, side) in [("yours", &stampede.yours), ("reference", &stampede.theirs)] {
        match side {
            Ok(f) => {
                let _ =
                    writeln!(out, "  {READERS} threads missing one key at once ({whose}): {} store load(s)", f.burst);
            }
            Err(t) => {
                let _ = writeln!(out, "  {READERS} threads missing one key at once ({whose}): {}", t.short());
                if let Trouble::Broke(why) = t {
                    troubles.push(format!("front ({whose}): {why}"));
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{:<36}{:>30}{:>30}",
        "store loads, ticks 90–169", "no jitter: peak (at) total", "jitter 0–50: peak (at) total"
    );
    for row in 0..3 {
        let mut label = String::new();
        let mut cells = String::new();
        for j in 0..2 {
            let (name, line, _) = stampede.lines(j).swap_remove(row);
            label = name;
            match line {
                Ok(v) => {
                    let (peak, at) = peak_in_window(&v);
                    let _ = write!(cells, "{:>30}", format!("{peak} (t={at}) {}", total_in_window(&v)));
                }
                Err(t) => {
                    let _ = write!(cells, "{:>30}", t.short());
                }
            }
        }
        let _ = writeln!(out, "{label:<36}{cells}");
    }
    let _ = writeln!(
        out,
        "\n\"With single flight\" is the front itself: replayed tick by tick (one get per key per tick),\n\
         each key that misses costs the loads the burst above cost. \"Without\" is modelled here on the reference's expiries: every reader \
         that misses while the key reloads calls the store ({READERS} a tick for {LOAD_TICKS} ticks)."
    );
    if !troubles.is_empty() {
        let _ = writeln!(out, "\nWhat failed:");
        for t in troubles {
            let _ = writeln!(out, "  {t}");
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The picture.

const WIDTH: f64 = 980.0;
const MARGIN: f64 = 24.0;
const INK: &str = "#111827";
const MUTED: &str = "#4b5563";
const GRID: &str = "#e5e7eb";
const FRAME: &str = "#9ca3af";
/// One colour per policy, then Bélády's.
const POLICY_INK: [&str; 4] = ["#2563eb", "#16a34a", "#d97706", "#111827"];
/// The stampede's lines: without single flight, with (yours, reference).
const STAMPEDE_INK: [&str; 3] = ["#dc2626", "#2563eb", "#2563eb"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An axis from 0 to a round number at or above `max`, about `count` ticks.
fn axis(max: f64, count: f64) -> (f64, Vec<f64>) {
    let raw = (max / count).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let top = (max / step).ceil().max(1.0) * step;
    let ticks = (0..).map(|i| i as f64 * step).take_while(|v| *v <= top + step / 2.0).collect();
    (top, ticks)
}

struct Pic {
    body: String,
}

impl Pic {
    fn text(&mut self, x: f64, y: f64, attrs: &str, content: &str) {
        let _ = writeln!(self.body, r#"<text x="{x:.1}" y="{y:.1}"{attrs}>{}</text>"#, escape(content));
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), attrs: &str) {
        let _ = writeln!(self.body, r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"{attrs}/>"#);
    }

    fn polyline(&mut self, points: &[(f64, f64)], attrs: &str, tip: &str) {
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" fill="none"{attrs}><title>{}</title></polyline>"#,
            pts.join(" "),
            escape(tip)
        );
    }

    fn heading(&mut self, y: f64, title: &str, note: &str) {
        self.text(MARGIN, y, r#" font-size="15" font-weight="bold""#, title);
        self.text(WIDTH - MARGIN, y, &format!(r#" font-size="11.5" fill="{MUTED}" text-anchor="end""#), note);
        self.line((MARGIN, y + 6.0), (WIDTH - MARGIN, y + 6.0), &format!(r#" stroke="{FRAME}""#));
    }

    /// A frame with horizontal grid lines and y ticks; returns the y scale.
    fn frame(
        &mut self,
        (x0, y0, w, h): (f64, f64, f64, f64),
        ticks: &[f64],
        top: f64,
        unit: &str,
    ) -> impl Fn(f64) -> f64 + use<> {
        let y_of = move |v: f64| y0 + h - v / top * h;
        for &t in ticks {
            let y = y_of(t);
            self.line((x0, y), (x0 + w, y), &format!(r#" stroke="{GRID}""#));
            self.text(x0 - 6.0, y + 4.0, r#" font-size="11" text-anchor="end""#, &format!("{t}{unit}"));
        }
        self.line((x0, y0 + h), (x0 + w, y0 + h), &format!(r#" stroke="{FRAME}""#));
        self.line((x0, y0), (x0, y0 + h), &format!(r#" stroke="{FRAME}""#));
        y_of
    }
}

fn dash(dashed: bool) -> &'static str {
    if dashed { r#" stroke-dasharray="6 4""# } else { "" }
}

fn svg(curves: &[Curves], stampede: &Stampede) -> String {
    let mut pic = Pic { body: String::new() };
    pic.text(
        MARGIN,
        30.0,
        r#" font-size="19" font-weight="bold""#,
        "Caching: hit ratios and a stampede, yours vs the reference",
    );
    pic.text(
        MARGIN,
        52.0,
        &format!(r#" font-size="12.5" fill="{MUTED}""#),
        &format!(
            "Each trace: {} requests, each a get and a put on a miss, from a cold cache. Bélády's optimum (the suite's) is the ceiling.",
            thousands(REQUESTS)
        ),
    );
    // Legend.
    let mut x = MARGIN;
    let legend: Vec<(&str, String, bool)> = POLICIES
        .iter()
        .enumerate()
        .map(|(i, p)| (POLICY_INK[i], p.to_string(), false))
        .chain([(POLICY_INK[3], "Bélády's optimum".to_string(), false)])
        .chain([(MUTED, "solid: yours".to_string(), false), (MUTED, "dashed: reference".to_string(), true)])
        .collect();
    for (ink, label, dashed) in &legend {
        pic.line((x, 72.0), (x + 24.0, 72.0), &format!(r#" stroke="{ink}" stroke-width="2.5"{}"#, dash(*dashed)));
        pic.text(x + 30.0, 76.0, r#" font-size="12""#, label);
        x += 48.0 + label.chars().count() as f64 * 6.6;
    }

    let mut y = 108.0;
    pic.heading(
        y,
        "1. Hit ratio by cache size",
        "x: cache size in entries (log scale); y: % of requests that hit; each panel its own scale",
    );
    y += 22.0;
    let (panel_w, panel_h) = ((WIDTH - 2.0 * MARGIN - 40.0) / 2.0, 250.0);
    for (i, c) in curves.iter().enumerate() {
        let x0 = MARGIN + 46.0 + i as f64 * (panel_w + 40.0);
        ratio_panel(&mut pic, (x0, y + 18.0, panel_w - 46.0, panel_h), c);
    }
    y += panel_h + 100.0;

    pic.heading(
        y,
        "2. Stampede: store loads per tick as hot keys expire",
        &format!("{HOT_KEYS} keys loaded together at tick 0, {READERS} readers per key per tick, a load takes {LOAD_TICKS} ticks"),
    );
    y += 22.0;
    let mut sx = MARGIN;
    for (ink, label, dashed) in [
        (STAMPEDE_INK[0], "without single flight (modelled: every missing reader loads)", false),
        (STAMPEDE_INK[1], "with single flight: your front", false),
        (STAMPEDE_INK[2], "reference front", true),
    ] {
        pic.line((sx, y), (sx + 24.0, y), &format!(r#" stroke="{ink}" stroke-width="2.5"{}"#, dash(dashed)));
        pic.text(sx + 30.0, y + 4.0, r#" font-size="12""#, label);
        sx += 48.0 + label.chars().count() as f64 * 6.4;
    }
    y += 16.0;
    for j in 0..2 {
        let x0 = MARGIN + 46.0 + j as f64 * (panel_w + 40.0);
        stampede_panel(&mut pic, (x0, y + 18.0, panel_w - 46.0, panel_h), stampede, j);
    }
    y += panel_h + 70.0;
    for line in [
        format!(
            "With single flight, each expiring key costs one load (the front's own, replayed; charged what {READERS} threads missing one key at once cost it)."
        ),
        format!(
            "Without it, every reader that misses during the {LOAD_TICKS}-tick reload calls the store: {READERS} × {LOAD_TICKS} loads per key. Jitter spreads the expiries over {JITTER} ticks."
        ),
    ] {
        pic.text(MARGIN, y, &format!(r#" font-size="12" fill="{INK}""#), &line);
        y += 17.0;
    }

    let height = y + MARGIN;
    let desc = description(curves, stampede);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12" fill="{INK}" role="img" aria-labelledby="title desc">
<title id="title">Cache-aside simulation: hit ratio by cache size for LRU, LFU, admission and Bélády, and store loads per tick in a stampede, yours vs the reference</title>
<desc id="desc">{}</desc>
<rect width="100%" height="100%" fill="#fff"/>
{}</svg>
"##,
        escape(&desc),
        pic.body
    )
}

fn ratio_panel(pic: &mut Pic, (x0, y0, w, h): (f64, f64, f64, f64), c: &Curves) {
    pic.text(x0, y0 - 8.0, r#" font-size="13" font-weight="bold""#, c.short);
    let max = c.belady.iter().chain(c.yours.iter().chain(&c.theirs).flatten().flatten()).fold(1.0f64, |m, &v| m.max(v));
    let (top, ticks) = axis(max, 5.0);
    let y_of = pic.frame((x0, y0, w, h), &ticks, top, "%");
    let (lo, hi) = ((SIZES[0] as f64).log10(), (SIZES[SIZES.len() - 1] as f64).log10());
    let x_of = |s: usize| x0 + 10.0 + ((s as f64).log10() - lo) / (hi - lo) * (w - 20.0);
    for &s in &SIZES {
        let x = x_of(s);
        pic.line((x, y0 + h), (x, y0 + h + 4.0), &format!(r#" stroke="{FRAME}""#));
        pic.text(x, y0 + h + 16.0, r#" font-size="11" text-anchor="middle""#, &thousands(s));
        if c.short.starts_with("Zipf") {
            let share = 100.0 * s as f64 / UNIVERSE as f64;
            pic.text(
                x,
                y0 + h + 29.0,
                &format!(r#" font-size="10" fill="{MUTED}" text-anchor="middle""#),
                &format!("{share}% of keys"),
            );
        }
    }
    pic.text(
        x0 + w / 2.0,
        y0 + h + 44.0,
        &format!(r#" font-size="11" fill="{MUTED}" text-anchor="middle""#),
        "cache size (entries)",
    );
    let points = |r: &[f64]| SIZES.iter().zip(r).map(|(&s, &v)| (x_of(s), y_of(v))).collect::<Vec<_>>();
    let fmt = |r: &[f64]| {
        r.iter().zip(SIZES).map(|(v, s)| format!("{}: {v:.1}%", thousands(s))).collect::<Vec<_>>().join(", ")
    };
    pic.polyline(
        &points(&c.belady),
        &format!(r#" stroke="{}" stroke-width="1.5" stroke-dasharray="2 3""#, POLICY_INK[3]),
        &format!("Bélády's optimum: {}", fmt(&c.belady)),
    );
    let mut missing = vec![];
    for (i, name) in POLICIES.iter().enumerate() {
        for (side, dashed, whose) in [(&c.theirs[i], true, "reference"), (&c.yours[i], false, "yours")] {
            match side {
                Ok(r) => pic.polyline(
                    &points(r),
                    &format!(
                        r#" stroke="{}" stroke-width="{}"{}"#,
                        POLICY_INK[i],
                        if dashed { 1.5 } else { 2.5 },
                        dash(dashed)
                    ),
                    &format!("{name} ({whose}): {}", fmt(r)),
                ),
                Err(t) => missing.push(format!("{name} ({whose}): {}", t.short())),
            }
        }
    }
    for (k, m) in missing.iter().enumerate() {
        pic.text(x0 + 8.0, y0 + 14.0 + 14.0 * k as f64, &format!(r#" font-size="11" fill="{MUTED}""#), m);
    }
}

fn stampede_panel(pic: &mut Pic, (x0, y0, w, h): (f64, f64, f64, f64), st: &Stampede, j: usize) {
    let title = if j == 0 {
        "No jitter: every key lives exactly 100 ticks".to_string()
    } else {
        format!("Jitter: each key lives 100 + 0–{JITTER} ticks")
    };
    pic.text(x0, y0 - 8.0, r#" font-size="13" font-weight="bold""#, &title);
    let lines = st.lines(j);
    let max = lines
        .iter()
        .filter_map(|(_, l, _)| l.as_ref().ok())
        .flat_map(|v| WINDOW.map(|t| v[t as usize]))
        .fold(1, u64::max);
    // A log scale (0, 1, 10, 100, …): a stampede and the single load that
    // replaces it both show.
    let decades = (max as f64).log10().ceil().max(1.0) as u32;
    let y_of = move |v: f64| y0 + h - (v + 1.0).log10() / (10f64.powi(decades as i32) + 1.0).log10() * h;
    for t in std::iter::once(0).chain((0..=decades).map(|d| 10u64.pow(d))) {
        let y = y_of(t as f64);
        pic.line((x0, y), (x0 + w, y), &format!(r#" stroke="{GRID}""#));
        pic.text(x0 - 6.0, y + 4.0, r#" font-size="11" text-anchor="end""#, &thousands(t as usize));
    }
    pic.line((x0, y0 + h), (x0 + w, y0 + h), &format!(r#" stroke="{FRAME}""#));
    pic.line((x0, y0), (x0, y0 + h), &format!(r#" stroke="{FRAME}""#));
    let span = (WINDOW.end - 1 - WINDOW.start) as f64;
    let x_of = |t: u64| x0 + (t - WINDOW.start) as f64 / span * w;
    for t in (WINDOW.start..WINDOW.end).step_by(10) {
        let x = x_of(t);
        pic.line((x, y0 + h), (x, y0 + h + 4.0), &format!(r#" stroke="{FRAME}""#));
        pic.text(x, y0 + h + 16.0, r#" font-size="11" text-anchor="middle""#, &t.to_string());
    }
    pic.text(
        x0 + w / 2.0,
        y0 + h + 32.0,
        &format!(r#" font-size="11" fill="{MUTED}" text-anchor="middle""#),
        "tick (1 tick = 1 ms)",
    );
    let mut missing = vec![];
    for (i, (name, line, dashed)) in lines.iter().enumerate() {
        match line {
            Ok(v) => {
                // Steps: a tick's loads hold across the tick.
                let mut pts = vec![];
                for t in WINDOW {
                    let y = y_of(v[t as usize] as f64);
                    pts.push((x_of(t), y));
                    if t + 1 < WINDOW.end {
                        pts.push((x_of(t + 1), y));
                    }
                }
                let (peak, at) = peak_in_window(v);
                pic.polyline(
                    &pts,
                    &format!(
                        r#" stroke="{}" stroke-width="{}"{}"#,
                        STAMPEDE_INK[i],
                        if *dashed { 1.5 } else { 2.5 },
                        dash(*dashed)
                    ),
                    &format!(
                        "{name}: peak {peak} loads at tick {at}, {} loads in ticks {}–{}",
                        total_in_window(v),
                        WINDOW.start,
                        WINDOW.end - 1
                    ),
                );
            }
            Err(t) => missing.push(format!("{name}: {}", t.short())),
        }
    }
    pic.text(
        x0 - 40.0,
        y0 + h / 2.0,
        &format!(
            r#" font-size="11" fill="{MUTED}" text-anchor="middle" transform="rotate(-90 {:.1} {:.1})""#,
            x0 - 40.0,
            y0 + h / 2.0
        ),
        "store loads per tick (log scale)",
    );
    for (k, m) in missing.iter().enumerate() {
        pic.text(
            x0 + w - 8.0,
            y0 + 14.0 + 14.0 * k as f64,
            &format!(r#" font-size="11" fill="{MUTED}" text-anchor="end""#),
            m,
        );
    }
}

/// The alt text: the figures, in words.
fn description(curves: &[Curves], st: &Stampede) -> String {
    let mut d = String::from("Hit ratio (% of requests that hit) against cache size, yours and the reference's. ");
    for c in curves {
        let _ = write!(d, "{}: ", c.short);
        for (i, name) in POLICIES.iter().enumerate() {
            for (whose, side) in [("yours", &c.yours[i]), ("reference", &c.theirs[i])] {
                match side {
                    Ok(r) => {
                        let figures: Vec<String> = r.iter().map(|v| format!("{v:.1}")).collect();
                        let _ = write!(d, "{name} {whose} {}%; ", figures.join(", "));
                    }
                    Err(t) => {
                        let _ = write!(d, "{name} {whose} {}; ", t.short());
                    }
                }
            }
        }
        let figures: Vec<String> = c.belady.iter().map(|v| format!("{v:.1}")).collect();
        let _ = write!(d, "Bélády {}% at sizes {}. ", figures.join(", "), SIZES.map(thousands).join(", "));
    }
    let _ =
        write!(d, "Stampede, store loads per tick around the expiry of {HOT_KEYS} hot keys, {READERS} readers each: ");
    for (j, label) in ["without jitter", "with jitter"].iter().enumerate() {
        for (name, line, _) in st.lines(j) {
            match line {
                Ok(v) => {
                    let (peak, at) = peak_in_window(&v);
                    let _ = write!(d, "{label}, {name}: peak {peak} at tick {at}, {} in all; ", total_in_window(&v));
                }
                Err(t) => {
                    let _ = write!(d, "{label}, {name}: {}; ", t.short());
                }
            }
        }
    }
    d.trim_end_matches("; ").to_string() + "."
}

#[cfg(test)]
mod tests;
