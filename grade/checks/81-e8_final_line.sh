# shellcheck shell=sh
# Exercise 8, the final message: the chain's final run at unload (80-e8_stops.sh) prints exactly
# one line; its words are the student's own. Without a trace (no tracefs), the check of the flag
# (80-e8_stops.sh) counts "stopping" lines and this one is not graded.
#@ exercise=8
#@ points=5
#@ limit=25
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/grade-lib.sh
e8_scene || skip "no tracefs on this kernel: the final line is judged with the flag (e8_stops)"
[ "$(printf '%s' "$FINAL" | grep -c .)" = 1 ] ||
	gap "the chain's final run at unload prints one final line" \
		"after rmmod began, $FN ran $(printf '%s' "$FINAL" | grep -c .) time(s), not once: there is no final run to judge (e8_stops says more)" "$HINT8"
i=$(field "$FINAL" 2)
[ "$(said_count "$i")" = 1 ] ||
	gap "the final run prints exactly one line" "the final run of $FN printed $(said_count "$i") line(s)${i:+: $(said "$i")}" "$HINT8"
echo "the final run printed $(said "$i")"
