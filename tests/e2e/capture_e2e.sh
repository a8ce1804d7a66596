#!/usr/bin/env bash
# capture_e2e.sh - gatewatch capture against a real nginx, refereed by
# nginx's own logs.
#
# badupstream (tests/tools) serves one misbehaviour per port on 127.0.0.1;
# nginx proxies a location to each and passes its $request_id upstream as
# X-Request-Id (and back to the client). While httpload sends a known mix:
#   (1) `gatewatch capture -i lo --listen PORT` runs live (as root with
#       -Z nobody: the test checks the process really runs as nobody), and
#   (2) tcpdump writes the same traffic to a pcap file, which
#       `gatewatch capture -r FILE --listen PORT` reads afterwards.
# nginx's access and error logs go through `gatewatch ingest`. The three
# databases must report the same requests, 5xx, failures, attempts and
# failed attempts per upstream and cause (csv and json reports).
#
# Only lo / 127.0.0.1; the BPF filter names this test's ports, so other
# tests on lo do not disturb it. Every process is stopped by PID (lib.sh);
# a watchdog ends the run after 60 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd nginx tcpdump
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
TCPDUMP=$(command -v tcpdump 2>/dev/null || echo /usr/sbin/tcpdump)
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
# Live capture needs CAP_NET_RAW; without it only the file half could run.
if [ "$(id -u)" != 0 ]; then
	gw_skip "live capture needs root (or CAP_NET_RAW)"
fi

gw_setup 60
T=$GW_TMP
mkdir -p "$T/tmp" "$T/logs"
chmod 755 "$T"

UPSTREAMS=(ok:ok u503:503 reset:reset close:close slow:slow
	garbage:garbage bigheader:bigheader truncate:truncate
	blackhole:blackhole refuse:refuse retry_refuse:refuse retry_ok:ok)
gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT
gw_read_ports "$T/ports" PORT

