# shellcheck shell=sh
# Exercise 7: SPAWN (_IOW('J', 16, u32)) runs a try_spawn closure that saw the value.
#@ limit=10
. /tests/lib.sh
for v in 7 8 9; do J SPAWN -v $v || fail "SPAWN $v failed"; done
for v in 7 8 9; do need "^spawned worker saw $v \\[on kworker pid [0-9]+\\]\$" >/dev/null; done
[ "$(stat_of spawn ran)" = 3 ] || fail "stats: spawn ran != 3"
echo "three closures ran, each with its own value"
