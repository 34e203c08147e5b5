#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Proof that a class graded in shares merges into what an unsharded run writes (part of make
# check): a class built by this test (the reference, two names that map to one results name,
# "col a" and col_a, the untouched starter, a mutant, a symlink and a plain file), graded once
# whole and once as `make grade-all SHARD=1/2` and `SHARD=2/2` side by side, then
# `make grade-merge`: class.csv and summary.json must be identical byte for byte. Then the merge
# must refuse, each with one line and no output written: a missing share, a share given twice,
# a student in two shares, a student in none, shares graded with other checks. The other two
# targets the workflows in ci/ run work as they use them: `make kernel-key` names the cached
# kernel, and `make grade MODULE=` of one submission writes its results.json. Exercise 1 only.
# Usage: grade-shards.sh
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
class=$work/class
submission() { # submission NAME: a copy of the reference
	mkdir -p "$class/$1"
	cp "$ROOT"/Kbuild "$ROOT"/*.rs "$class/$1/"
}
submission reference
submission "col a"
submission col_a
bash "$ROOT/grade/starter.sh" "$ROOT" "$class/starter" 1 >/dev/null
submission e1_mutant
patch -s -p1 -d "$class/e1_mutant" <"$ROOT/grade/mutants/e1_print_in_ioctl.patch"
ln -s "$class/reference" "$class/link"
echo "not a module" >"$class/plain_file"

grade_all() { # grade_all OUT [SHARD]: make grade-all of the class, exercise 1, into OUT
	make -s -C "$ROOT" grade-all SUBMISSIONS="$class" EXERCISE=1 GRADE_OUT="$1" ${2:+SHARD=$2} \
		>"$1.out" 2>"$1.err"
}
t0=$(now)
grade_all "$work/whole"
whole_rc=$?
t1=$(now)
grade_all "$work/s1" 1/2 &
p1=$!
grade_all "$work/s2" 2/2 &
p2=$!
wait "$p1"
s1_rc=$?
wait "$p2"
s2_rc=$?
t2=$(now)
sed 's/^/    /' "$work/whole.out" "$work/s1.out" "$work/s2.out"
merge() { # merge OUT SHARE_DIR...: make grade-merge, its stderr in OUT.err
	local out=$1
	shift
	make -s -C "$ROOT" grade-merge GRADE_OUT="$out" RESULTS="$*" >"$out.out" 2>"$out.err"
}
merge "$work/merged" "$work/s1" "$work/s2"
merge_rc=$?
# The student's workflow: make grade of one module, the score from its results.json.
make -s -C "$ROOT" grade MODULE="$class/reference" EXERCISE=1 GRADE_OUT="$work/one" >"$work/one.out" 2>&1
one_rc=$?
key=$(make -s -C "$ROOT" kernel-key 2>"$work/key.err")

ktap_header
ktap_plan 10
result() { # result OK|FAIL TEXT [DIAG]
	if [ "$1" = OK ]; then ktap_result pass "shards: $2"; else
		[ -z "${3:-}" ] || ktap_diag "$3"
		ktap_result fail "shards: $2"
	fi
}
one=$(python3 "$ROOT/grade/class.py" --score "$work/one/results.json" 2>/dev/null)
if [ "$one_rc" = 0 ] && [ "$one" = 10/10 ]; then
	result OK "make grade MODULE= of one submission (the student workflow's step): results.json, $one"
else
	result FAIL "make grade MODULE= of one submission: results.json with 10/10" "exit $one_rc, score '$one'; $(tail -n 2 "$work/one.out" | tr '\n' '|')"
fi
if [[ $key =~ ^[0-9.]+-base-[0-9a-f]{12}$ ]] && [ -f "$CACHE/kernel/$key/.rust_workq-complete" ]; then
	result OK "make kernel-key (the workflows' cache key) names the cached kernel: $key"
else
	result FAIL "make kernel-key names the cached kernel" "got '$key'; $(tail -n 1 "$work/key.err")"
fi
progress() { grep -c '^\[[0-9]*/[0-9]*\] ' "$1"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", b - a }'; }
if [ "$whole_rc" = 0 ] && [ "$(progress "$work/whole.out")" = 7 ]; then
	result OK "the whole class graded in $(secs "$t0" "$t1")s: 7 entries"
else
	result FAIL "the whole class graded: 7 entries" "exit $whole_rc; $(tail -n 2 "$work/whole.err" | tr '\n' '|')"
fi
if [ "$s1_rc" = 0 ] && [ "$s2_rc" = 0 ] && [ "$(progress "$work/s1.out")" = 4 ] && [ "$(progress "$work/s2.out")" = 3 ]; then
	result OK "SHARD=1/2 and SHARD=2/2 side by side in $(secs "$t1" "$t2")s: 4 and 3 entries, each in one share"
else
	result FAIL "SHARD=1/2 and SHARD=2/2: 4 and 3 entries" "exit $s1_rc/$s2_rc; $(tail -n 1 "$work/s1.err") $(tail -n 1 "$work/s2.err")"
fi
if [ "$merge_rc" = 0 ] && cmp -s "$work/whole/class.csv" "$work/merged/class.csv" &&
	cmp -s "$work/whole/summary.json" "$work/merged/summary.json"; then
	result OK "the merged class.csv and summary.json are the unsharded run's, byte for byte"
else
	result FAIL "the merged class.csv and summary.json are the unsharded run's" \
		"merge exit $merge_rc: $(cat "$work/merged.err"); $(diff "$work/whole/class.csv" "$work/merged/class.csv" | head -n 4 | tr '\n' '|')"
fi
# refused TEXT ERE SHARE_DIR...: the merge fails with one line matching ERE and writes nothing.
refused() {
	local text=$1 ere=$2 out
	shift 2
	out=$work/refused-$RANDOM
	merge "$out" "$@"
	local rc=$?
	# make adds its own "make: *** [grade-merge] Error 2" ("make[1]: ..." under another make).
	grep -vE '^make(\[[0-9]+\])?: ' "$out.err" >"$out.said"
	if [ "$rc" != 0 ] && [ "$(wc -l <"$out.said")" = 1 ] && grep -qE "$ere" "$out.said" && [ ! -e "$out" ]; then
		result OK "$text: refused ($(cat "$out.said"))"
	else
		result FAIL "$text: refused with one line" "exit $rc: $(tr '\n' '|' <"$out.err")"
	fi
}
refused "a missing share" 'share\(s\) 2 of 2 missing' "$work/s1"
refused "a share given twice" 'share 1 of 2 is given twice' "$work/s1" "$work/s1" "$work/s2"
cp -r "$work/s2" "$work/doubled"
head -n 1 "$work/s1/class.tsv" >>"$work/doubled/class.tsv"
refused "a student in two shares" 'student .* is in shares 1 and 2' "$work/s1" "$work/doubled"
cp -r "$work/s2" "$work/dropped"
sed -i 1d "$work/dropped/class.tsv"
refused "a student in no share" 'student .* is in no share' "$work/s1" "$work/dropped"
cp -r "$work/s2" "$work/other"
python3 - "$work/other/shard.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["context"] = "0" * 32; json.dump(d, open(sys.argv[1], "w"))
PY
refused "shares graded with other checks or kernel" 'graded with other checks' "$work/s1" "$work/other"
ktap_totals
[ "$KTAP_FAIL" = 0 ]
