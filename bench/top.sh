#!/usr/bin/env bash
# bench/top.sh - the console's cost: one full refresh's queries on a
# database of 10,000,000 requests (TOP_LINES=N to change), and the CPU the
# console uses at rest. Figures only, never pass/fail.
#
# The database is built the honest way: genlog writes a deterministic
# nginx log in the upstream format (~5% 5xx, eight upstreams, retries) and
# `gatewatch ingest` stores it, rollups and latency histograms included.
# TOP_DB=path reuses (or keeps) that database between runs. Without
# TOP_DB the refreshes are timed again while `gatewatch prune` runs.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
LINES=${TOP_LINES:-10000000}
GW=$GW_BUILD/gatewatch
tools=$GW_BUILD/tools
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench-top.XXXXXX")
sock="gw-bench-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
db=${TOP_DB:-$dir/top.db}

echo "console benchmark: $LINES requests"
if [ ! -s "$db" ]; then
	t0=$(date +%s.%N)
	"$tools/genlog" "$LINES" | "$GW" ingest -q -d "$db" -
	t1=$(date +%s.%N)
	printf 'database built in %.1f s: %s MB\n' "$(echo "$t1 - $t0" | bc)" \
	    "$(du -m "$db" | cut -f1)"
fi
for w in all 24h 1h 5m; do
	"$tools/topbench" "$db" 20 "$w" | tail -1
done

# The same refreshes while `gatewatch prune` removes most of the rows
# (all but the last 10 minutes of events: 5.5 hours of them for 10M
# lines) in its short transactions beside them: readers never wait for a writer in WAL mode,
# but they do read pages the pruner is changing. Not on a TOP_DB kept
# between runs (it would be emptied).
if [ -z "${TOP_DB:-}" ]; then
	"$GW" prune -d "$db" --older-than 10m > "$dir/prune.out" 2>&1 &
	prune_pid=$!
	sleep 1
	for w in 24h 1h 5m; do
		kill -0 "$prune_pid" 2>/dev/null || break
		printf 'while pruning: '
		"$tools/topbench" "$db" 10 "$w" | tail -1
	done
	if kill -0 "$prune_pid" 2>/dev/null; then
		echo "(prune still running; waiting)"
	else
		echo "(prune ended before the last window: fewer figures)"
	fi
	wait "$prune_pid" || true
	sed 's/^/prune: /' "$dir/prune.out"
fi

# CPU at rest: the console on the idle database for 10 s.
if command -v tmux >/dev/null 2>&1; then
	tmux -L "$sock" new-session -d -s top -x 160 -y 48 \
	    "exec $GW top -d $db --refresh 1"
	sleep 1
	pid=$(tmux -L "$sock" display -p -t top '#{pane_pid}')
	hz=$(getconf CLK_TCK)
	read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
	sleep 10
	read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
	ticks=$(( (u1 - u0) + (s1 - s0) ))
	printf 'console at rest (refresh 1 s, 10 s): %d ms CPU = %.2f%% of a core\n' \
	    $(( ticks * 1000 / hz )) "$(echo "$ticks * 100 / ($hz * 10)" | bc -l)"
	tmux -L "$sock" send-keys -t top q
	sleep 0.3
else
	echo "console at rest: tmux not installed (make test-deps)"
fi
