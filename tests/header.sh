# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# header FILE KEY: the value of FILE's first "#@ KEY=VALUE" line (a test's, a check's, a kernel
# flavour's or series' settings), or nothing. The one reader of those lines, for the guest runner
# (busybox sh) and the host scripts alike. Source it, do not run it.
header() {
	sed -n "s/^#@ $2=//p" "$1" | head -n 1
}
