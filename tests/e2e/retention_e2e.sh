#!/usr/bin/env bash
# retention_e2e.sh - pruning, end to end.
#
# 1. `gatewatch prune` on an ingested month: genlog (tests/tools) writes
#    60,000 nginx lines spread over 30 days (~5% 5xx, retries, 20,000
#    clients), with a few bad lines; after `ingest`, `prune --older-than
#    7d` must leave exactly the requests of the last 7 days (counted back
#    from the newest), every report over those 7 days - by every key, and
#    the diagnosis views - must print the same as before, a report over
#    the whole month must still equal the per-minute rollups (the same as
#    before pruning), nothing may refer to a removed row, a report by
#    path over the month must say it is partly pruned, and a second prune
#    finds nothing.
# 2. `tail --retain 1h` behind logwriter writing 4,000 lines/s for 30 s,
#    each line a new path, whose event clock runs 3,600 times faster than
#    the wall clock (an hour a second): the database file must reach a
#    plateau - at the end no more than 1.25 times (+512 KiB) its size
#    after 15 s, where without pruning it would double - and its WAL stay
#    bounded, while no line is lost (the rollups count every one), no kept
#    row is older than an hour of event time before the newest, and the
#    paths of pruned rows are swept too.
#
# Temp dir only; every process stopped by PID (tests/e2e/lib.sh); < 150 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd sqlite3
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
gw_need_tools genlog logwriter

gw_setup 150
T=$GW_TMP
G=$GW_BIN

# --- 1. prune an ingested month ---------------------------------------------

DB=$T/month.db
SQL() { sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }
# on requests: every one, also those kept in blocks (lib.sh)
RSQL() { gw_sql "$DB" "$1"; }
{
	echo "this is not a log line"
	"$GW_TOOLS/genlog" 60000 3 43200 1790000000
	echo "neither is this"
} > "$T/access.log"
"$G" ingest -q -d "$DB" "$T/access.log"
gw_eq 60000 "$(RSQL 'SELECT count(*) FROM requests_all')" "requests ingested"
gw_eq 2 "$(SQL 'SELECT count(*) FROM rejects')" "bad lines kept"

newest=$(RSQL 'SELECT max(ts_ms) FROM requests_all')
first=$(RSQL 'SELECT min(ts_ms) FROM requests_all')
[ $((newest - first)) -gt $((29 * 86400000)) ] || gw_fail "log spans less than 29 days"
cut=$((newest - 7 * 86400000))
newer=$(RSQL "SELECT count(*) FROM requests_all WHERE ts_ms >= $cut")
# `report --since` on the first whole minute after the cut.
week="@$(((cut / 60000 + 1) * 60))"

keys_list="upstream,cause cause status path source minute who upstream,status path,cause"
snap() {	# snap DIR: every report we compare, as csv
	local d=$1 k
	mkdir -p "$d"
	for k in $keys_list; do
		"$G" report -d "$DB" --since "$week" --by "$k" --format csv \
			> "$d/week-$k.csv" 2>/dev/null
	done
	for k in shape retry breaker; do
		"$G" report -d "$DB" --since "$week" --by "$k" --format csv \
			> "$d/week-$k.csv" 2>/dev/null
	done
	for k in upstream,cause cause status source minute who; do
		"$G" report -d "$DB" --by "$k" --format csv > "$d/month-$k.csv" \
			2>/dev/null
	done
}
snap "$T/before"
[ "$(wc -l < "$T/before/week-minute.csv")" -gt 1000 ] ||
	gw_fail "the week's report by minute is too short to compare"

"$G" prune -d "$DB" --older-than 7d > "$T/prune.out"
gw_eq "$newer" "$(RSQL 'SELECT count(*) FROM requests_all')" "requests kept"
gw_eq 0 "$(RSQL "SELECT count(*) FROM requests_all WHERE ts_ms < $cut")" \
	"requests older than 7 days"
gw_eq "$newer" "$(RSQL "SELECT count(*) FROM requests_all WHERE ts_ms >= $cut")" \
	"every newer request still there"
gw_eq 0 "$(RSQL 'SELECT count(*) FROM attempts a WHERE NOT EXISTS
	(SELECT 1 FROM requests_all r WHERE r.id = a.request_id)')" "orphan attempts"
gw_eq 1 "$(SQL 'SELECT count(*) FROM rejects')" "the early bad line went"
gw_eq 60000 "$(SQL 'SELECT sum(requests) FROM rollup_minute')" \
	"rollups still count the month"
gw_eq 0 "$(RSQL 'SELECT count(*) FROM paths p WHERE NOT EXISTS
	(SELECT 1 FROM requests_all r WHERE r.path_id = p.id)')" "unused paths"
gw_eq 1 "$(SQL 'SELECT count(*) FROM sources WHERE position > 0')" \
	"the source keeps its position"

