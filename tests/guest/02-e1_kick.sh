# shellcheck shell=sh
# Exercise 1: KICK (_IO('J', 10)) makes a work item print "worker ran", on a kworker.
#@ limit=10
. /tests/lib.sh
# The tool runs as this subshell's pid (exec), so the log must name exactly that pid.
caller=$(sh -c 'echo $$; exec ioctl /dev/mydevice -t J -n 10 -d none') || fail "KICK failed"
q=$(need '^kick: (already )?queued \[from pid [0-9]+\]$')
[ "$(from_pid "$q")" = "$caller" ] || fail "log names pid $(from_pid "$q"), the caller was $caller"
w=$(need '^worker ran \[on kworker pid [0-9]+\]$')
# The log's "kworker" is the workqueue core's word (current_work()); /proc names the same task.
comm=$(cat "/proc/$(on_pid "$w")/comm" 2>/dev/null) || fail "no task with the worker's pid $(on_pid "$w")"
case $comm in kworker/*) ;; *) fail "pid $(on_pid "$w") is '$comm', not a kworker" ;; esac
echo "$q"
echo "$w ($comm)"
