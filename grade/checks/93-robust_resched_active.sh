# shellcheck shell=sh
# Beyond the lab: unloading while the self-rescheduling item re-enqueues itself with no delay
# (period 0). rmmod succeeds and the chain stops; the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call START_RESCHED -v 0
rmmod rust_workq || fail "rmmod failed with the self-rescheduling item active"
n=$(plines resched | wc -l)
usleep 500000
[ "$(plines resched | wc -l)" = "$n" ] || fail "\"resched\" lines went on after rmmod"
insmod "$MOD" || fail "insmod failed after the rmmod"
[ -c "$DEV" ] || fail "$DEV missing after reloading"
echo "unloaded during a chain with period 0; nothing after; reloaded"
