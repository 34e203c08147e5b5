# shellcheck shell=sh
# Runs last: kmemleak, scanned twice, reports no leak that is new since the suite started (the
# runner cleared the boot-time reports).
#@ limit=30
. /tests/lib.sh
kl=/sys/kernel/debug/kmemleak
[ -f $kl ] || skip "no $kl (CONFIG_DEBUG_KMEMLEAK is in the debug kernel only)"
sleep 5 # kmemleak reports only objects older than 5 s
echo scan >$kl
echo scan >$kl
leaks=$(grep -c '^unreferenced object' $kl || true)
echo "figure: kmemleak_new_leaks=$leaks"
[ "$leaks" = 0 ] || { head -n 40 $kl; fail "$leaks new leak(s)"; }
echo "no new leaks"
