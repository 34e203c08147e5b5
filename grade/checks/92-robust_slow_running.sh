# shellcheck shell=sh
# Beyond the lab: unloading while the slow item sleeps in its run. rmmod waits for it or stops it
# safely; the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call KICK_SLOW
usleep 20000
unload_quietly "the slow item running" slow
echo "unloaded with the slow item running; reloaded"
