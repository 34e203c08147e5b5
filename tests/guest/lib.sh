# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest tests. Each test runs in its own `sh -e` with the kernel log cleared
# just before it, so `dmesg` shows only what the test caused. A test exits 0 (pass), 1 (fail) or
# 4 (skip), or 3 when the scenario it needs did not happen (`missed`: the runner runs it again);
# what it prints becomes KTAP diagnostics. `fail` writes to stderr so that it is seen even from
# inside $(...), whose failure then ends the test through `sh -e`.
#
# TIMEOUT_MUL is the machine's speed factor (the host measures it, harness/boot.py): every
# wait below is that many times longer on a slower or busier machine.

. /etc/profile
DEV=/dev/mydevice
# The module under test (the runner exports it; the reference by default).
MOD=${MOD:-/lib/modules/rust_workq.ko}
# How long the slow item sleeps: SLOW_SLEEP_MS in ioctl_abi.rs.
# shellcheck disable=SC2034 # for the tests that source this file
SLOW_MS=200

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 4
}

# missed REASON: the set-up this test needs did not happen (the machine was too slow for it, as
# the kernel's own timestamps show); not a verdict on the module. The runner runs the test again
# from the known state, a bounded number of times, then calls it inconclusive. On stderr, as
# fail's: said inside a command substitution, it still reaches the runner.
missed() {
	echo "SETUP MISSED: $*" >&2
	exit 3
}

TIMEOUT_MUL=${TIMEOUT_MUL:-1}
# scaled SECONDS: SECONDS times the speed factor, rounded up to a whole second.
scaled() {
	awk -v s="$1" -v f="$TIMEOUT_MUL" 'BEGIN { x = s * f; printf "%d", (x == int(x)) ? x : int(x) + 1 }'
}

# The module's log lines whose MESSAGE matches the ERE $1 (anchor it with ^ and $), as
# "TIMESTAMP MESSAGE": the "rust_workq: " prefix and the printing task that CONFIG_PRINTK_CALLER
# adds after the timestamp ("[   T36]") removed.
lines() {
	dmesg | P="$1" awk '
	sub(/^\[ */, "") && sub(/\](\[ *[TC][0-9]+\])? rust_workq: /, " ") {
		m = $0; sub(/^[^ ]* /, "", m); if (m ~ ENVIRON["P"]) print
	}'
}

# All of the module's log lines, as "TIMESTAMP MESSAGE".
rlog() {
	lines ''
}

count() {
	lines "$1" | wc -l
}

# floor N: a count that even a slow machine reaches (a soak test's floor), divided by the speed
# factor, rounded down.
floor() {
	awk -v n="$1" -v f="$TIMEOUT_MUL" 'BEGIN { printf "%d", n / f }'
}

# wait_until SECONDS COMMAND...: polls COMMAND every 20 ms until it succeeds (returns 0) or
# SECONDS (times the speed factor) of wall-clock time have passed (returns 1).
wait_until() {
	end=$(awk -v s="$1" -v f="$TIMEOUT_MUL" '{ printf "%d", ($1 + s * f) * 100 }' /proc/uptime)
	shift
	until "$@"; do
		[ "$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)" -lt "$end" ] || return 1
		usleep 20000
	done
}

# The first module line matching $1, or nothing (status 1).
first_line() {
	l=$(lines "$1" | head -n 1)
	[ -n "$l" ] && echo "$l"
}

# Waits up to $2 seconds (default 5) for a module line matching $1 and prints the first one.
wait_for() {
	wait_until "${2:-5}" first_line "$1" >/dev/null && first_line "$1"
}

# Like wait_for, but fails the test with a message naming the pattern.
need() {
	wait_for "$@" || fail "no log line matching '$1' within $(scaled "${2:-5}")s"
}

