# shellcheck shell=sh
# The module loads, registers /dev/mydevice, unloads cleanly and loads again.
#@ exercise=0
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
[ -c "$DEV" ] || fail "$DEV is not a character device after insmod"
rmmod rust_workq || fail "rmmod rust_workq failed"
[ ! -e "$DEV" ] || fail "$DEV still exists after rmmod"
insmod "$MOD" || fail "insmod failed after an rmmod"
[ -c "$DEV" ] || fail "$DEV missing after the second insmod"
echo "loads, unloads and loads again; $DEV comes and goes with it"
