#!/usr/bin/env bash
# ingest_checkpoint_e2e.sh - ingest's WAL checkpoints run beside the
# writer (store/checkpoint.c), and a kill -9 at any moment loses nothing
# committed:
#
#  - while ingest runs, the database file grows: a checkpoint copied
#    pages into it before the end (the writer's own checkpoints, every
#    8192 pages, never ran on a log this size: the close copied them all);
#  - `report` and `sql` beside the running ingest answer;
#  - ingest killed (SIGKILL) at such a moment, and the next run killed
#    again 0.2 s in, its transaction open: each time the database passes
#    PRAGMA integrity_check, holds exactly the lines before its stored
#    position (rows and position commit together), and the next run goes
#    on from there: at the end every line is stored once, and `report`
#    says what it says after one uninterrupted ingest of the same log;
#  - after a clean exit the WAL is gone.
#
# Everything lives in one mktemp dir; every process is stopped by its PID;
# a watchdog ends the run after 300 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
gw_setup 300
gw_need_tools genlog
gw_need_cmd sqlite3
T=$GW_TMP
GW_ASSERTS=0
GW_FAILURES=0

# 800k production lines: a WAL of ~5000 frames (16 KiB pages), past the
# checkpointer's 1024, short of the writer's own 8192
"$GW_TOOLS/genlog" -P -H 0 800000 5 >"$T/prod.log"
lines=$(wc -l <"$T/prod.log")

"$GW_BIN" ingest -q -d "$T/ref.db" "$T/prod.log"
"$GW_BIN" report -d "$T/ref.db" --format csv >"$T/ref.report"
gw_eq "$lines" "$(gw_sql "$T/ref.db" "SELECT count(*) FROM requests_all")" \
	"reference: every line stored"
gw_eq 0 "$([ -e "$T/ref.db-wal" ] && echo 1 || echo 0)" \
	"reference: no WAL after a clean exit"

size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# ingest_until COND WHAT: start ingest on the crash database, wait until
# the function COND is true while ingest still runs, run a report and a
# count beside it, then kill -9 it.
ingest_until() {
	local cond=$1 pid i met=0 rc
	gw_start ingest "$GW_BIN" ingest -q -d "$T/crash.db" "$T/prod.log"
	pid=$GW_LAST_PID
	for ((i = 0; i < 6000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		if "$cond"; then
			met=1
			break
		fi
		sleep 0.005
	done
	if [ "$met" = 1 ]; then
		rc=0
		"$GW_BIN" report -d "$T/crash.db" --format csv \
		    >"$T/during.report" 2>"$T/during.err" || rc=$?
		gw_eq 0 "$rc" "report beside ingest answers ($(head -c 200 \
		    "$T/during.err"))"
		rc=0
		gw_sql "$T/crash.db" "SELECT count(*) FROM requests_all" \
		    >/dev/null 2>"$T/during.err" || rc=$?
		gw_eq 0 "$rc" "sql beside ingest answers"
	fi
	kill -0 "$pid" 2>/dev/null ||
		gw_fail "ingest ended before $2 (database file: $(size \
		    "$T/crash.db") bytes)"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	gw_eq 1 "$met" "$2 while ingest ran"
}

# the first run: a checkpoint copied 4 MiB into the database file
first_grown() { [ "$(size "$T/crash.db")" -ge $((4 * 1024 * 1024)) ]; }
# the second: 0.2 s into the run, its transaction open (the rest of the
# log is less than one; the first run's WAL was recovered)
START=0
second_open() { [ $(($(date +%s%N) - START)) -ge 200000000 ]; }

# check_consistent WHAT: integrity, and rows = lines before the stored
# position; the rows in ROWS
ROWS=0
check_consistent() {
	local pos n want
	gw_eq ok "$(sqlite3 "$T/crash.db" "PRAGMA integrity_check")" \
		"$1: integrity_check"
	pos=$(sqlite3 "$T/crash.db" "SELECT position FROM sources")
	n=$(gw_sql "$T/crash.db" "SELECT count(*) FROM requests_all")
	want=$(head -c "$pos" "$T/prod.log" | wc -l)
	gw_eq "$want" "$n" "$1: rows are the lines before the stored position"
	gw_eq "$want" "$(sqlite3 "$T/crash.db" "SELECT line_no FROM sources")" \
		"$1: stored line number"
	ROWS=$n
	gw_log "$1: $n of $lines lines stored, database file $(size \
	    "$T/crash.db") bytes"
}

ingest_until first_grown "a checkpoint copied 4 MiB into the database file"
check_consistent "first kill -9"
n1=$ROWS
START=$(date +%s%N)
ingest_until second_open "0.2 s"
check_consistent "second kill -9"
[ "$ROWS" -ge "$n1" ] || gw_eq "$n1 or more" "$ROWS" "rows after the second"

"$GW_BIN" ingest -q -d "$T/crash.db" "$T/prod.log"
gw_eq "$lines" "$(gw_sql "$T/crash.db" "SELECT count(*) FROM requests_all")" \
	"after the kills and a last run: every line stored"
gw_eq 0 "$(gw_sql "$T/crash.db" "SELECT count(*) FROM (SELECT request_id
    FROM requests_all GROUP BY request_id HAVING count(*) > 1)")" \
	"no line stored twice"
"$GW_BIN" report -d "$T/crash.db" --format csv >"$T/crash.report"
gw_eq "" "$(diff "$T/ref.report" "$T/crash.report" | head -5)" \
	"report as after one uninterrupted ingest"
gw_eq 0 "$([ -e "$T/crash.db-wal" ] && echo 1 || echo 0)" \
	"no WAL after a clean exit"

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS assertions failed"
fi
gw_log "ok: $GW_ASSERTS assertions"
