#!/usr/bin/env bash
# ab_formats.sh - two builds on the gateway formats, interleaved (A B A B):
# parse-only instructions (callgrind on parsebench, SMALL lines), then
# parse-only CPU and ingest lines/s (GW_INGEST_BLOCKS as set, default 1)
# ROUNDS times each, the load beside every figure. Figures, not pass/fail.
#
#   bench/ab_formats.sh BASE_BUILD NEW_BUILD [FORMAT...]
#
# A build is a directory holding gatewatch and tools/parsebench (and
# tools/genfmtlog, taken from NEW_BUILD). FORMAT: genfmtlog's names
# (default: haproxy caddy). LINES (1000000), SMALL (200000), ROUNDS (3).
set -euo pipefail
base=$1 new=$2
shift 2
fmts=${*:-haproxy caddy}
LINES=${LINES:-1000000} SMALL=${SMALL:-200000} ROUNDS=${ROUNDS:-3}
: "${GW_INGEST_BLOCKS:=1}"
export GW_INGEST_BLOCKS
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abfmt.XXXXXX")
trap 'rm -rf "$dir"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
for fmt in $fmts; do
	"$new/tools/genfmtlog" -P "$fmt" "$LINES" >"$dir/$fmt.log"
	"$new/tools/genfmtlog" -P "$fmt" "$SMALL" >"$dir/$fmt.small.log"
	for b in "$base" "$new"; do
		valgrind --tool=callgrind --callgrind-out-file="$dir/cg" \
			"$b/tools/parsebench" "$dir/$fmt.small.log" 2>"$dir/vg"
		ir=$(grep -o 'Collected : [0-9]*' "$dir/vg" | grep -o '[0-9]*$')
		echo "$fmt parse-only instructions $b: $ir ($((ir / SMALL))/line)"
	done
	cat "$dir/$fmt.log" >/dev/null
	for ((r = 0; r < ROUNDS; r++)); do
		for b in "$base" "$new"; do
			l=$(load)
			p=$("$b/tools/parsebench" "$dir/$fmt.log" 2>&1 |
			    grep -o '([0-9]* lines/s), parse thread [0-9.]* s CPU')
			echo "$fmt parse only $b: $p (load $l)"
			rm -f "$dir"/db*
			l=$(load)
			s=$( { /usr/bin/time -f '%e %U %S' "$b/gatewatch" ingest -q \
			    -d "$dir/db" "$dir/$fmt.log"; } 2>&1 | tail -1)
			set -- $s
			echo "$fmt ingest blocks=$GW_INGEST_BLOCKS $b:" \
			    "$(awk -v n="$LINES" -v t="$1" 'BEGIN{printf "%.0f", n/t}')" \
			    "lines/s ($1 s, user $2 s, sys $3 s) (load $l)"
		done
	done
	rm -f "$dir/$fmt.log" "$dir/$fmt.small.log"
done
