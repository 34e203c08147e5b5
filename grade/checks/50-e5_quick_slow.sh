# shellcheck shell=sh
# Exercise 5: two work items in one struct: KICK_QUICK (_IO('J', 12)) makes a kworker print
# "quick", KICK_SLOW (_IO('J', 13)) makes one print "slow".
#@ exercise=5
#@ points=10
#@ limit=10
. /tests/grade-lib.sh
call KICK_QUICK
await_worker quick >/dev/null
call KICK_SLOW
await_worker slow >/dev/null
[ "$(worker_count quick)" -ge 1 ] || fail "no \"quick\" line"
echo "KICK_QUICK: \"quick\" from a kworker; KICK_SLOW: \"slow\" from a kworker"
