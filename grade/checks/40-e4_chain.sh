# shellcheck shell=sh
# Exercise 4, the chain: START_RESCHED (_IOW('J', 15, u32), the period in ms) starts a work item
# that re-enqueues itself. From the kernel's tracepoints: at least 3 runs of one work function,
# the first queued by the ioctl, each next one submitted from inside the previous run (by its
# worker, while it ran), each printing a line; one long run that loops is not a chain. Without a
# trace (no tracefs), 3 lines with "resched" from a kworker are taken instead.
#@ exercise=4
#@ points=5
#@ limit=25
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
# shellcheck disable=SC2317 # predicates for wait_until, called indirectly
. /tests/grade-lib.sh
e4_scene
if ! traced; then
	three() { [ "$(worker_count resched)" -ge 3 ]; }
	wait_until 5 three || fail "fewer than 3 \"resched\" lines from a kworker within 5s ($(worker_count resched)) (no tracefs on this kernel: the words were counted)"
	echo "3 \"resched\" lines from a kworker (no tracefs on this kernel: the words were counted)"
	exit 0
fi
three() { snap && [ "$(chain_runs "$PID")" -ge 3 ]; }
if ! wait_until 5 three; then
	c=$(chain "$PID")
	r=$(echo "$c" | head -n 1)
	did="the ioctl started no run"
	[ -z "$r" ] || did="the ioctl queued $(field "$r" 3); $(echo "$c" | grep -c .) run(s) followed one from another"
	[ -z "$r" ] || [ "$(echo "$c" | grep -c .)" != 1 ] || [ -z "$(field "$r" 10)" ] ||
		did="$did: one run of $(took "$r") ms that printed $(said_count "$(field "$r" 2)") line(s) and queued no next run (a loop inside one run is not a chain)"
	gap "START_RESCHED starts a chain: at least 3 runs of one work function, each queued from inside the previous run, within $(scaled 5) s" "$did" "$HINT4"
fi
for i in $(chain "$PID" | head -n 3 | cut -f 2); do
	[ "$(said_count "$i")" -gt 0 ] ||
		gap "each run of the chain prints a line, then re-enqueues" "run $i of the chain printed nothing" "$HINT4"
done
r=$(chain "$PID" | head -n 1)
echo "START_RESCHED queued $(field "$r" 3); $(chain_runs "$PID") runs so far, each queued from inside the one before"
