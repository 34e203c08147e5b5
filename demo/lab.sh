#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`: walks through exercises 1-10 of the workqueue lab in the guest. For each: the
# exercise's title, the commands as the student types them, the kernel log lines they caused
# (with timestamps), and what to notice, computed from those very lines. COLOR=1 adds colour.
. /tests/lib.sh

if [ "${COLOR:-0}" = 1 ]; then
	B=$(printf '\033[1m') C=$(printf '\033[36m') G=$(printf '\033[32m') N=$(printf '\033[0m')
else
	B='' C='' G='' N=''
fi

title() {
	printf '\n%s== %s ==%s\n' "$B" "$*" "$N"
	dmesg -c >/dev/null
}
# Shows a command as typed, then runs it.
run() {
	printf '%s$ %s%s\n' "$C" "$*" "$N"
	sh -c "$*" 2>&1 | sed 's/^/  /'
}
# `dmesg | tail` as the lab says, after waiting for the line the exercise is about.
show() {
	wait_for "$1" "${2:-5}" >/dev/null || echo "  (no line matching '$1' appeared)"
	printf '%s$ dmesg | tail%s\n' "$C" "$N"
	dmesg | tail -n "${3:-10}" | sed 's/^/  /'
}
notice() {
	printf '%s-> %s%s\n' "$G" "$*" "$N"
}

# trace_start / trace_show NAME: the kernel's workqueue tracepoints around an exercise (wqtrace);
# trace_show waits until what was submitted has run, sends the trace to the host (make demo
# draws it in build/trace/demo-NAME/) and prints the timeline the tracepoints give.
trace_start() {
	traced=0
	wqtrace start && traced=1
}
trace_show() {
	[ "$traced" = 1 ] || { echo "  (no timeline: this kernel has no tracefs)"; return; }
	wqtrace wait
	wqtrace stop
	wqtrace send "$1"
	printf '%s$ workq-trace --text /sys/kernel/tracing/trace%s   # the kernel'"'"'s own events\n' "$C" "$N"
	workq-trace --text /sys/kernel/tracing/trace | sed 's/^/  /'
}

title "Exercise 1 - Schedule a print from an ioctl"
run "ioctl /dev/mydevice -t J -n 10 -d none"
show '^worker ran '
q=$(lines '^kick: ' | head -n 1) w=$(lines '^worker ran ' | head -n 1)
notice "KICK (_IO('J', 10) = 0x4a0a) queued the work item from the ioctl process (pid $(from_pid "$q")); \
'worker ran' was printed later by $(on_comm "$w") (pid $(on_pid "$w")), a workqueue thread."

title "Exercise 2 - Observe the \"already queued\" behaviour"
run "ioctl /dev/mydevice -t J -n 10 -d none"
run "ioctl /dev/mydevice -t J -n 10 -d none"
show '^worker ran '
n=$(count '^kick: queued ') d=$(count '^kick: already queued ')
notice "Two KICKs in a row: $n queued, $d already queued. Whether the second one is dropped is a race: \
it is dropped only if the first is still pending (queued, not yet started)."
echo "  The delayed item stays pending for 2 s, so there the second submission is always dropped:"
run "ioctl /dev/mydevice -t J -n 14 -d none"
run "ioctl /dev/mydevice -t J -n 14 -d none"
show '^delayed: already queued ' 5 4
notice "A work_struct is queued at most once: enqueue() of an Arc<DeviceState> that is already pending returns Err \
with the Arc, which the driver drops (no leak) and logs as 'already queued'. Firing the ioctl while the worker \
runs is different: run() has already cleared the pending bit, so the item is queued again and runs once more."
wait_for '^delayed worker ran ' 4 >/dev/null || true

title "Exercise 3 - Pass a value into the worker"
run "ioctl /dev/mydevice -t J -n 11 -d write -s 4 -v 42"
show '^worker received: 42 '
notice "KICK_WITH_VALUE is _IOW('J', 11, u32) = 0x40044a0b: the ioctl copied 42 from userspace, stored it under \
the mutex and queued the item; run() took it out under the same mutex."

title "Exercise 4 - Self-rescheduling work"
run "ioctl /dev/mydevice -t J -n 15 -d write -s 4 -v 0"
show '^resched: limit of 10 runs reached' 5 12
notice "run() re-enqueued its own Arc until the AtomicUsize counter reached 10, then stopped: the log stops growing. \
(-v is the period in ms; 0 re-enqueues at once, as in the lab.)"

