# shellcheck shell=sh
# shellcheck disable=SC3028 # busybox sh has $RANDOM
# Reliability 1: insmod -> a random mix of ioctls -> rmmod at a random moment, for SOAK_SECONDS
# (the flavour's budget; `make soak SOAK_SECONDS=...` runs longer). Every fourth cycle rmmod
# races a mix that still has the device open (refused until it closes). Pending delayed work,
# slow work mid-sleep, resched chains and queued closures are all left behind by the mixes.
# Every unload must free the state; the device must work at the end. Fewer cycles than the
# flavour's floor (divided by the machine's speed factor) means an abnormally slow kernel: a failure.
#@ limit=20
#@ soak
. /tests/lib.sh
budget=${SOAK_SECONDS:-10}
# Cycles per 10 s that even a slow machine completes (measured rates are several times higher).
case ${FLAVOR:-base} in debug) floor10=3 ;; *) floor10=10 ;; esac
floor=$(floor $((budget * floor10 / 10)))
seed=${SEED:-$RANDOM}
echo "seed $seed (replay: SEED=$seed), budget ${budget}s, floor $floor cycles"
RANDOM=$seed
holds_device() {
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$DEV" ] && return 0
	done
	return 1
}
end=$(($(cut -d. -f1 /proc/uptime) + budget))
i=0 refused=0 calls=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	n=$((RANDOM % 40))
	calls=$((calls + n))
	if [ $((i % 4)) = 3 ]; then
		workq-stress mix --calls $((n * 100)) --seed $((seed + i)) >/dev/null &
		pid=$!
		calls=$((calls + n * 99))
		# Race rmmod against a process that has the device open.
		until holds_device $pid; do
			kill -0 $pid 2>/dev/null || break
			usleep 1000
		done
		until rmmod rust_workq 2>/dev/null; do refused=$((refused + 1)); usleep 5000; done
		wait $! || true # the mix stops with "gone" once the device disappears
	else
		workq-stress mix --calls $n --seed $((seed + i)) >/dev/null || fail "mix failed in cycle $i"
		usleep $(((RANDOM % 10) * 10000))
		rmmod rust_workq || fail "rmmod failed in cycle $i"
	fi
	freed=$(count '^device state freed$')
	[ "$freed" = 1 ] || fail "cycle $i: 'device state freed' seen $freed times"
	log_reset
	insmod "$MOD" || fail "insmod failed in cycle $i"
	i=$((i + 1))
done
J KICK || fail "KICK failed after the last reload"
need '^worker ran ' >/dev/null
echo "figure: rmmod_cycles=$i rmmod_refused_while_open=$refused cycle_ioctls~$calls soak_seconds=$budget"
[ $i -ge "$floor" ] || fail "only $i load/unload cycles in ${budget}s (floor $floor): abnormally slow"
