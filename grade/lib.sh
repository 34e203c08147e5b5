# shellcheck shell=sh
# SC2016: awk programs in single quotes; SC2034: the scenes set variables for the checks that
# source this file; SC2317: predicates for wait_until, called indirectly.
# shellcheck disable=SC2016,SC2034,SC2317
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
# overran lost its oldest events). Sets UNTRACED to why it is not.
trace_complete() {
	UNTRACED="this kernel has no tracefs"
	[ -n "$TRACE" ] || return 1
	lost=$(cat /sys/kernel/tracing/per_cpu/cpu*/stats 2>/dev/null | awk '/^overrun:/ { n += $2 } END { print n + 0 }')
	UNTRACED="the kernel's trace buffer overran ($lost events lost; a module that prints thousands of lines fills its 4 MB a CPU)"
	[ "$lost" = 0 ]
}

# traced: whether the check judges from the trace: this kernel has tracefs; else the lab's words
# are counted, the only evidence left. A trace that overran is no reason to count words instead
# (a module could flood the log to get there): the set-up missed, and the check runs again.
traced() {
	[ -n "$TRACE" ] || return 1
	trace_complete || missed "$UNTRACED"
}

# The runs: what the kernel did with the module's work items since the check began, as records
# (workq-trace --runs): "run I FUNCTION ARMED_PID ARMED_NS QUEUED_PID QUEUED_NS START_PID
# START_NS END_NS WORKER", "line I NS MESSAGE" and "pending ARMED_PID ARMED_NS" (a delayed-work timer
# armed and not yet fired), tab-separated; empty fields for what did not
# happen. snap writes them to $RUNS; it fails only on a kernel without tracefs, and a trace it
# cannot take as evidence (overran, before or while it was read, or unreadable) is a missed
# set-up (traced). The helpers below read the last snap. A function of a module unloaded since
# the check began shows as its address, the same for all its runs.
RUNS=/tmp/runs.tsv
rm -f "$RUNS"
snap() {
	traced || return 1
	workq-trace --runs "$TRACE" >"$RUNS" 2>/tmp/snap.err ||
		missed "workq-trace could not read the trace: $(head -n 1 /tmp/snap.err)"
	traced
}

# sel CONDITION: the run records of the last snap for which the awk CONDITION on their fields
# holds ($3 the function, $4/$6 who armed/queued it, $9 its start, $10 its end, ...); p is the
# pid given as second argument, t a trace time (ns) as third.
sel() {
	awk -F '\t' -v p="${2:-}" -v t="${3:-0}" "\$1 == \"run\" && ($1)" "$RUNS"
}

# submitted_by PID: the runs the task PID submitted (armed its timer or queued it).
submitted_by() {
	sel '$4 == p || ($4 == "" && $6 == p)' "$1"
}

# has_run PID: snap, and the task PID submitted a run that has ended.
has_run() {
	snap && [ -n "$(submitted_by "$1" | awk -F '\t' '$10 != ""')" ]
}

# await_run PID [SECONDS]: waits (default 5 s, scaled) until a run the task PID submitted has
# ended; prints the first such run's record, or fails the check with what the module did.
await_run() {
	if ! wait_until "${2:-5}" has_run "$1"; then
		gap "the ioctl (pid $1) submits a work item that runs on a worker within $(scaled "${2:-5}") s" \
			"nothing it submitted ran" "${3:-}"
	fi
	submitted_by "$1" | awk -F '\t' '$10 != "" { print; exit }'
}

# field RECORD N: the record's Nth tab-separated field.
field() {
	printf '%s\n' "$1" | cut -f "$2"
}

# said I: what run I printed, quoted, joined by " | " (at most 300 characters).
said() {
	awk -F '\t' -v i="$1" '$1 == "line" && $2 == i {
		m = $0; sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, "", m); s = s (s == "" ? "" : " | ") "\"" m "\"" }
		END { if (length(s) > 300) s = substr(s, 1, 297) "..."; print s }' "$RUNS"
}

# said_count I: how many lines run I printed.
said_count() {
	awk -F '\t' -v i="$1" '$1 == "line" && $2 == i { n++ } END { print n + 0 }' "$RUNS"
}

# ms_after SECONDS NS: how many ms after the log timestamp SECONDS the trace time NS is.
ms_after() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b / 1e9 - a) * 1000 }'
}

