# shellcheck shell=sh
# Exercise 1: KICK (_IO('J', 10)) makes a work item print "worker ran", on a kworker.
#@ limit=10
. /tests/lib.sh
# The tool runs as this subshell's pid (exec), so the log must name exactly that pid: this
# catches a Rust view of task_struct that disagrees with C's (see qemu/flavors/base.config).
caller=$(sh -c 'echo $$; exec ioctl /dev/mydevice -t J -n 10 -d none') || fail "KICK failed"
q=$(need '^kick: (already )?queued \[from ioctl pid [0-9]+\]$')
[ "$(from_pid "$q")" = "$caller" ] || fail "log names pid $(from_pid "$q"), the caller was $caller"
w=$(need '^worker ran \[on kworker/[^ ]+ pid [0-9]+\]$')
comm=$(cat "/proc/$(on_pid "$w")/comm" 2>/dev/null) || fail "no task with the worker's pid $(on_pid "$w")"
# /proc adds the workqueue's name to a kworker's comm ("kworker/0:1-events").
case $comm in "$(on_comm "$w")"*) ;; *) fail "pid $(on_pid "$w") is '$comm', the log says '$(on_comm "$w")'" ;; esac
echo "$q"
echo "$w"
