#!/usr/bin/env bash
# haproxy_caddy_e2e.sh - real HAProxy and real Caddy (Debian's packages) in
# front of real misbehaving upstreams; their own logs ingested by gatewatch.
#
#   tests/e2e/haproxy_caddy_e2e.sh                 the test (tests/run.sh)
#   tests/e2e/haproxy_caddy_e2e.sh --logs-only DIR run both, copy logs to DIR
#
# badupstream (tests/tools) serves one misbehaviour per port on 127.0.0.1.
# HAProxy 2.6 (-db, foreground) logs `option httplog` lines in RFC 3164
# syslog form to its stdout (`log stdout format rfc3164`), so the syslog
# header path of the parser is exercised; its stderr goes elsewhere. Caddy
# 2.6 writes its JSON logs: everything (access + debug runtime) to
# caddy.log, as Caddy does by default, and access and runtime apart to
# access.log and runtime.log. httpload sends a known mix to each, checking
# the status of every answer. Both are stopped (their logs are then
# complete), gatewatch ingests the logs, and `gatewatch report` (csv and
# json) must count, per upstream and cause, exactly what was sent.
#
# The causes expected are what each gateway can tell (shared/causes.md):
# HAProxy reports a reset and a clean close before the headers alike (SH,
# taken as upstream_closed_early) and cannot tell an oversized header from
# an invalid answer (PH); Caddy passes a 64 KiB header and a truncated body
# through as 200s without a word in its logs, so both are ok there.
#
# Everything lives in one mktemp dir; every process is stopped by PID in the
# EXIT trap (tests/e2e/lib.sh); a watchdog ends the run after 60 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

RUN=test
OUT=
case "${1:-}" in
--logs-only) RUN=logs; OUT=${2:?--logs-only DIR} ;;
"") ;;
*) echo "usage: $0 [--logs-only DIR]" >&2; exit 2 ;;
esac

gw_need_cmd haproxy caddy
HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
CADDY=$(command -v caddy 2>/dev/null || echo /usr/bin/caddy)
gw_need_tools badupstream httpload
[ "$RUN" = logs ] || [ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"

gw_setup 60
T=$GW_TMP
mkdir -p "$T/haproxy" "$T/caddy" "$T/xdg"

# --- upstreams -------------------------------------------------------------

UPSTREAMS=(
	ok:ok u503:503 reset:reset close:close slow:slow garbage:garbage
	bigheader:bigheader truncate:truncate blackhole:blackhole
	refuse:refuse retry_refuse:refuse retry_ok:ok nolive_down:ok
)
gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT
gw_read_ports "$T/ports" PORT

# --- HAProxy ---------------------------------------------------------------

# backend NAME [retries N] SERVER...: a backend of badupstream ports.
hap_backend() {
	local name=$1 s
	shift
	printf 'backend be_%s\n' "$name"
	for s in "$@"; do
		case "$s" in
		retries=*) printf '    retries %s\n' "${s#retries=}" ;;
		*=disabled) printf '    server %s 127.0.0.1:%s disabled\n' \
			"${s%=*}" "${PORT[${s%=*}]}" ;;
		*) printf '    server %s 127.0.0.1:%s\n' "$s" "${PORT[$s]}" ;;
		esac
	done
}

write_haproxy_cfg() {
	local listen=$1 b
	{
		cat <<-EOF
		# written by tests/e2e/haproxy_caddy_e2e.sh
		EOF
		gw_haproxy_conf_head "pidfile $T/haproxy/haproxy.pid" \
			"tune.bufsize 16384"
		cat <<-EOF
		frontend fe
		    bind 127.0.0.1:$listen
		    http-request deny deny_status 429 if { path_beg /limited }
		EOF
		for b in ok u503 reset close slow garbage bigheader truncate \
			blackhole refuse nolive; do
			printf '    use_backend be_%s if { path_beg /%s }\n' "$b" "$b"
		done
		printf '    default_backend be_ok\n'
		hap_backend ok ok
		hap_backend u503 u503
		hap_backend reset reset
		hap_backend close close
		hap_backend slow slow
		hap_backend garbage garbage
		hap_backend bigheader bigheader
		hap_backend truncate truncate
		hap_backend blackhole blackhole
		hap_backend refuse retries=2 refuse
		hap_backend nolive nolive_down=disabled
	} >"$T/haproxy/haproxy.cfg"
}

