#!/usr/bin/env bash
# prune_ids_e2e.sh - a request id is never given out twice, even after
# pruning removed the newest requests:
#
#  - 3,000 requests ingested (ids 1..3000), then `prune --max-db-size 1`
#    removes every one of them (the size cap takes the oldest whatever
#    their age, down to the last); 500 more ingested take ids above 3000
#    (they took 1..500 again: SQLite's next rowid, and the blocks' next
#    id, are the largest kept + 1);
#  - the ids pruning marked (store_meta mark_request_id: the rows whose
#    strings it noted, the only ones it removes) cover the new requests
#    after the next prune, so their paths and shapes are known in use (with
#    the ids reissued below the mark they were never marked);
#  - the same with requests stored as rows and in blocks (GW_INGEST_BLOCKS);
#  - error-log lines likewise (the bundled demo's 99, all pruned, then
#    the same lines a month later: ids 100..198, not 1..99 again, and
#    marked by the next prune);
#  - rejected lines likewise (kept ones pruned with the requests around
#    them, then new ones: ids past every one given, store_meta
#    reject_id_high, not 1.. again).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_need_tools genlog
gw_setup 60
T=$GW_TMP

"$GW_TOOLS/genlog" 3000 11 >"$T/old.log"
# Later requests, a week on: another file, another source.
"$GW_TOOLS/genlog" 500 5 | sed 's#/Nov/2026:#/Dec/2026:#' >"$T/new.log"
meta() { gw_sql "$1" "SELECT value FROM store_meta WHERE key = '$2'"; }

for b in 0 1; do
	db="$T/ids$b.db"
	GW_INGEST_BLOCKS=$b "$GW_BIN" ingest -q -d "$db" "$T/old.log"
	gw_eq "3000|1|3000" "$(gw_sql "$db" \
	    "SELECT count(*), min(id), max(id) FROM requests_all")" \
	    "blocks=$b: ids of the first requests"
	"$GW_BIN" prune -q -d "$db" --older-than 1s --max-db-size 1
	gw_eq 0 "$(gw_sql "$db" "SELECT count(*) FROM requests_all")" \
	    "blocks=$b: the size cap removed every request"
	GW_INGEST_BLOCKS=$b "$GW_BIN" ingest -q -d "$db" "$T/new.log"
	gw_eq "500|3001|3500" "$(gw_sql "$db" \
	    "SELECT count(*), min(id), max(id) FROM requests_all")" \
	    "blocks=$b: requests after the prune take new ids"
	gw_eq 0 "$(gw_sql "$db" "SELECT count(*) FROM attempts_all
	    WHERE request_id <= 3000")" "blocks=$b: no attempt of an old id"
	"$GW_BIN" prune -q -d "$db" --older-than 100d
	gw_eq 3500 "$(meta "$db" mark_request_id)" \
	    "blocks=$b: the next prune marks the new requests"
	gw_eq 500 "$(gw_sql "$db" "SELECT count(*) FROM request_view
	    WHERE path IS NOT NULL")" "blocks=$b: every new request keeps its path"
done

DEMO=$(cd "$(dirname "$0")/../data/demo" && pwd)
db="$T/errors.db"
"$GW_BIN" ingest -q -d "$db" "$DEMO/access.log" "$DEMO/error.log"
gw_eq "99|1|99" "$(gw_sql "$db" \
    "SELECT count(*), min(id), max(id) FROM gateway_errors")" \
    "ids of the first error-log lines"
"$GW_BIN" prune -q -d "$db" --older-than 1s --max-db-size 1
gw_eq 0 "$(gw_sql "$db" "SELECT count(*) FROM gateway_errors")" \
    "the size cap removed every error-log line"
sed 's#^2026/11/#2026/12/#' "$DEMO/error.log" >"$T/error-later.log"
"$GW_BIN" ingest -q -d "$db" "$T/error-later.log"
gw_eq "99|100|198" "$(gw_sql "$db" \
    "SELECT count(*), min(id), max(id) FROM gateway_errors")" \
    "error-log lines after the prune take new ids"
"$GW_BIN" prune -q -d "$db" --older-than 100d
gw_eq 198 "$(meta "$db" mark_error_id)" \
    "the next prune marks the new error-log lines"

# Rejects: five unparseable lines among 3,000, all pruned with their
# requests; five more in a later file take ids 6..10.
db="$T/rejects.db"
"$GW_TOOLS/genlog" 3000 11 | awk 'NR % 600 == 0 { print "garbage " NR } 1' \
    >"$T/rej-old.log"
"$GW_TOOLS/genlog" 500 5 | sed 's#/Nov/2026:#/Dec/2026:#' |
    awk 'NR % 100 == 0 { print "garbage " NR } 1' >"$T/rej-new.log"
"$GW_BIN" ingest -q -d "$db" "$T/rej-old.log"
gw_eq "5|1|5" "$(gw_sql "$db" "SELECT count(*), min(id), max(id) FROM rejects")" \
    "ids of the first rejects"
"$GW_BIN" prune -q -d "$db" --older-than 1s --max-db-size 1
gw_eq 0 "$(gw_sql "$db" "SELECT count(*) FROM rejects")" \
    "the prune removed every reject with its requests"
"$GW_BIN" ingest -q -d "$db" "$T/rej-new.log"
gw_eq "5|6|10" "$(gw_sql "$db" "SELECT count(*), min(id), max(id) FROM rejects")" \
    "rejects after the prune take new ids"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
