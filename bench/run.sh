#!/usr/bin/env bash
# make bench: figures, not pass/fail. Generates a deterministic 1,000,000-line
# nginx access log in the "upstream" format (~5% 5xx, eight upstreams, ~2%
# retried) and times `wc -l` (the floor) and `gatewatch ingest` into a fresh
# database, with peak RSS. LINES=N overrides the size.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
LINES=${LINES:-1000000}
tools=$GW_BUILD/tools
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "gatewatch benchmark: $LINES lines, $(nproc) cores, $(uname -m)"
"$tools/genlog" "$LINES" > "$dir/access.log"
echo "log: $(du -m "$dir/access.log" | cut -f1) MB"
cat "$dir/access.log" > /dev/null	# warm the page cache
"$tools/runstat" "wc -l (floor)" "$LINES" wc -l "$dir/access.log" >/dev/null
"$tools/runstat" "gatewatch ingest" "$LINES" \
	./gatewatch ingest -q -d "$dir/bench.db" "$dir/access.log"
echo "database: $(du -m "$dir/bench.db" | cut -f1) MB"
"$tools/runstat" "report --by upstream,cause" 0 \
	./gatewatch report -d "$dir/bench.db" --by upstream,cause >/dev/null
gzip -1 -c "$dir/access.log" > "$dir/access.log.gz"
"$tools/runstat" "gatewatch ingest (.gz)" "$LINES" \
	./gatewatch ingest -q -d "$dir/bench-gz.db" "$dir/access.log.gz"
"$tools/runstat" "zcat (floor for .gz)" "$LINES" \
	sh -c "zcat '$dir/access.log.gz' > /dev/null"

# The other stages' benchmarks, each printing its own figures.
for extra in bench/formats.sh bench/tail.sh bench/capture.sh \
    bench/capture_memory.sh bench/top.sh; do
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
