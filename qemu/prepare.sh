#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Everything a boot needs, for one kernel (series and flavour), built only where stale:
# dependencies, the kernel (cached; or the user's KDIR with SERIES "custom"), rust_workq.ko, the
# static tools, the C modules (the twin, the leak canary) and the initramfs. Writes the kernel's
# settings as shell assignments (K_DIR, K_INITRD, K_MEM, K_APPEND, K_SCALE, K_SOAK, ...) to a file
# and prints its path; scripts read it through load_kernel in lib.sh.
# --key prints the kernel's cache entry name (SERIES-FLAVOR-KEY, qemu/kernel.sh) and builds
# nothing: `make kernel-key`, the key of a CI cache of ~/.cache/rust_workq.
# Usage: prepare.sh [--module-only | --kernel-only | --key] [SERIES [FLAVOR]]
#   SERIES: 7.2, 7.3, ... or --default (KERNEL_SERIES, else the newest the mirror offers; with
#   KDIR=/path/to/build set, the user's tree, called "custom"). FLAVOR: default $FLAVOR or base.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

only=
case ${1:-} in --module-only | --kernel-only | --key) only=${1#--}; shift ;; esac
# What the build needs, first: finding the series asks apt, and a brand-new machine is told
# what it lacks before anything else.
t0=$(now)
bash "$ROOT/qemu/deps.sh"
phase_done "deps" "$t0"
series=$(resolve_series "${1:---default}") || exit 1
flavor=${2:-${FLAVOR:-base}}
fcfg=$ROOT/qemu/flavors/$flavor.config
[ -f "$fcfg" ] || die "unknown kernel flavour '$flavor' (flavours: $(flavors | tr '\n' ' '))"

# One prepare per kernel at a time (make check runs the harness self-test beside lint, and both
# prepare the same kernel): a second waits for the first, then finds everything up to date.
mkdir -p "$OUT"
exec 9>"$OUT/.prepare-$series-$flavor.lock"
flock 9 || die "cannot lock $OUT/.prepare-$series-$flavor.lock"

if [ "$only" = key ]; then
	[ "$series" != custom ] || die "KDIR= is your own tree: it has no cache key"
	exec bash "$ROOT/qemu/kernel.sh" --key "$series" "$flavor"
fi

t0=$(now)
if [ "$series" = custom ]; then
	kdir=$(cd "${KDIR:?KDIR must name the kernel build tree}" 2>/dev/null && pwd) || die "KDIR=$KDIR does not exist"
	[ -f "$kdir/.config" ] || die "KDIR=$kdir has no .config; point KDIR at a configured and built kernel tree"
	grep -qx 'CONFIG_RUST=y' "$kdir/.config" || die "KDIR=$kdir was built without CONFIG_RUST=y; enable it (make menuconfig: General setup -> Rust support) and rebuild"
	[ -f "$kdir/Module.symvers" ] || die "KDIR=$kdir has no Module.symvers; build it with 'make all' (or 'vmlinux modules'), not only bzImage"
	ls "$kdir"/rust/*.rmeta >/dev/null 2>&1 || die "KDIR=$kdir has no Rust metadata (rust/*.rmeta); build the kernel with CONFIG_RUST=y and 'make all'"
	version=$(make -s -C "$kdir" kernelversion 2>/dev/null || echo unknown)
else
	kdir=$(bash "$ROOT/qemu/kernel.sh" "$series" "$flavor") || exit 1
	version=$(head -n 1 "$kdir/.rust_workq-complete")
fi
phase_done "kernel $series/$flavor" "$t0"
if [ "$only" = kernel-only ]; then
	echo "$kdir"
	exit 0
fi

out=$OUT/$series-$flavor
t0=$(now)
log=$out/module/build.log
build_module "$ROOT" "$out/module" "$kdir" || {
	cat "$log" >&2
	case $(cat "$log") in
	*"incompatible version of rustc"* | *"E0514"*)
		die "rust_workq.ko: the kernel at $kdir was built by another rustc than /usr/bin/rustc; build the module with the kernel's compiler (make RUSTC=...)" ;;
	esac
	die "building rust_workq.ko for $series/$flavor failed (log above; $log)"
}
grep -E '^(warning|error)' -A8 "$log" >&2 || true
phase_done "module $series/$flavor" "$t0"
if [ "$only" = module-only ]; then
	echo "$out/module/rust_workq.ko"
	exit 0
fi

t0=$(now)
bash "$ROOT/qemu/tools.sh" >&2
phase_done "tools" "$t0"

# The C modules: the twin (bench/), against the ABI header generated from ioctl_abi.rs, and the
# leak canary.
t0=$(now)
tools=$ROOT/userspace/target/x86_64-unknown-linux-gnu/release
mkdir -p "$out/bench"
"$tools/ioctl" --c-header >"$out/bench/rust_workq_abi.h.new"
cmp -s "$out/bench/rust_workq_abi.h.new" "$out/bench/rust_workq_abi.h" ||
	mv "$out/bench/rust_workq_abi.h.new" "$out/bench/rust_workq_abi.h"
rm -f "$out/bench/rust_workq_abi.h.new"
# build_c_module SRC_DIR NAME: NAME.ko from SRC_DIR into $out/NAME.
build_c_module() {
	build_module "$1" "$out/$2" "$kdir" || {
		cat "$out/$2/build.log" >&2
		die "building $2.ko failed (log above)"
	}
	grep -E 'warning|error' "$out/$2/build.log" >&2 || true
}
build_c_module "$ROOT/bench" bench
build_c_module "$ROOT/tests/leak_canary" leak_canary
phase_done "C modules" "$t0"

t0=$(now)
KDIR=$kdir bash "$ROOT/qemu/initramfs.sh" "$out/initramfs.cpio.gz" "$out/module/rust_workq.ko" \
	"$out/bench/c_workq.ko" "$out/leak_canary/leak_canary.ko" -- "$tools"/{ioctl,kmsg,workq-stress,workq-trace}
phase_done "initramfs" "$t0"

env=$out/kernel.env
{
	printf 'K_NAME=%q\n' "$series/$flavor"
	printf 'K_SERIES=%q\nK_FLAVOR=%q\nK_VERSION=%q\n' "$series" "$flavor" "$version"
	printf 'K_DIR=%q\nK_OUT=%q\nK_INITRD=%q\n' "$kdir" "$out" "$out/initramfs.cpio.gz"
	printf 'K_MEM=%q\nK_APPEND=%q\n' "$(setting "$fcfg" mem)" "$(setting "$fcfg" append)"
	printf 'K_SCALE=%q\nK_SOAK=%q\n' "$(setting "$fcfg" limit_scale)" "$(setting "$fcfg" soak_seconds)"
} >"$env"
echo "$env"
