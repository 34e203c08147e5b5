# shellcheck shell=sh
# Exercise 2: every KICK submission says whether it was "queued" or "already queued" (one line
# each, printed by the ioctl's process), and a burst of KICKs finds the item still pending
# (whatever the work item prints is exercise 1's and 3's business). The burst comes from one real-time process
# on CPU 0 (ioctl --hog-cpu0), so that the kworker of CPU 0, where a per-CPU queue runs the item,
# cannot run before the burst ends; later rounds (for an item on an unbound queue) repeat it.
#@ exercise=2
#@ points=10
#@ limit=20
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (tests/host/slow.sh).
#@ timing
. /tests/grade-lib.sh
burst=200
for round in 1 2 3; do
	log_reset
	call KICK --repeat $burst --hog-cpu0
	pid=$(caller_pid)
	mine() { plines "$1" | awk -v p="$pid" '$2 == p'; }
	already=$(mine "$(word 'already queued')" | wc -l)
	queued=$(($(mine "$(word queued)" | wc -l) - already))
	[ $((queued + already)) = $burst ] ||
		fail "$burst KICKs printed $queued \"queued\" and $already \"already queued\" lines: expected one per submission"
	[ "$already" -gt 0 ] && break
done
[ "$already" -gt 0 ] || fail "3 bursts of $burst KICKs never reported \"already queued\""
echo "burst $round of $burst KICKs: $queued queued, $already already queued"
