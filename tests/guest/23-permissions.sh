# shellcheck shell=sh
# Reliability 4: with the default mode (0600, root) an unprivileged user cannot open the device;
# an instructor widens it with chmod (or a udev rule), and then the same user can KICK.
#@ limit=10
. /tests/lib.sh
mode=$(stat -c %a "$DEV")
[ "$mode" = 600 ] || fail "$DEV has mode $mode, expected 600"
if out=$(su -s /bin/sh student -c "ioctl $DEV -t J -n 10 -d none" 2>&1); then
	fail "uid 1000 could use $DEV"
fi
echo "$out" | grep -q "cannot open $DEV: EACCES" || fail "uid 1000 got '$out', expected EACCES"
echo "uid 1000: $out"
chmod 666 "$DEV"
su -s /bin/sh student -c "ioctl $DEV -t J -n 10 -d none" || fail "uid 1000 failed after chmod 666"
chmod 600 "$DEV"
need '^worker ran ' >/dev/null
echo "after chmod 666: uid 1000 kicked; mode restored to 600"
