# shellcheck shell=sh
# Exercise 5: two work items in one struct (two IDs): KICK_SLOW (_IO('J', 13)) then KICK_QUICK
# (_IO('J', 12)) at once. From the kernel's tracepoints: each ioctl queues a work function, the
# two are distinct functions (neither submission coalesced into the other), both run on kworkers
# and each prints a line; the words are the student's own. Whether quick ran while slow slept is
# the student's design (the lab allows a busy-loop), reported, not judged. Without a complete
# trace, "quick" and "slow" lines from kworkers are taken instead.
#@ exercise=5
#@ points=10
#@ limit=15
. /tests/grade-lib.sh
hint="Two Work fields with IDs 0 and 1 (two impl_has_work!, two WorkItem impls); enqueue the second with enqueue::<Arc<DeviceState>, 1>(...)."
call KICK_SLOW
began
slow=$PID
call KICK_QUICK
quick=$(caller_pid)
if ! traced; then
	await_worker slow >/dev/null
	await_worker quick >/dev/null
	echo "KICK_SLOW, KICK_QUICK: \"slow\" and \"quick\" from kworkers (the mechanism was not verified: no tracefs on this kernel)"
	exit 0
fi
both() { has_run "$slow" && has_run "$quick"; }
if ! wait_until 5 both; then
	snap
	for who in "SLOW $slow" "QUICK $quick"; do
		# shellcheck disable=SC2086 # two words: the name and the pid
		set -- $who
		[ -n "$(submitted_by "$2")" ] ||
			gap "KICK_SLOW then KICK_QUICK at once: each queues its own work function" \
				"KICK_$1 (pid $2) queued nothing (the item it enqueued was still pending: one item serves both?)" "$hint"
	done
	gap "KICK_SLOW then KICK_QUICK at once: both work functions run within $(scaled 5) s" "not both ran" "$hint"
fi
rs=$(submitted_by "$slow" | head -n 1) rq=$(submitted_by "$quick" | head -n 1)
fs=$(field "$rs" 3) fq=$(field "$rq" 3)
[ "$fs" != "$fq" ] ||
	gap "quick and slow are two work items: two distinct work functions (WorkItem<0> and WorkItem<1>)" \
		"KICK_SLOW and KICK_QUICK both queued $fs" "$hint"
for r in "$rs" "$rq"; do
	[ "$(said_count "$(field "$r" 2)")" -gt 0 ] ||
		gap "each work function prints a line (\"quick\", \"slow\")" "$(field "$r" 3) ran on $(field "$r" 11) and printed nothing" "$hint"
done
# What the student is to explain: did quick run while slow was still running?
qs=$(field "$rq" 9) ss=$(field "$rs" 9) se=$(field "$rs" 10)
if [ "$qs" -gt "$ss" ] && [ "$qs" -lt "$se" ]; then
	seen="quick ran inside slow's run ($(took "$rs") ms), on another worker ($(field "$rq" 11) while $(field "$rs" 11) ran slow)"
elif [ "$qs" -ge "$se" ]; then
	seen="quick waited for slow to end ($(took "$rs") ms): they ran one after the other"
else
	seen="quick ran before slow started"
fi
echo "KICK_SLOW queued $fs, KICK_QUICK queued $fq; $seen"
