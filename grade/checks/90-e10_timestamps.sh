# shellcheck shell=sh
# Exercise 10, from the log's timestamps: the ioctl returns before its work runs; the work runs
# on a kworker, not in the caller. Observed on KICK_DELAYED: its line must come after a mark
# written once the ioctl has returned.
#@ exercise=10
#@ points=10
#@ limit=15
. /tests/grade-lib.sh
call KICK_DELAYED
r=$(mark "KICK_DELAYED returned")
l=$(await_worker "delayed worker ran" 8)
awk -v a="$r" -v b="$(ts "$l")" 'BEGIN { exit !(b > a) }' ||
	fail "\"delayed worker ran\" at $(ts "$l") s, before the ioctl returned ($r s): the ioctl waited for its work"
[ "$(echo "$l" | cut -d' ' -f2)" != "$(caller_pid)" ] || fail "the work ran in the caller"
echo "ioctl returned at $r s; the work ran at $(ts "$l") s on a kworker"
