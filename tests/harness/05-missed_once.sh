# shellcheck shell=sh
# Harness self-test: a test whose set-up is missed on its first attempt (exit 3 through
# `missed`) runs again from the known state, and its second attempt's verdict counts: pass.
#@ limit=10
. /tests/lib.sh
if [ ! -f /tmp/missed_once ]; then
	: >/tmp/missed_once
	missed "the first attempt pretends its set-up did not happen"
fi
[ -c "$DEV" ] || fail "$DEV missing on the second attempt"
echo "second attempt: the set-up happened"
