#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The verdict of `make check`: host unit tests, the guest suite on every kernel (each with
# host-side checks the guest cannot fake, tests/host/suite.sh) and `make trace` on it
# (tests/host/trace.sh), and beside them, reported after:
# lint, the harness self-test, the grader's proofs and its sandbox on a hostile class, and the
# timing-sensitive tests on a machine made 3x slower (tests/host/slow.sh).
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
# What the tests need beyond the build (headless Chromium draws the trace's timeline).
bash "$ROOT/qemu/deps.sh" --test || die "make check: installing what it needs failed (qemu/deps.sh --test, above)"
phases=() figures=() leaf_pass=0 leaf_fail=0
phase_end() { # phase_end NAME START RC [END]
	phases+=("$(awk -v n="$1" -v a="$2" -v b="${4:-$(now)}" 'BEGIN { printf "%-26s %7.1fs", n, b - a }')")
	if [ "$3" = 0 ]; then ktap_result pass "$1"; else ktap_result fail "$1"; fi
}
# in_background NAME CMD...: runs CMD (not in the background itself: the caller puts a group of
# these there), keeping its output, status and start and end times in $log/NAME.*.
in_background() {
	local name=$1
	shift
	now >"$log/$name.start"
	"$@" >"$log/$name.raw" 2>&1
	echo $? >"$log/$name.rc"
	now >"$log/$name.end"
}
# report_background NAME TITLE: reports what in_background kept of NAME as one phase, whose own
# results are the lines "ok N NAME: ..." of its stream (nested streams are its inner detail).
report_background() {
	local rc
	ktap_diag "$2 (ran alongside the suites)"
	rc=$(cat "$log/$1.rc" 2>/dev/null || echo 1)
	grep -v '^==>' "$log/$1.raw" | indent | tee "$log/$1"
	grep -E "^    (not )?ok [0-9]+ $1: " "$log/$1" >"$log/$1.own"
	count_leaves "$log/$1.own"
	grep -q . "$log/$1.own" || { rc=1; leaf_fail=$((leaf_fail + 1)); }
	phase_end "$2" "$(cat "$log/$1.start")" "$rc" "$(cat "$log/$1.end" 2>/dev/null || now)"
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
ktap_plan $((7 + 3 * ${#kernels[@]}))
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
if [ -z "$focused" ]; then
	in_background harness bash "$ROOT/tests/host/selftest.sh" "${self[@]}" &
	# Compiling yields the CPU to the guests in the foreground, whose time it would take.
	in_background lint nice -n 19 bash "$ROOT/tests/host/lint.sh" &
fi
# So do the grader's proofs, on every series the base kernels cover (the first gets them all):
# mostly waiting for delays to expire, they run beside the suites and report last.
proof_series=()
for k in "${kernels[@]}"; do
	case $k in custom/* | */debug) ;; *) proof_series+=("${k%/*}") ;; esac
done
if [ -z "$focused" ] && [ ${#proof_series[@]} -gt 0 ]; then
	# The hostile class and the sharded class after the proofs: all boot guests, one at a time.
	{
		in_background grade bash "$ROOT/tests/host/grade-proof.sh" "${proof_series[@]}"
		in_background class bash "$ROOT/tests/host/grade-class.sh"
		in_background shards bash "$ROOT/tests/host/grade-shards.sh"
	} &
	# The timing-sensitive tests and checks on a machine made 3x slower (a CPU quota on QEMU).
	in_background slow bash "$ROOT/tests/host/slow.sh" "${proof_series[0]}" &
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
	s=$OUT/${k%/*}-${k#*/}/log/results.json
	if [ -f "$s" ]; then
		{ read -r factor; read -r fig; read -r closest; read -r crashed; read -r inconclusive; read -r retried; } < <(
			python3 "$ROOT/tests/results.py" get "$s" speed_factor figures closest crashed inconclusive retried)
		figures+=("$k: speed factor $factor")
		figures+=("$k: $fig")
		figures+=("$k: closest to its time limit: $closest")
		[ -z "$crashed" ] || figures+=("$k: CRASHED the guest: $crashed")
		[ -z "$inconclusive" ] || figures+=("$k: INCONCLUSIVE (set-up never happened): $inconclusive")
		[ -z "$retried" ] || figures+=("$k: set-up missed, run again: $retried")
	else
		figures+=("$k: no results (the kernel or module did not build)")
	fi
	phase_end "$k" "$t0" "$rc"

	# make trace on the same kernel: the tracepoints against what the module did, and the picture.
	if [ -n "$focused" ]; then
		ktap_result skip "trace on $k" "$focused"
		continue
	fi
	t0=$(now)
	ktap_diag "make trace on $k"
	bash "$ROOT/tests/host/trace.sh" "${k%/*}" "${k#*/}" 2>&1 | indent | tee "$log/trace"
	rc=${PIPESTATUS[0]}
	count_leaves "$log/trace"
	grep -qE '^    (not )?ok ' "$log/trace" || { rc=1; leaf_fail=$((leaf_fail + 1)); }
	phase_end "trace on $k" "$t0" "$rc"
done

# What ran beside the suites: lint (rustfmt, clippy through each series' kernel build, cargo
# fmt/clippy, shellcheck); the harness self-test (one test's failure or crash stays its own, on a
# real guest); the grader's proofs (the reference scores full marks, the starter and every mutant
# what they really do) and its sandbox on a hostile class.
wait
if [ -n "$focused" ]; then
	for p in lint "harness self-test" "grader proofs" "grade-all sandbox" "grade-all shards" "slow machine"; do ktap_result skip "$p" "$focused"; done
else
	report_background lint lint
	report_background harness "harness self-test"
	if [ ${#proof_series[@]} = 0 ]; then
		ktap_result skip "grader proofs" "no base kernel of a supported series"
		ktap_result skip "grade-all sandbox" "no base kernel of a supported series"
		ktap_result skip "grade-all shards" "no base kernel of a supported series"
		ktap_result skip "slow machine" "no base kernel of a supported series"
	else
		report_background grade "grader proofs"
		report_background class "grade-all sandbox"
		report_background shards "grade-all shards"
		report_background slow "slow machine"
	fi
fi

ktap_totals
echo "# Phase times:"
for p in "${phases[@]}"; do echo "#   $p"; done
awk -v a="$t_all" -v b="$(now)" 'BEGIN { printf "#   %-26s %7.1fs\n", "total", b - a }'
echo "# Reliability figures and time margins (this run's guest tests):"
for f in "${figures[@]}"; do echo "#   $f"; done
echo "$leaf_pass passed, $leaf_fail failed"
[ "$KTAP_FAIL" = 0 ] && [ "$leaf_fail" = 0 ]
