# shellcheck shell=sh
# Exercise 8: unloading while the self-rescheduling item runs sets the stopping flag: the item
# prints exactly one final line with "stopping", then nothing more; rmmod succeeds. The chain runs
# 1 s apart (START_RESCHED's period), and rmmod comes right after its first run, before its
# second: the kernel's timestamps show the chain was still active then, or the check runs again.
#@ exercise=8
#@ points=10
#@ limit=20
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (tests/host/slow.sh).
#@ timing
. /tests/grade-lib.sh
call START_RESCHED -v 1000
first=$(await_worker resched)
m=$(kmark "rmmod during the chain")
[ "$(ms_between "$(ts "$first")" "$m")" -lt 900 ] ||
	missed "rmmod came $(ms_between "$(ts "$first")" "$m") ms after the chain's first run, not within its 1 s period"
rmmod rust_workq || fail "rmmod failed while the self-rescheduling item was active"
one() { [ "$(worker_count stopping)" -ge 1 ]; }
wait_until 3 one || true
# Nothing more for one and a half periods after it.
usleep 1500000
n=$(worker_count stopping)
[ "$n" = 1 ] || fail "$n lines with \"stopping\" from a kworker after rmmod (expected exactly one final line)"
f=$(worker_lines stopping)
later=$(plines resched | awk -v t="$(ts "$f")" '$1 > t' | wc -l)
[ "$later" = 0 ] || fail "$later \"resched\" line(s) after the final \"stopping\" line"
insmod "$MOD" || fail "insmod failed after the rmmod"
echo "one final \"stopping\" line after $(worker_count resched) runs, nothing after it"
