#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configures and builds a Rust-enabled kernel of the given flavour (base or debug) in the cache,
# keyed by kernel version + config fragments + toolchain versions, and prints its build tree.
# An entry counts only once its build finished (stamp file); anything else is rebuilt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavor=${1:-base}
case $flavor in
base) fragments=("$ROOT/qemu/config/base.config") ;;
debug) fragments=("$ROOT/qemu/config/base.config" "$ROOT/qemu/config/debug.config") ;;
*) die "unknown kernel flavour '$flavor' (base or debug)" ;;
esac

t0=$(now)
src=$(bash "$ROOT/qemu/fetch-source.sh")
phase_done "fetch source" "$t0"
version=$(cat "$src/.rust_workq-unpacked")

mapfile -t kvars < <(kmake_vars)
key=$({
	echo "$version"
	cat "${fragments[@]}"
	/usr/bin/rustc --version
	"clang$LLVM_SUFFIX" --version | head -n 1
	bindgen --version
} | sha256sum | cut -c1-12)
kdir=$CACHE/kernel/$flavor-$(printf %s "$version" | cut -d- -f1)-$key
stamp=$kdir/.rust_workq-complete

if [ -f "$stamp" ]; then
	note "kernel $flavor: cache hit ($kdir)"
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
note "kernel $flavor: configuring $version (log: $log)"
{
	kmake tinyconfig
	KCONFIG_CONFIG="$kdir/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$kdir/.config" "${fragments[@]}"
	kmake olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "kernel $flavor: configuration failed; see $log"; }

# Kconfig silently drops an option whose dependencies are missing: check every one.
bad=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) opt=${line%=n}; grep -qx "$opt=[ym]" "$kdir/.config" && bad+=("$line") ;;
	CONFIG_*) grep -qx "$line" "$kdir/.config" || bad+=("$line") ;;
	esac
done < <(cat "${fragments[@]}" | grep -v '^#')
[ ${#bad[@]} -eq 0 ] || die "kernel $flavor: Kconfig dropped ${bad[*]} (dependencies missing; see qemu/config/)"
phase_done "kernel $flavor config" "$t0"

t0=$(now)
note "kernel $flavor: building with $(nproc) jobs (a few minutes; progress every 500 steps)"
set +e
kmake -j"$(nproc)" all 2>&1 | tee -a "$log" |
	awk '/^  [A-Z]/ { n++; if (n % 500 == 0) { printf "    [%s] %5d steps, at %s\n", flavor, n, $2; fflush() } }' flavor="$flavor" >&2
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	grep -E 'error|Error' "$log" | tail -n 20 >&2 || true
	tail -n 20 "$log" >&2
	die "kernel $flavor: build failed (exit $rc); full log in $log"
fi
for f in Module.symvers rust/libkernel.rmeta arch/x86/boot/bzImage; do
	[ -e "$kdir/$f" ] || die "kernel $flavor: build finished but $f is missing; see $log"
done
phase_done "kernel $flavor build" "$t0"
printf '%s\n' "$version" "$(/usr/bin/rustc --version)" >"$stamp"
# Entries of this flavour under another key (older config or toolchain) are 1-2 GB each: drop them.
for old in "$CACHE/kernel/$flavor"-*; do
	[ "$old" = "$kdir" ] || rm -rf "$old"
done
echo "$kdir"
