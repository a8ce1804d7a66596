#!/usr/bin/env bash
# wrapped_e2e.sh - real logs as they arrive: through syslog, as a container
# runtime's mixed stdout+stderr stream, and with auth subrequests.
#
# One real nginx in front of badupstream (tests/tools) writes every line
# three ways at once: to its files (access.log, error.log), to syslog
# (`access_log syslog:server=127.0.0.1:PORT` and `error_log syslog:...`,
# received by tests/tools/udpsink into one file, as rsyslog would write
# it), and both to one more file, interleaved as written, the way `docker
# logs` interleaves a container's stdout (access) and stderr (error). Some
# locations use auth_request: to an auth service that refuses connections
# and to one that answers 503. `gatewatch tail` follows the syslog file
# while the traffic runs; afterwards `gatewatch ingest` reads the syslog
# file, the mixed stream, the mixed stream rewritten as Docker's json-file
# and as a Kubernetes CRI file (the runtimes' own wrappers), and the plain
# files: every one of them must give the same report, the one the traffic
# sent. The auth service's failures are auth_failure, never the route's.
#
# Then a real Caddy with forward_auth to the same refusing and 503 auth
# services, and to one that lets requests through: its log must say
# auth_failure with the auth service as the upstream; and an error log
# read alone must still report its failures by upstream and cause.
#
# Everything lives in one mktemp dir; every process is stopped by PID in
# the EXIT trap (tests/e2e/lib.sh); a watchdog ends the run after 90 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd nginx caddy jq
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
"$NGINX" -V 2>&1 | grep -q -- --with-http_auth_request_module ||
	gw_skip "this nginx has no auth_request module"
gw_need_tools badupstream httpload udpsink
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
command -v sqlite3 >/dev/null 2>&1 || gw_fail "sqlite3 CLI missing (make test-deps)"

gw_setup 90
T=$GW_TMP
mkdir -p "$T/tmp" "$T/logs" "$T/xdg"
chmod 755 "$T"

# --- upstreams and the syslog receiver ---------------------------------------

UPSTREAMS=(ok:ok u503:503 reset:reset refuse:refuse authr:refuse
	auth5:503 authok:ok)
gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT
gw_read_ports "$T/ports" PORT
gw_labels_sed "$T/ports" >"$T/labels.sed"

gw_start udpsink "$GW_TOOLS/udpsink" --out "$T/logs/syslog.log" \
	--portfile "$T/syslog.port" --pidfile "$T/udpsink.pid"
gw_wait_file "$T/udpsink.pid" 5 "$GW_LAST_PID" ||
	gw_fail "udpsink did not start: $(cat "$T/udpsink.out")"
SYSLOG_PORT=$(cat "$T/syslog.port")

# --- nginx -------------------------------------------------------------------

# auth_location NAME LABEL: an internal auth_request target on LABEL.
auth_location() {
	cat <<-EOF
	        location = /_$1 {
	            internal;
	            proxy_pass_request_body off;
	            proxy_set_header Content-Length "";
	            proxy_pass http://127.0.0.1:${PORT[$2]}/auth/check;
	        }
	EOF
}