title "Exercise 5 - Two workers in one struct"
trace_start
run "ioctl /dev/mydevice -t J -n 13 -d none; ioctl /dev/mydevice -t J -n 12 -d none"
show "^slow \\[on " 3 4
s0=$(lines '^slow: sleeping ' | head -n 1) q=$(lines '^quick ' | head -n 1) s1=$(lines '^slow \[on ' | head -n 1)
trace_show e5
notice "quick (Work<DeviceState, 0>, on system_highpri) ran $(ms_between "$(ts "$s0")" "$(ts "$q")") ms after slow \
(Work<DeviceState, 1>, on system_long) started sleeping, on another worker: they are independent work_structs, \
so the queue runs them concurrently; slow finished $(ms_between "$(ts "$s0")" "$(ts "$s1")") ms in."

title "Exercise 6 - Delayed work"
run "ioctl /dev/mydevice -t J -n 14 -d none"
show '^delayed worker ran ' 4 3
q=$(lines '^delayed: queued ' | head -n 1) r=$(lines '^delayed worker ran ' | head -n 1)
notice "The ioctl line is at $(ts "$q"), the work item's at $(ts "$r"): $(ms_between "$(ts "$q")" "$(ts "$r")") ms \
later (enqueue_delayed with msecs_to_jiffies(2000) + 1 jiffies)."

title "Exercise 7 - try_spawn for ad-hoc work"
run "ioctl /dev/mydevice -t J -n 16 -d write -s 4 -v 7"
show '^spawned worker saw 7 '
notice "try_spawn boxed a closure that captured 7 and queued it; the closure ran on a worker. Every SPAWN \
allocates (and can fail with ENOMEM); the struct items allocate nothing per submission."

title "Exercise 8 - Graceful shutdown"
run "ioctl /dev/mydevice -t J -n 15 -d write -s 4 -v 200"
wait_for '^resched: run 2/10 ' 3 >/dev/null || true
run "rmmod rust_workq"
show '^device state freed$' 5 8
notice "rmmod set the stopping flag while the chain was active: the item printed exactly one final message and \
did not re-enqueue; the module then disabled every work item (giving back the Arc of any pending one), drained \
its spawn queue, and only then freed the state."
run "insmod /lib/modules/rust_workq.ko"

title "Exercise 9 - Pick the right queue"
run "ioctl /dev/mydevice -t J -n 12 -d none; ioctl /dev/mydevice -t J -n 10 -d none"
show '^worker ran ' 5 4
q=$(lines '^quick ' | head -n 1) k=$(lines '^worker ran ' | head -n 1)
notice "quick ran on $(on_comm "$q") - the H marks the high-priority pool of system_highpri; kick ran on \
$(on_comm "$k"), a normal per-CPU worker. The four placements are answered in EXERCISES.md."

title "Exercise 10 - Verify with dmesg timestamps"
trace_start
run "ioctl /dev/mydevice -t J -n 10 -d none; ioctl /dev/mydevice -t J -n 13 -d none; ioctl /dev/mydevice -t J -n 14 -d none"
show '^delayed worker ran ' 4 8
t0=$(ts "$(lines '^kick: queued ' | head -n 1)")
trace_show e10
notice "Each line names a kworker, not the ioctl process; kick and slow start right after their ioctls, \
delayed $(ms_between "$t0" "$(ts "$(lines '^delayed worker ran ' | head -n 1)")") ms after the first ioctl, never before 2 s."
run "ioctl /dev/mydevice -t J -n 15 -d write -s 4 -v 100"
wait_for '^resched: run 1/10 ' 3 >/dev/null || true
run "rmmod rust_workq"
wait_for '^device state freed$' >/dev/null || true
printf '%s$ dmesg | grep resched%s\n' "$C" "$N"
dmesg | grep resched | sed 's/^/  /'
notice "After the stopping flag: exactly $(count '^resched: stopping flag set') final message, then nothing."
run "insmod /lib/modules/rust_workq.ko"
echo
echo "All ten exercises shown. The same checks, as assertions: make check."
echo "The timelines of exercises 5 and 10, drawn from the tracepoints: build/trace/demo-e5/ and"
echo "build/trace/demo-e10/ on the host (timeline.svg; trace.json opens in Perfetto or chrome://tracing)."
