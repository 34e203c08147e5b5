#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make skels`: writes the lab's starter, generated from the reference solution by the
# per-exercise patches in grade/starter/ (grade/starter.sh), to DIR. TODO=N keeps exercises 1..N-1 solved (default 1). An existing DIR may
# hold a student's work: it is replaced only with FORCE=1.
# Usage: skels.sh DIR
set -euo pipefail
. "$(dirname "$0")/../qemu/lib.sh"

dir=${1:?usage: skels.sh DIR}
todo=${TODO:-1}
if [ -e "$dir" ] && [ "${FORCE:-0}" != 1 ]; then
	die "$dir already exists and may hold your work: move it away, or FORCE=1 replaces it"
fi
tmp=$dir.new
rm -rf "$tmp"
bash "$ROOT/grade/starter.sh" "$ROOT" "$tmp" "$todo" || die "writing the starter failed (above)"
rm -rf "$dir"
mv "$tmp" "$dir"
note "wrote $dir/ (TODO=$todo; its rust_workq.rs says what is solved); grade it with 'make grade MODULE=$dir'"
