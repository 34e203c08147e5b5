# shellcheck shell=sh
# Exercise 10: the ioctl returns before its work runs, and the work runs on a worker, not in the
# caller. Observed on KICK_DELAYED: from the kernel's tracepoints, its run is on a kworker and
# its message (the lab: "the message timestamp") comes after the mark the tool writes once its
# ioctl has returned. A run before that mark is the
# module's fault only if the ioctl itself took the delay (the tool measures it); a tool that was
# merely slow to write its mark is a missed set-up, and the check runs again. Without a complete
# trace, the line "delayed worker ran" is timed instead.
#@ exercise=10
#@ points=10
#@ limit=30
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/grade-lib.sh
hint="Enqueue and return: the ioctl must not wait for its work (no sleep, no flush in the handler)."
call KICK_DELAYED
began
ret=$(mark_ts returned 1)
if traced; then
	R=$(await_run "$PID" 8 "$hint")
	# When the work's message came (the lab's "message timestamp"), else when it started.
	at=$(awk -F '\t' -v i="$(field "$R" 2)" -v s="$(field "$R" 9)" '$1 == "line" && $2 == i { s = $3; exit }
		END { printf "%.6f", s / 1e9 }' "$RUNS")
	what="the work ($(field "$R" 3), on $(field "$R" 11)) printed its message"
	[ "$(said_count "$(field "$R" 2)")" -gt 0 ] || what="the work ($(field "$R" 3), on $(field "$R" 11)) started"
	[ "$(field "$R" 8)" != "$PID" ] || gap "the work runs on a worker" "$what: the caller's own task" "$hint"
else
	l=$(await_worker "delayed worker ran" 8)
	at=$(ts "$l") what="\"delayed worker ran\" (no tracefs on this kernel: the line was timed)"
fi
if ! before "$ret" "$at"; then
	us=$(call_us)
	[ "${us:-0}" -lt 1900000 ] ||
		gap "the ioctl returns before its work runs" "$what $(ms_between "$T0" "$at") ms after KICK_DELAYED, while the ioctl was still in the kernel: it returned after $((us / 1000)) ms" "$hint"
	missed "the ioctl returned after ${us} us, but the tool's mark came only at $ret s, after the work ran ($at s)"
fi
echo "KICK_DELAYED returned $(ms_between "$T0" "$ret") ms after it was issued; $what $(ms_between "$T0" "$at") ms after it"
