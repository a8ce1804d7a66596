#!/usr/bin/env bash
# compare_ingest.sh OLD_BIN NEW_BIN LOG [INGEST ARGS...] - what two
# gatewatch binaries store of one log: each ingests LOG into a database
# of its own (GW_INGEST_BLOCKS as set), then every request
# (request_view), upstream attempt (attempt_view), gateway error
# (gateway_error_view) and reject (line, offset, reason, raw) is listed
# by the new binary's `sql` and the lists are compared. For changes to
# the parse thread that must store the same records: run it on large
# generated logs (genlog -P) and on the fixtures. Exit status 1 when the
# lists differ (the first differences are shown).
set -u
old=$1 new=$2 log=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gw-cmping.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
queries=(
	'SELECT * FROM request_view ORDER BY id'
	'SELECT * FROM attempt_view ORDER BY 1, 2, 3'
	'SELECT * FROM gateway_error_view ORDER BY id'
	'SELECT line_no, offset, reason, hex(raw) FROM rejects ORDER BY id'
)
for side in old new; do
	bin=$old
	[ $side = new ] && bin=$new
	"$bin" ingest -q -d "$tmp/$side.db" "$@" "$log" 2>"$tmp/$side.err"
	echo "exit $?" >>"$tmp/$side.err"
	for q in "${queries[@]}"; do
		"$new" sql -d "$tmp/$side.db" -f list "$q"
	done >"$tmp/$side.out" 2>&1
done
rc=0
for f in out err; do
	if ! cmp -s "$tmp/old.$f" "$tmp/new.$f"; then
		echo "differs: $log ($f)"
		diff "$tmp/old.$f" "$tmp/new.$f" | head -20
		rc=1
	fi
done
[ $rc = 0 ] && echo "same: $log ($(wc -l <"$tmp/new.out") rows)"
exit $rc
