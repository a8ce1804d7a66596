#!/usr/bin/env bash
# ab_ingest_waits.sh - two gatewatch binaries ingesting the same log,
# interleaved (A B A B ...), each run under `perf sched record`: for each
# thread of the ingest (main: read and parse; then the others by their
# names, gw-writer, gw-zip (the block encoder) and gw-ckpt (the
# checkpointer), or for a binary that does not name them in the order
# they first ran, guessed as writer, zip, ...) the milliseconds it
# ran, waited asleep (for another thread, a lock, I/O), was preempted
# (switched out runnable: timehist counts that as wait too) and was
# delayed (woken, no free core), with its switches, as `perf sched
# timehist --state` sums them; and the wall time and load average before
# and after. Asleep is the figure hand-overs change; preempted and delay
# follow the machine's load.
#
#   bench/ab_ingest_waits.sh BASE_BIN NEW_BIN LOG [ROUNDS] [INGEST ARGS...]
#
# FMT: nginx (bench/run.sh's log_format, the default) or auto.
set -euo pipefail
base=$1 new=$2 log=$3 rounds=${4:-2}
shift $(($# < 4 ? $# : 4))
. "$(dirname "$0")/nginx_format.sh"
args=("$@")
if [ ${#args[@]} -eq 0 ] && [ "${FMT_KIND:-nginx}" = nginx ]; then
	args=(--log-format "$FMT")
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abwait.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cat "$log" >/dev/null		# warm the page cache
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/s.data
		l0=$(cut -d' ' -f1 /proc/loadavg)
		# the ingest's pid: other gatewatch processes may run
		perf sched record -q -o "$dir/s.data" \
		    /usr/bin/time -f '%e' -o "$dir/wall" \
		    sh -c 'echo $$ >"$0"; exec "$@"' "$dir/pid" \
		    "$b" ingest -q -d "$dir/db" "${args[@]}" "$log" \
		    >/dev/null 2>&1
		printf '%s: %.2f s (load %s -> %s)\n' "$b" "$(cat "$dir/wall")" \
		    "$l0" "$(cut -d' ' -f1 /proc/loadavg)"
		# timehist lines: time cpu comm[tid/pid] wait delay run state;
		# a line's wait follows the state of the thread's line before
		perf sched timehist --state -i "$dir/s.data" 2>/dev/null |
		    awk -v pid="$(cat "$dir/pid")" '
		    $3 ~ /\[/ {
			t = $3; sub(/.*\[/, "", t); sub(/\].*/, "", t)
			n = split(t, a, "/"); tid = a[1]
			if ((n > 1 ? a[2] : a[1]) != pid)
				next
			if (!(tid in sw)) {
				ids[++k] = tid	# in the order they first ran
				c = $3; sub(/\[.*/, "", c); comm[tid] = c
			}
			if (st[tid] == "R")
				pre[tid] += $4
			else
				w[tid] += $4
			st[tid] = $7
			d[tid] += $5; run[tid] += $6; sw[tid]++
		    }
		    END {
			split("main writer zip", nm, " ")
			for (i = 1; i <= k; i++) {
				name = i <= 3 ? nm[i] : "thread" i
				if (i > 1 && comm[ids[i]] ~ /^gw-/)
					name = comm[ids[i]]
				printf "  %-9s run %7.1f ms  asleep %7.1f ms  preempted %7.1f ms  delay %6.1f ms  switches %6d\n",
				    name, run[ids[i]], w[ids[i]], pre[ids[i]],
				    d[ids[i]], sw[ids[i]]
			}
		    }'
	done
done
