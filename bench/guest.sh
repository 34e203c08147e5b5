#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench`, in the guest: the Rust module and its C twin, measured by one tool in one boot,
# first with the lab's log lines (verbose=1), then without them (verbose=0) to show what the
# logging costs each side; last, that cost per log line, from the two runs. Usage: guest.sh CALLS
calls=${1:-10000}
set -e
# send RUN FILE: FILE's rows to the host (harness/trace.py bench), one "bench<TAB>RUN<TAB>ROW" record each.
send() {
	tab=$(printf '\t')
	sed "s/^/bench${tab}$1${tab}/" "$2" >/dev/ttyS2
}
insmod /lib/modules/c_workq.ko
echo "## verbose=1: every submission and run logs a line, as the lab asks"
workq-stress bench --calls "$calls" --tsv /tmp/bench-v1.tsv
send verbose1 /tmp/bench-v1.tsv
rmmod rust_workq c_workq
insmod /lib/modules/rust_workq.ko verbose=0
insmod /lib/modules/c_workq.ko verbose=0
echo
echo "## verbose=0: no per-event log lines"
workq-stress bench --calls "$calls" --tsv /tmp/bench-v0.tsv
send verbose0 /tmp/bench-v0.tsv
echo
echo "## the cost of the log lines: verbose=1 minus verbose=0, same boot"
workq-stress bench-logcost --with /tmp/bench-v1.tsv --without /tmp/bench-v0.tsv
