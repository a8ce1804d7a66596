#!/usr/bin/env bash
# sql_e2e.sh - `gatewatch sql` sees every request, those kept in blocks
# (schema/015) too, and writes nothing:
#
#  - the bundled demo (with its error log) and 20,000 production-shaped
#    lines (genlog -P) ingested with requests as rows and with blocks
#    (GW_INGEST_BLOCKS=1): request_view and attempt_view through
#    `gatewatch sql` are identical, row for row, in CSV and JSON, while
#    plain sqlite3 on the blocks database sees fewer requests (it cannot
#    read blocks: the test proves blocks were written);
#  - on the rows database, `gatewatch sql` and sqlite3 agree;
#  - a writing statement, ATTACH, and a bad statement fail with exit 1 and
#    a message, and the database is unchanged; the rows of the statements
#    before are printed;
#  - SQL from stdin; several statements; --max-rows says how many rows a
#    table left out; control characters are escaped in every format; the
#    JSON is valid (jq);
#  - --format list prints what sqlite3 prints (lib.sh's gw_sql, which the
#    other tests read requests with): the same bytes as sqlite3 on the rows
#    database (every view, and integers, reals, NULL, '|' in text, two
#    statements), the same on the blocks database as on the rows one, text
#    escaped (control bytes and the backslash as \xHH, one line a row).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 120
T=$GW_TMP
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
gw_need_tools genlog
FMT='$remote_addr - $remote_user [$time_local] "$request" $status'
FMT+=' $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time'
FMT+=' uaddr="$upstream_addr" us="$upstream_status"'
FMT+=' uct="$upstream_connect_time" uht="$upstream_header_time"'
FMT+=' urt="$upstream_response_time" rid=$request_id host=$host'

"$GW_TOOLS/genlog" -P 20000 7 >"$T/prod.log"
for mode in rows blocks; do
	b=$([ $mode = blocks ] && echo 1 || echo 0)
	GW_INGEST_BLOCKS=$b "$GW_BIN" ingest -q -d "$T/demo-$mode.db" \
	    "$ROOT/tests/data/demo/access.log" "$ROOT/tests/data/demo/error.log"
	GW_INGEST_BLOCKS=$b "$GW_BIN" ingest -q -d "$T/prod-$mode.db" \
	    --log-format "$FMT" "$T/prod.log"
done

for d in demo prod; do
	nb=$(sqlite3 "$T/$d-blocks.db" "SELECT count(*) FROM request_blocks")
	[ "$nb" -gt 0 ] || gw_fail "$d: no blocks written (GW_INGEST_BLOCKS)"
	all=$(sqlite3 "$T/$d-rows.db" "SELECT count(*) FROM request_view")
	rows=$(sqlite3 "$T/$d-blocks.db" "SELECT count(*) FROM request_view")
	GW_ASSERTS=$((GW_ASSERTS + 1))
	[ "$rows" -lt "$all" ] || { gw_log "FAIL: $d: sqlite3 sees $rows of $all"; GW_FAILURES=$((GW_FAILURES + 1)); }
	for q in "SELECT * FROM request_view ORDER BY id" \
	    "SELECT * FROM attempt_view ORDER BY request_id, seq, grp" \
	    "SELECT cause, upstream, count(*), sum(status >= 500) FROM request_view GROUP BY 1, 2 ORDER BY 1, 2" \
	    "SELECT count(*), count(DISTINCT path), count(DISTINCT client) FROM request_view"; do
		for f in csv json; do
			"$GW_BIN" sql -d "$T/$d-rows.db" -f $f "$q" >"$T/a" ||
			    gw_fail "$d: sql on rows exited $?: $q"
			"$GW_BIN" sql -d "$T/$d-blocks.db" -f $f "$q" >"$T/b" ||
			    gw_fail "$d: sql on blocks exited $?: $q"
			GW_ASSERTS=$((GW_ASSERTS + 1))
			if ! cmp -s "$T/a" "$T/b"; then
				gw_log "FAIL: $d $f: rows and blocks differ: $q"
				diff "$T/a" "$T/b" | head -5 >&2
				GW_FAILURES=$((GW_FAILURES + 1))
			fi
		done
		jq -e 'type == "array"' "$T/b" >/dev/null || gw_fail "$d: not JSON: $q"
	done
	gw_eq "$all" "$("$GW_BIN" sql -d "$T/$d-blocks.db" -f csv \
	    "SELECT count(*) FROM request_view" | tail -n 1)" "$d: every request"
	# On rows, gatewatch sql and sqlite3 give the same values.
	q="SELECT id, client, path, query, status, upstream, cause FROM request_view ORDER BY id"
	"$GW_BIN" sql -d "$T/$d-rows.db" -f json "$q" |
	    jq -r '.[] | [.id, .client, .path, .query, .status, .upstream, .cause] | map(. // "") | @tsv' >"$T/a"
	sqlite3 -separator $'\t' "$T/$d-rows.db" "$q" >"$T/b"
	gw_eq "$(md5sum <"$T/b")" "$(md5sum <"$T/a")" "$d: sql = sqlite3 on rows"
	# --format list (gw_sql): sqlite3's own output, byte for byte, on
	# rows; the same on blocks.
	for q in "SELECT * FROM request_view ORDER BY id" \
	    "SELECT * FROM attempt_view ORDER BY request_id, seq, grp" \
	    "SELECT avg(request_ms), avg(status) / 7.0, count(*) FROM request_view GROUP BY upstream ORDER BY 1"; do
		gw_sql "$T/$d-rows.db" "$q" >"$T/a" ||
		    gw_fail "$d: sql -f list on rows exited $?: $q"
		sqlite3 "$T/$d-rows.db" "$q" >"$T/b"
		GW_ASSERTS=$((GW_ASSERTS + 1))
		if ! cmp -s "$T/b" "$T/a"; then
			gw_log "FAIL: $d: sql -f list and sqlite3 differ on rows: $q"
			diff "$T/b" "$T/a" | head -5 >&2
			GW_FAILURES=$((GW_FAILURES + 1))
		fi
		gw_sql "$T/$d-blocks.db" "$q" >"$T/b" ||
		    gw_fail "$d: sql -f list on blocks exited $?: $q"
		gw_eq "$(md5sum <"$T/a")" "$(md5sum <"$T/b")" "$d: list, rows = blocks: $q"
	done
	gw_eq "$all" "$(gw_sql "$T/$d-blocks.db" "SELECT count(*) FROM requests_all")" \
	    "$d: gw_sql counts every request"
