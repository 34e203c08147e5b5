# shellcheck shell=sh
# Exercise 3: KICK_WITH_VALUE (_IOW('J', 11, u32)) hands 42 to the worker.
#@ limit=10
. /tests/lib.sh
J KICK_WITH_VALUE -v 42 || fail "KICK_WITH_VALUE failed"
need '^worker received: 42 \[on kworker pid [0-9]+\]$'
J KICK_WITH_VALUE -v 4294967295 || fail "KICK_WITH_VALUE u32::MAX failed"
need '^worker received: 4294967295 \[on '
