#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench`, in the guest: the Rust module and its C twin, measured by one tool in one boot,
# first with the lab's log lines (verbose=1), then without them (verbose=0) to show what the
# logging costs each side; last, that cost per log line, from the two runs. Usage: guest.sh CALLS
calls=${1:-10000}
set -e
insmod /lib/modules/c_workq.ko
echo "## verbose=1: every submission and run logs a line, as the lab asks"
workq-stress bench --calls "$calls" | tee /tmp/bench-v1
rmmod rust_workq c_workq
insmod /lib/modules/rust_workq.ko verbose=0
insmod /lib/modules/c_workq.ko verbose=0
echo
echo "## verbose=0: no per-event log lines"
workq-stress bench --calls "$calls" | tee /tmp/bench-v0
echo
echo "## the cost of the log lines: verbose=1 minus verbose=0, same boot"
# A row's Rust and C columns are the last three fields but one: NAME... N RUST C RATIO.
awk '
function cols(line, a,   n) { n = split(line, a, " "); rust = a[n - 2]; c = a[n - 1] }
FNR == 1 { run++ }
/^kick latency p50 \(us\)/ { cols($0); lat[run, "r"] = rust * 1000; lat[run, "c"] = c * 1000 }
/^KICK \(struct item\) submit \(ns\)/ { cols($0); sub_[run, "r"] = rust; sub_[run, "c"] = c }
END {
	printf "%-44s %12s %12s %8s\n", "metric", "Rust", "C", "Rust/C"
	r = lat[1, "r"] - lat[2, "r"]; c = lat[1, "c"] - lat[2, "c"]
	printf "%-44s %12.0f %12.0f %8.2f\n", "log lines in kick latency p50 (ns)", r, c, (c > 0 ? r / c : 0)
	r = sub_[1, "r"] - sub_[2, "r"]; c = sub_[1, "c"] - sub_[2, "c"]
	printf "%-44s %12.0f %12.0f %8.2f\n", "log line per KICK ioctl (ns)", r, c, (c > 0 ? r / c : 0)
}' /tmp/bench-v1 /tmp/bench-v0