done
# list: values as sqlite3 prints them; statements one after another.
q="SELECT 1, -7, 1.0, 2.5, 1e20, 0.1 + 0.2, 1.5e-7, -0.5, NULL, 'a|b', '', x'41', 9223372036854775807; SELECT 'second'"
gw_eq "$(sqlite3 "$T/demo-rows.db" "$q")" "$(gw_sql "$T/demo-rows.db" "$q")" \
    "list: the values of sqlite3"
# list: text escaped, a row on one line; an empty result prints nothing.
gw_eq 'x\x1b[2J\x0ay\x5cz|\x07' "$(gw_sql "$T/demo-rows.db" \
    "SELECT 'x'||char(27)||'[2J'||char(10)||'y\\z', char(7)")" "list escaped"
gw_eq "" "$(gw_sql "$T/demo-rows.db" "SELECT 1 WHERE 0")" "list: no rows, nothing"
rc=0
"$GW_BIN" sql -d "$T/demo-rows.db" -f lists "SELECT 1" >/dev/null 2>"$T/err" || rc=$?
gw_eq 2 "$rc" "--format lists: a usage error"
gw_eq "gatewatch sql: --format is table, json, csv or list" "$(head -n 1 "$T/err")" \
    "--format names list"

# Nothing is written.
db=$T/prod-blocks.db
before=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM request_blocks), (SELECT count(*) FROM sqlite_master)")
for q in "DELETE FROM requests" "DROP TABLE request_blocks" \
    "CREATE TABLE x (a)" "UPDATE requests SET status = 1" \
    "ATTACH '$T/other.db' AS o" "PRAGMA user_version = 3" \
    "SELECT * FROM no_such_table"; do
	rc=0
	"$GW_BIN" sql -d "$db" "SELECT 1 AS first; $q" >"$T/out" 2>"$T/err" || rc=$?
	gw_eq 1 "$rc" "exit status of: $q"
	gw_eq 1 "$(grep -c '^gatewatch sql: ' "$T/err")" "one message for: $q"
	gw_eq first "$(head -n 1 "$T/out" | tr -d ' ')" "statement before $q printed"
done
[ ! -e "$T/other.db" ] || gw_fail "ATTACH created a file"
gw_eq "$before" "$(sqlite3 "$db" "SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM request_blocks), (SELECT count(*) FROM sqlite_master)")" "database unchanged"

# stdin, two statements, --max-rows, escaping.
printf 'SELECT 1 AS a;\nSELECT %s AS b, 2.5 AS c, NULL AS d, x%s AS e;\n' \
    "'x'||char(27)||'[2J'||char(10)" "'00ff'" | "$GW_BIN" sql -d "$db" -f json >"$T/j"
gw_eq 2 "$(jq -s length "$T/j")" "two statements, two arrays"
gw_eq '"x\\x1b[2J\\x0a"' "$(jq -s '.[1][0].b' "$T/j")" "JSON escaped"
gw_eq '2.5 null "00ff"' "$(jq -s -r '.[1][0] | "\(.c) \(.d) \(.e | tojson)"' "$T/j")" "JSON types"
"$GW_BIN" sql -d "$db" "SELECT 'x'||char(27)||'[2J' AS b" >"$T/t"
gw_eq 0 "$(grep -c $'\x1b' "$T/t" || true)" "table escaped"
"$GW_BIN" sql -d "$db" -f csv "SELECT 'x'||char(27) AS b" >"$T/t"
gw_eq 0 "$(grep -c $'\x1b' "$T/t" || true)" "CSV escaped"
"$GW_BIN" sql -d "$db" --max-rows 5 "SELECT id FROM request_view" >"$T/t"
gw_eq 7 "$(wc -l <"$T/t")" "table of 5 rows, header and note"
gw_eq "(19995 more rows not shown: --max-rows, or --format csv or json for all)" \
    "$(tail -n 1 "$T/t")" "the note counts the rows left out"
gw_eq 20001 "$("$GW_BIN" sql -d "$db" -f csv "SELECT id FROM request_view" | wc -l)" "CSV writes every row"
rc=0
"$GW_BIN" sql -d "$T/nothing.db" "SELECT 1" 2>"$T/err" || rc=$?
gw_eq 1 "$rc" "no such database"
[ ! -e "$T/nothing.db" ] || gw_fail "sql created a database"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
