# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# Helpers for the grader's checks (grade/checks/), on top of the guest tests' own (tests/guest/
# lib.sh). A check relies only on what the lab text and the ABI table fix: the command numbers,
# the value each takes, and the phrases a module prints. It never relies on this solution's own
# wording around those phrases or on GET_STATS. Which task printed a line comes from the kernel
# (CONFIG_PRINTK_CALLER's "[T<pid>]" field), not from anything the module prints, and whether it
# printed it while running one of the module's work items from the workqueue tracepoints.
. /tests/lib.sh

# plines ERE: the module's lines whose message contains ERE, as "TIMESTAMP PID MESSAGE"; PID is
# the task that printed the line (a line printed outside any task gets "-").
plines() {
	dmesg | sed -n 's/^\[ *\([0-9.]*\)\]\[ *\([TC]\)\([0-9]*\)\] rust_workq: /\1 \2\3 /p' |
		P="$1" awk '{ m = $0; sub(/^[^ ]* [^ ]* /, "", m); if (m ~ ENVIRON["P"]) { sub(/^C[0-9]+$/, "-", $2); sub(/^T/, "", $2); print } }'
}

# word PHRASE: an ERE matching PHRASE as whole words ("quick" but not "quickly").
word() {
	echo "(^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|\$)"
}

# Who printed a line, as the kernel's tracepoints say: from the start of each check, the
# workqueue and printk:console events are recorded (wqtrace, qemu/guest-trace.sh). A kernel
# without tracefs (KDIR=) leaves TRACE empty.
TRACE=/sys/kernel/tracing/trace
wqtrace start 2>/dev/null || TRACE=

# trace_complete: whether the trace is evidence: recorded (tracefs), and complete (a buffer that
# overran lost its oldest events).
trace_complete() {
	[ -n "$TRACE" ] && [ "$(cat /sys/kernel/tracing/per_cpu/cpu*/stats 2>/dev/null |
		awk '/^overrun:/ { n += $2 } END { print n + 0 }')" = 0 ]
}

# runs: what the kernel did with the module's work items since the check began, as records
# (workq-trace --runs): "run I FUNCTION ARMED_PID ARMED_NS QUEUED_PID QUEUED_NS START_PID
# START_NS END_NS WORKER" and "line I NS MESSAGE", tab-separated; empty fields for what did not
# happen. Nothing when the trace is no evidence (trace_complete).
runs() {
	trace_complete && workq-trace --runs "$TRACE" 2>/dev/null
}

# submitted_by PID: the first run the task PID submitted (armed its timer or queued it) and
# that has finished, as its "run" record.
submitted_by() {
	runs | awk -F '\t' -v p="$1" '$1 == "run" && ($4 == p || $6 == p) && $10 != "" { print; exit }'
}

# field RECORD N: the record's Nth tab-separated field.
field() {
	printf '%s\n' "$1" | cut -f "$2"
}

# printed_by_run I: the lines run I printed, one a line.
printed_by_run() {
	runs | awk -F '\t' -v i="$1" '$1 == "line" && $2 == i { sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, ""); print }'
}

# ms_after SECONDS NS: how many ms after the log timestamp SECONDS the trace time NS is.
ms_after() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b / 1e9 - a) * 1000 }'
}

# by_worker LINES: the lines (from plines) that a work item printed. The evidence is the trace:
# the line's printk on that task between the workqueue core's execute_start and execute_end of
# one of the module's work functions (workq-trace --printed: PID, 1 or 0, message). A line the
# trace did not record (no tracefs, or a buffer that overran) counts if a kworker printed it
# (its /proc comm).
by_worker() {
	printed=
	! trace_complete || printed=$(workq-trace --printed "$TRACE" 2>/dev/null)
	while read -r ts pid msg; do
		in_run=$(printf '%s\n' "$printed" | PID=$pid MSG=$msg awk -F '\t' '
			$1 == ENVIRON["PID"] && substr($0, length($1) + length($2) + 3) == ENVIRON["MSG"] { print $2; exit }')
		case $in_run in
		1) echo "$ts $pid $msg" ;;
		0) ;;
		*) case $(cat "/proc/$pid/comm" 2>/dev/null) in kworker/*) echo "$ts $pid $msg" ;; esac ;;
		esac
	done
}

# worker_lines PHRASE: the module's lines with PHRASE (whole words) that a kworker printed.
worker_lines() {
	plines "$(word "$1")" | by_worker
}

# worker_count PHRASE
worker_count() {
	worker_lines "$1" | wc -l
}

# await_worker PHRASE [SECONDS]: waits (default 5 s) for a kworker's line with PHRASE; prints
# the first, or fails the check naming what was missing and what the module printed instead.
has_worker_line() {
	[ -n "$(worker_lines "$1" | head -n 1)" ]
}
await_worker() {
	if ! wait_until "${2:-5}" has_worker_line "$1"; then
		said=$(plines "$(word "$1")" | head -n 3 | tr '\n' '|')
		fail "no line with \"$1\" printed by a kworker within ${2:-5}s${said:+ (lines with it, as \"time pid message\": $said)}"
	fi
	worker_lines "$1" | head -n 1
}

# call NAME [-v VALUE] [--repeat N]: one ioctl from a process of its own, named as in the ABI
# table; its pid in /tmp/caller. The tool marks the call's start and return in the kernel log
# (mark_ts issuing|returned 1). Fails the check with the tool's error.
call() {
	name=$1
	args_of "$name"
	shift
	# shellcheck disable=SC2086,SC2154 # $args, set by args_of, is the tool's argument list
	sh -c 'echo $$ >/tmp/caller; exec ioctl --marks "$@"' sh "$DEV" $args "$@" >/tmp/call.out 2>&1 ||
		fail "$name: $(cat /tmp/call.out)"
}

caller_pid() {
	cat /tmp/caller
}

# How long the last call's ioctl took, in microseconds, as the tool measured it.
call_us() {
	marks | sed -n 's/.* returned after \([0-9]*\) us (1 of 1)$/\1/p' | tail -n 1
}

# A random value for a command that takes one, never 42 or 7 (the lab's examples).
random_value() {
	v=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((v + 100))
}

# unload_quietly WHAT PHRASE [SECONDS]: rmmod while WHAT is going on must succeed, then no line
# with PHRASE may appear for SECONDS (default 0.5; a forgotten item would run in freed code), and
# the module must load again cleanly.
unload_quietly() {
	rmmod rust_workq || fail "rmmod failed with $1"
	n=$(plines "$(word "$2")" | wc -l)
	usleep "$(awk -v s="${3:-0.5}" 'BEGIN { printf "%d", s * 1000000 }')"
	[ "$(plines "$(word "$2")" | wc -l)" = "$n" ] || fail "\"$2\" lines after rmmod with $1"
	insmod "$MOD" || fail "insmod failed after the rmmod"
	[ -c "$DEV" ] || fail "$DEV missing after reloading"
}
