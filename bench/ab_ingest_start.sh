#!/usr/bin/env bash
# ab_ingest_start.sh - the fixed cost of an ingest: two gatewatch binaries
# ingesting a few lines into a new database, interleaved (A B A B ...),
# each round RUNS runs of each under perf stat (task-clock: CPU ms; wall
# ms and its spread), the load average beside every round; then, once
# each, callgrind's instruction count of one run and the share spent in
# db_migrate (opening a new database: its schema files). On a 1M-line
# ingest of ~1 s this start, with the end phase (bench/ingest_timeline.sh),
# is the wall time no other thread overlaps.
#
#   bench/ab_ingest_start.sh BASE_BIN NEW_BIN [LOG] [ROUNDS] [RUNS]
#
# LOG: the first 3 lines of /tmp/fig/prod1000000.log by default; the
# nginx log format of bench/run.sh.
set -euo pipefail
base=$1 new=$2 log=${3:-} rounds=${4:-4} runs=${5:-25}
. "$(dirname "$0")/nginx_format.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-start.XXXXXX")
trap 'rm -rf "$dir"' EXIT
if [ -z "$log" ]; then
	head -3 /tmp/fig/prod1000000.log >"$dir/tiny.log"
	log=$dir/tiny.log
fi
for r in $(seq "$rounds"); do
	for b in "$base" "$new"; do
		perf stat -r "$runs" -e task-clock \
		    --pre "rm -f $dir/db $dir/db-wal $dir/db-shm" \
		    "$b" ingest -q -d "$dir/db" --log-format "$FMT" "$log" \
		    2>&1 >/dev/null |
		    awk -v b="$b" '/task-clock/ { c = $1 }
			/elapsed/ { printf "%s: cpu %s ms, wall %.1f ms +-%s; ",
			    b, c, $1 * 1000, $(NF - 1) }'
	done
	echo "load $(cut -d' ' -f1 /proc/loadavg)"
done
for b in "$base" "$new"; do
	rm -f "$dir"/db*
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg" \
	    "$b" ingest -q -d "$dir/db" --log-format "$FMT" "$log" \
	    >/dev/null 2>&1
	callgrind_annotate --inclusive=yes "$dir/cg" 2>/dev/null |
	    awk -v b="$b" '/PROGRAM TOTALS/ { t = $1 }
		/:db_migrate / { m = $1 }
		END { printf "%s: %s instructions, db_migrate %s\n", b, t, m }'
done
