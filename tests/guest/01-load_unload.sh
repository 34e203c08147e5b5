# shellcheck shell=sh
# The module loaded at boot, registers /dev/mydevice, unloads cleanly (freeing its state) and
# loads again.
#@ limit=10
. /tests/lib.sh
[ -c "$DEV" ] || fail "$DEV missing after boot"
grep -q '^rust_workq ' /proc/modules || fail "rust_workq not in /proc/modules"
rmmod rust_workq || fail "rmmod failed"
if [ -e "$DEV" ]; then fail "$DEV still exists after rmmod"; fi
need '^unloading: cancelled 0 pending submission\(s\), work drained$' >/dev/null
need '^device state freed$' >/dev/null
insmod "$MOD" || fail "insmod failed"
need '^loaded: /dev/mydevice ready$' >/dev/null
[ -c "$DEV" ] || fail "$DEV missing after insmod"
echo "unload freed the state; reload registered $DEV again"
