# shellcheck shell=sh
# Beyond the lab, on the debug kernel (make grade DEBUG=1): every item used, some left pending,
# then rmmod: kmemleak finds nothing the module leaked. Skipped (not counted) without kmemleak.
#@ exercise=robustness
#@ points=5
#@ limit=30
. /tests/grade-lib.sh
kl=/sys/kernel/debug/kmemleak
[ -f $kl ] || skip "no kmemleak in this kernel (make grade DEBUG=1 has it)"
echo scan >$kl
echo clear >$kl
call KICK_WITH_VALUE -v "$(random_value)"
call KICK_QUICK
call KICK_SLOW
call SPAWN -v "$(random_value)" --repeat 10
call START_RESCHED -v 50
call KICK_DELAYED
usleep 300000
rmmod rust_workq || fail "rmmod failed"
# kmemleak reports only objects older than 5 s.
sleep 6
echo scan >$kl
leaks=$(grep -c '^unreferenced object' $kl)
[ "$leaks" = 0 ] || fail "kmemleak: $leaks unreferenced object(s): $(grep -A12 '^unreferenced object' $kl | head -n 24 | tr '\n' '|')"
insmod "$MOD" || fail "insmod failed after the rmmod"
echo "no leak after using every item and unloading"
