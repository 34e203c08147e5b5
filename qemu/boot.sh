#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots the guest in QEMU. Without --cmd: an interactive shell on this terminal. With --cmd: runs
# the command in the guest, streams its output here (ttyS1, '\r' stripped), keeps the kernel
# console in LOGDIR/console.log and the guest's records (ttyS2, the data channel: the command's
# exit status, the test runner's results) in LOGDIR/records.tsv, and exits with the command's
# status. A guest that panics, dies or outlives --timeout is a failure with the console's tail,
# never a hang. The guest has no network device and sees no host file but its initramfs; what it
# prints is capped (RWQ_OUTPUT_CAP bytes, default 4 MiB, for the console, the command's output
# and the data channel each), so
# a module that floods the log cannot fill the disk.
#
# Usage: boot.sh --kdir DIR --initrd FILE [--cmd CMD] [--timeout SECONDS] [--logdir DIR]
#                [--mem MB] [--append "kernel args"] [--tsc] [--extra "FILE..."] [--module KO]
#                [--late DIR] [--idle SECONDS]
# --idle: a guest whose command prints nothing for that long is stopped as hung (a test runner
# prints after every test, so this is one test's worth of silence, not the whole run's).
# --extra adds files to the guest's /extra/ (tests that are not part of the initramfs); --module
# replaces the initramfs's rust_workq.ko (make run MODULE=DIR). --late DIR serves DIR's files to
# the guest on request, on a fourth serial port (ttyS3): they are in no image the guest boots
# with, so a module loaded before a file's turn has not seen it (serve_late in lib.sh).
# ACCEL=kvm opts in to KVM (it hangs on machines whose CPU hides vmx/svm; TCG is the default).
# SLOWDOWN=N runs QEMU with 1/N of one CPU (the cgroup cpu controller, slow_cgroup in lib.sh): a
# slow machine on demand, to try that no verdict depends on speed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir='' initrd='' cmd='' timeout=300 logdir=$OUT/log mem=512 append='' interactive=1 extra='' module='' late='' idle=''
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--cmd) cmd=$2; interactive=0; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--logdir) logdir=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--tsc) tsc=1; shift ;;
	--extra) extra=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--late) late=$2; shift 2 ;;
	--idle) idle=$2; shift 2 ;;
	*) die "boot.sh: unknown argument '$1'" ;;
	esac
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found; apt-get install qemu-system-x86"
bzimage=$kdir/arch/x86/boot/bzImage
[ -f "$bzimage" ] || die "no kernel image at $bzimage; build the kernel first (make kernel)"
[ -f "$initrd" ] || die "no initramfs at $initrd"
mkdir -p "$logdir"

accel=(-accel "tcg,thread=multi")
[ "${ACCEL:-tcg}" = kvm ] && accel=(-accel kvm -cpu host)
# loglevel=5 keeps info lines off the console (they are in dmesg) but shows every splat, which
# all print at warning level or above. notsc: under TCG the guest calibrates the TSC a few
# percent off, so TSC time (ktime, dmesg stamps) disagrees with the timer ticks that delayed work
# is timed by (a 2 s delayed item looked 1.95 s late on the debug kernel); without the TSC every
# clock follows the ticks. `make bench` boots with --tsc for nanosecond resolution instead.
clock=notsc
# Under load the guest's PIT calibration of the TSC can fail ("Unable to calibrate against PIT").
# Telling it the host's TSC rate (which TCG's rdtsc returns) skips that calibration.
host_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo 2>/dev/null)
[ -n "$host_khz" ] && [ "$host_khz" -gt 0 ] && clock="$clock tsc_early_khz=$host_khz"
kargs="console=ttyS0 loglevel=5 panic=-1 oops=panic"
[ -n "${tsc:-}" ] && clock=${clock#notsc }
kargs="$kargs $clock $append"
qemu=(qemu-system-x86_64 "${accel[@]}" -m "$mem" -smp 2 -kernel "$bzimage" -display none
	-no-reboot -monitor none -nic none)

note "qemu: ${qemu[*]} -append '$kargs'"
# A slow machine on demand: QEMU joins a cgroup whose CPU quota is 1/SLOWDOWN of one CPU.
if [ -n "${SLOWDOWN:-}" ] && [ "$SLOWDOWN" != 1 ]; then
	cg=$(slow_cgroup "$SLOWDOWN") || die "$cg"
	note "SLOWDOWN=$SLOWDOWN: qemu runs in cgroup $cg with 1/$SLOWDOWN of one CPU"
	# shellcheck disable=SC2016 # expanded by that shell: its own pid, then QEMU's exec
	qemu=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "${qemu[@]}")
