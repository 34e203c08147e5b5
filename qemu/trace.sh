#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make trace CMD='...'`: boots the guest as `make run` does (KERNEL_SERIES, FLAVOR, MODULE=DIR),
# records the kernel's workqueue, timer and printk tracepoints while CMD runs and until what it
# submitted has run (wqtrace, qemu/guest-trace.sh), and writes to build/trace/:
#   trace.txt     the ftrace text as the kernel printed it (trace-cmd and the viewers read it)
#   trace.json    the Trace Event Format: open it in Perfetto's UI or chrome://tracing
#   timeline.svg  lanes per task, the time axis in ms, each item's submission and run
# and prints the timeline as text. Exits with CMD's status.
# --collect RECORDS NAME DIR writes those three files into DIR from the trace a guest sent as
# NAME on its data channel (make demo sends two).
# Usage: qemu/trace.sh [--out DIR] CMD
#        qemu/trace.sh --collect RECORDS NAME DIR [TITLE]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tool=$TRACE_TOOL

# collect RECORDS NAME DIR [TITLE]: the trace NAME from a guest's records, rendered.
collect() {
	local records=$1 name=$2 dir=$3 title=${4:-$2}
	mkdir -p "$dir"
	awk -F '\t' -v n="$name" '$1 == "trace" && $2 == n { sub(/^[^\t]*\t[^\t]*\t/, ""); print }' \
		"$records" >"$dir/trace.txt"
	[ -s "$dir/trace.txt" ] || die "the guest sent no trace named '$name' (see $records)"
	[ -x "$tool" ] || bash "$ROOT/qemu/tools.sh"
	# The kernel's release, which the guest wrote as a comment line.
	release=$(sed -n 's/^# kernel: //p' "$dir/trace.txt" | head -n 1)
	"$tool" --title "$title${release:+ (Linux $release)}" --json "$dir/trace.json" --svg "$dir/timeline.svg" "$dir/trace.txt"
}

if [ "${1:-}" = --collect ]; then
	shift
	collect "$@"
	exit
fi

out=$OUT/trace
[ "${1:-}" != --out ] || { out=$2; shift 2; }
[ -n "${1:-}" ] || die "usage: make trace CMD='ioctl /dev/mydevice -t J -n 13 -d none --then -t J -n 12 -d none'"
cmd=$*
# Only this command's files: make demo's traces (demo-e5/, demo-e10/) live beside them.
rm -rf "$out/guest" "$out/trace.txt" "$out/trace.json" "$out/timeline.svg"
mkdir -p "$out"
set +e
# The command goes to the guest's shell as one word: wqtrace runs it with sh -c.
q="'${cmd//\'/\'\\\'\'}'"
bash "$ROOT/qemu/run.sh" --logdir "$out/guest" "wqtrace run trace $q"
rc=$?
set -e
[ -f "$out/guest/records.tsv" ] || die "the guest sent nothing back (see above)"
collect "$out/guest/records.tsv" trace "$out" "make trace: $cmd"
note "trace: $out/trace.txt (ftrace text), $out/trace.json (Perfetto, chrome://tracing), $out/timeline.svg"
exit "$rc"
