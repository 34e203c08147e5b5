#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest test runner: runs /tests/[0-9]*.sh (or the names given) and prints KTAP. After each
# test it archives the kernel log and fails the test on any splat (tests/splat-patterns).
# Ends with the sentinel line the host requires; exits 1 if any test failed.
cd /tests || exit 1
if [ $# -gt 0 ]; then
	set -- $(for n in "$@"; do ls [0-9]*-"$n".sh 2>/dev/null || echo "$n"; done)
else
	set -- [0-9]*.sh
fi
echo "TAP version 13"
echo "1..$#"
# On a kmemleak kernel: report what boot leaked (objects must be 5 s old) and set it aside, so
# that the last test sees only leaks that are new.
kl=/sys/kernel/debug/kmemleak
if [ -f $kl ]; then
	up=$(cut -d. -f1 /proc/uptime)
	[ "$up" -lt 6 ] && sleep $((6 - up))
	echo scan >$kl && echo clear >$kl
fi
dmesg -c >/tmp/dmesg-all.log
pass=0 fail=0 skip=0 i=0
splats() {
	sed 's/^\[ *[0-9]*\.[0-9]*\] //' "$1" | grep -E -f /tests/splat-patterns
}
for t in "$@"; do
	i=$((i + 1))
	name=${t%.sh}
	name=${name#[0-9][0-9]-}
	[ -f "$t" ] || { echo "not ok $i $name # no such test"; fail=$((fail + 1)); continue; }
	start=$(cut -d' ' -f1 /proc/uptime)
	timeout 180 sh -e "$t" >/tmp/test.out 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	dmesg -c >/tmp/dmesg-test.log
	cat /tmp/dmesg-test.log >>/tmp/dmesg-all.log
	sed 's/^/# /' /tmp/test.out
	if splats /tmp/dmesg-test.log >/tmp/splat.out; then
		echo "# kernel log splat during $name:"
		sed 's/^/#   /' /tmp/splat.out | head -n 20
		grep -A25 -E 'WARNING:|BUG:|Oops|Call Trace' /tmp/dmesg-test.log | head -n 40 | sed 's/^/#   /'
		rc=1
	fi
	[ "$rc" = 124 ] && echo "# timed out after 180 s"
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	echo "# $name took ${secs}s"
	case $rc in
	0) echo "ok $i $name"; pass=$((pass + 1)) ;;
	4) echo "ok $i $name # SKIP $(sed -n 's/^SKIP: //p' /tmp/test.out | head -n 1)"; skip=$((skip + 1)) ;;
	*) echo "not ok $i $name"; fail=$((fail + 1)) ;;
	esac
done
echo "# Totals: pass:$pass fail:$fail skip:$skip"
echo "@@RWQ-SUITE-DONE pass=$pass fail=$fail skip=$skip@@"
[ "$fail" = 0 ]
