#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the harness, on a real guest: a test that unloads the module and fails must not
# fail the test after it, and a test that crashes the guest must fail alone while the tests after
# it run in a fresh guest; a test whose set-up is missed runs again, and one whose set-up never
# happens is inconclusive. Runs tests/harness/ through tests/host/suite.sh and checks its verdicts
# in the results it writes (results.json) and what it prints.
# Also: `make run CMD=...` hands the guest the command exactly as typed, and its exit status.
# Usage: selftest.sh SERIES FLAVOR
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

out=$(mktemp)
trap 'rm -f "$out" "$out.verdicts"' EXIT
# Its own log directory: make check runs this beside the guest suites, which clear theirs.
bash "$ROOT/tests/host/suite.sh" --log "$OUT/selftest" "$1" "$2" "$ROOT"/tests/harness/[0-9]*.sh >"$out" 2>&1
sed 's/^/    /' "$out"
expect() { # expect NAME PATTERN WHAT
	if grep -qE "$2" "$out"; then ktap_result pass "harness: $1: $3"; else ktap_result fail "harness: $1: $3"; fi
}
python3 "$ROOT/tests/results.py" verdicts "$OUT/selftest/results.json" >"$out.verdicts" 2>&1
verdict() { # verdict NAME "VERDICT ATTEMPTS" WHAT: the test's record in results.json
	if grep -qx "$1 $2" "$out.verdicts"; then ktap_result pass "harness: $1: $3"; else
		ktap_diag "results.json: $(grep "^$1 " "$out.verdicts" || echo "no record for $1")"
		ktap_result fail "harness: $1: $3"
	fi
}
ktap_header
ktap_plan 12
verdict unload_and_fail "fail 1" "a failing test is recorded as failed"
expect unload_and_fail '^#   module was not loaded: the next test loads it again$' "the runner reports the module it left unloaded"
verdict state_is_known "pass 1" "the next test starts from the known state"
verdict crash "crash 1" "a test that crashes the guest is recorded as the one that crashed"
expect crash '^# crash crashed the guest' "the host names the test that crashed, with the console's tail"
verdict after_crash "pass 1" "the test after a crash passes in a fresh guest"
verdict missed_once "pass 2" "a test whose set-up was missed once runs again and its second verdict counts"
expect missed_once '^# missed_once: attempt 1 of 3: set-up missed: ' "the output says each attempt whose set-up was missed"
verdict never_set_up "inconclusive 3" "a set-up that never happens is inconclusive after 3 attempts, not a pass"
expect suite '^ok 7 [^ ]+: every planned test reported \(6\)$' "the host has exactly one result for each of the six tests"

# Shell variables, $(...), quotes, semicolons and $? must reach the guest's shell unexpanded.
# shellcheck disable=SC2016 # the $ signs are for the guest's shell
cmd='x=hello; echo "x is $x and $(echo sub) and \"q\""; true; echo "status $?"'
KERNEL_SERIES=$1 FLAVOR=$2 make -s -C "$ROOT" run CMD="$cmd" >"$out" 2>/dev/null
sed 's/^/    /' "$out"
if grep -qx 'x is hello and sub and "q"' "$out" && grep -qx 'status 0' "$out"; then
	ktap_result pass "harness: make run CMD=... reaches the guest verbatim"
else
	ktap_result fail "harness: make run CMD=... reaches the guest verbatim"
fi
KERNEL_SERIES=$1 FLAVOR=$2 bash "$ROOT/qemu/run.sh" 'exit 3' >/dev/null 2>&1
rc=$?
if [ "$rc" = 3 ]; then ktap_result pass "harness: qemu/run.sh exits with the command's status"; else
	ktap_diag "qemu/run.sh 'exit 3' exited $rc"
	ktap_result fail "harness: qemu/run.sh exits with the command's status"
fi
[ "$KTAP_FAIL" = 0 ]