HAP_PID=
for attempt in 1 2 3; do
	HAP_PORT=$(gw_free_port)
	write_haproxy_cfg "$HAP_PORT"
	"$HAPROXY" -c -q -f "$T/haproxy/haproxy.cfg" >"$T/haproxy/check.out" 2>&1 ||
		gw_fail "haproxy -c: $(cat "$T/haproxy/check.out")"
	# stdout is the log; stderr (warnings) apart. exec keeps the PID.
	gw_start haproxy sh -c 'exec "$1" -db -f "$2" >"$3" 2>"$4"' sh \
		"$HAPROXY" "$T/haproxy/haproxy.cfg" "$T/haproxy/haproxy.log" \
		"$T/haproxy/stderr"
	HAP_PID=$GW_LAST_PID
	if gw_wait_port "$HAP_PORT" "$HAP_PID"; then
		break
	fi
	gw_log "haproxy did not start (attempt $attempt): $(cat "$T/haproxy/stderr")"
	gw_stop "$HAP_PID"
	HAP_PID=
done
[ -n "$HAP_PID" ] || gw_fail "haproxy did not start"

# --- Caddy -----------------------------------------------------------------

# route PATH LABEL...: a reverse_proxy route to badupstream ports. With
# several upstreams: the first is tried first and, when it fails, marked
# down for 150 ms while the request is retried on the next.
caddy_route() {
	local path=$1 l sep= ups= lb=
	shift
	for l in "$@"; do
		ups+="$sep{\"dial\": \"127.0.0.1:${PORT[$l]}\"}"
		sep=", "
	done
	if [ $# -gt 1 ]; then
		lb=',
	   "load_balancing": {"selection_policy": {"policy": "first"},
	     "try_duration": "2s", "try_interval": "10ms"},
	   "health_checks": {"passive": {"fail_duration": "150ms",
	     "max_fails": 1}}'
	fi
	cat <<-EOF
	{"match": [{"path": ["/$path", "/$path/*"]}],
	 "handle": [{"handler": "reverse_proxy", "upstreams": [$ups],
	   "transport": {"protocol": "http", "dial_timeout": "500ms",
	     "response_header_timeout": "1s"}$lb}]},
	EOF
}

write_caddy_json() {
	local listen=$1 r
	{
		gw_caddy_conf_head "$T/caddy/caddy.log"
		cat <<-EOF
		 "e2e": {
		   "listen": ["127.0.0.1:$listen"],
		   "automatic_https": {"disable": true},
		   "logs": {},
		   "routes": [
		EOF
		for r in ok u503 reset close slow garbage bigheader truncate \
			blackhole refuse; do
			caddy_route "$r" "$r"
		done
		caddy_route retry retry_refuse retry_ok
		cat <<-EOF
		   {"handle": [{"handler": "static_response", "status_code": 404}]}
		 ]}}}}}
		EOF
	} >"$T/caddy/caddy.json"
}

CADDY_PID=
for attempt in 1 2 3; do
	CADDY_PORT=$(gw_free_port)
	write_caddy_json "$CADDY_PORT"
	gw_caddy_start "$CADDY" "$T/caddy/caddy.json"
	CADDY_PID=$GW_LAST_PID
	if gw_wait_port "$CADDY_PORT" "$CADDY_PID"; then
		break
	fi
	gw_log "caddy did not start (attempt $attempt): $(tail -5 "$T/caddy.out")"
	gw_stop "$CADDY_PID"
	CADDY_PID=
done
[ -n "$CADDY_PID" ] || gw_fail "caddy did not start"

# --- traffic ---------------------------------------------------------------

# mix GW N LABEL CAUSE STATUS ATTEMPTS [httpload options] PATH: send N
# requests through gateway GW (hap, caddy) that must each get STATUS, and
# record what gatewatch must report for them: N requests under upstream
# LABEL ("-": none) with cause CAUSE, each with the attempts ATTEMPTS, a
# comma list of LABEL:CAUSE ("-": none).
mix() {
	local gw=$1 n=$2 label=$3 cause=$4 status=$5 attempts=$6 port
	shift 6
	case "$gw" in
	hap) port=$HAP_PORT ;;
	caddy) port=$CADDY_PORT ;;
	esac
	"$GW_TOOLS/httpload" --port "$port" --timeout-ms 5000 \
		--expect "$status" --repeat "$n" --log "$T/load.log" "$@" \
		>"$T/load.out" 2>&1 ||
		gw_fail "$gw: httpload $*: $(cat "$T/load.out")"
	cat "$T/load.log" >>"$T/$gw.sent"
	gw_expect "$T/$gw.expect" "$n" "$label" "$cause" "$status" "$attempts"
}
for gw in hap caddy; do
	: >"$T/$gw.sent"
	: >"$T/$gw.expect.requests"
	: >"$T/$gw.expect.attempts"
