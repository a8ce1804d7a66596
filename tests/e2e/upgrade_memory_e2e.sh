#!/usr/bin/env bash
# upgrade_memory_e2e.sh - an upgrade that rebuilds an index over many rows
# stays within ingest's memory: a database of schema 15 holding 1,000,000
# failed requests (made from a new one by undoing schema/017 and 016: the
# names' keys an index again, the join index keyed by client again,
# user_version 15) upgrades on open, and
# the open's peak RSS stays under 64 MiB. The index's sort went through
# temporaries in memory before (db.c's temp_store: 86 MB here; 2M rows
# 151 MB, growing with the database); now through files (~37 MB).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 180
gw_need_cmd sqlite3
[ -x /usr/bin/time ] || gw_skip "/usr/bin/time not installed"
T=$GW_TMP
schemas=$(ls "$(dirname "$0")"/../../schema/*.sql | wc -l)
cd "$T"
printf '%s\n' '10.0.0.1 - - [25/Nov/2026:10:15:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua"' >a.log
"$GW_BIN" ingest -q -d old.db --format combined a.log
sqlite3 old.db "DROP TRIGGER paths_keys_delete; DROP TABLE path_keys;
CREATE INDEX paths_hash ON paths (hash);
DROP TRIGGER shapes_keys_delete; DROP TABLE shape_keys;
CREATE INDEX shapes_hash ON shapes (hash);
DROP INDEX requests_join;
WITH RECURSIVE n(i) AS (VALUES (2) UNION ALL SELECT i + 1 FROM n
    WHERE i < 1000001)
INSERT INTO requests (id, source_id, line_no, ts_ms, tz_min, client,
    path_id, status, request_ms, upstream_id, n_attempts, cause)
SELECT i, 1, i, 1795601700000 + i, 0, (i * 2654435761) % 4294967296,
    NULL, 502, 5, 1, 1, 13 FROM n;
CREATE INDEX requests_join ON requests (client, path_id, local_end_ms)
    WHERE cause <> 0 OR n_attempts > 1;
PRAGMA user_version = 15;"
# report upgrades on open (sql, which writes nothing, refuses to) and
# says so on stderr
/usr/bin/time -f '%M' -o rss "$GW_BIN" report -d old.db --by cause \
    >report 2>stderr
gw_eq 1 "$(grep -c 'upgraded' stderr)" "report says it upgraded the database"
"$GW_BIN" sql -d old.db -f list \
    "SELECT count(*) FROM requests WHERE cause <> 0 OR n_attempts > 1" \
    >count
gw_eq 1000000 "$(cat count)" "failed requests after the upgrade"
gw_eq "$schemas" "$(sqlite3 old.db 'PRAGMA user_version')" "upgraded"
kb=$(cat rss)
gw_log "upgrade of 1,000,000 failed requests: peak RSS $((kb / 1024)) MiB"
# a sanitizer build's shadow memory is no measure of ours
case ${GW_BUILD:-build} in
*san*) gw_log "peak RSS not checked under sanitizers" ;;
*) gw_eq 1 "$((kb < 64 * 1024))" "peak RSS under 64 MiB ($kb KB)" ;;
esac
[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
