# shellcheck shell=sh
# Exercise 6: KICK_DELAYED runs its item no earlier than 2 s after the ioctl.
#@ limit=15
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/lib.sh
# Measured from the tool's mark written before the call (the module's "queued" line comes after
# the enqueue, later on a busy machine, which would shorten the delay seen).
J KICK_DELAYED || fail "KICK_DELAYED failed"
need '^delayed: queued \[from ' >/dev/null
r=$(need '^delayed worker ran [0-9]+ ms after its ioctl \[on kworker pid ' 4)
d=$(ms_between "$(mark_ts issuing 1)" "$(ts "$r")")
own=$(echo "$r" | sed 's/.*ran \([0-9]*\) ms after.*/\1/')
[ "$d" -ge 2000 ] || fail "ran ${d} ms after the ioctl was issued (< 2000)"
[ "$own" -ge 2000 ] || fail "the module measured ${own} ms (< 2000)"
echo "delayed line ${d} ms after the ioctl was issued; module measured ${own} ms"
