#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# /init of the guest: mounts the basics, loads the module, then either runs the command the host
# packed as /run-cmd (its output goes to the host on ttyS1, its exit status as the record
# "exit STATUS" on the data channel, ttyS2) or opens a shell.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /root
hostname rust-workq

if insmod /lib/modules/rust_workq.ko; then
	echo "rust_workq loaded: /dev/mydevice is ready"
else
	echo "insmod /lib/modules/rust_workq.ko failed"
fi

if [ -f /run-cmd ]; then
	out=/dev/ttyS1
	stty -F "$out" raw -echo 2>/dev/null
	stty -F /dev/ttyS2 raw -echo 2>/dev/null
	cd /root || exit 1
	sh -c '. /etc/profile; . /run-cmd' >"$out" 2>&1 </dev/null
	printf 'exit\t%s\n' "$?" >/dev/ttyS2
else
	cat <<'BANNER'

  rust_workq lab VM: the module is loaded and /dev/mydevice exists.
  Try:   ioctl /dev/mydevice -t J -n 10 -d none; dmesg | tail
         ioctl --list          (the ioctl ABI)
         rmmod rust_workq; insmod /lib/modules/rust_workq.ko
  Leave with 'exit' (or Ctrl-D); the VM powers off.

BANNER
	setsid cttyhack sh -l
fi
sync
reboot -f
