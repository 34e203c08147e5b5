#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepares everything for a kernel flavour and boots it: what `make run`, `make demo` and
# `make bench` do. With a command, exits with the command's own exit status (make can only
# say 2). Usage: qemu/run.sh [--flavor base|debug] [boot.sh options] [COMMAND]
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
env=$(bash "$ROOT/qemu/prepare.sh" "$flavor") || die "cannot prepare the $flavor kernel (see above)"
eval "$env"
boot=(bash "$ROOT/qemu/boot.sh" --kdir "$KDIR" --initrd "$INITRD" --mem "$MEM" --append "$APPEND")
if [ $# -gt 0 ]; then
	exec "${boot[@]}" --logdir "$OUT/$FLAVOR/log" --timeout "$TIMEOUT" "${args[@]}" --cmd "$*"
fi
exec "${boot[@]}" "${args[@]}"
