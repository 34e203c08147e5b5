# shellcheck shell=sh
# Exercise 6: KICK_DELAYED (_IO('J', 14)) queues delayed work that prints "delayed worker ran"
# two seconds later: not before (1.99 s allows for the jiffy the request started in), and not
# much after.
#@ exercise=6
#@ points=10
#@ limit=15
. /tests/grade-lib.sh
late=1000
[ "$FLAVOR" = debug ] && late=3000
t0=$(mark "KICK_DELAYED issued")
call KICK_DELAYED
l=$(await_worker "delayed worker ran" 8)
d=$(ms_between "$t0" "$(ts "$l")")
[ "$d" -ge 1990 ] || fail "\"delayed worker ran\" came ${d} ms after the ioctl: before the 2 s delay"
[ "$d" -le $((2000 + late)) ] || fail "\"delayed worker ran\" came ${d} ms after the ioctl: over $((2000 + late)) ms"
echo "\"delayed worker ran\" ${d} ms after KICK_DELAYED"
