# shellcheck shell=sh
# Exercise 8: unloading while the self-rescheduling item runs sets the stopping flag: the item
# prints exactly one final line with "stopping", then nothing more; rmmod succeeds.
#@ exercise=8
#@ points=10
#@ limit=15
. /tests/grade-lib.sh
call START_RESCHED -v 200
await_worker resched >/dev/null
rmmod rust_workq || fail "rmmod failed while the self-rescheduling item was active"
usleep 600000
n=$(worker_count stopping)
[ "$n" = 1 ] || fail "$n lines with \"stopping\" from a kworker after rmmod (expected exactly one final line)"
f=$(worker_lines stopping)
later=$(plines resched | awk -v t="$(ts "$f")" '$1 > t' | wc -l)
[ "$later" = 0 ] || fail "$later \"resched\" line(s) after the final \"stopping\" line"
insmod "$MOD" || fail "insmod failed after the rmmod"
echo "one final \"stopping\" line after $(worker_count resched) runs, nothing after it"
