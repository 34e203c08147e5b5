# shellcheck shell=sh
# Beyond the lab: unloading while the slow item runs. From the kernel's tracepoints, KICK_SLOW's
# run had started and not ended when rmmod began (else the check has nothing to judge: it fails
# saying so when the run is too short to catch, under 20 ms; runs again when rmmod merely came
# late); rmmod waits for it or stops it safely, nothing runs after, the module loads again.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call KICK_SLOW
began
if trace_complete; then
	started() { snap && [ -n "$(submitted_by "$PID" | awk -F '\t' '$9 != ""')" ]; }
	wait_until 5 started || gap "KICK_SLOW's work runs, for rmmod to come during it" "nothing it submitted started within $(scaled 5) s"
fi
unload "the slow item running"
if snap; then
	r=$(submitted_by "$PID" | head -n 1)
	end=$(field "$r" 10)
	if [ -n "$end" ] && ! before "$M1" "$(awk -v n="$end" 'BEGIN { printf "%.6f", n / 1e9 }')"; then
		[ "$(took "$r")" -ge 20 ] || gap "slow sleeps (a few jiffies), so that rmmod can come while it runs" "its run lasted $(took "$r") ms and ended before rmmod: nothing to judge"
		missed "slow's run ($(took "$r") ms) ended $(ms_after "$M1" "$end" | tr -d -) ms before rmmod began"
	fi
fi
echo "unloaded with the slow item running; nothing after; reloaded"
