#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepares everything for a kernel and boots it: what `make run`, `make demo` and `make bench`
# do. With a command, exits with the command's own exit status (make can only say 2). The kernel
# is KERNEL_SERIES (default: the newest supported series the mirror offers) and FLAVOR (base);
# MODULE=DIR boots with the module built from DIR (a student's, the starter; built as make grade
# builds it) instead of the reference one.
# Usage: qemu/run.sh [--flavor base|debug] [--tsc] [--timeout S] [COMMAND]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavor=${FLAVOR:-base}
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--flavor) flavor=$2; shift 2 ;;
	--tsc) args+=(--tsc); shift ;;
	--timeout | --logdir) args+=("$1" "$2"); shift 2 ;;
	*) break ;;
	esac
done
load_kernel --default "$flavor" || die "cannot prepare the kernel (see above)"
note "kernel $K_NAME ($K_VERSION)"
boot=(bash "$ROOT/qemu/boot.sh" --kdir "$K_DIR" --initrd "$K_INITRD" --mem "$K_MEM" --append "$K_APPEND")
if [ -n "${MODULE:-}" ]; then
	dir=$(cd "$MODULE" 2>/dev/null && pwd) || die "MODULE=$MODULE is not a directory"
	why=$(sandbox_ready) || die "$why"
	build_submission "$dir" "$K_OUT/run-module" || {
		cat "$K_OUT/run-module/build.log" >&2
		die "MODULE=$dir does not build (compiler output above)"
	}
	note "module: $dir"
	boot+=(--module "$K_OUT/run-module/rust_workq.ko")
fi
if [ $# -gt 0 ]; then
	exec "${boot[@]}" --logdir "$K_OUT/run" --timeout 600 "${args[@]}" --cmd "$*"
fi
exec "${boot[@]}" "${args[@]}"
