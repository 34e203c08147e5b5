# shellcheck shell=sh
# Unloading at any moment: with an open file (refused), with delayed work pending, with slow
# work mid-sleep, with a self-rescheduling chain, with spawned closures queued, and all at once.
# Each unload must free the state, and the module must load and work again.
#@ limit=30
. /tests/lib.sh
exec 3<"$DEV"
if rmmod rust_workq 2>/dev/null; then fail "rmmod succeeded while a file was open"; fi
exec 3<&-
echo "open file: rmmod refused while it was open"

check_reload() {
	need '^device state freed$' 5 >/dev/null
	insmod "$MOD" || fail "insmod after $1 failed"
	J KICK || fail "KICK after $1 failed"
	need '^worker ran ' >/dev/null
	echo "$1: $(lines '^unloading: cancelled' | sed 's/^[^ ]* unloading: //')"
	log_reset
}

J KICK_DELAYED && rmmod rust_workq || fail "delayed pending: rmmod failed"
check_reload "delayed pending"

J KICK_SLOW
need '^slow: sleeping ' >/dev/null
rmmod rust_workq || fail "slow mid-sleep: rmmod failed"
lines '^slow \[on ' | grep -q . || fail "unload returned before slow finished"
check_reload "slow mid-sleep"

J START_RESCHED -v 0 && rmmod rust_workq || fail "resched: rmmod failed"
check_reload "resched chain"

i=0
while [ $i -lt 30 ]; do J SPAWN -v $i || fail "SPAWN failed"; i=$((i + 1)); done
rmmod rust_workq || fail "spawned: rmmod failed"
check_reload "spawned closures"

J KICK_DELAYED && J KICK_SLOW && J START_RESCHED -v 50 && J SPAWN -v 1 &&
	J KICK && J KICK_QUICK && rmmod rust_workq || fail "all at once: rmmod failed"
check_reload "everything at once"