done

# HAProxy: server NAME in backend be_NAME is reported as "be_NAME/NAME";
# the labels below use that (see labels.sed).
mix hap 4 ok ok 200 ok:ok "/ok/v1/users?userName=bob&age=42"
mix hap 3 u503 upstream_5xx 503 u503:upstream_5xx "/u503/health"
mix hap 3 reset upstream_closed_early 502 reset:upstream_closed_early \
	"/reset/v1/items?id=2"
mix hap 3 close upstream_closed_early 502 close:upstream_closed_early \
	"/close/v1/orders/17"
mix hap 2 slow upstream_read_timeout 504 slow:upstream_read_timeout \
	--parallel 2 "/slow/report"
mix hap 2 garbage upstream_invalid_response 502 \
	garbage:upstream_invalid_response "/garbage/old"
mix hap 2 bigheader upstream_invalid_response 502 \
	bigheader:upstream_invalid_response "/bigheader/x"
mix hap 2 truncate upstream_truncated 200 truncate:upstream_truncated \
	"/truncate/a.bin"
mix hap 2 blackhole upstream_connect_timeout 503 \
	blackhole:upstream_connect_timeout --parallel 2 "/blackhole/ping"
# retries 2: three connects refused, one line
mix hap 2 refuse upstream_refused 503 \
	refuse:upstream_refused,refuse:upstream_refused,refuse:upstream_refused \
	"/refuse/v1/items?id=1"
# the only server is disabled: <NOSRV>, the backend stands in
mix hap 2 be_nolive no_live_upstream 503 be_nolive:no_live_upstream \
	"/nolive/x"
mix hap 2 - rate_limited 429 - "/limited/a"

mix caddy 4 ok ok 200 ok:ok "/ok/v1/users?userName=bob&age=42"
mix caddy 3 u503 upstream_5xx 503 u503:upstream_5xx "/u503/health"
mix caddy 3 refuse upstream_refused 502 refuse:upstream_refused \
	"/refuse/v1/items?id=1"
mix caddy 3 reset upstream_reset 502 reset:upstream_reset "/reset/v1/items?id=2"
mix caddy 3 close upstream_closed_early 502 close:upstream_closed_early \
	"/close/v1/orders/17"
mix caddy 2 slow upstream_read_timeout 504 slow:upstream_read_timeout \
	--parallel 2 "/slow/report"
mix caddy 2 garbage upstream_invalid_response 502 \
	garbage:upstream_invalid_response "/garbage/old"
mix caddy 2 bigheader ok 200 bigheader:ok "/bigheader/x"
mix caddy 2 truncate ok 200 truncate:ok "/truncate/a.bin"
mix caddy 2 blackhole upstream_connect_timeout 502 \
	blackhole:upstream_connect_timeout --parallel 2 "/blackhole/ping"
# first server refuses, is marked down for 150 ms, the second answers
for i in 1 2 3; do
	mix caddy 1 retry_ok ok 200 retry_refuse:upstream_refused,retry_ok:ok \
		"/retry/v2/cart?session=abc"
	sleep 0.3
done
mix caddy 2 - ok 404 - "/nowhere"

# Stop both; their logs are complete once they are gone.
gw_stop "$HAP_PID" USR1
gw_stop "$CADDY_PID"
# The same lines as Caddy writes when its access log has a file of its own.
grep '"logger":"http.log.access' "$T/caddy/caddy.log" >"$T/caddy/access.log" || true
grep -v '"logger":"http.log.access' "$T/caddy/caddy.log" >"$T/caddy/runtime.log" || true
for f in haproxy/haproxy.log caddy/caddy.log caddy/access.log caddy/runtime.log; do
	[ -s "$T/$f" ] || gw_fail "no log $f"
