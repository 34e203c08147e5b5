#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make grade`: grades a module directory with the checks in grade/checks/ (and an instructor's
# hidden ones) on a real guest, with points per check and per exercise.
#
# Usage: grade.sh   (settings from the environment, as make passes them)
#   MODULE=DIR        the module to grade: any directory whose Kbuild builds rust_workq.ko
#                     (default: the reference solution, this project's root)
#   EXERCISE=N        only the checks of exercise N (0 = loading, 1-10, or "robustness")
#   EXTRA_TESTS=DIR   more checks (DIR/*.sh, same format), hidden from students in the JSON
#   DEBUG=1           the debug kernel (KASAN, lockdep, DEBUG_OBJECTS) instead of the base one
#   GRADE_OUT=DIR     where the results go (default build/grade): results.json, ktap, log/
# Prints one line per check, one per exercise and "Score: P/M" last. Exit 0 at full marks, 1
# below, 2 when the grader itself could not run (no kernel, bad arguments).
#
# The submission is untrusted: its Kbuild/Makefile run inside a sandbox (bubblewrap): the host's
# file system read-only, the home directory and /tmp empty, a fresh size-limited build directory,
# no network, its own process namespace, and limits on wall-clock time, CPU time and output.
# Only rust_workq.ko and the build's (capped) output come out of it.
set -uo pipefail
. "$(dirname "$0")/../qemu/lib.sh"

fatal() {
	printf 'grade: %s\n' "$*" >&2
	exit 2
}

module=$(cd "${MODULE:-$ROOT}" 2>/dev/null && pwd) || fatal "MODULE=${MODULE:-} is not a directory"
[ -f "$module/Kbuild" ] || [ -f "$module/Makefile" ] ||
	fatal "MODULE=$module has no Kbuild: give the directory whose Kbuild builds rust_workq.ko (make skels writes one: skels/)"
flavor=base
case ${DEBUG:-0} in 1 | y | yes) flavor=debug ;; 0 | '' | n | no) ;; *) fatal "DEBUG=$DEBUG: give DEBUG=1 or leave it out" ;; esac
out=${GRADE_OUT:-$OUT/grade}
ex=${EXERCISE:-}
case $ex in '' | [0-9] | 10 | robustness) ;; *) fatal "EXERCISE=$ex: give 0-10 or robustness" ;; esac

