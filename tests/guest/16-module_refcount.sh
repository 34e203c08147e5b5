# shellcheck shell=sh
# The module's reference count follows the open files, on every series (7.2: the module's own
# owned fops; 7.3: the misc core's): one reference per open file, none after close, none after
# the process that held the device open was killed; rmmod is refused while a file is open and
# succeeds once none is.
#@ limit=15
. /tests/lib.sh
refs() { awk '$1 == "rust_workq" { print $3 }' /proc/modules; }
refs_are() { [ "$(refs)" = "$1" ]; }
refs_are 0 || fail "reference count $(refs) with no file open"
exec 3<"$DEV"
refs_are 1 || fail "reference count $(refs) with one file open, expected 1"
exec 4<"$DEV"
refs_are 2 || fail "reference count $(refs) with two files open, expected 2"
if rmmod rust_workq 2>/dev/null; then fail "rmmod succeeded while two files were open"; fi
exec 3<&- 4<&-
refs_are 0 || fail "reference count $(refs) after closing both files, expected 0"
# Ioctls through a file that is opened and closed each time (the tool) leave nothing behind.
for c in KICK KICK_QUICK KICK_DELAYED; do J $c || fail "$c failed"; done
refs_are 0 || fail "reference count $(refs) after three ioctl tool runs, expected 0"
# A process that holds the device open is killed: its file is released all the same.
# shellcheck disable=SC2217 # the redirect is the point: sleep holds the device open
sleep 600 <"$DEV" &
holder=$!
wait_until 10 refs_are 1 || fail "reference count $(refs) while pid $holder holds the device, expected 1"
if rmmod rust_workq 2>/dev/null; then fail "rmmod succeeded while pid $holder held the device open"; fi
kill -9 $holder
wait $holder 2>/dev/null || true
wait_until 10 refs_are 0 || fail "reference count $(refs) after killing pid $holder, expected 0"
rmmod rust_workq || fail "rmmod failed with no file open (reference count leaked?)"
insmod "$MOD" || fail "insmod failed"
echo "references: 1 per open file, 0 after close and after kill -9 of a holder; rmmod refused while open, fine after"
