# Reliability 3: 100,000 fuzzed ioctls from 4 threads; only documented errnos; the log is not
# flooded by bad calls; the device still answers KICK afterwards.
. /tests/lib.sh
workq-stress fuzz --threads 4 --calls "${FUZZ_CALLS:-100000}" --seed "${SEED:-$RANDOM}" || fail "fuzzing failed"
log_reset
J 10 -d none || fail "KICK failed after fuzzing"
need '^worker ran ' >/dev/null
