#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Writes the lab's starter from the reference solution: copies Kbuild and every *.rs of SRC to
# OUT, then takes out exercises TODO..10 by applying grade/starter/eN.patch for N = 10 down to
# TODO. Each patch replaces one exercise's code with its "// TODO N:" lines, against the
# reference with the later exercises already taken out, so the patches apply in that order
# only, and exactly (no fuzz): a reference edit that a patch no longer fits stops here, naming
# the patch (grade/README.md says how to refresh one). TODO=11 is the solution itself.
# Usage: starter.sh SRC OUT TODO
set -euo pipefail
src=${1:?usage: starter.sh SRC OUT TODO} out=${2:?usage: starter.sh SRC OUT TODO} todo=${3:?usage: starter.sh SRC OUT TODO}
patches=$(cd "$(dirname "$0")" && pwd)/starter
case $todo in
[1-9] | 10 | 11) ;;
*) echo "starter.sh: TODO=$todo: give 1..10 (exercises before it come solved) or 11 (all)" >&2; exit 2 ;;
esac
command -v patch >/dev/null || { echo "starter.sh: patch not found; install it: apt-get install patch" >&2; exit 1; }
mkdir -p "$out"
cp "$src/Kbuild" "$src"/*.rs "$out/"
for ((n = 10; n >= todo; n--)); do
	p=$patches/e$n.patch
	[ -f "$p" ] || continue
	if ! patch -s -p1 -d "$out" --fuzz=0 --no-backup-if-mismatch -r - <"$p" >"$out/.patch.log" 2>&1; then
		cat "$out/.patch.log" >&2
		echo "starter.sh: grade/starter/e$n.patch no longer applies to the reference; refresh it (grade/README.md)" >&2
		exit 1
	fi
done
rm -f "$out/.patch.log"
[ "$todo" -le 10 ] || exit 0
case $todo in 1) solved=none ;; 2) solved=1 ;; *) solved=1-$((todo - 1)) ;; esac
# After the SPDX line: what this file is, and no warnings for what the lab provides that the
# TODOs have not used yet.
sed -i "1r /dev/stdin" "$out/rust_workq.rs" <<HEADER

// The lab's starter, written by \`make skels TODO=$todo\` from the reference solution.
// Exercises solved: $solved. Each \`// TODO n:\` says what exercise n asks; \`make grade
// MODULE=<this directory>\` grades what you wrote. Until every TODO is done, some of what the
// lab provides is unused: no warnings for it.
#![allow(dead_code, unused_imports, unused_macros, unused_mut, unused_variables)]
HEADER