# The checks: built-in ones, then the instructor's hidden ones; EXERCISE keeps one exercise's.
checks=() hidden=()
pick() { # pick FILE HIDDEN
	local e
	e=$(sed -n 's/^#@ exercise=//p' "$1" | head -n 1)
	[ -n "$e" ] || fatal "$1 has no '#@ exercise=' line"
	[ -z "$ex" ] || [ "$e" = "$ex" ] || return 0
	checks+=("$1")
	[ "$2" = 0 ] || hidden+=("$1")
}
for c in "$ROOT"/grade/checks/[0-9]*.sh; do pick "$c" 0; done
if [ -n "${EXTRA_TESTS:-}" ]; then
	[ -d "$EXTRA_TESTS" ] || fatal "EXTRA_TESTS=$EXTRA_TESTS is not a directory"
	found=0
	for c in "$EXTRA_TESTS"/*.sh; do
		[ -f "$c" ] || continue
		found=1
		pick "$(cd "$(dirname "$c")" && pwd)/$(basename "$c")" 1
	done
	[ "$found" = 1 ] || fatal "EXTRA_TESTS=$EXTRA_TESTS has no *.sh checks"
fi
[ ${#checks[@]} -gt 0 ] || [ "$ex" = 9 ] || fatal "no check for EXERCISE=$ex"

load_kernel --default "$flavor" || fatal "cannot prepare the $flavor kernel (see above)"
# A fresh result, leaving what the caller keeps beside it (grade-all's report.txt) alone.
mkdir -p "$out"
rm -rf "$out/module" "$out/log" "$out/ktap" "$out/suite.err" "$out/submission.ko" "$out/results.json"
t0=$(now)

# sandboxed_build SRC OUT: builds the module in SRC against K_DIR inside the sandbox; OUT gets
# rust_workq.ko (if it built) and build.log (the first 1 MiB of what the build printed).
sandboxed_build() {
	local kv src
	command -v bwrap >/dev/null || fatal "bubblewrap is needed to build submissions safely: apt-get install bubblewrap (or make deps)"
	# A sandbox that cannot start is the grader's failure, not the submission's.
	bwrap --ro-bind / / --unshare-all true 2>"$2.sandbox-err" ||
		fatal "the build sandbox cannot start here ($(head -n 1 "$2.sandbox-err")): run as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
	rm -f "$2.sandbox-err"
	mkdir -p "$2"
	mapfile -t kv < <(kmake_vars)
	# The kernel tree and its source (an O= build refers to it): both visible, read-only.
	src=$(readlink -f "$K_DIR/source" 2>/dev/null || echo "$K_DIR")
	# shellcheck disable=SC2016 # expanded by the sandbox's shell
	timeout -k 5 "${GRADE_BUILD_SECONDS:-600}" bwrap --ro-bind / / --dev /dev --proc /proc \
		--tmpfs /tmp --tmpfs "$HOME" --ro-bind "$K_DIR" "$K_DIR" --ro-bind "$src" "$src" \
		--ro-bind "$1" /tmp/submission --size 536870912 --tmpfs /tmp/build --bind "$2" /tmp/out \
		--unshare-all --die-with-parent --new-session --clearenv \
		--setenv PATH /usr/sbin:/usr/bin:/sbin:/bin --setenv HOME "$HOME" --chdir /tmp/build \
		sh -c 'ulimit -t "$1"; ulimit -f 1048576; shift
			cp -r /tmp/submission /tmp/build/src || exit 1
			make -C "$@" M=/tmp/build/src MO=/tmp/build/out modules; rc=$?
			[ -f /tmp/build/out/rust_workq.ko ] && cp /tmp/build/out/rust_workq.ko /tmp/out/
			exit $rc' sh "${GRADE_BUILD_CPU_SECONDS:-300}" "$K_DIR" "${kv[@]}" 2>&1 |
		head -c 1048576 >"$2/build.log"
	local rc=${PIPESTATUS[0]} ko=$2/rust_workq.ko esc
	# What the sandbox left in OUT is the submission's: keep a regular rust_workq.ko of at most
	# 64 MiB (not a symlink to a host file, not a FIFO) and the log, nothing else.
	if [ -f "$ko" ] && [ ! -L "$ko" ] && [ "$(stat -c %s "$ko")" -le 67108864 ]; then
		mv "$ko" "$2.ko"
	fi
	find "$2" -mindepth 1 ! -name build.log -exec rm -rf {} +
	[ ! -f "$2.ko" ] || mv "$2.ko" "$ko"
	# The compiler names the sandbox's copy: name the submission's own files instead.
	esc=$(printf '%s' "$1" | sed 's/[\\&|]/\\&/g')
	sed -i "s|/tmp/build/src/|$esc/|g" "$2/build.log"
	[ "$rc" = 0 ] && [ -f "$ko" ]
}

# The submission's build. A module that does not build scores 0, with the compiler's errors.
note "building $module against $K_NAME (sandboxed)"
ko=$out/module/rust_workq.ko
if sandboxed_build "$module" "$out/module" && [ -f "$ko" ]; then
	cp "$ko" "$out/submission.ko"
	specs=()
	for c in "${checks[@]}"; do specs+=("$c@$out/submission.ko"); done
	note "running ${#checks[@]} check(s) on $K_NAME"
	if [ ${#specs[@]} -gt 0 ]; then
		bash "$ROOT/tests/host/suite.sh" --log "$out/log" "$K_SERIES" "$flavor" "${specs[@]}" >"$out/ktap" 2>"$out/suite.err"
	else
		: >"$out/ktap"
	fi
	build=ok
else
	build=failed
	: >"$out/ktap"
fi
args=(--ktap "$out/ktap" --json "$out/results.json" --kernel "$K_NAME ($K_VERSION)"
	--module "$module" --seconds "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')")
[ "$build" = ok ] || args+=(--build-log "$out/module/build.log")
[ -n "$ex" ] && args+=(--exercise "$ex")
for h in "${hidden[@]}"; do args+=(--hidden "$h"); done
python3 "$ROOT/grade/report.py" "${args[@]}" "${checks[@]}"
