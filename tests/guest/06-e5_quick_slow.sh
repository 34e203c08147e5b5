# shellcheck shell=sh
# Exercise 5: quick (Work<DeviceState, 0>) and slow (Work<DeviceState, 1>) are independent:
# quick, submitted after slow (from the same process, right after it), runs while slow sleeps.
#@ limit=10
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/lib.sh
J KICK_SLOW + KICK_QUICK || fail "KICK_SLOW + KICK_QUICK failed"
s0=$(need "^slow: sleeping $SLOW_MS ms \\[on ")
q=$(need '^quick \[on ')
s1=$(need '^slow \[on ' 3)
# The scenario needs quick submitted while slow still slept.
before "$(mark_ts issuing 2)" "$(ts "$s1")" ||
	missed "KICK_QUICK was issued at $(mark_ts issuing 2) s, after slow had finished ($(ts "$s1") s)"
slept=$(ms_between "$(ts "$s0")" "$(ts "$s1")")
[ "$slept" -ge "$SLOW_MS" ] || fail "slow slept only ${slept} ms"
after=$(ms_between "$(ts "$s0")" "$(ts "$q")")
[ "$(ms_between "$(ts "$q")" "$(ts "$s1")")" -gt 0 ] ||
	fail "quick (at +${after} ms) waited for slow (done at +${slept} ms)"
[ "$(on_pid "$q")" != "$(on_pid "$s0")" ] || fail "quick and slow ran on the same worker"
echo "slow started  +0 ms on $(on_comm "$s0") pid $(on_pid "$s0")"
echo "quick ran     +${after} ms on $(on_comm "$q") pid $(on_pid "$q")  (did not wait)"
echo "slow finished +${slept} ms"
