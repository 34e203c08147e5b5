# Reliability 5: with slab fault injection aimed at one task, SPAWN returns ENOMEM and insmod
# fails cleanly at whatever allocation fails; nothing oopses (the splat gate) or leaks (the
# kmemleak test that runs last).
. /tests/lib.sh
fs=/sys/kernel/debug/failslab
[ -d $fs ] || skip "no $fs (CONFIG_FAILSLAB is in the debug kernel only)"
# Only kmalloc caches (where the module's KBox/Arc/workqueue allocations come from), only for
# tasks that opt in through /proc/self/make-it-fail. Failing every cache of insmod also hits
# vmalloc internals, which WARN on their own. slab_nomerge (debug boot) makes the flag settable.
for c in /sys/kernel/slab/kmalloc-[0-9]*; do echo 1 >"$c/failslab" || fail "cannot set $c/failslab"; done
echo Y >$fs/cache-filter
echo N >$fs/ignore-gfp-wait
echo 0 >$fs/verbose
echo Y >$fs/task-filter
echo 100 >$fs/probability
echo -1 >$fs/times
workq-stress enomem || fail "SPAWN did not fail with ENOMEM"
[ "$(stat_of spawn dropped)" = 1 ] || fail "stats: spawn dropped != 1"
if lines '^spawned worker saw ' | grep -q .; then fail "a failed SPAWN ran anyway"; fi
rmmod rust_workq || fail "rmmod failed"
need '^device state freed$' >/dev/null
echo 10 >$fs/probability
loaded=0 failed=0 i=0
while [ $i -lt 40 ]; do
	if sh -c "echo 1 >/proc/self/make-it-fail; exec insmod $MOD" 2>/dev/null; then
		loaded=$((loaded + 1))
		rmmod rust_workq || fail "rmmod after a faulted insmod failed"
	else
		failed=$((failed + 1))
		if grep -q '^rust_workq ' /proc/modules; then fail "insmod failed but the module stayed loaded"; fi
	fi
	i=$((i + 1))
done
echo 0 >$fs/probability
insmod "$MOD" || fail "insmod failed with fault injection off"
J 10 -d none || fail "KICK failed"
need '^worker ran ' >/dev/null
echo "SPAWN under failslab: ENOMEM; 40 insmods at 10% slab failure: $loaded loaded, $failed failed cleanly"
echo "figure: failslab_insmods=40 failslab_insmod_failures=$failed"
