# A tiny `make bench` run (it is not pass/fail on speed): the C twin loads, answers the same ABI
# with the same log lines, and the benchmark completes against both modules.
. /tests/lib.sh
insmod /lib/modules/c_workq.ko || fail "insmod c_workq failed"
ioctl /dev/mydevice_c -t J -n 11 -d write -s 4 -v 42 || fail "C twin: KICK_WITH_VALUE failed"
n=100
until dmesg | grep -q 'c_workq: worker received: 42 \[on kworker/'; do
	n=$((n - 1))
	[ $n -gt 0 ] || fail "C twin did not log 'worker received: 42'"
	usleep 20000
done
workq-stress bench --calls 200 || fail "bench failed"
rmmod c_workq || fail "rmmod c_workq failed"