# took RECORD: how long the run ran, in ms.
took() {
	awk -v a="$(field "$1" 9)" -v b="$(field "$1" 10)" 'BEGIN { printf "%d", (b - a) / 1e6 }'
}

# story: what the module's work items did since the check began, from the last snap, one run a
# line (at most 8, then how many more): who submitted it and when, which worker ran it, how long,
# what it printed. Times are ms after the check's first ioctl ($T0, a log timestamp).
story() {
	awk -F '\t' -v t0="${T0:-0}" '
		function at(ns) { return sprintf("%+d ms", (ns / 1e9 - t0) * 1000) }
		$1 == "run" {
			n++; i = $2; order[n] = i
			s = $3 ":"
			if ($4 != "") s = s " timer armed by pid " $4 " at " at($5) ","
			if ($6 != "") s = s " queued" ($4 != "" ? "" : " by pid " $6) " at " at($7) ","
			if ($9 == "") s = s " not run yet"
			else {
				s = s " ran on " $11 " at " at($9)
				s = s ($10 == "" ? ", still running" : sprintf(" for %d ms", ($10 - $9) / 1e6))
			}
			text[i] = s
		}
		$1 == "line" {
			m = $0; sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, "", m)
			if (length(m) > 120) m = substr(m, 1, 117) "..."
			printed[$2] = printed[$2] (printed[$2] == "" ? ", printed \"" : " | \"") m "\""
		}
		END {
			for (k = 1; k <= n && k <= 8; k++) {
				i = order[k]
				print "  " text[i] (printed[i] == "" ? ", printed nothing" : printed[i])
			}
			if (n > 8) print "  ... and " n - 8 " more run(s)"
			if (n == 0) print "  no work function of the module was queued or ran"
		}' "$RUNS"
}

# gap EXPECTED DID [HINT]: fails the check showing the gap: what it expected, what the module did
# (a sentence), the kernel's record of its work items during the check (story, when traced), and
# a hint from the lab. On stderr, so that it shows from a command substitution too.
gap() {
	{
		echo "expected: $1"
		echo "the module: $2"
		if snap; then
			echo "the kernel's record of the module's work items (ms after the check's first ioctl):"
			story
		fi
		[ -z "${3:-}" ] || echo "hint: $3"
	} >&2
	fail "expected $1"
}

