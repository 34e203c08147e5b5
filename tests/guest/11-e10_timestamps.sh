# shellcheck shell=sh
# Exercise 10, from dmesg timestamps: (1) work runs on a worker thread, not in the caller, and
# not before the ioctl; (2) delayed work runs after the requested delay; (3) once stopped via
# the stopping flag, self-rescheduling work prints exactly one final message and then nothing.
#@ limit=25
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/lib.sh
# "Before the ioctl" is measured from the tool's mark written before the call: the module's own
# "queued" line comes after the enqueue, and a worker on the other CPU may print first.
J KICK + KICK_SLOW + KICK_DELAYED || fail "ioctl failed"
n=0
for item in kick slow delayed; do
	n=$((n + 1))
	case $item in
	kick) pat='^worker ran \[on ' ;;
	slow) pat="^slow: sleeping $SLOW_MS ms \\[on " ;;
	delayed) pat='^delayed worker ran ' ;;
	esac
	from=$(need "^$item: queued \\[from ")
	on=$(need "$pat" 4)
	[ "$(on_pid "$on")" != "$(from_pid "$from")" ] || fail "$item ran in the caller's context"
	case $(on_comm "$on") in kworker/*) ;; *) fail "$item ran on $(on_comm "$on")" ;; esac
	d=$(ms_between "$(mark_ts issuing $n)" "$(ts "$on")")
	[ "$d" -ge 0 ] || fail "$item ran ${d} ms before its ioctl was issued"
	echo "(1) $item: ioctl pid $(from_pid "$from") -> $(on_comm "$on") pid $(on_pid "$on"), +${d} ms"
	[ "$item" = delayed ] && { [ "$d" -ge 2000 ] || fail "delayed ran after ${d} ms"; echo "(2) delayed honoured: ${d} ms >= 2000 ms"; }
done
log_reset
# A chain of 10 runs 1 s apart is still running at rmmod on any machine (checked below).
J START_RESCHED -v 1000 || fail "START_RESCHED failed"
need '^resched: run 1/10 ' >/dev/null
m=$(kmark "rmmod during the chain")
rmmod rust_workq || fail "rmmod failed"
end=$(first_line '^resched: limit of 10 runs reached') || true
[ -z "$end" ] || before "$m" "$(ts "$end")" || missed "the chain had ended ($(ts "$end") s) before rmmod ($m s)"
f=$(need '^resched: stopping flag set, final run')
need '^device state freed$' >/dev/null
insmod "$MOD" || fail "insmod failed"
usleep 300000
[ "$(count '^resched: stopping flag set')" = 1 ] || fail "not exactly one final message"
[ "$(rlog | awk -v t="$(ts "$f")" '$1 > t && / resched: /' | wc -l)" = 0 ] || fail "resched lines after the final one"
echo "(3) stopping: one final message at $(ts "$f"), nothing after"
