#!/usr/bin/env bash
# ab_ingest_faults.sh - page faults of two gatewatch binaries ingesting
# the same log, interleaved (A B A B ...): per run, the minor faults of
# each thread (perf record -e page-faults, every one), busiest first (the
# writer, the parse thread, the block encoder), the symbols of the most
# faulting thread's faults, and the TLB flushes of the whole run
# (tracepoint tlb:tlb_flush: a copy-on-write of the zero page or an
# munmap while another thread runs on the other core costs an interrupt
# there), with the load average beside.
#
#   bench/ab_ingest_faults.sh BASE_BIN NEW_BIN LOG [ROUNDS]
#
# FMT_KIND=auto: no format argument (HAProxy, Caddy, ... logs).
set -euo pipefail
base=$1 new=$2 log=$3 rounds=${4:-1}
. "$(dirname "$0")/nginx_format.sh"
args=(--log-format "$FMT")
[ "${FMT_KIND:-nginx}" = nginx ] || args=()
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abflt.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/p.data
		l0=$(cut -d' ' -f1 /proc/loadavg)
		perf record -q --no-buildid -e page-faults -c 1 \
		    -o "$dir/p.data" "$b" ingest -q -d "$dir/db" "${args[@]}" \
		    "$log" 2>/dev/null
		thr=$(perf report -i "$dir/p.data" --no-children --sort pid \
		    --stdio -n 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    sort -k2 -n -r | awk '{print $2}' | tr '\n' ' ')
		pid=$(perf report -i "$dir/p.data" --no-children --sort pid \
		    --stdio -n 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    sort -k2 -n -r | head -1 | awk '{split($3, p, ":");
		    print p[1]}')
		syms=$(perf report -i "$dir/p.data" --tid="$pid" --no-children \
		    --sort sym --stdio -n 2>/dev/null | grep -v '^#' |
		    grep -v '^$' | head -4 | awk '{printf "%s %s, ", $NF, $2}')
		rm -f "$dir"/db*
		tlb=$(perf stat -x, -e tlb:tlb_flush "$b" ingest -q \
		    -d "$dir/db" "${args[@]}" "$log" 2>&1 >/dev/null |
		    grep tlb_flush | cut -d, -f1)
		echo "$b: faults by thread $thr| busiest's: $syms| TLB" \
		    "flushes $tlb (load $l0)"
	done
done
