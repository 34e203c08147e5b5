// SPDX-License-Identifier: GPL-2.0

//! The timeline for a terminal (`make demo` prints it in the guest): a row per run of a work
//! item, `q` where it was submitted, `=` while it ran (`*` for a run shorter than a column),
//! then the exact figures from the trace.

use std::fmt::Write;

use crate::{
    chrome::ms,
    model::Timeline, //
};

/// Columns of the bar.
const WIDTH: usize = 60;

pub fn render(t: &Timeline) -> String {
    let origin = t.origin();
    let span = t.end().saturating_sub(origin).max(1);
    // One column per step ns; the last column holds the end.
    let col = |ns: u64| {
        ((ns.saturating_sub(origin) as u128 * (WIDTH as u128 - 1)) / span as u128) as usize
    };
    let span_ms = span as f64 / 1e6;
    let mut s = String::new();
    let name_w = t
        .runs
        .iter()
        .map(|r| r.label().len())
        .max()
        .unwrap_or(4)
        .clamp(4, 16);
    // Infallible: writing to a String.
    let _ = writeln!(
        s,
        "  {:<name_w$} |{:<w$}| {:.1} ms",
        "",
        "0 ms",
        span_ms,
        w = WIDTH
    );
    for r in &t.runs {
        let mut bar = vec![b' '; WIDTH];
        if let Some(start) = &r.start {
            let end = r.end.unwrap_or(t.last_ns);
            let (a, b) = (col(start.ns), col(end));
            if a == b {
                bar[a] = b'*';
            } else {
                bar[a..=b].fill(b'=');
            }
        }
        if let Some(sub) = r.submitted() {
            let c = col(sub.ns);
            if bar[c] == b' ' {
                bar[c] = b'q';
            }
        }
        let worker = r.start.as_ref().map_or("(not run)".to_string(), |a| {
            format!("{} pid {}", a.task.comm, a.task.pid)
        });
        let _ = writeln!(
            s,
            "  {:<name_w$} |{}| {worker}",
            r.label(),
            String::from_utf8_lossy(&bar)
        );
    }
    let _ = writeln!(
        s,
        "  q: submitted   =: running   *: ran for less than one column"
    );
    let _ = writeln!(s);
    for r in &t.runs {
        let label = r.label();
        let mut line = format!("  {label}:");
        if let Some(sub) = r.submitted() {
            let what = if r.armed.is_some() {
                "armed its timer"
            } else {
                "queued it"
            };
            let _ = write!(
                line,
                " {}-{} {what} at {:.3} ms",
                sub.task.comm,
                sub.task.pid,
                ms(sub.ns, origin)
            );
        }
        match (&r.start, r.end) {
            (Some(start), end) => {
                let _ = write!(
                    line,
                    "; {}-{} on CPU {} ran it at {:.3} ms",
                    start.task.comm,
                    start.task.pid,
                    start.cpu,
                    ms(start.ns, origin)
                );
                if let Some(sub) = r.submitted() {
                    let _ = write!(
                        line,
                        " ({:.3} ms later)",
                        start.ns.saturating_sub(sub.ns) as f64 / 1e6
                    );
                }
                match end {
                    Some(end) => {
                        let _ = write!(
                            line,
                            " for {:.3} ms",
                            end.saturating_sub(start.ns) as f64 / 1e6
                        );
                        let asleep: u64 = r
                            .off_cpu
                            .iter()
                            .filter(|(_, _, st)| !st.starts_with('R'))
                            .map(|(a, b, _)| b.saturating_sub(*a))
                            .sum();
                        if asleep > 0 {
                            let _ = write!(line, ", asleep {:.3} ms of it", asleep as f64 / 1e6);
                        }
                    }
                    None => line.push_str(", still running when the trace ended"),
                }
            }
            (None, _) => line.push_str("; not run when the trace ended"),
        }
        let _ = writeln!(s, "{line}");
    }
    s
}
