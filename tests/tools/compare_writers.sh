#!/usr/bin/env bash
# compare_writers.sh OLD_BIN NEW_BIN INGEST_ARGS... - for changes of the
# writer (store/): runs `ingest -q -d DB INGEST_ARGS...` (options and logs:
# an access log with its error log tests the join) with each binary into
# a fresh database,
# then compares what was stored (every table's rows, less the times a
# write happened at), every request and attempt as NEW_BIN's `sql` shows
# them (request_view and attempt_view over requests_all: the same whether
# a request is kept as a row or in a block, so a change of the blocks'
# encoding or of which requests go into them shows here as no difference
# while the tables differ), and what NEW_BIN's report prints from each
# database in every --by and format. Prints the differences; exit status 1
# when anything differs.
#
# GW_WRITER_CMD=capture compares `capture -q -d DB ARGS...` instead (e.g.
# -r FILE --listen PORT: the capture side's changes, stored rows and
# reports the same).
set -u
old=$1 new=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gw-cmpw.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
differ=0

cmd=${GW_WRITER_CMD:-ingest}
"$old" "$cmd" -q -d "$tmp/old.db" "$@" || { echo "old $cmd failed"; exit 1; }
"$new" "$cmd" -q -d "$tmp/new.db" "$@" || { echo "new $cmd failed"; exit 1; }

# Rows of every table both databases have, in the columns both have (a
# binary of another schema version, e.g. 012 against 013's request_runs,
# compares what the two share; what one alone has is named, not compared);
# columns that hold the time of the write left out.
q_tables="SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
q_cols() {
	echo "SELECT name FROM pragma_table_info('$1') WHERE name NOT IN
	    ('first_seen_ms', 'last_seen_ms', 'k0', 'k1', 'hash', 'at_ms',
	    'updated_ms') ORDER BY cid"
}
tables=$(comm -12 <(sqlite3 "$tmp/old.db" "$q_tables" | sort) \
	<(sqlite3 "$tmp/new.db" "$q_tables" | sort))
for side in old new; do
	only=$(comm -23 <(sqlite3 "$tmp/$side.db" "$q_tables" | sort) \
		<(echo "$tables"))
	[ -z "$only" ] || echo "tables only in $side (not compared):" $only
done
dump() {
	local t cols
	for t in $tables; do
		# the new database's column order (ORDER BY 1, 2: its id first)
		cols=$(sqlite3 "$tmp/new.db" "$(q_cols "$t")" | grep -Fxf \
			<(sqlite3 "$tmp/old.db" "$(q_cols "$t")") | paste -sd,)
		echo "== $t"
		[ -n "$cols" ] || continue
		sqlite3 "$1" "SELECT $cols FROM \"$t\" ORDER BY 1, 2"
	done
}
dump "$tmp/old.db" >"$tmp/old.dump"
dump "$tmp/new.db" >"$tmp/new.dump"
if ! cmp -s "$tmp/old.dump" "$tmp/new.dump"; then
	differ=1
	echo "=== stored rows differ"
	diff "$tmp/old.dump" "$tmp/new.dump" | head -20
fi

# Every request and attempt, however stored (NEW_BIN reads both databases:
# an OLD_BIN of today may lack `sql -f list`).
views() {
	"$new" sql -d "$1" -f list "SELECT * FROM request_view ORDER BY id;
	    SELECT * FROM attempt_view ORDER BY request_id, seq, grp" 2>&1
}
if views "$tmp/new.db" >"$tmp/new.views"; then
	views "$tmp/old.db" >"$tmp/old.views"
	if ! cmp -s "$tmp/old.views" "$tmp/new.views"; then
		differ=1
		echo "=== requests differ (request_view, attempt_view)"
		diff "$tmp/old.views" "$tmp/new.views" | head -20
	fi
else
	echo "requests not compared: $new sql -f list: $(head -1 "$tmp/new.views")"
fi

for f in table json csv; do
	for by in upstream,cause upstream cause status path source minute who \
	    status,cause who,upstream,minute shape breaker retry; do
		"$new" report -d "$tmp/old.db" --by "$by" --format "$f" >"$tmp/o" 2>&1
		"$new" report -d "$tmp/new.db" --by "$by" --format "$f" >"$tmp/n" 2>&1
		if ! cmp -s "$tmp/o" "$tmp/n"; then
			differ=1
			echo "=== report differs: --by $by --format $f"
			diff "$tmp/o" "$tmp/n" | head -10
		fi
	done
done
[ "$differ" = 0 ] && echo "stored rows and reports identical ($(wc -l <"$tmp/new.dump") dump lines)"
exit "$differ"
