# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# KTAP output in the style of kselftest's ktap_helpers.sh, for the guest runner (busybox sh) and
# the host scripts (bash) alike: one counter per stream, results numbered from 1 (or from where
# ktap_start_at puts them), totals at the end. Source it, do not run it.

KTAP_N=0 KTAP_PASS=0 KTAP_FAIL=0 KTAP_SKIP=0

ktap_header() {
	echo "TAP version 13"
}

ktap_plan() {
	echo "1..$1"
}

# Numbers the next result N (a stream continued after a reboot).
ktap_start_at() {
	KTAP_N=$(($1 - 1))
}

# ktap_result pass|fail|skip NAME [SKIP REASON]
ktap_result() {
	KTAP_N=$((KTAP_N + 1))
	case $1 in
	pass) KTAP_PASS=$((KTAP_PASS + 1)); echo "ok $KTAP_N $2" ;;
	skip) KTAP_SKIP=$((KTAP_SKIP + 1)); echo "ok $KTAP_N $2 # SKIP ${3:-}" ;;
	*) KTAP_FAIL=$((KTAP_FAIL + 1)); echo "not ok $KTAP_N $2" ;;
	esac
}

# ktap_relay [PREFIX [SUFFIX]]: another KTAP stream's results (stdin), renumbered into this one,
# each name as PREFIX NAME SUFFIX and a SKIP's reason kept; its diagnostics pass through, its
# header, plan and totals do not (this stream has its own).
ktap_relay() {
	while IFS= read -r ktap_line; do
		case $ktap_line in
		"ok "*"# SKIP "*) ktap_r=${ktap_line#ok * }; ktap_result skip "${1:-}${ktap_r% \# SKIP *}${2:-}" "${ktap_r#* \# SKIP }" ;;
		"ok "*) ktap_result pass "${1:-}${ktap_line#ok * }${2:-}" ;;
		"not ok "*) ktap_result fail "${1:-}${ktap_line#not ok * }${2:-}" ;;
		"TAP version"* | "1.."* | "# Totals"*) ;;
		*) echo "$ktap_line" ;;
		esac
	done
}

# Diagnostic lines: each line of stdin, or the arguments, prefixed with "# ".
ktap_diag() {
	if [ $# -gt 0 ]; then echo "# $*"; else sed 's/^/# /'; fi
}

ktap_totals() {
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
}
