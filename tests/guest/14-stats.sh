# shellcheck shell=sh
# The stats ioctl: every submission is either queued or dropped, and once the work has drained
# every queued submission ran.
#@ limit=15
. /tests/lib.sh
reload # start from zeroed counters
log_reset
i=0
while [ $i -lt 20 ]; do J KICK; J KICK_QUICK; i=$((i + 1)); done
drained() { [ "$(stat_of kick ran)" = "$(stat_of kick queued)" ] && [ "$(stat_of quick ran)" = "$(stat_of quick queued)" ]; }
wait_until 10 drained || true
for item in kick quick; do
	s=$(stat_of $item submitted) q=$(stat_of $item queued) d=$(stat_of $item dropped) r=$(stat_of $item ran)
	[ "$s" = 20 ] || fail "$item submitted=$s, expected 20"
	[ $((q + d)) = "$s" ] || fail "$item queued+dropped=$((q + d)) != submitted=$s"
	[ "$r" = "$q" ] || fail "$item ran=$r != queued=$q"
	echo "$item: submitted=$s queued=$q dropped=$d ran=$r"
done
out=$(J GET_STATS) || fail "GET_STATS through the raw tool failed"
echo "$out" | grep -q '^u64: 20 ' || fail "raw GET_STATS does not start with kick.submitted=20: $out"
