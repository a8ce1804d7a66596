#!/usr/bin/env bash
# wire_tie_haproxy_e2e.sh - gateway-host mode (`capture --listen`) against a
# real HAProxy 2.6, refereed request by request by HAProxy's own log
# (option httplog), with 16 keep-alive client connections pipelining 4
# requests each, in three id regimes (see wire_tie_e2e.sh for nginx):
#   (a) clients send no id, HAProxy sets none;
#   (b) clients send their own X-Request-Id, HAProxy replaces it upstream
#       (unique-id-format + http-request set-header X-Request-ID);
#   (c) HAProxy passes the client's id through; half the clients send
#       unique ids, half all the same one (issue 16 item 3).
# Upstreams (tests/tools/badupstream): ok, 503, reset, close, slow (server
# timeout), garbage, refuse, blackhole (connect timeout); HAProxy's own
# refusals: a deny (429) and a backend whose only server is disabled (503,
# <NOSRV>). HAProxy's own behaviour is asserted from its log: 503 for a
# refused connect (SC) and for a connect timeout (sC) - the same status as
# its <NOSRV> refusals, so the wire must tell them apart by time and by
# what it learns (the status this port gives a failed connect, the servers
# of each route) -, 504 for the server timeout (sH), 502 for garbage (PH).
# Its log cannot tell a reset from a close before the headers (SH): the
# wire can, so there upstream_reset on the wire matches
# upstream_closed_early in the log.
# Asserts per regime: every logged request stored with HAProxy's status and
# nothing else (so the status counts equal HAProxy's log, checked apart
# too); >= 98% of the failures with an upstream cause tied to the same
# server and cause; HAProxy's own refusals never blamed on an upstream; no
# wire cause on a success. Then the tied share per gateway port and the
# untied failures apart in `report --by capture` (table, JSON, CSV),
# `explain` and the console (tmux), against the requests stored.
# Only lo / 127.0.0.1; processes stopped by PID (lib.sh); watchdog 150 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd haproxy tcpdump sqlite3 jq tmux
HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
TCPDUMP=$(command -v tcpdump 2>/dev/null || echo /usr/sbin/tcpdump)
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
[ "$(id -u)" = 0 ] || gw_skip "tcpdump -i lo needs root (or CAP_NET_RAW)"

gw_setup 150
T=$GW_TMP
mkdir -p "$T/haproxy"

UPSTREAMS=(ok:ok u503:503 reset:reset close:close slow:slow
	garbage:garbage refuse:refuse blackhole:blackhole nolive_down:ok)
gw_badupstream "$T/ports" "${UPSTREAMS[@]}"
declare -A PORT
gw_read_ports "$T/ports" PORT

# frontend NAME PORT ID_LINES
frontend() {
	cat <<-EOF
	frontend fe_$1
	    bind 127.0.0.1:$2
	$3
	    http-request deny deny_status 429 if { path_beg /limited }
	EOF
	for b in ok u503 reset close slow garbage refuse blackhole nolive; do
		printf '    use_backend be_%s if { path_beg /%s }\n' "$b" "$b"
	done
	printf '    default_backend be_ok\n'
}

