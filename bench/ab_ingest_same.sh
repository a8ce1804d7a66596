#!/usr/bin/env bash
# ab_ingest_same.sh - does a new gatewatch binary store what the base one
# stores? Both ingest the same log (bench/run.sh's nginx format, or the
# format found with FMT_KIND=auto), then every row of request_view,
# attempt_view, gateway_error_view, the rollup and name tables, and the
# output of report --by path,upstream,cause,status and --by minute
# (json) are compared by checksum. Prints one line per table (same /
# DIFFERS) and the bytes per request of each database; exits 1 when any
# differs.
#
#   bench/ab_ingest_same.sh BASE_BIN NEW_BIN LOG [INGEST ARGS...]
#
# FIXED_KEY=1: both ingest with one fixed hash key (getrandom(2) replaced
# through LD_PRELOAD). The filter of clients with unjoined errors is keyed
# at random, and a request whose client shares a slot with one is a row,
# its path interned: with error lines (Caddy's), paths differs between two
# runs of one binary unless the key is fixed.
set -euo pipefail
base=$1 new=$2 log=$3
shift 3
. "$(dirname "$0")/nginx_format.sh"
args=("$@")
if [ ${#args[@]} -eq 0 ] && [ "${FMT_KIND:-nginx}" = nginx ]; then
	args=(--log-format "$FMT")
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-same.XXXXXX")
trap 'rm -rf "$dir"' EXIT
lines=$(wc -l <"$log")
queries=(
	"request_view:SELECT * FROM request_view ORDER BY id"
	"attempt_view:SELECT * FROM attempt_view ORDER BY request_id, seq"
	"gateway_error_view:SELECT * FROM gateway_error_view ORDER BY id"
	"rollup_minute:SELECT * FROM rollup_minute ORDER BY 1, 2, 3, 4, 5"
	"rollup_attempt_minute:SELECT * FROM rollup_attempt_minute ORDER BY 1, 2, 3, 4, 5"
	"rollup_latency_minute:SELECT * FROM rollup_latency_minute ORDER BY 1, 2, 3"
	"paths:SELECT id, name FROM paths ORDER BY id"
	"shapes:SELECT id, name FROM shapes ORDER BY id"
	"hosts:SELECT * FROM hosts ORDER BY id"
	"upstreams:SELECT * FROM upstreams ORDER BY id"
	"methods:SELECT * FROM methods ORDER BY id"
	"sources:SELECT id, path, position, line_no FROM sources ORDER BY id"
)
if [ "${FIXED_KEY:-0}" = 1 ]; then
	printf '%s\n' '#include <sys/types.h>' \
	    'ssize_t getrandom(void *b, size_t n, unsigned f) {' \
	    '(void)f; for (size_t i = 0; i < n; i++)' \
	    '((unsigned char *)b)[i] = (unsigned char)(0x5a + i * 17);' \
	    'return (ssize_t)n; }' >"$dir/fixkey.c"
	cc -shared -fPIC -o "$dir/fixkey.so" "$dir/fixkey.c"
	export LD_PRELOAD="$dir/fixkey.so"
fi
for b in base new; do
	bin=$base
	[ $b = new ] && bin=$new
	"$bin" ingest -q -d "$dir/$b.db" "${args[@]}" "$log"
	for q in "${queries[@]}"; do
		"$bin" sql -d "$dir/$b.db" -f list "${q#*:}" | md5sum |
		    cut -d' ' -f1 >"$dir/$b.${q%%:*}"
	done
	"$bin" report -d "$dir/$b.db" --by path,upstream,cause,status -f json |
	    md5sum | cut -d' ' -f1 >"$dir/$b.report_path"
	"$bin" report -d "$dir/$b.db" --by minute -f json | md5sum |
	    cut -d' ' -f1 >"$dir/$b.report_minute"
	bytes=$(du -cb "$dir/$b.db"* | tail -1 | cut -f1)
	echo "$b: $((bytes / lines)) B/request"
done
rc=0
for q in "${queries[@]}" report_path: report_minute:; do
	t=${q%%:*}
	if cmp -s "$dir/base.$t" "$dir/new.$t"; then
		echo "$t: same"
	else
		echo "$t: DIFFERS"
		rc=1
	fi
done
exit $rc
