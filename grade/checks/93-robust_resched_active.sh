# shellcheck shell=sh
# Beyond the lab: unloading while the self-rescheduling chain re-enqueues itself every 50 ms. From
# the kernel's tracepoints, the chain was active at rmmod: a run it submitted before rmmod had not
# run yet (else it had ended: the set-up missed, the check runs again). rmmod succeeds, nothing
# runs after it, the module loads again.
#@ exercise=robustness
#@ points=5
#@ limit=15
. /tests/grade-lib.sh
call START_RESCHED -v 50
began
if trace_complete; then
	ran() { snap && [ "$(chain_runs "$PID")" -ge 1 ]; }
	wait_until 5 ran || gap "START_RESCHED's chain runs, for rmmod to come during it" "no run of it ended within $(scaled 5) s"
fi
unload "the self-rescheduling chain active"
if snap; then
	# Active: the chain's next run was submitted before rmmod began and had not started by then.
	[ "$(chain "$PID" | grep -c .)" -gt 1 ] ||
		gap "a self-rescheduling chain (exercise 4) for rmmod to stop" "START_RESCHED's run queued no next run: no chain to stop"
	chain "$PID" | awk -F '\t' -v m="$M1" '{ s = ($5 != "" ? $5 : $7) } s / 1e9 < m && ($9 == "" || $9 / 1e9 > m) { ok = 1 } END { exit !ok }' ||
		missed "the chain had ended ($(chain "$PID" | grep -c .) runs) before rmmod began"
fi
echo "unloaded during a chain with a period of 50 ms; nothing after; reloaded"
