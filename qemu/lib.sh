# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the scripts in qemu/ and tests/. Source it, do not run it.

# The project's root, whichever script sources this file.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

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

# build_module SRC_DIR OUT_DIR KDIR: builds the module whose Kbuild is in SRC_DIR against the
# kernel tree KDIR, objects in OUT_DIR (the source directory stays clean); the compiler's output
# goes to OUT_DIR/build.log. Fails with the build.
build_module() {
	local kv
	mkdir -p "$2"
	mapfile -t kv < <(kmake_vars)
	make -C "$3" M="$1" MO="$2" "${kv[@]}" modules >"$2/build.log" 2>&1
}

# The kernel series the module supports: one file each in qemu/series/, newest first.
supported_series() {
	local f
	for f in "$ROOT"/qemu/series/*.config; do basename "$f" .config; done | sort -rV
}

# A flavour's or series' setting from its file's "#@ key=value" lines: setting FILE KEY.
setting() {
	sed -n "s/^#@ $2=//p" "$1" | tail -n 1
}

# The kernel flavours: one file each in qemu/flavors/.
flavors() {
	local f
	for f in "$ROOT"/qemu/flavors/*.config; do basename "$f" .config; done
}

# The Kconfig fragments of a kernel, in merge order: the flavour's chain of "#@ include=" files
# (base first), then the series' own file. config_fragments SERIES FLAVOR
config_fragments() {
	local f=$ROOT/qemu/flavors/$2.config chain=() inc
	[ -f "$ROOT/qemu/series/$1.config" ] || die "kernel series $1 is not supported (supported: $(supported_series | tr '\n' ' '))"
	while :; do
		[ -f "$f" ] || die "unknown kernel flavour '$(basename "$f" .config)' (flavours: $(flavors | tr '\n' ' '))"
		chain=("$f" "${chain[@]}")
		inc=$(setting "$f" include)
		[ -n "$inc" ] || break
		f=$ROOT/qemu/flavors/$inc.config
	done
	printf '%s\n' "${chain[@]}" "$ROOT/qemu/series/$1.config"
}

# The series to use when none is named: KERNEL_SERIES, else the newest supported series the
# mirror offers (said on stderr).
default_series() {
	if [ -n "${KERNEL_SERIES:-}" ]; then
		echo "$KERNEL_SERIES"
		return
	fi
	local s
	s=$(bash "$ROOT/qemu/fetch-source.sh" --default) || return 1
	note "kernel series $s: the newest supported series the mirror offers (KERNEL_SERIES=... picks another)"
	echo "$s"
}

# A series as the scripts take it: "--default" is KDIR's "custom" when KDIR is set, else the
# default series; anything else is itself.
resolve_series() {
	case $1 in
	--default) if [ -n "${KDIR:-}" ]; then echo custom; else default_series; fi ;;
	*) echo "$1" ;;
	esac
}

# load_kernel SERIES FLAVOR: prepares everything a boot of that kernel needs (qemu/prepare.sh)
# and sets its K_* variables (K_NAME K_DIR K_INITRD K_MEM K_APPEND K_SCALE K_SOAK K_OUT ...),
# replacing those of any kernel loaded before.
# With RWQ_KERNEL_ENV naming a kernel.env of the same flavour (and series, unless "--default"),
# that kernel is taken as prepared: make grade-all prepares once for the whole class.
load_kernel() {
	local env
	if [ -n "${RWQ_KERNEL_ENV:-}" ] && grep -qx "K_FLAVOR=$2" "$RWQ_KERNEL_ENV" &&
		{ [ "$1" = --default ] || grep -qx "K_SERIES=$1" "$RWQ_KERNEL_ENV"; }; then
		env=$RWQ_KERNEL_ENV
	else
		env=$(bash "$ROOT/qemu/prepare.sh" "$1" "$2") || return 1
	fi
	# shellcheck disable=SC2034 # read by load_kernel's callers
	K_NAME='' K_SERIES='' K_FLAVOR='' K_VERSION='' K_DIR='' K_OUT='' K_INITRD='' K_MEM='' K_APPEND='' K_SCALE='' K_SOAK=''
	# shellcheck source=/dev/null
	. "$env"
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