# by_worker LINES: the lines (from plines) that a kworker printed (its /proc comm): the words
# paths' evidence, on a kernel without tracefs.
by_worker() {
	while read -r ts pid msg; do
		case $(cat "/proc/$pid/comm" 2>/dev/null) in kworker/*) echo "$ts $pid $msg" ;; esac
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

# began: after a call, PID (its process) and T0 (the log time of its first ioctl), which story
# and the feedback count from.
began() {
	PID=$(caller_pid) T0=$(mark_ts issuing 1)
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

# console: the trace's printk:console events, as "TIME MESSAGE": the time is the last field
# before the first ": console: " of the line, which a message comes after and cannot move. A
# message with a newline may forge a whole line: marks carry a number the module cannot know
# (rmmod_marked), and the first event with a mark's text is the mark.
console() {
	awk '{ i = index($0, ": console: ") } i { n = split(substr($0, 1, i - 1), f, " "); print f[n], substr($0, i + 11) }' "$TRACE"
}

# tmark TEXT: the trace time (s) of the first kernel log line "test: TEXT" (its printk:console
# event), or nothing. Run records are to be compared with marks on this clock: the log's own
# timestamps come from the printing CPU's clock, which (without a TSC) steps at that CPU's ticks
# and may lag another CPU's by a tick or more, so a run 1 ms after a mark may carry an earlier
# time. The trace's global clock (qemu/guest-trace.sh sets it) never goes back across CPUs: an
# event after the mark carries the mark's time or later, the same time (to the microsecond the
# trace prints) when its CPU's clock lagged. A tie is read in the module's favour: e8's final run
# at rmmod's first mark counts as after it, a run or a line at the mark of rmmod's return as
# before it.
tmark() {
	console | awk -v m="test: $1" 'substr($0, index($0, " ") + 1) == m { print $1; exit }'
}

# rmmod_marked WHAT: rmmod, which must succeed (WHAT names the situation), between two marks in
# the kernel log: M1 just before, M2 once it returned; TM1 and TM2 are the same marks on the
# trace's clock (tmark; the log's on a kernel without tracefs), for comparing with run records.
# The marks are written at once and read back afterwards: reading the log costs time the
# situation under test (a run of 200 ms) may not have, on the debug kernel.
rmmod_marked() {
	nonce=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	echo "<6>test: rmmod $1, mark $nonce" >/dev/kmsg
	rmmod rust_workq || fail "rmmod failed $1"
	echo "<6>test: rmmod returned, mark $nonce" >/dev/kmsg
	M1=$(kmark_ts "rmmod $1, mark $nonce") M2=$(kmark_ts "rmmod returned, mark $nonce")
	TM1=$M1 TM2=$M2
	if traced; then
		TM1=$(tmark "rmmod $1, mark $nonce") TM2=$(tmark "rmmod returned, mark $nonce")
		[ -n "$TM1" ] && [ -n "$TM2" ] || missed "the trace holds no event of the marks around rmmod"
	fi
}

# lines_after M TM: the module's lines printed after the mark M (a log time), or TM (the trace's
# time of the same mark) from the printk:console events, on the clock of the mark's own event.
lines_after() {
	if traced; then
		console | awk -v t="$2" '$1 + 0 > t + 0 && sub(/^[^ ]* rust_workq: /, "")'
	else
		plines '' | awk -v t="$1" '$1 > t' | cut -d' ' -f3-
	fi
}

# unload WHAT [SECONDS]: rmmod while WHAT is going on must succeed (marks M1 before it, M2 after
# it returned); then for SECONDS (default 0.5) no work function of the module may start and no
# line of the module may appear (a forgotten item would run in freed code), and the module must
# load again cleanly. The caller checks first that WHAT was going on: from the snap after the
# unload (snap), the trace as it stands then.
unload() {
	rmmod_marked "with $1"
	usleep "$(awk -v s="${2:-0.5}" 'BEGIN { printf "%d", s * 1000000 }')"
	late=$(lines_after "$M2" "$TM2" | head -n 3 | tr '\n' '|')
	[ -z "$late" ] || fail "the module printed after rmmod returned, with $1: $late"
	if snap; then
		n=$(sel '$9 != "" && $9 / 1e9 > t' "" "$TM2" | wc -l)
		[ "$n" = 0 ] || gap "after rmmod returns, no work function of the module runs" "$n run(s) started after rmmod returned, with $1" \
			"Before the module goes, every item must be cancelled or have finished: the stopping flag, and waiting for pending work."
	fi
	insmod "$MOD" || fail "insmod failed after the rmmod"
	[ -c "$DEV" ] || fail "$DEV missing after reloading"
}

# chain PID: the self-rescheduling chain the task PID started, from the last snap: its first run
# of a work function, then each run of the same function submitted from inside the previous one
# (by its worker, between its start and end), in order, up to the first run that submitted none.
chain() {
	awk -F '\t' -v p="$1" '$1 == "run" {
		n++; r[n] = $0; f[n] = $3; w[n] = $8; s[n] = $9; e[n] = $10
		sp[n] = ($4 != "" ? $4 : $6); sn[n] = ($4 != "" ? $5 : $7)
	}
	END {
		for (k = 1; k <= n && sp[k] != p; k++) {}
		if (k > n) exit
		print r[k]
		while (s[k] != "") {
			for (j = k + 1; j <= n; j++)
				if (f[j] == f[k] && sp[j] == w[k] && sn[j] >= s[k] && (e[k] == "" || sn[j] <= e[k])) break
			if (j > n) exit
			print r[j]
			k = j
		}
	}' "$RUNS"
}

# chain_runs PID: how many runs of PID's chain have ended.
chain_runs() {
	chain "$1" | awk -F '\t' '$10 != ""' | wc -l
}

# chain_ended PID: snap, and PID's chain has ended: its last run ended and submitted no next
# (no run, and no timer still pending, armed by its worker while it ran).
chain_ended() {
	snap || return 1
	last=$(chain "$1" | tail -n 1)
	[ -n "$last" ] && [ -n "$(field "$last" 10)" ] &&
		awk -F '\t' -v w="$(field "$last" 8)" -v s="$(field "$last" 9)" -v e="$(field "$last" 10)" '
			$1 == "pending" && $2 == w && $3 >= s && $3 <= e { found = 1 } END { exit found }' "$RUNS"
}

# Exercise 8's scene, for its checks: START_RESCHED with a period of 1 s (times the speed factor),
# rmmod right after the chain's first run, then 1.5 periods of quiet. Sets F (the chain's work
# function, as the trace names it after the unload: an address; FN is its name), FINAL (the runs of F that started after M1,
# the mark written just before rmmod: the stopping flag's final run, and nothing else), PERIOD,
# PID and T0. The
# set-up needs the chain still active at rmmod and rmmod over before the next run was due: else
# missed (the machine was too slow), and the check runs again.
HINT8="An AtomicBool stopping flag: the module's drop sets it (Release) before the registration goes; run checks it (Acquire) first, prints one final line and does not re-enqueue."
e8_scene() {
	PERIOD=$(($(scaled 1) * 1000))
	call START_RESCHED -v "$PERIOD"
	began
	traced || return 1
	first() { snap && [ "$(chain_runs "$PID")" -ge 1 ]; }
	wait_until 5 first ||
		gap "START_RESCHED starts the self-rescheduling chain of exercise 4" "no run of it ended within $(scaled 5) s" "$HINT8"
	FN=$(field "$(chain "$PID" | head -n 1)" 3)
	rmmod_marked "while the self-rescheduling item was active"
	usleep $((PERIOD * 1500))
	snap
	c=$(chain "$PID")
	F=$(field "$(echo "$c" | head -n 1)" 3)
	# The chain's last run before rmmod, and the next one it submitted.
	before_m1=$(echo "$c" | awk -F '\t' -v m="$TM1" '$9 != "" && $9 / 1e9 < m' | tail -n 1)
	next=$(echo "$c" | awk -F '\t' -v m="$TM1" '$9 == "" || $9 / 1e9 >= m' | head -n 1)
	[ -n "$next" ] || [ "$(echo "$c" | grep -c .)" -gt 1 ] ||
		gap "a self-rescheduling chain (exercise 4) for rmmod to stop" "the ioctl's run of $FN queued no next run: no chain to stop" "$HINT8"
	[ -n "$next" ] ||
		missed "the chain had ended ($(echo "$c" | grep -c .) runs) before rmmod came, $(ms_after "$TM1" "$(field "$before_m1" 9)" | tr -d -) ms after its last run"
	a=$(field "$next" 5)
	[ -n "$a" ] || a=$(field "$next" 7)
	due=$(awk -v a="$a" -v p="$PERIOD" 'BEGIN { printf "%.6f", a / 1e9 + p / 1000 }')
	before "$TM2" "$due" ||
		missed "rmmod took $(ms_between "$TM1" "$TM2") ms, past the chain's next run (due $(ms_between "$TM1" "$due") ms after it began)"
	FINAL=$(sel '$3 == p && $9 != "" && $9 / 1e9 >= t' "$F" "$TM1")
	insmod "$MOD" || fail "insmod failed after the rmmod"
}

# Exercise 4's scene, for its checks: START_RESCHED with a period of 20 ms. Sets PID and T0.
HINT4="In run, after printing, re-enqueue the same Arc (workqueue::system().enqueue(this.clone())); an AtomicUsize counter stops re-enqueueing at a threshold."
e4_scene() {
	call START_RESCHED -v 20
	began
}

# Exercise 6's scene, for its checks: KICK_DELAYED, then its run. Sets pid, T0, R (the first run
# the ioctl submitted that ended), FUNC, WORKER, START (ms after the ioctl) and RAN (ms), or fails.
HINT6="A DelayedWork field (impl_has_delayed_work!, new_delayed_work!), scheduled with enqueue_delayed(state.clone(), delay), the delay in jiffies: msecs_to_jiffies(2000)."
e6_scene() {
	call KICK_DELAYED
	began
	traced || return 1
	R=$(await_run "$PID" 8 "$HINT6") || exit # its status: -e is off here (the caller tests this function)
	FUNC=$(field "$R" 3) WORKER=$(field "$R" 11) START=$(ms_after "$T0" "$(field "$R" 9)") RAN=$(took "$R")
}
