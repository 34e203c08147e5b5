#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make rust-analyzer`: generates rust-project.json for the module with the kernel's own
# generator (`make -C $KDIR M=... rust-analyzer`), so that an editor resolves `kernel::` items,
# then asks rust-analyzer (Debian's rust-web-analyzer, matching /usr/bin/rustc) to load it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

load_kernel --default "${FLAVOR:-base}" >/dev/null || die "cannot prepare the kernel tree (see above)"
mapfile -t kvars < <(kmake_vars)
make -s -C "$K_DIR" M="$ROOT" "${kvars[@]}" rust-analyzer ||
	die "the kernel's rust-analyzer target failed; see above"
[ -s "$ROOT/rust-project.json" ] || die "rust-project.json was not written"
python3 - "$ROOT/rust-project.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
roots = [c["root_module"] for c in d["crates"]]
mod = [c for c in d["crates"] if c["root_module"].endswith("rust_workq.rs")]
assert mod, "rust_workq.rs is not a crate in rust-project.json"
names = {i: c.get("display_name") for i, c in enumerate(d["crates"])}
deps = sorted(names.get(x["crate"]) or x["name"] for x in mod[0]["deps"])
print(f"rust-project.json: {len(roots)} crates; rust_workq depends on {', '.join(deps)}")
PY
ra=/usr/bin/rust-analyzer
if [ ! -x "$ra" ]; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -qq rust-web-analyzer >/dev/null 2>&1 || true
	fi
fi
if [ -x "$ra" ]; then
	note "checking that rust-analyzer loads it ($ra analysis-stats; a minute or two)"
	log=$(mktemp)
	(cd "$ROOT" && timeout 600 "$ra" analysis-stats --skip-inference . >"$log" 2>&1) || {
		tr '\r' '\n' <"$log" | tail -n 20 >&2
		rm -f "$log"
		die "rust-analyzer could not load rust-project.json"
	}
	# It draws a progress bar with \r; keep its summary lines.
	tr '\r' '\n' <"$log" | grep -E '^(Crates|Modules|Item Collection|Total|Failed)' >&2 || true
	rm -f "$log"
else
	note "rust-analyzer not installed (apt-get install rust-web-analyzer) - file written, not checked"
fi
