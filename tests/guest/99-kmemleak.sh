# shellcheck shell=sh
# Runs last: kmemleak, scanned twice, reports no leak that is new since the suite started (the
# runner cleared the boot-time reports), apart from the leak canary's. The canary
# (tests/leak_canary/) leaks 64 buffers at load, then churns every kmalloc cache on every CPU:
# SLUB's per-CPU sheaves keep stale pointers to objects they handed out, which hide fresh leaks
# from kmemleak until overwritten (without the churn, 10 buffers leaked by a patched rust_workq
# were reported 0 times; with it, all 10, next to the canary's 64). The scan must find the
# canary's leaks, or "no other leak" would prove nothing on this kernel.
# The scan's summary line, a splat elsewhere, is allowed here: this test judges the leaks itself.
#@ limit=30
#@ allow_splat=^kmemleak: [0-9]+ new suspected memory leaks? \(see /sys/kernel/debug/kmemleak\)$
. /tests/lib.sh
kl=/sys/kernel/debug/kmemleak
[ -f $kl ] || skip "no $kl (CONFIG_DEBUG_KMEMLEAK is in the debug kernel only)"
insmod /lib/modules/leak_canary.ko objects=64 || fail "cannot load leak_canary.ko"
sleep 5 # kmemleak reports only objects older than 5 s
echo scan >$kl
echo scan >$kl
# One report per "unreferenced object" block: the canary's name leak_canary_leak in the
# backtrace (it is still loaded, so the symbol resolves); every other one is a leak of the suite.
cat $kl >/tmp/kmemleak.txt
rmmod leak_canary || fail "cannot unload leak_canary"
counts=$(awk '
	function done_one() { if (n) { if (canary) c++; else { o++; if (o <= 2) print rec > "/tmp/kmemleak.other" } } }
	/^unreferenced object/ { done_one(); n = 1; canary = 0; rec = $0; next }
	{ rec = rec "\n" $0; if (/leak_canary_leak/) canary = 1 }
	END { done_one(); printf "%d %d\n", c, o }' /tmp/kmemleak.txt)
canary=${counts% *}
leaks=${counts#* }
echo "figure: kmemleak_canary_found=$canary/64 kmemleak_new_leaks=$leaks"
[ "$canary" -ge 56 ] || fail "kmemleak found $canary of the canary's 64 leaked buffers: its scan cannot be trusted here"
[ "$leaks" = 0 ] || { cat /tmp/kmemleak.other; fail "$leaks new leak(s) besides the canary's"; }
echo "the canary's $canary leaks found, no other new leak"
