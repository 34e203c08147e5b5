# shellcheck shell=sh
# shellcheck disable=SC3028 # busybox sh has $RANDOM
# Reliability 2: 8 processes of mixed ioctls on the one shared device for SOAK_SECONDS, opens and
# closes racing. Afterwards every submission was queued or dropped, and every queued one ran.
# Fewer calls than the flavour's floor (divided by the speed factor) means an abnormally slow
# kernel: a failure.
#@ limit=30
#@ soak
. /tests/lib.sh
budget=${SOAK_SECONDS:-10}
# Calls per second that even a slow machine completes (measured rates are several times higher).
case ${FLAVOR:-base} in debug) rate=300 ;; *) rate=2000 ;; esac
reload # zeroed counters
out=$(workq-stress mix --procs "${PROCS:-8}" --seconds "$budget" --check --seed "${SEED:-$RANDOM}") ||
	fail "mix --check failed: $out"
echo "$out"
calls=$(echo "$out" | sed -n 's/^figure: mix_ioctls=\([0-9]*\) .*/\1/p')
min=$(floor $((budget * rate)))
[ "${calls:-0}" -ge "$min" ] || fail "only ${calls:-0} calls in ${budget}s (floor $min): abnormally slow"
