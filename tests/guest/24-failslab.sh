# shellcheck shell=sh
# Reliability 5: with slab fault injection aimed at the SPAWN ioctl (the module's allocating
# path), the caller gets ENOMEM, the counters say dropped, nothing runs for it, and the device
# works on; nothing oopses (the splat gate) or leaks (the kmemleak test that runs last).
#@ limit=20
. /tests/lib.sh
fs=/sys/kernel/debug/failslab
[ -d $fs ] || skip "no $fs (CONFIG_FAILSLAB is in the debug kernel only)"
# Only kmalloc caches (where KBox/Arc allocations come from), only in a task that opts in
# through /proc/self/make-it-fail: workq-stress arms it right before each SPAWN and disarms it
# right after, so the one allocation in between is the module's. slab_nomerge (debug boot)
# makes the per-cache flag settable.
for c in /sys/kernel/slab/kmalloc-[0-9]*; do echo 1 >"$c/failslab" || fail "cannot set $c/failslab"; done
echo Y >$fs/cache-filter
echo N >$fs/ignore-gfp-wait
echo 0 >$fs/verbose
echo Y >$fs/task-filter
echo 100 >$fs/probability
echo -1 >$fs/times
reload # zeroed counters
workq-stress enomem --calls 50 || fail "SPAWN under fault injection misbehaved"
echo 0 >$fs/probability
for v in 1 2 3; do J SPAWN -v $v || fail "SPAWN failed with injection off"; done
three_ran() { [ "$(stat_of spawn ran)" = 3 ]; }
wait_until 10 three_ran || true
s=$(stat_of spawn submitted) q=$(stat_of spawn queued) d=$(stat_of spawn dropped) r=$(stat_of spawn ran)
echo "spawn: submitted=$s queued=$q dropped=$d ran=$r"
[ "$d" = 50 ] && [ "$q" = 3 ] && [ "$r" = 3 ] && [ "$s" = 53 ] || fail "counters do not match 50 ENOMEM + 3 successes"
[ "$(count '^spawned worker saw ')" = 3 ] || fail "expected exactly the 3 good closures to run"
echo "figure: failslab_spawn_enomem=$d"
