#!/usr/bin/env bash
# bench/formats.sh - figures for the gateway formats, not pass/fail.
#
# Generates (tests/tools/genfmtlog, deterministic) a LINES-line HAProxy log
# (rsyslog form, option httplog) and a LINES-line Caddy JSON log (access
# lines, ~5% with a reverse-proxy error line before them), and times
# `gatewatch ingest` of each into a fresh database with $GW_BUILD/tools/
# runstat (time, lines/s, peak RSS); then the same from .gz against zcat.
# Targets on one core: HAProxy >= 300,000 lines/s stored, JSON >= 150,000.
# LINES=N overrides the size; GW_BUILD the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
LINES=${LINES:-1000000}
tools=$GW_BUILD/tools
gw=$GW_BUILD/gatewatch
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-fmt.XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "gateway formats: $LINES lines each, $(nproc) cores, $(uname -m)"
for fmt in haproxy caddy; do
	"$tools/genfmtlog" "$fmt" "$LINES" >"$dir/$fmt.log"
	echo "$fmt log: $(du -m "$dir/$fmt.log" | cut -f1) MB"
	cat "$dir/$fmt.log" >/dev/null		# warm the page cache
	"$tools/runstat" "ingest $fmt" "$LINES" \
		"$gw" ingest -q -d "$dir/$fmt.db" "$dir/$fmt.log"
	gzip -1 -c "$dir/$fmt.log" >"$dir/$fmt.log.gz"
	"$tools/runstat" "ingest $fmt (.gz)" "$LINES" \
		"$gw" ingest -q -d "$dir/$fmt-gz.db" "$dir/$fmt.log.gz"
	"$tools/runstat" "zcat $fmt (floor for .gz)" "$LINES" \
		sh -c "zcat '$dir/$fmt.log.gz' >/dev/null"
	rm -f "$dir/$fmt.log" "$dir/$fmt.log.gz" "$dir"/*.db*
done
