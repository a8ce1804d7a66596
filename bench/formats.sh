#!/usr/bin/env bash
# bench/formats.sh - figures for the gateway formats, not pass/fail.
#
# Generates (tests/tools/genfmtlog, deterministic) a LINES-line HAProxy log
# (rsyslog form, option httplog), a LINES-line Caddy JSON log (access
# lines, ~5% with a reverse-proxy error line before them), an Envoy JSON
# log (Istio's default JSON encoding) and a Traefik JSON access log, at production
# cardinality (genfmtlog -P: the clients, paths, user agents, hosts and
# upstreams of bench/run.sh's nginx log), and times `gatewatch ingest` of
# each into a fresh database with $GW_BUILD/tools/runstat (time, lines/s,
# peak RSS), with bytes per request on disk; then the same from .gz against
# zcat, then the old low-cardinality log (~20,000 clients) as a second line.
# Targets: >= 500,000 lines/s stored at production cardinality.
# Last, nginx lines plain, through syslog and in a CRI file (wrappers).
# Beside each ingest, "parse only": the same file through ingest's parse
# thread with nothing stored (tests/tools/parsebench), to show which side
# bounds it.
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
for fmt in haproxy caddy envoy traefik; do
	echo "(load: $(cut -d' ' -f1-3 /proc/loadavg))"
	"$tools/genfmtlog" -P "$fmt" "$LINES" >"$dir/$fmt.log"
	echo "$fmt log: $(du -m "$dir/$fmt.log" | cut -f1) MB"
	cat "$dir/$fmt.log" >/dev/null		# warm the page cache
	"$tools/runstat" "ingest $fmt" "$LINES" \
		"$gw" ingest -q -d "$dir/$fmt.db" "$dir/$fmt.log"
	"$tools/runstat" "parse only $fmt (no store)" "$LINES" \
		"$tools/parsebench" "$dir/$fmt.log"
	bytes=0
	for f in "$dir/$fmt.db" "$dir/$fmt.db-wal"; do
		[ -f "$f" ] && bytes=$((bytes + $(stat -c %s "$f")))
	done
	echo "database: $((bytes / 1048576)) MiB, $((bytes / LINES)) bytes/line"
	gzip -1 -c "$dir/$fmt.log" >"$dir/$fmt.log.gz"
	"$tools/runstat" "ingest $fmt (.gz)" "$LINES" \
		"$gw" ingest -q -d "$dir/$fmt-gz.db" "$dir/$fmt.log.gz"
	"$tools/runstat" "zcat $fmt (floor for .gz)" "$LINES" \
		sh -c "zcat '$dir/$fmt.log.gz' >/dev/null"
	rm -f "$dir/$fmt.log" "$dir/$fmt.log.gz" "$dir"/*.db*
	"$tools/genfmtlog" "$fmt" "$LINES" >"$dir/$fmt.log"
	cat "$dir/$fmt.log" >/dev/null
	"$tools/runstat" "ingest $fmt (low cardinality)" "$LINES" \
		"$gw" ingest -q -d "$dir/$fmt.db" "$dir/$fmt.log"
	rm -f "$dir/$fmt.log" "$dir"/*.db*
done

# nginx lines in the transports they arrive in (parse/wrapper.c): the
# upstream-format log of genlog as nginx sends it to syslog, from two hosts
# alternating (so every request is filed under a host's child source), and
# as a Kubernetes CRI file; against the same lines plain.
"$tools/genlog" "$LINES" >"$dir/plain.log"
awk '{ printf "<190>Nov 25 00:00:00 web%d nginx: %s\n", NR % 2, $0 }' \
	"$dir/plain.log" >"$dir/syslog.log"
awk '{ printf "2026-11-25T00:00:00.%09dZ stdout F %s\n", NR, $0 }' \
	"$dir/plain.log" >"$dir/cri.log"
for form in plain syslog cri; do
	cat "$dir/$form.log" >/dev/null		# warm the page cache
	"$tools/runstat" "ingest nginx, $form" "$LINES" \
		"$gw" ingest -q -d "$dir/$form.db" "$dir/$form.log"
	"$tools/runstat" "parse only nginx, $form" "$LINES" \
		"$tools/parsebench" "$dir/$form.log"
	rm -f "$dir/$form.log" "$dir"/*.db*
done
