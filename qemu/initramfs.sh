#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Packs the guest's initramfs with the kernel's own usr/gen_init_cpio (no root needed): static
# busybox, /init, the modules, the tools and the guest tests.
# Usage: KDIR=... initramfs.sh OUTPUT MODULE.ko... -- TOOL...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1
shift
modules=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do modules+=("$1"); shift; done
[ $# -gt 0 ] && shift
tools=("$@")

gen=${KDIR:?KDIR must name the kernel build tree}/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen missing; build the kernel tree with CONFIG_BLK_DEV_INITRD=y"
dpkg -s busybox-static >/dev/null 2>&1 || die "a static busybox is needed: apt-get install busybox-static"

{
	for d in /bin /dev /proc /sys /tmp /root /etc /lib /lib/modules /tests /demo; do
		echo "dir $d 755 0 0"
	done
	echo "nod /dev/console 600 0 0 c 5 1"
	echo "file /bin/busybox /bin/busybox 755 0 0"
	echo "file /init $ROOT/qemu/guest-init.sh 755 0 0"
	echo "file /bin/dmesg $ROOT/qemu/guest-dmesg.sh 755 0 0"
	echo "file /bin/wqtrace $ROOT/qemu/guest-trace.sh 755 0 0"
	for m in "${modules[@]}"; do echo "file /lib/modules/$(basename "$m") $m 644 0 0"; done
	for t in "${tools[@]}"; do echo "file /bin/$(basename "$t") $t 755 0 0"; done
	for f in "$ROOT"/tests/guest/* "$ROOT/tests/splat-patterns" "$ROOT/tests/splats.sh" "$ROOT/tests/ktap.sh" "$ROOT/tests/header.sh"; do
		echo "file /tests/$(basename "$f") $f 755 0 0"
	done
	echo "file /tests/grade-lib.sh $ROOT/grade/lib.sh 644 0 0"
	echo "file /demo/lab.sh $ROOT/demo/lab.sh 755 0 0"
	echo "file /demo/bench.sh $ROOT/bench/guest.sh 755 0 0"
	printf 'file /etc/%s %s 644 0 0\n' passwd "$ROOT/qemu/etc/passwd" group "$ROOT/qemu/etc/group" \
		profile "$ROOT/qemu/etc/profile"
} >"$out.list"
"$gen" "$out.list" | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
rm -f "$out.list"
