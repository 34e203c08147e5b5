# shellcheck shell=sh
# Exercise 8: unloading while the self-rescheduling item is active sets the stopping flag; the
# item prints exactly one final message, then nothing; the state is freed.
# The chain (10 runs 1 s apart) is still running when rmmod comes, on any machine; the log shows
# that it was (fewer than 10 runs before the mark written just before rmmod).
#@ limit=20
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/lib.sh
J START_RESCHED -v 1000 || fail "START_RESCHED failed"
need '^resched: run 2/10 ' 5 >/dev/null
m=$(kmark "rmmod during the chain")
rmmod rust_workq || fail "rmmod failed"
end=$(first_line '^resched: limit of 10 runs reached') || true
[ -z "$end" ] || before "$m" "$(ts "$end")" || missed "the chain had ended ($(ts "$end") s) before rmmod ($m s)"
f=$(need '^resched: stopping flag set, final run, not rescheduling \[on ')
[ "$(count '^resched: stopping flag set')" = 1 ] || fail "final message printed more than once"
need '^device state freed$' >/dev/null
later=$(rlog | awk -v t="$(ts "$f")" '$1 > t && / resched: /' | wc -l)
[ "$later" = 0 ] || fail "$later resched line(s) after the final one"
insmod "$MOD" || fail "insmod failed"
usleep 500000
[ "$(count '^resched: run ')" -lt 10 ] || fail "the chain went on"
echo "one final message after $(count '^resched: run ') runs; nothing after it"
