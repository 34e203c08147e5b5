# shellcheck shell=sh
# Exercise 6: KICK_DELAYED runs its item no earlier than 2 s after the ioctl.
#@ limit=15
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (tests/host/slow.sh).
#@ timing
. /tests/lib.sh
J KICK_DELAYED || fail "KICK_DELAYED failed"
q=$(need '^delayed: queued \[from ')
r=$(need '^delayed worker ran [0-9]+ ms after its ioctl \[on kworker/' 4)
d=$(ms_between "$(ts "$q")" "$(ts "$r")")
own=$(echo "$r" | sed 's/.*ran \([0-9]*\) ms after.*/\1/')
[ "$d" -ge 2000 ] || fail "ran ${d} ms after the ioctl line (< 2000)"
[ "$own" -ge 2000 ] || fail "the module measured ${own} ms (< 2000)"
echo "delayed line ${d} ms after the ioctl line; module measured ${own} ms"
