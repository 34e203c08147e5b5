#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A slow machine on demand, for make check: every timing-sensitive guest test and grader check
# (those with a "#@ timing" line) on SERIES's base kernel with QEMU at 1/SLOWDOWN (default 3) of
# the machine's CPU (boot.sh's SLOWDOWN, through the cgroup cpu controller), the grader's checks
# against the reference module. Each must give the verdict it gives at full speed: pass. A check
# whose set-up never happened is inconclusive, which fails here with its reason. KTAP, one
# result "slow: NAME" per test, then tests/host/trace.sh's results at the same speed; exits 1 if
# any failed.
# Usage: slow.sh SERIES
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

export SLOWDOWN=${SLOWDOWN:-3}
load_kernel "${1:?usage: slow.sh SERIES}" base >/dev/null || die "cannot prepare $1/base"
specs=()
for t in "$ROOT"/tests/guest/[0-9]*.sh; do grep -qx '#@ timing' "$t" && specs+=("$t"); done
for c in "$ROOT"/grade/checks/[0-9]*.sh; do grep -qx '#@ timing' "$c" && specs+=("$c@$K_OUT/module/rust_workq.ko"); done
log=$OUT/slow
bash "$ROOT/tests/host/suite.sh" --log "$log" "$1" base "${specs[@]}" >"$log.ktap" 2>"$log.err"
rc=$?
sed 's/^/    /' "$log.ktap"
ktap_header
ktap_diag "SLOWDOWN=$SLOWDOWN on $K_NAME: speed factor $(python3 "$ROOT/tests/results.py" get "$log/results.json" speed_factor 2>/dev/null)"
while read -r name verdict attempts; do
	if [ "$verdict" = pass ]; then
		ktap_result pass "slow: $name at SLOWDOWN=$SLOWDOWN (attempts: $attempts)"
	else
		ktap_diag "$name: $verdict at SLOWDOWN=$SLOWDOWN"
		ktap_result fail "slow: $name at SLOWDOWN=$SLOWDOWN"
	fi
done < <(python3 "$ROOT/tests/results.py" verdicts "$log/results.json" 2>/dev/null)
[ -f "$log/results.json" ] || { tail -n 5 "$log.err" | ktap_diag; ktap_result fail "slow: the suite ran"; }
# make trace's checks at the same speed (its own retries and SKIP for a missed set-up).
bash "$ROOT/tests/host/trace.sh" "$1" base "$OUT/slow-trace" >"$log.trace" 2>&1 || rc=1
ktap_relay "slow: " " at SLOWDOWN=$SLOWDOWN" <"$log.trace"
grep -qE '^(not )?ok ' "$log.trace" || ktap_result fail "slow: make trace at SLOWDOWN=$SLOWDOWN ran"
# The plan last (TAP allows it): the trace's results are counted as they come.
ktap_plan "$KTAP_N"
ktap_totals
[ "$KTAP_FAIL" = 0 ] && [ "$rc" = 0 ]
