#!/usr/bin/env bash
# wire_tie_gw_replay.sh DIR - re-run the verdicts of a kept
# wire_tie_haproxy_e2e.sh or wire_tie_caddy_e2e.sh run (its GW_TMP
# directory, kept when it fails or with GW_KEEP_TMP=1: wire_R.pcap,
# log_rows.R, capture_R.out, labels.sed) with the current
# `capture -r --listen`, so that a mis-tie seen under load can be
# reproduced deterministically and a change to parse/wire_join.c measured
# on the same packets (wire_tie_replay.sh does the same for nginx runs).
# Prints, per regime, the requests that differ from the gateway's log and
# the counts the test asserts on: failures with an upstream cause tied to
# the same upstream and cause (SH in HAProxy's log: a reset on the wire
# counts as the close), and the gateway's own refusals blamed on an
# upstream. GW_BIN (default build/gatewatch). Reads only under DIR; writes
# a temporary directory, removed on exit.
set -euo pipefail
D=${1:?usage: wire_tie_gw_replay.sh DIR}
BIN=${GW_BIN:-$(cd "$(dirname "$0")/../../.." && pwd)/build/gatewatch}
O=$(mktemp -d)
trap 'rm -rf "$O"' EXIT
for r in a b c; do
	[ -f "$D/wire_$r.pcap" ] && [ -f "$D/log_rows.$r" ] || continue
	port=$(grep -o 'gateway port [0-9]*' "$D/capture_$r.out" |
		awk '{ print $3 }')
	"$BIN" capture -Z root -d "$O/w_$r.db" -r "$D/wire_$r.pcap" \
		--listen "$port" >"$O/cap_$r.out" 2>&1 || { cat "$O/cap_$r.out"; exit 1; }
	sqlite3 -separator ' ' "$O/w_$r.db" "SELECT p.name || '?' || r.query,
	    r.status, c.name, u.name FROM requests r JOIN paths p ON
	    p.id = r.path_id JOIN causes c ON c.id = r.cause JOIN upstreams u
	    ON u.id = r.upstream_id WHERE r.query LIKE 'r=$r&%' ORDER BY 1" |
	    sed -f "$D/labels.sed" | sort >"$O/wire_rows.$r"
	awk -v r="$r" '
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
				continue
			}
			if (lc[k] == "rate_limited" || lc[k] == "no_live_upstream" ||
			    lu[k] == "-") {
				gw++
				if (wu[k] != "-") { blamed++; print "  blamed " k " " wu[k] }
				continue
			}
			up++
			same = wc[k] == lc[k] || (lc[k] == "upstream_closed_early" &&
			    wc[k] == "upstream_reset")
			if (same && wu[k] == lu[k]) upok++
			else print "  tie " k " log " lc[k] " " lu[k] " wire " wc[k] " " wu[k]
		}
		for (k in ws) if (!(k in ls)) { extra++; print "  extra " k }
		printf "%s: %d requests, missing %d, extra %d, status %d, causes on successes %d, upstream failures %d tied right %d, gateway-made %d BLAMED %d\n",
		    r, length(ls), missing, extra, status, nonfail, up, upok, gw, blamed
	}' "$D/log_rows.$r" "$O/wire_rows.$r"
	grep "gateway port" "$O/cap_$r.out" || true
done