snap "$T/after"
for f in "$T"/before/*.csv; do
	b=$(basename "$f")
	if ! cmp -s "$f" "$T/after/$b"; then
		gw_eq "same" "differs" "report $b"
		diff "$f" "$T/after/$b" | head -5 >&2
	else
		gw_eq same same "report $b"
	fi
done
# The rollups themselves, by upstream, against the month's report.
SQL "SELECT u.name, sum(x.requests) FROM rollup_minute x JOIN upstreams u
	ON u.id = x.upstream_id GROUP BY 1 ORDER BY 1" > "$T/rollups.txt"
"$G" report -d "$DB" --by upstream --format csv 2>/dev/null |
	awk -F, 'NR > 1 { print $1 "|" $2 }' | sort > "$T/report.txt"
gw_eq "$(cat "$T/rollups.txt")" "$(cat "$T/report.txt")" "month = rollups"

"$G" report -d "$DB" --by path --limit 3 > /dev/null 2> "$T/note.err"
grep -q "raw rows before .* were pruned" "$T/note.err" ||
	gw_eq "a pruned note" "$(cat "$T/note.err")" "report by path over the month"
"$G" report -d "$DB" --since "$week" --by path --limit 3 > /dev/null 2> "$T/note.err"
gw_eq "" "$(cat "$T/note.err")" "no note for the kept week"

"$G" prune -d "$DB" --older-than 7d > "$T/prune2.out"
grep -q ": 0 requests, 0 attempts, 0 error-log lines, 0 rejected" \
	"$T/prune2.out" || gw_eq "nothing" "$(head -1 "$T/prune2.out")" "second prune"

# --- 2. tail --retain reaches a plateau ---------------------------------------

TDB=$T/tail.db
LOG=$T/live.log
RATE=4000
SECS=30
COUNT=$((RATE * SECS))
TSQL() { sqlite3 -cmd ".timeout 5000" "$TDB" "$@"; }
TRSQL() { gw_sql "$TDB" "$1"; }
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }

: > "$LOG"
gw_start tail "$G" tail -d "$TDB" --retain 1h "$LOG"
TAIL=$GW_LAST_PID
gw_wait_file "$TDB" 10 "$TAIL" || gw_fail "tail did not start"
gw_start writer "$GW_TOOLS/logwriter" --rate "$RATE" --count "$COUNT" \
	--time-start $(( $(date +%s) - 30 * 86400 )) --time-speed 3600 "$LOG"
WRITER=$GW_LAST_PID
sizes=()
wals=()
for ((i = 0; i < SECS + 15; i++)); do
	sleep 1
	sizes+=("$(fsize "$TDB")")
	wals+=("$(fsize "$TDB-wal")")
	lines=$(TSQL 'SELECT coalesce(max(line_no), 0) FROM sources' 2>/dev/null || echo 0)
	[ "$lines" -ge "$COUNT" ] && ! kill -0 "$WRITER" 2>/dev/null && break
done
gw_eq "$COUNT" "$lines" "tail read every line"
sleep 2.5	# the pruner's look once a second, after the last batch
gw_log "database file, once a second: ${sizes[*]}"
gw_log "its WAL, once a second: ${wals[*]}"
at15=${sizes[14]}
last=$(fsize "$TDB")
gw_log "database after 15 s: $at15 bytes; at the end: $last"
[ "$last" -le $((at15 * 125 / 100 + 524288)) ] ||
	gw_eq "<= 1.25 x $at15 + 512 KiB" "$last" "database size at the end (plateau)"
wal_max=$(printf '%s\n' "${wals[@]}" | sort -n | tail -1)
[ "$wal_max" -le $((32 * 1048576)) ] ||
	gw_eq "<= 32 MiB" "$wal_max" "WAL size"
gw_eq "$COUNT" "$(TSQL 'SELECT sum(requests) FROM rollup_minute')" \
	"rollups count every line"
gw_eq 0 "$(TRSQL 'SELECT count(*) FROM requests_all WHERE ts_ms <
	(SELECT max(ts_ms) FROM requests_all) - 3600000')" "rows older than 1h"
kept=$(TRSQL 'SELECT count(*) FROM requests_all')
[ "$kept" -lt $((COUNT / 4)) ] || gw_eq "< $((COUNT / 4))" "$kept" "rows kept"
paths=$(TSQL 'SELECT count(*) FROM paths')
[ "$paths" -lt $((COUNT / 2)) ] || gw_eq "< $((COUNT / 2))" "$paths" "paths kept"
# (a request of a block has its path as text, in request_view too)
gw_eq 0 "$(TRSQL 'SELECT count(*) FROM request_view WHERE path IS NULL')" \
	"rows without their path"
gw_stop "$TAIL"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok ($GW_ASSERTS checks)"
