// SPDX-License-Identifier: GPL-2.0

//! From events to what happened to each work item: who queued it and when, which worker ran it
//! from when to when, and what it printed meanwhile.
//!
//! The pairing uses only the kernel's own events: `workqueue_queue_work` of a `work_struct` is
//! followed by one `workqueue_execute_start`/`_end` of it (queueing sets PENDING, so a second
//! queue event needs a run in between). A delayed item's queue event fires in the timer's
//! context when its delay expires; what its driver did is the `timer_start` of that timer
//! (`delayed_work_timer_fn`), found as the timer whose expiry, on the same CPU, queued it, or
//! that the queueing task cancelled just before on the same CPU (a flush: `flush_delayed_work`
//! takes the timer off and queues the work at once).
//! Pointers are as tracefs prints them (hashed), equal for equal objects within one boot.

use std::collections::HashMap;

use crate::parse::{
    Event,
    Kind, //
};

/// The function every delayed work item's timer runs.
const DELAYED_TIMER_FN: &str = "delayed_work_timer_fn";

/// A task as the trace names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Task {
    pub pid: u32,
    pub comm: String,
}

impl Task {
    fn of(e: &Event) -> Self {
        Task {
            pid: e.pid,
            comm: e.comm.clone(),
        }
    }

    /// Whether this is a workqueue worker.
    pub fn is_worker(&self) -> bool {
        self.comm.starts_with("kworker/")
    }
}

/// Where and when something happened.
#[derive(Debug, Clone, PartialEq)]
pub struct At {
    pub ns: u64,
    pub task: Task,
    pub cpu: u32,
}

impl At {
    fn of(e: &Event) -> Self {
        At {
            ns: e.ns,
            task: Task::of(e),
            cpu: e.cpu,
        }
    }
}

/// One submission of a work item and, if it came, its run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The `work_struct` (hashed pointer).
    pub work: String,
    /// The work function as the kernel names it ("sym [module]"), and demangled.
    pub function: String,
    pub demangled: String,
    /// The workqueue it was queued on.
    pub workqueue: String,
    /// The module's own name for the item: the `NAME` of its "NAME: queued" line.
    pub item: Option<String>,
    /// A delayed item's `queue_delayed_work` (its timer armed), if traced.
    pub armed: Option<At>,
    /// `workqueue_queue_work`.
    pub queued: Option<At>,
    pub activated: Option<u64>,
    /// `workqueue_execute_start` and `_end`.
    pub start: Option<At>,
    pub end: Option<u64>,
    /// The lines the worker printed while it ran the item.
    pub lines: Vec<(u64, String)>,
    /// When the worker was off the CPU during the run (`sched_switch`, if traced): from, to,
    /// and the state it left in ("S"/"D" asleep, "R" preempted).
    pub off_cpu: Vec<(u64, u64, String)>,
}

impl Run {
    /// When the driver submitted it: the timer armed (delayed work), else the queue event.
    pub fn submitted(&self) -> Option<&At> {
        self.armed.as_ref().or(self.queued.as_ref())
    }

    /// Its label: the module's item name, else the shortened work function.
    pub fn label(&self) -> String {
        self.item.clone().unwrap_or_else(|| short(&self.demangled))
    }
}

/// A printk line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at: At,
    pub text: String,
}

/// What the trace says about one module's work items.
#[derive(Debug, Default)]
pub struct Timeline {
    /// Every submission of the module's items, in the order queued (or run).
    pub runs: Vec<Run>,
    /// The module's printk lines (and the ioctl tool's marks), in time order.
    pub lines: Vec<Line>,
    /// The first and last timestamps of the whole trace.
    pub first_ns: u64,
    pub last_ns: u64,
    /// Delayed items of the module armed and not yet expired at the end.
    pub armed_pending: usize,
    /// Every delayed-work timer (any module's) armed and neither expired nor cancelled at the
    /// end: who armed it, and when, in the order armed.
    pub pending_timers: Vec<At>,
}

impl Timeline {
    /// Where the pictures' time axis starts: the module's first event (a submission, a run or
    /// a line), else the trace's first.
    pub fn origin(&self) -> u64 {
        self.runs
            .iter()
            .flat_map(|r| [r.submitted(), r.start.as_ref()])
            .flatten()
            .map(|a| a.ns)
            .chain(self.lines.iter().map(|l| l.at.ns))
            .min()
            .unwrap_or(self.first_ns)
    }

