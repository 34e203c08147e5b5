# shellcheck shell=sh
# Exercise 2: a second submission while the item is still pending is dropped ("already
# queued"). The delayed item stays pending for 2 s and both submissions come from one process,
# back to back, so both arms show on any machine (the run must come after the second call).
#@ limit=15
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/lib.sh
J KICK_DELAYED + KICK_DELAYED || fail "KICK_DELAYED + KICK_DELAYED failed"
r=$(first_line '^delayed worker ran ') || true
[ -z "$r" ] || before "$(mark_ts issuing 2)" "$(ts "$r")" ||
	missed "the delayed item ran at $(ts "$r") s, before the second KICK_DELAYED ($(mark_ts issuing 2) s)"
need '^delayed: queued \[from pid [0-9]+\]$'
need '^delayed: already queued \[from pid [0-9]+\]$'
[ "$(count '^delayed: (already )?queued ')" = 2 ] || fail "expected exactly two delayed submissions"
[ "$(stat_of delayed submitted)" = 2 ] || fail "stats: delayed submitted != 2"
[ "$(stat_of delayed queued)" = 1 ] || fail "stats: delayed queued != 1"
[ "$(stat_of delayed dropped)" = 1 ] || fail "stats: delayed dropped != 1"
# Unloading cancels the still-pending delayed item and gives its reference back (unless a slow
# kernel took more than 2 s to get here and it already ran).
reload
if lines '^delayed worker ran ' | grep -q .; then pending=0; else pending=1; fi
lines "^unloading: cancelled $pending pending submission\\(s\\), work drained\$" | grep -q . ||
	fail "unload did not report $pending cancelled submission(s)"
log_reset
# Two quick KICKs: each is one of the two arms, and every accepted one runs exactly once.
J KICK + KICK || fail "KICK + KICK failed"
[ "$(count '^kick: (already )?queued ')" = 2 ] || fail "expected two kick submission lines"
queued=$(count '^kick: queued ')
ran_all() { [ "$(count '^worker ran ')" -ge "$queued" ]; }
wait_until 10 ran_all || true
[ "$(count '^worker ran ')" = "$queued" ] || fail "worker ran $(count '^worker ran ') times for $queued accepted kicks"
echo "KICK_DELAYED x2: 1 queued, 1 already queued ($pending cancelled at unload); KICK x2: $queued accepted, $((2 - queued)) coalesced"
