#!/usr/bin/env bash
# nginx_e2e.sh - a real nginx in front of real misbehaving upstreams.
#
#   tests/e2e/nginx_e2e.sh                 the test (run by tests/run.sh)
#   tests/e2e/nginx_e2e.sh --logs-only DIR run nginx, copy the logs to DIR
#   tests/e2e/nginx_e2e.sh --demo DIR      richer mix, writes the demo sample
#
# badupstream (tests/tools) serves one misbehaviour per port on 127.0.0.1;
# nginx, started from a config written into a temp dir, proxies one location
# to each; httpload sends a known mix of requests and checks the status each
# one got. nginx is then stopped (SIGQUIT, waited for, so the logs are
# complete) and gatewatch ingests access.log + error.log, once in each order,
# into two databases. The test asserts that `gatewatch report` counts, per
# upstream and per cause, exactly the requests and attempts that were sent.
#
# Everything lives in one mktemp dir; every process is stopped by PID in the
# EXIT trap (tests/e2e/lib.sh); a watchdog ends the run after 60 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

RUN="test"
OUT=
case "${1:-}" in
--logs-only) RUN=logs; OUT=${2:?--logs-only DIR} ;;
--demo) RUN=demo; OUT=${2:?--demo DIR} ;;
"") ;;
*) echo "usage: $0 [--logs-only DIR | --demo DIR]" >&2; exit 2 ;;
esac

gw_need_cmd nginx
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
gw_need_tools badupstream httpload
if [ "$RUN" = test ] && [ ! -x "$GW_BIN" ]; then
	gw_fail "$GW_BIN not built"
fi

gw_setup 60
T=$GW_TMP
mkdir -p "$T/tmp" "$T/logs"
chmod 755 "$T"

HAVE_AUTH_REQUEST=
if "$NGINX" -V 2>&1 | grep -q -- --with-http_auth_request_module; then
	HAVE_AUTH_REQUEST=1
fi

# --- upstreams -------------------------------------------------------------

# LABEL:MODE for every port badupstream serves.
UPSTREAMS=(
	ok:ok retry_ok:ok limited_ok:ok authed_ok:ok
	u503:503 reset:reset close:close slow:slow garbage:garbage
	bigheader:bigheader truncate:truncate blackhole:blackhole
	refuse:refuse retry_refuse:refuse nolive_down:refuse
	authsvc:503
)
if [ "$RUN" = demo ]; then
	UPSTREAMS+=(
		users_a:ok users_b:ok users_c:refuse
		orders_a:ok orders_b:reset orders_c:ok
		search_a:ok search_b:slow
		pay_a:503 pay_b:ok
		legacy_a:garbage legacy_b:close
		media_a:truncate media_b:ok
	)
fi

gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT MODE
for u in "${UPSTREAMS[@]}"; do
	MODE[${u%%:*}]=${u#*:}
done
gw_read_ports "$T/ports" PORT

# --- nginx -----------------------------------------------------------------

# upstream_block NAME LABEL[/PARAMS]...: an upstream{} on badupstream ports.
upstream_block() {
	local name=$1 s
	shift
	printf '    upstream %s {\n' "$name"
	for s in "$@"; do
		local label=${s%%/*} params=
		[ "$s" != "$label" ] && params=" ${s#*/}"
		printf "        server 127.0.0.1:%s%s;  # %s (%s)\n" \
			"${PORT[$label]}" "${params//,/ }" "$label" \
			"${MODE[$label]}"
	done
	printf '    }\n'
}

# Write $T/nginx.conf listening on $1.
write_conf() {
	local listen=$1
	{
		echo "# written by tests/e2e/nginx_e2e.sh ($RUN run)"
		gw_nginx_conf_head "$T" "$ERROR_LEVEL" 512
		cat <<-EOF
		    proxy_next_upstream error timeout;
		    limit_req_zone \$binary_remote_addr zone=one_per_minute:1m rate=1r/m;
		EOF
		upstream_block u_ok ok
		upstream_block u_refuse refuse
		upstream_block u_reset reset
		upstream_block u_close close
		upstream_block u_slow slow
		upstream_block u_garbage garbage
		upstream_block u_bigheader bigheader
		upstream_block u_503 u503
		upstream_block u_truncate truncate
		upstream_block u_blackhole blackhole
		# Every request tries the refusing primary (never marked failed:
		# max_fails=0), then the backup: "502, 200".
		upstream_block u_retry retry_refuse/max_fails=0 retry_ok/backup
		# The only server is down: "no live upstreams", upstream_addr
		# is the group name.
		upstream_block u_nolive nolive_down/down
		upstream_block u_limited limited_ok
		upstream_block u_authed authed_ok
		upstream_block u_authsvc authsvc
		if [ "$RUN" = demo ]; then
			upstream_block users users_a users_b \
				users_c/max_fails=2,fail_timeout=2s
			upstream_block orders orders_a orders_b/max_fails=0 orders_c
			upstream_block search search_a search_b
			upstream_block payments pay_a pay_b/backup
			upstream_block legacy legacy_a legacy_b
			upstream_block media media_a/weight=3 media_b
		fi
		cat <<-EOF
		    server {
		        listen 127.0.0.1:$listen;
		        server_name gatewatch-e2e;
		        location /refuse { proxy_pass http://u_refuse; }
		        location /reset { proxy_pass http://u_reset; }
		        location /close { proxy_pass http://u_close; }
		        location /slow {
		            proxy_read_timeout 1s;
		            proxy_pass http://u_slow;
		        }
		        location /garbage { proxy_pass http://u_garbage; }
		        location /bigheader { proxy_pass http://u_bigheader; }
		        location /u503 { proxy_pass http://u_503; }
		        location /retry { proxy_pass http://u_retry; }
		        location /ok { proxy_pass http://u_ok; }
		        location /truncate { proxy_pass http://u_truncate; }
		        location /blackhole {
		            proxy_connect_timeout 500ms;
		            proxy_pass http://u_blackhole;
		        }
		        location /nolive { proxy_pass http://u_nolive; }
		        location /limited {
		            limit_req zone=one_per_minute;
		            limit_req_status 503;
		            proxy_pass http://u_limited;
		        }
		EOF
		if [ -n "$HAVE_AUTH_REQUEST" ]; then
			cat <<-EOF
			        location /authed {
			            auth_request /_auth;
			            proxy_pass http://u_authed;
			        }
			        location = /_auth {
			            internal;
			            proxy_pass_request_body off;
			            proxy_set_header Content-Length "";
			            proxy_pass http://u_authsvc;
			        }
			EOF
		fi
		if [ "$RUN" = demo ]; then
			cat <<-EOF
			        location /api/users/ { proxy_pass http://users; }
			        location /api/orders/ { proxy_pass http://orders; }
			        location /api/search {
			            proxy_read_timeout 1s;
			            proxy_pass http://search;
			        }
			        location /api/payments/ {
			            proxy_next_upstream error timeout http_503;
			            proxy_pass http://payments;
			        }
			        location /legacy/ { proxy_pass http://legacy; }
			        location /media/ { proxy_pass http://media; }
			EOF
		fi
		cat <<-EOF
		        location / { return 404; }
		    }
		}
		EOF
	} >"$T/nginx.conf"
}

ERROR_LEVEL=error
[ "$RUN" = demo ] && ERROR_LEVEL=warn

gw_nginx_start "$NGINX" "$T" write_conf
NGINX_PORT=$GW_NGINX_PORT
NGINX_PID=$GW_NGINX_PID

# load EXPECT [httpload options] PATH...: send, and require every answer's
# status to be EXPECT.
load() {
	local expect=$1
	shift
	"$GW_TOOLS/httpload" --port "$NGINX_PORT" --timeout-ms 5000 \
		--expect "$expect" --log "$T/load.log" "$@" >"$T/load.out" ||
		gw_fail "httpload $*: $(cat "$T/load.out")"
	cat "$T/load.log" >>"$T/sent"
}

# mix N LABEL CAUSE STATUS ATTEMPTS [httpload options] PATH: send N requests
# that must each get STATUS, and record what gatewatch must find for them:
# N requests under upstream LABEL ("-": none) with cause CAUSE, and per
# request the attempts ATTEMPTS, a comma list of LABEL:CAUSE ("-": none).
mix() {
	local n=$1 label=$2 cause=$3 status=$4 attempts=$5
	shift 5
	load "$status" --repeat "$n" "$@"
	gw_expect "$T/expect" "$n" "$label" "$cause" "$status" "$attempts"
}
: >"$T/sent"
: >"$T/expect.requests"
: >"$T/expect.attempts"

# --- traffic ---------------------------------------------------------------

# The known mix. nginx answers each as noted; causes per causes.md.
send_test_mix() {
	mix 7 refuse upstream_refused 502 refuse:upstream_refused \
		"/refuse/v1/items?id=1"
	mix 5 reset upstream_reset 502 reset:upstream_reset \
		"/reset/v1/items?id=2&sort=asc"
	mix 4 close upstream_closed_early 502 close:upstream_closed_early \
		"/close/v1/orders/17"
	mix 3 slow upstream_read_timeout 504 slow:upstream_read_timeout \
		--parallel 3 "/slow/report?from=2026-01-01"
	# relayed as HTTP/0.9: the client gets the bytes, the log says 009
	mix 3 garbage upstream_invalid_response 009 \
		garbage:upstream_invalid_response "/garbage/old"
	mix 3 bigheader upstream_header_too_big 502 \
		bigheader:upstream_header_too_big "/bigheader/x"
	mix 4 u503 upstream_5xx 503 u503:upstream_5xx "/u503/health"
	# first try refused, the backup answers: "502, 200"
	mix 4 retry_ok ok 200 retry_refuse:upstream_refused,retry_ok:ok \
		"/retry/v2/cart?session=abc"
	# header and 10 of 1000 body bytes sent: the client saw a 200
	mix 3 truncate upstream_truncated 200 truncate:upstream_truncated \
		"/truncate/files/a.bin"
	mix 2 blackhole upstream_connect_timeout 504 \
		blackhole:upstream_connect_timeout --parallel 2 "/blackhole/ping"
	# the group name stands in for an address: one attempt, no server
	mix 3 u_nolive no_live_upstream 502 u_nolive:no_live_upstream \
		"/nolive/x"
	mix 1 limited_ok ok 200 limited_ok:ok "/limited/a"
	mix 3 - rate_limited 503 - "/limited/a"
	mix 2 - ok 404 - "/nowhere"
	if [ -n "$HAVE_AUTH_REQUEST" ]; then
		mix 2 - auth_failure 500 - "/authed/me"
	fi
	# ok: 10 requests in odd shapes (query keys, IPv6-looking path, escapes)
	mix 2 ok ok 200 ok:ok "/ok/v1/users?userName=bob&age=42"
	mix 1 ok ok 200 ok:ok "/ok/v1/users?userName=alice&age=7&age=8"
	mix 1 ok ok 200 ok:ok "/ok/v1/users?age="
	mix 1 ok ok 200 ok:ok "/ok/[::1]:8080/x"
	mix 1 ok ok 200 ok:ok "/ok/fe80::1%25eth0"
	mix 1 ok ok 200 ok:ok "/ok/%7Euser/a%20b?q=%22x%22"
	mix 1 ok ok 200 ok:ok --method POST "/ok/v1/users"
	mix 1 ok ok 200 ok:ok --method HEAD "/ok/v1/users?userName=x"
	mix 1 ok ok 200 ok:ok "/ok"
}

# The demo: a few hundred requests over several pools, with retries.
send_demo_mix() {
	local i
	{
		for ((i = 0; i < 80; i++)); do
			echo "GET /api/users/$((i % 17))?fields=name,email"
			[ $((i % 3)) = 0 ] && echo "GET /api/users/?userName=u$i&age=$((20 + i % 50))"
			[ $((i % 4)) = 0 ] && echo "GET /api/orders/$((1000 + i))"
			[ $((i % 5)) = 0 ] && echo "POST /api/orders/"
			[ $((i % 6)) = 0 ] && echo "GET /api/payments/$i/status"
			[ $((i % 7)) = 0 ] && echo "GET /legacy/cgi-bin/report.pl?id=$i"
			[ $((i % 4)) = 1 ] && echo "GET /media/img/$i.jpg"
			[ $((i % 10)) = 0 ] && echo "GET /ok/health"
			[ $((i % 15)) = 0 ] && echo "GET /nowhere/$i"
			[ $((i % 12)) = 0 ] && echo "GET /retry/v2/cart?session=s$i"
		done
	} >"$T/demo.requests"
	"$GW_TOOLS/httpload" --port "$NGINX_PORT" --timeout-ms 5000 \
		--parallel 4 --file "$T/demo.requests" --log "$T/load.log" \
		>"$T/load.out"
	cat "$T/load.log" >>"$T/sent"
	# searches: half the pool is slow (504 after 1 s; GETs are retried
	# on timeout, so most end 200 after one failed attempt)
	"$GW_TOOLS/httpload" --port "$NGINX_PORT" --timeout-ms 5000 \
		--parallel 8 --repeat 16 --log "$T/load.log" \
		"/api/search?q=shoes&page=1" >>"$T/load.out"
	cat "$T/load.log" >>"$T/sent"
	send_test_mix
}

if [ "$RUN" = demo ]; then
	send_demo_mix
else
	send_test_mix
fi

# Stop nginx gracefully and wait: its logs are complete once it is gone.
gw_stop "$NGINX_PID" QUIT
[ -s "$T/logs/access.log" ] || gw_fail "nginx wrote no access log"
n_sent=$(wc -l <"$T/sent")
n_logged=$(wc -l <"$T/logs/access.log")
[ "$n_sent" = "$n_logged" ] ||
	gw_fail "sent $n_sent requests, nginx logged $n_logged"

case "$RUN" in
logs | demo)
	mkdir -p "$OUT"
	cp "$T/logs/access.log" "$T/logs/error.log" "$T/nginx.conf" \
		"$T/sent" "$T/ports" "$OUT/"
	gw_log "logs written to $OUT"
	exit 0
	;;
esac

# --- gatewatch -------------------------------------------------------------

# Turn "127.0.0.1:PORT" back into the badupstream label, for readable diffs.
gw_labels_sed "$T/ports" >"$T/labels.sed"

# check_report DB KEYS: csv and json reports of DB both equal what was sent.
check_report() {
	gw_check_report "$1" "$2" "$T/expect" "$T/labels.sed"
}

L=$T/logs
"$GW_BIN" ingest -d "$T/gw.db" "$L/access.log" "$L/error.log" \
	>"$T/ingest1.out" 2>&1 || gw_fail "ingest: $(cat "$T/ingest1.out")"
"$GW_BIN" ingest -d "$T/gw-rev.db" "$L/error.log" "$L/access.log" \
	>"$T/ingest2.out" 2>&1 || gw_fail "ingest (error.log first):" \
	"$(cat "$T/ingest2.out")"

for db in "$T/gw.db" "$T/gw-rev.db"; do
	check_report "$db" upstream
	check_report "$db" cause
	check_report "$db" upstream,cause
done

# A few facts straight from the database (gw_sql: `gatewatch sql`, which
# sees every request, also those kept in blocks): the schema is documented
# for users, so these queries are part of the test.
sql_eq() {
	local want=$1 what=$2 query=$3 got
	got=$(gw_sql "$T/gw.db" "$query" 2>&1) || got="gatewatch sql failed: $got"
	gw_eq "$want" "$got" "$what" || true
}
{
	n_errors=$(wc -l <"$L/error.log")
	sql_eq "$n_sent" "requests stored" "SELECT count(*) FROM requests_all"
	sql_eq 0 "lines rejected" "SELECT count(*) FROM rejects"
	sql_eq "$n_errors|$n_errors" "error-log lines stored|joined" \
		"SELECT count(*), count(request_id) FROM gateway_errors"
	sql_eq "age=<number>&userName=<text>" "query shape" \
		"SELECT s.name FROM requests_all r JOIN shapes s ON s.id = r.shape_id
		 WHERE r.query = 'userName=bob&age=42' LIMIT 1"
	sql_eq 4 "requests with two attempts" \
		"SELECT count(*) FROM requests_all WHERE n_attempts = 2"
}

# Ingesting the same files again adds nothing.
"$GW_BIN" ingest -d "$T/gw.db" "$L/access.log" "$L/error.log" \
	>"$T/ingest3.out" 2>&1 || gw_fail "re-ingest: $(cat "$T/ingest3.out")"
check_report "$T/gw.db" upstream

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_log "ingest output: $(cat "$T/ingest1.out")"
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: $n_sent requests, $GW_ASSERTS checks passed"
