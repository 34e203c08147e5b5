#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the harness, on a real guest: a test that unloads the module and fails must not
# fail the test after it, and a test that crashes the guest must fail alone while the tests after
# it run in a fresh guest; a test whose set-up is missed runs again, and one whose set-up never
# happens is inconclusive. Runs tests/harness/ through tests/host/suite.sh and checks its verdicts
# in the results it writes (results.json) and what it prints.
# Also: `make run CMD=...` hands the guest the command exactly as typed, and its exit status; and
# a host script under set -e that fails (in a sourced library, or on a missing tool) says where.
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
ktap_plan 15
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

# No command ends without saying why (qemu/lib.sh on_error): a script under set -e that sources
# the project's library, then a library of its own whose function fails on line 3, or that runs
# a tool that does not exist, ends with one line naming the file, the line and the command.
t=$(mktemp -d)
# shellcheck disable=SC2016 # the library's own source line
printf '%s\n' '# a library' 'fails() {' '	major=$(false | cat)' '}' >"$t/lib.sh"
printf '%s\n' 'set -euo pipefail' ". '$ROOT/qemu/lib.sh'" ". '$t/lib.sh'" 'fails' 'echo still here' >"$t/main.sh"
said() { # said NAME EXPECTED-LINE WHAT: the script's stderr is that one line and it failed
	local err rc
	err=$(bash "$t/main.sh" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != 0 ] && [ "$err" = "$2" ]; then ktap_result pass "harness: $1: $3"; else
		ktap_diag "exit $rc, stderr: $err"
		ktap_result fail "harness: $1: $3"
	fi
}
said error_line "error: $t/lib.sh:3: major=\$(false | cat) failed (exit 1)" \
	"a failing command in a sourced library ends the script with one line: file, line, command"
printf '%s\n' 'set -euo pipefail' ". '$ROOT/qemu/lib.sh'" 'rwq-no-such-tool --version 2>/dev/null' >"$t/main.sh"
said error_line "error: $t/main.sh:3: rwq-no-such-tool --version 2>/dev/null failed (exit 127, a command not found: \`make deps\` installs what the project uses)" \
	"a missing tool ends the script with one line naming it and the fix"
# Without set -e the script goes on, and the library says nothing of a failure it does not end.
printf '%s\n' 'set -uo pipefail' ". '$ROOT/qemu/lib.sh'" 'false' 'echo still here' >"$t/main.sh"
if [ "$(bash "$t/main.sh" 2>&1)" = "still here" ]; then ktap_result pass "harness: error_line: without set -e a failure is the script's own business"; else
	ktap_result fail "harness: error_line: without set -e a failure is the script's own business"
fi
rm -rf "$t"
[ "$KTAP_FAIL" = 0 ]
