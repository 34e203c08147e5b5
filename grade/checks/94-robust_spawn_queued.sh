# shellcheck shell=sh
# Beyond the lab: unloading right after 50 SPAWNs. From the kernel's tracepoints, the 50 closures
# were submitted (else the check has nothing to judge, and fails saying so); rmmod succeeds, no
# closure runs after it returned, and the module loads again cleanly.
#@ exercise=robustness
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
call SPAWN -v "$(random_value)" --repeat 50
began
if snap; then
	n=$(submitted_by "$PID" | wc -l)
	[ "$n" = 50 ] || gap "50 SPAWNs submit 50 closures, for rmmod to come after" "they submitted $n: nothing to judge (exercise 7 first)"
fi
unload "the closures of 50 SPAWNs submitted"
echo "unloaded right after 50 SPAWNs; no closure ran after rmmod returned; reloaded"
