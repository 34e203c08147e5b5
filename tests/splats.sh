# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# What counts as a kernel splat, for the guest runner (after each test, on dmesg) and the host
# (on every guest's console): tests/splat-patterns, matched after the timestamp and the printing
# task (CONFIG_PRINTK_CALLER's "[   T36]") are stripped. Source it, do not run it.

# splats PATTERNS FILE...: prints the splat lines of the kernel logs FILE...; false if none.
splats() {
	patterns=$1
	shift
	sed 's/^\[ *[0-9]*\.[0-9]*\]\(\[ *[TC][0-9]*\]\)\{0,1\} //' "$@" | grep -E -f "$patterns"
}
