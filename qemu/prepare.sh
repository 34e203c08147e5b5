#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Everything a boot needs, for one kernel flavour (base or debug), built only where stale:
# dependencies, the kernel (cached; or the user's KDIR), rust_workq.ko, the static tools and the
# initramfs. Prints shell assignments for the caller to eval: KDIR=... INITRD=... MEM=...
# Usage: [KDIR=/path/to/build] prepare.sh FLAVOR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavor=${1:-base}

t0=$(now)
bash "$ROOT/qemu/deps.sh"
phase_done "deps" "$t0"

t0=$(now)
if [ -n "${KDIR:-}" ]; then
	kdir=$(cd "$KDIR" 2>/dev/null && pwd) || die "KDIR=$KDIR does not exist"
	flavor=custom
	[ -f "$kdir/.config" ] || die "KDIR=$kdir has no .config; point KDIR at a configured and built kernel tree"
	grep -qx 'CONFIG_RUST=y' "$kdir/.config" || die "KDIR=$kdir was built without CONFIG_RUST=y; enable it (make menuconfig: General setup -> Rust support) and rebuild"
	[ -f "$kdir/Module.symvers" ] || die "KDIR=$kdir has no Module.symvers; build it with 'make all' (or 'vmlinux modules'), not only bzImage"
	ls "$kdir"/rust/*.rmeta >/dev/null 2>&1 || die "KDIR=$kdir has no Rust metadata (rust/*.rmeta); build the kernel with CONFIG_RUST=y and 'make all'"
else
	kdir=$(bash "$ROOT/qemu/kernel.sh" "$flavor")
fi
phase_done "kernel $flavor" "$t0"

out=$OUT/$flavor
mkdir -p "$out/module"
mapfile -t kvars < <(kmake_vars)
t0=$(now)
log=$out/module/build.log
make -C "$kdir" M="$ROOT" MO="$out/module" "${kvars[@]}" ${CLIPPY:+CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver} modules >"$log" 2>&1 || {
	cat "$log" >&2
	case $(cat "$log") in
	*"incompatible version of rustc"* | *"E0514"*)
		die "rust_workq.ko: the kernel at $kdir was built by another rustc than /usr/bin/rustc; build the module with the kernel's compiler (make RUSTC=...)" ;;
	esac
	die "building rust_workq.ko failed (log above; $log)"
}
grep -E '^(warning|error)' -A8 "$log" >&2 || true
phase_done "module" "$t0"

t0=$(now)
bash "$ROOT/qemu/tools.sh" >&2
phase_done "tools" "$t0"

# The C twin (bench/), against the ABI header generated from ioctl_abi.rs.
t0=$(now)
tools=$ROOT/userspace/target/x86_64-unknown-linux-gnu/release
mkdir -p "$out/bench"
"$tools/ioctl" --c-header >"$out/bench/rust_workq_abi.h.new"
cmp -s "$out/bench/rust_workq_abi.h.new" "$out/bench/rust_workq_abi.h" ||
	mv "$out/bench/rust_workq_abi.h.new" "$out/bench/rust_workq_abi.h"
rm -f "$out/bench/rust_workq_abi.h.new"
make -C "$kdir" M="$ROOT/bench" MO="$out/bench" "${kvars[@]}" modules >"$out/bench/build.log" 2>&1 || {
	cat "$out/bench/build.log" >&2
	die "building bench/c_workq.ko failed (log above)"
}
grep -E 'warning|error' "$out/bench/build.log" >&2 || true
phase_done "C twin" "$t0"

t0=$(now)
KDIR=$kdir bash "$ROOT/qemu/initramfs.sh" "$out/initramfs.cpio.gz" "$out/module/rust_workq.ko" \
	"$out/bench/c_workq.ko" -- "$tools"/{ioctl,kmsg,workq-stress}
phase_done "initramfs" "$t0"

# The debug kernel needs room for KASAN's shadow and kmemleak's metadata; a warning there is a
# failure (panic_on_warn), and unmerged slab caches let KASAN and failslab tell objects apart.
# TIMEOUT bounds a whole guest suite (measured: base 75 s, debug 260 s, warm, on 2 cores).
mem=512 append= timeout=400
if [ "$flavor" = debug ]; then
	mem=1024 append="panic_on_warn=1 slab_nomerge" timeout=1000
fi
printf 'KDIR=%q\nINITRD=%q\nMEM=%q\nAPPEND=%q\nTIMEOUT=%q\nFLAVOR=%q\n' "$kdir" "$out/initramfs.cpio.gz" "$mem" "$append" "$timeout" "$flavor"
