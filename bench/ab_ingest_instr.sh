#!/usr/bin/env bash
# ab_ingest_instr.sh - instructions (callgrind, all threads) of `ingest` of
# a log in bench/run.sh's format, for two gatewatch binaries, interleaved:
# an A/B that does not depend on the machine's load.
#
#   bench/ab_ingest_instr.sh BASE_BIN NEW_BIN LOG [ROUNDS]
#
# Prints one line a run: binary, total instructions (Ir), requests stored,
# and each thread's instructions (callgrind --separate-threads: main, the
# parse thread, first; then the writer; then the block encoder).
# FMT_KIND=auto: no format argument (HAProxy, Caddy, ... logs of
# genfmtlog), as in ab_ingest_threads.sh.
set -euo pipefail
base=$1 new=$2 log=$3 rounds=${4:-1}
. "$(dirname "$0")/nginx_format.sh"
args=(--log-format "$FMT")
[ "${FMT_KIND:-nginx}" = nginx ] || args=()
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-ab.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/cg*
		valgrind --tool=callgrind --callgrind-out-file="$dir/cg" \
			--separate-threads=yes \
			"$b" ingest -q -d "$dir/db" "${args[@]}" "$log" \
			2>"$dir/vg"
		ir=$(grep -o 'Collected : [0-9]*' "$dir/vg" | grep -o '[0-9]*$')
		n=$(sqlite3 "$dir/db" "SELECT (SELECT count(*) FROM requests) +
			(SELECT coalesce(sum(n), 0) FROM request_blocks)")
		thr=$(for f in "$dir"/cg-*; do
			grep -m1 '^summary:' "$f" | cut -d' ' -f2
		done | tr '\n' ' ')
		printf '%s Ir=%s requests=%s threads: %s\n' "$b" "$ir" "$n" "$thr"
	done
done
