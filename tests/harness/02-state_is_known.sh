# shellcheck shell=sh
# Harness self-test: whatever the test before left behind, this one starts from the known state:
# module loaded, device present, kernel log cleared, no leftover process.
#@ limit=10
. /tests/lib.sh
grep -q '^rust_workq ' /proc/modules || fail "module not loaded"
[ -c "$DEV" ] || fail "$DEV missing"
[ -z "$(rlog)" ] || fail "the kernel log was not cleared: $(rlog | head -n 3)"
for c in /proc/[0-9]*/cmdline; do
	if tr '\0' ' ' <"$c" 2>/dev/null | grep -q '^sleep 600 $'; then fail "a leftover 'sleep 600' is still running"; fi
done
J KICK || fail "KICK failed"
need '^worker ran ' >/dev/null
echo "known state: module loaded, device works, log clean, no leftovers"
