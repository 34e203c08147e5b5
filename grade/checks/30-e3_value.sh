# shellcheck shell=sh
# Exercise 3: KICK_WITH_VALUE (_IOW('J', 11, u32)) hands a value to the worker, which prints
# "worker received: N". Two random values, each printed by a kworker.
#@ exercise=3
#@ points=10
#@ limit=10
. /tests/grade-lib.sh
for v in $(random_value) $(($(random_value) + 70000)); do
	call KICK_WITH_VALUE -v "$v"
	await_worker "worker received: $v" >/dev/null
	echo "KICK_WITH_VALUE $v: \"worker received: $v\" from a kworker"
done
