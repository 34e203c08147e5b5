// SPDX-License-Identifier: GPL-2.0

//! The timeline as a self-contained SVG: a lane per task (callers on top, then kworkers), the
//! time axis in milliseconds, each run of a work item as a bar from `execute_start` to
//! `execute_end` labelled with the item's name, its submission as a triangle on the submitting
//! task joined to the bar by a dashed line, and the module's lines as ticks (hover for the text).

use std::fmt::Write;

use crate::{
    chrome::track_name,
    model::Timeline, //
};

const LEFT: f64 = 250.0;
const PLOT: f64 = 900.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 70.0;
const LANE: f64 = 46.0;
const PALETTE: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
];

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for about `n` ticks over `span` ms: 1, 2 or 5 times a power of ten.
fn tick_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(1e-3);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

pub fn render(t: &Timeline, title: &str) -> String {
    let tasks = t.tasks();
    let origin = t.origin();
    let span_ms = ((t.end().saturating_sub(origin)) as f64 / 1e6).max(1.0);
    let step = tick_step(span_ms, 8.0);
    let span_ms = (span_ms / step).ceil() * step;
    let x = |ns: u64| LEFT + (ns.saturating_sub(origin) as f64 / 1e6) / span_ms * PLOT;
    let lane_y = |pid: u32| {
        tasks
            .iter()
            .position(|k| k.pid == pid)
            .map(|i| TOP + i as f64 * LANE)
    };
    let height = TOP + tasks.len().max(1) as f64 * LANE + 80.0;
    let width = LEFT + PLOT + RIGHT;
    let mut labels: Vec<String> = t.runs.iter().map(|r| r.label()).collect();
    labels.sort();
    labels.dedup();
    let color = |label: &str| {
        let i = labels.iter().position(|l| l == label).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };

    let mut s = String::new();
    // Infallible: writing to a String.
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="12" y="22" font-size="15" font-weight="bold">{}</text>"#,
        esc(title)
    );
    // Lanes.
    for (i, task) in tasks.iter().enumerate() {
        let y = TOP + i as f64 * LANE;
        let fill = if i % 2 == 0 { "#f4f4f4" } else { "#ffffff" };
        let _ = writeln!(
            s,
            r#"<rect class="lane" x="0" y="{y}" width="{width}" height="{LANE}" fill="{fill}"/>"#
        );
        let _ = writeln!(
            s,
            r#"<text class="lane-label" x="10" y="{}" font-weight="{}">{}</text>"#,
            y + LANE / 2.0 + 4.0,
            if task.is_worker() { "normal" } else { "bold" },
            esc(&track_name(t, task))
        );
    }
    // The time axis, with a grid line per tick.
    let bottom = TOP + tasks.len().max(1) as f64 * LANE;
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#333"/>"##,
        TOP - 8.0,
        LEFT + PLOT,
        TOP - 8.0
    );
    let ticks = (span_ms / step).round() as usize;
    for k in 0..=ticks {
        let ms = k as f64 * step;
        let xx = LEFT + ms / span_ms * PLOT;
        let _ = writeln!(
            s,
            r##"<line x1="{xx}" y1="{}" x2="{xx}" y2="{bottom}" stroke="#ccc" stroke-dasharray="2,3"/>"##,
            TOP - 12.0
        );
        let _ = writeln!(
            s,
            r#"<text class="tick" x="{xx}" y="{}" text-anchor="middle">{}</text>"#,
            TOP - 16.0,
            fmt_ms(ms, step)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="end" fill="#555">ms</text>"##,
        LEFT - 8.0,
        TOP - 16.0
    );
    // Submissions, the dashed line to their run, and the runs; the runs' names after them all.
    let mut names = String::new();
    for r in &t.runs {
        let label = r.label();
        let c = color(&label);
        let sub = r
            .submitted()
            .and_then(|a| lane_y(a.task.pid).map(|y| (x(a.ns), y)));
        let run = r
            .start
            .as_ref()
            .and_then(|a| lane_y(a.task.pid).map(|y| (x(a.ns), y)));
        if let (Some((sx, sy)), Some((rx, ry))) = (sub, run) {
            let (y1, y2) = if ry > sy {
                (sy + LANE - 12.0, ry + 8.0)
            } else {
                (sy + 12.0, ry + LANE - 8.0)
            };
            let _ = writeln!(
                s,
                r#"<path class="flow" d="M {sx} {y1} L {rx} {y2}" stroke="{c}" stroke-width="1.2" stroke-dasharray="4,3" fill="none"/>"#
            );
        }
        if let Some((sx, sy)) = sub {
            let what = if r.armed.is_some() {
                "queue_delayed_work (timer armed)"
            } else {
                "queue_work"
            };
            let _ = writeln!(
                s,
                r#"<path class="submit" d="M {} {} L {} {} L {} {} Z" fill="{c}"><title>{} {}</title></path>"#,
                sx - 5.0,
                sy + 8.0,
                sx + 5.0,
                sy + 8.0,
                sx,
                sy + 17.0,
                what,
                esc(&label)
            );
        }
        if let (Some((rx, ry)), Some(start)) = (run, r.start.as_ref()) {
            let end = r.end.unwrap_or(t.last_ns);
            let w = (x(end) - rx).max(3.0);
            let dur = end.saturating_sub(start.ns) as f64 / 1e6;
            let mut tip = format!(
                "{label}: {} on {}, {dur:.3} ms",
                r.demangled, start.task.comm
            );
            for (_, l) in &r.lines {
                tip.push('\n');
                tip.push_str(l);
            }
            let _ = writeln!(
                s,
                r#"<rect class="run" x="{rx}" y="{}" width="{w}" height="{}" rx="2" fill="{c}" fill-opacity="0.85"><title>{}</title></rect>"#,
                ry + 10.0,
                LANE - 20.0,
                esc(&tip)
            );
            // The worker off the CPU during the run: the bar's lower half pale there.
            for (from, to, state) in &r.off_cpu {
                let (a, b) = (x(*from).max(rx), x(*to).min(rx + w));
                if b > a {
                    let what = if state.starts_with('R') {
                        "preempted"
                    } else {
                        "asleep"
                    };
                    let _ = writeln!(
                        s,
                        r#"<rect class="off-cpu" x="{a}" y="{}" width="{}" height="{}" fill="white" fill-opacity="0.6"><title>{} off the CPU ({what}, {state}) for {:.3} ms</title></rect>"#,
                        ry + LANE / 2.0,
                        b - a,
                        LANE / 2.0 - 10.0,
                        esc(&start.task.comm),
                        to.saturating_sub(*from) as f64 / 1e6
                    );
                }
            }
            // Inside a bar wide enough for it; above a narrow one, in the lane's top strip, where
            // the next bar on the lane cannot cover it. Drawn after every bar.
            let text_w = 7.0 * label.chars().count() as f64;
            let _ = if w > text_w + 8.0 {
                writeln!(
                    names,
                    r#"<text class="run-label" x="{}" y="{}" fill="white">{}</text>"#,
                    rx + 4.0,
                    ry + LANE / 2.0 - 1.0,
                    esc(&label)
                )
            } else {
                writeln!(
                    names,
                    r##"<text class="run-label" x="{rx}" y="{}" font-size="10" fill="#222">{}</text>"##,
                    ry + 9.0,
                    esc(&label)
                )
            };
        }
    }
    s.push_str(&names);
    // The module's lines as ticks at the lane's bottom edge.
    for l in &t.lines {
        if let Some(y) = lane_y(l.at.task.pid) {
            let xx = x(l.at.ns);
            let _ = writeln!(
                s,
                r##"<line class="printk" x1="{xx}" y1="{}" x2="{xx}" y2="{}" stroke="#666" stroke-width="1.5"><title>{}</title></line>"##,
                y + LANE - 9.0,
                y + LANE - 2.0,
                esc(&l.text)
            );
        }
    }
    let ly = bottom + 22.0;
    let legend = [
        "bar: a work item's run, workqueue_execute_start to _end; its lower half pale where the worker was off the CPU",
        "triangle: its submission (queue_work; a delayed item's: its timer armed) · dashed: submission to run · tick: a printk line (hover)",
    ];
    for (i, text) in legend.iter().enumerate() {
        let _ = writeln!(
            s,
            r##"<text x="12" y="{}" fill="#444">{text}</text>"##,
            ly + 16.0 * i as f64
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="12" y="{}" fill="#444">{} runs of the module's items; time from the first of its events; from the kernel's tracepoints (workqueue, timer, sched_switch, printk:console)</text>"##,
        ly + 32.0,
        t.runs.iter().filter(|r| r.start.is_some()).count()
    );
    s.push_str("</svg>\n");
    s
}

/// A tick's label: as many decimals as the step needs.
fn fmt_ms(ms: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{ms:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(tick_step(2000.0, 8.0), 500.0);
        assert_eq!(tick_step(210.0, 8.0), 50.0);
        assert_eq!(tick_step(1.0, 8.0), 0.2);
        assert_eq!(fmt_ms(0.4, 0.2), "0.4");
        assert_eq!(fmt_ms(500.0, 500.0), "500");
    }

    #[test]
    fn escapes() {
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
