#!/usr/bin/env bash
# bench/capture_memory.sh - peak memory of `gatewatch capture -r` on hostile
# traffic (issue 16): FLOOD_CONNS connections (default 16000), each
# pipelining FLOOD_REQS never-answered GETs (default 64), ~32 MB written by
# tests/tools/mkpcap --flood; plain and gateway-host (--listen) mode.
# Then 65,536 connections x 8 with bytes behind a hole too (every cap at
# once). Figures only: the budget on requests awaiting answers (parse/http.c,
# 4096 in all) keeps the peak RSS flat; before it, 16000 x 64 took 3.3 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
GW_BIN=${GW_BIN:-$PWD/$GW_BUILD/gatewatch}
tools=$PWD/$GW_BUILD/tools
conns=${FLOOD_CONNS:-16000}
reqs=${FLOOD_REQS:-64}
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-mem.XXXXXX")
trap 'rm -rf "$dir"' EXIT

"$tools/mkpcap" --flood "$conns" "$reqs" "$dir/flood.pcap"
echo "capture: $conns connections x $reqs unanswered GETs," \
    "$(du -m "$dir/flood.pcap" | cut -f1) MB; load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$tools/runstat" "capture -r (plain)" 0 \
	"$GW_BIN" capture -d "$dir/a.db" -r "$dir/flood.pcap" 2>"$dir/a.err"
grep -E 'peak RSS|memory budget' "$dir/a.err" || true
"$tools/runstat" "capture -r --listen 8080" 0 \
	"$GW_BIN" capture -d "$dir/b.db" -r "$dir/flood.pcap" --listen 8080 \
	2>"$dir/b.err"
grep -E 'peak RSS|memory budget' "$dir/b.err" || true

# Every cap at once: the flow table full (65,536 connections open), each
# with requests awaiting answers and bytes held behind a hole.
"$tools/mkpcap" --flood 65536 8 "$dir/full.pcap" ooo
echo "capture: 65536 connections x 8 unanswered GETs, then as much behind" \
    "a hole, $(du -m "$dir/full.pcap" | cut -f1) MB"
"$tools/runstat" "capture -r (every cap)" 0 \
	"$GW_BIN" capture -d "$dir/c.db" -r "$dir/full.pcap" 2>"$dir/c.err"
grep -E 'peak RSS|memory budget' "$dir/c.err" || true
