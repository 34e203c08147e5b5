# shellcheck shell=sh
# A tiny `make bench` run (it is not pass/fail on speed): the C twin loads, answers the same ABI
# with the same log lines, and the benchmark completes against both modules. On the debug
# kernel only the C twin's part: timings under KASAN mean nothing, and the run takes 7 s there.
#@ limit=40
. /tests/lib.sh
insmod /lib/modules/c_workq.ko || fail "insmod c_workq failed"
ioctl /dev/mydevice_c -t J -n 11 -d write -s 4 -v 42 || fail "C twin: KICK_WITH_VALUE failed"
c_received() { dmesg | grep -q 'c_workq: worker received: 42 \[on kworker pid '; }
wait_until 10 c_received || fail "C twin did not log 'worker received: 42'"
if [ "$FLAVOR" = debug ]; then
	echo "debug kernel: the C twin loads, logs and unloads; the benchmark itself runs on base"
else
	workq-stress bench --calls 200 || fail "bench failed"
fi
rmmod c_workq || fail "rmmod c_workq failed"
