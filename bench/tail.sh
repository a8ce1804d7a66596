#!/usr/bin/env bash
# bench/tail.sh - can `gatewatch tail` keep up with a busy gateway? Figures
# only, never pass/fail.
#
# logwriter (tests/tools) appends RATE lines/s (default 50,000) for SECS
# seconds (default 20) to a fresh access.log, one write(2) per line as
# nginx does, each line carrying its write time in ms in its query
# (/n/N?t=MS). `gatewatch tail` follows the file into a fresh database.
#
# Delay from write to commit: a sampler opens the database every POLL_MS
# (default 50) and, in one read transaction, takes the rows committed since
# its last look and for each the difference between SQLite's clock at that
# moment and the write time in the row. A row is seen at most POLL_MS plus
# one sqlite3 start after its commit, so the figures overstate the delay by
# about half of that on average (the sampler's own cost is printed).
# Buckets of 5 ms; the median and the 99th percentile are read from them.
#
# Printed: the writer's achieved rate; lines/s tail kept up with (rows
# stored / time from the first write to the last commit); how far behind it
# was when the writer stopped and how long it took to catch up; delay
# median / p99 / max; tail's RSS once a second (flat or growing) and CPU.
#
# With RETAIN=DURATION (e.g. RETAIN=1h), tail runs with --retain
# DURATION and the writer's event clock runs SPEED times faster than the
# wall clock (default 3600: an hour a second), so pruning runs all the
# time; then also printed: the database file and WAL sizes once a second
# (flat or growing), what the pruner did (tail -v: steps, the longest one
# = the longest a writer can have waited for the lock), and the console's
# refresh time on the live database (topbench, 5m and 1h windows, every
# 2 s while the writer writes: mean and max).
#
#   bench/tail.sh                 RATE=20000 SECS=10 bench/tail.sh
#   RETAIN=1h bench/tail.sh
#   RETAIN=1h AUTO_VACUUM=incremental bench/tail.sh   (the other way to
#       reuse space: the file shrinks after each prune step)
#   RETAIN=1h PATHS=10000 bench/tail.sh   (10,000 distinct paths instead of
#       a new one per line, which doubles the pruner's work)
#   RETAIN=1h BLOCKS=1 bench/tail.sh   (tail stores plain requests in
#       blocks, GW_INGEST_BLOCKS=1: the pruner takes them out of blocks)
#
# METRICS=1: tail also serves Prometheus metrics (--metrics-listen), and
# while the writer runs a scraper fetches /metrics every SCRAPE_MS (default
# 100: ten times a second, far more than a Prometheus would) and a stuck
# client holds a connection with half a request; the scrapes' count and
# time are printed beside the delays, which should not move.
#
#   METRICS=1 bench/tail.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
RATE=${RATE:-50000}
SECS=${SECS:-20}
POLL_MS=${POLL_MS:-50}
RETAIN=${RETAIN:-}
SPEED=${SPEED:-3600}
AUTO_VACUUM=${AUTO_VACUUM:-}	# "incremental": the database made so first
PATHS=${PATHS:-}	# K distinct paths (logwriter --paths) instead of one per line
METRICS=${METRICS:-}
BLOCKS=${BLOCKS:-}	# 1: tail stores plain requests in blocks (GW_INGEST_BLOCKS)
SCRAPE_MS=${SCRAPE_MS:-100}
BIN=${GW_BIN:-$GW_BUILD/gatewatch}
TOOLS=${GW_TOOLS:-$GW_BUILD/tools}
[ -x "$BIN" ] || { echo "bench/tail.sh: $BIN not built" >&2; exit 1; }
[ -x "$TOOLS/logwriter" ] || { echo "bench/tail.sh: $TOOLS/logwriter not built" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "bench/tail.sh: needs the sqlite3 CLI" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-tail.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT

count=$((RATE * SECS))
db=$dir/bench.db
log=$dir/access.log
now_ms() { date +%s%3N; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_s() {	# user+system seconds of a live process
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo "?"
}

echo "gatewatch tail benchmark: $RATE lines/s for $SECS s ($count lines)," \
	"$(nproc) cores, $(uname -m)${RETAIN:+, --retain $RETAIN with event time x$SPEED}${METRICS:+, scraped every $SCRAPE_MS ms}"
echo "  load: $(uptime | sed 's/.*load average/load average/')"

tail_opts=()
writer_opts=()
if [ -n "$RETAIN" ]; then
	tail_opts=(--retain "$RETAIN" -v)
	writer_opts=(--time-start $(( $(date +%s) - 30 * 86400 )) --time-speed "$SPEED")
	[ -n "$PATHS" ] && writer_opts+=(--paths "$PATHS")
	[ -x "$TOOLS/topbench" ] || { echo "bench/tail.sh: $TOOLS/topbench not built" >&2; exit 1; }
fi
[ -n "$METRICS" ] && tail_opts+=(--metrics-listen 127.0.0.1:0)
: > "$log"
if [ "$AUTO_VACUUM" = incremental ]; then
	# Before any table, as SQLite requires; gatewatch adds its own.
	sqlite3 "$db" "PRAGMA page_size = 16384; PRAGMA auto_vacuum = INCREMENTAL;
	    CREATE TABLE bench_x (a); DROP TABLE bench_x;"
	echo "  database made with auto_vacuum=$(sqlite3 "$db" 'PRAGMA auto_vacuum')" \
		"(2 = incremental): free pages given back after each prune step"
fi
GW_INGEST_BLOCKS=${BLOCKS:-0} "$BIN" tail "${tail_opts[@]}" -d "$db" "$log" \
    2>"$dir/tail.err" &
tail_pid=$!
pids+=("$tail_pid")
sleep 0.3
if [ -n "$METRICS" ]; then
	command -v curl >/dev/null || { echo "bench/tail.sh: METRICS=1 needs curl" >&2; exit 1; }
	addr=$(sed -n 's|.*metrics at http://\([^/]*\)/metrics.*|\1|p' "$dir/tail.err" | head -1)
	[ -n "$addr" ] || { echo "bench/tail.sh: tail did not serve metrics" >&2; exit 1; }
	# A client that never finishes its request, held open throughout.
	exec {stuck}<>"/dev/tcp/${addr%:*}/${addr##*:}"
	printf 'GET /metr' >&"$stuck"
	(
		while [ ! -e "$dir/scrape.stop" ]; do
			curl -s -o /dev/null --max-time 5 -w '%{time_total}\n' \
				"http://$addr/metrics" || echo fail
			sleep "$(printf '0.%03d' "$SCRAPE_MS")"
		done
	) >"$dir/scrapes" 2>/dev/null &
	pids+=("$!")
fi
t_start=$(now_ms)
"$TOOLS/logwriter" --stamp --rate "$RATE" --count "$count" \
	"${writer_opts[@]}" "$log" 2>"$dir/writer.err" &
writer_pid=$!
pids+=("$writer_pid")

# Sample until the writer is done and every line is stored (or 30 s more).
last_id=0
seen=0
t_writer_done=
behind_at_stop=
rss_series=()
db_series=()
wal_series=()
: > "$dir/top"
next_rss=$(now_ms)
polls=0
poll_ms_total=0
: > "$dir/hist"
while :; do
	t=$(now_ms)
	if [ "$t" -ge "$next_rss" ]; then
		rss_series+=("$(($(rss_kib "$tail_pid") / 1024))")
		if [ -n "$RETAIN" ]; then
			db_series+=("$(( $(stat -c %s "$db" 2>/dev/null || echo 0) / 1024 ))")
			wal_series+=("$(( $(stat -c %s "$db-wal" 2>/dev/null || echo 0) / 1024 ))")
			# The console on the live database, every other second.
			if [ $(( ${#db_series[@]} % 2 )) -eq 0 ] && kill -0 "$writer_pid" 2>/dev/null; then
				for w in 5m 1h; do
					"$TOOLS/topbench" "$db" 3 "$w" 2>/dev/null | tail -1 >> "$dir/top" || true
				done
			fi
		fi
		next_rss=$((next_rss + 1000))
	fi
	out=$(sqlite3 -cmd ".timeout 2000" "$db" "BEGIN;
	    SELECT 'max', ifnull(max(id), 0), count(*) FROM requests WHERE id > $last_id;
	    SELECT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
	        - CAST(substr(query, 3) AS INTEGER)) / 5 * 5 AS b, count(*)
	    FROM requests WHERE id > $last_id GROUP BY b;
	    COMMIT;" 2>/dev/null || true)
	t2=$(now_ms)
	polls=$((polls + 1))
	poll_ms_total=$((poll_ms_total + t2 - t))
	if [ -n "$out" ]; then
		max=$(printf '%s\n' "$out" | awk -F'|' '$1 == "max" { print $2 }')
		new=$(printf '%s\n' "$out" | awk -F'|' '$1 == "max" { print $3 }')
		if [ -n "$max" ] && [ "$max" -gt "$last_id" ]; then
			printf '%s\n' "$out" | awk -F'|' '$1 != "max"' >> "$dir/hist"
			last_id=$max
			seen=$((seen + new))
			t_last_commit=$t2
		fi
	fi
	if [ -z "$t_writer_done" ] && ! kill -0 "$writer_pid" 2>/dev/null; then
		t_writer_done=$(now_ms)
		behind_at_stop=$((count - seen))
	fi
	[ "$seen" -ge "$count" ] && break
	if [ -n "$t_writer_done" ] && [ $(($(now_ms) - t_writer_done)) -gt 30000 ]; then
		echo "  (gave up waiting: $seen of $count lines stored)"
		break
	fi
	left=$((POLL_MS - ($(now_ms) - t)))
	[ "$left" -gt 0 ] && sleep "$(printf '0.%03d' "$left")"
done
wait "$writer_pid" 2>/dev/null || true
if [ -n "$METRICS" ]; then
	: >"$dir/scrape.stop"	# the scraper ends after its current scrape
	wait "${pids[-1]}" 2>/dev/null || true
	unset 'pids[-1]'
	curl -s "http://$addr/metrics" >"$dir/last.prom" || true
	exec {stuck}>&-
fi
tail_cpu=$(cpu_s "$tail_pid")
rss_series+=("$(($(rss_kib "$tail_pid") / 1024))")
kill -TERM "$tail_pid" 2>/dev/null || true
wait "$tail_pid" 2>/dev/null || true

secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
sed -n 's/^logwriter: /  writer: /p' "$dir/writer.err"
wrote_ms=$((t_writer_done - t_start))
echo "  writer achieved:  $(awk -v n="$count" -v ms="$wrote_ms" \
	'BEGIN { printf "%.0f", n / (ms / 1000) }') lines/s"
echo "  tail kept up at:  $(awk -v n="$seen" -v ms="$((t_last_commit - t_start))" \
	'BEGIN { printf "%.0f", n / (ms / 1000) }') lines/s" \
	"($seen lines stored in $(secs $((t_last_commit - t_start))) s)"
echo "  behind when the writer stopped: $behind_at_stop lines;" \
	"caught up $(secs $((t_last_commit - t_writer_done))) s later"
awk -F'|' '
	{ n[$1] += $2; total += $2 }
	END {
		if (total == 0) { print "  delay: no rows seen"; exit }
		m = 0
		for (b in n) keys[m++] = b + 0
		# insertion sort: a few hundred buckets at most
		for (i = 1; i < m; i++) {
			k = keys[i]
			for (j = i - 1; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j]
			keys[j + 1] = k
		}
		c = 0; p50 = ""; p99 = ""
		for (i = 0; i < m; i++) {
			c += n[keys[i]]
			if (p50 == "" && c >= total * 0.50) p50 = keys[i]
			if (p99 == "" && c >= total * 0.99) p99 = keys[i]
		}
		printf "  write -> commit delay: median %d ms, p99 %d ms, max %d ms" \
		    " (%d lines, 5 ms buckets)\n", p50 + 5, p99 + 5, keys[m - 1] + 5, total
	}' "$dir/hist"
echo "  sampler: $polls looks, $((poll_ms_total / (polls > 0 ? polls : 1))) ms" \
	"each on average, every $POLL_MS ms (adds ~$((POLL_MS / 2 + poll_ms_total / (polls > 0 ? polls : 1))) ms to the delays)"
echo "  tail RSS MiB, once a second: ${rss_series[*]}"
printf '%s\n' "${rss_series[@]}" | awk '
	NR == 1 { first = $1; min = $1; max = $1 }
	{ if ($1 < min) min = $1; if ($1 > max) max = $1; last = $1 }
	NR == 3 { early = $1 }
	END { printf "  tail RSS: min %d, max %d, last %d MiB; after 2 s %d -> end %d\n",
	    min, max, last, early, last }'
echo "  tail CPU: $tail_cpu s for $SECS s of writing"
if [ -n "$RETAIN" ]; then
	echo "  database file KiB, once a second: ${db_series[*]}"
	echo "  its WAL KiB, once a second: ${wal_series[*]}"
	echo "  rows kept at the end: $(sqlite3 "$db" 'SELECT count(*) FROM requests')" \
		"and $(sqlite3 "$db" 'SELECT coalesce(sum(n), 0) FROM request_blocks') in" \
		"$(sqlite3 "$db" 'SELECT count(*) FROM request_blocks') blocks," \
		"paths $(sqlite3 "$db" 'SELECT count(*) FROM paths')"
	sed -n 's/^gatewatch tail: pruned/  pruner: pruned/p; s/^gatewatch tail: the writer/  the writer/p' "$dir/tail.err"
	awk '{
		for (i = 1; i <= NF; i++) {
			if ($i == "per") mean = $(i - 2)
			if ($i == "(max") { m = $(i + 1); sub(/ms\)?/, "", m) }
		}
		w = $2; sub(/:/, "", w)
		n[w]++; s[w] += mean; if (m + 0 > mx[w]) mx[w] = m + 0
	} END {
		for (w in n) printf "  console refresh on the live database, window %s: %d samples, mean %.1f ms, max %.1f ms\n", w, n[w], s[w] / n[w], mx[w]
	}' "$dir/top"
fi
if [ -n "$METRICS" ]; then
	sort -n "$dir/scrapes" | awk '
		$1 == "fail" { fail++; next }
		{ t[n++] = $1 }
		END {
			if (n == 0) { print "  scrapes: none succeeded"; exit }
			printf "  scrapes while writing: %d (%d failed), time median %.1f ms," \
			    " max %.1f ms\n", n, fail, t[int(n / 2)] * 1000, t[n - 1] * 1000
		}'
	echo "  /metrics at the end: $(awk '/^gatewatch_http_requests_total\{/ { s += $NF }
		END { print s + 0 }' "$dir/last.prom") requests counted" \
		"(5 s settle), $(wc -c <"$dir/last.prom") bytes"
fi
if [ -s "$dir/tail.err" ]; then
	echo "  tail said:"
	sed 's/^/    /' "$dir/tail.err" | tail -n 5
fi
