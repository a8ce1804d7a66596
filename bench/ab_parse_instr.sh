#!/usr/bin/env bash
# ab_parse_instr.sh - instructions of each thread of `ingest` (callgrind
# --separate-threads) for two gatewatch binaries on the same log, in
# bench/run.sh's log_format (FMT_KIND=auto: none given, for genfmtlog's
# formats). Thread 1 is the parse thread (cli/cmd_ingest.c's loop), then
# the writer and, with request blocks, the block encoder. Instructions do
# not depend on the machine's load: the A/B for a change to the parse
# thread, a slice of bench's 1M-line log (200k lines) is enough.
#
#   bench/ab_parse_instr.sh BASE_BIN NEW_BIN LOG [ROUNDS]
#
# Prints per run: binary, instructions per thread (and per line on the
# parse thread).
set -euo pipefail
base=$1 new=$2 log=$3 rounds=${4:-1}
. "$(dirname "$0")/nginx_format.sh"
args=()
if [ "${FMT_KIND:-nginx}" = nginx ]; then
	args=(--log-format "$FMT")
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abpi.XXXXXX")
trap 'rm -rf "$dir"' EXIT
lines=$(wc -l <"$log")
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/cg*
		valgrind --tool=callgrind --separate-threads=yes \
			--callgrind-out-file="$dir/cg" \
			"$b" ingest -q -d "$dir/db" "${args[@]}" "$log" \
			2>"$dir/vg"
		printf '%s:' "$b"
		t=0
		for f in "$dir"/cg-*; do
			ir=$(grep '^totals:' "$f" | cut -d' ' -f2)
			t=$((t + 1))
			if [ $t -eq 1 ]; then
				printf ' parse %d (%d/line)' "$ir" $((ir / lines))
			else
				printf ' thread%d %d' $t "$ir"
			fi
		done
		echo
	done
done
