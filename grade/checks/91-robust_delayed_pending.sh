# shellcheck shell=sh
# Beyond the lab: unloading while delayed work is still pending. rmmod succeeds, and when the
# delay would have expired nothing runs (a forgotten pending item would run in freed code); the
# module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call KICK_DELAYED
unload_quietly "delayed work pending" "delayed worker ran" 3
echo "unloaded with delayed work pending; nothing ran 3 s later; reloaded"
