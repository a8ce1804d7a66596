#!/usr/bin/env bash
# wire_tie_e2e.sh - gateway-host mode (`capture --listen`) against a real
# nginx, with keep-alive, pipelining clients, in three request-id regimes,
# refereed request by request by nginx's own logs.
#
# badupstream (tests/tools) serves one misbehaviour per port on 127.0.0.1:
# ok, 503, reset, close, slow (read timeout), garbage (nginx relays it as
# HTTP/0.9 and logs 009), refuse, blackhole (connect timeout), a down pool
# of two refusing servers (failed first by one request, alone; then "no
# live upstreams"), a rate limit
# (limit_req), a failing auth service (auth_request -> 503) and a passing
# one, and a prefix rewrite (proxy_pass http://u/v2/). For each regime
#   (a) clients send no id, nginx sets none;
#   (b) clients send their own X-Request-Id, nginx replaces it upstream
#       (proxy_set_header X-Request-ID $request_id);
#   (c) nginx passes the client's id through; half the clients send unique
#       ids, the other half all send the same one (issue 16 item 3);
# httpload sends the mix over 16 keep-alive connections, 4 requests
# pipelined, every request with its own query (?r=R&i=N) so each can be
# found in both databases; tcpdump records lo; `capture -r --listen` reads
# the file, `ingest` reads nginx's access and error logs. Asserts, per
# regime:
#   - every request nginx logged is stored by the capture with the same
#     status (and, when it succeeded, the same upstream), and the capture
#     stores no request nginx did not log;
#   - >= 98% of the failed requests with an upstream cause are tied to
#     the same upstream with the same cause as nginx's logs say;
#   - gateway-made refusals (rate limit, no live upstream) are never
#     blamed on an upstream; a failed auth service makes auth_failure with
#     the auth service as its upstream.
# The recording, the verdict and the checks every gateway passes are
# wire_lib.sh's; this file keeps its gateway's configuration and checks.
# Only lo / 127.0.0.1; processes stopped by PID (lib.sh); watchdog 150 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/wire_lib.sh

gw_need_cmd nginx tcpdump sqlite3
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
[ "$(id -u)" = 0 ] || gw_skip "tcpdump -i lo needs root (or CAP_NET_RAW)"
"$NGINX" -V 2>&1 | grep -q -- --with-http_auth_request_module ||
	gw_skip "nginx without auth_request"

gw_setup 170
T=$GW_TMP
mkdir -p "$T/tmp" "$T/logs"
chmod 755 "$T"

UPSTREAMS=(ok:ok u503:503 reset:reset close:close slow:slow
	garbage:garbage refuse:refuse blackhole:blackhole down1:refuse
	down2:refuse authfail:503 authok:ok)
gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT
gw_read_ports "$T/ports" PORT
PA=$(gw_free_port)
PB=$(gw_free_port)
PC=$(gw_free_port)

