#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# /bin/dmesg in the guest. The lab types `dmesg -w` and `dmesg -T -w`, which busybox's dmesg
# lacks: those options go to kmsg (userspace/kmsg), everything else to busybox.
for a in "$@"; do
	case $a in
	-T | -w | -Tw | -wT | --ctime | --follow) exec kmsg "$@" ;;
	esac
done
exec busybox dmesg "$@"
