#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench` on the host: boots the base kernel with the TSC clock (nanosecond latencies; its
# calibration error cancels out of the Rust/C ratios), runs bench/guest.sh there, and keeps each
# run's rows as data: build/bench/verbose1.tsv and verbose0.tsv (`workq-stress bench --tsv`
# columns), from the records the guest sent on the data channel. Usage: bench/run.sh [CALLS]
set -euo pipefail
. "$(dirname "$0")/../qemu/lib.sh"

calls=${1:-10000}
case $calls in '' | *[!0-9]*) die "BENCH_CALLS is a number of calls ('$calls')" ;; esac
out=$OUT/bench
rm -rf "$out"
mkdir -p "$out"
set +e
bash "$ROOT/qemu/run.sh" --tsc --timeout 1800 --logdir "$out/guest" "sh /demo/bench.sh $calls"
rc=$?
set -e
[ "$rc" = 0 ] || exit "$rc"
for run in verbose1 verbose0; do
	awk -F '\t' -v run="$run" '$1 == "bench" && $2 == run' "$out/guest/records.tsv" 2>/dev/null |
		cut -f 3- >"$out/$run.tsv"
	[ -s "$out/$run.tsv" ] || die "the guest sent no rows for $run (see $out/guest)"
done
note "bench: the rows as data in $out/verbose1.tsv and $out/verbose0.tsv"
