#!/usr/bin/env bash
# prometheus_e2e.sh - a real Prometheus scrapes `gatewatch tail
# --metrics-listen` following a real nginx and a real HAProxy in front of
# misbehaving upstreams.
#
# badupstream serves one failure mode per port; nginx and HAProxy (configs
# in a temp dir) proxy to them; gatewatch tail follows nginx's access and
# error log and HAProxy's log (its stdout, `log stdout format rfc3164`)
# and serves /metrics on a free port of 127.0.0.1; Debian's prometheus runs
# with its own temp storage, a 1 s scrape and evaluation interval and the
# shipped rules (contrib/prometheus/gatewatch.rules.yml). While httpload
# sends a known mix of failures, and after, the test asserts through
# Prometheus's HTTP API:
#   - up == 1 for the gatewatch job;
#   - per upstream x cause, requests and attempts equal `gatewatch report
#     --by upstream,cause --format json` over the same run (tail started on
#     an empty database, so the report's window is the counters' lifetime);
#   - lines read and rejected equal the lines in the logs and the one
#     garbage line appended;
#   - every query of contrib/prometheus/gatewatch.dashboard.json returns
#     data, and the recording rules and the no-live-server alert evaluate;
#   - promtool check metrics passes on the live /metrics and on
#     `gatewatch metrics`.
# Everything is stopped by PID (tests/e2e/lib.sh); a watchdog ends the run.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd nginx haproxy prometheus promtool curl jq
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
CONTRIB=$PWD/contrib/prometheus

gw_setup 150
T=$GW_TMP
mkdir -p "$T/tmp" "$T/logs" "$T/prom"
chmod 755 "$T"

# --- upstreams and nginx -----------------------------------------------------

UPSTREAMS=(ok:ok refuse:refuse reset:reset close:close slow:slow u503:503
	retry_refuse:refuse retry_ok:ok nolive_down:refuse limited_ok:ok
	hap_ok:ok hap_503:503 hap_close:close hap_refuse:refuse hap_down:refuse)
gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT
gw_read_ports "$T/ports" PORT

