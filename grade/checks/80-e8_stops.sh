# shellcheck shell=sh
# Exercise 8, the flag: unloading while the self-rescheduling chain is active sets the stopping
# flag; the chain's work function then runs exactly once more (its final run, which does not
# re-enqueue) and never again, and rmmod succeeds. From the kernel's tracepoints (e8_scene in
# grade/lib.sh: a period of 1 s times the speed factor, rmmod right after the first run). Without
# a trace (no tracefs), exactly one line with "stopping" from a kworker is taken instead.
#@ exercise=8
#@ points=5
#@ limit=25
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/grade-lib.sh
if ! e8_scene; then
	await_worker resched >/dev/null
	rmmod rust_workq || fail "rmmod failed while the self-rescheduling item was active"
	usleep $((PERIOD * 1500))
	n=$(worker_count stopping)
	[ "$n" = 1 ] || fail "$n lines with \"stopping\" from a kworker after rmmod, expected exactly one (no tracefs on this kernel: the words were counted)"
	insmod "$MOD" || fail "insmod failed after the rmmod"
	echo "one final \"stopping\" line (no tracefs on this kernel: the words were counted)"
	exit 0
fi
n=$(printf '%s' "$FINAL" | awk 'END { print NR }')
[ "$n" = 1 ] ||
	gap "after rmmod, the chain's work function runs exactly once more (it sees the stopping flag and does not re-enqueue), then never again" \
		"after rmmod began, $FN ran $n time(s)" "$HINT8"
echo "rmmod during the chain: $FN ran once more, $(ms_after "$TM1" "$(field "$FINAL" 9)") ms after rmmod began, and not again"
