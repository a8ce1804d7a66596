#!/usr/bin/env bash
# wire_tie_attempts.sh DIR... - of the refused requests HAProxy retried in
# kept wire_tie_haproxy_e2e.sh runs (GW_KEEP_TMP=1 or a failing run: their
# logs.db, wire_R.pcap, capture_R.out), how many the join ties with as many
# attempts as HAProxy's log counts (%rc + 1), per run and in all: a measure
# of which rungs of the HAProxy ladders go to which request (wire_join.c,
# TURN_MAX_US, claim_turn) that wire_tie_gw_replay.sh's verdicts (last
# server and cause) do not see. Ties with tests/tools/wiredump --tie
# (WIREDUMP, default build/tools/wiredump); the requests are read with
# `gatewatch sql` (GW_BIN, default build/gatewatch), which sees those kept
# in blocks too. Reads only under each DIR; writes a temporary directory,
# removed on exit.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: wire_tie_attempts.sh DIR..." >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
W=${WIREDUMP:-$ROOT/build/tools/wiredump}
G=${GW_BIN:-$ROOT/build/gatewatch}
O=$(mktemp -d)
trap 'rm -rf "$O"' EXIT
all=0
all_same=0
for D in "$@"; do
	tot=0
	same=0
	for r in a b c; do
		[ -f "$D/wire_$r.pcap" ] && [ -f "$D/logs.db" ] || continue
		port=$(grep -o 'gateway port [0-9]*' "$D/capture_$r.out" |
			awk '{ print $3 }' | head -1)
		"$G" sql -d "$D/logs.db" -f list "SELECT ifnull(path || '?' ||
		    query, '') || ' ' || n_attempts FROM request_view
		    WHERE query LIKE 'r=$r&%' AND n_attempts > 1 AND
		    bytes > 0 AND path LIKE '/refuse/%'" | sort >"$O/log"
		# T path?query status cause n_attempts ...
		"$W" --tie "$D/wire_$r.pcap" "$port" 2>/dev/null |
			awk '$2 ~ /^\/refuse\// { print $2, $5 }' |
			sort >"$O/wire"
		tot=$((tot + $(wc -l <"$O/log")))
		same=$((same + $(join "$O/log" "$O/wire" |
			awk '$2 == $3' | wc -l)))
	done
	echo "$D: $tot retried refused requests, $same with as many attempts"
	all=$((all + tot))
	all_same=$((all_same + same))
done
echo "all: $all retried refused requests, $all_same with as many attempts"
