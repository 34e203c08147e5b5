// SPDX-License-Identifier: GPL-2.0

//! One line of tracefs's `trace` file, as the kernel prints it with the default options:
//!
//! ```text
//!            ioctl-63      [000] .....    12.838447: workqueue_queue_work: work struct=00000000d1d4b0f4 function=f [rust_workq] workqueue=events_long req_cpu=8192 cpu=0
//! ```
//!
//! `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS`, the fields as each event's `TP_printk` writes
//! them (`include/trace/events/workqueue.h`, `timer.h`, `printk.h`).

/// The events the timeline is built from; everything else is `Other`.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `workqueue_queue_work`: the item went on a pool's list (for delayed work: when its timer
    /// fired, not when the driver called `queue_delayed_work`).
    Queue {
        work: String,
        function: String,
        workqueue: String,
    },
    /// `workqueue_activate_work`: the item became runnable (off the inactive list).
    Activate {
        work: String,
    },
    /// `workqueue_execute_start` / `workqueue_execute_end`: the worker called / returned from the
    /// item's function.
    Start {
        work: String,
        function: String,
    },
    End {
        work: String,
    },
    /// `timer_start`, `timer_expire_entry`, `timer_expire_exit`: `queue_delayed_work` arms a
    /// timer whose function is `delayed_work_timer_fn`; at expiry that function queues the work.
    TimerStart {
        timer: String,
        function: String,
    },
    TimerExpire {
        timer: String,
        function: String,
    },
    TimerExit {
        timer: String,
    },
    /// `timer_cancel`: the timer was taken off its wheel: by `del_timer` (a flush or a cancel of
    /// delayed work), or just before it expires.
    TimerCancel {
        timer: String,
    },
    /// `console`: a printk line, recorded in the context of the task that printed it.
    Console {
        text: String,
    },
    /// `sched_switch`: the CPU went from `prev` (leaving in `state`: "R" preempted, "S" or "D"
    /// asleep) to `next`.
    Switch {
        prev: u32,
        state: String,
        next: u32,
    },
    Other,
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    /// The trace clock's time, in nanoseconds.
    pub ns: u64,
    pub kind: Kind,
}

/// Parses one line; `None` for comments, blank lines and anything not in the format above.
pub fn line(s: &str) -> Option<Event> {
    let s = s.trim_end_matches(['\r', '\n']);
    if s.trim_start().starts_with('#') {
        return None;
    }
    // The CPU field, " [NNN] ", ends the task: the first one after the task name (a name may
    // contain spaces and dashes, never this).
    let (task, after) = split_cpu(s)?;
    let (cpu, rest) = after;
    let task = task.trim();
    // With options/record-tgid a "(  TGID)" column follows the task.
    let task = match task.rfind(" (") {
        Some(i) if task.ends_with(')') => task[..i].trim_end(),
        _ => task,
    };
    let (comm, pid) = task.rsplit_once('-')?;
    let pid = pid.parse().ok()?;
    // FLAGS TIMESTAMP: EVENT: FIELDS
    let mut parts = rest.trim_start().splitn(2, ' ');
    let _flags = parts.next()?;
    let rest = parts.next()?.trim_start();
    let (stamp, rest) = rest.split_once(": ")?;
    let ns = timestamp(stamp)?;
    let (event, fields) = match rest.split_once(": ") {
        Some((e, f)) => (e, f),
        None => (rest.trim_end_matches(':'), ""),
    };
    Some(Event {
        comm: comm.to_string(),
        pid,
        cpu,
        ns,
        kind: kind(event, fields),
    })
}

/// Splits "TASK-PID [CPU] REST" into the task and (CPU, REST).
fn split_cpu(s: &str) -> Option<(&str, (u32, &str))> {
    let mut from = 0;
    while let Some(i) = s[from..].find(" [") {
        let at = from + i;
        let tail = &s[at + 2..];
        if let Some(close) = tail.find(']') {
            let digits = &tail[..close];
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return Some((&s[..at], (digits.parse().ok()?, &tail[close + 1..])));
            }
        }
        from = at + 2;
    }
    None
}

