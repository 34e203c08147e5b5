# shellcheck shell=sh
# Exercise 6, the mechanism: KICK_DELAYED (_IO('J', 14)) schedules delayed work. From the
# kernel's tracepoints: the ioctl arms a timer for its work (timer_start of delayed_work_timer_fn:
# enqueue_delayed on a DelayedWork), the timer's expiry queues it, a kworker runs it and it prints
# a line (the words are the student's own). A work item queued at once that waits before it prints
# is not delayed work. How long the delay is, is 61-e6_two_seconds.sh's. Without a trace (no tracefs),
# a line "delayed worker ran" from a kworker is taken instead, and the output says so.
#@ exercise=6
#@ points=5
#@ limit=30
. /tests/grade-lib.sh
if ! e6_scene; then
	await_worker "delayed worker ran" 8 >/dev/null
	echo "\"delayed worker ran\" from a kworker (the timer was not verified: no tracefs on this kernel)"
	exit 0
fi
[ -n "$(field "$R" 4)" ] ||
	gap "KICK_DELAYED arms a timer (enqueue_delayed on a DelayedWork); its expiry queues the work" \
		"the ioctl (pid $PID) armed no timer and queued $FUNC at once; $WORKER started it ${START} ms after the ioctl and it ran ${RAN} ms (a work function that waits before it prints is not delayed work)" "$HINT6"
[ "$(said_count "$(field "$R" 2)")" -gt 0 ] ||
	gap "the delayed work prints a message" "$FUNC ran on $WORKER ${START} ms after KICK_DELAYED and printed nothing" "$HINT6"
echo "KICK_DELAYED (pid $PID) armed a timer; its expiry queued $FUNC, which $WORKER ran ${START} ms after the ioctl; it printed $(said "$(field "$R" 2)")"
