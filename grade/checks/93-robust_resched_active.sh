# shellcheck shell=sh
# Beyond the lab: unloading while the self-rescheduling item re-enqueues itself with no delay
# (period 0). rmmod succeeds and the chain stops; the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call START_RESCHED -v 0
unload_quietly "the self-rescheduling item active" resched
echo "unloaded during a chain with period 0; nothing after; reloaded"