done
[ "$(grep -c ' "[A-Z]* /' "$T/haproxy/haproxy.log")" = "$(wc -l <"$T/hap.sent")" ] ||
	gw_fail "sent $(wc -l <"$T/hap.sent") requests to HAProxy, it logged" \
	"$(grep -c ' "[A-Z]* /' "$T/haproxy/haproxy.log")"
[ "$(grep -c '"http.log.access' "$T/caddy/access.log")" = "$(wc -l <"$T/caddy.sent")" ] ||
	gw_fail "sent $(wc -l <"$T/caddy.sent") requests to Caddy, it logged" \
	"$(grep -c '"http.log.access' "$T/caddy/access.log")"

if [ "$RUN" = logs ]; then
	mkdir -p "$OUT"
	cp "$T/haproxy/haproxy.log" "$T/haproxy/haproxy.cfg" "$T/caddy/caddy.log" \
		"$T/caddy/access.log" "$T/caddy/runtime.log" "$T/ports" "$OUT/"
	gw_log "logs written to $OUT"
	exit 0
fi

# --- gatewatch -------------------------------------------------------------

# Upstream names back to labels: "127.0.0.1:PORT" and "be_X/X" -> X.
gw_labels_sed "$T/ports" >"$T/labels.sed"
while read -r label _; do
	echo "s#^be_$label/$label #$label #"
done <"$T/ports" >>"$T/labels.sed"

# check_report GW DB KEYS: csv and json reports of DB equal what was sent
# through GW.
check_report() {
	gw_check_report "$2" "$3" "$T/$1.expect" "$T/labels.sed" "$1"
}

# ingest DB FORMAT FILE...: ingest, and require the format detected.
ingest() {
	local db=$1 want=$2
	shift 2
	"$GW_BIN" ingest -d "$db" "$@" >"$T/ingest.out" 2>&1 ||
		gw_fail "ingest $*: $(cat "$T/ingest.out")"
	grep -q "format $want" "$T/ingest.out" ||
		gw_fail "ingest $*: format $want not detected: $(cat "$T/ingest.out")"
	if grep -q '[1-9][0-9]* rejected' "$T/ingest.out"; then
		gw_fail "ingest $*: rejected lines: $(cat "$T/ingest.out")"
	fi
}

ingest "$T/hap.db" haproxy "$T/haproxy/haproxy.log"
for keys in upstream cause upstream,cause; do
	check_report hap "$T/hap.db" "$keys"
done

# Caddy, one stream (its default): roundtrips become the attempts.
ingest "$T/caddy.db" caddy "$T/caddy/caddy.log"
for keys in upstream cause upstream,cause; do
	check_report caddy "$T/caddy.db" "$keys"
done

# Caddy, access and runtime logs apart, in both orders: the store is to
# join each failed roundtrip (which names its upstream) to its request,
# which names none: the store makes the joined error the request's attempt.
# It compares the requests' columns.
ingest "$T/caddy-apart.db" caddy "$T/caddy/access.log" "$T/caddy/runtime.log"
ingest "$T/caddy-rev.db" caddy "$T/caddy/runtime.log" "$T/caddy/access.log"
gw_expected cause "$T/caddy.expect" | awk '{ print $1, $2, $3, $4 }' >"$T/want-apart"
for db in "$T/caddy-apart.db" "$T/caddy-rev.db"; do
	"$GW_BIN" report -d "$db" --by cause --format csv >"$T/report.csv" ||
		gw_fail "report -d $db"
	gw_from_csv cause "$T/labels.sed" <"$T/report.csv" | awk '{ print $1, $2, $3, $4 }' \
		>"$T/got-apart"
	if ! diff -u "$T/want-apart" "$T/got-apart" >"$T/diff"; then
		gw_log "caddy, logs apart ($(basename "$db")): causes not joined" \
			"(-want +got; cause requests errors_5xx failed):"
		cat "$T/diff" >&2
		GW_FAILURES=$((GW_FAILURES + 1))
	fi
	GW_ASSERTS=$((GW_ASSERTS + 1))
done

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS report checks failed"
fi
gw_log "ok: $(wc -l <"$T/hap.sent") requests through HAProxy," \
	"$(wc -l <"$T/caddy.sent") through Caddy; $GW_ASSERTS report checks passed"
