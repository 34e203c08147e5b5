# shellcheck shell=sh
# Exercise 1: KICK (_IO('J', 10)) queues a work item, which a worker runs after the ioctl and
# which prints a message: from the kernel's tracepoints, the ioctl's task queues one of the
# module's work functions, a kworker (not the caller) executes it, and that execution prints a
# line. The words are the student's own. Without a trace (no tracefs), a line with
# "worker ran" printed by a kworker is taken instead, and the output says so.
#@ exercise=1
#@ points=10
#@ limit=20
. /tests/grade-lib.sh
hint="Embed a Work<DeviceState> field (impl_has_work!), implement WorkItem so that run calls pr_info!, and in the ioctl pass a clone of the Arc to workqueue::system().enqueue(...)."
call KICK
began
if ! traced; then
	l=$(await_worker "worker ran")
	[ "$(echo "$l" | cut -d' ' -f2)" != "$PID" ] || fail "\"worker ran\" was printed by the ioctl's own process"
	echo "KICK: \"worker ran\" printed by a kworker (the mechanism was not verified: no tracefs on this kernel)"
	exit 0
fi
r=$(await_run "$PID" 5 "$hint")
f=$(field "$r" 3) worker=$(field "$r" 11) i=$(field "$r" 2)
[ "$(field "$r" 8)" != "$PID" ] ||
	gap "a worker runs the work function" "$f ran in the ioctl's own task (pid $PID)" "$hint"
[ "$(said_count "$i")" -gt 0 ] ||
	gap "the work function prints a message" "$f ran on $worker $(ms_after "$T0" "$(field "$r" 9)") ms after KICK and printed nothing" "$hint"
echo "KICK (pid $PID) queued $f; $worker ran it $(ms_after "$T0" "$(field "$r" 9)") ms later; it printed $(said "$i")"
