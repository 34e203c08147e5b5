// SPDX-License-Identifier: GPL-2.0

//! The timeline in the Trace Event Format (the JSON object form) that Perfetto's UI and
//! chrome://tracing open: one thread track per task, named as the kernel names it with its
//! CPUs; a complete event ("X") per run of a work item, from `execute_start` to `execute_end`; a
//! zero-length "submit" slice on the submitting task with a flow (ph "s" / "f") to the run; the
//! module's lines as instant events ("i") on the task that printed them.

use serde_json::{
    json,
    Value, //
};

use crate::model::{
    At,
    Timeline, //
};

/// All tasks sit in one process, the guest.
const PID: u32 = 1;

/// Trace-event timestamps are microseconds.
fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// The thread name of a task: "kworker/1:2 (pid 24, CPU 1)".
pub fn track_name(t: &Timeline, task: &crate::model::Task) -> String {
    let cpus: Vec<String> = t.cpus(task).iter().map(u32::to_string).collect();
    let s = if cpus.len() == 1 { "" } else { "s" };
    format!(
        "{} (pid {}, CPU{s} {})",
        task.comm,
        task.pid,
        cpus.join(",")
    )
}

pub fn render(t: &Timeline, source: &str) -> Value {
    let mut ev: Vec<Value> = vec![json!({
        "name": "process_name", "ph": "M", "pid": PID, "tid": 0,
        "args": { "name": format!("guest ({source})") }
    })];
    for (i, task) in t.tasks().iter().enumerate() {
        ev.push(json!({
            "name": "thread_name", "ph": "M", "pid": PID, "tid": task.pid,
            "args": { "name": track_name(t, task) }
        }));
        ev.push(json!({
            "name": "thread_sort_index", "ph": "M", "pid": PID, "tid": task.pid,
            "args": { "sort_index": i }
        }));
    }
    for (id, r) in t.runs.iter().enumerate() {
        let label = r.label();
        let mut args = json!({
            "function": r.demangled,
            "symbol": r.function,
            "work_struct": r.work,
            "workqueue": r.workqueue,
        });
        if let Some(q) = &r.queued {
            args["queued_ms"] = json!(ms(q.ns, t.origin()));
            args["queued_by"] = json!(format!("{}-{}", q.task.comm, q.task.pid));
        }
        if let Some(a) = &r.armed {
            args["armed_ms"] = json!(ms(a.ns, t.origin()));
        }
        if let Some(a) = r.activated {
            args["activated_ms"] = json!(ms(a, t.origin()));
        }
        if !r.lines.is_empty() {
            args["printed"] = json!(r.lines.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>());
        }
        // The submission, on the submitting task (a delayed item's: where its timer was armed),
        // unless it was submitted in a context that is no lane (a timer on the idle task).
        let from = r.submitted().filter(|a| t.tasks().contains(&a.task));
        if let Some(sub) = from {
            let what = if r.armed.is_some() {
                "queue_delayed_work"
            } else {
                "queue_work"
            };
            // No duration: Perfetto needs a thread's slices to nest, and a self-rescheduling
            // item submits from inside its own run, possibly in its last microsecond.
            ev.push(slice(&format!("{what} {label}"), "submit", sub, 0.0, &args));
            if r.start.is_some() {
                ev.push(json!({
                    "name": "queue → run", "cat": "flow", "ph": "s", "id": id,
                    "pid": PID, "tid": sub.task.pid, "ts": us(sub.ns)
                }));
            }
        }
        if let Some(start) = &r.start {
            let end = r.end.unwrap_or(t.last_ns);
            let mut a = args.clone();
            if r.end.is_none() {
                a["unfinished"] = json!(true);
            }
            let dur = (us(end) - us(start.ns)).max(1.0);
            ev.push(slice(&label, "work", start, dur, &a));
            if from.is_some() {
                ev.push(json!({
                    "name": "queue → run", "cat": "flow", "ph": "f", "bp": "e", "id": id,
                    "pid": PID, "tid": start.task.pid, "ts": us(start.ns)
                }));
            }
        }
    }
    for l in &t.lines {
        ev.push(json!({
            "name": l.text, "cat": "printk", "ph": "i", "s": "t",
            "pid": PID, "tid": l.at.task.pid, "ts": us(l.at.ns),
            "args": { "cpu": l.at.cpu }
        }));
    }
    json!({
        "traceEvents": ev,
        "displayTimeUnit": "ms",
        "otherData": { "source": source, "origin_us": us(t.origin()) },
    })
}

fn slice(name: &str, cat: &str, at: &At, dur: f64, args: &Value) -> Value {
    let mut args = args.clone();
    args["cpu"] = json!(at.cpu);
    json!({
        "name": name, "cat": cat, "ph": "X", "ts": us(at.ns), "dur": dur,
        "pid": PID, "tid": at.task.pid, "args": args
    })
}

/// Milliseconds since the trace's start, to the microsecond.
pub fn ms(ns: u64, first: u64) -> f64 {
    (ns.saturating_sub(first) / 1000) as f64 / 1000.0
}
