#!/usr/bin/env bash
# ab_capture_threads.sh - two gatewatch binaries reading the same capture
# in gateway-host mode (`capture -r FILE --listen PORT`, into a fresh
# database), interleaved (A B A B ...): each run printed with its wall
# time, MB/s, packets/s, peak RSS, the CPU seconds of each of its threads
# (perf record -e cpu-clock at 1 kHz: samples per thread, in the order
# the threads were made: the packet thread, the store's writer, the join
# thread, the writer's block encoder) and the load average before and
# after. On a shared machine the CPU per thread is the figure to compare;
# wall time follows the load. Needs perf (cpu-clock works on a VM) and
# root (the capture drops to nobody: the database directory is made
# world-writable).
#
#   bench/ab_capture_threads.sh BASE_BIN NEW_BIN PCAP [ROUNDS] [CAPTURE ARGS...]
#
# The gateway port is read from PCAP.port (bench/capture.sh's KA_PCAP
# writes it); CAPTURE ARGS replace the default "--listen PORT".
set -euo pipefail
base=$1 new=$2 pcap=$3 rounds=${4:-2}
shift $(($# < 4 ? $# : 4))
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
	args=(--listen "$(cat "$pcap.port")")
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abcap.XXXXXX")
chmod 1777 "$dir"
trap 'rm -rf "$dir"' EXIT
size=$(stat -c %s "$pcap")
cat "$pcap" >/dev/null		# warm the page cache
pkts=$("$base" capture -r "$pcap" -d "$dir/count.db" "${args[@]}" 2>&1 |
	sed -n 's/.*: \([0-9]*\) packets,.*/\1/p' | head -1)
echo "$pcap: $size bytes, $pkts packets"
for ((r = 0; r < rounds; r++)); do
	for b in "$base" "$new"; do
		rm -f "$dir"/db* "$dir"/p.data
		l0=$(cut -d' ' -f1 /proc/loadavg)
		perf record -q --no-buildid -e cpu-clock -F 1000 -o "$dir/p.data" \
		    /usr/bin/time -f '%e %M' -o "$dir/rss" \
		    "$b" capture -q -r "$pcap" -d "$dir/db" "${args[@]}" \
		    2>/dev/null
		w=$(cut -d' ' -f1 "$dir/rss")
		printf '%s: %.2f s, %.0f MB/s, %.0f packets/s, peak RSS %.1f MiB, CPU s by thread:' \
		    "$b" "$w" "$(echo "$size / 1000000 / $w" | bc -l)" \
		    "$(echo "$pkts / $w" | bc -l)" \
		    "$(echo "$(cut -d' ' -f2 "$dir/rss") / 1024" | bc -l)"
		# threads by id (the order they were made), time(1) left out
		perf report -i "$dir/p.data" --no-children --sort pid --stdio \
		    -n 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    grep -v time | awk '{ split($3, t, ":"); print t[1], $2 }' |
		    sort -n | awk '{ printf " %.2f", $2 / 1000 }'
		echo " (load $l0 -> $(cut -d' ' -f1 /proc/loadavg))"
	done
done
