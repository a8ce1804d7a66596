#!/usr/bin/env bash
# blocks.sh - issue 11: ingest with every request stored as a row
# (GW_INGEST_BLOCKS=0) against plain requests in blocks (schema/015, the
# default of ingest since session 6; GW_INGEST_BLOCKS=1), on the
# production-cardinality logs of bench/run.sh (genlog -P, its nginx
# format) and bench/formats.sh (genfmtlog -P haproxy / caddy), the two
# runs interleaved. Prints lines/s, peak RSS and CPU (runstat) and bytes
# per request on disk. LINES (1000000); FORMATS ("nginx haproxy caddy").
#   bench/blocks.sh                 GW_BUILD=build LINES=10000000 bench/blocks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
LINES=${LINES:-1000000}
FORMATS=${FORMATS:-nginx haproxy caddy}
tools=$GW_BUILD/tools
gw=$GW_BUILD/gatewatch
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-blocks.XXXXXX")
trap 'rm -rf "$dir"' EXIT
. bench/nginx_format.sh

for fmt in $FORMATS; do
	if [ "$fmt" = nginx ]; then
		"$tools/genlog" -P "$LINES" >"$dir/log"
		args=(--log-format "$FMT")
	else
		"$tools/genfmtlog" -P "$fmt" "$LINES" >"$dir/log"
		args=()
	fi
	cat "$dir/log" >/dev/null
	for mode in rows blocks; do
		echo "== $fmt, $LINES lines, $mode (load: $(cut -d' ' -f1-3 /proc/loadavg))"
		rm -f "$dir"/db*
		GW_INGEST_BLOCKS=$([ $mode = blocks ] && echo 1 || echo 0) \
		    "$tools/runstat" "ingest $fmt $mode" "$LINES" \
		    "$gw" ingest -q -d "$dir/db" "${args[@]}" "$dir/log"
		bytes=0
		for f in "$dir/db" "$dir/db-wal"; do
			[ -f "$f" ] && bytes=$((bytes + $(stat -c %s "$f")))
		done
		echo "database: $((bytes / 1048576)) MiB, $((bytes / LINES)) bytes/request"
	done
	rm -f "$dir/log"
done
