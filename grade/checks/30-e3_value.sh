# shellcheck shell=sh
# Exercise 3: KICK_WITH_VALUE (_IOW('J', 11, u32)) hands a value to the worker, which prints it
# (the lab: "worker received: 42"). Two random values: for each, the run the ioctl queued prints
# the value (as a whole number; the words around it are free). Without a trace (no tracefs), a line
# "worker received: N" printed by a kworker is taken instead, and the output says so.
#@ exercise=3
#@ points=10
#@ limit=20
. /tests/grade-lib.sh
hint="Store the value under the Mutex<u32> in the ioctl, then enqueue; in run, lock the mutex and print the stored value."
for v in $(random_value) $(($(random_value) + 70000)); do
	log_reset
	call KICK_WITH_VALUE -v "$v"
	began
	if ! traced; then
		await_worker "worker received: $v" >/dev/null
		echo "KICK_WITH_VALUE $v: \"worker received: $v\" from a kworker (the mechanism was not verified: no tracefs on this kernel)"
		continue
	fi
	r=$(await_run "$PID" 5 "$hint")
	f=$(field "$r" 3) i=$(field "$r" 2)
	said "$i" | grep -Eq "$(word "$v")" ||
		gap "the run KICK_WITH_VALUE $v queued prints $v" "$f ran on $(field "$r" 11) and printed $(said "$i" | grep . || echo nothing)" "$hint"
	echo "KICK_WITH_VALUE $v (pid $PID) queued $f, which printed $(said "$i")"
done
