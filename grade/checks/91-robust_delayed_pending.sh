# shellcheck shell=sh
# Beyond the lab: unloading while delayed work is still pending. From the kernel's tracepoints,
# KICK_DELAYED's timer was armed and its run had not started at rmmod (else the check has nothing
# to judge, and fails saying so); rmmod succeeds, and when the delay would have expired nothing
# runs (a forgotten pending item would run in freed code); the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=15
. /tests/grade-lib.sh
call KICK_DELAYED
began
if snap; then
	r=$(submitted_by "$PID" | head -n 1)
	[ -z "$r" ] || [ -z "$(field "$r" 4)" ] || missed "the delayed work ran $(ms_after "$T0" "$(field "$r" 9)") ms after KICK_DELAYED, before rmmod came"
	[ -n "$(awk -F '\t' -v p="$PID" '$1 == "pending" && $2 == p' "$RUNS")" ] ||
		gap "KICK_DELAYED leaves delayed work pending (a timer armed) for rmmod to deal with" "the ioctl armed no timer: nothing to judge (exercise 6 first)"
fi
unload "delayed work pending" 3
echo "unloaded with delayed work pending; nothing ran 3 s later; reloaded"
