#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configures and builds a Rust-enabled kernel of one series and flavour in the cache, keyed by
# the exact source version, the config fragments and the toolchain, and prints its build tree.
# An entry counts only once its build finished (stamp file); anything else is rebuilt.
# --key prints the entry's name (SERIES-FLAVOR-KEY) instead of building it: a CI cache key.
# Usage: kernel.sh [--key] SERIES FLAVOR   (flavours: qemu/flavors/*.config; series: qemu/series/)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

key_only=0
[ "${1:-}" != --key ] || { key_only=1; shift; }

series=${1:?usage: kernel.sh SERIES FLAVOR}
flavor=${2:?usage: kernel.sh SERIES FLAVOR}
frags=$(config_fragments "$series" "$flavor") || exit 1
mapfile -t fragments <<<"$frags"

t0=$(now)
src=$(bash "$ROOT/qemu/fetch-source.sh" "$series")
phase_done "fetch source $series" "$t0"
version=$(cat "$src/.rust_workq-unpacked")

mapfile -t kvars < <(kmake_vars)
key=$({
	echo "$version"
	cat "${fragments[@]}" | grep -v '^#'
	/usr/bin/rustc --version
	"clang$LLVM_SUFFIX" --version | head -n 1
	bindgen --version
} | sha256sum | cut -c1-12)
name=$series-$flavor
kdir=$CACHE/kernel/$name-$key
stamp=$kdir/.rust_workq-complete
if [ "$key_only" = 1 ]; then
	echo "$name-$key"
	exit 0
fi

if [ -f "$stamp" ]; then
	note "kernel $series/$flavor: cache hit ($version, $kdir)"
	echo "$kdir"
	exit 0
fi

rm -rf "$kdir"
mkdir -p "$kdir"
log=$kdir/build.log
kmake() {
	make -C "$src" O="$kdir" "${kvars[@]}" "$@"
}

t0=$(now)
note "kernel $series/$flavor: configuring $version (log: $log)"
{
	kmake tinyconfig
	KCONFIG_CONFIG="$kdir/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$kdir/.config" "${fragments[@]}"
	kmake olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "kernel $series/$flavor: configuration failed; see $log"; }

# Kconfig silently drops an option whose dependencies are missing: check every one.
bad=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) opt=${line%=n}; grep -qx "$opt=[ym]" "$kdir/.config" && bad+=("$line") ;;
	CONFIG_*) grep -qx "$line" "$kdir/.config" || bad+=("$line") ;;
	esac
done < <(cat "${fragments[@]}" | grep -v '^#')
[ ${#bad[@]} -eq 0 ] || die "kernel $series/$flavor: Kconfig dropped ${bad[*]} (dependencies missing or renamed; see ${fragments[*]#"$ROOT"/})"
phase_done "kernel $series/$flavor config" "$t0"

# Progress: a line every 5 % of the steps the last build of this series and flavour took (or
# the flavour file's estimate on a machine that never built it), with the time left.
steps_file=$CACHE/kernel/steps-$name
expect=$(tail -n 1 "$steps_file" 2>/dev/null | grep -x '[0-9]*' || setting "$ROOT/qemu/flavors/$flavor.config" build_steps)
t0=$(now)
note "kernel $series/$flavor: building with $(nproc) jobs, about ${expect:-?} steps (log: $log)"
set +e
kmake -j"$(nproc)" all 2>&1 | tee -a "$log" |
	awk -v name="$series/$flavor" -v expect="${expect:-0}" -v t0="$(date +%s)" -v out="$kdir/.steps" '
	/^  [A-Z]/ {
		n++
		if (expect > 0) {
			pct = int(n * 100 / expect); if (pct > 99) pct = 99
			if (pct >= next_pct) {
				"date +%s" | getline now; close("date +%s")
				el = now - t0
				left = pct > 0 ? int(el * (100 - pct) / pct) : 0
				printf "    [%s] %3d%% (%d/%d steps), %dm%02ds elapsed, about %dm%02ds left\n", name, pct, n, expect, el / 60, el % 60, left / 60, left % 60
				fflush(); next_pct = pct + 5
			}
		} else if (n % 500 == 0) { printf "    [%s] %d steps\n", name, n; fflush() }
	}
	END { print n > out }' >&2
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	grep -E 'error|Error' "$log" | tail -n 20 >&2 || true
	tail -n 20 "$log" >&2
	die "kernel $series/$flavor: build failed (exit $rc); full log in $log"
fi
for f in Module.symvers rust/libkernel.rmeta arch/x86/boot/bzImage usr/gen_init_cpio; do
	[ -e "$kdir/$f" ] || die "kernel $series/$flavor: build finished but $f is missing; see $log"
done
mv "$kdir/.steps" "$steps_file"
phase_done "kernel $series/$flavor build" "$t0"
printf '%s\n' "$version" "$(/usr/bin/rustc --version)" >"$stamp"
# Entries of this series and flavour under another key (older config or toolchain) are 1-2 GB
# each: drop them.
for old in "$CACHE/kernel/$name"-*; do
	[ "$old" = "$kdir" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "$kdir"
