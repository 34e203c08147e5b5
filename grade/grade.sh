#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make grade`: grades a module directory with the checks in grade/checks/ (and an instructor's
# hidden ones) on a real guest, with points per check and per exercise.
#
# Usage: grade.sh   (settings from the environment, as make passes them)
#   MODULE=DIR        the module to grade: any directory whose Kbuild builds rust_workq.ko
#                     (default: the reference solution, this project's root)
#   EXERCISE=N        only the checks of exercise N (0 = loading, 1-10, or "robustness")
#   EXTRA_TESTS=DIR   more checks (DIR/*.sh, same format), hidden from students in the JSON
#   DEBUG=1           the debug kernel (KASAN, lockdep, DEBUG_OBJECTS) instead of the base one
#   GRADE_OUT=DIR     where the results go (default build/grade): results.json, ktap, log/
#   UNSAFE=flag       the unsafe code the submission adds to the starter's (grade/unsafe.py) is
#                     listed in the report (default); UNSAFE=forbid refuses to build such a
#                     submission (score 0, naming FILE:LINE); UNSAFE=allow says nothing of it
# Prints one line per check, one per exercise and "Score: P/M" last. Exit 0 at full marks, 1
# below, 2 when the grader itself could not run (no kernel, bad arguments), 3 when a check could
# not be graded (its set-up never happened: named in the report and results.json).
#
# The submission is untrusted: it is built by build_submission (qemu/lib.sh), in a sandbox.
set -uo pipefail
. "$(dirname "$0")/../qemu/lib.sh"

fatal() {
	printf 'grade: %s\n' "$*" >&2
	exit 2
}

module=$(cd "${MODULE:-$ROOT}" 2>/dev/null && pwd) || fatal "MODULE=${MODULE:-} is not a directory"
[ -f "$module/Kbuild" ] || [ -f "$module/Makefile" ] ||
	fatal "MODULE=$module has no Kbuild: give the directory whose Kbuild builds rust_workq.ko (make skels writes one: skels/)"
flavor=$(grade_flavor) || fatal "DEBUG=$DEBUG: give DEBUG=1 or leave it out"
out=${GRADE_OUT:-$OUT/grade}
ex=${EXERCISE:-}
case $ex in '' | [0-9] | 10 | robustness) ;; *) fatal "EXERCISE=$ex: give 0-10 or robustness" ;; esac
policy=${UNSAFE:-flag}
case $policy in flag | forbid | allow) ;; *) fatal "UNSAFE=$policy: give flag, forbid or allow" ;; esac

# The checks: built-in ones, then the instructor's hidden ones; EXERCISE keeps one exercise's.
checks=() hidden=()
pick() { # pick FILE HIDDEN
	local e
	e=$(header "$1" exercise)
	[ -n "$e" ] || fatal "$1 has no '#@ exercise=' line"
	[ -z "$ex" ] || [ "$e" = "$ex" ] || return 0
	checks+=("$1")
	[ "$2" = 0 ] || hidden+=("$1")
}
for c in "$ROOT"/grade/checks/[0-9]*.sh; do pick "$c" 0; done
if [ -n "${EXTRA_TESTS:-}" ]; then
	[ -d "$EXTRA_TESTS" ] || fatal "EXTRA_TESTS=$EXTRA_TESTS is not a directory"
	found=0
	for c in "$EXTRA_TESTS"/*.sh; do
		[ -f "$c" ] || continue
		found=1
		pick "$(cd "$(dirname "$c")" && pwd)/$(basename "$c")" 1
	done
	[ "$found" = 1 ] || fatal "EXTRA_TESTS=$EXTRA_TESTS has no *.sh checks"
fi
[ ${#checks[@]} -gt 0 ] || [ "$ex" = 9 ] || fatal "no check for EXERCISE=$ex"

load_kernel --default "$flavor" || fatal "cannot prepare the $flavor kernel (see above)"
why=$(sandbox_ready) || fatal "$why"
# A fresh result, leaving what the caller keeps beside it (grade-all's report.txt) alone.
mkdir -p "$out"
rm -rf "$out/module" "$out/log" "$out/ktap" "$out/suite.err" "$out/submission.ko" "$out/results.json" "$out/unsafe.tsv"
t0=$(now)

# The unsafe code the submission adds to the starter's, read from its staged copy.
stage=$(mktemp -d)
stage_submission "$module" "$stage" >/dev/null
if [ "$policy" = allow ]; then
	: >"$out/unsafe.tsv"
else
	python3 "$ROOT/grade/unsafe.py" "$stage" "$ROOT" >"$out/unsafe.tsv" || fatal "grade/unsafe.py failed on $module"
fi
rm -rf "$stage"

# The submission's build. A module that does not build scores 0, with the compiler's errors.
note "building $module against $K_NAME (sandboxed)"
ko=$out/module/rust_workq.ko
if [ "$policy" = forbid ] && [ -s "$out/unsafe.tsv" ]; then
	mkdir -p "$out/module"
	awk -F '\t' '{ printf "UNSAFE=forbid: %s:%s: unsafe code beyond the starter'"'"'s: %s\n", $1, $2, $3 }' "$out/unsafe.tsv" >"$out/module/build.log"
	note "not building: $(head -n 1 "$out/module/build.log")"
	build=refused
	: >"$out/ktap"
elif build_submission "$module" "$out/module"; then
	cp "$ko" "$out/submission.ko"
	specs=()
	for c in "${checks[@]}"; do specs+=("$c@$out/submission.ko"); done
	note "running ${#checks[@]} check(s) on $K_NAME"
	if [ ${#specs[@]} -gt 0 ]; then
		# The instructor's hidden checks are in no image the module sees: served when due.
		late=()
		for h in "${hidden[@]}"; do late+=(--late "$h"); done
		bash "$ROOT/tests/host/suite.sh" --log "$out/log" "${late[@]}" "$K_SERIES" "$flavor" "${specs[@]}" >"$out/ktap" 2>"$out/suite.err"
	else
		: >"$out/ktap"
	fi
	build=ok
else
	build=failed
	: >"$out/ktap"
fi
args=(--results "$out/log/results.json" --ktap "$out/ktap" --json "$out/results.json" --kernel "$K_NAME ($K_VERSION)"
	--module "$module" --seconds "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
	--unsafe "$out/unsafe.tsv" --unsafe-policy "$policy")
[ "$build" = ok ] || args+=(--build-log "$out/module/build.log")
[ -n "$ex" ] && args+=(--exercise "$ex")
for h in "${hidden[@]}"; do args+=(--hidden "$h"); done
python3 "$ROOT/grade/report.py" "${args[@]}" "${checks[@]}"
