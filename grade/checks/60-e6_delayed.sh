# shellcheck shell=sh
# Exercise 6: KICK_DELAYED (_IO('J', 14)) queues delayed work that prints "delayed worker ran"
# two seconds later: not before (1.99 s allows for the jiffy the request started in), and not
# much after (1 s late on the base kernel, 3 s on the debug one, times the machine's speed factor).
# Measured from the tool's own mark, written right before its ioctl.
#@ exercise=6
#@ points=10
#@ limit=15
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (tests/host/slow.sh).
#@ timing
. /tests/grade-lib.sh
late=1
[ "$FLAVOR" = debug ] && late=3
late=$(($(scaled $late) * 1000))
call KICK_DELAYED
t0=$(mark_ts issuing 1)
l=$(await_worker "delayed worker ran" 8)
d=$(ms_between "$t0" "$(ts "$l")")
[ "$d" -ge 1990 ] || fail "\"delayed worker ran\" came ${d} ms after the ioctl: before the 2 s delay"
[ "$d" -le $((2000 + late)) ] || fail "\"delayed worker ran\" came ${d} ms after the ioctl: over $((2000 + late)) ms"
echo "\"delayed worker ran\" ${d} ms after KICK_DELAYED"
