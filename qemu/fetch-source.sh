#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetches Debian's linux-source-SERIES package (from trixie-backports, reusing the mirror already
# configured in /etc/apt) and unpacks it once into the cache, keyed by series and exact version.
# Prints the unpacked source tree's path on stdout.
#
# Usage: fetch-source.sh SERIES     the tree of that series (the mirror's current version)
#        fetch-source.sh --default  prints the newest supported series the mirror offers
#        fetch-source.sh --offered  prints every supported series the mirror offers, newest first
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suite=trixie-backports
srcroot=$CACHE/src

# The version apt would download for a series, or nothing.
candidate() {
	apt-cache policy "linux-source-$1" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" { print $2 }'
}

# Makes apt know trixie-backports (once per machine, as root).
ensure_suite() {
	apt-cache policy 2>/dev/null | grep -q "n=$suite" && return 0
	local list=/etc/apt/sources.list.d/rust-workq-$suite.sources uri err
	[ "$(id -u)" = 0 ] || die "apt does not know $suite; as root add a '$suite' entry to /etc/apt/sources.list.d (see qemu/fetch-source.sh) and run apt-get update"
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt; add one for '$suite' by hand, then re-run"
	note "adding apt source $suite (pinned to priority 1) from the configured mirror"
	cat >"$list" <<EOT
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	cat >"/etc/apt/preferences.d/rust-workq-$suite" <<EOT
Package: *
Pin: release n=$suite
Pin-Priority: 1
EOT
	err=$(apt-get update -qq 2>&1) ||
		die "apt-get update failed after adding $suite (where linux-source-<series> comes from): $(tail -n 1 <<<"$err")"
}

# Supported series the mirror offers, newest first (offline: those already unpacked).
offered() {
	local s
	ensure_suite
	for s in $(supported_series); do
		if [ -n "$(candidate "$s")" ] || ls "$srcroot/$s"/*/.rust_workq-unpacked >/dev/null 2>&1; then
			echo "$s"
		fi
	done
}

case ${1:-} in
--offered)
	offered
	exit 0
	;;
--default)
	s=$(offered | sed -n 1p)
	[ -n "$s" ] || die "the mirror offers none of the supported series ($(supported_series | tr '\n' ' ')); apt-cache search --names-only '^linux-source-' lists what it has"
	echo "$s"
	exit 0
	;;
'' | -*) die "usage: fetch-source.sh SERIES | --default | --offered" ;;
esac
series=$1
pkg=linux-source-$series
[ -f "$ROOT/qemu/series/$series.config" ] || die "kernel series $series is not supported: the module needs the Rust workqueue and misc-device API of $(supported_series | sort -V | head -n 1) or later (6.12, Debian's stable kernel, has no DelayedWork); supported: $(supported_series | tr '\n' ' ')(qemu/series/)"

ensure_suite
# One fetch per series at a time (the flavours of a series share its source).
mkdir -p "$srcroot"
exec 9>"$srcroot/.$series.lock"
flock 9 || die "cannot lock $srcroot/.$series.lock"
version=$(candidate "$series")
if [ -z "$version" ]; then
	# Lists may be stale (backports rotate): refresh once before giving up.
	[ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 || true
	version=$(candidate "$series")
fi
if [ -z "$version" ]; then
	cached=$(for d in "$srcroot/$series"/*/; do if [ -f "$d.rust_workq-unpacked" ]; then echo "$d"; fi; done | sort -V | tail -n 1)
	if [ -n "$cached" ]; then
		note "the mirror does not offer $pkg; using the unpacked $(cat "$cached/.rust_workq-unpacked")"
		echo "${cached%/}"
		exit 0
	fi
	have=$(apt-cache pkgnames linux-source- 2>/dev/null | sed -n 's/^linux-source-\([0-9][0-9.]*\)$/\1/p' | sort -V | tr '\n' ' ')
	die "the mirror does not offer $pkg (it offers: ${have:-none}); pick one with KERNEL_SERIES=<series> (supported: $(supported_series | tr '\n' ' '))"
fi

# One directory per exact version; a stamp written last marks a finished unpack.
dest=$srcroot/$series/$(printf %s "$version" | tr '~+:' '___')
if [ -f "$dest/.rust_workq-unpacked" ]; then
	echo "$dest"
	exit 0
fi
tmp=$dest.tmp.$$
rm -rf "$tmp" "$dest"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
note "downloading $pkg $version"
# apt warns that its _apt user cannot write the cache folder and downloads as root: harmless.
(cd "$tmp" && apt-get download -qq "$pkg=$version" 2>&1 | { grep -v 'unsandboxed' || true; }) || true
ls "$tmp"/*.deb >/dev/null 2>&1 || die "apt-get download $pkg=$version failed (apt-cache policy $pkg; apt-get update)"
dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" ./usr/src/ || die "could not unpack $tmp/*.deb"
tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.xz)
note "unpacking $(basename "$tarball")"
tar -xf "$tarball" -C "$tmp"
tree=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*')
[ -f "$tree/Makefile" ] || die "unexpected layout in $tarball"
got=$(make -s -C "$tree" kernelversion 2>/dev/null)
case $got in "$series" | "$series".*) ;; *) die "$pkg $version unpacked to a $got tree" ;; esac
mv "$tree" "$dest"
echo "$version" >"$dest/.rust_workq-unpacked"
# Older versions of the series are 1.8 GB each and no kernel is built from them any more.
for old in "$srcroot/$series"/*/; do
	[ "${old%/}" = "$dest" ] || rm -rf "$old"
done
echo "$dest"
