#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the userspace tools (userspace/, a Cargo workspace) as static binaries for the guest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v cargo >/dev/null || die "cargo not found; install a Rust toolchain (rustup, or apt-get install cargo)"
cd "$ROOT/userspace"
cargo build -q --release --locked --target x86_64-unknown-linux-gnu ||
	die "building the userspace tools failed; see cargo's output above"
