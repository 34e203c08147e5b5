# Reliability 2: 8 processes x 10,000 mixed ioctls on the one shared device, opens and closes
# racing. Afterwards every submission was queued or dropped, and every queued one ran.
. /tests/lib.sh
reload # zeroed counters
workq-stress mix --procs "${PROCS:-8}" --calls "${CALLS:-10000}" --check --seed "${SEED:-$RANDOM}" ||
	fail "mix --check failed"
