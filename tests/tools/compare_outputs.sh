#!/usr/bin/env bash
# compare_outputs.sh OLD_BIN NEW_BIN DB... - runs the read-only views
# (report in every --by and format, the diagnosis views, explain, the help
# texts and usage errors) with two gatewatch binaries on the same databases
# and prints a diff of any output (stdout, stderr, exit status) that
# differs. For refactors of cli/ that must keep every byte: run it with the
# binary of main and the new one on databases of varied content (genlog -P,
# tests/data/demo, hostile paths). Exit status 1 when anything differs.
# A DB given as OLD_DB=NEW_DB is read as OLD_DB by the old binary and as
# NEW_DB by the new one: for a schema change, the same logs ingested by
# each binary (or an old database and its upgraded copy), since the old
# binary refuses a database of the newer schema. GW_COMPARE_WINDOWS, a
# list of "SINCE,UNTIL" pairs (report's --since/--until forms), adds the
# report and explain views over those windows.
# GW_COMPARE_TIES=1 compares the reports grouped by path as sorted lines:
# on a database with request blocks (schema/015) paths of equal counts may
# come in another order (store/report.c, COUNT_RAW_PATH), never other
# numbers. GW_CONSOLEDUMP, the path of build/tools/consoledump, adds the
# console's queries (drill-down lists, requests by id with their attempts,
# charts) on each pair.
set -u
old=$1 new=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gw-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
differ=0

odb= ndb=
# Each binary's arguments: the word %DB% is its database (OLD_DB=NEW_DB).
args_for() {	# args_for DB ARGS...: into the array a
	local d=$1 x; shift
	a=()
	for x in "$@"; do
		[ "$x" = %DB% ] && x=$d
		a+=("$x")
	done
}

ties_apart() {	# ties_apart ARGS...: a report grouped by path
	local prev= x
	for x in "$@"; do
		case $prev in
		--by|-b) case ,$x, in *,path,*) return 0 ;; esac ;;
		esac
		prev=$x
	done
	return 1
}

run() {	# run NAME ARGS...: both binaries, compared
	local name=$1 a; shift
	args_for "$odb" "$@"
	env ${GW_ENV_DB:+GATEWATCH_DB=$odb} "$old" "${a[@]}" >"$tmp/o.out" 2>"$tmp/o.err"
	echo "rc=$?" >>"$tmp/o.err"
	args_for "$ndb" "$@"
	env ${GW_ENV_DB:+GATEWATCH_DB=$ndb} "$new" "${a[@]}" >"$tmp/n.out" 2>"$tmp/n.err"
	echo "rc=$?" >>"$tmp/n.err"
	# the database's own name may appear in a message
	[ "$odb" != "$ndb" ] && sed -i "s#$ndb#$odb#g" "$tmp/n.out" "$tmp/n.err"
	if [ -n "${GW_COMPARE_TIES:-}" ] && ties_apart "$@"; then
		# (JSON's last element has no comma)
		sed 's/,$//' "$tmp/o.out" | sort -o "$tmp/o.out"
		sed 's/,$//' "$tmp/n.out" | sort -o "$tmp/n.out"
	fi
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
for c in report explain top prune metrics ingest tail capture; do
	run "$c unknown" $c --bogus
	run "$c missing arg" $c -d
	run "$c extra" $c -d /nonexistent/x.db extra1 extra2
done
run "status" report -d /nonexistent --status 99
run "status text" report -d /nonexistent --status abc
run "limit" report -d /nonexistent --limit -1
run "limit big" report -d /nonexistent -n 2000000000
run "cause" report -d /nonexistent --cause bogus
run "by" report -d /nonexistent -b bogus,upstream
run "until" report -d /nonexistent --until 2026-13-01
run "explain limit" explain x -d /nonexistent -n x
run "explain no upstream" explain -d /nonexistent
run "top window" top -d /nonexistent --window 2h
run "top refresh" top -d /nonexistent -r 0
run "top pct" top -d /nonexistent --degraded 200
run "top order" top -d /nonexistent --degraded 50 --failing 10
run "top notty" top -d /nonexistent
run "prune nothing" prune -d /nonexistent
run "prune size" prune -d /nonexistent --max-db-size 12Q
run "metrics listen" metrics -d /nonexistent --metrics-listen 127.0.0.1:0
run "metrics bad max" metrics -d /nonexistent --metrics-max-upstreams x
run "metrics missing" metrics -d /nonexistent/x.db
run "capture count" capture -d /nonexistent -r x.pcap -c 0
run "capture duration" capture -d /nonexistent -i lo --duration -1
run "capture snaplen" capture -d /nonexistent -r x --snaplen 10
run "capture listen" capture -d /nonexistent -r x --listen 99999
run "capture retain" capture -d /nonexistent -r x --retain 5x
run "capture size" capture -d /nonexistent -r x --max-db-size 0
run "capture neither" capture -d /nonexistent
run "capture both" capture -d /nonexistent -i lo -r x
run "capture group" capture -d /nonexistent -r x --db-group no-such-group-x
run "capture metrics" capture -d /nonexistent -r x --metrics-listen nowhere
run "tail tz" tail -d /nonexistent --tz Mars x
run "tail retain" tail -d /nonexistent --retain-rollups 0d x
run "tail max" tail -d /nonexistent --metrics-max-upstreams 0 x
run "tail nofile" tail -d /nonexistent -v
run "ingest nofile" ingest -d /nonexistent -q
run "ingest group" ingest -d /nonexistent --db-group no-such-group-x x
run "ingest conf" ingest -d /nonexistent --log-format-name x --nginx-conf /nonexistent/n.conf x

for pair in "$@"; do
	odb=${pair%%=*} ndb=${pair#*=} db=%DB%
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
	GW_ENV_DB=1 run "$pair env" report
	ups=$("$new" report -d "$ndb" --by upstream --format csv | tail -n +2 | cut -d, -f1 | head -4)
	for u in $ups -; do
		for f in text json; do
			run "$pair explain" explain "$u" -d "$db" --format "$f"
			run "$pair explain" explain "$u" -d "$db" --format "$f" --limit 1
		done
	done
	for w in ${GW_COMPARE_WINDOWS:-}; do
		s=${w%%,*} u=${w#*,}
		for by in upstream,cause path minute shape retry status; do
			run "$pair $w" report -d "$db" --by "$by" --format csv \
			    --since "$s" --until "$u"
		done
		run "$pair $w" report -d "$db" --since "$s"
		run "$pair $w" report -d "$db" --until "$u"
		for x in $ups -; do
			run "$pair $w explain" explain "$x" -d "$db" --format json \
			    --since "$s" --until "$u"
		done
	done
	run "$pair metrics" metrics -d "$db"
	if [ -n "${GW_CONSOLEDUMP:-}" ]; then
		"$GW_CONSOLEDUMP" "$odb" >"$tmp/o.out" 2>&1
		echo "rc=$?" >>"$tmp/o.out"
		"$GW_CONSOLEDUMP" "$ndb" >"$tmp/n.out" 2>&1
		echo "rc=$?" >>"$tmp/n.out"
		sed -i "s#$ndb#$odb#g" "$tmp/n.out"
		if ! cmp -s "$tmp/o.out" "$tmp/n.out"; then
			differ=1
			echo "=== differs: $pair console"
			diff "$tmp/o.out" "$tmp/n.out" | head -20
		fi
	fi
done
[ "$differ" = 0 ] && echo "all outputs identical"
exit "$differ"
