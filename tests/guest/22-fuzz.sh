# shellcheck shell=sh
# shellcheck disable=SC3028 # busybox sh has $RANDOM
# Reliability 3: fuzzed ioctls from 4 threads for SOAK_SECONDS (NULL, -1, kernel addresses,
# PROT_NONE pages, guard pages; seeded); only documented errnos; the log is not flooded by bad
# calls; the device still answers KICK afterwards.
#@ limit=30
#@ soak
. /tests/lib.sh
budget=${SOAK_SECONDS:-10}
case ${FLAVOR:-base} in debug) rate=1000 ;; *) rate=5000 ;; esac
out=$(workq-stress fuzz --threads 4 --seconds "$budget" --seed "${SEED:-$RANDOM}") || fail "fuzzing failed: $out"
echo "$out"
calls=$(echo "$out" | sed -n 's/^figure: fuzz_calls=\([0-9]*\) .*/\1/p')
min=$(floor $((budget * rate)))
[ "${calls:-0}" -ge "$min" ] || fail "only ${calls:-0} fuzzed calls in ${budget}s (floor $min): abnormally slow"
log_reset
J KICK || fail "KICK failed after fuzzing"
need '^worker ran ' >/dev/null
