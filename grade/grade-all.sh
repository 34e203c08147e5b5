#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make grade-all`: grades a whole class. Every subdirectory of SUBMISSIONS is one submission (a
# module directory, as make grade's MODULE takes it), graded like `make grade` (same checks,
# EXTRA_TESTS, DEBUG) on one prepared kernel, each build sandboxed and each in a fresh guest.
# Prints a progress line per submission, then a table; writes build/grade/class.csv and
# build/grade/class/NAME/{results.json,report.txt}. An interrupted run resumes where it stopped
# (a submission with a results.json is not graded again); FORCE=1 regrades everything.
# Usage: SUBMISSIONS=DIR grade-all.sh   (exit 0 when every submission was graded, 2 if the
# grader itself could not run)
set -uo pipefail
. "$(dirname "$0")/../qemu/lib.sh"

fatal() {
	printf 'grade-all: %s\n' "$*" >&2
	exit 2
}
[ -n "${SUBMISSIONS:-}" ] || fatal "give SUBMISSIONS=DIR (one subdirectory per submission)"
subs=$(cd "$SUBMISSIONS" 2>/dev/null && pwd) || fatal "SUBMISSIONS=$SUBMISSIONS is not a directory"
[ -z "${MODULE:-}" ] || fatal "MODULE= is for make grade; grade-all grades every directory in SUBMISSIONS"
mapfile -t dirs < <(find "$subs" -mindepth 1 -maxdepth 1 -type d | sort)
[ ${#dirs[@]} -gt 0 ] || fatal "SUBMISSIONS=$subs has no subdirectory"
flavor=$(grade_flavor) || fatal "DEBUG=$DEBUG: give DEBUG=1 or leave it out"
why=$(sandbox_ready) || fatal "$why"

# Results live under a name safe for paths and CSV: other characters become "_".
safe_name() {
	printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'
}

class=${GRADE_OUT:-$OUT/grade}
mkdir -p "$class/class"
load_kernel --default "$flavor" || fatal "cannot prepare the $flavor kernel (see above)"
export RWQ_KERNEL_ENV=$K_OUT/kernel.env

n=${#dirs[@]} i=0 graded=0 spent=0
for d in "${dirs[@]}"; do
	i=$((i + 1))
	name=$(basename "$d")
	out=$class/class/$(safe_name "$name")
	if [ -f "$out/results.json" ] && [ "${FORCE:-0}" != 1 ]; then
		printf '[%d/%d] %s: graded before (FORCE=1 regrades)\n' "$i" "$n" "$name"
		continue
	fi
	rm -rf "$out"
	mkdir -p "$out"
	t0=$(now)
	GRADE_OUT=$out MODULE=$d bash "$ROOT/grade/grade.sh" >"$out/report.txt" 2>"$out/grade.err"
	rc=$?
	t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d", b - a + 0.5 }')
	graded=$((graded + 1)) spent=$((spent + t))
	left=$(((n - i) * spent / graded))
	if [ "$rc" = 2 ]; then
		rm -f "$out/results.json"
		printf '[%d/%d] %s: the grader could not run (%s); rerun to retry\n' "$i" "$n" "$name" "$(tail -n 1 "$out/grade.err")"
		continue
	fi
	score=$(sed -n 's/^Score: //p' "$out/report.txt")
	printf '[%d/%d] %s: %s (%d s), about %d min %02d s left\n' "$i" "$n" "$name" "${score:-?}" "$t" $((left / 60)) $((left % 60))
done

# The table and class.csv, from every results.json (this run's and earlier ones).
results=()
for d in "${dirs[@]}"; do results+=("$class/class/$(safe_name "$(basename "$d")")/results.json"); done
python3 "$ROOT/grade/class.py" "$class/class.csv" "${results[@]}"
