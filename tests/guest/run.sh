#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest test runner: runs the given test scripts in order and prints KTAP.
#
# Usage: run.sh [--flavor F] [--first N --plan N] [--module-seconds S] TEST.sh=LIMIT[@MODULE.ko]...
#
# Every test starts from the same known state: its module freshly loaded (no work pending from
# an earlier test, counters at zero), /dev/mydevice present, the kernel log cleared, no process
# left over from an earlier test, fault injection off. Whatever a test leaves behind that it
# should not (a process, the module unloaded, fault injection on) is reported in its
# diagnostics, and the module is unloaded after each test (so that a module that cannot unload
# fails the test that used it). Each test comes with its time limit in seconds, which the host
# computes (harness/suite.py) from the test's "#@ limit=" line and the flavour, and
# optionally the module it tests (default /lib/modules/rust_workq.ko; the grader tests others):
# the test's name then ends in "@MODULE" (without ".ko"). After each test the kernel log is
# scanned for splats (tests/splat-patterns): a splat fails the test, unless the test allows it.
# --first numbers the first result (the host continues a stream after a crashed guest); --plan
# is printed when the stream starts at 1. A test that exits 3 (its set-up did not happen, `missed`
# in lib.sh) runs again from the known state, up to RWQ_ATTEMPTS (3) times in all; if it never
# happens the test is inconclusive, which fails it with that reason.
#
# Besides the KTAP stream (for people), the runner writes one record per test to the data channel
# (ttyS2, the host's records.tsv): "test NAME VERDICT ATTEMPTS SECONDS LIMIT MODULE REASON
# FIGURES", tab-separated, VERDICT pass, fail, skip or inconclusive; "reboot" when the known state
# cannot be restored (the host boots a fresh guest for the rest); "done PASS FAIL SKIP" at the end;
# and every diagnostic line as "diag NAME LINE" (harness/records.py has the kinds).
. /tests/ktap.sh
. /tests/splats.sh
. /tests/header.sh
flavor=base first=1 MODULE_SECONDS=30 plan=
while [ $# -gt 0 ]; do
	case $1 in
	--flavor) flavor=$2; shift 2 ;;
	--module-seconds) MODULE_SECONDS=$2; shift 2 ;;
	--first) first=$2; shift 2 ;;
	--plan) plan=$2; shift 2 ;;
	*) break ;;
	esac
done
DEFAULT_MOD=/lib/modules/rust_workq.ko
DEV=/dev/mydevice
FLAVOR=$flavor
export FLAVOR SOAK_SECONDS MOD
if [ "$first" = 1 ]; then
	ktap_header
	ktap_plan "${plan:-$#}"
fi
ktap_start_at "$first"

# On a kmemleak kernel: report what boot leaked (objects must be 5 s old) and set it aside, so
# that the last test sees only leaks that are new.
kl=/sys/kernel/debug/kmemleak
if [ -f $kl ]; then
	up=$(cut -d. -f1 /proc/uptime)
	[ "$up" -lt 6 ] && sleep $((6 - up))
	echo scan >$kl && echo clear >$kl
fi
dmesg -c >/tmp/dmesg-all.log

# User-space processes (not kernel threads, whose parent is kthreadd, pid 2) as "pid comm".
user_procs() {
	for s in /proc/[0-9]*/stat; do
		read -r pid comm _ ppid _ 2>/dev/null <"$s" || continue
		[ "$pid" = 2 ] || [ "$ppid" = 2 ] || echo "$pid $comm"
	done
}
user_procs >/tmp/procs.base

# bounded WHAT CMD...: CMD (insmod or rmmod) with a time limit, --module-seconds (the host's:
# 10 s for base, scaled as the tests' limits are): a module that sleeps in its init or exit, or a
# work item that never ends (which rmmod waits for), must not hold every later test. When it
# runs over, the module counts as hung (hung=WHAT) and the remaining tests are not run; the
# process may stay blocked in the kernel.
hung=
bounded() {
	what=$1
	shift
	"$@" &
	bpid=$!
	ticks=$((MODULE_SECONDS * 10))
	while kill -0 "$bpid" 2>/dev/null; do
		if [ "$ticks" -le 0 ]; then
			hung=$what
			echo "$what did not return within ${MODULE_SECONDS}s: the module hangs at $what"
			return 124
		fi
		ticks=$((ticks - 1))
		usleep 100000
	done
	wait "$bpid"
}

