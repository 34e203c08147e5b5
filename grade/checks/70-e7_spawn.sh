# shellcheck shell=sh
# Exercise 7: SPAWN (_IOW('J', 16, u32)) runs a closure on a workqueue that prints "spawned
# worker saw N": two random values, each printed once, by a kworker.
#@ exercise=7
#@ points=10
#@ limit=10
. /tests/grade-lib.sh
v1=$(random_value)
v2=$((v1 + 1))
call SPAWN -v "$v1"
call SPAWN -v "$v2"
for v in $v1 $v2; do
	await_worker "spawned worker saw $v" >/dev/null
done
usleep 200000
for v in $v1 $v2; do
	[ "$(worker_count "spawned worker saw $v")" = 1 ] || fail "\"spawned worker saw $v\" printed $(worker_count "spawned worker saw $v") times"
done
echo "SPAWN $v1 and $v2: each printed once by a kworker"
