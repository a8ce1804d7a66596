#!/usr/bin/env bash
# wire_tie_replay.sh DIR - re-run the verdicts of a kept wire_tie_e2e.sh run
# (its GW_TMP directory, kept when it fails: wire_R.pcap, log_rows.R,
# capture_R.out, ports) with the current `capture -r --listen`, so that a
# mis-tie seen under load can be reproduced deterministically and a change
# to parse/wire_join.c measured on the same packets. Prints, per regime,
# the requests that differ from nginx's log and the counts wire_tie_e2e.sh
# asserts on (BLAMED: gateway-made refusals given an upstream).
# GW_BIN (default build/gatewatch). Reads and writes only under DIR and a
# temporary directory, removed on exit.
set -euo pipefail
D=${1:?usage: wire_tie_replay.sh DIR}
BIN=${GW_BIN:-$(cd "$(dirname "$0")/../../.." && pwd)/build/gatewatch}
O=$(mktemp -d)
trap 'rm -rf "$O"' EXIT
. "$(dirname "$0")/../wire_lib.sh"
auth="127.0.0.1:$(awk '$1 == "authfail" { print $2 }' "$D/ports")"
for r in a b c; do
	[ -f "$D/wire_$r.pcap" ] && [ -f "$D/log_rows.$r" ] || continue
	port=$(grep -o 'gateway port [0-9]*' "$D/capture_$r.out" |
		awk '{ print $3 }')
	"$BIN" capture -Z root -d "$O/w_$r.db" -r "$D/wire_$r.pcap" \
		--listen "$port" >"$O/cap_$r.out" 2>&1 || { cat "$O/cap_$r.out"; exit 1; }
	wire_rows "$O/w_$r.db" >"$O/wire_rows.$r"
	wire_verdict_awk "$D/log_rows.$r" "$O/wire_rows.$r" "$O/diff.$r" \
		auth="$auth" okup=1 >"$O/figures.$r"
	sed 's/^/  /' "$O/diff.$r" 2>/dev/null || true
	read -r total missing extra status nonfail up upok gw blamed au auok \
		okup <"$O/figures.$r"
	echo "$r: $total requests, missing $missing, extra $extra, status" \
		"$status, causes on successes $nonfail, upstream failures $up" \
		"tied right $upok, gateway-made $gw BLAMED $blamed, auth $au" \
		"right $auok, successes under another upstream $okup"
	grep -E "gateway:" "$O/cap_$r.out" | sed 's/^/  /'
done
