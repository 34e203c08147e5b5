# shellcheck shell=sh
# Exercise 1: KICK (_IO('J', 10)) queues a work item that prints "worker ran". The line must be
# printed by a kworker, not by the process that made the ioctl.
#@ exercise=1
#@ points=10
#@ limit=10
. /tests/grade-lib.sh
call KICK
l=$(await_worker "worker ran")
[ "$(echo "$l" | cut -d' ' -f2)" != "$(caller_pid)" ] || fail "\"worker ran\" was printed by the ioctl's own process"
echo "KICK from pid $(caller_pid): \"worker ran\" printed by $(cat "/proc/$(echo "$l" | cut -d' ' -f2)/comm")"
