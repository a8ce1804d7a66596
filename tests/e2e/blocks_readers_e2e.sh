#!/usr/bin/env bash
# blocks_readers_e2e.sh - every reader sees requests stored in blocks
# (schema/015): the same logs ingested as rows (GW_INGEST_BLOCKS=0) and
# with blocks (ingest's default) give the same reports in every --by and format,
# explain, the diagnosis views (shape, breaker, retry), metrics, over the
# whole database and over windows that cut minutes (the raw rows), and the
# same console queries (tests/tools/consoledump: charts, drill-down lists,
# every request by id with its attempts): tests/tools/compare_outputs.sh
# on OLD=NEW pairs, with paths of equal counts compared as sorted lines
# (their order may differ with blocks: store/report.c). Inputs: the demo
# access and error logs (error-log joins), genlog's production profile,
# HAProxy and Caddy from genfmtlog -P. Then the same cutoffs pruned on
# both databases of each pair (one inside a block) leave the same answers
# in every reader again; and a live tail --retain storing blocks, pruned
# on, against the same log ingested as rows.
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
	GW_INGEST_BLOCKS=0 "$BIN" ingest -q -d "$T/$name-rows.db" "$@"
	# ingest's default: plain requests in blocks
	env -u GW_INGEST_BLOCKS "$BIN" ingest -q -d "$T/$name-blocks.db" "$@"
	n=$(sqlite3 "$T/$name-blocks.db" \
	    "SELECT coalesce(sum(n), 0) > 0 FROM request_blocks")
	gw_eq 1 "$n" "$name: requests in blocks by default"
	n=$(sqlite3 "$T/$name-rows.db" "SELECT count(*) FROM request_blocks")
	gw_eq 0 "$n" "$name: no blocks with GW_INGEST_BLOCKS=0"
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

# Prune: the same cutoffs on each pair, with blocks and without, leave
# the same answers in every reader (compare_outputs again), and say they
# removed the same requests, attempts, error-log lines and rejects. On the
# production pair three cutoffs in turn: early, then inside a block (the
# second of a request in the middle of the largest block: the block is
# written again with its later requests), then late; on the demo (joined
# error lines), HAProxy and Caddy pairs their middle. Then no request
# older than the cutoff is left (the rows database shows the blocks').
prune_both() {	# prune_both NAME CUTOFF
	local name=$1 cut=$2 a b
	a=$("$BIN" prune -d "$T/$name-rows.db" --older-than "$cut" | head -1)
	b=$("$BIN" prune -d "$T/$name-blocks.db" --older-than "$cut" | head -1)
	gw_eq "$a" "$b" "$name: prune --older-than $cut removes the same"
	gw_eq 0 "$(printf '%s\n' "$a" | grep -c ': 0 requests' || true)" \
	    "$name: prune --older-than $cut removes requests"
	compare_pair "$name" "$cut" "${3:-}"
}
compare_pair() {	# compare_pair NAME CUTOFF [WINDOWS]: every reader
	local name=$1 cut=$2 out
	out=$(GW_COMPARE_TIES=1 GW_CONSOLEDUMP="$GW_TOOLS/consoledump" \
	    GW_COMPARE_WINDOWS="${3:-}" bash tests/tools/compare_outputs.sh \
	    "$BIN" "$BIN" "$T/$name-rows.db=$T/$name-blocks.db" 2>&1) || true
	if ! gw_eq "all outputs identical" "$(printf '%s\n' "$out" | tail -1)" \
	    "$name pruned at $cut: readers with and without blocks"; then
		printf '%s\n' "$out" | head -60 >&2
	fi
}
mid_of() {	# mid_of NAME: @seconds halfway through its requests
	sqlite3 "$T/$1-rows.db" "SELECT '@' || ((min(ts_ms) + max(ts_ms)) / 2000)
	    FROM requests"
}

# The production log spans 20 s: its first second, then the second of
# the middle request of the largest block left (from the rows), then all
# but its last two seconds.
db=$T/prod-blocks.db
prune_both prod "@$((first + 1))" "$windows"
read -r bfirst blast <<<"$(sqlite3 -separator ' ' "$db" "SELECT first_id,
    last_id FROM request_blocks ORDER BY n DESC, first_id LIMIT 1")"
inside=$(sqlite3 "$T/prod-rows.db" "SELECT ts_ms / 1000 FROM requests
    WHERE id >= ($bfirst + $blast) / 2 ORDER BY id LIMIT 1")
prune_both prod "@$inside" "$windows"
n=$(sqlite3 "$db" "SELECT count(*) FROM request_blocks WHERE first_id >
    $bfirst AND first_id < $blast AND last_id = $blast")
gw_eq 1 "$n" "prod: the block cut at @$inside written again with its rest"
prune_both prod "@$((last - 2))"
for name in demo hap caddy; do
	prune_both "$name" "$(mid_of "$name")"
done
for name in prod demo hap caddy; do
	# the oldest request left, with blocks (through report's time span)
	# and without, is not older than the cutoff: compared by the readers
	# above; here that the rows database kept no older one either
	n=$(sqlite3 "$T/$name-rows.db" "SELECT count(*) FROM requests WHERE
	    ts_ms < (SELECT value FROM store_meta
	    WHERE key = 'raw_pruned_before_ms')")
	gw_eq 0 "$n" "$name: no request older than the pruning point"
done

# Live: tail --retain 1h storing blocks (GW_INGEST_BLOCKS=1) follows a log
# whose event clock runs an hour a second, so its pruner cuts blocks the
# writer is still merging into; then the same log ingested as rows, both
# pruned at one cutoff past tail's last one, answer the same in every
# reader.
gw_need_tools logwriter
: >"$T/live.log"
GW_INGEST_BLOCKS=1 gw_start livetail "$BIN" tail --retain 1h -v \
    -d "$T/live-blocks.db" "$T/live.log"
live=$GW_LAST_PID
"$GW_TOOLS/logwriter" --rate 20000 --count 60000 --time-start 1795564800 \
    --time-speed 3600 "$T/live.log" 2>/dev/null
for ((i = 0; i < 200; i++)); do
	n=$(sqlite3 "$T/live-blocks.db" "SELECT max(coalesce((SELECT max(id)
	    FROM requests), 0), coalesce((SELECT max(last_id) FROM
	    request_blocks), 0))" 2>/dev/null || echo 0)
	[ "$n" = 60000 ] && break
	sleep 0.1
done
sleep 2	# the pruner's last look (once a second when idle)
gw_stop "$live"
gw_eq 0 "$(grep -c 'pruning:' "$GW_TMP/livetail.out" || true)" \
    "live: the pruner never failed"
n=$(sqlite3 "$T/live-blocks.db" "SELECT coalesce(sum(n), 0) < 60000 AND
    count(*) > 0 FROM request_blocks")
gw_eq 1 "$n" "live: tail pruned requests in blocks"
GW_INGEST_BLOCKS=0 "$BIN" ingest -q -d "$T/live-rows.db" "$T/live.log"
newest=$(sqlite3 "$T/live-rows.db" "SELECT max(ts_ms) / 1000 FROM requests")
for db in live-rows live-blocks; do
	"$BIN" prune -q -d "$T/$db.db" --older-than "@$((newest - 3000))"
done
compare_pair live "@$((newest - 3000))"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
