#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Re-bases grade/starter/eN.patch onto an edited reference: after an edit of the working tree's
# rust_workq.rs (or another *.rs), rewrites the patch so that it takes exercise N out of the
# edited reference as it took it out of the committed one (git HEAD). The edit is carried into
# the starter except where it falls inside exercise N's cut code, which the starter does not
# have; patch says so ("FAILED" for that hunk), and the new patch simply leaves it out. Read the
# result (git diff grade/starter/) before committing it. Run it from N = 10 down to 1 for the
# patches that starter.sh names.
# Usage: starter-rebase.sh N
set -euo pipefail
n=${1:?usage: starter-rebase.sh N}
root=$(cd "$(dirname "$0")/.." && pwd)
p=$root/grade/starter/e$n.patch
[ -f "$p" ] || { echo "starter-rebase.sh: no $p" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/old"
git -C "$root" archive HEAD | tar -C "$tmp/old" -xf -
# The starters with the exercises after N out, from the committed reference (with the committed
# patches) and from the edited one.
bash "$tmp/old/grade/starter.sh" "$tmp/old" "$tmp/old_after" $((n + 1))
bash "$root/grade/starter.sh" "$root" "$tmp/new_after" $((n + 1))
cp -r "$tmp/old_after" "$tmp/want"
patch -s -p1 -d "$tmp/want" --fuzz=0 <"$tmp/old/grade/starter/e$n.patch"
for f in "$tmp/new_after"/*.rs; do
	f=${f##*/}
	# The edit, carried into exercise N's starter; a hunk inside the cut code fails, as it should.
	if ! diff -u "$tmp/old_after/$f" "$tmp/new_after/$f" >"$tmp/edit.diff"; then
		patch --fuzz=3 --no-backup-if-mismatch -r - "$tmp/want/$f" <"$tmp/edit.diff" || true
	fi
done
# The patches are written against the starter without its header (starter.sh adds it last).
if [ "$n" -lt 10 ]; then for d in new_after want; do sed -i 2,7d "$tmp/$d/rust_workq.rs"; done; fi
: >"$p"
for f in "$tmp/new_after"/*.rs; do
	f=${f##*/}
	diff -u --label "a/$f" --label "b/$f" "$tmp/new_after/$f" "$tmp/want/$f" >>"$p" || true
done
bash "$root/grade/starter.sh" "$root" "$tmp/check" "$n" >/dev/null
echo "starter-rebase.sh: rewrote grade/starter/e$n.patch; it applies to the edited reference"