# Puts the known state back after a test and unloads the module; prints one line per thing the
# test should not have left behind.
restore_state() {
	user_procs >/tmp/procs.now
	while read -r pid comm; do
		grep -q "^$pid " /tmp/procs.base && continue
		# This shell's own subshells (the snapshot's) are its children.
		[ "$(cut -d' ' -f4 /proc/"$pid"/stat 2>/dev/null)" = $$ ] && continue
		# An insmod or rmmod the test started that is still there is blocked in the module (it
		# cannot be killed): the module hangs, and the tests after it are not run.
		case $comm in "(insmod)" | "(rmmod)")
			what=${comm#(}
			what=${what%)}
			[ -n "$hung" ] || echo "$what pid $pid did not return: the module hangs at $what"
			hung=${hung:-$what}
			continue
			;;
		esac
		# busybox's timeout leaves its watchdog child behind for up to a second: the runner's own.
		if [ "$comm" = "(timeout)" ]; then kill -9 "$pid" 2>/dev/null; continue; fi
		kill -9 "$pid" 2>/dev/null && echo "killed leftover process $pid $comm"
	done </tmp/procs.now
	fs=/sys/kernel/debug/failslab
	if [ -f $fs/probability ] && [ "$(cat $fs/probability)" != 0 ]; then
		echo 0 >$fs/probability
		echo "fault injection was left on: turned off"
	fi
	if [ -n "$hung" ]; then
		:
	elif ! grep -q '^rust_workq ' /proc/modules; then
		echo "module was not loaded: the next test loads it again"
	elif ! bounded rmmod rmmod rust_workq; then
		echo "rmmod rust_workq failed (still in use?)"
	fi
}

# Loads the module a test uses, freshly; fails with what went wrong.
load_module() {
	if grep -q '^rust_workq ' /proc/modules && ! bounded rmmod rmmod rust_workq; then
		echo "rmmod rust_workq failed before the test (still in use?)"
		return 1
	fi
	bounded insmod insmod "$1" || { echo "insmod $1 failed"; return 1; }
	[ -c $DEV ] || { echo "$DEV is missing after insmod $1"; return 1; }
}

# record FIELD...: one record on the data channel (the host's records.tsv): tab-separated fields,
# each with tabs and newlines turned into spaces.
REC=${RWQ_RECORDS:-/dev/ttyS2}
record() {
	line=
	for f in "$@"; do
		f=$(printf '%s' "$f" | tr '\t\n' '  ')
		line="$line${line:+	}$f"
	done
	printf '%s\n' "$line" >>"$REC"
}
# Every diagnostic line also goes to the data channel, as "diag NAME LINE" for the test under
# way: the host keeps what each test said as data, and prints its KTAP from that.
ktap_diag() {
	if [ $# -gt 0 ]; then printf '%s\n' "$*"; else cat; fi | tr '\t' ' ' >/tmp/diag.txt
	sed 's/^/# /' /tmp/diag.txt
	sed "s|^|diag	${name:-runner}	|" /tmp/diag.txt >>"$REC"
}

# attempt TEST LIMIT: one run of a test from the known state: its module freshly loaded, the log
# cleared; afterwards the state put back, the log scanned for splats. Sets rc (the test's status;
# 1 for a splat or its time limit) and secs; the test's output is in /tmp/test.out.
attempt() {
	rc=1
	load_module "$MOD" >/tmp/test.out 2>&1 && loaded=1 || loaded=0
	# The test starts with the log its module's loading wrote set aside (but scanned below).
	dmesg -c >/tmp/dmesg-load.log
	start=$(cut -d' ' -f1 /proc/uptime)
	if [ "$loaded" = 1 ]; then
		timeout "$2" sh -e "$1" >>/tmp/test.out 2>&1
		rc=$?
	else
		reason="not run: $(head -n 1 /tmp/test.out)"
	fi
	end=$(cut -d' ' -f1 /proc/uptime)
	dmesg -c >/tmp/dmesg-test.log
	restore_state >/tmp/restored.out 2>&1
	dmesg -c >>/tmp/dmesg-test.log
	cat /tmp/dmesg-load.log /tmp/dmesg-test.log >/tmp/dmesg-scan.log
	cat /tmp/dmesg-scan.log >>/tmp/dmesg-all.log
	ktap_diag </tmp/test.out
	if [ -s /tmp/restored.out ]; then
		ktap_diag "runner: after $name, put back for the next test:"
		sed 's/^/  /' /tmp/restored.out | ktap_diag
	fi
	# A test that checks a splat itself may allow it ("#@ allow_splat=ERE", on the line as
	# tests/splats.sh prints it): 99-kmemleak, whose scan reports its leak canary.
	splats /tests/splat-patterns /tmp/dmesg-scan.log >/tmp/splat.out
	allowed=$(header "$1" allow_splat)
	if [ -n "$allowed" ]; then
		grep -vE "$allowed" /tmp/splat.out >/tmp/splat.kept
		mv /tmp/splat.kept /tmp/splat.out
	fi
	if [ -s /tmp/splat.out ]; then
		ktap_diag "kernel log splat during $name:"
		head -n 20 /tmp/splat.out | ktap_diag
		grep -A25 -E 'WARNING:|BUG:|Oops|Call Trace' /tmp/dmesg-scan.log | head -n 40 | ktap_diag
		rc=1
		reason="kernel log splat: $(head -n 1 /tmp/splat.out)"
	fi
	[ -z "$hung" ] || reason="the module hangs at $hung (over ${MODULE_SECONDS}s)"
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	if awk -v s="$secs" -v l="$2" 'BEGIN { exit !(s >= l) }'; then
		ktap_diag "$name: killed at its time limit of ${2}s"
		rc=1
		reason="killed at its time limit of ${2}s"
	fi
}

# fetch_late NAME: a test the host serves only when its turn comes (boot.sh --late: the grader's
# hidden checks), at /late/NAME in the command line: asked for on ttyS3, written to /tmp/late/NAME.
fetch_late() {
	if [ ! -e /tmp/late ]; then
		mkdir -p /tmp/late
		stty -F /dev/ttyS3 raw -echo 2>/dev/null
		exec 5<>/dev/ttyS3
	fi
	printf 'need %s\n' "$1" >&5
	: >/tmp/late/"$1".b64
	# shellcheck disable=SC3045 # busybox sh has read -t
	while read -r -t "$MODULE_SECONDS" l <&5; do
		case $l in
		"begin $1") ;;
		end) break ;;
		"missing "*) return 1 ;;
		*) echo "$l" >>/tmp/late/"$1".b64 ;;
		esac
	done
	[ "$l" = end ] && base64 -d /tmp/late/"$1".b64 >/tmp/late/"$1" && rm -f /tmp/late/"$1".b64
}

