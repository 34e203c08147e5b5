#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boots the guest with the walkthrough (demo/lab.sh), then draws the timelines the
# guest sent for exercises 5 and 10 into build/trace/demo-e5/ and demo-e10/ (qemu/trace.sh).
# Exits with the walkthrough's status.
set -uo pipefail
. "$(dirname "$0")/../qemu/lib.sh"

color=0
[ -t 1 ] && color=1
rm -f "$OUT/demo/records.tsv"
bash "$ROOT/qemu/run.sh" --logdir "$OUT/demo" "COLOR=$color sh /demo/lab.sh"
rc=$?
[ -f "$OUT/demo/records.tsv" ] || die "make demo: the guest did not run the walkthrough (qemu/run.sh exit $rc, above)"
for e in 5 10; do
	# A kernel without tracefs (KDIR=) sends none: the walkthrough said so.
	bash "$ROOT/qemu/trace.sh" --collect "$OUT/demo/records.tsv" "e$e" "$OUT/trace/demo-e$e" "make demo: exercise $e" &&
		note "exercise $e: $OUT/trace/demo-e$e/timeline.svg (trace.json beside it)"
done
exit "$rc"
