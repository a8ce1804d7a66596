#!/usr/bin/env bash
# ab_ingest_end.sh - an ingest's end phase, two gatewatch binaries
# interleaved (A B A B ...): from the main thread closing the log (the
# last commit is made just before) to the process's exit, the main
# thread's fdatasyncs and longest close() in that stretch (the WAL's
# blocks freed by its last close), and the load beside each round.
# Measured with strace --seccomp-bpf on close, fdatasync and exit_group
# only (the others run untraced), so the figures are a little high but
# comparable; on a loaded host compare the syscalls more than the walls.
#
#   bench/ab_ingest_end.sh BASE_BIN NEW_BIN [LOG] [ROUNDS]
#
# LOG: /tmp/fig/prod1000000.log by default; the nginx log format of
# bench/run.sh. The log's descriptor is the last one a file ingest opens
# (the highest closed before the store closes).
set -euo pipefail
base=$1 new=$2 log=${3:-/tmp/fig/prod1000000.log} rounds=${4:-3}
. "$(dirname "$0")/nginx_format.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-end.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cat "$log" >/dev/null		# warm the page cache
for r in $(seq "$rounds"); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db*
		strace --seccomp-bpf -f -tt -T -o "$dir/st" \
		    -e trace=close,fdatasync,exit_group \
		    "$b" ingest -q -d "$dir/db" --log-format "$FMT" "$log"
		awk -v b="$b" '
		function t(x,  a) { split(x, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
		NR == 1 { pid = $1 }
		$1 != pid { next }
		# the log: the highest descriptor closed while reading
		/ close\([0-9]+\)/ && !done {
			fd = $3; sub(/close\(/, "", fd); sub(/\).*/, "", fd)
			if (fd + 0 >= 10) { t0 = t($2); syncs = 0; slow = 0 }
		}
		/exit_group/ { done = 1 }
		t0 && / fdatasync/ { syncs++ }
		t0 && / close\(/ {
			d = $NF; gsub(/[<>]/, "", d)
			if (d + 0 > slow) slow = d + 0
		}
		/\+\+\+ exited/ { t1 = t($2) }
		END {
			printf "%s: end %.1f ms, main fdatasync %d, slowest close %.1f ms; ",
			    b, (t1 - t0) * 1000, syncs, slow * 1000
		}' "$dir/st"
	done
	echo "load $(cut -d' ' -f1 /proc/loadavg)"
done
