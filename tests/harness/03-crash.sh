# shellcheck shell=sh
# Harness self-test: a test that crashes the guest (a kernel panic through sysrq). The host must
# fail this test alone, show the console's tail and go on in a fresh guest.
#@ limit=10
. /tests/lib.sh
echo c >/proc/sysrq-trigger
sleep 5
fail "still running after the crash"
