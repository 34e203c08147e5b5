# shellcheck shell=sh
# Beyond the lab: unloading right after 50 SPAWNs, closures still queued. rmmod succeeds; no
# closure runs after it; the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call SPAWN -v "$(random_value)" --repeat 50
rmmod rust_workq || fail "rmmod failed with spawned closures queued"
n=$(plines spawned | wc -l)
usleep 500000
[ "$(plines spawned | wc -l)" = "$n" ] || fail "closures ran after rmmod"
insmod "$MOD" || fail "insmod failed after the rmmod"
[ -c "$DEV" ] || fail "$DEV missing after reloading"
echo "unloaded with $((50 - n)) of 50 closures not yet run; nothing after; reloaded"
