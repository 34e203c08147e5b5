#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs guest tests on one kernel and prints their KTAP stream. A test that panics, oopses or hangs
# the guest fails alone: the console's tail goes into its diagnostics, a fresh guest boots and
# the remaining tests go on, numbered where the stream stopped. Afterwards the host checks what
# the guest cannot fake (every planned test reported, a clean kernel console) and writes the
# results as data: LOG/results.json (tests/results.py), one record per test (name, verdict,
# attempts, seconds, limit, module, reason, figures) from the guest's data channel, a crashed
# test's record from the host, and the summary check.sh and the grader read.
#
# Time limits follow the machine: a calibration boot measures how much slower than the reference
# machine this one is right now (speed_factor in qemu/lib.sh), and every limit and wait is scaled
# by that factor; TIMEOUT_MUL=N sets it instead. The output names the factor.
#
# Usage: suite.sh [--log DIR] SERIES FLAVOR [TEST[@MODULE.ko]...]
#   SERIES: 7.3, ... or --default, as prepare.sh takes it. TEST: a name such as e1_kick, or a path
#   to a script; default: every tests/guest/[0-9]*.sh. @MODULE.ko: the test runs against that
#   module (a host path; the grader's) instead of the reference, and its name ends in @MODULE.
#   --log DIR: where the logs and the summary go (default build/SERIES-FLAVOR/log).
#   --late TEST: TEST (a path, also given as a TEST below) is not in the guest's image: the guest
#   fetches it from the host when its turn comes (boot.sh --late; the grader's hidden checks).
#   SOAK_SECONDS overrides the flavour's soak budget.
set -uo pipefail
. "$(dirname "$0")/../../qemu/lib.sh"
. "$ROOT/tests/ktap.sh"
. "$ROOT/tests/splats.sh"

logroot=
declare -A late=()
while :; do
	case ${1:-} in
	--log) logroot=$2; shift 2 ;;
	--late) late[$(cd "$(dirname "$2")" && pwd)/$(basename "$2")]=1; shift 2 ;;
	*) break ;;
	esac
done
load_kernel "${1:?usage: suite.sh SERIES FLAVOR [TEST...]}" "${2:?usage: suite.sh SERIES FLAVOR [TEST...]}" ||
	die "cannot prepare the $1/$2 kernel (see above)"
shift 2
flavor=$K_FLAVOR
soak=${SOAK_SECONDS:-$K_SOAK}