    /// Where it ends: the module's last event (an unfinished run ends with the trace).
    pub fn end(&self) -> u64 {
        self.runs
            .iter()
            .flat_map(|r| {
                let end = r.start.as_ref().map(|_| r.end.unwrap_or(self.last_ns));
                [
                    r.submitted().map(|a| a.ns),
                    r.start.as_ref().map(|a| a.ns),
                    end,
                ]
            })
            .flatten()
            .chain(self.lines.iter().map(|l| l.at.ns))
            .max()
            .unwrap_or(self.last_ns)
    }

    /// The submissions that had not finished running when the trace ended.
    pub fn outstanding(&self) -> usize {
        self.armed_pending + self.runs.iter().filter(|r| r.end.is_none()).count()
    }

    /// The tasks that appear, one per pid: submitters and workers of the module's items, and
    /// the tasks that printed its lines. A delayed item's queue event happens where its timer
    /// fired (often the idle task), which is no lane: its submitter is where the timer was armed.
    /// Callers first (by pid), then workers (by name).
    pub fn tasks(&self) -> Vec<Task> {
        let mut tasks: Vec<Task> = Vec::new();
        let seen = self
            .runs
            .iter()
            .flat_map(|r| [r.submitted(), r.start.as_ref()])
            .flatten()
            .chain(self.lines.iter().map(|l| &l.at));
        for at in seen {
            if !tasks.iter().any(|t| t.pid == at.task.pid) {
                tasks.push(at.task.clone());
            }
        }
        tasks.sort_by_key(|t| {
            (
                t.is_worker(),
                if t.is_worker() { 0 } else { t.pid },
                t.comm.clone(),
                t.pid,
            )
        });
        tasks
    }

    /// The CPUs a task was seen on.
    pub fn cpus(&self, task: &Task) -> Vec<u32> {
        let mut cpus: Vec<u32> = self
            .runs
            .iter()
            .flat_map(|r| [&r.armed, &r.queued, &r.start])
            .flatten()
            .chain(self.lines.iter().map(|l| &l.at))
            .filter(|a| a.task.pid == task.pid)
            .map(|a| a.cpu)
            .collect();
        cpus.sort_unstable();
        cpus.dedup();
        cpus
    }
}

/// Which work functions belong to the module: "sym [module]" as `%ps` prints a module's symbol.
/// `%ps` resolves when the trace is read, not when it was recorded: a function of a module that
/// has been unloaded since prints as a bare address ("0xffffffffc0201234"). The kernel's own
/// functions always resolve (`CONFIG_KALLSYMS`), so such an address is taken as the module's.
fn in_module(function: &str, module: &str) -> bool {
    let unresolved = function
        .strip_prefix("0x")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
    unresolved
        || function
            .strip_suffix(']')
            .and_then(|f| f.rsplit_once(" ["))
            .is_some_and(|(_, m)| m == module)
}

/// A submission seen from the submitting task's side, before the module's line names it.
enum Submitted {
    Work(String),
    Timer(String),
}

