# shellcheck shell=sh
# Beyond the lab: unloading while the slow item runs. From the kernel's tracepoints, KICK_SLOW's
# run had started and not ended when rmmod began, 20 ms after the ioctl (else the check has nothing to judge: it fails
# saying so when the run is too short to catch, under 20 ms; runs again when rmmod merely came
# late); rmmod waits for it or stops it safely, nothing runs after, the module loads again.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call KICK_SLOW
PID=$(caller_pid)
# rmmod at once: polling the trace first costs hundreds of ms on the debug kernel, longer than
# slow sleeps. Whether slow was running when rmmod began is read from the trace afterwards.
usleep 20000
unload "the slow item running"
began
if snap; then
	r=$(submitted_by "$PID" | head -n 1)
	[ -n "$r" ] || gap "KICK_SLOW's work runs, for rmmod to come during it" "KICK_SLOW queued nothing"
	start=$(field "$r" 9) end=$(field "$r" 10)
	[ -n "$start" ] && before "$(awk -v n="$start" 'BEGIN { printf "%.6f", n / 1e9 }')" "$TM1" ||
		missed "slow had not started when rmmod began"
	if [ -n "$end" ] && before "$(awk -v n="$end" 'BEGIN { printf "%.6f", n / 1e9 }')" "$TM1"; then
		[ "$(took "$r")" -ge 20 ] || gap "slow sleeps (a few jiffies), so that rmmod can come while it runs" "its run lasted $(took "$r") ms and ended before rmmod: nothing to judge"
		missed "slow's run ($(took "$r") ms) ended $(ms_after "$TM1" "$end" | tr -d -) ms before rmmod began"
	fi
fi
echo "unloaded with the slow item running; nothing after; reloaded"
