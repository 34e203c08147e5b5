#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what the build and the VM need: Debian packages, and bindgen-cli from crates.io.
# Idempotent and quick when everything is already there. --test adds what `make check` needs
# beyond the build: headless Chromium and a font, which draw the trace's timeline as a person sees it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# install PACKAGE...: apt-get install as root, else one line naming the command.
install() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "missing packages: $*; install them as root: apt-get install $*"
	fi
	note "installing Debian packages: $*"
	apt-get update -qq || die "apt-get update failed; check /etc/apt/sources.list.d and the network"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
		die "apt-get install $* failed; run it by hand to see why"
}

# rustc first: the LLVM it is built on decides which clang builds the kernel (qemu/lib.sh).
if [ ! -x /usr/bin/rustc ]; then
	install rustc-web
	use_rustc_llvm
fi

# command -> Debian package that provides it.
declare -A NEED=(
	[/usr/lib/rustlib/src/rust/library/core/src/lib.rs]=rust-web-src
	[/usr/bin/clang$LLVM_SUFFIX]=clang$LLVM_SUFFIX
	[/usr/bin/ld.lld$LLVM_SUFFIX]=lld$LLVM_SUFFIX
	[/usr/bin/llvm-ar$LLVM_SUFFIX]=llvm$LLVM_SUFFIX
	[$LIBCLANG_PATH/libclang.so]=libclang$LLVM_SUFFIX-dev
	[/usr/bin/bc]=bc
	[/usr/bin/flex]=flex
	[/usr/bin/bison]=bison
	[/usr/include/libelf.h]=libelf-dev
	[/usr/include/openssl/ssl.h]=libssl-dev
	[/usr/bin/cpio]=cpio
	[/usr/bin/kmod]=kmod
	[/usr/bin/xz]=xz-utils
	[/usr/bin/qemu-system-x86_64]=qemu-system-x86
	[/usr/bin/make]=make
	[/usr/bin/gcc]=gcc
	[/usr/lib/x86_64-linux-gnu/libc.a]=libc6-dev
	[/usr/bin/python3]=python3
	[/usr/bin/shellcheck]=shellcheck
	[/usr/bin/flock]=util-linux
	[/usr/bin/bwrap]=bubblewrap
	[/usr/bin/patch]=patch
)

if [ "${1:-}" = --test ]; then
	NEED[/usr/bin/chromium]=chromium
	NEED[/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]=fonts-dejavu-core
fi

missing=()
for f in "${!NEED[@]}"; do
	[ -e "$f" ] || missing+=("${NEED[$f]}")
done

# Debian's dynamic busybox also installs /bin/busybox; the guest needs the static one.
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
[ -x /usr/bin/clippy-driver ] || missing+=(rust-web-clippy)

if [ ${#missing[@]} -gt 0 ]; then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	install "${missing[@]}"
fi

if [ ! -x "$BINDGEN_ROOT/bin/bindgen" ]; then
	command -v cargo >/dev/null || die "cargo not found; install a Rust toolchain (rustup or apt-get install cargo)"
	note "installing bindgen-cli $BINDGEN_VERSION from crates.io (about 80 s)"
	tmp=$BINDGEN_ROOT.tmp.$$
	rm -rf "$tmp"
	cargo install -q bindgen-cli --version "=$BINDGEN_VERSION" --locked --root "$tmp" ||
		die "cargo install bindgen-cli failed; check that crates.io is reachable"
	mkdir -p "$(dirname "$BINDGEN_ROOT")"
	rm -rf "$BINDGEN_ROOT"
	mv "$tmp" "$BINDGEN_ROOT"
fi

exit 0
