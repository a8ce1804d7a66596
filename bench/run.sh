#!/usr/bin/env bash
# make bench: figures, not pass/fail.
#
# 1. Production cardinality (issue 11): tests/tools/genlog -P writes a
#    deterministic LINES-line nginx access log (default 1,000,000) in the
#    built-in "upstream" format plus " host=$host": ~720k distinct client
#    addresses (10% IPv6), ~390k distinct paths (numeric ids, UUIDs, query
#    strings with varied keys), 200 user agents, 20 hosts, 50 upstreams, ~5%
#    5xx, ~2% retried (`502, 200`). Timed side by side on the same file:
#    `wc -l` (the floor), `gatewatch ingest` into a fresh database (three
#    runs, the log synced to disk and in the page cache first), and
#    GoAccess (COMBINED format, JSON report); then the same at BIG_LINES
#    (default 10,000,000; BIG_LINES=0 skips it) to show how the cost grows.
#    For gatewatch: lines/s, peak RSS and bytes per request on disk; and
#    the parse thread alone (tests/tools/parsebench: ingest's reading and
#    parsing with a sink that drops the batches), so the figures show
#    which side bounds ingest: when "parse only" is far above "gatewatch
#    ingest", the writer (SQLite) is the bound; and the writer's floor
#    (tests/tools/sqlitefloor: the same rows through the same INSERT with
#    nothing in front), what a row-per-request SQLite store reaches here.
#    GoAccess runs on logs of up to GOACCESS_LINES lines (default: every
#    size; at 10M it takes over 25 minutes and 2.5 GB on this machine).
#    Targets: >= 1,000,000 lines/s, < 64 MiB at 1M and 10M, <= 80 bytes a
#    request, 10M within 20% of 1M.
# 2. The old low-cardinality log (genlog without options: ~7,000 clients),
#    as a second line, plain and from .gz.
# 3. The other stages' benchmarks (bench/formats.sh: HAProxy, Caddy JSON,
#    Envoy JSON and Traefik JSON at the same cardinality; bench/blocks.sh:
#    rows against request blocks, schema/015; bench/readers.sh: every
#    reader on rows against blocks; tail, capture, console).
# GW_BUILD is the build directory; runstat prints time, lines/s, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
LINES=${LINES:-1000000}
BIG_LINES=${BIG_LINES:-10000000}
GOACCESS_LINES=${GOACCESS_LINES:-$((LINES > BIG_LINES ? LINES : BIG_LINES))}
tools=$GW_BUILD/tools
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
. bench/nginx_format.sh

# Bytes on disk per request of database $1 holding $2 requests.
per_request() {
	local bytes=0 f
	for f in "$1" "$1-wal"; do
		[ -f "$f" ] && bytes=$((bytes + $(stat -c %s "$f")))
	done
	echo "database: $((bytes / 1048576)) MiB, $((bytes / $2)) bytes/request"
}

