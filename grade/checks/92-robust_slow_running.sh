# shellcheck shell=sh
# Beyond the lab: unloading while the slow item sleeps in its run. rmmod waits for it or stops it
# safely; the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call KICK_SLOW
usleep 20000
rmmod rust_workq || fail "rmmod failed with the slow item running"
usleep 500000
insmod "$MOD" || fail "insmod failed after the rmmod"
[ -c "$DEV" ] || fail "$DEV missing after reloading"
echo "unloaded with the slow item running; reloaded"
