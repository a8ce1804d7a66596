#!/usr/bin/env bash
# ingest_timeline.sh - where an ingest's threads spend their CPU over
# time, and how long its end phase lasts: the time the main thread works
# on after the writer's last sample (closing the store: the last
# checkpoint, its sync, the WAL's unlink).
#
#   bench/ingest_timeline.sh BIN LOG [BUCKET_MS] [INGEST ARGS...]
#
# perf record -e cpu-clock at 1 kHz (no hardware counters needed); per
# bucket of BUCKET_MS (100) the milliseconds of CPU each thread used,
# main first (M), the others by tid in order of their first sample; then
# the wall time, peak RSS, bytes of db* on disk and the load average.
# The end phase is counted from the writer's last sample (the busiest
# thread but main), as a checkpointer may still finish meanwhile.
# The nginx log format of bench/run.sh unless INGEST ARGS are given.
set -euo pipefail
bin=$1 log=$2 bucket=${3:-100}
shift $(($# < 3 ? $# : 3))
. "$(dirname "$0")/nginx_format.sh"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--log-format "$FMT")
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-timeline.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cat "$log" >/dev/null		# warm the page cache
l0=$(cut -d' ' -f1 /proc/loadavg)
perf record -q --no-buildid -e cpu-clock -F 1000 -o "$dir/p.data" \
    /usr/bin/time -f '%e %M' -o "$dir/rss" \
    "$bin" ingest -q -d "$dir/db" "${args[@]}" "$log" 2>/dev/null
bytes=$(du -cb "$dir"/db* | tail -1 | cut -f1)
perf script -i "$dir/p.data" -F pid,tid,time,comm 2>/dev/null |
    awk -v b="$bucket" '
	$1 ~ /^(time|perf)/ { next }			# /usr/bin/time, perf itself
	{
		split($2, pt, "/"); pid = pt[1]; tid = pt[2]
		t = $3; sub(":", "", t); t *= 1000
		if (t0 == "") t0 = t
		k = int((t - t0) / b)
		n[k, tid]++
		tot[tid]++
		if (!(tid in seen)) { seen[tid] = 1; order[++nt] = tid }
		if (k > kmax) kmax = k
		last[tid] = t
		main = pid
	}
	END {
		printf "%6s", "ms"
		printf " %6s", "M"
		for (i = 1; i <= nt; i++) if (order[i] != main) printf " %6s", order[i]
		printf "\n"
		for (k = 0; k <= kmax; k++) {
			printf "%6d %6d", k * b, n[k, main]
			for (i = 1; i <= nt; i++)
				if (order[i] != main) printf " %6d", n[k, order[i]]
			printf "\n"
		}
		w = ""
		for (i = 1; i <= nt; i++)
			if (order[i] != main && (w == "" || tot[order[i]] > tot[w]))
				w = order[i]
		printf "end phase (main after the last sample of the busiest other thread, the writer %s): %.0f ms\n", w, last[main] - last[w]
	}'
printf 'wall %s s, peak RSS %d MiB, %d bytes on disk (load %s -> %s)\n' \
    "$(cut -d' ' -f1 "$dir/rss")" $(($(cut -d' ' -f2 "$dir/rss") / 1024)) \
    "$bytes" "$l0" "$(cut -d' ' -f1 /proc/loadavg)"
