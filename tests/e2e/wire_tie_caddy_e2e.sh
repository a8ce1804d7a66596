#!/usr/bin/env bash
# wire_tie_caddy_e2e.sh - gateway-host mode (`capture --listen`) against a
# real Caddy 2.6 (Debian's), refereed request by request by Caddy's own
# JSON log (access lines and reverse_proxy's debug lines, which name the
# upstream and its error), with 16 keep-alive client connections
# pipelining 4 requests each, in three id regimes (see wire_tie_e2e.sh):
#   (a) clients send no id, Caddy sets none;
#   (b) clients send their own X-Request-Id, Caddy replaces it upstream
#       with a generated one (header_up X-Request-Id {http.request.uuid});
#   (c) Caddy passes the client's id through; half the clients send
#       unique ids, half all the same one (issue 16 item 3).
# Upstreams (tests/tools/badupstream): ok, 503, reset, close, slow
# (response_header_timeout), garbage, refuse, blackhole (dial_timeout);
# Caddy's own answers: a static 429 and a static 503 (no upstream). Caddy's
# own behaviour is asserted from its log: 502 for a refused connect and
# for a connect timeout (dial_timeout), 504 for the response header
# timeout. Asserts per regime: every logged request stored with Caddy's
# status and nothing else, the status counts apart too; >= 98% of the
# failures with an upstream cause tied to the same upstream and cause;
# Caddy's own 503 never blamed on an upstream; no wire cause on a success.
# Then the tied share per gateway port, untied failures apart, as
# `report --by capture`, `explain` and the console (tmux) show it.
# The recording, the verdict and the checks every gateway passes are
# wire_lib.sh's; this file keeps its gateway's configuration and checks.
# Only lo / 127.0.0.1; processes stopped by PID (lib.sh); watchdog 120 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/wire_lib.sh

gw_need_cmd caddy tcpdump sqlite3 jq tmux
CADDY=$(command -v caddy 2>/dev/null || echo /usr/bin/caddy)
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
[ "$(id -u)" = 0 ] || gw_skip "tcpdump -i lo needs root (or CAP_NET_RAW)"

gw_setup 150
T=$GW_TMP
mkdir -p "$T/caddy"

UPSTREAMS=(ok:ok u503:503 reset:reset close:close slow:slow
	garbage:garbage refuse:refuse blackhole:blackhole)
gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT
gw_read_ports "$T/ports" PORT

# route PATH LABEL [ID]: a reverse_proxy route to a badupstream port;
# ID set: the X-Request-Id sent upstream is replaced by Caddy's uuid.
caddy_route() {
	local hdr=
	[ -n "${3:-}" ] && hdr=',
	   "headers": {"request": {"set": {"X-Request-Id": ["{http.request.uuid}"]}}}'
	cat <<-EOF
	{"match": [{"path": ["/$1", "/$1/*"]}],
	 "handle": [{"handler": "reverse_proxy",
	   "upstreams": [{"dial": "127.0.0.1:${PORT[$2]}"}],
	   "transport": {"protocol": "http", "dial_timeout": "500ms",
	     "response_header_timeout": "1s"}$hdr}]},
	EOF
}

# server NAME PORT ID: one server (one regime).
server() {
	local b
	printf '"%s": {"listen": ["127.0.0.1:%s"], "automatic_https": {"disable": true},\n' "$1" "$2"
	printf ' "logs": {}, "routes": [\n'
	for b in ok u503 reset close slow garbage refuse blackhole; do
		caddy_route "$b" "$b" "$3"
	done
	cat <<-EOF
	{"match": [{"path": ["/limited/*"]}],
	 "handle": [{"handler": "static_response", "status_code": 429}]},
	{"match": [{"path": ["/nolive/*"]}],
	 "handle": [{"handler": "static_response", "status_code": 503}]},
	{"handle": [{"handler": "static_response", "status_code": 404}]}
	]}
	EOF
}

write_cfg() {
	{
		gw_caddy_conf_head "$T/caddy/caddy.log"
		server a "$PA" ""
		echo ,
		server b "$PB" uuid
		echo ,
		server c "$PC" ""
		echo '}}}}'
	} >"$T/caddy/caddy.json"
}

# start_caddy: the configuration for PA PB PC, and Caddy.
start_caddy() {
	write_cfg
	gw_caddy_start "$CADDY" "$T/caddy/caddy.json"
}
wire_gateway_start caddy start_caddy "$T/caddy.out"
CADDY_PID=$WIRE_GW_PID
mix() { wire_mix_basic "$1"; }
wire_record PORT
sleep 0.3
gw_stop "$CADDY_PID"

"$GW_BIN" ingest -d "$T/logs.db" "$T/caddy/caddy.log" >"$T/ingest.out" 2>&1 ||
	gw_fail "ingest: $(cat "$T/ingest.out")"
wire_labels_sed "$T/ports" >"$T/labels.sed"

# rows DB R: "path?query status cause upstream" of regime R, sorted.
rows() {
	wire_rows "$1" "r.query LIKE 'r=$2&%'" "$T/labels.sed"
}

# Caddy's own behaviour, from its log: the status it gave each failure
# the upstreams make (count_log PATH-PREFIX STATUS).
count_log() {
	gw_sql "$T/logs.db" "SELECT count(*) FROM request_view
	    WHERE path LIKE '/$1/%' AND status = $2"
}
gw_eq 75 "$(count_log refuse 502)" "Caddy: 502 for each refused connect"
gw_eq 12 "$(count_log blackhole 502)" "Caddy: 502 for each connect timeout"
gw_eq 18 "$(count_log slow 504)" "Caddy: 504 for each response header timeout"
gw_eq 75 "$(count_log nolive 503)" "Caddy: its own static 503"

for r in a b c; do
	# the same verdict as wire_tie_haproxy_e2e.sh's, as this test had it
	wire_compare "$r" Caddy "$T/logs.db" 400 120 nosrv=1 sh=1
	wire_status_counts "$r"
done
wire_shown_checks "$T/wire_a.db" "$T/wire_a.pcap" "$PA" \
	"127.0.0.1:${PORT[refuse]}" "gw-wire-caddy-$$"
[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks"
