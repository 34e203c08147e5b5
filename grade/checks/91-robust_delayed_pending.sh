# shellcheck shell=sh
# Beyond the lab: unloading while delayed work is still pending. rmmod succeeds, and when the
# delay would have expired nothing runs (a forgotten pending item would run in freed code); the
# module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call KICK_DELAYED
rmmod rust_workq || fail "rmmod failed with delayed work pending"
sleep 3
[ "$(plines "$(word 'delayed worker ran')" | wc -l)" = 0 ] || fail "the delayed work ran after rmmod"
insmod "$MOD" || fail "insmod failed after the rmmod"
[ -c "$DEV" ] || fail "$DEV missing after reloading"
echo "unloaded with delayed work pending; nothing ran 3 s later; reloaded"
