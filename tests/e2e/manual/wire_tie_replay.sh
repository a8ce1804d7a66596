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
auth="127.0.0.1:$(awk '$1 == "authfail" { print $2 }' "$D/ports")"
rows() {
	sqlite3 -separator ' ' "$1" "SELECT p.name || '?' || r.query, r.status,
	    c.name, u.name FROM requests r JOIN paths p ON p.id = r.path_id
	    JOIN causes c ON c.id = r.cause JOIN upstreams u ON
	    u.id = r.upstream_id ORDER BY 1" | sort
}
for r in a b c; do
	[ -f "$D/wire_$r.pcap" ] && [ -f "$D/log_rows.$r" ] || continue
	port=$(grep -o 'gateway port [0-9]*' "$D/capture_$r.out" |
		awk '{ print $3 }')
	"$BIN" capture -Z root -d "$O/w_$r.db" -r "$D/wire_$r.pcap" \
		--listen "$port" >"$O/cap_$r.out" 2>&1 || { cat "$O/cap_$r.out"; exit 1; }
	rows "$O/w_$r.db" >"$O/wire_rows.$r"
	awk -v auth="$auth" -v r="$r" '
	FNR == 1 { f++ }
	f == 1 { ls[$1] = $2; lc[$1] = $3; lu[$1] = $4; next }
	{ ws[$1] = $2; wc[$1] = $3; wu[$1] = $4 }
	END {
		for (k in ls) {
			if (!(k in ws)) { missing++; print "  missing " k; continue }
			if (ws[k] != ls[k]) { status++; print "  status " k " log " ls[k] " wire " ws[k] }
			failed = ls[k] >= 500 || ls[k] == 9
			if (!failed) {
				if (wc[k] != "ok") { nonfail++; print "  cause on a success " k " " wc[k] }
				if (wu[k] != lu[k]) { okup++; print "  upstream of a success " k " log " lu[k] " wire " wu[k] }
				continue
			}
			if (lc[k] == "rate_limited" || lc[k] == "no_live_upstream") {
				gw++
				if (wu[k] != "-") { blamed++; print "  blamed " k " " wu[k] }
				continue
			}
			if (lc[k] == "auth_failure") {
				au++
				if (wc[k] == "auth_failure" && wu[k] == auth) auok++
				else print "  auth " k " wire " wc[k] " " wu[k]
				continue
			}
			up++
			if (wc[k] == lc[k] && wu[k] == lu[k]) upok++
			else print "  tie " k " log " lc[k] " " lu[k] " wire " wc[k] " " wu[k]
		}
		for (k in ws) if (!(k in ls)) { extra++; print "  extra " k }
		printf "%s: %d requests, missing %d, extra %d, status %d, " \
		    "causes on successes %d, upstream failures %d tied right " \
		    "%d, gateway-made %d BLAMED %d, auth %d right %d, " \
		    "successes under another upstream %d\n", r, length(ls),
		    missing + 0, extra + 0, status + 0, nonfail + 0, up,
		    upok + 0, gw + 0, blamed + 0, au + 0, auok + 0, okup + 0
	}' "$D/log_rows.$r" "$O/wire_rows.$r"
	grep -E "gateway:" "$O/cap_$r.out" | sed 's/^/  /'
done
