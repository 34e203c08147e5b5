# shellcheck shell=sh
# The lab's own "Verify" commands, typed as the lab gives them, show what the lab says they show:
# `dmesg | tail` after KICK (E1) and KICK_WITH_VALUE (E3), `dmesg -w` following the
# self-rescheduling item (E4), `dmesg -T -w` with wall-clock stamps (E10).
#@ limit=20
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/lib.sh
ioctl /dev/mydevice -t J -n 10 -d none
need '^worker ran ' >/dev/null
dmesg | tail | grep -q 'rust_workq: worker ran \[on kworker pid ' || fail "E1: 'dmesg | tail' lacks 'worker ran'"
ioctl /dev/mydevice -t J -n 11 -d write -s 4 -v 42
need '^worker received: 42 ' >/dev/null
dmesg | tail | grep -q 'worker received: 42' || fail "E3: 'dmesg | tail' lacks 'worker received: 42'"
log_reset
dmesg -w >/tmp/follow.log &
follower=$!
usleep 200000
ioctl /dev/mydevice -t J -n 15 -d write -s 4 -v 20
need '^resched: limit of 10 runs reached' >/dev/null
followed() { grep -q '^\[ *[0-9]*\.[0-9]*\] rust_workq: resched: run 10/10 ' /tmp/follow.log; }
wait_until 5 followed || true
kill $follower
followed || fail "E4: 'dmesg -w' did not follow the chain to run 10/10"
log_reset
dmesg -T -w >/tmp/follow.log &
follower=$!
usleep 200000
ioctl /dev/mydevice -t J -n 10 -d none
need '^worker ran ' >/dev/null
stamped() { grep -qE '^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\] rust_workq: worker ran ' /tmp/follow.log; }
wait_until 5 stamped || true
kill $follower
stamped ||
	fail "E10: 'dmesg -T -w' did not show a wall-clock stamped 'worker ran': $(tail -n 2 /tmp/follow.log)"
echo "dmesg | tail, dmesg -w and dmesg -T -w show the lab's lines; e.g.:"
tail -n 1 /tmp/follow.log
