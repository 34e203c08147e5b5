#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make lint`: rustfmt and clippy for the module (clippy through the kernel's build, CLIPPY=1)
# and for userspace/ (cargo fmt --check, cargo clippy -D warnings). One KTAP-style line per
# check; exits 1 if any failed.
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"

env=$(bash "$ROOT/qemu/prepare.sh" "${FLAVOR:-base}") || die "cannot prepare the kernel tree (see above)"
eval "$env"
mapfile -t kvars < <(kmake_vars)
failed=0 n=0
result() { # result STATUS NAME LOGFILE
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n lint: $2"
	else
		failed=$((failed + 1))
		sed 's/^/# /' "$3" | head -n 60
		echo "not ok $n lint: $2"
	fi
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

rustfmt --check --config-path "$ROOT/.rustfmt.toml" "$ROOT/rust_workq.rs" >"$log" 2>&1
result $? "rustfmt rust_workq.rs ioctl_abi.rs" "$log"

# A fresh output directory makes the kernel build run clippy-driver on the module every time.
mo=$OUT/$FLAVOR/clippy
rm -rf "$mo" && mkdir -p "$mo"
make -C "$KDIR" M="$ROOT" MO="$mo" "${kvars[@]}" CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver modules >"$log" 2>&1
rc=$?
grep -qE '^(warning|error)' "$log" && rc=1
result $rc "clippy (CLIPPY=1) on the module" "$log"

(cd "$ROOT/userspace" && cargo fmt --check) >"$log" 2>&1
result $? "cargo fmt --check (userspace)" "$log"

(cd "$ROOT/userspace" && cargo clippy -q --locked --all-targets -- -D warnings) >"$log" 2>&1
result $? "cargo clippy -D warnings (userspace)" "$log"

echo "# lint: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