# Time wc -l, gatewatch ingest and GoAccess on a LINES-line log.
run_prod() {
	local n=$1 log=$dir/prod-$1.log
	echo
	echo "== production cardinality, $n lines (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	"$tools/genlog" -P "$n" >"$log"
	echo "log: $(($(stat -c %s "$log") / 1048576)) MiB"
	if [ "$n" -le 2000000 ]; then
		echo "distinct: $(cut -d' ' -f1 "$log" | sort -u | wc -l) clients," \
		    "$(cut -d' ' -f7 "$log" | cut -d'?' -f1 | sort -u | wc -l) paths"
	fi
	# the generator's dirty pages on their way to the disk now, not
	# while ingest is timed (writeback of 360 MB competed with it)
	sync "$log"
	cat "$log" >/dev/null	# warm the page cache
	"$tools/runstat" "wc -l (floor)" "$n" wc -l "$log" >/dev/null
	# three runs, each into a new database: one run on a shared
	# 2-core VM moves with the host by 20-30%
	for r in 1 2 3; do
		rm -f "$dir"/prod.db*
		"$tools/runstat" "gatewatch ingest (run $r of 3)" "$n" \
			./gatewatch ingest -q -d "$dir/prod.db" --log-format "$FMT" "$log"
	done
	per_request "$dir/prod.db" "$n"
	"$tools/runstat" "parse only (no store)" "$n" \
		"$tools/parsebench" -l "$FMT" "$log"
	# The row store's floor: n requests of the same row shape through
	# the writer's own INSERT, ingest's batch size, no parsing or
	# interning (tests/tools/sqlitefloor); then with 400 new path names
	# per 1,000 rows, as this log has.
	"$tools/sqlitefloor" -n "$n" -b 32768 "$dir/floor.db"
	rm -f "$dir"/floor.db*
	"$tools/sqlitefloor" -n "$n" -b 32768 -p $((n * 2 / 5)) "$dir/floor.db"
	rm -f "$dir"/floor.db*
	"$tools/runstat" "report --by upstream,cause" 0 \
		./gatewatch report -d "$dir/prod.db" --by upstream,cause >/dev/null
	if command -v goaccess >/dev/null && [ "$n" -le "$GOACCESS_LINES" ]; then
		"$tools/runstat" "goaccess (COMBINED, JSON report)" "$n" \
			goaccess "$log" --log-format=COMBINED --no-global-config \
			--no-progress -o "$dir/goaccess.json" >/dev/null
	fi
	rm -f "$log" "$dir"/prod.db* "$dir/goaccess.json"
}

echo "gatewatch benchmark: $(nproc) cores, $(uname -m)"
run_prod "$LINES"
[ "$BIG_LINES" -gt 0 ] && run_prod "$BIG_LINES"

echo
echo "== low cardinality (the old benchmark), $LINES lines (load: $(cut -d' ' -f1-3 /proc/loadavg))"
"$tools/genlog" "$LINES" > "$dir/access.log"
echo "log: $(du -m "$dir/access.log" | cut -f1) MB"
cat "$dir/access.log" > /dev/null	# warm the page cache
"$tools/runstat" "wc -l (floor)" "$LINES" wc -l "$dir/access.log" >/dev/null
"$tools/runstat" "gatewatch ingest" "$LINES" \
	./gatewatch ingest -q -d "$dir/bench.db" "$dir/access.log"
per_request "$dir/bench.db" "$LINES"
"$tools/runstat" "parse only (no store)" "$LINES" \
	"$tools/parsebench" "$dir/access.log"
"$tools/runstat" "report --by upstream,cause" 0 \
	./gatewatch report -d "$dir/bench.db" --by upstream,cause >/dev/null
gzip -1 -c "$dir/access.log" > "$dir/access.log.gz"
"$tools/runstat" "gatewatch ingest (.gz)" "$LINES" \
	./gatewatch ingest -q -d "$dir/bench-gz.db" "$dir/access.log.gz"
"$tools/runstat" "zcat (floor for .gz)" "$LINES" \
	sh -c "zcat '$dir/access.log.gz' > /dev/null"
rm -f "$dir"/access.log* "$dir"/bench*.db*

# The other stages' benchmarks, each printing its own figures.
for extra in bench/formats.sh bench/blocks.sh bench/readers.sh bench/tail.sh \
    bench/capture.sh bench/capture_memory.sh bench/top.sh; do
	if [ -x "$extra" ]; then
		echo
		echo "== $extra"
		GW_BUILD=$GW_BUILD "$extra" || echo "$extra failed (exit $?)"
	fi
	if [ "$extra" = bench/tail.sh ]; then
		echo
		echo "== METRICS=1 bench/tail.sh (the same, scraped)"
		METRICS=1 GW_BUILD=$GW_BUILD "$extra" || echo "$extra failed (exit $?)"
	fi
done