/// "12.838447" (seconds, up to nine decimals) in nanoseconds.
fn timestamp(s: &str) -> Option<u64> {
    let (sec, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sec: u64 = sec.parse().ok()?;
    let frac_ns: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<u64>().ok()? * 10u64.pow(9 - frac.len() as u32)
    };
    sec.checked_mul(1_000_000_000)?.checked_add(frac_ns)
}

/// The value of `key=` in a `TP_printk` line: up to the next ` name=` of a known field (values
/// such as "function=f [module]" contain spaces), else to the end.
fn field<'a>(fields: &'a str, key: &str, next: &[&str]) -> Option<&'a str> {
    let start = find_key(fields, key)? + key.len() + 1;
    let rest = &fields[start..];
    let end = next
        .iter()
        .filter_map(|n| find_key(rest, n).map(|i| i.saturating_sub(1)))
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// Where "KEY=" starts in `s`, as a whole word.
fn find_key(s: &str, key: &str) -> Option<usize> {
    let pat = format!("{key}=");
    let mut from = 0;
    while let Some(i) = s[from..].find(&pat) {
        let at = from + i;
        if at == 0 || s.as_bytes()[at - 1] == b' ' {
            return Some(at);
        }
        from = at + pat.len();
    }
    None
}

fn kind(event: &str, f: &str) -> Kind {
    let s = |v: Option<&str>| v.unwrap_or("").to_string();
    match event {
        "workqueue_queue_work" => Kind::Queue {
            work: s(field(f, "work struct", &["function"])),
            function: s(field(f, "function", &["workqueue"])),
            workqueue: s(field(f, "workqueue", &["req_cpu"])),
        },
        // "work struct 0000000012345678 function=f " (7.3) or "work struct 0000000012345678".
        "workqueue_activate_work" => Kind::Activate {
            work: f
                .trim_start_matches("work struct ")
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_string(),
        },
        // "work struct 0000000012345678: function f"
        "workqueue_execute_start" | "workqueue_execute_end" => {
            let rest = f.trim_start_matches("work struct ");
            let (work, function) = rest.split_once(": function ").unwrap_or((rest, ""));
            let work = work.trim().to_string();
            if event == "workqueue_execute_start" {
                Kind::Start {
                    work,
                    function: function.trim().to_string(),
                }
            } else {
                Kind::End { work }
            }
        }
        "timer_start" => Kind::TimerStart {
            timer: s(field(f, "timer", &["function"])),
            function: s(field(f, "function", &["expires"])),
        },
        "timer_expire_entry" => Kind::TimerExpire {
            timer: s(field(f, "timer", &["function"])),
            function: s(field(f, "function", &["now"])),
        },
        "timer_expire_exit" => Kind::TimerExit {
            timer: s(field(f, "timer", &[])),
        },
        "timer_cancel" => Kind::TimerCancel {
            timer: s(field(f, "timer", &[])),
        },
        "sched_switch" => match (
            field(f, "prev_pid", &["prev_prio"]).and_then(|v| v.parse().ok()),
            field(f, "next_pid", &["next_prio"]).and_then(|v| v.parse().ok()),
        ) {
            (Some(prev), Some(next)) => Kind::Switch {
                prev,
                state: s(field(f, "prev_state", &[]).map(|v| v.split(" ==>").next().unwrap_or(v))),
                next,
            },
            _ => Kind::Other,
        },
        "console" => Kind::Console {
            text: f.trim_end().to_string(),
        },
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_work_with_module_function() {
        let e = line("           ioctl-63      [001] .....    12.838447: workqueue_queue_work: work struct=00000000d1d4b0f4 function=_RNvXs_foo [rust_workq] workqueue=events_long req_cpu=8192 cpu=1").unwrap();
        assert_eq!(
            (e.comm.as_str(), e.pid, e.cpu, e.ns),
            ("ioctl", 63, 1, 12_838_447_000)
        );
        assert_eq!(
            e.kind,
            Kind::Queue {
                work: "00000000d1d4b0f4".into(),
                function: "_RNvXs_foo [rust_workq]".into(),
                workqueue: "events_long".into(),
            }
        );
    }

    #[test]
    fn task_names_with_spaces_dashes_and_tgid() {
        let e = line(" kworker/u8:1-my-name-7 (      7) [000] d..1.     1.000001: workqueue_execute_end: work struct 00000000aa: function f").unwrap();
        assert_eq!((e.comm.as_str(), e.pid), ("kworker/u8:1-my-name", 7));
        assert_eq!(
            e.kind,
            Kind::End {
                work: "00000000aa".into()
            }
        );
        let e = line("  my task [x]-12 [003] .....  2.5: console: hi [there]").unwrap();
        assert_eq!((e.comm.as_str(), e.pid, e.cpu), ("my task [x]", 12, 3));
        assert_eq!(e.ns, 2_500_000_000);
        assert_eq!(
            e.kind,
            Kind::Console {
                text: "hi [there]".into()
            }
        );
    }

    #[test]
    fn execute_start_and_activate() {
        let e = line("     kworker/0:1-9       [000] .....     3.000100: workqueue_execute_start: work struct 00000000d1d4b0f4: function c_kick_fn [c_workq]").unwrap();
        assert_eq!(
            e.kind,
            Kind::Start {
                work: "00000000d1d4b0f4".into(),
                function: "c_kick_fn [c_workq]".into()
            }
        );
        let e = line("  ioctl-63 [001] d..2.  3.0: workqueue_activate_work: work struct 00000000d1d4b0f4 function=f ").unwrap();
        assert_eq!(
            e.kind,
            Kind::Activate {
                work: "00000000d1d4b0f4".into()
            }
        );
        let e = line(
            "  ioctl-63 [001] d..2.  3.0: workqueue_activate_work: work struct 00000000d1d4b0f4",
        )
        .unwrap();
        assert_eq!(
            e.kind,
            Kind::Activate {
                work: "00000000d1d4b0f4".into()
            }
        );
    }

    #[test]
    fn timers() {
        let e = line("  ioctl-70 [000] d..1.  5.123456: timer_start: timer=00000000beef function=delayed_work_timer_fn expires=4294938000 [timeout=501] bucket_expiry=4294938000 cpu=0 idx=101 flags=I").unwrap();
        assert_eq!(
            e.kind,
            Kind::TimerStart {
                timer: "00000000beef".into(),
                function: "delayed_work_timer_fn".into()
            }
        );
        let e = line("  rmmod-80 [000] d..1.  6.5: timer_cancel: timer=00000000beef").unwrap();
        assert_eq!(
            e.kind,
            Kind::TimerCancel {
                timer: "00000000beef".into()
            }
        );
        let e = line("  <idle>-0 [000] ..s1.  7.1: timer_expire_entry: timer=00000000beef function=delayed_work_timer_fn now=4294938000 baseclk=4294938000").unwrap();
        assert_eq!((e.comm.as_str(), e.pid), ("<idle>", 0));
        assert_eq!(
            e.kind,
            Kind::TimerExpire {
                timer: "00000000beef".into(),
                function: "delayed_work_timer_fn".into()
            }
        );
        let e = line("  <idle>-0 [000] ..s1.  7.1: timer_expire_exit: timer=00000000beef").unwrap();
        assert_eq!(
            e.kind,
            Kind::TimerExit {
                timer: "00000000beef".into()
            }
        );
    }

    #[test]
    fn sched_switch() {
        let e = line("  kworker/0:1-9 [000] d..2.  4.0: sched_switch: prev_comm=kworker/0:1 prev_pid=9 prev_prio=120 prev_state=D ==> next_comm=my task prev_pid=x next_pid=0 next_prio=120").unwrap();
        assert_eq!(
            e.kind,
            Kind::Switch {
                prev: 9,
                state: "D".into(),
                next: 0
            }
        );
        let e = line("  ioctl-5 [001] d..2.  4.0: sched_switch: prev_comm=ioctl prev_pid=5 prev_prio=120 prev_state=R+ ==> next_comm=kworker/1:1H next_pid=30 next_prio=100").unwrap();
        assert_eq!(
            e.kind,
            Kind::Switch {
                prev: 5,
                state: "R+".into(),
                next: 30
            }
        );
    }

    #[test]
    fn not_events() {
        for s in [
            "# tracer: nop",
            "",
            "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
            "garbage",
        ] {
            assert_eq!(line(s), None, "{s:?}");
        }
        assert_eq!(timestamp("1.0000000001"), None);
        assert_eq!(timestamp("3.000000001"), Some(3_000_000_001));
    }
}
