# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the scripts in qemu/ and tests/. Source it, do not run it.

# The project's root, whichever script sources this file.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Kernel series we build; the exact patch version comes from the Debian package.
KERNEL_SERIES=${KERNEL_SERIES:-7.2}

# CI may run with a trimmed environment: find the home directory and rustup's cargo anyway.
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
[ -x "$HOME/.cargo/bin/cargo" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH=$PATH:$HOME/.cargo/bin ;; esac

# Everything fetched or built outside the clone lives here, keyed so that a later run can reuse it.
CACHE=${RUST_WORKQ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_workq}

# Where the per-run artefacts (module, tools, initramfs, logs) go inside the clone.
OUT=${OUT:-$ROOT/build}

# The toolchain the kernel is built with (see ../shared/notes/toolchain.md).
LLVM_SUFFIX=-19
BINDGEN_VERSION=0.73.2
BINDGEN_ROOT=$CACHE/tools/bindgen-$BINDGEN_VERSION
export LIBCLANG_PATH=/usr/lib/llvm$LLVM_SUFFIX/lib
export PATH=$BINDGEN_ROOT/bin:$PATH

# The make variables every kernel-side build (kernel, module, lint) passes.
kmake_vars() {
	printf '%s\n' "LLVM=$LLVM_SUFFIX" "RUSTC=/usr/bin/rustc" "RUSTDOC=/usr/bin/rustdoc" \
		"BINDGEN=$BINDGEN_ROOT/bin/bindgen"
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

note() {
	printf '==> %s\n' "$*" >&2
}

# Seconds since the epoch with millisecond precision, for phase times.
now() {
	date +%s.%3N
}

# Prints "<label>: <seconds>s" for a phase that started at $2.
phase_done() {
	awk -v l="$1" -v a="$2" -v b="$(now)" 'BEGIN { printf "==> phase %-24s %7.1fs\n", l, b - a }' >&2
}