# The ioctl tool's marks (J and call pass --marks): "TIMESTAMP TEXT" of each line the tool wrote,
# "issuing 0x00004a0d (1 of 2)" before call 1 of 2 and "0x00004a0d returned after 35 us (1 of 2)"
# after it. mark_ts issuing|returned N: the timestamp of call N's mark.
marks() {
	dmesg | sed -n 's/^\[ *\([0-9.]*\)\]\(\[ *[TC][0-9]*\]\)\{0,1\} ioctl: /\1 /p'
}
mark_ts() {
	case $1 in
	issuing) marks | awk -v n="($2 of " '$2 == "issuing" && index($0, n) { print $1; exit }' ;;
	*) marks | awk -v n="($2 of " '$3 == "returned" && index($0, n) { print $1; exit }' ;;
	esac
}
# before A B: whether timestamp A is earlier than timestamp B.
before() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

ts() { echo "${1%% *}"; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
# The pid a work item's line names ("[on kworker pid N]") and an ioctl's ("[from pid N]").
on_pid() { echo "$1" | sed -n 's/.*\[on kworker pid \([0-9]*\)\]$/\1/p'; }
from_pid() { echo "$1" | sed -n 's/.*\[from pid \([0-9]*\)\]$/\1/p'; }
# on_comm LINE: the name of the worker that printed a work item's line, from /proc, without the
# queue /proc adds for the item it ran last ("kworker/0:1H-events_highpri": kworker/0:1H).
on_comm() {
	sed 's|^\(kworker/[0-9u]*:[0-9]*H\{0,1\}\)[-+].*|\1|' "/proc/$(on_pid "$1")/comm" 2>/dev/null ||
		echo "(pid $(on_pid "$1") gone)"
}
# highpri COMM: whether COMM is a worker of a high-priority pool ("kworker/0:1H", "kworker/0:1H-...").
highpri() { echo "$1" | grep -Eq '^kworker/[0-9u]+:[0-9]+H([-+]|$)'; }

# The ABI's commands by name: IOCTL_KICK='-t J -n 10 -d none', ... (from ioctl_abi.rs).
eval "$(ioctl --sh-env)"

# J NAME [-v VALUE] [+ NAME [-v VALUE]]...: the lab's tool on the device, each command named as
# in the ABI (J KICK, J KICK_WITH_VALUE -v 42). Commands joined by "+" go to one invocation of
# the tool, issued back to back from one process (J KICK_SLOW + KICK_QUICK), each call marked in
# the kernel log (see marks).
J() {
	set -- "$@" +
	cmd_args=
	while [ $# -gt 0 ]; do
		args_of "$1"
		shift
		part=$args
		while [ "$1" != + ]; do
			part="$part $1"
			shift
		done
		shift
		cmd_args="$cmd_args${cmd_args:+ --then }$part"
	done
	# shellcheck disable=SC2086 # $cmd_args is the tool's argument list
	ioctl "$DEV" --marks $cmd_args
}

# args_of NAME: sets $args to the tool's arguments for the ABI's command NAME, or fails the test.
args_of() {
	eval "args=\${IOCTL_$1:-}"
	[ -n "$args" ] || fail "no ioctl command named '$1' (ioctl --sh-env lists them)"
}

# A field of `ioctl --stats`: stat_of ITEM FIELD.
stat_of() {
	ioctl "$DEV" --stats | sed -n "s/^$1 .*$2=\([0-9]*\).*/\1/p"
}

# Unloads and reloads the module, checking both directions in the log.
reload() {
	rmmod rust_workq || fail "rmmod failed"
	need '^device state freed$' 5 >/dev/null
	insmod "$MOD" || fail "insmod failed"
	[ -c "$DEV" ] || fail "$DEV missing after insmod"
}

# kmark TEXT: writes "test: TEXT" to the kernel log; prints its timestamp.
kmark() {
	echo "<6>test: $1" >/dev/kmsg
	kmark_ts "$1"
}
# kmark_ts TEXT: the timestamp of the last mark "test: TEXT" in the kernel log (a mark written
# earlier, when reading the log at once would cost a test its timing).
kmark_ts() {
	dmesg | sed -n "s/^\\[ *\\([0-9.]*\\)\\].* test: $1\$/\\1/p" | tail -n 1
}

# Moves the kernel log into the runner's archive and clears it.
log_reset() {
	dmesg -c >>/tmp/dmesg-all.log
}
