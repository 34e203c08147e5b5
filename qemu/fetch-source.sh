#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetches Debian's linux-source-$KERNEL_SERIES package (from trixie-backports, reusing the
# mirror already configured in /etc/apt) and unpacks it once into the cache.
# Prints the unpacked source tree's path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkg=linux-source-$KERNEL_SERIES
srcroot=$CACHE/src
mkdir -p "$srcroot"

# A finished unpack leaves a stamp naming the exact package version; reuse the newest one.
stamp=$(ls -1 "$srcroot"/*/.rust_workq-unpacked 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$stamp" ] && [ -z "${REFRESH_SOURCE:-}" ]; then
	dirname "$stamp"
	exit 0
fi

suite=trixie-backports
list=/etc/apt/sources.list.d/rust-workq-$suite.sources
if ! apt-cache show "$pkg" >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || die "$pkg is not known to apt; as root add a '$suite' entry to /etc/apt/sources.list.d (see qemu/fetch-source.sh) and run apt-get update"
	if [ ! -f "$list" ]; then
		uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
		[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
		[ -n "$uri" ] || die "no Debian mirror found in /etc/apt; add one for '$suite' by hand, then re-run"
		note "adding apt source $suite (pinned to priority 1) from the configured mirror"
		cat >"$list" <<EOF
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
		cat >/etc/apt/preferences.d/rust-workq-$suite <<EOF
Package: *
Pin: release n=$suite
Pin-Priority: 1
EOF
	fi
	apt-get update -qq || die "apt-get update failed after adding $suite"
	apt-cache show "$pkg" >/dev/null 2>&1 || die "package $pkg not found in $suite; is the mirror reachable? (apt-cache policy $pkg)"
fi

version=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
[ -n "$version" ] && [ "$version" != "(none)" ] || die "no installable version of $pkg (apt-cache policy $pkg)"
dest=$srcroot/linux-$(printf %s "$version" | tr '~+:' '___')
tmp=$dest.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
note "downloading $pkg $version"
# apt warns that its _apt user cannot write the cache folder and downloads as root: harmless.
(cd "$tmp" && apt-get download -qq "$pkg=$version" 2>&1 | { grep -v 'unsandboxed' || true; }) || die "apt-get download $pkg=$version failed"
dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" ./usr/src/ ||
	die "could not unpack $tmp/*.deb"
tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.xz)
note "unpacking $(basename "$tarball")"
tar -xf "$tarball" -C "$tmp"
tree=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*')
[ -f "$tree/Makefile" ] || die "unexpected layout in $tarball"
rm -rf "$dest"
mv "$tree" "$dest"
rm -rf "$tmp"
echo "$version" >"$dest/.rust_workq-unpacked"
echo "$dest"
