# shellcheck shell=sh
# Exercise 4, the counter: the chain START_RESCHED starts (40-e4_chain.sh) ends by itself: its
# last run submits no next one, within 8 s (times the speed factor) at a period of 20 ms. Without
# a trace (no tracefs), the log's "resched" lines must stop growing.
#@ exercise=4
#@ points=5
#@ limit=30
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
# shellcheck disable=SC2317 # predicates for wait_until, called indirectly
. /tests/grade-lib.sh
e4_scene
if ! traced; then
	quiet() {
		a=$(worker_count resched)
		usleep 1000000
		[ "$(worker_count resched)" = "$a" ]
	}
	wait_until 5 quiet || fail "still rescheduling after 5s ($(worker_count resched) runs): the counter never stops it (no tracefs on this kernel: the words were counted)"
	echo "$(worker_count resched) runs, then the log stopped growing (no tracefs on this kernel: the words were counted)"
	exit 0
fi
ran() { snap && [ "$(chain_runs "$PID")" -ge 1 ]; }
wait_until 5 ran || gap "START_RESCHED starts a chain whose runs end" "no run it queued ended within $(scaled 5) s" "$HINT4"
ended() { chain_ended "$PID"; }
wait_until 8 ended ||
	gap "the chain ends by itself: a counter stops re-enqueueing at a threshold" \
		"still rescheduling after $(scaled 8) s: $(chain_runs "$PID") runs of $(field "$(chain "$PID" | head -n 1)" 3), each queued from inside the one before" "$HINT4"
echo "the chain ended by itself after $(chain_runs "$PID") run(s)"