write_conf() {
	local listen=$1
	{
		echo "# written by tests/e2e/capture_e2e.sh"
		gw_nginx_conf_head "$T" error 256
		cat <<-EOF2
		    proxy_next_upstream error timeout;
		    proxy_set_header X-Request-Id \$request_id;
		    add_header X-Request-Id \$request_id always;
		    upstream u_ok { server 127.0.0.1:${PORT[ok]}; }
		    upstream u_503 { server 127.0.0.1:${PORT[u503]}; }
		    upstream u_reset { server 127.0.0.1:${PORT[reset]}; }
		    upstream u_close { server 127.0.0.1:${PORT[close]}; }
		    upstream u_slow { server 127.0.0.1:${PORT[slow]}; }
		    upstream u_garbage { server 127.0.0.1:${PORT[garbage]}; }
		    upstream u_bigheader { server 127.0.0.1:${PORT[bigheader]}; }
		    upstream u_truncate { server 127.0.0.1:${PORT[truncate]}; }
		    upstream u_blackhole { server 127.0.0.1:${PORT[blackhole]}; }
		    upstream u_refuse { server 127.0.0.1:${PORT[refuse]}; }
		    upstream u_retry {
		        server 127.0.0.1:${PORT[retry_refuse]} max_fails=0;
		        server 127.0.0.1:${PORT[retry_ok]} backup;
		    }
		    server {
		        listen 127.0.0.1:$listen;
		        location /ok { proxy_pass http://u_ok; }
		        location /u503 { proxy_pass http://u_503; }
		        location /reset { proxy_pass http://u_reset; }
		        location /close { proxy_pass http://u_close; }
		        location /slow { proxy_read_timeout 1s; proxy_pass http://u_slow; }
		        location /garbage { proxy_pass http://u_garbage; }
		        location /bigheader { proxy_pass http://u_bigheader; }
		        location /truncate { proxy_pass http://u_truncate; }
		        location /blackhole {
		            proxy_connect_timeout 500ms;
		            proxy_pass http://u_blackhole;
		        }
		        location /refuse { proxy_pass http://u_refuse; }
		        location /retry { proxy_pass http://u_retry; }
		        location / { return 404; }
		    }
		}
		EOF2
	} >"$T/nginx.conf"
}

gw_nginx_start "$NGINX" "$T" write_conf
NGINX_PORT=$GW_NGINX_PORT
NGINX_PID=$GW_NGINX_PID

# Only this test's ports.
FILTER="tcp and (port $NGINX_PORT"
for label in "${!PORT[@]}"; do
	FILTER="$FILTER or port ${PORT[$label]}"
done
FILTER="$FILTER)"

# (2) tcpdump, and (1) gatewatch live, dropping root for nobody.
gw_start tcpdump "$TCPDUMP" -i lo -s 0 -B 65536 -U --immediate-mode \
	-w "$T/wire.pcap" \
	"$FILTER"
TCPDUMP_PID=$GW_LAST_PID
gw_start live "$GW_BIN" capture -d "$T/live.db" -i lo -f "$FILTER" \
	--listen "$NGINX_PORT" -Z nobody
LIVE_PID=$GW_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q "listening on" "$T/tcpdump.out" 2>/dev/null &&
		grep -q "listening on" "$T/live.out" 2>/dev/null && break
	kill -0 "$LIVE_PID" 2>/dev/null || gw_fail "capture died: $(cat "$T/live.out")"
	sleep 0.05
done
grep -q "listening on" "$T/live.out" || gw_fail "capture did not start"
sleep 0.3

# Privilege drop: the live capture runs as nobody now.
want_uid=$(id -u nobody)
got_uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 }' "/proc/$LIVE_PID/status")
gw_eq "$want_uid,$want_uid,$want_uid" "$got_uid" "uid of capture -Z nobody" ||
	gw_fail "privileges not dropped"

load() {
	local expect=$1
	shift
	"$GW_TOOLS/httpload" --port "$NGINX_PORT" --timeout-ms 5000 \
		--expect "$expect" --log "$T/load.log" "$@" >"$T/load.out" ||
		gw_fail "httpload $*: $(cat "$T/load.out")"
}

# The mix; the blackhole early, so its unanswered SYNs are overdue (1.5 s)
# well before the captures end.
load 504 --repeat 2 --parallel 2 /blackhole/ping
load 502 --repeat 5 "/refuse/v1/items?id=1"
load 502 --repeat 4 "/reset/v1/items?id=2&sort=asc"
load 502 --repeat 3 /close/v1/orders/17
load 504 --repeat 3 --parallel 3 "/slow/report?from=2026-01-01"
load 009 --repeat 3 /garbage/old
load 502 --repeat 2 /bigheader/x
load 503 --repeat 4 /u503/health
load 200 --repeat 3 "/retry/v2/cart?session=abc"
load 200 --repeat 3 /truncate/files/a.bin
load 200 --repeat 6 "/ok/v1/users?userName=bob"
load 200 --method HEAD /ok/v1/users
load 200 --method POST /ok/v1/users
load 404 /nowhere
sleep 1.6
load 200 /ok/last

# let both captures see the last packets before they stop
sleep 1
gw_stop "$NGINX_PID" QUIT
gw_stop "$TCPDUMP_PID"
gw_stop "$LIVE_PID"
grep -q "stored:" "$T/live.out" || gw_fail "live capture: $(cat "$T/live.out")"
# A capture that lost packets in the kernel cannot be compared (it is
# not the code under test that lost them): say so, and compare the other.
DBS=
if grep -q "kernel: .* 0 dropped, 0 dropped" "$T/live.out"; then
	DBS="live"
else
	gw_log "live capture lost packets, not compared: $(grep kernel: "$T/live.out")"
fi
if grep -q "^0 packets dropped by kernel" "$T/tcpdump.out"; then
	DBS="$DBS file"
else
	gw_log "tcpdump lost packets, file not compared: $(cat "$T/tcpdump.out")"
fi
[ -n "$DBS" ] || gw_skip "both captures lost packets (machine too busy)"

"$GW_BIN" ingest -d "$T/logs.db" "$T/logs/access.log" "$T/logs/error.log" \
	>"$T/ingest.out" 2>&1 || gw_fail "ingest: $(cat "$T/ingest.out")"
"$GW_BIN" capture -d "$T/file.db" -r "$T/wire.pcap" --listen "$NGINX_PORT" \
	>"$T/file.out" 2>&1 || gw_fail "capture -r: $(cat "$T/file.out")"
# Reading the same file again stores nothing twice.
"$GW_BIN" capture -d "$T/file.db" -r "$T/wire.pcap" --listen "$NGINX_PORT" \
	>"$T/file2.out" 2>&1 || gw_fail "capture -r again: $(cat "$T/file2.out")"

gw_labels_sed "$T/ports" >"$T/labels.sed"

# figures DB FORMAT: "upstream cause requests errors_5xx failed attempts
# failed_attempts" lines, sorted, from `report --by upstream,cause`.
figures() {
	"$GW_BIN" report -d "$1" --by upstream,cause --format "$2" >"$T/rep.$2" \
		2>"$T/rep.err" || gw_fail "report $1: $(cat "$T/rep.err")"
	if [ "$2" = csv ]; then
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ print $c["upstream"], $c["cause"], $c["requests"],
		    $c["errors_5xx"], $c["failed"], $c["attempts"],
		    $c["failed_attempts"] }' "$T/rep.csv"
	else
		tr '\n' ' ' <"$T/rep.json" | grep -o '{[^}]*}' | awk '{
			n = split("upstream cause requests errors_5xx failed attempts failed_attempts", k, " ")
			line = ""
			for (i = 1; i <= n; i++) {
				v = "MISSING"
				if (match($0, "\"" k[i] "\" *: *(\"[^\"]*\"|-?[0-9]+)")) {
					v = substr($0, RSTART, RLENGTH)
					sub(/^"[^"]*" *: */, "", v)
					gsub(/"/, "", v)
				}
				line = line (i > 1 ? " " : "") v
			}
			print line
		}'
	fi | sed -f "$T/labels.sed" | sort
}

for fmt in csv json; do
	figures "$T/logs.db" $fmt >"$T/want.$fmt"
	[ -s "$T/want.$fmt" ] || gw_fail "no figures from the logs"
	for db in $DBS; do
		figures "$T/$db.db" $fmt >"$T/got.$db.$fmt"
		GW_ASSERTS=$((GW_ASSERTS + 1))
		if ! diff -u "$T/want.$fmt" "$T/got.$db.$fmt" >"$T/diff"; then
			GW_FAILURES=$((GW_FAILURES + 1))
			gw_log "$db capture differs from the logs ($fmt; -logs" \
				"+wire; upstream cause requests 5xx failed" \
				"attempts failed_attempts):"
			cat "$T/diff" >&2
		fi
	done
done
if [ "$GW_FAILURES" -gt 0 ]; then
	gw_log "live: $(cat "$T/live.out")"
	gw_log "file: $(cat "$T/file.out")"
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
for db in $DBS; do
	# every failed request tied: the count, not a rounded share
	grep -Eq " ([0-9]+) failed, \1 of them tied to an upstream" "$T/$db.out" ||
		gw_fail "$db: not every failed request was tied:" \
			"$(grep gateway "$T/$db.out")"
done
gw_log "ok: captures ($DBS) agree with nginx's logs" \
	"($(grep -c . "$T/want.csv") groups); $(grep gateway: "$T/file.out")"