write_conf() {
	local listen=$1
	{
		echo "# written by tests/e2e/wrapped_e2e.sh"
		gw_nginx_conf_head "$T" error 256
		cat <<-EOF
		    access_log syslog:server=127.0.0.1:$SYSLOG_PORT,tag=nginx upstream;
		    access_log $T/logs/mixed.log upstream;
		    server {
		        listen 127.0.0.1:$listen;
		        server_name gatewatch-wrapped;
		        error_log $T/logs/error.log error;
		        error_log syslog:server=127.0.0.1:$SYSLOG_PORT,tag=nginx error;
		        error_log $T/logs/mixed.log error;
		        location /ok { proxy_pass http://127.0.0.1:${PORT[ok]}; }
		        location /u503 { proxy_pass http://127.0.0.1:${PORT[u503]}; }
		        location /reset { proxy_pass http://127.0.0.1:${PORT[reset]}; }
		        location /refuse { proxy_pass http://127.0.0.1:${PORT[refuse]}; }
		        location /authr {
		            auth_request /_authr;
		            proxy_pass http://127.0.0.1:${PORT[ok]};
		        }
		        location /auth5 {
		            auth_request /_auth5;
		            proxy_pass http://127.0.0.1:${PORT[ok]};
		        }
		EOF
		auth_location authr authr
		auth_location auth5 auth5
		cat <<-EOF
		        location / { return 404; }
		    }
		}
		EOF
	} >"$T/nginx.conf"
}

# gatewatch tail follows the syslog file from before the first request.
gw_start tail "$GW_BIN" tail -v -d "$T/tail.db" "$T/logs/syslog.log"
TAIL_PID=$GW_LAST_PID

gw_nginx_start "$NGINX" "$T" write_conf
NGINX_PORT=$GW_NGINX_PORT
NGINX_PID=$GW_NGINX_PID

# mix PREFIX PORT N LABEL CAUSE STATUS ATTEMPTS PATH: send N requests that
# must each get STATUS; record what gatewatch must find under PREFIX.
mix() {
	local prefix=$1 port=$2 n=$3 label=$4 cause=$5 status=$6 attempts=$7
	shift 7
	"$GW_TOOLS/httpload" --port "$port" --timeout-ms 5000 \
		--expect "$status" --repeat "$n" --log "$T/load.log" "$@" \
		>"$T/load.out" || gw_fail "httpload $*: $(cat "$T/load.out")"
	cat "$T/load.log" >>"$prefix.sent"
	gw_expect "$prefix" "$n" "$label" "$cause" "$status" "$attempts"
}
N=$T/nginx-expect
: >"$N.requests"
: >"$N.attempts"
: >"$N.sent"
mix "$N" "$NGINX_PORT" 4 ok ok 200 ok:ok "/ok/v1/users?id=7"
mix "$N" "$NGINX_PORT" 3 refuse upstream_refused 502 refuse:upstream_refused \
	"/refuse/v1/items?id=1"
mix "$N" "$NGINX_PORT" 2 reset upstream_reset 502 reset:upstream_reset \
	"/reset/a"
mix "$N" "$NGINX_PORT" 2 u503 upstream_5xx 503 u503:upstream_5xx "/u503/h"
# the auth service refuses: nginx answers 500; its subrequest's failure
# names the auth service, never the route's upstream (ok)
mix "$N" "$NGINX_PORT" 3 authr auth_failure 500 authr:auth_failure \
	"/authr/me?x=1"
# the auth service answers 503: 500 to the client, no upstream named
mix "$N" "$NGINX_PORT" 2 - auth_failure 500 - "/auth5/me"
mix "$N" "$NGINX_PORT" 1 - ok 404 - "/nowhere"
n_sent=$(wc -l <"$N.sent")

gw_stop "$NGINX_PID" QUIT
n_logged=$(wc -l <"$T/logs/access.log")
[ "$n_sent" = "$n_logged" ] || gw_fail "sent $n_sent requests, nginx logged $n_logged"

# The syslog file holds every access line and every error line.
n_err=$(wc -l <"$T/logs/error.log")
for ((i = 0; i < 100; i++)); do
	[ "$(wc -l <"$T/logs/syslog.log")" -ge $((n_sent + n_err)) ] && break
	sleep 0.05
done
gw_eq $((n_sent + n_err)) "$(wc -l <"$T/logs/syslog.log")" \
	"lines received by syslog" || true
gw_eq 1 "$(grep -c '^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] ..:..:.. [^ ]* nginx: ' \
	"$T/logs/syslog.log" | awk '{print ($1 > 0)}')" "RFC 3164 lines from nginx" || true

# tail has stored all of it: wait (bounded) for the last request to land.
for ((i = 0; i < 100; i++)); do
	got=$(gw_sql "$T/tail.db" "SELECT count(*) FROM requests_all" 2>/dev/null ||
		echo 0)
	[ "$got" = "$n_sent" ] && break
	sleep 0.1
done
gw_stop "$TAIL_PID"
gw_eq "$n_sent" "$got" "requests stored by tail from syslog" || true
gw_eq 1 "$(grep -c 'syslog.log: nginx_access, format upstream, wrapped in syslog' \
	"$T/tail.out")" "tail names the wrapper" || true

# The mixed stream: the access and the error log written to one file, in
# the order nginx wrote them, as `docker logs` shows a container whose
# access log is stdout and error log stderr (both appended, so no line is
# cut or overwritten: the same file opened twice with O_APPEND); and the
# same stream as the runtimes wrap it: Docker's json-file and a CRI file.
MIXED=$T/logs/mixed.log
gw_eq "$((n_sent + n_err))" "$(grep -c . "$MIXED")" \
	"lines in the mixed stdout+stderr stream" || true
awk '{
	s = $0; gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
	stream = ($0 ~ /^[0-9][0-9][0-9][0-9]\/[0-9][0-9]\//) ? "stderr" : "stdout"
	printf "{\"log\":\"%s\\n\",\"stream\":\"%s\",\"time\":\"2026-12-06T12:00:00.%09dZ\"}\n", s, stream, NR
}' "$MIXED" >"$T/docker.log"
awk '{
	stream = ($0 ~ /^[0-9][0-9][0-9][0-9]\/[0-9][0-9]\//) ? "stderr" : "stdout"
	if (stream == "stdout" && length($0) > 40)	# one split line: P + F
		printf "2026-12-06T12:00:00.%09dZ %s P %s\n2026-12-06T12:00:00.%09dZ %s F %s\n", \
		    NR, stream, substr($0, 1, 40), NR, stream, substr($0, 41)
	else
		printf "2026-12-06T12:00:00.%09dZ %s F %s\n", NR, stream, $0
}' "$MIXED" >"$T/cri.log"

ingest() {
	local db=$1
	shift
	"$GW_BIN" ingest -d "$db" "$@" >"$db.out" 2>&1 ||
		gw_fail "ingest $*: $(cat "$db.out")"
}
ingest "$T/files.db" "$T/logs/access.log" "$T/logs/error.log"
ingest "$T/syslog.db" "$T/logs/syslog.log"
ingest "$T/mixed.db" "$MIXED"
ingest "$T/docker.db" "$T/docker.log"
ingest "$T/cri.db" "$T/cri.log"
grep -q "syslog.log: nginx_access, format upstream, wrapped in syslog" \
	"$T/syslog.db.out" || gw_eq "wrapped in syslog" "$(cat "$T/syslog.db.out")" \
	"ingest names the wrapper" || true

for db in files syslog tail mixed docker cri; do
	gw_check_report "$T/$db.db" upstream,cause "$N" "$T/labels.sed" "$db"
	gw_eq "0" "$(sqlite3 "$T/$db.db" "SELECT count(*) FROM rejects")" \
		"$db: rejected lines" || true
	# every error line joined its request, as with the two files
	gw_eq "$n_err" "$(sqlite3 "$T/$db.db" "SELECT count(request_id) FROM
		gateway_errors")" "$db: error lines joined" || true
done
# The route's upstream (ok) never carries an auth failure.
gw_eq 0 "$(gw_sql "$T/files.db" "SELECT count(*) FROM attempt_view
	WHERE cause = 'auth_failure' AND upstream = '127.0.0.1:${PORT[ok]}'" \
	2>&1)" "auth failures laid on the route's upstream" || true

# The wrapper's host is the source's host: nginx's syslog lines carry
# this machine's name, and a file holding several gateways' lines (the
# fixture, from three hosts) is reported per gateway.
gw_eq "syslog.log @$(hostname)" "$("$GW_BIN" report -d "$T/syslog.db" \
	--by source --format csv | sed -n '2s/,.*//p' | sed 's/.*\///')" \
	"report --by source names the gateway host" || true
cp tests/data/formats/wrapped/nginx-syslog.log "$T/three-hosts.log"
ingest "$T/hosts.db" "$T/three-hosts.log"
gw_eq "three-hosts.log @web01 2|three-hosts.log @web02 2|three-hosts.log @web03 1" \
	"$("$GW_BIN" report -d "$T/hosts.db" --by source --format csv |
	awk -F, 'NR > 1 { sub(/.*\//, "", $1); print $1 " " $2 }' | sort |
	paste -sd'|')" "report --by source, one file of three gateways" || true

# An error log read alone: no requests, its failures by upstream and cause.
ingest "$T/erronly.db" "$T/logs/error.log"
"$GW_BIN" report -d "$T/erronly.db" >"$T/erronly.report" 2>&1 ||
	gw_fail "report of an error log alone: $(cat "$T/erronly.report")"
for want in "127.0.0.1:${PORT[refuse]} +upstream_refused +3 " \
	"127.0.0.1:${PORT[authr]} +auth_failure +3 "; do
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if ! grep -Eq "^$want" "$T/erronly.report"; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "error-log-only report lacks '$want':"
		cat "$T/erronly.report" >&2
	fi
done
# The same groups in JSON and CSV (not an empty array, not a bare header).
"$GW_BIN" report -d "$T/erronly.db" --format json |
	jq -r '.[] | "\(.upstream) \(.cause) \(.lines)"' | sort >"$T/erronly.json.groups"
"$GW_BIN" report -d "$T/erronly.db" --format csv >"$T/erronly.csv"
gw_eq "upstream,cause,lines,unjoined,first,last" "$(head -1 "$T/erronly.csv")" \
	"error-log-only report as CSV: header" || true
tail -n +2 "$T/erronly.csv" | awk -F, '{ print $1 " " $2 " " $3 }' | sort \
	>"$T/erronly.csv.groups"
gw_eq "$(cat "$T/erronly.json.groups")" "$(cat "$T/erronly.csv.groups")" \
	"error-log-only report: JSON and CSV list the same groups" || true
for want in "127.0.0.1:${PORT[refuse]} upstream_refused 3" \
	"127.0.0.1:${PORT[authr]} auth_failure 3"; do
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if ! grep -qxF "$want" "$T/erronly.json.groups"; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "error-log-only report as JSON lacks '$want':"
		cat "$T/erronly.json.groups" >&2
	fi
done

# --- Caddy forward_auth --------------------------------------------------------

CADDY=$(command -v caddy 2>/dev/null || echo /usr/bin/caddy)
{
	write_caddyfile() {
		cat >"$T/Caddyfile" <<-EOF
		{
		    admin off
		    auto_https off
		    log {
		        level DEBUG
		        output file $T/logs/caddy.log
		        format json
		    }
		}
		http://:$1 {
		    bind 127.0.0.1
		    log
		    route /far/* {
		        forward_auth 127.0.0.1:${PORT[authr]} {
		            uri /auth/check
		        }
		        reverse_proxy 127.0.0.1:${PORT[ok]}
		    }
		    route /fa5/* {
		        forward_auth 127.0.0.1:${PORT[auth5]} {
		            uri /auth/check
		        }
		        reverse_proxy 127.0.0.1:${PORT[ok]}
		    }
		    route /faok/* {
		        forward_auth 127.0.0.1:${PORT[authok]} {
		            uri /auth/check
		        }
		        reverse_proxy 127.0.0.1:${PORT[ok]}
		    }
		}
		EOF
	}
	CADDY_PID=
	for attempt in 1 2 3; do
		CADDY_PORT=$(gw_free_port)
		write_caddyfile "$CADDY_PORT"
		gw_start caddy env HOME="$T/xdg" XDG_DATA_HOME="$T/xdg" \
			XDG_CONFIG_HOME="$T/xdg" "$CADDY" run --adapter caddyfile \
			--config "$T/Caddyfile"
		CADDY_PID=$GW_LAST_PID
		for ((i = 0; i < 100; i++)); do
			kill -0 "$CADDY_PID" 2>/dev/null || break
			(exec 3<>"/dev/tcp/127.0.0.1/$CADDY_PORT") 2>/dev/null &&
				break 2
			sleep 0.05
		done
		gw_log "caddy did not start (attempt $attempt): $(tail -5 "$T/caddy.out")"
		gw_stop "$CADDY_PID"
		CADDY_PID=
	done
	[ -n "$CADDY_PID" ] || gw_fail "caddy did not start"
	C=$T/caddy-expect
	: >"$C.requests"
	: >"$C.attempts"
	: >"$C.sent"
	mix "$C" "$CADDY_PORT" 3 authr auth_failure 502 authr:auth_failure \
		"/far/me?x=1"
	mix "$C" "$CADDY_PORT" 2 auth5 auth_failure 503 auth5:auth_failure \
		"/fa5/me"
	mix "$C" "$CADDY_PORT" 2 ok ok 200 authok:ok,ok:ok "/faok/me"
	gw_stop "$CADDY_PID"
	ingest "$T/caddy.db" "$T/logs/caddy.log"
	gw_check_report "$T/caddy.db" upstream,cause "$C" "$T/labels.sed" caddy
	# the access log apart from the runtime log: joined by the store
	grep '"logger":"http.log.access' "$T/logs/caddy.log" >"$T/caddy-access.log"
	grep -v '"logger":"http.log.access' "$T/logs/caddy.log" >"$T/caddy-runtime.log"
	ingest "$T/caddy-split.db" "$T/caddy-access.log" "$T/caddy-runtime.log"
	gw_eq 5 "$(gw_sql "$T/caddy-split.db" "SELECT count(*) FROM request_view
		WHERE cause = 'auth_failure'" 2>&1)" \
		"caddy, split logs: auth_failure requests" || true
}

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: $n_sent requests through nginx, $GW_ASSERTS checks passed"
