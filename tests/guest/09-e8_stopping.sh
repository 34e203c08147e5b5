# shellcheck shell=sh
# Exercise 8: unloading while the self-rescheduling item is active sets the stopping flag; the
# item prints exactly one final message, then nothing; the state is freed.
#@ limit=15
. /tests/lib.sh
J START_RESCHED -v 200 || fail "START_RESCHED failed"
need '^resched: run 2/10 ' 3 >/dev/null
rmmod rust_workq || fail "rmmod failed"
f=$(need '^resched: stopping flag set, final run, not rescheduling \[on ')
[ "$(count '^resched: stopping flag set')" = 1 ] || fail "final message printed more than once"
need '^device state freed$' >/dev/null
later=$(rlog | awk -v t="$(ts "$f")" '$1 > t && / resched: /' | wc -l)
[ "$later" = 0 ] || fail "$later resched line(s) after the final one"
insmod "$MOD" || fail "insmod failed"
usleep 500000
[ "$(count '^resched: run ')" -lt 10 ] || fail "the chain went on"
echo "one final message after $(count '^resched: run ') runs; nothing after it"
