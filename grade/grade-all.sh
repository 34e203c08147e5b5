#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make grade-all`: grades a whole class. Every subdirectory of SUBMISSIONS is one submission (a
# module directory, as make grade's MODULE takes it), graded like `make grade` (same checks,
# EXTRA_TESTS, DEBUG) on one prepared kernel, each build sandboxed and each in a fresh guest.
# Prints a progress line per submission (names with control characters shown as '?'), then a
# table; writes build/grade/class.csv (a row for every entry of SUBMISSIONS: one that cannot be
# graded, such as a symlink, a file or a name with a newline, gets its row with the reason) and
# build/grade/class/NAME/{results.json,report.txt,key} (NAME made safe for paths, unique). An
# interrupted run resumes where it stopped: a stored result is reused only if it was graded from
# the same submission content, checks, settings and kernel (its key); FORCE=1 regrades all.
# SHARD=I/N grades only the I-th of N shares (I from 1; GitLab's CI_NODE_INDEX/CI_NODE_TOTAL
# when SHARD is not given): entry k of the sorted list (LC_ALL=C, the same on every machine)
# belongs to share ((k - 1) mod N) + 1, results go to build/grade-shard-I-of-N (GRADE_OUT), and
# `make grade-merge` (grade/merge.py) joins the shares into the class.csv of an unsharded run.
# Every run writes shard.json: its share, the whole class's entries and the grading context.
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
mapfile -d '' -t entries < <(find "$subs" -mindepth 1 -maxdepth 1 -print0 | LC_ALL=C sort -z)
[ ${#entries[@]} -gt 0 ] || fatal "SUBMISSIONS=$subs is empty"
shard=${SHARD:-}
if [ -z "$shard" ] && [ -n "${CI_NODE_INDEX:-}" ]; then shard=$CI_NODE_INDEX/${CI_NODE_TOTAL:-}; fi
shard=${shard:-1/1}
[[ $shard =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]] && [ "${BASH_REMATCH[1]}" -le "${BASH_REMATCH[2]}" ] ||
	fatal "SHARD=$shard: give I/N with 1 <= I <= N (GitHub's strategy.job-index counts from 0: add 1)"
shard_i=${BASH_REMATCH[1]} shard_n=${BASH_REMATCH[2]}
flavor=$(grade_flavor) || fatal "DEBUG=$DEBUG: give DEBUG=1 or leave it out"
why=$(sandbox_ready) || fatal "$why"

# A name as printed and in class.csv: control characters (a newline, an ESC sequence) as '?'.
shown() {
	printf '%s' "$1" | LC_ALL=C tr '\000-\037\177' '?'
}
# Results live under a name safe for paths and CSV: other characters become "_", and a name
# another submission already has gets "-2", "-3", ...: results_name NAME sets RESULTS_NAME.
declare -A taken=()
results_name() {
	local base n=1
	base=$(printf '%s' "$1" | LC_ALL=C tr -c 'A-Za-z0-9._-' '_')
	RESULTS_NAME=$base
	while [ -n "${taken[$RESULTS_NAME]:-}" ]; do
		n=$((n + 1))
		RESULTS_NAME=$base-$n
	done
	taken[$RESULTS_NAME]=1
}
# What every grade of this run depends on besides the submission, as one hash: the kernel, the
# settings, the checks and the grader. Shards merge only under the same context.
grade_context() {
	{
		echo "kernel $K_NAME $K_VERSION"
		echo "settings EXERCISE=${EXERCISE:-} DEBUG=${DEBUG:-} STUDENT_KBUILD=${STUDENT_KBUILD:-0} TIMEOUT_MUL=${TIMEOUT_MUL:-} UNSAFE=${UNSAFE:-flag}"
		cat "$ROOT"/grade/checks/*.sh "$ROOT"/grade/*.sh "$ROOT"/grade/*.py "$ROOT"/tests/guest/lib.sh "$ROOT"/tests/guest/run.sh
		[ -z "${EXTRA_TESTS:-}" ] || cat "$EXTRA_TESTS"/*.sh
	} | sha256sum | cut -c1-32
}
# What a grade depends on, as one hash: the context and the submission as the sandbox builds it.
# A stored result is reused only under the same key.
grade_key() {
	local stage
	stage=$(mktemp -d)
	stage_submission "$1" "$stage/s" >/dev/null
	{
		echo "$context"
		(cd "$stage/s" && sha256sum -- *)
	} | sha256sum | cut -c1-32
	rm -rf "$stage"
}

if [ "$shard_n" = 1 ]; then class=${GRADE_OUT:-$OUT/grade}; else class=${GRADE_OUT:-$OUT/grade-shard-$shard_i-of-$shard_n}; fi
mkdir -p "$class/class"
load_kernel --default "$flavor" || fatal "cannot prepare the $flavor kernel (see above)"
export RWQ_KERNEL_ENV=$K_OUT/kernel.env
context=$(grade_context)

# One row per entry of this share, graded or not, for class.py and merge.py: NAME, RESULTS_DIR,
# REASON (empty when graded), RESULTS_NAME, tab-separated; and every entry of the class, in
# order, as the results names every share gives them (computed over the whole list).
manifest=$class/class.tsv
: >"$manifest"
in_share() { [ $((($1 - 1) % shard_n + 1)) = "$shard_i" ]; } # in_share K: entry K (from 1) is ours
all=()
n=0 k=0
for d in "${entries[@]}"; do
	k=$((k + 1))
	results_name "$(basename "$d")"
	all+=("$RESULTS_NAME")
	! in_share "$k" || n=$((n + 1))
done
python3 - "$class/shard.json" "$shard_i" "$shard_n" "$context" "${all[@]}" <<'PY'
import json, sys
out, i, n, context, *names = sys.argv[1:]
json.dump({"shard": int(i), "of": int(n), "context": context, "entries": names}, open(out, "w"), indent=1)
PY
[ "$shard_n" = 1 ] || printf 'share %d of %d: %d of the %d entries\n' "$shard_i" "$shard_n" "$n" "${#entries[@]}"
k=0 i=0 graded=0 spent=0
for d in "${entries[@]}"; do
	k=$((k + 1))
	in_share "$k" || continue
	i=$((i + 1))
	name=$(basename "$d")
	show=$(shown "$name")
	RESULTS_NAME=${all[k - 1]}
	out=$class/class/$RESULTS_NAME
	not=
	if [ -L "$d" ]; then
		not="a symbolic link: not followed"
	elif [ ! -d "$d" ]; then
		not="not a directory"
	elif [ "$show" != "$name" ]; then
		not="its name has a control character (a newline?): rename it"
	fi
	if [ -n "$not" ]; then
		printf '[%d/%d] %s: not graded: %s\n' "$i" "$n" "$show" "$not"
		printf '%s\t\t%s\t%s\n' "$show" "$not" "$RESULTS_NAME" >>"$manifest"
		continue
	fi
	printf '%s\t%s\t\t%s\n' "$show" "$out" "$RESULTS_NAME" >>"$manifest"
	key=$(grade_key "$d")
	if [ -f "$out/results.json" ] && [ "$(cat "$out/key" 2>/dev/null)" = "$key" ] && [ "${FORCE:-0}" != 1 ]; then
		printf '[%d/%d] %s: graded before from the same submission, checks and settings (FORCE=1 regrades)\n' "$i" "$n" "$show"
		continue
	fi
	again=
	[ ! -f "$out/results.json" ] || again=" (graded again: the submission, the checks or the settings changed)"
	rm -rf "$out"
	mkdir -p "$out"
	t0=$(now)
	GRADE_OUT=$out MODULE=$d bash "$ROOT/grade/grade.sh" >"$out/report.txt" 2>"$out/grade.err"
	rc=$?
	t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d", b - a + 0.5 }')
	graded=$((graded + 1)) spent=$((spent + t))
	left=$(((n - i) * spent / graded))
	if [ "$rc" = 2 ] || [ ! -f "$out/results.json" ]; then
		rm -f "$out/results.json"
		printf '[%d/%d] %s: the grader could not run (%s); rerun to retry\n' "$i" "$n" "$show" "$(tail -n 1 "$out/grade.err" | LC_ALL=C tr '\000-\037\177' '?')"
		continue
	fi
	# Exit 3: graded, but a check could not be (named in results.json and in class.csv's
	# "inconclusive"); its row stays, and the next run grades it again (no key).
	[ "$rc" = 3 ] || echo "$key" >"$out/key"
	printf '[%d/%d] %s: %s (%d s)%s, about %d min %02d s left\n' "$i" "$n" "$show" \
		"$(python3 "$ROOT/grade/class.py" --score "$out/results.json")" "$t" "$again" $((left / 60)) $((left % 60))
done

# The table and class.csv, one row per entry (this run's results and earlier ones).
python3 "$ROOT/grade/class.py" "$class/class.csv" "$manifest"
