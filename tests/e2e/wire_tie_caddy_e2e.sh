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
# Only lo / 127.0.0.1; processes stopped by PID (lib.sh); watchdog 120 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd caddy tcpdump sqlite3
CADDY=$(command -v caddy 2>/dev/null || echo /usr/bin/caddy)
TCPDUMP=$(command -v tcpdump 2>/dev/null || echo /usr/sbin/tcpdump)
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
[ "$(id -u)" = 0 ] || gw_skip "tcpdump -i lo needs root (or CAP_NET_RAW)"

gw_setup 150
T=$GW_TMP
mkdir -p "$T/caddy" "$T/xdg"

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
		cat <<-EOF
		{"admin": {"disabled": true},
		 "logging": {"logs": {
		   "default": {"level": "DEBUG", "encoder": {"format": "json"},
		     "writer": {"output": "file",
		       "filename": "$T/caddy/caddy.log"}}}},
		 "apps": {"http": {"servers": {
		EOF
		server a "$PA" ""
		echo ,
		server b "$PB" uuid
		echo ,
		server c "$PC" ""
		echo '}}}}'
	} >"$T/caddy/caddy.json"
}

# wait_port PORT PID: until something accepts on 127.0.0.1:PORT.
wait_port() {
	local port=$1 pid=$2 i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

CADDY_PID=
for attempt in 1 2 3; do
	PA=$(gw_free_port)
	PB=$(gw_free_port)
	PC=$(gw_free_port)
	write_cfg
	gw_start caddy env HOME="$T/xdg" XDG_DATA_HOME="$T/xdg" \
		XDG_CONFIG_HOME="$T/xdg" "$CADDY" run --config "$T/caddy/caddy.json"
	CADDY_PID=$GW_LAST_PID
	wait_port "$PA" "$CADDY_PID" && wait_port "$PB" "$CADDY_PID" &&
		wait_port "$PC" "$CADDY_PID" && break
	gw_log "caddy did not start (attempt $attempt): $(tail -5 "$T/caddy.out")"
	gw_stop "$CADDY_PID"
	CADDY_PID=
done
[ -n "$CADDY_PID" ] || gw_fail "caddy did not start"

FILTER="tcp and (port $PA or port $PB or port $PC"
for label in "${!PORT[@]}"; do
	FILTER="$FILTER or port ${PORT[$label]}"
done
FILTER="$FILTER)"

# mix R: the requests of regime R, shuffled (a fixed order per run).
mix() {
	local r=$1 i
	{
		for ((i = 0; i < 240; i++)); do echo "GET /ok/items?r=$r&i=$i"; done
		for ((i = 0; i < 25; i++)); do
			echo "GET /u503/x?r=$r&i=$i"
			echo "GET /reset/x?r=$r&i=$i"
			echo "GET /close/x?r=$r&i=$i"
			echo "GET /refuse/x?r=$r&i=$i"
			echo "GET /limited/x?r=$r&i=$i"
			echo "GET /nolive/x?r=$r&i=$i"
		done
		for ((i = 0; i < 15; i++)); do echo "GET /garbage/x?r=$r&i=$i"; done
		for ((i = 0; i < 6; i++)); do echo "GET /slow/x?r=$r&i=$i"; done
		for ((i = 0; i < 4; i++)); do echo "GET /blackhole/x?r=$r&i=$i"; done
	} | shuf --random-source=<(yes "$r")
}

# run_regime R PORT [HTTPLOAD-ARGS...]
run_regime() {
	local r=$1 port=$2 td i
	shift 2
	mix "$r" >"$T/mix.$r"
	gw_start "tcpdump_$r" "$TCPDUMP" -i lo -s 0 -B 131072 \
		-w "$T/wire_$r.pcap" "$FILTER"
	td=$GW_LAST_PID
	for ((i = 0; i < 100; i++)); do
		grep -q "listening on" "$T/tcpdump_$r.out" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.2
	if [ "$r" = c ]; then
		awk 'NR % 2 == 0' "$T/mix.c" >"$T/mix.c1"
		awk 'NR % 2 == 1' "$T/mix.c" >"$T/mix.c2"
		"$GW_TOOLS/httpload" --port "$port" --timeout-ms 8000 \
			--parallel 8 --keepalive 40 --pipeline 4 \
			--request-id unique --file "$T/mix.c1" >/dev/null &
		local l1=$!
		"$GW_TOOLS/httpload" --port "$port" --timeout-ms 8000 \
			--parallel 8 --keepalive 40 --pipeline 4 \
			--request-id same:one-id-for-all --file "$T/mix.c2" \
			>/dev/null || true
		wait "$l1" || true
	else
		"$GW_TOOLS/httpload" --port "$port" --timeout-ms 8000 \
			--parallel 16 --keepalive 40 --pipeline 4 "$@" \
			--file "$T/mix.$r" >/dev/null || true
	fi
	# The unanswered SYNs of the blackhole are declared given up when
	# their first retransmission is overdue (1.5 s on) by the capture's
	# own clock, the time of its packets (Caddy gives up at 500 ms and
	# sends nothing): a connection to an upstream 1.6 s after the last
	# request carries that clock past the point. Then tcpdump hands
	# packets over by blocks (up to 1 s late).
	sleep 1.6
	exec 9<>"/dev/tcp/127.0.0.1/${PORT[ok]}" && exec 9<&- 9>&-
	sleep 2
	gw_stop "$td"
	grep -q "^0 packets dropped by kernel" "$T/tcpdump_$r.out" ||
		gw_skip "tcpdump lost packets (machine too busy): $(cat "$T/tcpdump_$r.out")"
}

run_regime a "$PA" --request-id none
run_regime b "$PB" --request-id unique
run_regime c "$PC"
sleep 0.3
gw_stop "$CADDY_PID"

"$GW_BIN" ingest -d "$T/logs.db" "$T/caddy/caddy.log" >"$T/ingest.out" 2>&1 ||
	gw_fail "ingest: $(cat "$T/ingest.out")"
# upstream names to labels: ip:port
{
	while read -r label port; do
		echo "s| 127\\.0\\.0\\.1:$port\$| $label|"
	done <"$T/ports"
} >"$T/labels.sed"

# rows DB R: "path?query status cause upstream" of regime R, sorted.
rows() {
	sqlite3 -separator ' ' "$1" "SELECT p.name || '?' || r.query, r.status,
	    c.name, u.name FROM requests r JOIN paths p ON p.id = r.path_id
	    JOIN causes c ON c.id = r.cause JOIN upstreams u ON
	    u.id = r.upstream_id WHERE r.query LIKE 'r=$2&%'  ORDER BY 1" |
	    sed -f "$T/labels.sed" | sort
}

# Caddy's own behaviour, from its log: the status it gave each failure
# the upstreams make (count_log PATH-PREFIX STATUS).
count_log() {
	sqlite3 "$T/logs.db" "SELECT count(*) FROM requests r JOIN paths p ON
	    p.id = r.path_id WHERE p.name LIKE '/$1/%' AND r.status = $2"
}
gw_eq 75 "$(count_log refuse 502)" "Caddy: 502 for each refused connect"
gw_eq 12 "$(count_log blackhole 502)" "Caddy: 502 for each connect timeout"
gw_eq 18 "$(count_log slow 504)" "Caddy: 504 for each response header timeout"
gw_eq 75 "$(count_log nolive 503)" "Caddy: its own static 503"

for r in a b c; do
	case $r in a) port=$PA ;; b) port=$PB ;; c) port=$PC ;; esac
	"$GW_BIN" capture -d "$T/wire_$r.db" -r "$T/wire_$r.pcap" \
		--listen "$port" >"$T/capture_$r.out" 2>&1 ||
		gw_fail "capture -r: $(cat "$T/capture_$r.out")"
	rows "$T/logs.db" "$r" >"$T/log_rows.$r"
	rows "$T/wire_$r.db" "$r" >"$T/wire_rows.$r"
	[ "$(wc -l <"$T/log_rows.$r")" -ge 400 ] ||
		gw_fail "regime $r: only $(wc -l <"$T/log_rows.$r") requests logged"
	awk -v out="$T/verdict.$r" '
	FNR == 1 { f++ }
	f == 1 { ls[$1] = $2; lc[$1] = $3; lu[$1] = $4; next }
	{ ws[$1] = $2; wc[$1] = $3; wu[$1] = $4 }
	END {
		for (k in ls) {
			if (!(k in ws)) { missing++; print "missing " k > out; continue }
			if (ws[k] != ls[k]) { status++; print "status " k " log " ls[k] " wire " ws[k] > out }
			failed = ls[k] >= 500 || ls[k] == 9
			if (!failed) {
				if (wc[k] != "ok") { nonfail++; print "cause on a success " k " " wc[k] > out }
				continue
			}
			if (lc[k] == "rate_limited" || lc[k] == "no_live_upstream" ||
			    lu[k] == "-") {
				gw++
				if (wu[k] != "-") { blamed++; print "blamed " k " " wu[k] > out }
				continue
			}
			up++
			# SH in the log: a reset or a close; the wire tells which
			same = wc[k] == lc[k] || (lc[k] == "upstream_closed_early" &&
			    wc[k] == "upstream_reset")
			if (same && wu[k] == lu[k]) upok++
			else print "tie " k " log " lc[k] " " lu[k] " wire " wc[k] " " wu[k] > out
		}
		for (k in ws) if (!(k in ls)) { extra++; print "extra " k > out }
		printf "%d %d %d %d %d %d %d %d %d\n", length(ls), missing + 0,
		    extra + 0, status + 0, nonfail + 0, up, upok + 0, gw + 0,
		    blamed + 0
	}' "$T/log_rows.$r" "$T/wire_rows.$r" >"$T/figures.$r"
	read -r total missing extra status nonfail up upok gwmade blamed \
		<"$T/figures.$r"
	gw_log "regime $r: $total requests; failed with an upstream cause $up," \
		"tied right $upok; Caddy's own answers $gwmade (blamed" \
		"$blamed); $(grep "gateway port" "$T/capture_$r.out")"
	gw_eq 0 "$missing" "regime $r: logged requests the capture lacks" || true
	gw_eq 0 "$extra" "regime $r: captured requests Caddy did not log" || true
	gw_eq 0 "$status" "regime $r: statuses that differ from the log" || true
	gw_eq 0 "$nonfail" "regime $r: wire causes on successes" || true
	gw_eq 0 "$blamed" "regime $r: Caddy's own answers blamed on an upstream" || true
	[ "$up" -ge 120 ] || gw_eq ">=120" "$up" "regime $r: upstream failures" || true
	# the status counts, as Caddy's log and the capture say
	gw_eq "$(cut -d' ' -f2 "$T/log_rows.$r" | sort | uniq -c | tr -s ' \n' ' ')" \
		"$(cut -d' ' -f2 "$T/wire_rows.$r" | sort | uniq -c | tr -s ' \n' ' ')" \
		"regime $r: status counts (log, capture)" || true
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if [ $((upok * 100)) -lt $((up * 98)) ]; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "regime $r: only $upok of $up failed requests tied right"
	fi
	if [ -s "$T/verdict.$r" ]; then
		gw_log "regime $r: differences (first 20):"
		head -20 "$T/verdict.$r" >&2
	fi
done
[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks"
