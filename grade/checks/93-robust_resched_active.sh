# shellcheck shell=sh
# Beyond the lab: unloading while the self-rescheduling chain re-enqueues itself every 100 ms (times the speed factor). From
# the kernel's tracepoints, the chain was active at rmmod: a run it submitted before rmmod had not
# run yet (else it had ended: the set-up missed, the check runs again). rmmod succeeds, nothing
# runs after it, the module loads again.
#@ exercise=robustness
#@ points=5
#@ limit=15
. /tests/grade-lib.sh
period=$(($(scaled 1) * 100))
call START_RESCHED -v "$period"
PID=$(caller_pid)
# rmmod after one and a half periods, without polling the trace (slow on the debug kernel); the
# trace read afterwards says whether the chain was active then.
usleep $((period * 1500))
unload "the self-rescheduling chain active"
began
if snap; then
	one=$(chain "$PID" | head -n 1)
	[ -n "$(field "$one" 9)" ] || missed "the chain's first run had not started when rmmod began"
	if [ "$(chain "$PID" | grep -c .)" = 1 ]; then
		before "$(awk -v n="$(field "$one" 10)" -v p="$period" 'BEGIN { printf "%.6f", n / 1e9 + 2 * p / 1000 }')" "$TM1" ||
			missed "rmmod came before the chain's second run"
		gap "a self-rescheduling chain (exercise 4) for rmmod to stop" "START_RESCHED's run queued no next run in two periods: no chain to stop"
	fi
	# Active: the chain's next run was submitted before rmmod began and had not started by then.
	chain "$PID" | awk -F '\t' -v m="$TM1" '{ s = ($5 != "" ? $5 : $7) } s / 1e9 < m && ($9 == "" || $9 / 1e9 > m) { ok = 1 } END { exit !ok }' ||
		missed "the chain had ended ($(chain "$PID" | grep -c .) runs) before rmmod began"
fi
echo "unloaded during a chain with a period of $period ms; nothing after; reloaded"
