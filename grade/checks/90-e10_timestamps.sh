# shellcheck shell=sh
# Exercise 10, from the log's timestamps: the ioctl returns before its work runs; the work runs
# on a kworker, not in the caller. Observed on KICK_DELAYED: its line must come after the mark the
# tool writes once its ioctl has returned. A line before that mark is the module's fault only if
# the ioctl itself took the delay (the tool measures it); a tool that was merely slow to write its
# mark is a missed set-up, and the check runs again.
#@ exercise=10
#@ points=10
#@ limit=15
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (tests/host/slow.sh).
#@ timing
. /tests/grade-lib.sh
call KICK_DELAYED
r=$(mark_ts returned 1)
l=$(await_worker "delayed worker ran" 8)
if ! before "$r" "$(ts "$l")"; then
	us=$(call_us)
	[ "${us:-0}" -lt 1900000 ] ||
		fail "\"delayed worker ran\" at $(ts "$l") s, before the ioctl returned ($r s, after $((us / 1000)) ms): the ioctl waited for its work"
	missed "the ioctl returned after ${us} us, but the tool's mark came only at $r s, after the work ran ($(ts "$l") s)"
fi
[ "$(echo "$l" | cut -d' ' -f2)" != "$(caller_pid)" ] || fail "the work ran in the caller"
echo "ioctl returned at $r s; the work ran at $(ts "$l") s on a kworker"
