#!/usr/bin/env bash
# ab_ingest_threads.sh - two gatewatch binaries ingesting the same log,
# interleaved (A B A B ...), each run printed with its wall time, lines/s,
# peak RSS, bytes per request on disk, the CPU seconds of each of its
# threads (perf record -e cpu-clock at 1 kHz: samples per thread, busiest
# first; ingest's are the writer, the parse thread and, with request
# blocks, the block encoder) and the load average before and after: on a
# shared machine the CPU per thread is the figure to compare, wall time
# follows the load. Needs perf (no hardware counters: cpu-clock works on
# a VM).
#
#   bench/ab_ingest_threads.sh BASE_BIN NEW_BIN LOG [ROUNDS] [INGEST ARGS...]
#
# FMT: nginx (bench/run.sh's log_format, the default) or auto (no format
# argument: HAProxy, Caddy, ... logs of genfmtlog). GW_INGEST_BLOCKS is
# passed on (bench/blocks.sh): GW_INGEST_BLOCKS=1 measures request blocks.
set -euo pipefail
base=$1 new=$2 log=$3 rounds=${4:-2}
shift $(($# < 4 ? $# : 4))
. "$(dirname "$0")/nginx_format.sh"
args=("$@")
if [ ${#args[@]} -eq 0 ] && [ "${FMT_KIND:-nginx}" = nginx ]; then
	args=(--log-format "$FMT")
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abthr.XXXXXX")
trap 'rm -rf "$dir"' EXIT
lines=$(wc -l <"$log")
cat "$log" >/dev/null		# warm the page cache
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/p.data
		l0=$(cut -d' ' -f1 /proc/loadavg)
		# wall time as time(1) sees it: perf's own start and end
		# (it polls its child) are not ingest's
		perf record -q --no-buildid -e cpu-clock -F 1000 -o "$dir/p.data" \
		    /usr/bin/time -f '%e %M' -o "$dir/rss" \
		    "$b" ingest -q -d "$dir/db" "${args[@]}" "$log" 2>/dev/null
		w=$(cut -d' ' -f1 "$dir/rss")
		bytes=$(du -cb "$dir"/db* | tail -1 | cut -f1)
		printf '%s: %.2f s, %d lines/s, peak RSS %d MiB, %d B/request, CPU s by thread:' \
		    "$b" "$w" "$(echo "$lines / $w" | bc)" \
		    $(($(cut -d' ' -f2 "$dir/rss") / 1024)) $((bytes / lines))
		perf report -i "$dir/p.data" --no-children --sort pid --stdio \
		    -n 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    grep -v time | awk '{printf " %.2f", $2 / 1000}'
		echo " (load $l0 -> $(cut -d' ' -f1 /proc/loadavg))"
	done
done