fi

# Append the command, the extra files and the module as a second cpio archive: the kernel unpacks
# concatenated archives, a later file replacing an earlier one.
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -z "${cg:-}" ] || rmdir "$cg" 2>/dev/null' EXIT
printf '%s\n' "$cmd" >"$work/run-cmd"
{
	[ "$interactive" = 1 ] || printf 'file /run-cmd %s 644 0 0\n' "$work/run-cmd"
	[ -z "$module" ] || printf 'file /lib/modules/rust_workq.ko %s 644 0 0\n' "$module"
	if [ -n "$extra" ]; then
		echo "dir /extra 755 0 0"
		for f in $extra; do printf 'file /extra/%s %s 755 0 0\n' "$(basename "$f")" "$f"; done
	fi
} >"$work/list"
"$kdir/usr/gen_init_cpio" "$work/list" | gzip -1 >"$work/cmd.cpio.gz"
cat "$initrd" "$work/cmd.cpio.gz" >"$work/initrd"
if [ "$interactive" = 1 ]; then
	"${qemu[@]}" -initrd "$work/initrd" -serial mon:stdio -append "$kargs"
	exit
fi

console=$logdir/console.log
out=$logdir/out.log
records=$logdir/records.tsv
: >"$out"
# Keeps the first RWQ_OUTPUT_CAP bytes of its input and drains the rest.
capped() {
	head -c "${RWQ_OUTPUT_CAP:-4194304}"
	cat >/dev/null
}
# The console goes through a FIFO to a capped reader.
mkfifo "$work/console" "$work/records"
capped <"$work/console" >"$console" &
capped <"$work/records" | tr -d '\r' >"$records" &
late_serial=()
if [ -n "$late" ]; then
	mkfifo "$work/late.in" "$work/late.out"
	late_serial=(-chardev "pipe,id=late,path=$work/late" -serial chardev:late)
	serve_late "$late" <"$work/late.out" >"$work/late.in" &
fi
# The silence watchdog: QEMU (under timeout, below) is stopped when the output stops growing.
if [ -n "$idle" ]; then
	(
		last=-1 since=$(date +%s)
		while sleep 2; do
			size=$(stat -c %s "$out" 2>/dev/null || echo 0)
			[ "$size" = "$last" ] || { last=$size since=$(date +%s); }
			if [ $(($(date +%s) - since)) -ge "$idle" ]; then
				echo "guest silent for ${idle}s" >"$work/silent"
				kill -KILL "$(cat "$work/qemu.pid" 2>/dev/null)" 2>/dev/null
				break
			fi
		done
	) &
	watchdog=$!
fi
t0=$(now)
set +e
timeout -k 5 "$timeout" "${qemu[@]}" -initrd "$work/initrd" -append "$kargs" -pidfile "$work/qemu.pid" \
	-serial "file:$work/console" -chardev stdio,id=out,signal=off -serial chardev:out \
	-serial "file:$work/records" "${late_serial[@]}" </dev/null | capped | sed -u 's/\r//g' | tee "$out"
qrc=${PIPESTATUS[0]}
[ -z "${watchdog:-}" ] || kill "$watchdog" 2>/dev/null
wait
set -e
tr -d '\r' <"$console" >"$console.tmp" && mv "$console.tmp" "$console"
awk -v l="boot-to-verdict" -v a="$t0" -v b="$(now)" 'BEGIN { printf "==> %s %.1fs\n", l, b - a }' >&2

rc=$(sed -n 's/^exit\t\([0-9]*\)$/\1/p' "$records" | tail -n 1)
if [ -z "$rc" ]; then
	tail -n 40 "$console" >&2
	if [ -f "$work/silent" ]; then
		die "guest printed nothing for ${idle}s: hung (console tail above; full log $console)"
	fi
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		die "guest did not finish within ${timeout}s (console tail above; full log $console)"
	fi
	die "guest stopped without reporting an exit status (qemu exit $qrc; panic or crash? console tail above; full log $console)"
fi
exit "$rc"