# The tests, as paths on the host; in the guest they are /tests/NAME.
tests=() modules=()
if [ $# -eq 0 ]; then
	tests=("$ROOT"/tests/guest/[0-9]*.sh)
else
	for spec in "$@"; do
		t=${spec%%@*}
		m=
		if [ "$t" != "$spec" ]; then
			m=$(cd "$(dirname "${spec#*@}")" && pwd)/$(basename "${spec#*@}")
			[ -f "$m" ] || die "no module file ${spec#*@}"
		fi
		modules+=("$m")
		if [ -f "$t" ]; then
			tests+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
		else
			m=("$ROOT"/tests/guest/[0-9]*-"$t".sh)
			[ -f "${m[0]}" ] || die "no guest test named '$t' (tests/guest/NN-$t.sh)"
			tests+=("${m[0]}")
		fi
	done
fi
total=${#tests[@]}
names=()
for i in "${!tests[@]}"; do
	n=${tests[$i]##*/}
	n=${n%.sh}
	n=${n#[0-9][0-9]-}
	mod=${modules[$i]:-}
	[ -z "$mod" ] || { mod=${mod##*/}; n=$n@${mod%.ko}; }
	names+=("$n")
done

# Tests outside tests/guest/ (the harness self-tests, the grader's checks) travel in the
# command's own cpio; late ones (--late) are served to the guest only when their turn comes.
guest_path() {
	if [ -n "$1" ] && [ -n "${late[$1]:-}" ]; then echo "/late/${1##*/}"; return; fi
	case $1 in "$ROOT"/tests/guest/*) echo "/tests/${1##*/}" ;; *) echo "/extra/${1##*/}" ;; esac
}
extra=() late_dir=
for t in "${tests[@]}" "${modules[@]}"; do
	if [ -n "$t" ] && [ -n "${late[$t]:-}" ]; then
		[ -n "$late_dir" ] || late_dir=$(mktemp -d)
		cp "$t" "$late_dir/"
		continue
	fi
	case $t in "$ROOT"/tests/guest/* | '') ;; *) extra+=("$t") ;; esac
done
[ -z "$late_dir" ] || trap 'rm -rf "$late_dir"' EXIT
# Every file travels by its name: two of them must not share one.
dup=$(printf '%s\n' "${extra[@]}" | sort -u | sed 's|.*/||' | sort | uniq -d | head -n 1)
[ -z "$dup" ] || die "two different files named $dup: rename one"
[ ${#extra[@]} = 0 ] || mapfile -t extra < <(printf '%s\n' "${extra[@]}" | sort -u)

# A test's time limit: its "#@ limit_FLAVOR=" line, else its "#@ limit=" (for base) times the
# flavour's scale; a soak test gets three times the soak budget on top; all of it times the
# machine's speed factor.
limit_of() {
	local l
	l=$(header "$1" "limit_$flavor")
	[ -n "$l" ] || l=$(($(header "$1" limit) * K_SCALE))
	[ "$l" -gt 0 ] 2>/dev/null || l=$((60 * K_SCALE))
	grep -q '^#@ soak$' "$1" && l=$((l + 3 * soak))
	times_factor "$l"
}
times_factor() { awk -v l="$1" -v f="$factor" 'BEGIN { x = l * f; printf "%d", (x == int(x)) ? x : int(x) + 1 }'; }

logroot=${logroot:-$K_OUT/log}
rm -rf "$logroot"
mkdir -p "$logroot"
speed_factor "$logroot/calibration" || die "the calibration boot of $K_NAME failed (see $logroot/calibration)"
factor=$SPEED_FACTOR
first=1 boot=0 crashed=()
ktap_diag "guest suite on $K_NAME ($K_VERSION, $K_DIR)"
ktap_diag "speed factor $factor: $SPEED_WHY"
while [ "$first" -le "$total" ]; do
	boot=$((boot + 1))
	logdir=$logroot/boot-$boot
	# The plan counts the host's own two checks, numbered after the guest's tests.
	cmd="SOAK_SECONDS=$soak TIMEOUT_MUL=$factor /tests/run.sh --flavor $flavor --first $first --plan $((total + 2))"
	# insmod and rmmod each get 10 s on base, scaled as every limit is (a module that hangs in
	# either is not waited for longer).
	cmd+=" --module-seconds $(times_factor $((10 * K_SCALE)))"
	# The boot may take as long as booting plus every test's limit, and two more runs of the
	# longest (a test whose set-up was missed runs again).
	budget=$(times_factor 60) longest=0
	for ((i = first - 1; i < total; i++)); do
		limit=$(limit_of "${tests[$i]}")
		cmd+=" $(guest_path "${tests[$i]}")=$limit"
		[ -z "${modules[$i]:-}" ] || cmd+="@/extra/${modules[$i]##*/}"
		budget=$((budget + limit + 5))
		[ "$limit" -le "$longest" ] || longest=$limit
	done
	budget=$((budget + 2 * longest))
	# A guest silent for longer than booting plus three runs of the longest test has hung.
	idle=$(($(times_factor 60) + 3 * longest))
	bash "$ROOT/qemu/boot.sh" --kdir "$K_DIR" --initrd "$K_INITRD" --mem "$K_MEM" \
		--append "$K_APPEND" --logdir "$logdir" --timeout "$budget" \
		--idle "$idle" ${extra[@]:+--extra "${extra[*]}"} ${late_dir:+--late "$late_dir"} --cmd "$cmd" 2>"$logdir.err" | sed -u '/^# Totals:/d'
	recs=$logdir/records.tsv
	grep -q '^done'$'\t' "$recs" 2>/dev/null && break
	# The tests this boot reported, each with its record.
	last=$((first - 1 + $(grep -c '^test'$'\t' "$recs" 2>/dev/null)))
	[ "$last" -ge "$first" ] || last=
	# The runner could not restore the known state after a test: go on in a fresh guest.
	if grep -qx 'reboot' "$recs" 2>/dev/null; then
		first=$((${last:-$((first - 1))} + 1))
		[ "$first" -le "$total" ] && ktap_diag "booting a fresh guest for the remaining $((total - first + 1)) test(s)"
		continue
	fi
	# The guest stopped early: the first test without a result is the one it died in.
	died=$((${last:-$((first - 1))} + 1))
	[ "$died" -le "$total" ] || break
	name=${names[$((died - 1))]}
	reason=$(grep -E '^error: ' "$logdir.err" | tail -n 1 | sed 's/^error: //; s/console tail above; //')
	ktap_diag "$name crashed the guest: ${reason:-guest stopped}"
	first_splat=$(splats "$ROOT/tests/splat-patterns" "$logdir/console.log" 2>/dev/null | head -n 1)
	[ -z "$first_splat" ] || ktap_diag "first splat: $first_splat"
	# A Rust panic says where on its line and why on the next ("index out of bounds: ...").
	cause=$(grep -m 1 -A 1 'panicked at' "$logdir/console.log" 2>/dev/null | sed -n '2s/^\[[^]]*\]\(\[[^]]*\]\)\{0,1\} *//p')
	[ -z "$cause" ] || ktap_diag "its cause: $cause"
	# The module's first frames, demangled by the host's workq-trace when it is built.
	grep -E '\[rust_workq\]' "$logdir/console.log" 2>/dev/null | grep -v 'RIP:' | head -n 5 |
		sed 's/^\[[^]]*\]\(\[[^]]*\]\)\{0,1\} *//' | { if [ -x "$TRACE_TOOL" ]; then "$TRACE_TOOL" --demangle -; else cat; fi } |
		cut -c1-200 | sed 's/^/  module frame: /' | ktap_diag
	ktap_diag "console tail ($logdir/console.log):"
	tail -n 25 "$logdir/console.log" 2>/dev/null | sed 's/^/  /' | ktap_diag
	echo "not ok $died $name"
	printf 'test\t%s\tcrash\t1\t\t%s\t%s\t%s\t\n' "$name" "$(limit_of "${tests[$((died - 1))]}")" \
		"${modules[$((died - 1))]:-/lib/modules/rust_workq.ko}" "crashed the guest: ${reason:-guest stopped}${first_splat:+; first splat: $first_splat}" |
		tr -d '\r' >>"$logroot/host-records.tsv"
	crashed+=("$name")
	first=$((died + 1))
	[ "$first" -le "$total" ] && ktap_diag "booting a fresh guest for the remaining $((total - died)) test(s)"
done

# What the guest reported, over all boots (each boot's records in order), and the host's own
# records of the tests that crashed a guest.
cat "$logroot"/boot-*/out.log 2>/dev/null | grep -E '^(not )?ok [0-9]+ |^# ' >"$logroot/ktap"
records=()
for ((b = 1; b <= boot; b++)); do records+=("$logroot/boot-$b/records.tsv"); done
[ ! -f "$logroot/host-records.tsv" ] || records+=("$logroot/host-records.tsv")
results=$logroot/results.json
python3 "$ROOT/tests/results.py" build --kernel "$K_NAME" --version "$K_VERSION" --factor "$factor" \
	--factor-source "$SPEED_WHY" --boots "$boot" --planned "${names[@]}" --out "$results" -- "${records[@]}" ||
	die "cannot write $results"
{ read -r gp; read -r gf; read -r gs; read -r reported; } < <(python3 "$ROOT/tests/results.py" get "$results" passed failed skipped reported)
ktap_diag "$K_NAME: $gp passed, $gf failed, $gs skipped in $boot boot(s)${crashed[*]:+; crashed the guest: ${crashed[*]}}"
ktap_start_at $((total + 1))
host_check() { # host_check OK|FAIL NAME [DETAIL]
	if [ "$1" = OK ]; then ktap_result pass "$K_NAME: $2"; else
		ktap_diag "$3"
		ktap_result fail "$K_NAME: $2"
	fi
}
if [ "$reported" = "$total" ]; then
	host_check OK "every planned test reported ($total)"
else
	host_check FAIL "every planned test reported" "planned $total, reported $reported"
fi
splat=$(splats "$ROOT/tests/splat-patterns" "$logroot"/boot-*/console.log 2>/dev/null | head -n 5)
if [ -z "$splat" ]; then
	host_check OK "kernel console free of splats"
else
	host_check FAIL "kernel console free of splats" "$(printf '%s' "$splat" | tr '\n' '|')"
fi
echo "# Totals: pass:$((gp + KTAP_PASS)) fail:$((gf + KTAP_FAIL)) skip:$gs"
[ "$gf" = 0 ] && [ "$KTAP_FAIL" = 0 ]
