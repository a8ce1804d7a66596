#!/usr/bin/env bash
# ab_writer_syms.sh - where the writer thread's time goes, for two
# gatewatch binaries ingesting the same log, interleaved (A B A B ...):
# per run, the busiest thread's cpu-clock samples (perf record, 2 kHz;
# ingest's busiest is the writer) and the samples of each symbol named,
# with the load average beside. Memory stalls show here and not in
# instruction counts (bench/ab_ingest_instr.sh): a prefetch adds
# instructions and saves samples.
#
#   bench/ab_writer_syms.sh BASE_BIN NEW_BIN LOG ROUNDS SYMBOL...
#
# FMT_KIND=auto: no format argument (HAProxy, Caddy, ... logs).
set -euo pipefail
base=$1 new=$2 log=$3 rounds=$4
shift 4
. "$(dirname "$0")/nginx_format.sh"
args=(--log-format "$FMT")
[ "${FMT_KIND:-nginx}" = nginx ] || args=()
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-absyms.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/p.data
		l0=$(cut -d' ' -f1 /proc/loadavg)
		perf record -q --no-buildid -e cpu-clock -F 2000 \
		    -o "$dir/p.data" "$b" ingest -q -d "$dir/db" "${args[@]}" \
		    "$log" 2>/dev/null
		read -r n pid < <(perf report -i "$dir/p.data" --no-children \
		    --sort pid --stdio -n 2>/dev/null | grep -v '^#' |
		    grep -v '^$' | sort -k2 -n -r | head -1 |
		    awk '{split($3, p, ":"); print $2, p[1]}')
		syms=$(perf report -i "$dir/p.data" --tid="$pid" --no-children \
		    --sort sym --stdio -n 2>/dev/null | grep -v '^#')
		printf '%s: writer %s samples:' "$b" "$n"
		for s in "$@"; do
			printf ' %s %s' "$s" "$(echo "$syms" |
			    awk -v s="$s" '$NF == s {print $2; exit}')"
		done
		echo " (load $l0)"
	done
done
