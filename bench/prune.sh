#!/usr/bin/env bash
# prune.sh - `gatewatch prune` on the same requests stored as rows and in
# request blocks (schema/015, GW_INGEST_BLOCKS=1): a LINES-line log from
# logwriter (default 300,000) whose event clock runs an hour every 0.1 s
# of writing (about 14 requests a second of events, as bench/tail.sh
# RETAIN=1h writes them), ingested both ways once, then pruned at half its
# span (--older-than 3h of 6.5 h: one block the cutoff falls inside) on a
# fresh copy each time, ROUNDS times (default 3) interleaved rows, blocks:
# wall and user seconds, with the load beside each. Figures only.
#   bench/prune.sh                  LINES=1000000 ROUNDS=5 bench/prune.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
LINES=${LINES:-300000}
ROUNDS=${ROUNDS:-3}
BIN=${GW_BIN:-$GW_BUILD/gatewatch}
TOOLS=${GW_TOOLS:-$GW_BUILD/tools}
command -v sqlite3 >/dev/null || { echo "bench/prune.sh: sqlite3 needed" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-prune.XXXXXX")
trap 'rm -rf "$dir"' EXIT

"$TOOLS/logwriter" --rate 500000 --count "$LINES" --time-start 1795564800 \
    --time-speed 36000 "$dir/log" 2>/dev/null
"$BIN" ingest -q -d "$dir/rows.db" "$dir/log"
GW_INGEST_BLOCKS=1 "$BIN" ingest -q -d "$dir/blocks.db" "$dir/log"
echo "gatewatch prune --older-than 3h: $LINES requests," \
    "$(sqlite3 "$dir/rows.db" 'SELECT count(*) FROM request_runs') runs;" \
    "blocks: $(sqlite3 "$dir/blocks.db" 'SELECT count(*) || " of " ||
    sum(n) || " requests" FROM request_blocks')"
for r in $(seq "$ROUNDS"); do
	for kind in rows blocks; do
		cp "$dir/$kind.db" "$dir/run.db"
		load=$(cut -d' ' -f1-3 /proc/loadavg)
		/usr/bin/time -f '%e %U' -o "$dir/time" \
		    "$BIN" prune -d "$dir/run.db" --older-than 3h >"$dir/out"
		read -r wall user <"$dir/time"
		printf '  round %d %-6s %6.2f s wall, %6.2f s user (load %s): %s\n' \
		    "$r" "$kind" "$wall" "$user" "$load" \
		    "$(head -1 "$dir/out" | sed 's/.*: //')"
		rm -f "$dir/run.db" "$dir/run.db-wal" "$dir/run.db-shm"
	done
done
