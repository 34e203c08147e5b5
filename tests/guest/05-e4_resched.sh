# shellcheck shell=sh
# Exercise 4: the self-rescheduling item re-enqueues itself until its AtomicUsize-style counter
# reaches the limit (10), then the log stops growing.
#@ limit=15
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/lib.sh
J START_RESCHED -v 0 || fail "START_RESCHED failed"
need '^resched: limit of 10 runs reached, not rescheduling$' 10 >/dev/null
runs=$(lines '^resched: run [0-9]+/10 \[on ' | sed 's/.*run \([0-9]*\)\/10.*/\1/' | tr '\n' ' ')
[ "$runs" = "1 2 3 4 5 6 7 8 9 10 " ] || fail "runs were '$runs', expected 1..10 in order"
n=$(rlog | wc -l)
usleep 300000
[ "$(rlog | wc -l)" = "$n" ] || fail "the log kept growing after the limit"
# A start while a chain is under way is dropped: the second start comes from the same process
# right after the first, while the 10 x 200 ms chain runs (its end must come after it).
log_reset
J START_RESCHED -v 200 + START_RESCHED -v 200 || fail "START_RESCHED + START_RESCHED failed"
e=$(need '^resched: limit of 10 runs reached, not rescheduling$' 10)
before "$(mark_ts issuing 2)" "$(ts "$e")" ||
	missed "the chain ended at $(ts "$e") s, before the second start ($(mark_ts issuing 2) s)"
need '^resched: queued \[from ' >/dev/null
need '^resched: already queued \[from ' >/dev/null
echo "10 runs then silence; a second start during a chain was dropped"
