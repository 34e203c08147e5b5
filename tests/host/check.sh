#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The verdict of `make check`: host unit tests, the guest suite on every kernel (each with
# host-side checks the guest cannot fake, tests/host/suite.sh), and beside them, reported after:
# lint, the harness self-test, the grader's proofs and its sandbox on a hostile class.
# Prints KTAP: one top-level result per phase, each phase's own stream indented below it; ends
# with the phase times, the reliability figures per kernel and "N passed, N failed" (every leaf
# result). Exits 1 on any failure.
#
# Usage: check.sh [KERNEL...]   KERNEL: SERIES/FLAVOR (7.3/debug), or FLAVOR for the default
#        series. Default: base and debug on the default series, base on every other supported
#        series the mirror offers. KDIR=... checks that one kernel tree (custom/base).
#        TESTS="name ..." limits the guest suite and makes a focused run: lint and the harness
#        self-test are skipped (reported as SKIP), so one test after an edit takes seconds.
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

t_all=$(now)
phases=() figures=() leaf_pass=0 leaf_fail=0
phase_end() { # phase_end NAME START RC [END]
	phases+=("$(awk -v n="$1" -v a="$2" -v b="${4:-$(now)}" 'BEGIN { printf "%-26s %7.1fs", n, b - a }')")
	if [ "$3" = 0 ]; then ktap_result pass "$1"; else ktap_result fail "$1"; fi
}
# Counts the leaf results of an indented stream (file $1).
count_leaves() {
	leaf_pass=$((leaf_pass + $(grep -cE '^ *ok [0-9-]' "$1")))
	leaf_fail=$((leaf_fail + $(grep -cE '^ *not ok [0-9-]' "$1")))
}
indent() { sed -u 's/^/    /'; }

# The kernels to check.
series=
if [ -n "${KDIR:-}" ]; then
	kernels=(custom/base)
else
	series=$(default_series) || exit 1
	kernels=()
	if [ $# -gt 0 ]; then
		for k in "$@"; do
			case $k in */*) kernels+=("$k") ;; *) kernels+=("$series/$k") ;; esac
		done
	else
		kernels=("$series/base" "$series/debug")
		for s in $(bash "$ROOT/qemu/fetch-source.sh" --offered); do
			[ "$s" = "$series" ] || kernels+=("$s/base")
		done
	fi
fi
ktap_header
ktap_plan $((5 + 2 * ${#kernels[@]}))
ktap_diag "kernels: ${kernels[*]}"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# Every kernel first (cached after the first run), so that the phases below time what they test.
for k in "${kernels[@]}"; do
	t0=$(now)
	ktap_diag "kernel $k"
	bash "$ROOT/qemu/prepare.sh" --kernel-only "${k%/*}" "${k#*/}" 2>&1 >/dev/null | indent
	phase_end "kernel $k" "$t0" "${PIPESTATUS[0]}"
done

focused=${TESTS:+TESTS=$TESTS: a focused run}
# Lint and the harness self-test run in the background beside everything else (lint compiles,
# the self-test mostly waits for its guests), and are reported after the suites.
if [ -n "${KDIR:-}" ]; then self=(custom base); else self=("$series" base); fi
t_self=$(now)
if [ -z "$focused" ]; then
	{
		bash "$ROOT/tests/host/selftest.sh" "${self[@]}" >"$log/self.raw" 2>&1
		echo $? >"$log/self.rc"
		now >"$log/self.end"
	} &
	self_pid=$!
	{
		# Compiling yields the CPU to the guests in the foreground, whose time it would take.
		nice -n 19 bash "$ROOT/tests/host/lint.sh" >"$log/lint.raw" 2>&1
		echo $? >"$log/lint.rc"
		now >"$log/lint.end"
	} &
	lint_pid=$!
fi
# So do the grader's proofs, on every series the base kernels cover (the first gets them all):
# mostly waiting for delays to expire, they run beside the suites and report last.
proof_series=()
for k in "${kernels[@]}"; do
	case $k in custom/* | */debug) ;; *) proof_series+=("${k%/*}") ;; esac
