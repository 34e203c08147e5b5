#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Proof that the grader discriminates, on real guests (part of make check):
# - the reference solution scores full marks; the untouched starter (make skels) scores only
#   loading and unloading;
# - every starter (TODO=1..10) builds, loads and unloads cleanly, on every series given;
# - every mutant in grade/mutants/ (a small patch to the reference) fails the checks of the
#   exercises its "#@ loses=" names and passes those of "#@ keeps=" (exercise numbers, 0,
#   "robustness", or check names); one whose "#@ crashes=" names a check crashes the guest in
#   that check only, and the grade goes on; "#@ says=CHECK ERE": what that check printed before
#   its verdict matches ERE (the feedback shows what the module did: a panic's cause, say).
# One boot per series (plus one per crash); modules are cached by what they are built from.
# Usage: grade-proof.sh SERIES...   (the first also gets the reference, starter and mutants)
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

[ $# -gt 0 ] || die "usage: grade-proof.sh SERIES..."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=("$ROOT"/grade/checks/[0-9]*.sh)
name_of() { local n=${1##*/}; n=${n%.sh}; echo "${n#[0-9][0-9]-}"; }
exercise_of() { header "$1" exercise; }

# build SRC_DIR NAME: the module built from SRC_DIR against K_DIR, as $work/ko/NAME.ko, from the
# cache when the same sources were built against the same kernel before.
build() {
	local key dir=$CACHE/grade-modules
	key=$( (echo "$K_DIR"; cat "$1"/Kbuild "$1"/*.rs) | sha256sum | cut -c1-16)
	mkdir -p "$dir" "$work/ko"
	if [ ! -f "$dir/$key.ko" ]; then
		build_module "$1" "$work/build-$2" "$K_DIR" && [ -f "$work/build-$2/rust_workq.ko" ] || {
			ktap_diag "$2 does not build:"
			grep -E '^(error|warning)' -A5 "$work/build-$2/build.log" | head -n 20 | ktap_diag
			return 1
		}
		cp "$work/build-$2/rust_workq.ko" "$dir/$key.ko.tmp" && mv "$dir/$key.ko.tmp" "$dir/$key.ko"
	fi
	cp "$dir/$key.ko" "$work/ko/$2.ko"
}

# The checks of a "#@ loses=/keeps=" list: exercises and check names.
checks_of() {
	local tok c
	for tok in "$@"; do
		for c in "${checks[@]}"; do
			if [ "$(exercise_of "$c")" = "$tok" ] || [ "$(name_of "$c")" = "$tok" ]; then echo "$c"; fi
		done
	done
}

ktap_header
first=1
for series in "$@"; do
	load_kernel "$series" base >/dev/null || die "cannot prepare $series/base"
	rm -rf "$work/ko" "$work"/src-*
	specs=() expect=()
	# expect LINE: "MODULE CHECK pass|fail|crash" lines, judged after the run.
	mkdir -p "$work/ko" && cp "$K_OUT/module/rust_workq.ko" "$work/ko/reference.ko"
	builds_ok=1
	for todo in 1 2 3 4 5 6 7 8 9 10; do
		bash "$ROOT/grade/starter.sh" "$ROOT" "$work/src-todo$todo" "$todo" || builds_ok=0
		build "$work/src-todo$todo" "todo$todo" || builds_ok=0
	done
	if [ "$builds_ok" = 1 ]; then
		ktap_result pass "grade: $K_NAME: every starter (TODO=1..10) builds"
	else
		ktap_result fail "grade: $K_NAME: every starter (TODO=1..10) builds"
	fi
	for todo in 1 2 3 4 5 6 7 8 9 10; do
		[ -f "$work/ko/todo$todo.ko" ] || continue
		specs+=("${checks[0]}@$work/ko/todo$todo.ko")
		expect+=("todo$todo $(name_of "${checks[0]}") pass")
	done
	if [ "$first" = 1 ]; then
		for c in "${checks[@]}"; do
			specs+=("$c@$work/ko/reference.ko")
			expect+=("reference $(name_of "$c") pass")
			[ "$c" = "${checks[0]}" ] && continue
			specs+=("$c@$work/ko/todo1.ko")
			expect+=("todo1 $(name_of "$c") fail")
		done
		# Mutants, the one that crashes last (a crash costs a fresh guest for what follows).
		mapfile -t mutants < <(grep -L '^#@ crashes=' "$ROOT"/grade/mutants/*.patch; grep -l '^#@ crashes=' "$ROOT"/grade/mutants/*.patch)
		for p in "${mutants[@]}"; do
			m=$(basename "$p" .patch)
			mkdir -p "$work/src-$m"
			cp "$ROOT"/Kbuild "$ROOT"/*.rs "$work/src-$m/"
			if ! patch -s -p1 -d "$work/src-$m" <"$p" >"$work/patch.out" 2>&1; then
				ktap_diag "$(cat "$work/patch.out")"
				ktap_result fail "grade: mutant $m applies to the reference (regenerate grade/mutants/$m.patch)"
				continue
			fi
			build "$work/src-$m" "$m" || { ktap_result fail "grade: mutant $m builds"; continue; }
			crash=$(header "$p" crashes)
			# shellcheck disable=SC2046 # word lists
			{
				for c in $(checks_of $(header "$p" keeps)); do echo "$c pass"; done
				for c in $(checks_of $(header "$p" loses)); do
					if [ "$(name_of "$c")" = "$crash" ]; then echo "$c crash"; else echo "$c fail"; fi
				done
			} | sort -u | sort -t/ -k1 >"$work/plan"
			while read -r c verdict; do
				specs+=("$c@$work/ko/$m.ko")
				expect+=("$m $(name_of "$c") $verdict")
			done <"$work/plan"
		done
	fi
	bash "$ROOT/tests/host/suite.sh" --log "$K_OUT/grade-proof" "$series" base "${specs[@]}" >"$work/ktap" 2>"$work/err"
	sed 's/^/    /' "$work/ktap"
	# Judge every expectation against the suite's results (tests/results.py): each is pass, fail
	# (a skip included: no check may skip here), crash, or inconclusive (never expected: a set-up
	# that did not happen is the grader's failure).
	declare -A got=() bad=() planned=()
	while read -r name verdict _; do
		[ "$verdict" = skip ] && verdict=fail
		got[$name]=$verdict
	done < <(python3 "$ROOT/tests/results.py" verdicts "$K_OUT/grade-proof/results.json" 2>/dev/null)
	for e in "${expect[@]}"; do
		read -r m c want <<<"$e"
		planned[$m]=1 planned[$c@$m]=1
		have=${got[$c@$m]:-none}
		if [ "$have" != "$want" ]; then
			ktap_diag "$c@$m: expected $want, got $have"
			bad[$m]=1 bad[$c@$m]=1
		fi
	done
	# says CHECK@MODULE ERE: the check's diagnostic lines before its result match ERE.
	says() {
		awk -v n="$1" -v re="$2" '/^    # / { b = b "\n" $0; next }
			/^    (not )?ok / { name = ($1 == "not") ? $4 : $3; if (name == n && b ~ re) found = 1; b = "" }
			END { exit !found }' "$work/ktap.shown"
	}
	sed 's/^/    /' "$work/ktap" >"$work/ktap.shown"
	if [ "$first" = 1 ]; then
		for p in "${mutants[@]}"; do
			m=$(basename "$p" .patch)
			w=$(header "$p" says)
			[ -n "$w" ] || continue
			if ! says "${w%% *}@$m" "${w#* }"; then
				ktap_diag "${w%% *}@$m: its output does not match: ${w#* }"
				bad[$m]=1
			fi
		done
	fi
	# holds MODULE or CHECK@MODULE: it was graded, and as expected.
	holds() { [ -n "${planned[$1]:-}" ] && [ -z "${bad[$1]:-}" ]; }
	report() { if holds "$1"; then ktap_result pass "$2"; else ktap_result fail "$2"; fi; }
	if [ "$first" = 1 ]; then
		report reference "grade: the reference scores full marks on $K_NAME"
		report todo1 "grade: the untouched starter scores only loading and unloading"
		for p in "${mutants[@]}"; do
			m=$(basename "$p" .patch)
			what="loses $(header "$p" loses), keeps $(header "$p" keeps)"
			grep -q '^#@ crashes=' "$p" && what="$what, crashes in $(header "$p" crashes) only"
			w=$(header "$p" says)
			[ -z "$w" ] || what="$what; ${w%% *} says: ${w#* }"
			report "$m" "grade: mutant $m: $what"
		done
	fi
	loads=1
	for todo in 1 2 3 4 5 6 7 8 9 10; do
		holds "loads@todo$todo" || loads=0
	done
	[ "$loads" = 1 ] && ktap_result pass "grade: every starter loads and unloads cleanly on $K_NAME" ||
		ktap_result fail "grade: every starter loads and unloads cleanly on $K_NAME"
	[ ${#bad[@]} = 0 ] || ktap_diag "$K_NAME: expectations not met (above)"
	unset got bad planned
	first=0
done
ktap_totals
[ "$KTAP_FAIL" = 0 ]
