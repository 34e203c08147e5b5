// SPDX-License-Identifier: GPL-2.0

//! The timeline in the Trace Event Format (the JSON object form) that Perfetto's UI and
//! chrome://tracing open: one thread track per task, named as the kernel names it with its
//! CPUs; a complete event ("X") per run of a work item, from `execute_start` to `execute_end`; a
//! zero-length "submit" slice on the submitting task with a flow (ph "s" / "f") to the run;
//! inside a run, a slice for each time its worker was off the CPU (`sched_switch`); the
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
    let tasks = t.tasks();
    for (i, task) in tasks.iter().enumerate() {
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
        let from = r
            .submitted()
            .filter(|a| tasks.iter().any(|k| k.pid == a.task.pid));
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
            // Where the worker was off the CPU during the run: slices nested in it.
            for (from, to, state) in &r.off_cpu {
                let what = if state.starts_with('R') {
                    "preempted"
                } else {
                    "asleep"
                };
                let at = At {
                    ns: *from,
                    task: start.task.clone(),
                    cpu: start.cpu,
                };
                let d = (us(*to) - us(*from)).min(us(end) - us(*from)).max(0.0);
                ev.push(slice(
                    &format!("off CPU ({what})"),
                    "sched",
                    &at,
                    d,
                    &json!({ "prev_state": state }),
                ));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        model,
        parse, //
    };

    /// A self-rescheduling item: its run re-arms its own timer half a microsecond before it
    /// ends, so a submission lies inside a run on the same worker; the next run is submitted
    /// through that timer.
    const CHAIN: &str = "
      ioctl-40 [000] d..1. 1.000000: timer_start: timer=t1 function=delayed_work_timer_fn expires=1 [timeout=0] bucket_expiry=1 cpu=0 idx=1 flags=
      ioctl-40 [000] ..... 1.000010: console: rust_workq: resched: queued [from pid 40]
      <idle>-0 [000] ..s1. 1.004000: timer_expire_entry: timer=t1 function=delayed_work_timer_fn now=2 baseclk=2
      <idle>-0 [000] d.s2. 1.004001: workqueue_queue_work: work struct=w1 function=f [rust_workq] workqueue=events_power_efficient req_cpu=8 cpu=0
      <idle>-0 [000] ..s1. 1.004002: timer_expire_exit: timer=t1
      kworker/0:1-9 [000] ..... 1.004100: workqueue_execute_start: work struct w1: function f [rust_workq]
      kworker/0:1-9 [000] ..... 1.004200: console: rust_workq: resched: run 1/10 [on kworker pid 9]
      kworker/0:1-9 [000] d..1. 1.004299000: timer_start: timer=t1 function=delayed_work_timer_fn expires=3 [timeout=1] bucket_expiry=3 cpu=0 idx=1 flags=
      kworker/0:1-9 [000] ..... 1.004299500: workqueue_execute_end: work struct w1: function f [rust_workq]
      <idle>-0 [000] ..s1. 1.008000: timer_expire_entry: timer=t1 function=delayed_work_timer_fn now=3 baseclk=3
      <idle>-0 [000] d.s2. 1.008001: workqueue_queue_work: work struct=w1 function=f [rust_workq] workqueue=events_power_efficient req_cpu=8 cpu=0
      <idle>-0 [000] ..s1. 1.008002: timer_expire_exit: timer=t1
      kworker/0:1-9 [000] ..... 1.008100: workqueue_execute_start: work struct w1: function f [rust_workq]
      kworker/0:1-9 [000] ..... 1.008200: workqueue_execute_end: work struct w1: function f [rust_workq]";

    #[test]
    fn slices_nest_and_flows_pair() {
        let events: Vec<parse::Event> = CHAIN.lines().filter_map(parse::line).collect();
        let t = model::build(&events, "rust_workq");
        assert_eq!(t.runs.len(), 2);
        assert!(t.runs.iter().all(|r| r.item.as_deref() == Some("resched")));
        let v = render(&t, "test");
        let ev = v["traceEvents"].as_array().cloned().unwrap_or_default();
        // Every X slice of a thread nests in the one before it or follows it (Perfetto).
        let mut xs: Vec<(u64, f64, f64)> = ev
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(|e| {
                (
                    e["tid"].as_u64().unwrap_or(0),
                    e["ts"].as_f64().unwrap_or(0.0),
                    e["dur"].as_f64().unwrap_or(-1.0),
                )
            })
            .collect();
        xs.sort_by(|a, b| {
            (a.0, a.1, -a.2)
                .partial_cmp(&(b.0, b.1, -b.2))
                .unwrap_or(core::cmp::Ordering::Equal)
        });
        for w in xs.windows(2) {
            let ((ta, sa, da), (tb, sb, db)) = (w[0], w[1]);
            assert!(da >= 0.0 && db >= 0.0);
            if ta == tb {
                assert!(
                    sb >= sa + da || sb + db <= sa + da,
                    "{:?} overlaps {:?}",
                    w[1],
                    w[0]
                );
            }
        }
        // Both runs have a flow from their submission: the ioctl's timer, then the run's own.
        let starts: Vec<_> = ev
            .iter()
            .filter(|e| e["ph"] == "s")
            .map(|e| (e["id"].clone(), e["tid"].clone()))
            .collect();
        let ends: Vec<_> = ev
            .iter()
            .filter(|e| e["ph"] == "f")
            .map(|e| e["id"].clone())
            .collect();
        assert_eq!(starts.len(), 2);
        assert_eq!(starts.iter().map(|s| s.0.clone()).collect::<Vec<_>>(), ends);
        assert_eq!(starts[0].1, 40);
        assert_eq!(starts[1].1, 9);
    }
}
