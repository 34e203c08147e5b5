# shellcheck shell=sh
# Exercise 9: each item runs on the queue its docs chose: quick on system_highpri (workers of
# the high-priority pool are named kworker/N:MH), kick and slow on normal pools.
#@ limit=10
. /tests/lib.sh
J KICK_QUICK && J KICK && J KICK_SLOW || fail "ioctl failed"
q=$(need '^quick \[on ')
k=$(need '^worker ran \[on ')
s=$(need '^slow \[on ' 3)
case $(on_comm "$q") in kworker/*H) ;; *) fail "quick ran on $(on_comm "$q"), not a highpri worker" ;; esac
case $(on_comm "$k") in kworker/*H) fail "kick ran on a highpri worker" ;; esac
case $(on_comm "$s") in kworker/*H) fail "slow ran on a highpri worker" ;; esac
echo "quick on $(on_comm "$q") (system_highpri); kick on $(on_comm "$k"); slow on $(on_comm "$s")"
