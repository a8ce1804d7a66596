#!/usr/bin/env bash
# ab_ingest_wakes.sh - who wakes whom during an ingest, for two gatewatch
# binaries interleaved (A B A B ...): per run, from the scheduler's
# tracepoints (perf record -e sched:sched_wakeup,sched:sched_switch), how
# many times each of the ingest's threads (main: gatewatch; gw-writer,
# gw-zip, gw-ckpt) woke each other one, and how many times each was
# switched out asleep (S: waiting for another thread, a lock, I/O) or
# preempted (R: runnable, its core taken, often by a thread it woke), with
# the load average beside. Counts, not times: a hand-over that wakes a
# sleeping thread costs the waker a futex syscall and, on this 2-core
# machine, usually a preemption of it or of the parse thread.
#
#   bench/ab_ingest_wakes.sh BASE_BIN NEW_BIN LOG [ROUNDS]
#
# FMT_KIND=auto: no format argument (HAProxy, Caddy, ... logs).
set -euo pipefail
base=$1 new=$2 log=$3 rounds=${4:-1}
. "$(dirname "$0")/nginx_format.sh"
args=(--log-format "$FMT")
[ "${FMT_KIND:-nginx}" = nginx ] || args=()
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abwake.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cat "$log" >/dev/null		# warm the page cache
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/w.data
		l0=$(cut -d' ' -f1 /proc/loadavg)
		perf record -q -o "$dir/w.data" -e sched:sched_wakeup \
		    -e sched:sched_switch "$b" ingest -q -d "$dir/db" \
		    "${args[@]}" "$log" >/dev/null 2>&1
		printf '%s (load %s):' "$b" "$l0"
		# the binary's own name is the main thread's comm
		main=$(basename "$b" | cut -c1-15)
		# our threads: the tids that ran under our names; a wakeup
		# counts when its target is one of them (an interrupt that
		# lands while ours runs may wake another process's thread)
		perf script -i "$dir/w.data" -F comm,tid,event,trace \
		    2>/dev/null >"$dir/w.txt"
		awk -v main="$main" '
		function name(c) { return c == main ? "main" : c }
		function ours(c) { return c == main || c ~ /^gw-/ }
		NR == FNR { if (ours($1)) tid[$2] = name($1); next }
		/sched_wakeup/ && ours($1) {
			match($0, / pid=[0-9]+/)
			to = substr($0, RSTART + 5, RLENGTH - 5)
			if (to in tid)
				w[name($1) ">" tid[to]]++
		}
		/sched_switch/ && ours($1) {
			match($0, /prev_state=[^ ]+/)
			st = substr($0, RSTART + 11, 1)
			if (st == "S" || st == "R")
				sw[name($1) " " st]++
		}
		END {
			for (k in w)
				printf " wakes %s %d", k, w[k]
			for (k in sw)
				printf " | %s %d", k, sw[k]
			printf "\n"
		}' "$dir/w.txt" "$dir/w.txt"
	done
done
