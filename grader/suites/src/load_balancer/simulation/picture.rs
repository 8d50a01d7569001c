//! The simulation's SVG: each panel on its own scale, with axes and values.

use std::fmt::Write as _;

use super::*;

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
pub(super) fn axis(max: f64, count: f64) -> (f64, Vec<f64>) {
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

pub(super) fn svg(work: &Workload, yours: &[Outcome], theirs: &[Outcome], notes: &Notes) -> String {
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
