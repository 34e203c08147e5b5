# shellcheck shell=sh
# Bad input: unknown or malformed commands get ENOTTY, bad pointers EFAULT, an out-of-range
# period EINVAL; none of them writes to the kernel log, so a loop cannot flood it.
#@ limit=15
. /tests/lib.sh
expect_err() {
	want=$1
	shift
	if out=$(ioctl "$DEV" "$@" 2>&1); then fail "'ioctl $*' succeeded; expected $want"; fi
	echo "$out" | grep -q "failed: $want " || fail "'ioctl $*' said '$out'; expected $want"
}
expect_err ENOTTY -t J -n 99 -d none
expect_err ENOTTY -t K -n 10 -d none
expect_err ENOTTY -t J -n 10 -d write -s 4 -v 1
expect_err ENOTTY -t J -n 11 -d write -s 8 -v 1
expect_err ENOTTY -t J -n 17 -d read -s 8
expect_err EFAULT -t J -n 11 -d write -s 4 --arg 0
expect_err EFAULT -t J -n 16 -d write -s 4 --arg 0xffffffffffffffff
expect_err EFAULT -t J -n 15 -d write -s 4 --arg 0xffffffff81000000
expect_err EFAULT -t J -n 17 -d read -s 336 --arg 1
expect_err EINVAL -t J -n 15 -d write -s 4 -v 10001
before=$(rlog | wc -l)
i=0
while [ $i -lt 10 ]; do
	ioctl "$DEV" -t J -n 99 -d none 2>/dev/null || true
	ioctl "$DEV" -t J -n 11 -d write -s 4 --arg 0 2>/dev/null || true
	i=$((i + 1))
done
after=$(rlog | wc -l)
[ "$after" = "$before" ] || fail "20 bad calls added $((after - before)) log lines"
J KICK || fail "KICK failed after bad input"
need '^worker ran ' >/dev/null
echo "ENOTTY, EFAULT and EINVAL as documented; 20 bad calls logged nothing; KICK still works"