done
t_proof=$(now)
if [ -z "$focused" ] && [ ${#proof_series[@]} -gt 0 ]; then
	# The hostile class after the proofs: both boot guests, one at a time.
	{
		bash "$ROOT/tests/host/grade-proof.sh" "${proof_series[@]}" >"$log/proof.raw" 2>&1
		echo $? >"$log/proof.rc"
		now >"$log/proof.end"
		bash "$ROOT/tests/host/grade-class.sh" >"$log/class.raw" 2>&1
		echo $? >"$log/class.rc"
		now >"$log/class.end"
	} &
	proof_pid=$!
fi

# Host unit tests of the userspace tools and the ABI table's copies.
t0=$(now)
ktap_diag "host unit tests"
(cd "$ROOT/userspace" && cargo test -q --locked 2>&1) | indent | tee "$log/cargo"
rc=${PIPESTATUS[0]}
read -r cp cf < <(awk '/test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$log/cargo")
# A build failure prints no "test result" line: count it as a failure all the same.
[ "$rc" = 0 ] || [ "$cf" -gt 0 ] || cf=1
leaf_pass=$((leaf_pass + cp)) leaf_fail=$((leaf_fail + cf))
phase_end "host unit tests" "$t0" "$rc"

# The guest suite on every kernel.
for k in "${kernels[@]}"; do
	t0=$(now)
	ktap_diag "guest suite on $k"
	# shellcheck disable=SC2086 # TESTS is a list of names
	bash "$ROOT/tests/host/suite.sh" "${k%/*}" "${k#*/}" ${TESTS:-} 2>&1 | indent | tee "$log/suite"
	rc=${PIPESTATUS[0]}
	count_leaves "$log/suite"
	grep -qE '^    (not )?ok ' "$log/suite" || { rc=1; leaf_fail=$((leaf_fail + 1)); }
	s=$OUT/${k%/*}-${k#*/}/log/summary
	if [ -f "$s" ]; then
		figures+=("$k: $(sed -n 's/^figures=//p' "$s")")
		figures+=("$k: closest to its time limit: $(sed -n 's/^closest=//p' "$s")")
		c=$(sed -n 's/^crashed=//p' "$s")
		[ -z "$c" ] || figures+=("$k: CRASHED the guest: $c")
	else
		figures+=("$k: no summary (the kernel or module did not build)")
	fi
	phase_end "$k" "$t0" "$rc"
done

# Lint: rustfmt, clippy (through each series' kernel build), cargo fmt/clippy, shellcheck.
if [ -n "$focused" ]; then
	ktap_result skip lint "$focused"
else
	ktap_diag "lint (ran alongside the suites)"
	wait "$lint_pid"
	rc=$(cat "$log/lint.rc" 2>/dev/null || echo 1)
	indent <"$log/lint.raw" | tee "$log/lint"
	count_leaves "$log/lint"
	grep -qE '^ *(ok|not ok) ' "$log/lint" || { rc=1; leaf_fail=$((leaf_fail + 1)); }
	phase_end lint "$t_self" "$rc" "$(cat "$log/lint.end" 2>/dev/null || now)"
fi

# The harness proves on a real guest that one test's failure or crash stays its own.
if [ -n "$focused" ]; then
	ktap_result skip "harness self-test" "$focused"
else
	ktap_diag "harness self-test (ran alongside the suites)"
	wait "$self_pid"
	rc=$(cat "$log/self.rc" 2>/dev/null || echo 1)
	indent <"$log/self.raw" | tee "$log/self"
	grep -E '^    (not )?ok [0-9]+ harness: ' "$log/self" >"$log/self.own"
	count_leaves "$log/self.own"
	phase_end "harness self-test" "$t_self" "$rc" "$(cat "$log/self.end" 2>/dev/null || now)"
fi

# The grader discriminates: the reference scores full marks, the starter and every mutant what
# they really do.
if [ -n "$focused" ] || [ ${#proof_series[@]} = 0 ]; then
	ktap_result skip "grader proofs" "${focused:-no base kernel of a supported series}"
	ktap_result skip "grade-all sandbox" "${focused:-no base kernel of a supported series}"
else
	wait "$proof_pid"
	for p in proof class; do
		name="grader proofs"
		[ $p = class ] && name="grade-all sandbox"
		ktap_diag "$name (ran alongside the suites)"
		rc=$(cat "$log/$p.rc" 2>/dev/null || echo 1)
		grep -v '^==>' "$log/$p.raw" | indent | tee "$log/$p"
		grep -E '^    (not )?ok [0-9]+ (grade|class): ' "$log/$p" >"$log/$p.own"
		count_leaves "$log/$p.own"
		grep -q . "$log/$p.own" || { rc=1; leaf_fail=$((leaf_fail + 1)); }
		phase_end "$name" "$t_proof" "$rc" "$(cat "$log/$p.end" 2>/dev/null || now)"
		t_proof=$(cat "$log/$p.end" 2>/dev/null || now)
	done
fi

ktap_totals
echo "# Phase times:"
for p in "${phases[@]}"; do echo "#   $p"; done
awk -v a="$t_all" -v b="$(now)" 'BEGIN { printf "#   %-26s %7.1fs\n", "total", b - a }'
echo "# Reliability figures and time margins (this run's guest tests):"
for f in "${figures[@]}"; do echo "#   $f"; done
echo "$leaf_pass passed, $leaf_fail failed"
[ "$KTAP_FAIL" = 0 ] && [ "$leaf_fail" = 0 ]
