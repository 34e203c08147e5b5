#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# /bin/wqtrace in the guest: records the kernel's workqueue tracepoints through tracefs.
#   wqtrace start          clear the buffer, enable the events below, start recording
#   wqtrace wait [S]       wait until every module item submitted so far has run (at most S
#                          seconds, default 30, times TIMEOUT_MUL), as the trace itself says
#   wqtrace stop           stop recording (the buffer stays readable in /sys/kernel/tracing/trace)
#   wqtrace send NAME      send the recorded trace to the host on the data channel (ttyS2), one
#                          record "trace<TAB>NAME<TAB>LINE" per line; the host writes the files
#   wqtrace run NAME CMD   start, run CMD (sh -c), wait, stop, send, and print the timeline
# Events: workqueue_{queue_work,activate_work,execute_start,execute_end} (what the workqueue core
# did), timer_{start,expire_entry,expire_exit,cancel} (a delayed item's timer: armed by
# queue_delayed_work, its expiry queues the work), sched_switch (when a worker was off the CPU
# during a run: asleep or preempted) and printk:console (each printk line, in the context of the
# task that printed it). No function tracer: nothing in the kernel is patched.
T=/sys/kernel/tracing
EVENTS="workqueue:workqueue_queue_work workqueue:workqueue_activate_work
workqueue:workqueue_execute_start workqueue:workqueue_execute_end
timer:timer_start timer:timer_expire_entry timer:timer_expire_exit timer:timer_cancel
sched:sched_switch
printk:console"

die() {
	echo "wqtrace: $*" >&2
	exit 1
}

mounted() {
	[ -w "$T/tracing_on" ] && return 0
	mount -t tracefs tracefs "$T" 2>/dev/null
	[ -w "$T/tracing_on" ] || die "no tracefs at $T: this kernel was built without CONFIG_FTRACE and CONFIG_ENABLE_DEFAULT_TRACERS (qemu/flavors/base.config has them)"
}

start() {
	mounted
	echo 0 >"$T/tracing_on"
	: >"$T/set_event"
	# Resized only when it differs: each resize allocates the whole buffer again.
	[ "$(cat "$T/buffer_size_kb")" = 4096 ] || echo 4096 >"$T/buffer_size_kb"
	# One clock for every CPU, never going back (the kernel's default only without a TSC).
	echo global >"$T/trace_clock"
	: >"$T/trace"
	# Reading the trace file (wait polls it) must not pause recording.
	[ ! -e "$T/options/pause-on-trace" ] || echo 0 >"$T/options/pause-on-trace"
	# Pointers as they are: hashing needs the CRNG, which a guest without entropy sources may not
	# have seeded yet (it prints "(____ptrval____)" for every pointer), and the trace pairs a
	# work item's events by its address.
	[ ! -e "$T/options/hash-ptr" ] || echo 0 >"$T/options/hash-ptr"
	for e in $EVENTS; do
		echo "$e" >>"$T/set_event" || die "the kernel has no event $e"
	done
	echo 1 >"$T/tracing_on"
}

wait_done() {
	mounted
	end=$(awk -v s="${1:-30}" -v f="${TIMEOUT_MUL:-1}" '{ printf "%d", ($1 + s * f) * 100 }' /proc/uptime)
	until n=$(workq-trace --outstanding "$T/trace"); do
		if [ "$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)" -ge "$end" ]; then
			echo "wqtrace: $n submitted item(s) still not run after ${1:-30} s; the trace ends here" >&2
			return 0
		fi
		usleep 100000
	done
	# What the last run printed after its end event, and the worker going idle.
	usleep 100000
}

stop() {
	mounted
	echo 0 >"$T/tracing_on"
}

send() {
	case $1 in '' | *[!A-Za-z0-9_]*) die "a trace's name is letters, digits and _ ('$1')" ;; esac
	mounted
	tab=$(printf '\t')
	{
		echo "# kernel: $(uname -r)"
		cat "$T/trace"
	} | sed "s/^/trace${tab}$1${tab}/" >/dev/ttyS2
}

case ${1:-} in
start) start ;;
wait) wait_done "${2:-}" ;;
stop) stop ;;
send) send "${2:-}" ;;
run)
	[ $# -ge 3 ] || die "usage: wqtrace run NAME CMD"
	name=$2
	shift 2
	start
	sh -c "$*"
	rc=$?
	wait_done
	stop
	send "$name"
	workq-trace --text "$T/trace"
	exit "$rc"
	;;
*) die "usage: wqtrace start | wait [S] | stop | send NAME | run NAME CMD" ;;
esac
