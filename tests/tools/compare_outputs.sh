#!/usr/bin/env bash
# compare_outputs.sh OLD_BIN NEW_BIN DB... - runs the read-only views
# (report in every --by and format, the diagnosis views, explain, the help
# texts and usage errors) with two gatewatch binaries on the same databases
# and prints a diff of any output (stdout, stderr, exit status) that
# differs. For refactors of cli/ that must keep every byte: run it with the
# binary of main and the new one on databases of varied content (genlog -P,
# tests/data/demo, hostile paths). Exit status 1 when anything differs.
set -u
old=$1 new=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gw-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
differ=0

run() {	# run NAME ARGS...: both binaries, compared
	local name=$1; shift
	"$old" "$@" >"$tmp/o.out" 2>"$tmp/o.err"; echo "rc=$?" >>"$tmp/o.err"
	"$new" "$@" >"$tmp/n.out" 2>"$tmp/n.err"; echo "rc=$?" >>"$tmp/n.err"
	if ! cmp -s "$tmp/o.out" "$tmp/n.out" || ! cmp -s "$tmp/o.err" "$tmp/n.err"; then
		differ=1
		echo "=== differs: $name: $*"
		diff "$tmp/o.out" "$tmp/n.out" | head -20
		diff "$tmp/o.err" "$tmp/n.err" | head -10
	fi
}

for c in "" ingest tail capture report explain top prune metrics; do
	run "help $c" $c --help
done
run "no args"
run "bad report option" report --bogus
run "bad format" report -d /nonexistent --format xml
run "bad time" report --since yesterday
run "bad explain format" explain x --format csv
run "missing db" report -d /nonexistent/x.db
run "missing db explain" explain x -d /nonexistent/x.db

for db in "$@"; do
	for f in table json csv; do
		for by in upstream,cause upstream cause status path source minute who \
		    status,cause who,upstream,minute shape breaker retry; do
			run "$db" report -d "$db" --by "$by" --format "$f"
		done
		run "$db" report -d "$db" --format "$f" --limit 3
		run "$db" report -d "$db" --format "$f" --cause upstream_refused
		run "$db" report -d "$db" --format "$f" --status 502 --by upstream
		run "$db" report -d "$db" --format "$f" --by shape --limit 1
		run "$db" report -d "$db" --format "$f" --by retry --limit 1
		run "$db" report -d "$db" --format "$f" --since @0 --until @1
	done
	GATEWATCH_DB=$db run "$db env" report
	ups=$("$new" report -d "$db" --by upstream --format csv | tail -n +2 | cut -d, -f1 | head -4)
	for u in $ups -; do
		for f in text json; do
			run "$db explain" explain "$u" -d "$db" --format "$f"
			run "$db explain" explain "$u" -d "$db" --format "$f" --limit 1
		done
	done
	run "$db metrics" metrics -d "$db"
done
[ "$differ" = 0 ] && echo "all outputs identical"
exit "$differ"
