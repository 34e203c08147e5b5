#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make trace on one kernel, checked against what the module did (tests/trace_check.py): the
# scenario of exercises 5 and 10 (KICK; KICK_SLOW then KICK_QUICK from one process; KICK_DELAYED)
# is traced with `make trace`'s own machinery, trace.json is checked as the Trace Event Format
# with the expected tracks and runs, and timeline.svg is drawn by headless Chromium and compared
# for its lanes, labels and bars. A boot whose quick was not submitted while slow ran missed the
# set-up (the kernel's events say so): it is run again, at most three times, then reported as
# SKIP, never as the module's failure. Prints KTAP; exits 1 on a failure.
# Usage: tests/host/trace.sh SERIES FLAVOR [OUTDIR]   (default build/SERIES-FLAVOR/trace)
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

series=${1:?usage: trace.sh SERIES FLAVOR}
flavor=${2:?usage: trace.sh SERIES FLAVOR}
out=${3:-$OUT/$series-$flavor/trace}
scenario='ioctl /dev/mydevice -t J -n 10 -d none; ioctl /dev/mydevice -t J -n 13 -d none --then -t J -n 12 -d none; ioctl /dev/mydevice -t J -n 14 -d none'
mkdir -p "$out"
ktap_header
command -v chromium >/dev/null || die "chromium not found; apt-get install chromium (qemu/deps.sh --test installs it)"

# render SVG PNG: the picture as a person sees it, drawn by headless Chromium at its own size.
render() {
	local size profile
	size=$(sed -n '1s/.* width="\([0-9]*\)[0-9.]*" height="\([0-9]*\)[0-9.]*".*/\1,\2/p' "$1")
	profile=$(mktemp -d)
	# A render takes about 1 s (under 2 s beside a make check); the limit only stops a hang.
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --window-size="${size:-1200,600}" --screenshot="$2" \
		"file://$1" >/dev/null 2>&1
	rm -rf "$profile"
}

for attempt in 1 2 3; do
	KERNEL_SERIES=$series FLAVOR=$flavor bash "$ROOT/qemu/trace.sh" --out "$out" "$scenario" >"$out.log" 2>&1 || {
		ktap_diag <"$out.log"
		ktap_result fail "trace: make trace of the scenario on $series/$flavor"
		ktap_totals
		exit 1
	}
	render "$out/timeline.svg" "$out/timeline.png"
	python3 "$ROOT/tests/trace_check.py" "$out" >"$out/check.ktap"
	rc=$?
	[ "$rc" = 3 ] || break
	ktap_diag "attempt $attempt: $(grep 'SETUP MISSED' "$out/check.ktap")"
done
if [ "$rc" = 3 ]; then
	ktap_result skip "trace: quick submitted while slow ran" "set-up missed in 3 boots (machine too slow for it; not the module's fault)"
	ktap_totals
	exit 0
fi
# The checker's own results, renumbered into this stream.
ktap_relay <"$out/check.ktap"
ktap_diag "files: $out/{trace.txt,trace.json,timeline.svg,timeline.png}"
ktap_totals
[ "$KTAP_FAIL" = 0 ] && [ "$rc" = 0 ]
