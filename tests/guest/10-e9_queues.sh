# shellcheck shell=sh
# Exercise 9: each item runs on the queue its docs chose: quick on system_highpri (workers of
# the high-priority pool are named kworker/N:MH), kick and slow on normal pools.
#@ limit=10
. /tests/lib.sh
J KICK_QUICK && J KICK && J KICK_SLOW || fail "ioctl failed"
q=$(need '^quick \[on ')
k=$(need '^worker ran \[on ')
s=$(need '^slow \[on ' 3)
highpri "$(on_comm "$q")" || fail "quick ran on $(on_comm "$q"), not a highpri worker"
! highpri "$(on_comm "$k")" || fail "kick ran on a highpri worker ($(on_comm "$k"))"
! highpri "$(on_comm "$s")" || fail "slow ran on a highpri worker ($(on_comm "$s"))"
echo "quick on $(on_comm "$q") (system_highpri); kick on $(on_comm "$k"); slow on $(on_comm "$s")"
