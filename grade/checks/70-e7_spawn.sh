# shellcheck shell=sh
# Exercise 7: SPAWN (_IOW('J', 16, u32)) runs a closure on a workqueue (Queue::try_spawn) that
# prints the value (the lab: "spawned worker saw N"). Two random values. From the kernel's
# tracepoints: each SPAWN queues the kernel crate's closure item (ClosureWork's work function,
# not a struct item of the module), a kworker runs it once, and it prints its value as a whole
# number; the words are the student's own. Without a trace (no tracefs), one line "spawned worker saw
# N" from a kworker per value is taken instead.
#@ exercise=7
#@ points=10
#@ limit=20
. /tests/grade-lib.sh
hint="workqueue::system().try_spawn(GFP_KERNEL, move || { pr_info!(\"spawned worker saw {}\\n\", val); })?"
v1=$(random_value)
v2=$((v1 + 1))
call SPAWN -v "$v1"
began
p1=$PID
call SPAWN -v "$v2"
p2=$(caller_pid)
if ! traced; then
	for v in $v1 $v2; do
		await_worker "spawned worker saw $v" >/dev/null
	done
	usleep 200000
	for v in $v1 $v2; do
		[ "$(worker_count "spawned worker saw $v")" = 1 ] || fail "\"spawned worker saw $v\" printed $(worker_count "spawned worker saw $v") times"
	done
	echo "SPAWN $v1 and $v2: each printed once by a kworker (the mechanism was not verified: no tracefs on this kernel)"
	exit 0
fi
for pv in "$p1 $v1" "$p2 $v2"; do
	# shellcheck disable=SC2086 # two words: the pid and the value
	set -- $pv
	r=$(await_run "$1" 5 "$hint")
	f=$(field "$r" 3) i=$(field "$r" 2)
	case $f in
	*ClosureWork\<*) ;;
	*) gap "SPAWN $2 queues a closure with try_spawn (the kernel crate's ClosureWork item)" "it queued $f, a work item of the module's own" "$hint" ;;
	esac
	[ "$(submitted_by "$1" | wc -l)" = 1 ] ||
		gap "one SPAWN, one closure" "SPAWN $2 submitted $(submitted_by "$1" | wc -l) work items" "$hint"
	said "$i" | grep -Eq "$(word "$2")" ||
		gap "the closure of SPAWN $2 prints $2" "the closure ran on $(field "$r" 11) and printed $(said "$i" | grep . || echo nothing)" "$hint"
	echo "SPAWN $2 (pid $1): $(field "$r" 11) ran the closure, which printed $(said "$i")"
done