/// Builds the module's timeline from parsed events (in trace order).
pub fn build(events: &[Event], module: &str) -> Timeline {
    let mut t = Timeline {
        first_ns: events.first().map_or(0, |e| e.ns),
        last_ns: events.last().map_or(0, |e| e.ns),
        ..Timeline::default()
    };
    let prefix = format!("{module}: ");
    // Armed delayed-work timers (any module's): timer -> when and by whom.
    let mut armed: HashMap<String, At> = HashMap::new();
    // Timers armed by a task since its last module line; the module's own line claims them.
    let mut unclaimed: HashMap<u32, Vec<Submitted>> = HashMap::new();
    // Timers the module's lines (or runs) claimed, and the item names they carry.
    let mut module_timers: HashMap<String, Option<String>> = HashMap::new();
    // The delayed-work timer whose expiry is running on each CPU.
    let mut expiring: HashMap<u32, String> = HashMap::new();
    // The armed delayed-work timer last cancelled on each CPU, and by which task: at expiry
    // (then it fires), by a flush (then the same task queues its work at once), or for good.
    let mut cancelled: HashMap<u32, (String, u32, At)> = HashMap::new();
    // Work item -> index in t.runs of its submission that has not started yet.
    let mut pending: HashMap<String, usize> = HashMap::new();
    // Worker pid -> index of the run it is executing.
    let mut running: HashMap<u32, usize> = HashMap::new();
    // The module's name of each work_struct, from "NAME: queued" lines.
    let mut names: HashMap<String, String> = HashMap::new();
    // Tasks switched out: pid -> since when, in which state.
    let mut switched_out: HashMap<u32, (u64, String)> = HashMap::new();

    for e in events {
        match &e.kind {
            Kind::TimerStart { timer, function } if function == DELAYED_TIMER_FN => {
                armed.insert(timer.clone(), At::of(e));
                if let Some(&i) = running.get(&e.pid) {
                    // Re-armed by one of the module's own items (a self-rescheduling chain).
                    module_timers.insert(timer.clone(), t.runs[i].item.clone());
                } else {
                    unclaimed
                        .entry(e.pid)
                        .or_default()
                        .push(Submitted::Timer(timer.clone()));
                }
            }
            Kind::TimerCancel { timer } => {
                if let Some(at) = armed.remove(timer) {
                    cancelled.insert(e.cpu, (timer.clone(), e.pid, at));
                }
            }
            Kind::TimerExpire { timer, function } if function == DELAYED_TIMER_FN => {
                // The cancel that detached it on its way to firing: it is still armed.
                if let Some((tm, _, at)) = cancelled.remove(&e.cpu) {
                    if tm == *timer {
                        armed.insert(tm, at);
                    }
                }
                expiring.insert(e.cpu, timer.clone());
            }
            Kind::TimerExit { timer } if expiring.get(&e.cpu) == Some(timer) => {
                expiring.remove(&e.cpu);
            }
            Kind::Queue {
                work,
                function,
                workqueue,
            } => {
                let mut timer = expiring.get(&e.cpu).cloned();
                // A flush (flush_delayed_work, a mod of the delay to 0): the task that cancelled
                // the timer queues its work at once, on the same CPU.
                if let Some((tm, pid, at)) = cancelled.remove(&e.cpu) {
                    if timer.is_none() && pid == e.pid {
                        armed.insert(tm.clone(), at);
                        timer = Some(tm);
                    }
                }
                if !in_module(function, module) {
                    if let Some(timer) = timer {
                        armed.remove(&timer);
                        module_timers.remove(&timer);
                    }
                    continue;
                }
                let armed_at = timer.as_ref().and_then(|tm| armed.remove(tm));
                let timer_name = timer.and_then(|tm| module_timers.remove(&tm)).flatten();
                if armed_at.is_none() && !running.contains_key(&e.pid) {
                    unclaimed
                        .entry(e.pid)
                        .or_default()
                        .push(Submitted::Work(work.clone()));
                }
                let item = names.get(work).cloned().or(timer_name);
                if let Some(name) = &item {
                    names.insert(work.clone(), name.clone());
                }
                pending.insert(work.clone(), t.runs.len());
                t.runs.push(Run {
                    work: work.clone(),
                    function: function.clone(),
                    demangled: demangle(function),
                    workqueue: workqueue.clone(),
                    item,
                    armed: armed_at,
                    queued: Some(At::of(e)),
                    activated: None,
                    start: None,
                    end: None,
                    lines: Vec::new(),
                    off_cpu: Vec::new(),
                });
            }
            Kind::Activate { work } => {
                if let Some(&i) = pending.get(work) {
                    t.runs[i].activated = Some(e.ns);
                }
            }
            Kind::Start { work, function } => {
                if !in_module(function, module) {
                    continue;
                }
                let i = match pending.remove(work) {
                    Some(i) => i,
                    // Queued before the trace began.
                    None => {
                        t.runs.push(Run {
                            work: work.clone(),
                            function: function.clone(),
                            demangled: demangle(function),
                            workqueue: String::new(),
                            item: names.get(work).cloned(),
                            armed: None,
                            queued: None,
                            activated: None,
                            start: None,
                            end: None,
                            lines: Vec::new(),
                            off_cpu: Vec::new(),
                        });
                        t.runs.len() - 1
                    }
                };
                t.runs[i].start = Some(At::of(e));
                running.insert(e.pid, i);
            }
            Kind::End { work } => {
                if let Some(&i) = running.get(&e.pid) {
                    if t.runs[i].work == *work {
                        t.runs[i].end = Some(e.ns);
                        running.remove(&e.pid);
                    }
                }
            }
            Kind::Switch { prev, state, next } => {
                switched_out.insert(*prev, (e.ns, state.clone()));
                if let (Some((since, state)), Some(&i)) =
                    (switched_out.remove(next), running.get(next))
                {
                    let from = t.runs[i].start.as_ref().map_or(since, |a| since.max(a.ns));
                    t.runs[i].off_cpu.push((from, e.ns, state));
                }
            }
            Kind::Console { text } => {
                let ours = text.starts_with(&prefix);
                // The ioctl tool's marks ("ioctl: issuing ...") place the calls on its lane.
                if !ours && !text.starts_with("ioctl: ") {
                    continue;
                }
                t.lines.push(Line {
                    at: At::of(e),
                    text: text.clone(),
                });
                if !ours {
                    continue;
                }
                let msg = &text[prefix.len()..];
                if let Some(&i) = running.get(&e.pid) {
                    t.runs[i].lines.push((e.ns, msg.to_string()));
                }
                // "NAME: queued [from pid N]" names what this task just submitted.
                let name = msg
                    .split_once(": queued")
                    .map(|(n, _)| n)
                    .filter(|n| !n.is_empty() && !n.contains(' '));
                for s in unclaimed.remove(&e.pid).unwrap_or_default() {
                    match s {
                        Submitted::Timer(timer) => {
                            module_timers.insert(timer, name.map(str::to_string));
                        }
                        Submitted::Work(work) => {
                            if let Some(name) = name {
                                names.insert(work.clone(), name.to_string());
                                for r in t.runs.iter_mut().filter(|r| r.work == work) {
                                    r.item.get_or_insert_with(|| name.to_string());
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    t.armed_pending = module_timers
        .keys()
        .filter(|tm| armed.contains_key(*tm))
        .count();
    t.pending_timers = armed.into_values().collect();
    t.pending_timers.sort_by_key(|a| a.ns);
    t
}

/// The work function's symbol demangled (Rust v0 or legacy names), the module suffix kept.
pub fn demangle(function: &str) -> String {
    let (sym, module) = match function.strip_suffix(']').and_then(|f| f.rsplit_once(" [")) {
        Some((s, m)) => (s, Some(m)),
        None => (function, None),
    };
    let name = match rustc_demangle::try_demangle(sym) {
        Ok(d) => format!("{d:#}"),
        Err(_) => sym.to_string(),
    };
    match module {
        Some(m) => format!("{name} [{m}]"),
        None => name,
    }
}

/// A demangled name without its paths and module: `<Arc<DeviceState> as WorkItemPointer<1>>::run`
/// for `<kernel::sync::arc::Arc<rust_workq::DeviceState> as kernel::workqueue::WorkItemPointer<1>>::run`.
/// `text` with every Rust symbol in it (`_R...`, v0 mangling) demangled and shortened.
pub fn demangle_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("_R") {
        let (before, sym) = rest.split_at(at);
        out.push_str(before);
        let end = sym
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$'))
            .unwrap_or(sym.len());
        let (sym, after) = sym.split_at(end);
        match rustc_demangle::try_demangle(sym) {
            Ok(d)
                if before
                    .chars()
                    .last()
                    .is_none_or(|c| !c.is_ascii_alphanumeric()) =>
            {
                out.push_str(&short(&format!("{d:#}")));
            }
            _ => out.push_str(sym),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

pub fn short(demangled: &str) -> String {
    let name = match demangled.rsplit_once(" [") {
        Some((n, m)) if m.ends_with(']') => n,
        _ => demangled,
    };
    let mut out = String::with_capacity(name.len());
    let mut word = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if c == ':' && chars.peek() == Some(&':') && !word.is_empty() {
            // "path::": drop the path segment and the separator.
            chars.next();
            word.clear();
            continue;
        }
        out.push_str(&word);
        word.clear();
        out.push(c);
    }
    out.push_str(&word);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn events(text: &str) -> Vec<Event> {
        text.lines().filter_map(parse::line).collect()
    }

    const F: &str = "f_slow [rust_workq]";

    #[test]
    fn demangles_symbols_in_text() {
        let sym = "_RNvXs8_NtCsl7L7n58I0Vr_6kernel9workqueueINtNtNtB7_4sync3arc3ArcNtCsdyKLUMugZfW_10rust_workq11DeviceStateEINtB5_15WorkItemPointerKj4_E3run";
        let t = demangle_text(&format!("[ 1.0][ T9]  ? {sym}+0x1c/0x80 [rust_workq]"));
        assert_eq!(
            t,
            "[ 1.0][ T9]  ? <Arc<DeviceState> as WorkItemPointer<4>>::run+0x1c/0x80 [rust_workq]"
        );
        assert_eq!(demangle_text("x_Rnot a symbol"), "x_Rnot a symbol");
    }

    #[test]
    fn queue_start_end_and_name() {
        let ev = events(&format!(
            "ioctl-50 [000] ..... 1.000000: workqueue_queue_work: work struct=aa function={F} workqueue=events_long req_cpu=8 cpu=0
             ioctl-50 [000] ..... 1.000010: workqueue_activate_work: work struct aa function={F} 
             ioctl-50 [000] ..... 1.000020: console: rust_workq: slow: queued [from pid 50]
             kworker/0:1-9 [000] ..... 1.000100: workqueue_execute_start: work struct aa: function {F}
             kworker/0:1-9 [000] ..... 1.000200: console: rust_workq: slow: sleeping 200 ms [on kworker pid 9]
             kworker/0:1-9 [000] ..... 1.200300: workqueue_execute_end: work struct aa: function {F}
             kworker/0:2-10 [000] ..... 1.3: workqueue_queue_work: work struct=bb function=vmstat_update workqueue=mm_percpu_wq req_cpu=8 cpu=0"
        ));
        let t = build(&ev, "rust_workq");
        assert_eq!(t.runs.len(), 1);
        let r = &t.runs[0];
        assert_eq!(r.item.as_deref(), Some("slow"));
        assert_eq!(r.queued.as_ref().map(|a| a.task.pid), Some(50));
        assert_eq!(r.activated, Some(1_000_010_000));
        assert_eq!(
            r.start.as_ref().map(|a| (a.task.pid, a.ns)),
            Some((9, 1_000_100_000))
        );
        assert_eq!(r.end, Some(1_200_300_000));
        assert_eq!(
            r.lines,
            vec![(
                1_000_200_000,
                "slow: sleeping 200 ms [on kworker pid 9]".to_string()
            )]
        );
        assert_eq!(t.outstanding(), 0);
        let tasks: Vec<u32> = t.tasks().iter().map(|t| t.pid).collect();
        assert_eq!(tasks, vec![50, 9]);
        let printed: Vec<u32> = t.lines.iter().map(|l| l.at.task.pid).collect();
        assert_eq!(printed, vec![50, 9]);
    }

    #[test]
    fn delayed_item_is_submitted_when_its_timer_is_armed() {
        let d = "f_delayed [rust_workq]";
        let ev = events(&format!(
            "ioctl-60 [001] d..1. 5.000000: timer_start: timer=tt function=delayed_work_timer_fn expires=1 [timeout=501] bucket_expiry=1 cpu=1 idx=1 flags=
             ioctl-60 [001] ..... 5.000050: console: rust_workq: delayed: queued [from pid 60]
             kworker/1:0-30 [001] d..1. 6.000000: timer_start: timer=other function=delayed_work_timer_fn expires=1 [timeout=1] bucket_expiry=1 cpu=1 idx=1 flags=
             <idle>-0 [001] ..s1. 7.004000: timer_expire_entry: timer=tt function=delayed_work_timer_fn now=2 baseclk=2
             <idle>-0 [001] d.s2. 7.004010: workqueue_queue_work: work struct=dd function={d} workqueue=events req_cpu=8 cpu=1
             <idle>-0 [001] ..s1. 7.004020: timer_expire_exit: timer=tt
             kworker/1:1-31 [001] ..... 7.005000: workqueue_execute_start: work struct dd: function {d}
             kworker/1:1-31 [001] ..... 7.005100: workqueue_execute_end: work struct dd: function {d}"
        ));
        let t = build(&ev, "rust_workq");
        assert_eq!(t.runs.len(), 1);
        let r = &t.runs[0];
        assert_eq!(r.item.as_deref(), Some("delayed"));
        assert_eq!(
            r.armed.as_ref().map(|a| (a.task.pid, a.ns)),
            Some((60, 5_000_000_000))
        );
        assert_eq!(r.queued.as_ref().map(|a| a.task.pid), Some(0));
        assert_eq!(r.submitted().map(|a| a.ns), Some(5_000_000_000));
        // The idle task's queue event is no lane; the other timer is not the module's.
        let tasks: Vec<u32> = t.tasks().iter().map(|t| t.pid).collect();
        assert_eq!(tasks, vec![60, 31]);
        assert_eq!(t.outstanding(), 0);
    }

    #[test]
    fn off_cpu_inside_a_run() {
        let ev = events(&format!(
            "kworker/0:1-9 [000] d..2. 0.9: sched_switch: prev_comm=kworker/0:1 prev_pid=9 prev_prio=120 prev_state=I ==> next_comm=swapper/0 next_pid=0 next_prio=120
             ioctl-50 [000] ..... 1.000000: workqueue_queue_work: work struct=aa function={F} workqueue=events_long req_cpu=8 cpu=0
             ioctl-50 [000] d..2. 1.000050: sched_switch: prev_comm=ioctl prev_pid=50 prev_prio=120 prev_state=R+ ==> next_comm=kworker/0:1 next_pid=9 next_prio=120
             kworker/0:1-9 [000] ..... 1.000100: workqueue_execute_start: work struct aa: function {F}
             kworker/0:1-9 [000] d..2. 1.000200: sched_switch: prev_comm=kworker/0:1 prev_pid=9 prev_prio=120 prev_state=D ==> next_comm=ioctl next_pid=50 next_prio=120
             ioctl-50 [000] d..2. 1.200200: sched_switch: prev_comm=ioctl prev_pid=50 prev_prio=120 prev_state=S ==> next_comm=kworker/0:1 next_pid=9 next_prio=120
             kworker/0:1-9 [000] ..... 1.200300: workqueue_execute_end: work struct aa: function {F}"
        ));
        let t = build(&ev, "rust_workq");
        // The wake-up into the run is not inside it; the sleep in the middle is.
        assert_eq!(
            t.runs[0].off_cpu,
            vec![(1_000_200_000, 1_200_200_000, "D".to_string())]
        );
    }

    #[test]
    fn outstanding_counts_armed_and_unfinished() {
        let ev = events(&format!(
            "ioctl-60 [001] d..1. 5.0: timer_start: timer=tt function=delayed_work_timer_fn expires=1 [timeout=501] bucket_expiry=1 cpu=1 idx=1 flags=
             ioctl-60 [001] ..... 5.1: console: rust_workq: delayed: queued [from pid 60]
             ioctl-60 [001] ..... 5.2: workqueue_queue_work: work struct=aa function={F} workqueue=events_long req_cpu=8 cpu=0
             ioctl-60 [001] ..... 5.3: console: rust_workq: slow: queued [from pid 60]"
        ));
        let t = build(&ev, "rust_workq");
        assert_eq!(t.outstanding(), 2);
    }

    #[test]
    fn names() {
        assert_eq!(
            short("<kernel::sync::arc::Arc<rust_workq::DeviceState> as kernel::workqueue::WorkItemPointer<1>>::run [rust_workq]"),
            "<Arc<DeviceState> as WorkItemPointer<1>>::run"
        );
        assert_eq!(short("c_kick_fn [c_workq]"), "c_kick_fn");
        assert_eq!(demangle("c_kick_fn [c_workq]"), "c_kick_fn [c_workq]");
        // A v0 symbol: <Arc<rust_workq::DeviceState>>::run-like paths demangle.
        assert_eq!(demangle("_RNvCs1234_7mycrate3foo [m]"), "mycrate::foo [m]");
        assert!(in_module("x [rust_workq]", "rust_workq"));
        assert!(!in_module("x [rust_workq2]", "rust_workq"));
        assert!(!in_module("rust_workq", "rust_workq"));
        assert!(in_module("0xffffffffc0201234", "rust_workq"));
        assert!(!in_module("0x", "rust_workq"));
        assert!(!in_module("vmstat_update", "rust_workq"));
    }
}
