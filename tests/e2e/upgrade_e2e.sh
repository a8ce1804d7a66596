#!/usr/bin/env bash
# upgrade_e2e.sh - a database of an older schema (user_version 5,
# tests/data/schema5: clients interned in a table, paths and shapes with a
# UNIQUE name) upgrades itself when opened (report says so; migration 006: clients inline,
# paths/shapes by hash; 012: lone attempts in their request rows, compact
# request ids and protocols; 013: request_runs instead of the index
# requests_ts) and then says exactly what a database that the
# current gatewatch builds from the same logs says: every report, the three
# views row by row, the joins of error-log lines. Re-reading the logs into
# the upgraded database stores nothing twice (positions survive), and new
# lines go on joining and interning against the old rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 120
T=$GW_TMP
DATA=$(cd "$(dirname "$0")/../data" && pwd)
cd "$T"
cp "$DATA/demo/access.log" "$DATA/demo/error.log" .
zcat "$DATA/schema5/gen.log.gz" >gen.log
zcat "$DATA/schema5/v5.sql.gz" | sqlite3 old.db
gw_eq 5 "$(sqlite3 old.db 'PRAGMA user_version')" "fixture schema version"

"$GW_BIN" ingest -q -d new.db access.log error.log gen.log

# The first open (a report) upgrades the old database, and says so; the
# next opens say nothing.
"$GW_BIN" report -d old.db >/dev/null 2>upgrade.err ||
	gw_fail "report on the old database"
grep -q "^gatewatch report: old.db: upgraded from schema version 5 " upgrade.err &&
	gw_eq 0 0 "report says it upgraded the database" ||
	gw_eq said "$(cat upgrade.err)" "report says it upgraded the database"
for by in upstream,cause cause status source path minute shape retry \
    breaker who; do
	"$GW_BIN" report -d old.db --by "$by" >"old.$by" 2>&1 ||
		gw_fail "report --by $by on the upgraded database"
	"$GW_BIN" report -d new.db --by "$by" >"new.$by" 2>&1
	cmp -s "old.$by" "new.$by" && gw_eq 0 0 "report --by $by" ||
		{ gw_eq same different "report --by $by"; diff "old.$by" "new.$by" | head -20 >&2; }
done
# Every migration applied: the version is the number of schema/*.sql files.
gw_eq "$(ls "$DATA"/../../schema/*.sql | wc -l)" "$(sqlite3 old.db 'PRAGMA user_version')" \
	"upgraded schema version"
for db in old new; do
	"$GW_BIN" report -d $db.db --format json >"$db.json" 2>&1
	"$GW_BIN" explain -d $db.db 127.0.0.1:45549 >"$db.explain" 2>&1
done
cmp -s old.json new.json && gw_eq 0 0 "report --format json" ||
	gw_eq same different "report --format json"
cmp -s old.explain new.explain && gw_eq 0 0 "explain" ||
	gw_eq same different "explain"

# The views, row by row (ids are kept by the upgrade); those of requests
# through gw_sql, which sees every request, also those kept in blocks.
for v in "request_view ORDER BY id" "attempt_view ORDER BY request_id, seq"; do
	gw_eq "$(gw_sql new.db "SELECT * FROM $v" | md5sum)" \
	    "$(gw_sql old.db "SELECT * FROM $v" | md5sum)" "$v"
done
v="gateway_error_view ORDER BY id"
gw_eq "$(sqlite3 new.db "SELECT * FROM $v" | md5sum)" \
    "$(sqlite3 old.db "SELECT * FROM $v" | md5sum)" "$v"
gw_eq 99 "$(sqlite3 old.db 'SELECT count(*) FROM gateway_errors
    WHERE request_id IS NOT NULL')" "joined error-log lines"
gw_eq "$(gw_sql new.db 'SELECT count(*) FROM requests_all
    WHERE typeof(client) = '"'integer'"'')" \
    "$(gw_sql old.db 'SELECT count(*) FROM requests_all
    WHERE typeof(client) = '"'integer'"'')" "IPv4 clients stored as integers"
gw_eq "$(gw_sql new.db 'SELECT count(*) FROM requests_all
    WHERE typeof(client) = '"'text'"'')" \
    "$(gw_sql old.db 'SELECT count(*) FROM requests_all
    WHERE typeof(client) = '"'text'"'')" "IPv6 clients stored as text"
gw_eq 2 "$(sqlite3 old.db 'SELECT count(*) FROM rejects')" "rejects kept"
# Schema 012: lone attempts inline, hex request ids as blobs, protocols as
# codes, the same way in the upgraded database as in the new one.
for q in "SELECT count(*) FROM attempts" \
    "SELECT count(*) FROM requests_all WHERE a_cause IS NOT NULL" \
    "SELECT typeof(request_id) || typeof(protocol), count(*) FROM requests_all GROUP BY 1"; do
	gw_eq "$(gw_sql new.db "$q")" "$(gw_sql old.db "$q")" "$q"
done

# Schema 013: no requests_ts; every request in exactly one run of its
# second, in both.
runs_ok='SELECT count(*) FROM requests_all r WHERE (SELECT count(*) FROM
    request_runs k WHERE r.id BETWEEN k.first_id AND k.last_id
    AND k.sec = (r.ts_ms - (((r.ts_ms % 1000) + 1000) % 1000))
    / 1000) <> 1'
for db in old new; do
	gw_eq 0 "$(sqlite3 $db.db "SELECT count(*) FROM sqlite_master
	    WHERE name = 'requests_ts'")" "$db: requests_ts dropped"
	gw_eq 0 "$(gw_sql $db.db "$runs_ok")" "$db: each request in one run"
done

# Read again: nothing new. Then more lines: interned against the old rows.
"$GW_BIN" ingest -q -d old.db access.log error.log gen.log
gw_eq 1290 "$(gw_sql old.db 'SELECT count(*) FROM requests_all')" \
    "re-read stores nothing twice"
gw_need_tools genlog
"$GW_TOOLS/genlog" -P -H 0 -c 3000 -i 2000 300 5 >more.log
for db in old new; do
	"$GW_BIN" ingest -q -d $db.db more.log
	"$GW_BIN" report -d $db.db --by path >"$db.more" 2>&1
done
cmp -s old.more new.more && gw_eq 0 0 "report --by path after more lines" ||
	gw_eq same different "report --by path after more lines"
gw_eq "$(sqlite3 old.db 'SELECT count(DISTINCT name) FROM paths')" \
    "$(sqlite3 old.db 'SELECT count(*) FROM paths')" "paths stay unique"
# (the paths of requests, not the table paths: a request kept in a block
# has its path as text, and old.db's were all rows before the upgrade)
gw_eq "$(gw_sql new.db 'SELECT count(DISTINCT path) FROM request_view')" \
    "$(gw_sql old.db 'SELECT count(DISTINCT path) FROM request_view')" "same paths"
gw_eq 0 "$(gw_sql old.db "$runs_ok")" "runs after more lines"
gw_eq "$(gw_sql new.db 'SELECT * FROM request_view ORDER BY id' | md5sum)" \
    "$(gw_sql old.db 'SELECT * FROM request_view ORDER BY id' | md5sum)" \
    "request_view after more lines"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
