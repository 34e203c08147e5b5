# shellcheck shell=sh
# Beyond the lab: unloading right after 50 SPAWNs, closures still queued. rmmod succeeds; no
# closure runs after it; the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call SPAWN -v "$(random_value)" --repeat 50
unload_quietly "spawned closures queued" spawned
echo "unloaded with closures of 50 SPAWNs queued; nothing after; reloaded"
