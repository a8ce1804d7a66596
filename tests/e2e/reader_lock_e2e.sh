#!/usr/bin/env bash
# reader_lock_e2e.sh - readers never take the write lock, and `sql` never
# upgrades a database:
#
#  - while another connection (the sqlite3 shell) holds a write transaction
#    (BEGIN IMMEDIATE with a row inserted, as a writer's batch does),
#    `sql`, `report`, `explain`, `metrics` and the console's queries
#    (tests/tools/consoledump, what `top` opens and asks) each answer
#    within 3 s, and see what was committed before; opening a database of
#    the current schema used to run the upgrade's BEGIN IMMEDIATE and wait
#    for the writer (up to 10 s, then "database is locked");
#  - once the writer commits, a reader sees its row;
#  - `sql` on a database of an older schema (tests/data/schema5) refuses
#    with a message naming the file and leaves it as it was (user_version
#    5); `report` upgrades it, and then `sql` reads it;
#  - `sql` on an empty file or another program's SQLite database refuses
#    ("not a gatewatch database") and leaves it as it was: the empty file
#    empty, the other one in its own journal mode (used to get the whole
#    gatewatch schema, in WAL).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_need_cmd sqlite3
gw_need_tools genlog consoledump
gw_setup 90
T=$GW_TMP
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DB="$T/lock.db"

"$GW_TOOLS/genlog" 2000 7 >"$T/access.log"
"$GW_BIN" ingest -q -d "$DB" "$T/access.log" || gw_fail "ingest"
n0=$(gw_sql "$DB" "SELECT count(*) FROM requests_all")
gw_eq 2000 "$n0" "requests ingested"
up=$("$GW_BIN" report -d "$DB" --by upstream --format csv |
    awk -F, 'NR == 2 {print $1}')
[ -n "$up" ] || gw_fail "no upstream in the report"

# The writer: the sqlite3 shell reading statements from a FIFO, so the
# transaction stays open until COMMIT is written.
mkfifo "$T/w.fifo"
sqlite3 "$DB" <"$T/w.fifo" >"$T/writer.out" 2>&1 &
GW_PIDS+=("$!")
exec 3>"$T/w.fifo"
echo "BEGIN IMMEDIATE;
    UPDATE sources SET id = id WHERE id = (SELECT min(id) FROM sources);
    SELECT 'locked';" >&3
gw_wait_file "$T/writer.out" 10 || gw_fail "the writer did not start"
gw_eq locked "$(cat "$T/writer.out")" "writer holds its transaction"
# The lock is really held: another writer cannot begin.
if sqlite3 "$DB" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; then
	gw_fail "the write lock is not held"
fi

# Each reader: done within 3 s (timeout 8 bounds a reader that waits).
reader() {
	local what=$1 t0 t1 rc=0
	shift
	t0=$(date +%s%N)
	timeout 8 "$@" >"$T/$what.out" 2>"$T/$what.err" || rc=$?
	t1=$(date +%s%N)
	[ "$rc" = 0 ] || sed 's/^/  /' "$T/$what.err" >&2
	gw_eq fast "$( (( (t1 - t0) / 1000000 < 3000 )) && echo fast ||
	    echo "slow: $(( (t1 - t0) / 1000000 )) ms")" "$what beside a writer"
	gw_eq 0 "$rc" "$what exits 0 beside a writer"
}
reader sql "$GW_BIN" sql -d "$DB" -f list "SELECT count(*) FROM requests_all"
gw_eq "$n0" "$(cat "$T/sql.out")" "sql reads what was committed"
reader report "$GW_BIN" report -d "$DB" --by upstream --format csv
grep -q "^$up," "$T/report.out" && gw_eq 0 0 "report lists $up" ||
	gw_eq listed missing "report lists $up"
reader explain "$GW_BIN" explain "$up" -d "$DB"
reader metrics "$GW_BIN" metrics -d "$DB"
grep -q '^gatewatch_' "$T/metrics.out" && gw_eq 0 0 "metrics printed" ||
	gw_eq printed none "metrics printed"
reader console "$GW_TOOLS/consoledump" "$DB" 100

# The writer commits; the readers still work, the writer saw no error.
echo "COMMIT;" >&3
exec 3>&-
for ((i = 0; i < 100; i++)); do
	sqlite3 "$DB" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 && break
	sleep 0.05
done
gw_eq locked "$(cat "$T/writer.out")" "writer committed without error"
gw_eq "$n0" "$(gw_sql "$DB" "SELECT count(*) FROM requests_all")" \
    "sql after the commit"

# An older schema: sql refuses (and writes nothing); report upgrades.
zcat "$ROOT/tests/data/schema5/v5.sql.gz" | sqlite3 "$T/old.db"
gw_eq 5 "$(sqlite3 "$T/old.db" 'PRAGMA user_version')" "fixture schema"
rc=0
"$GW_BIN" sql -d "$T/old.db" "SELECT 1" >"$T/old.out" 2>"$T/old.err" || rc=$?
gw_eq 1 "$rc" "sql on an older schema exits 1"
grep -q "old.db: database schema version 5 is older" "$T/old.err" &&
	gw_eq 0 0 "sql names the file and its schema" ||
	{ gw_eq message "$(cat "$T/old.err")" "sql's message"; }
gw_eq 5 "$(sqlite3 "$T/old.db" 'PRAGMA user_version')" \
    "sql left the older schema as it was"
"$GW_BIN" report -d "$T/old.db" >/dev/null || gw_fail "report on old.db"
gw_eq "$(ls "$ROOT"/schema/*.sql | wc -l)" \
    "$(sqlite3 "$T/old.db" 'PRAGMA user_version')" "report upgraded it"
gw_eq 1 "$(gw_sql "$T/old.db" "SELECT 1")" "sql after the upgrade"

# Not a gatewatch database: refused, untouched.
: >"$T/empty.db"
sqlite3 "$T/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
for f in empty other; do
	rc=0
	"$GW_BIN" sql -d "$T/$f.db" "SELECT 1" >/dev/null 2>"$T/$f.err" || rc=$?
	gw_eq 1 "$rc" "sql on $f.db exits 1"
	grep -q "$f.db: not a gatewatch database" "$T/$f.err" &&
		gw_eq 0 0 "sql says $f.db is not a gatewatch database" ||
		gw_eq message "$(cat "$T/$f.err")" "sql's message on $f.db"
done
gw_eq 0 "$(stat -c %s "$T/empty.db")" "the empty file stays empty"
gw_eq "delete t" "$(sqlite3 "$T/other.db" "PRAGMA journal_mode;
    SELECT group_concat(name) FROM sqlite_master" | tr "\n" " " | sed "s/ $//")" \
    "the other database keeps its journal mode and tables"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