# How often a test whose set-up did not happen (exit 3, `missed` in lib.sh) runs in all.
ATTEMPTS=${RWQ_ATTEMPTS:-3}
for arg in "$@"; do
	t=${arg%%=*}
	limit=${arg#*=}
	MOD=$DEFAULT_MOD
	case $limit in *@*) MOD=${limit#*@} limit=${limit%%@*} ;; esac
	name=${t##*/}
	name=${name%.sh}
	name=${name#[0-9][0-9]-}
	[ "$MOD" = "$DEFAULT_MOD" ] || { m=${MOD##*/}; name=$name@${m%.ko}; }
	case $t in /late/*)
		fetch_late "${t#/late/}" || ktap_diag "the host did not serve $t"
		t=/tmp/late/${t#/late/}
		;;
	esac
	if [ ! -f "$t" ]; then
		ktap_diag "no such test: $t"
		ktap_result fail "$name"
		record test "$name" fail 0 0 0 "$MOD" "no such test: $t"
		continue
	fi
	[ "$limit" -gt 0 ] 2>/dev/null || limit=60
	if [ -n "$hung" ]; then
		ktap_diag "$name: not run: the module hangs at $hung"
		ktap_result fail "$name"
		record test "$name" fail 0 0 "$limit" "$MOD" "not run: the module hangs at $hung"
		continue
	fi
	n=0
	while :; do
		n=$((n + 1))
		reason=
		attempt "$t" "$limit"
		[ "$rc" = 3 ] || break
		why=$(sed -n 's/^SETUP MISSED: //p' /tmp/test.out | head -n 1)
		ktap_diag "$name: attempt $n of $ATTEMPTS: set-up missed: $why"
		[ "$n" -lt "$ATTEMPTS" ] || break
		grep -q 'failed' /tmp/restored.out && break
	done
	ktap_diag "$name took ${secs}s (limit ${limit}s)"
	case $rc in
	0) verdict=pass ;;
	4) verdict=skip reason=$(sed -n 's/^SKIP: //p' /tmp/test.out | head -n 1) ;;
	3) verdict=inconclusive reason="set-up missed in $n attempt(s): $why" ;;
	*) verdict=fail ;;
	esac
	[ -n "$reason" ] || [ "$verdict" != fail ] || reason=$(sed -n 's/^FAIL: //p' /tmp/test.out | head -n 1)
	if [ -z "$reason" ] && [ "$rc" != 0 ] && [ "$verdict" = fail ]; then
		# Tests run under sh -e: a command that failed ends the test without a word.
		reason="exit status $rc without a FAIL line: a command in $t failed (tests run under sh -e)"
		[ "$rc" -le 128 ] || reason="killed by signal $((rc - 128))"
		ktap_diag "$name: $reason"
	fi
	case $verdict in
	pass) ktap_result pass "$name" ;;
	skip) ktap_result skip "$name" "$reason" ;;
	inconclusive)
		ktap_diag "$name inconclusive: $reason"
		ktap_result fail "$name"
		;;
	*) ktap_result fail "$name" ;;
	esac
	record test "$name" "$verdict" "$n" "$secs" "$limit" "$MOD" "$reason" \
		"$(sed -n 's/^figure: //p' /tmp/test.out | tr '\n' ' ')"
	case $t in /tmp/late/*) rm -f "$t" ;; esac
	# A state this guest cannot put back (a module that will not unload) would decide the next
	# test's verdict: ask the host for a fresh guest instead.
	if [ -z "$hung" ] && grep -q 'failed' /tmp/restored.out; then
		ktap_diag "runner: cannot restore the known state; the remaining tests get a fresh guest"
		record reboot
		exit 3
	fi
done
ktap_totals
record "done" "$KTAP_PASS" "$KTAP_FAIL" "$KTAP_SKIP"
[ "$KTAP_FAIL" = 0 ]
