# shellcheck shell=sh
# Exercise 4: START_RESCHED (_IOW('J', 15, u32), the period in ms) starts a work item that
# re-enqueues itself, printing a line with "resched" on each run, until a counter stops it: at
# least 3 runs, then the log stops growing.
#@ exercise=4
#@ points=10
#@ limit=25
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (tests/host/slow.sh).
#@ timing
. /tests/grade-lib.sh
call START_RESCHED -v 20
three() { [ "$(worker_count resched)" -ge 3 ]; }
wait_until 5 three || fail "fewer than 3 \"resched\" lines from a kworker within 5s ($(worker_count resched))"
# Stopped: no new line for a second (50 periods).
quiet() {
	a=$(worker_count resched)
	usleep 1000000
	[ "$(worker_count resched)" = "$a" ]
}
wait_until 5 quiet || fail "still rescheduling after 5s ($(worker_count resched) runs): the counter never stops it"
echo "$(worker_count resched) runs, then the log stopped growing"