write_conf() {
	{
		gw_nginx_conf_head "$T" error 512
		cat <<-EOF
		    proxy_next_upstream error timeout;
		    limit_req_zone \$binary_remote_addr zone=one_per_minute:1m rate=1r/m;
		    upstream u_ok { server 127.0.0.1:${PORT[ok]}; }
		    upstream u_refuse { server 127.0.0.1:${PORT[refuse]}; }
		    upstream u_reset { server 127.0.0.1:${PORT[reset]}; }
		    upstream u_close { server 127.0.0.1:${PORT[close]}; }
		    upstream u_slow { server 127.0.0.1:${PORT[slow]}; }
		    upstream u_503 { server 127.0.0.1:${PORT[u503]}; }
		    upstream u_retry {
		        server 127.0.0.1:${PORT[retry_refuse]} max_fails=0;
		        server 127.0.0.1:${PORT[retry_ok]} backup;
		    }
		    upstream u_nolive { server 127.0.0.1:${PORT[nolive_down]} down; }
		    upstream u_limited { server 127.0.0.1:${PORT[limited_ok]}; }
		    server {
		        listen 127.0.0.1:$1;
		        location /ok { proxy_pass http://u_ok; }
		        location /refuse { proxy_pass http://u_refuse; }
		        location /reset { proxy_pass http://u_reset; }
		        location /close { proxy_pass http://u_close; }
		        location /slow { proxy_read_timeout 1s; proxy_pass http://u_slow; }
		        location /u503 { proxy_pass http://u_503; }
		        location /retry { proxy_pass http://u_retry; }
		        location /nolive { proxy_pass http://u_nolive; }
		        location /limited {
		            limit_req zone=one_per_minute;
		            limit_req_status 503;
		            proxy_pass http://u_limited;
		        }
		        location / { return 404; }
		    }
		}
		EOF
	} >"$T/nginx.conf"
}
gw_nginx_start "$NGINX" "$T" write_conf
NGINX_PORT=$GW_NGINX_PORT
: >"$T/logs/access.log"
[ -f "$T/logs/error.log" ] || : >"$T/logs/error.log"

# HAProxy 2.6 in the foreground, its log lines on stdout (the file tail
# follows); servers named after their badupstream label.
write_haproxy_cfg() {
	{
		gw_haproxy_conf_head
		cat <<-EOF
	frontend fe
	    bind 127.0.0.1:$1
	    http-request deny deny_status 429 if { path_beg /limited }
	    use_backend be_503 if { path_beg /u503 }
	    use_backend be_close if { path_beg /close }
	    use_backend be_refuse if { path_beg /refuse }
	    use_backend be_down if { path_beg /down }
	    default_backend be_ok
	backend be_ok
	    server hap_ok 127.0.0.1:${PORT[hap_ok]}
	backend be_503
	    server hap_503 127.0.0.1:${PORT[hap_503]}
	backend be_close
	    server hap_close 127.0.0.1:${PORT[hap_close]}
	backend be_refuse
	    server hap_refuse 127.0.0.1:${PORT[hap_refuse]}
	backend be_down
	    server hap_down 127.0.0.1:${PORT[hap_down]} disabled
	EOF
	} >"$T/haproxy.cfg"
}
HAP_PORT=
for attempt in 1 2 3; do
	port=$(gw_free_port)
	write_haproxy_cfg "$port"
	"$HAPROXY" -c -q -f "$T/haproxy.cfg" >"$T/haproxy-c.out" 2>&1 ||
		gw_fail "haproxy -c: $(cat "$T/haproxy-c.out")"
	gw_start haproxy sh -c 'exec "$1" -db -f "$2" >>"$3" 2>"$4"' sh \
		"$HAPROXY" "$T/haproxy.cfg" "$T/logs/haproxy.log" "$T/haproxy.err"
	for ((i = 0; i < 50; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			HAP_PORT=$port
			break
		fi
		kill -0 "$GW_LAST_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$HAP_PORT" ] && break
	gw_log "haproxy did not start on $port: $(cat "$T/haproxy.err")"
	gw_stop "$GW_LAST_PID"
done
[ -n "$HAP_PORT" ] || gw_fail "haproxy did not start"
touch "$T/logs/haproxy.log"

# --- gatewatch tail with the exporter ----------------------------------------

gw_start tail "$GW_BIN" tail -d "$T/gw.db" --metrics-listen 127.0.0.1:0 \
	"$T/logs/access.log" "$T/logs/error.log" "$T/logs/haproxy.log"
TAIL_PID=$GW_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q 'metrics at http://' "$T/tail.out" 2>/dev/null && break
	kill -0 "$TAIL_PID" 2>/dev/null || gw_fail "tail died: $(cat "$T/tail.out")"
	sleep 0.1
done
METRICS=$(sed -n 's|.*metrics at http://\([^/]*\)/metrics.*|\1|p' "$T/tail.out" | head -1)
[ -n "$METRICS" ] || gw_fail "tail did not say where it serves: $(cat "$T/tail.out")"
gw_log "gatewatch serves http://$METRICS/metrics"

# --- prometheus --------------------------------------------------------------

PROM=
for attempt in 1 2 3; do
	PPORT=$(gw_free_port)
	cat >"$T/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	  evaluation_interval: 1s
	rule_files:
	  - $CONTRIB/gatewatch.rules.yml
	scrape_configs:
	  - job_name: gatewatch
	    static_configs:
	      - targets: ['$METRICS']
	EOF
	gw_start prometheus prometheus --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/prom" --web.listen-address="127.0.0.1:$PPORT" \
		--log.level=warn
	for ((i = 0; i < 300; i++)); do
		kill -0 "$GW_LAST_PID" 2>/dev/null || break
		if curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null 2>&1; then
			PROM=http://127.0.0.1:$PPORT
			break
		fi
		sleep 0.1
	done
	[ -n "$PROM" ] && break
	gw_log "prometheus did not start on $PPORT: $(tail -5 "$T/prometheus.out")"
	gw_stop "$GW_LAST_PID"
done
[ -n "$PROM" ] || gw_fail "prometheus did not start"

# query EXPR: the JSON result vector of an instant query (fails on error).
query() {
	local out
	out=$(curl -sf --max-time 10 "$PROM/api/v1/query" \
		--data-urlencode "query=$1") || gw_fail "query failed: $1"
	[ "$(jq -r .status <<<"$out")" = success ] || gw_fail "query: $1: $out"
	jq -c '.data.result' <<<"$out"
}

# Prometheus applies new targets on its discovery reload (every 5 s): wait
# for its first scrape, as failures come to a Prometheus already scraping.
# (What gatewatch counts before a target's first scrape is in that scrape's
# values, which rate() cannot see as an increase - true of any exporter.)
got=
for ((i = 0; i < 200; i++)); do
	got=$(query 'up{job="gatewatch"}' | jq -r '.[0].value[1] // "none"')
	[ "$got" = 1 ] && break
	sleep 0.1
done
gw_eq 1 "$got" "up before the traffic" || gw_fail "Prometheus does not scrape gatewatch"

# --- traffic -------------------------------------------------------------------

load() {
	local expect=$1 port=$NGINX_PORT
	shift
	if [ "$1" = --hap ]; then
		port=$HAP_PORT
		shift
	fi
	"$GW_TOOLS/httpload" --port "$port" --timeout-ms 5000 \
		--expect "$expect" --log "$T/load.log" "$@" >"$T/load.out" ||
		gw_fail "httpload $*: $(cat "$T/load.out")"
	cat "$T/load.log" >>"$T/sent"
}
: >"$T/sent"
load 200 --repeat 40 "/ok/v1/users?id=1"
load 502 --repeat 7 "/refuse/v1/items?id=1"
load 502 --repeat 5 "/reset/v1/items?id=2"
load 502 --repeat 4 "/close/v1/orders/17"
load 504 --repeat 2 --parallel 2 "/slow/report"
load 503 --repeat 4 "/u503/health"
load 200 --repeat 4 "/retry/v2/cart?session=abc"
load 502 --repeat 3 "/nolive/x"
load 200 --repeat 1 "/limited/a"
load 503 --repeat 3 "/limited/a"
load 404 --repeat 2 "/nowhere"
load 200 --hap --repeat 20 "/ok/v1/users"
load 503 --hap --repeat 4 "/u503/health"
load 502 --hap --repeat 3 "/close/v1/orders/17"
load 503 --hap --repeat 3 "/refuse/x"
load 503 --hap --repeat 2 "/down/x"
load 429 --hap --repeat 2 "/limited/a"
# A line no parser knows: counted as read and as rejected.
printf 'this is not an access log line\n' >>"$T/logs/access.log"
n_sent=$(wc -l <"$T/sent")

# --- wait for gatewatch to store everything --------------------------------------

stored=0
for ((i = 0; i < 200; i++)); do
	stored=$("$GW_BIN" report -d "$T/gw.db" --by cause --format json 2>/dev/null |
		jq '[.[].requests] | add // 0')
	[ "$stored" = "$n_sent" ] && break
	sleep 0.1
done
gw_eq "$n_sent" "$stored" "requests stored by tail" || gw_fail "tail did not store every request"

# What the report says, per upstream x cause: "upstream cause requests" and
# "upstream cause attempts" (groups with none left out).
"$GW_BIN" report -d "$T/gw.db" --by upstream,cause --format json >"$T/report.json"
jq -r '.[] | select(.requests > 0) | "\(.upstream) \(.cause) \(.requests)"' \
	"$T/report.json" | sort >"$T/want.requests"
jq -r '.[] | select(.attempts > 0) | "\(.upstream) \(.cause) \(.attempts)"' \
	"$T/report.json" | sort >"$T/want.attempts"
[ "$(wc -l <"$T/want.requests")" -ge 8 ] || gw_fail "report too small: $(cat "$T/report.json")"

# prom_by EXPR: "upstream cause value" lines of a sum by (upstream, cause).
prom_by() {
	query "$1" | jq -r '.[] | "\(.metric.upstream) \(.metric.cause) \(.value[1])"' | sort
}

# Counters settle EXPORTER_SETTLE_MS (5 s) after the rows are stored, then
# the next scrape has them: wait for equality, bounded.
ok=
for ((i = 0; i < 60; i++)); do
	prom_by 'sum by (upstream, cause) (gatewatch_http_requests_total{job="gatewatch"})' >"$T/got.requests"
	prom_by 'sum by (upstream, cause) (gatewatch_upstream_attempts_total{job="gatewatch"})' >"$T/got.attempts"
	if cmp -s "$T/want.requests" "$T/got.requests" &&
		cmp -s "$T/want.attempts" "$T/got.attempts"; then
		ok=1
		break
	fi
	sleep 0.5
done
GW_ASSERTS=$((GW_ASSERTS + 2))
if [ -z "$ok" ]; then
	GW_FAILURES=$((GW_FAILURES + 1))
	gw_log "Prometheus differs from the report (-report +prometheus):"
	diff -u "$T/want.requests" "$T/got.requests" >&2 || true
	diff -u "$T/want.attempts" "$T/got.attempts" >&2 || true
fi

# Something real was compared: the failures nginx's error log explains.
gw_eq "127.0.0.1:${PORT[refuse]} upstream_refused 7" \
	"$(grep " upstream_refused " "$T/got.requests" | grep "^127.0.0.1:${PORT[refuse]} " || true)" \
	"refused requests in Prometheus" || true
gw_eq 1 "$(query 'up{job="gatewatch"}' | jq -r '.[0].value[1]')" "up" || true

n_lines=$(($(wc -l <"$T/logs/access.log") + $(wc -l <"$T/logs/error.log") +
	$(wc -l <"$T/logs/haproxy.log")))
got=
for ((i = 0; i < 40; i++)); do
	got=$(query 'sum(gatewatch_lines_read_total{job="gatewatch"})' | jq -r '.[0].value[1] // "none"')
	[ "$got" = "$n_lines" ] && break
	sleep 0.5
done
gw_eq "$n_lines" "$got" "lines read (nginx's access and error log, HAProxy's)" || true
gw_eq 1 "$(query 'sum(gatewatch_lines_rejected_total{job="gatewatch"})' | jq -r '.[0].value[1] // "none"')" \
	"lines rejected" || true
gw_eq "0.1.0" "$(query 'gatewatch_build_info{job="gatewatch"}' | jq -r '.[0].metric.version')" \
	"build_info version" || true

# --- the shipped rules and dashboard ----------------------------------------------

# Recording rules evaluate; the refused upstream's 5xx ratio is 1.
got=
for ((i = 0; i < 40; i++)); do
	got=$(query "instance_upstream:gatewatch_http_5xx:ratio_rate5m{upstream=\"127.0.0.1:${PORT[refuse]}\"}" |
		jq -r '.[0].value[1] // "none"')
	[ "$got" = 1 ] && break
	sleep 0.5
done
gw_eq 1 "$got" "recorded 5xx ratio of the refusing upstream" || true
# The pool with no live server: its alert is pending (for: 1m) or firing.
got=
for ((i = 0; i < 40; i++)); do
	got=$(query 'ALERTS{alertname="GatewatchUpstreamPoolNoLiveServer"}' |
		jq -r '[.[].metric.upstream] | sort | join(" ")')
	[ "$got" = "be_down u_nolive" ] && break
	sleep 0.5
done
gw_eq "be_down u_nolive" "$got" "no-live-server alerts: nginx's pool, HAProxy's backend" || true
# HAProxy's counts are among those compared above; check one is there.
gw_eq "be_503/hap_503 upstream_5xx 4" "$(grep '^be_503/hap_503 ' "$T/got.requests" || true)" \
	"HAProxy's 503s in Prometheus" || true

# Every dashboard query, with Grafana's variables given values.
n_queries=0
while IFS= read -r expr; do
	[ -n "$expr" ] || continue
	q=${expr//\$__rate_interval/1m}
	q=${q//\$__range/10m}
	q=${q//\$instance/.*}
	q=${q//\$upstream/127.0.0.1:${PORT[refuse]}}
	n=$(query "$q" | jq 'length')
	n_queries=$((n_queries + 1))
	gw_eq yes "$([ "$n" -gt 0 ] && echo yes || echo "no data")" "dashboard query: $q" || true
done < <(jq -r '.panels[].targets[].expr | gsub("\n"; " ")' "$CONTRIB/gatewatch.dashboard.json")
[ "$n_queries" -ge 6 ] || gw_fail "only $n_queries dashboard queries found"

# --- promtool on the exposition ---------------------------------------------------

curl -sf "http://$METRICS/metrics" >"$T/live.prom" || gw_fail "scrape failed"
promtool check metrics <"$T/live.prom" >"$T/promtool1.out" 2>&1 ||
	gw_fail "promtool check metrics (live /metrics): $(cat "$T/promtool1.out")"
"$GW_BIN" metrics -d "$T/gw.db" >"$T/db.prom" || gw_fail "gatewatch metrics failed"
promtool check metrics <"$T/db.prom" >"$T/promtool2.out" 2>&1 ||
	gw_fail "promtool check metrics (gatewatch metrics): $(cat "$T/promtool2.out")"
# The database's exposition counts the same requests (tail began on an
# empty database).
gw_eq "$(grep -c '^gatewatch_http_requests_total' "$T/live.prom")" \
	"$(grep -c '^gatewatch_http_requests_total' "$T/db.prom")" \
	"series of gatewatch metrics and /metrics" || true

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: $GW_ASSERTS checks, $n_queries dashboard queries, $n_sent requests"
