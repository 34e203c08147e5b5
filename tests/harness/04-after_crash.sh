# shellcheck shell=sh
# Harness self-test: the test after a crash runs in a fresh guest from the same known state.
#@ limit=10
# shellcheck source=tests/harness/02-state_is_known.sh
. /extra/02-state_is_known.sh
