# shellcheck shell=sh
# Exercise 2: a KICK while the item is still pending is not queued again, and the ioctl prints
# whether each submission was accepted or discarded. A burst of KICKs from one real-time process
# on CPU 0 (ioctl --hog-cpu0), so that the kworker of CPU 0, where a per-CPU queue runs the item,
# cannot run before the burst ends; later rounds (for an item on an unbound queue) repeat it. From
# the kernel's tracepoints: the burst queued the work function fewer times than it kicked (Q of
# 200), and the ioctl's process printed one kind of line Q times and another the other 200 - Q
# times (lines compared with their numbers left out; the words are the student's own). Without a
# trace (no tracefs), the lines with "queued" and "already queued" are counted instead.
#@ exercise=2
#@ points=10
#@ limit=20
# Timing-sensitive: make check also runs it at SLOWDOWN=3 (harness/proofs.py slow).
#@ timing
. /tests/grade-lib.sh
hint="enqueue returns Result<(), Arc<T>>: Err means the work was already pending. Log both arms with pr_info!."
burst=200
for round in 1 2 3; do
	log_reset
	call KICK --repeat $burst --hog-cpu0
	began
	# Each kind of line the ioctl's process printed, numbers left out, and how many times.
	kinds=$(plines '' | awk -v p="$PID" '$2 == p { sub(/^[^ ]* [^ ]* /, ""); gsub(/[0-9]+/, "#"); print }' |
		sort | uniq -c | sort -rn | head -n 4 | awk '{ n = $1; sub(/^ *[0-9]+ /, ""); printf "%s%d x \"%.80s\"", s, n, $0; s = ", " }')
	if ! traced; then
		mine() { plines "$1" | awk -v p="$PID" '$2 == p'; }
		already=$(mine "$(word 'already queued')" | wc -l)
		queued=$(($(mine "$(word queued)" | wc -l) - already))
		[ $((queued + already)) = $burst ] ||
			fail "$burst KICKs printed $queued \"queued\" and $already \"already queued\" lines: expected one per submission (no tracefs on this kernel: the words were counted)"
		[ "$already" -gt 0 ] && break
		continue
	fi
	snap
	q=$(submitted_by "$PID" | wc -l)
	[ "$q" -gt 0 ] || gap "each KICK queues the work item unless it is still pending" "the $burst KICKs queued nothing" "$hint"
	[ "$q" -lt $burst ] || continue
	d=$((burst - q))
	# Accepted and discarded submissions each say so: a kind of line printed q times and one
	# printed d times (when q = d, one kind printed twice that often is no answer).
	has() { plines '' | awk -v p="$PID" '$2 == p { sub(/^[^ ]* [^ ]* /, ""); gsub(/[0-9]+/, "#"); print }' |
		sort | uniq -c | awk -v n="$1" -v m="$2" '$1 == n { a++ } $1 == m { b++ } END { exit !(n == m ? a >= 2 : a >= 1 && b >= 1) }'; }
	has "$q" "$d" ||
		gap "of $burst KICKs the kernel queued $q and discarded $d (the item was pending): the ioctl prints one line for each accepted submission and another for each discarded one" \
			"its process printed ${kinds:-no line}" "$hint"
	echo "burst $round of $burst KICKs: the kernel queued $q and discarded $d; the ioctl said so: $kinds"
	exit 0
done
! traced ||
	gap "a burst of KICKs while the item is pending: the later ones discarded" "3 bursts of $burst KICKs were each queued $burst times: the item was never found pending" "$hint"
[ "$already" -gt 0 ] || fail "3 bursts of $burst KICKs never reported \"already queued\""
echo "burst $round of $burst KICKs: $queued queued, $already already queued (no tracefs on this kernel: the words were counted)"
