#!/usr/bin/env bash
# readers.sh - issue 11: what request blocks (schema/015) cost the readers.
# The production-cardinality nginx log of bench/run.sh (genlog -P, its
# format), LINES lines, ingested twice: plain requests as rows (the
# default) and in blocks (GW_INGEST_BLOCKS=1); then each reader on both
# databases, interleaved, ROUNDS times: report (rollups, and raw rows:
# by path, by a bound off the minute, the diagnosis views shape, breaker
# and retry), explain of the busiest upstream, metrics, and the console's
# refresh (tests/tools/topbench: window all, and the last 5 minutes of
# the data, which reads raw rows per second). Prints each reader's
# seconds (wall; the lowest of the rounds) on rows and on blocks and
# their ratio, with the load beside. Figures only, never pass/fail.
#
# GW_BASE=path/to/gatewatch also times another build's binary on the rows
# database (main's, to see that the readers are not slower without
# blocks); READERS_DIR=dir keeps the log and databases there between runs.
#   bench/readers.sh        LINES=100000 ROUNDS=5 bench/readers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
LINES=${LINES:-1000000}
ROUNDS=${ROUNDS:-3}
tools=$GW_BUILD/tools
gw=$PWD/$GW_BUILD/gatewatch
base=${GW_BASE:-}
if [ -n "${READERS_DIR:-}" ]; then
	dir=$READERS_DIR
	mkdir -p "$dir"
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-readers.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
fi
. bench/nginx_format.sh

load() { cut -d' ' -f1-3 /proc/loadavg; }

if [ ! -s "$dir/rows-$LINES.db" ] || [ ! -s "$dir/blocks-$LINES.db" ]; then
	rm -f "$dir"/rows-"$LINES".db* "$dir"/blocks-"$LINES".db*
	"$tools/genlog" -P "$LINES" >"$dir/log"
	GW_INGEST_BLOCKS=0 "$gw" ingest -q -d "$dir/rows-$LINES.db" \
	    --log-format "$FMT" "$dir/log"
	GW_INGEST_BLOCKS=1 "$gw" ingest -q -d "$dir/blocks-$LINES.db" \
	    --log-format "$FMT" "$dir/log"
	rm -f "$dir/log"
fi
rows=$dir/rows-$LINES.db
blocks=$dir/blocks-$LINES.db
# the busiest upstream, and a bound 30 s into the data's first minute
up=$("$gw" report -d "$rows" --by upstream --format csv |
    awk -F, 'NR > 1 && $1 != "-" && $1 != "total" { print $1; exit }')
first=$("$gw" report -d "$rows" --by minute --format csv |
    awk -F, 'NR == 2 { print $1 }')
since=$(( $(date -u -d "${first%Z}" +%s) + 30 ))

echo "readers: $LINES production lines, rows against blocks" \
    "(ROUNDS=$ROUNDS, lowest wall seconds)"
echo "rows: $(($(stat -c %s "$rows") / 1048576)) MiB;" \
    "blocks: $(($(stat -c %s "$blocks") / 1048576)) MiB"

# Seconds one run of "$@" takes (wall), its output thrown away.
secs() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# The console's refresh in ms (topbench: 10 refreshes, their mean).
console_ms() {
	"$tools/topbench" "$2" 10 "$1" | tail -1 |
	    sed 's/.* \([0-9.]*\) ms per refresh.*/\1/'
}

# One reader: NAME, then its arguments ({} stands for the database).
reader() {
	local name=$1 best_r='' best_b='' best_m='' r b m i
	shift
	for i in $(seq "$ROUNDS"); do
		if [ "$name" = console-all ] || [ "$name" = console-5m ]; then
			r=$(console_ms "${name#console-}" "$rows")
			b=$(console_ms "${name#console-}" "$blocks")
		else
			r=$(secs "$gw" "${@//'{}'/$rows}")
			b=$(secs "$gw" "${@//'{}'/$blocks}")
			[ -n "$base" ] && m=$(secs "$base" "${@//'{}'/$rows}")
		fi
		best_r=$(printf '%s\n%s\n' "$r" "${best_r:-$r}" | sort -g | head -1)
		best_b=$(printf '%s\n%s\n' "$b" "${best_b:-$b}" | sort -g | head -1)
		[ -n "${m:-}" ] && best_m=$(printf '%s\n%s\n' "$m" \
		    "${best_m:-$m}" | sort -g | head -1)
	done
	case $name in
	console-*) unit=ms ;;
	*) unit=s
	   best_r=$(printf '%.3f' "$(echo "$best_r / 1000" | bc -l)")
	   best_b=$(printf '%.3f' "$(echo "$best_b / 1000" | bc -l)")
	   [ -n "$best_m" ] && best_m=$(printf '%.3f' \
	       "$(echo "$best_m / 1000" | bc -l)") ;;
	esac
	printf '%-28s rows %8s %s  blocks %8s %s  x%s%s  (load %s)\n' "$name" \
	    "$best_r" "$unit" "$best_b" "$unit" \
	    "$(printf '%.2f' "$(echo "$best_b / $best_r" | bc -l)")" \
	    "${best_m:+  base on rows $best_m $unit}" "$(load)"
}

reader "report" report -d {}
reader "report --by path" report -d {} --by path --limit 20
reader "report off the minute" report -d {} --by upstream,status \
    --since "@$since"
reader "report --by shape" report -d {} --by shape
reader "report --by breaker" report -d {} --by breaker
reader "report --by retry" report -d {} --by retry
reader "explain $up" explain "$up" -d {}
reader "metrics" metrics -d {}
reader console-all
reader console-5m
