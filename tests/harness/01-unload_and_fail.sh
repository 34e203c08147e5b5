# shellcheck shell=sh
# Harness self-test: a test that unloads the module, leaves a process behind and fails. The
# runner must report it as failed, restore the known state and say so in its diagnostics.
#@ limit=10
. /tests/lib.sh
rmmod rust_workq
sleep 600 &
fail "failing on purpose after rmmod, with a process left behind"
