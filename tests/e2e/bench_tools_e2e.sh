#!/usr/bin/env bash
# bench_tools_e2e.sh - the tools `make bench` and the A/B scripts run
# still work on small inputs: CI never runs the benchmark, and a tool that
# broke (sqlitefloor bound its rows one parameter off after the writer's
# statement took ids: "UNIQUE constraint failed: requests.id", which
# stopped bench/run.sh half-way) is found here, not by the next engineer.
#
#  - sqlitefloor stores every row it was asked for (plain, with new path
#    names, and -J), ids 1..N;
#  - parsebench reads every line of a production-cardinality log as a
#    request, with the benchmark's log_format and by recognition;
#  - blockzip finishes the blocks of an ingested database: as many
#    requests as the blocks hold;
#  - rollupbench's commits store the rows it says, a request and an
#    attempt under each rollup key.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_need_cmd sqlite3
gw_need_tools sqlitefloor parsebench blockzip genlog rollupbench
gw_setup 120
T=$GW_TMP
. "$(dirname "$0")/../../bench/nginx_format.sh"

for opt in "" "-p 2000" "-J"; do
	db="$T/floor${opt// /}.db"
	# shellcheck disable=SC2086
	"$GW_TOOLS/sqlitefloor" -n 4000 -b 1024 $opt "$db" 2>"$T/floor.err" ||
		{ cat "$T/floor.err" >&2; gw_fail "sqlitefloor $opt"; }
	gw_eq "4000|1|4000" "$(sqlite3 "$db" \
	    "SELECT count(*), min(id), max(id) FROM requests")" \
	    "sqlitefloor $opt: every row stored"
done
gw_eq 2000 "$(sqlite3 "$T/floor-p2000.db" "SELECT count(*) FROM paths")" \
    "sqlitefloor -p: the new path names"

out=$("$GW_TOOLS/rollupbench" -m 3 -u 5 -c 2 "$T/rollup.db" 2>&1) ||
	gw_fail "rollupbench: $out"
gw_log "$out"
rows=$(sqlite3 "$T/rollup.db" "SELECT (SELECT count(*) FROM
    rollup_latency_minute) + (SELECT count(*) FROM rollup_minute) +
    (SELECT count(*) FROM rollup_attempt_minute)")
case $out in
*" 6 commits, "*" $rows rows, "*) gw_eq 0 0 "rollupbench: its commits and rows" ;;
*) gw_eq "6 commits, $rows rows" "$out" "rollupbench: its commits and rows" ;;
esac
gw_eq "$(sqlite3 "$T/rollup.db" "SELECT sum(requests) FROM rollup_minute")" \
    "$(sqlite3 "$T/rollup.db" "SELECT sum(attempts) FROM rollup_attempt_minute")" \
    "rollupbench: a request and an attempt under each key"

"$GW_TOOLS/genlog" -P 5000 >"$T/prod.log"
for args in "-l $FMT" ""; do
	out=$(if [ -n "$args" ]; then "$GW_TOOLS/parsebench" -l "$FMT" \
	    "$T/prod.log"; else "$GW_TOOLS/parsebench" "$T/prod.log"; fi 2>&1)
	gw_log "$out"
	case $out in
	*"parse only: 5000 lines, 5000 requests, 0 errors, 0 rejected"*)
		gw_eq 0 0 "parsebench ${args:+with the format}: every line" ;;
	*) gw_eq "5000 requests" "$out" "parsebench ${args:+with the format}: every line" ;;
	esac
done

"$GW_BIN" ingest -q -d "$T/i.db" --log-format "$FMT" "$T/prod.log"
held=$(sqlite3 "$T/i.db" "SELECT coalesce(sum(n), 0) FROM request_blocks")
out=$("$GW_TOOLS/blockzip" "$T/i.db" 1 1 2>&1)
gw_log "$out"
case $out in
*" $held requests"*) gw_eq 0 0 "blockzip: every request of the blocks" ;;
*) gw_eq "$held requests" "$out" "blockzip: every request of the blocks" ;;
esac
[ "$held" -gt 0 ] && gw_eq 0 0 "blocks hold requests" ||
	gw_eq "some" "$held" "blocks hold requests"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