write_cfg() {
	{
		cat <<-EOF
		# written by tests/e2e/wire_tie_haproxy_e2e.sh; retries 0: a
		# retry of a refused connect goes to the same server after a
		# turn-around of min(timeout connect, 1 s), which the wire
		# does not chain (see README, gateway-host mode)
		global
		    log stdout format rfc3164 local0
		    pidfile $T/haproxy/haproxy.pid
		defaults
		    mode http
		    log global
		    option httplog
		    option dontlognull
		    timeout connect 500ms
		    timeout client 5s
		    timeout server 1s
		    retries 0
		EOF
		frontend a "$1" ""
		frontend b "$PB" '    unique-id-format %{+X}o%ci%cp%Ts%rt%pid
    http-request set-header X-Request-ID %[unique-id]'
		frontend c "$PC" ""
		for b in ok u503 reset close slow garbage refuse blackhole; do
			printf 'backend be_%s\n    server %s 127.0.0.1:%s\n' \
				"$b" "$b" "${PORT[$b]}"
		done
		printf 'backend be_nolive\n    server nolive_down 127.0.0.1:%s disabled\n' \
			"${PORT[nolive_down]}"
	} >"$T/haproxy/haproxy.cfg"
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

HAP_PID=
for attempt in 1 2 3; do
	PA=$(gw_free_port)
	PB=$(gw_free_port)
	PC=$(gw_free_port)
	write_cfg "$PA"
	"$HAPROXY" -c -q -f "$T/haproxy/haproxy.cfg" >"$T/haproxy/check.out" 2>&1 ||
		gw_fail "haproxy -c: $(cat "$T/haproxy/check.out")"
	gw_start haproxy sh -c 'exec "$1" -db -f "$2" >"$3" 2>"$4"' sh \
		"$HAPROXY" "$T/haproxy/haproxy.cfg" "$T/haproxy/haproxy.log" \
		"$T/haproxy/stderr"
	HAP_PID=$GW_LAST_PID
	wait_port "$PA" "$HAP_PID" && wait_port "$PB" "$HAP_PID" &&
		wait_port "$PC" "$HAP_PID" && break
	gw_log "haproxy did not start (attempt $attempt): $(cat "$T/haproxy/stderr")"
	gw_stop "$HAP_PID"
	HAP_PID=
done
[ -n "$HAP_PID" ] || gw_fail "haproxy did not start"

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
	# own clock, the time of its packets (HAProxy gives up at 500 ms and
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
gw_stop "$HAP_PID"

"$GW_BIN" ingest -d "$T/logs.db" "$T/haproxy/haproxy.log" >"$T/ingest.out" 2>&1 ||
	gw_fail "ingest: $(cat "$T/ingest.out")"
# upstream names to labels: HAProxy's be_NAME/NAME and the wire's ip:port
{
	echo 's| be_[a-z0-9_]*/\([a-z0-9_]*\)$| \1|'
	while read -r label port; do
		echo "s| 127\\.0\\.0\\.1:$port\$| $label|"
	done <"$T/ports"
} >"$T/labels.sed"

# rows DB R: "path?query status cause upstream" of regime R, sorted.
# A request HAProxy logged with 0 bytes sent got no answer: on a connect
# timeout with pipelined requests waiting behind it, HAProxy 2.6 closes the
# client's connection instead of sending its 503 (and httpload sends the
# request again on a new connection). Those are not rows: the capture
# must have them as requests the gateway closed on without an answer.
rows() {
	sqlite3 -separator ' ' "$1" "SELECT p.name || '?' || r.query, r.status,
	    c.name, u.name FROM requests r JOIN paths p ON p.id = r.path_id
	    JOIN causes c ON c.id = r.cause JOIN upstreams u ON
	    u.id = r.upstream_id WHERE r.query LIKE 'r=$2&%' AND
	    (r.bytes IS NULL OR r.bytes > 0) ORDER BY 1" |
	    sed -f "$T/labels.sed" | sort
}

# unanswered_log R / unanswered_wire R: "path?query" of those requests.
unanswered_log() {
	sqlite3 "$T/logs.db" "SELECT p.name || '?' || r.query FROM requests r
	    JOIN paths p ON p.id = r.path_id WHERE r.query LIKE 'r=$1&%' AND
	    r.bytes = 0" | sort -u
}
unanswered_wire() {
	sqlite3 "$T/wire_$1.db" "SELECT CAST(raw AS TEXT) FROM rejects WHERE
	    reason LIKE '%without answering%'" |
	    awk -v r="r=$1&" 'index($2, r) { print $2 }' | sort -u
}

# HAProxy's own behaviour, from its log: its status and termination state
# for each failure the upstreams make, answered (count_log BACKEND STATUS
# STATE).
count_log() {
	grep -c " be_$1/[a-z_<>A-Z]* [-0-9/]* $2 [1-9][0-9]* - - $3 " \
		"$T/haproxy/haproxy.log" || true
}
gw_eq 75 "$(count_log refuse 503 SC--)" "HAProxy: 503 SC for each refused connect"
gw_eq 12 "$(count_log blackhole 503 sC--)" "HAProxy: 503 sC for each connect timeout"
gw_eq 75 "$(count_log nolive 503 SC--)" "HAProxy: 503 SC <NOSRV> for the disabled server"
gw_eq 18 "$(count_log slow 504 sH--)" "HAProxy: 504 sH for each server timeout"

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
		"tied right $upok; HAProxy's own refusals $gwmade (blamed" \
		"$blamed); $(grep "gateway port" "$T/capture_$r.out")"
	gw_eq 0 "$missing" "regime $r: logged requests the capture lacks" || true
	gw_eq 0 "$extra" "regime $r: captured requests HAProxy did not log" || true
	gw_eq 0 "$status" "regime $r: statuses that differ from the log" || true
	gw_eq 0 "$nonfail" "regime $r: wire causes on successes" || true
	gw_eq "" "$(comm -23 <(unanswered_log "$r") <(unanswered_wire "$r"))" \
		"regime $r: requests HAProxy logged unanswered, stored otherwise" || true
	gw_eq 0 "$blamed" "regime $r: HAProxy's refusals blamed on an upstream" || true
	[ "$up" -ge 120 ] || gw_eq ">=120" "$up" "regime $r: upstream failures" || true
	# the status counts, as HAProxy's log and the capture say
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
# The tied share per gateway port and the untied failures apart, as
# `report --by capture` (table, JSON, CSV), `explain` and the console say
# it, against the requests stored (regime a): failed = 5xx, 009 or a
# cause; tied = with an attempt.
DBA="$T/wire_a.db"
read -r R F TIED < <(sqlite3 -separator ' ' "$DBA" "SELECT count(*),
    sum(status >= 500 OR status = 9 OR cause <> 0), sum((status >= 500 OR
    status = 9 OR cause <> 0) AND n_attempts > 0) FROM requests")
U=$((F - TIED))
SHARE=$(awk -v t="$TIED" -v f="$F" 'BEGIN { printf "%.4f", t / f }')
PCT=$(awk -v t="$TIED" -v f="$F" 'BEGIN { printf "%.1f", 100 * t / f }')
gw_eq "$T/wire_a.pcap,$PA,$R,$F,$TIED,$SHARE,$U" \
	"$("$GW_BIN" report -d "$DBA" --by capture --format csv | sed -n 2p)" \
	"report --by capture (csv)"
gw_eq "$PA $R $F $TIED $SHARE $U" \
	"$("$GW_BIN" report -d "$DBA" --by capture --format json | jq -r \
	'.[] | "\(.port) \(.requests) \(.failed) \(.failed_tied) \(.tied_share) \(.failed_untied)"' |
	awk '{ $5 = sprintf("%.4f", $5); print }')" "report --by capture (json)"
gw_eq "$PA $R $F $TIED $PCT% $U" \
	"$("$GW_BIN" report -d "$DBA" --by capture | awk 'NR == 2 { print $1, $2, $3, $4, $5, $6 }')" \
	"report --by capture (table)"
REFUSE="127.0.0.1:${PORT[refuse]}"
"$GW_BIN" explain -d "$DBA" "$REFUSE" >"$T/explain.txt" 2>&1 ||
	gw_fail "explain: $(cat "$T/explain.txt")"
grep -qF "gateway port $PA ($T/wire_a.pcap): $F failed client requests, $TIED tied to an upstream ($PCT%), $U untied" \
	"$T/explain.txt" || gw_eq "gateway port $PA ... $U untied" \
	"$(grep 'gateway port' "$T/explain.txt")" "explain (text)"
gw_eq "$PA $F $TIED $U" "$("$GW_BIN" explain -d "$DBA" "$REFUSE" --format json |
	jq -r '.captures[] | "\(.port) \(.failed) \(.failed_tied) \(.failed_untied)"')" \
	"explain (json)"
SOCK="gw-wire-haproxy-$$"
trap 'rc=$?; set +e; tmux -L "$SOCK" kill-server 2>/dev/null; (exit $rc); gw_cleanup' EXIT
tmux -L "$SOCK" new-session -d -s top -x 200 -y 50 \
	"env TERM=xterm-256color $GW_BIN top -d $DBA --refresh 0.5; sleep 30"
want="[:$PA tied $PCT%, $U untied]"
for ((i = 0; i < 80; i++)); do
	tmux -L "$SOCK" capture-pane -p -t top | grep -qF -- "$want" && break
	sleep 0.1
done
got=$(tmux -L "$SOCK" capture-pane -p -t top | grep -oF -- "$want" || true)
gw_eq "$want" "$got" "console header (tmux)" ||
	tmux -L "$SOCK" capture-pane -p -t top | head -5 >&2
tmux -L "$SOCK" kill-server 2>/dev/null || true

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks"
