#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The verdict of `make check`: host unit tests, then the guest suite on each kernel flavour,
# each followed by host-side checks that the guest cannot fake (its sentinel, a clean console).
# Prints KTAP-style lines and ends with "N passed, N failed"; exits 1 on any failure.
# Usage: check.sh FLAVOR... (TESTS="name ..." limits the guest suite)
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"

passed=0 failed=0
figures=()
host_result() { # host_result OK|FAIL NAME [detail]
	if [ "$1" = OK ]; then
		passed=$((passed + 1))
		echo "ok - $2"
	else
		failed=$((failed + 1))
		echo "not ok - $2${3:+: $3}"
	fi
}

# Lint: rustfmt and clippy for the module and the tools, one result line each.
t0=$(now)
lint_log=$(mktemp)
bash "$ROOT/tests/host/lint.sh" | tee "$lint_log"
passed=$((passed + $(grep -c '^ok ' "$lint_log"))) failed=$((failed + $(grep -c '^not ok ' "$lint_log")))
grep -qE '^(ok|not ok) ' "$lint_log" || { failed=$((failed + 1)); echo "not ok - lint did not run"; }
rm -f "$lint_log"
phase_done "lint" "$t0"

# Host unit tests of the userspace tools (ioctl encoding, argument parsing).
t0=$(now)
cargo_log=$(mktemp)
(cd "$ROOT/userspace" && cargo test -q --locked 2>&1) | tee "$cargo_log"
cargo_rc=${PIPESTATUS[0]}
read -r cp cf < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$cargo_log")
# A build failure prints no "test result" line: count it as a failure all the same.
[ "$cargo_rc" = 0 ] || [ "$cf" -gt 0 ] || { cf=1; echo "not ok - cargo test (exit $cargo_rc)"; }
passed=$((passed + cp)) failed=$((failed + cf))
rm -f "$cargo_log"
phase_done "host unit tests" "$t0"

# A KDIR from the user means one run on that kernel; prepare's output (eval'd below) sets KDIR,
# which must not leak into the next flavour's prepare.
user_kdir=${KDIR:-}
flavors=("$@")
[ -n "$user_kdir" ] && flavors=(custom)
for flavor in "${flavors[@]}"; do
	t0=$(now)
	env=$(KDIR=$user_kdir bash "$ROOT/qemu/prepare.sh" "$flavor") || {
		host_result FAIL "$flavor: build" "see the error above"
		continue
	}
	eval "$env"
	phase_done "prepare $flavor" "$t0"
	logdir=$OUT/$FLAVOR/log
	echo "# guest suite on the $FLAVOR kernel ($KDIR)"
	bash "$ROOT/qemu/boot.sh" --kdir "$KDIR" --initrd "$INITRD" --mem "$MEM" --logdir "$logdir" \
		--timeout "$TIMEOUT" --append "$APPEND" --cmd "/tests/run.sh ${TESTS:-}"
	rc=$?
	out=$logdir/out.log

	# The guest's own verdicts.
	gp=$(grep -cE '^ok [0-9]+ ' "$out")
	gf=$(grep -cE '^not ok [0-9]+ ' "$out")
	passed=$((passed + gp)) failed=$((failed + gf))

	# What the host checks itself.
	if grep -qE '^@@RWQ-SUITE-DONE pass=[0-9]+ fail=[0-9]+ skip=[0-9]+@@$' "$out"; then
		host_result OK "$FLAVOR: guest suite ran to its end (sentinel seen, guest exit $rc)"
	else
		host_result FAIL "$FLAVOR: guest suite ran to its end" "no sentinel (guest exit $rc); console: $logdir/console.log"
	fi
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n 1)
	if [ -n "$planned" ] && [ "$planned" = $((gp + gf)) ]; then
		host_result OK "$FLAVOR: every planned test reported ($planned)"
	else
		host_result FAIL "$FLAVOR: every planned test reported" "planned '${planned:-none}', reported $((gp + gf))"
	fi
	splat=$(sed 's/^\[ *[0-9]*\.[0-9]*\] //' "$logdir/console.log" 2>/dev/null | grep -E -f "$ROOT/tests/splat-patterns" | head -n 5)
	figures+=("$FLAVOR: $(sed -n 's/^# figure: //p' "$out" | tr '\n' ' ')splats=$(printf '%s' "$splat" | grep -c .)")
	if [ -z "$splat" ] && [ -s "$logdir/console.log" ]; then
		host_result OK "$FLAVOR: kernel console free of splats"
	else
		host_result FAIL "$FLAVOR: kernel console free of splats" "${splat:-console log empty}"
	fi
	phase_done "guest suite $FLAVOR" "$t0"
done

echo "# Reliability summary (figures printed by this run's guest tests):"
for f in "${figures[@]}"; do echo "#   $f"; done
echo "# Totals: pass:$passed fail:$failed"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