# server_block REGIME PORT ID_DIRECTIVES
server_block() {
	cat <<-EOF
	    server {
	        listen 127.0.0.1:$2;
	        access_log $T/logs/access_$1.log upstream;
	        $3
	        location /ok/ { proxy_pass http://u_ok; }
	        location /api/ { proxy_pass http://u_ok/v2/; }
	        location /u503/ { proxy_pass http://u_503; }
	        location /reset/ { proxy_pass http://u_reset; }
	        location /close/ { proxy_pass http://u_close; }
	        location /slow/ { proxy_read_timeout 1s; proxy_pass http://u_slow; }
	        location /garbage/ { proxy_pass http://u_garbage; }
	        location /refuse/ { proxy_pass http://u_refuse; }
	        location /blackhole/ {
	            proxy_connect_timeout 300ms;
	            proxy_pass http://u_blackhole;
	        }
	        location /down/ { proxy_pass http://u_down_$1; }
	        location /limited/ {
	            limit_req zone=lim nodelay;
	            limit_req_status 503;
	            proxy_pass http://u_ok;
	        }
	        location /authfail/ { auth_request /_authfail; proxy_pass http://u_ok; }
	        location = /_authfail {
	            internal;
	            proxy_pass http://u_authfail/check;
	            proxy_pass_request_body off;
	            proxy_set_header Content-Length "";
	            proxy_set_header X-Original-URI \$request_uri;
	        }
	        location /authok/ { auth_request /_authok; proxy_pass http://u_ok; }
	        location = /_authok {
	            internal;
	            proxy_pass http://u_authok/check;
	            proxy_pass_request_body off;
	            proxy_set_header Content-Length "";
	            proxy_set_header X-Original-URI \$request_uri;
	        }
	        location / { return 404; }
	    }
	EOF
}

write_conf() {
	{
		echo "# written by tests/e2e/wire_tie_e2e.sh"
		gw_nginx_conf_head "$T" error 1024
		cat <<-EOF2
		    limit_req_zone \$binary_remote_addr zone=lim:1m rate=2r/s;
		    upstream u_ok { server 127.0.0.1:${PORT[ok]}; }
		    upstream u_503 { server 127.0.0.1:${PORT[u503]}; }
		    upstream u_reset { server 127.0.0.1:${PORT[reset]}; }
		    upstream u_close { server 127.0.0.1:${PORT[close]}; }
		    upstream u_slow { server 127.0.0.1:${PORT[slow]}; }
		    upstream u_garbage { server 127.0.0.1:${PORT[garbage]}; }
		    upstream u_refuse { server 127.0.0.1:${PORT[refuse]}; }
		    upstream u_blackhole { server 127.0.0.1:${PORT[blackhole]}; }
		EOF2
		for r in a b c; do
			cat <<-EOF2
			    upstream u_down_$r {
			        server 127.0.0.1:${PORT[down1]} max_fails=1 fail_timeout=120s;
			        server 127.0.0.1:${PORT[down2]} max_fails=1 fail_timeout=120s;
			    }
			EOF2
		done
		cat <<-EOF2
		    upstream u_authfail { server 127.0.0.1:${PORT[authfail]}; }
		    upstream u_authok { server 127.0.0.1:${PORT[authok]}; }
		EOF2
		server_block a "$1" ""
		server_block b "$PB" 'proxy_set_header X-Request-ID $request_id;'
		server_block c "$PC" ""
		echo "}"
	} >"$T/nginx.conf"
}
gw_nginx_start "$NGINX" "$T" write_conf
PA=$GW_NGINX_PORT

# mix R: the requests of regime R, shuffled (a fixed order per run).
mix() {
	wire_mix "$1" "240 /ok/items" "40 /api/users" \
		"25 /u503/x /reset/x /close/x /refuse/x /limited/x /authfail/x /authok/x" \
		"15 /garbage/x /down/x" "6 /slow/x" "4 /blackhole/x"
}

# warm_down R PORT: the regime's down pool (its own peer state) fails in
# isolation first: one request whose two connects are refused (nginx then
# marks both servers down for 120 s; every later /down is its own "no
# live upstreams"). Left to the concurrent load, the pool dies amid other
# refusals, and which request met its last live server and which found
# none is decided inside nginx within microseconds: a request logged as
# "no live upstreams" may also have had a refused connect of its own (its
# error log says so), which the wire rightly ties, while nginx's log calls
# it gateway-made.
warm_down() {
	local r=$1 port=$2
	echo "GET /down/x?r=$r&i=warm" >"$T/mix.warm_$r"
	"$GW_TOOLS/httpload" --port "$port" --timeout-ms 8000 --parallel 1 \
		--file "$T/mix.warm_$r" --log "$T/load_warm_$r.log" \
		>"$T/load_warm_$r.out" || true
}
WIRE_WARMUP=warm_down
WIRE_LOAD_LOG=1

wire_record PORT
sleep 0.5
gw_stop "$GW_NGINX_PID" QUIT

# rows DB R: "path?query status cause upstream" per request of DB, sorted.
rows() { wire_rows "$1"; }

for r in a b c; do
	port=$(wire_regime_port "$r")
	"$GW_BIN" ingest -d "$T/logs_$r.db" "$T/logs/access_$r.log" \
		"$T/logs/error.log" >"$T/ingest_$r.out" 2>&1 ||
		gw_fail "ingest: $(cat "$T/ingest_$r.out")"
	wire_compare "$r" nginx "$T/logs_$r.db" 450 100 \
		auth="127.0.0.1:${PORT[authfail]}" okup=1
	# successes under the upstream nginx logged: at least 99% (exact
	# equality is not reached yet: about one success in 500 is left
	# without its attempt in some runs; see the notes of issue 10)
	okn=$(awk '$2 < 500 && $2 != 9' "$T/log_rows.$r" | wc -l)
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if [ $((WV_OKUP * 100)) -gt "$okn" ]; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "regime $r: $WV_OKUP of $okn successes under another upstream"
	fi
	gw_eq "$WV_AU" "$WV_AUOK" "regime $r: auth failures with the auth service" || true
	# the report shows the tied share of this gateway port, the untied
	# failures (the gateway's own refusals here) apart
	"$GW_BIN" report -d "$T/wire_$r.db" >"$T/report_$r.out" 2>&1 ||
		gw_fail "report: $(cat "$T/report_$r.out")"
	# (a line missing is a mismatch below, not a silent exit of set -e)
	want_failed=$(grep "gateway port $port:" "$T/capture_$r.out" |
		sed -n 's/.* \([0-9]*\) failed, \([0-9]*\) tied.*/\1 \2/p' || true)
	got_failed=$(grep "gateway port $port:" "$T/report_$r.out" |
		sed -n 's/.* \([0-9]*\) failed, \([0-9]*\) tied.*/\1 \2/p' || true)
	gw_eq "$want_failed" "$got_failed" "regime $r: report's tied share of port $port" || true
	[ -n "$got_failed" ] || gw_eq "a line" "none" "regime $r: report's port line" || true
done
[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks"
