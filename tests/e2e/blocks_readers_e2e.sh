#!/usr/bin/env bash
# blocks_readers_e2e.sh - every reader sees requests stored in blocks
# (schema/015): the same logs ingested without blocks and with them
# (GW_INGEST_BLOCKS=1) give the same reports in every --by and format,
# explain, the diagnosis views (shape, breaker, retry), metrics, over the
# whole database and over windows that cut minutes (the raw rows), and the
# same console queries (tests/tools/consoledump: charts, drill-down lists,
# every request by id with its attempts): tests/tools/compare_outputs.sh
# on OLD=NEW pairs, with paths of equal counts compared as sorted lines
# (their order may differ with blocks: store/report.c). Inputs: the demo
# access and error logs (error-log joins), genlog's production profile,
# HAProxy and Caddy from genfmtlog -P. Then prune on a database with blocks
# refuses (it does not handle them yet) and removes nothing.
#
# Fails on a reader that reads the requests table only: the blocks'
# requests are missing from its answer.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_setup 600
gw_need_tools genlog genfmtlog consoledump
gw_need_cmd sqlite3
T=$GW_TMP
BIN=$(cd "$(dirname "$GW_BIN")" && pwd)/$(basename "$GW_BIN")

"$GW_TOOLS/genlog" -P -H 0 20000 7 >"$T/prod.log"
"$GW_TOOLS/genfmtlog" -P haproxy 5000 3 >"$T/hap.log"
"$GW_TOOLS/genfmtlog" -P caddy 5000 4 >"$T/caddy.log"

pairs=()
ingest_both() {	# ingest_both NAME FILE...
	local name=$1 n
	shift
	"$BIN" ingest -q -d "$T/$name-rows.db" "$@"
	GW_INGEST_BLOCKS=1 "$BIN" ingest -q -d "$T/$name-blocks.db" "$@"
	n=$(sqlite3 "$T/$name-blocks.db" \
	    "SELECT coalesce(sum(n), 0) > 0 FROM request_blocks")
	gw_eq 1 "$n" "$name: requests in blocks"
	n=$(sqlite3 "$T/$name-rows.db" "SELECT count(*) FROM request_blocks")
	gw_eq 0 "$n" "$name: no blocks without GW_INGEST_BLOCKS"
	pairs+=("$T/$name-rows.db=$T/$name-blocks.db")
}
ingest_both demo tests/data/demo/access.log tests/data/demo/error.log
ingest_both prod "$T/prod.log"
ingest_both hap "$T/hap.log"
ingest_both caddy "$T/caddy.log"

# Windows inside the production log that cut minutes (raw rows read).
first=$(sqlite3 "$T/prod-rows.db" "SELECT min(ts_ms) / 1000 FROM requests")
last=$(sqlite3 "$T/prod-rows.db" "SELECT max(ts_ms) / 1000 FROM requests")
mid=$(((first + last) / 2))
windows="@$((first + 17)),@$((mid + 31)) @$((mid - 7)),@$((last + 1))"

for p in "${pairs[@]}"; do
	out=$(GW_COMPARE_TIES=1 GW_CONSOLEDUMP="$GW_TOOLS/consoledump" \
	    GW_COMPARE_WINDOWS="$windows" \
	    bash tests/tools/compare_outputs.sh "$BIN" "$BIN" "$p" 2>&1) || true
	if ! gw_eq "all outputs identical" "$(printf '%s\n' "$out" | tail -1)" \
	    "readers with and without blocks: $p"; then
		printf '%s\n' "$out" | head -60 >&2
	fi
done

# Prune refuses with blocks, and nothing goes.
db=$T/prod-blocks.db
before=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM requests) || ' ' ||
    (SELECT sum(n) FROM request_blocks) || ' ' ||
    (SELECT count(*) FROM hosts)")
rc=0
"$BIN" prune -d "$db" --older-than "@$mid" >"$T/prune.out" 2>&1 || rc=$?
gw_eq 1 "$([ "$rc" -ne 0 ] && echo 1 || echo 0)" "prune with blocks fails"
gw_eq 1 "$(grep -c 'blocks' "$T/prune.out" || true)" "prune says why"
after=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM requests) || ' ' ||
    (SELECT sum(n) FROM request_blocks) || ' ' ||
    (SELECT count(*) FROM hosts)")
gw_eq "$before" "$after" "prune with blocks removes nothing"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
