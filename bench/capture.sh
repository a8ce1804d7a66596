#!/usr/bin/env bash
# bench/capture.sh - how fast `gatewatch capture -r` reads a capture of
# real HTTP traffic. Figures only, never pass/fail.
#
# Generates the capture on lo: nginx (client side on one port) proxies over
# keep-alive connections to a second nginx server that serves static files
# (4 KiB to 64 KiB), plus badupstream answering 200 and 503; httpload sends
# the mix for CAPTURE_SECS seconds (default 8) or until the file reaches
# CAPTURE_MB (default 300) while tcpdump writes it. Then times, on the same
# file: `tcpdump -r FILE -w /dev/null` (the floor), `gatewatch capture -r`
# into a fresh database (plain, and in gateway-host mode with --listen),
# and tshark extracting the status codes when it is installed; prints MB/s,
# packets/s and peak RSS.
#
# Then gateway-host mode on what it was slow on: small requests over
# keep-alive connections. nginx proxies /small over keep-alive upstream
# connections to a second nginx server (a 3-byte answer) and /err to
# badupstream (503); wrk (or httpload --keepalive without it) loads it with
# 128 connections for KA_SECS seconds (default 6) or up to KA_MB (default
# 300) MB of capture. The same figures, with and without --listen, and
# with --discard (events built, none stored, no database opened: the
# capture side alone, so the figures say whether it or the store's writer
# bounds), KA_RUNS rounds interleaved, then their medians. Last, a
# crafted capture (tests/tools/mkpcap --pending) with 50,000 and 100,000
# identical requests pending at once: the tie's cost must grow linearly.
# Every process is stopped by PID; only 127.0.0.1.
#
# KA_PCAP=FILE keeps the keep-alive capture in FILE (its gateway port in
# FILE.port); when FILE exists already, it is reused: nothing is recorded,
# the first (mixed traffic) part is skipped, and the figures are taken on
# that same file - for A/B runs of two binaries on one input (GW_BIN=...,
# and GW_BIN_B=... to interleave a second one line by line).
#
# Issue 10's size class (268 MB of small keep-alive requests): record once
# with KA_SECS=40 KA_MB=256 KA_PCAP=/tmp/ka268.pcap (CAPTURE_SECS=30
# CAPTURE_MB=30 keep the mixed part short and the time limit above the
# recording); session 7 got 269.7 MB, 1,610,391 packets, 358,991 client
# requests that way (wrk filled 256 MiB before the 40 s). Keep the file
# out of the tree; then A/B: KA_PCAP=/tmp/ka268.pcap GW_BIN=base GW_BIN_B=new.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
GW_BIN=${GW_BIN:-$PWD/$GW_BUILD/gatewatch}
GW_TOOLS=${GW_TOOLS:-$PWD/$GW_BUILD/tools}
SECS=${CAPTURE_SECS:-8}
MAXMB=${CAPTURE_MB:-300}
. tests/e2e/lib.sh

for c in nginx tcpdump; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
		{ echo "capture bench: $c not installed, skipped"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "capture bench: needs root for tcpdump -i lo, skipped"; exit 0; }
for t in badupstream httpload runstat mkpcap; do
	[ -x "$GW_TOOLS/$t" ] || { echo "capture bench: $GW_TOOLS/$t not built"; exit 1; }
done
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
TCPDUMP=$(command -v tcpdump 2>/dev/null || echo /usr/sbin/tcpdump)

gw_setup $((SECS + 200))
T=$GW_TMP
mkdir -p "$T/tmp" "$T/logs" "$T/www"
chmod 755 "$T" "$T/www"
for k in 4 16 64; do
	head -c $((k * 1024)) /dev/urandom >"$T/www/f$k.bin"
done
chmod 644 "$T/www"/*

KA_PCAP=${KA_PCAP:-}
REUSE=
if [ -n "$KA_PCAP" ] && [ -s "$KA_PCAP" ] && [ -s "$KA_PCAP.port" ]; then
	REUSE=1
fi

mixed_bench() {
gw_start badupstream "$GW_TOOLS/badupstream" --listen ok=0:ok \
	--listen err=0:503 --portfile "$T/ports" --pidfile "$T/bu.pid"
gw_wait_file "$T/bu.pid" 5 "$GW_LAST_PID" || { echo "badupstream failed"; exit 1; }
OK_PORT=$(awk '$1 == "ok" { print $2 }' "$T/ports")
ERR_PORT=$(awk '$1 == "err" { print $2 }' "$T/ports")
FRONT=$(gw_free_port)
BACK=$(gw_free_port)
cat >"$T/nginx.conf" <<EOC
daemon off;
worker_processes 2;
user root root;
pid $T/nginx.pid;
error_log $T/logs/error.log crit;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $T/tmp/cb;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    upstream files { server 127.0.0.1:$BACK; keepalive 32; }
    upstream ok { server 127.0.0.1:$OK_PORT; }
    upstream err { server 127.0.0.1:$ERR_PORT; }
    proxy_set_header X-Request-Id \$request_id;
    server {
        listen 127.0.0.1:$FRONT;
        add_header X-Request-Id \$request_id always;
        location /files/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Request-Id \$request_id;
            proxy_pass http://files/;
        }
        location /ok { proxy_pass http://ok; }
        location /err { proxy_pass http://err; }
    }
    server {
        listen 127.0.0.1:$BACK;
        root $T/www;
    }
}
EOC
gw_start nginx "$NGINX" -p "$T" -c "$T/nginx.conf" -e "$T/logs/error.log"
gw_wait_file "$T/nginx.pid" 5 "$GW_LAST_PID" || { echo "nginx failed: $(cat "$T/nginx.out")"; exit 1; }

gw_start tcpdump "$TCPDUMP" -i lo -s 0 -B 65536 -w "$T/bench.pcap" \
	"tcp and (port $FRONT or port $BACK or port $OK_PORT or port $ERR_PORT)"
TD=$GW_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q "listening on" "$T/tcpdump.out" 2>/dev/null && break
	sleep 0.05
done

{
	for ((i = 0; i < 50; i++)); do
		echo "GET /files/f4.bin"; echo "GET /files/f16.bin"
		echo "GET /files/f64.bin"; echo "GET /ok/a?i=$i"
		echo "GET /files/f16.bin"; echo "GET /err/b"
	done
} >"$T/mix"
t_end=$((SECONDS + SECS))
while [ $SECONDS -lt $t_end ]; do
	size=$(stat -c %s "$T/bench.pcap" 2>/dev/null || echo 0)
	[ "$size" -lt $((MAXMB * 1024 * 1024)) ] || break
	"$GW_TOOLS/httpload" --port "$FRONT" --parallel 8 --timeout-ms 5000 \
		--file "$T/mix" >/dev/null 2>&1 || true
done
sleep 0.3
gw_stop "$TD"
gw_stop "$(cat "$T/nginx.pid" 2>/dev/null || echo 0)" QUIT 2>/dev/null || true

F=$T/bench.pcap
MB=$(awk -v s="$(stat -c %s "$F")" 'BEGIN { printf "%.1f", s / 1e6 }')
cat "$F" >/dev/null	# warm the page cache
echo "capture bench: $MB MB pcap of nginx traffic on lo, $(nproc) cores"

NPKT=$("$GW_BIN" capture -r "$F" -d "$T/count.db" 2>&1 | sed -n 's/.*: \([0-9]*\) packets,.*/\1/p' | head -1)
echo "  $NPKT packets"
run "tcpdump -r -w /dev/null (floor)" "$TCPDUMP" -r "$F" -w /dev/null
run "gatewatch capture -r" "$GW_BIN" capture -q -r "$F" -d "$T/plain.db"
run "gatewatch capture -r --listen" "$GW_BIN" capture -q -r "$F" \
	--listen "$FRONT" -d "$T/gw.db"
if command -v tshark >/dev/null 2>&1; then
	run "tshark (status codes)" tshark -r "$F" -Y http.response \
		-T fields -e http.response.code
else
	echo "  tshark not installed (apt-get install tshark to compare)"
fi
"$GW_BIN" capture -r "$F" --listen "$FRONT" -d "$T/gw2.db" 2>&1 |
	grep -E "http:|gateway:|stored:" | sed 's/^/  /'
echo "  target: >= 250 MB/s and peak RSS < 128 MiB for gatewatch capture -r"
}

# run LABEL CMD...: wall time, MB/s, packets/s, peak RSS and user CPU
# (runstat); the seconds are also appended to $T/secs.LABEL (for median).
run() {
	local label=$1
	shift
	"$GW_TOOLS/runstat" "$label" 0 "$@" >/dev/null 2>"$T/rs.out" || true
	local line secs rss user
	line=$(grep -F "$label" "$T/rs.out" | tail -1 || true)
	secs=$(echo "$line" | sed -n 's/.* \([0-9.]*\) s  *peak RSS.*/\1/p')
	rss=$(echo "$line" | sed -n 's/.*peak RSS *\([0-9.]*\) MiB.*/\1/p')
	user=$(echo "$line" | sed -n 's/.* user \([0-9.]*\) s.*/\1/p')
	echo "${secs:-0}" >>"$T/secs.$(echo "$label" | tr -c 'a-zA-Z0-9\n' _)"
	awk -v l="$label" -v s="$secs" -v mb="$MB" -v rss="$rss" -v np="$NPKT" \
	    -v u="$user" 'BEGIN { if (s <= 0) s = 0.001
		printf "  %-34s %7.2f s %8.0f MB/s %10.0f packets/s   peak RSS %s MiB, user %s s\n",
		    l, s, mb / s, np / s, rss, u }'
}

# median LABEL: the median of the runs of LABEL, as run() prints one.
median() {
	local label=$1 f
	f=$T/secs.$(echo "$label" | tr -c 'a-zA-Z0-9\n' _)
	sort -n "$f" | awk -v l="$label" -v mb="$MB" -v np="$NPKT" \
	    '{ v[NR] = $1 } END { s = v[int((NR + 1) / 2)]; if (s <= 0) s = 0.001
		printf "  %-34s %7.2f s %8.0f MB/s %10.0f packets/s   (median of %d)\n",
		    l, s, mb / s, np / s, NR }'
	rm -f "$f"
}

[ -n "$REUSE" ] || mixed_bench

# --- keep-alive small requests, gateway-host mode -------------------------
ka_record() {
KA_SECS=${KA_SECS:-6}
KA_MB=${KA_MB:-300}
FRONT2=$(gw_free_port)
BACK2=$(gw_free_port)
cat >"$T/nginx2.conf" <<EOC
daemon off;
worker_processes 1;
user root root;
pid $T/nginx2.pid;
error_log $T/logs/error2.log crit;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $T/tmp/cb;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    keepalive_requests 100000;
    upstream small { server 127.0.0.1:$BACK2; keepalive 64; }
    upstream err { server 127.0.0.1:$ERR_PORT; }
    server {
        listen 127.0.0.1:$FRONT2;
        location /small {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://small;
        }
        location /err { proxy_pass http://err; }
    }
    server {
        listen 127.0.0.1:$BACK2;
        keepalive_requests 100000;
        location / { return 200 "ok\n"; }
    }
}
EOC
gw_start nginx2 "$NGINX" -p "$T" -c "$T/nginx2.conf" -e "$T/logs/error2.log"
gw_wait_file "$T/nginx2.pid" 5 "$GW_LAST_PID" || { echo "nginx failed: $(cat "$T/nginx2.out")"; exit 1; }
gw_start tcpdump2 "$TCPDUMP" -i lo -s 0 -B 131072 -w "$T/ka.pcap" \
	"tcp and (port $FRONT2 or port $BACK2 or port $ERR_PORT)"
TD=$GW_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q "listening on" "$T/tcpdump2.out" 2>/dev/null && break
	sleep 0.05
done
for ((i = 0; i < 2000; i++)); do echo "GET /err/x?i=$i"; done >"$T/errmix"
"$GW_TOOLS/httpload" --port "$FRONT2" --parallel 4 --keepalive 50 \
	--timeout-ms 5000 --file "$T/errmix" >/dev/null 2>&1 &
ERRLOAD=$!
if command -v wrk >/dev/null 2>&1; then
	LOADER="wrk -t2 -c128 -d${KA_SECS}s"
	timeout $((KA_SECS + 10)) wrk -t2 -c128 -d"${KA_SECS}s" \
		"http://127.0.0.1:$FRONT2/small" >"$T/wrk.out" 2>&1 &
	LOAD=$!
else
	LOADER="httpload --keepalive 1000 --parallel 128"
	for ((i = 0; i < 400000; i++)); do echo "GET /small?i=$i"; done >"$T/kamix"
	"$GW_TOOLS/httpload" --port "$FRONT2" --parallel 128 --keepalive 1000 \
		--timeout-ms 5000 --file "$T/kamix" >/dev/null 2>&1 &
	LOAD=$!
fi
t_end=$((SECONDS + KA_SECS + 10))
while kill -0 "$LOAD" 2>/dev/null && [ $SECONDS -lt $t_end ]; do
	size=$(stat -c %s "$T/ka.pcap" 2>/dev/null || echo 0)
	[ "$size" -lt $((KA_MB * 1024 * 1024)) ] || break
	sleep 0.2
done
kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
kill "$ERRLOAD" 2>/dev/null || true
wait "$ERRLOAD" 2>/dev/null || true
sleep 0.3
gw_stop "$TD"
gw_stop "$(cat "$T/nginx2.pid" 2>/dev/null || echo 0)" QUIT 2>/dev/null || true
}

if [ -n "$REUSE" ]; then
	F=$KA_PCAP
	FRONT2=$(cat "$KA_PCAP.port")
	LOADER="reused $KA_PCAP"
else
	ka_record
	F=$T/ka.pcap
	if [ -n "$KA_PCAP" ]; then
		cp "$F" "$KA_PCAP"
		echo "$FRONT2" >"$KA_PCAP.port"
	fi
fi
MB=$(awk -v s="$(stat -c %s "$F")" 'BEGIN { printf "%.1f", s / 1e6 }')
cat "$F" >/dev/null
NPKT=$("$GW_BIN" capture -r "$F" -d "$T/kacount.db" 2>&1 | sed -n 's/.*: \([0-9]*\) packets,.*/\1/p' | head -1)
echo
echo "capture bench (gateway-host mode): $MB MB, $NPKT packets of small keep-alive requests through nginx ($LOADER), load $(cut -d' ' -f1-3 /proc/loadavg)"
# KA_RUNS rounds (default 3), each running every command once in turn
# (interleaved: a burst of load on this shared machine hits all alike), a
# fresh database each; MB/s of the file's size, packets/s of the same
# count for every line. With the store: --listen is what an operator
# runs; --discard (no database opened) is the capture side alone, which
# says whether it or the store's writer thread bounds.
# GW_BIN_B=BINARY (A/B runs): every gatewatch line of a round is run
# with GW_BIN (labelled A) then GW_BIN_B (B), so both see the same load.
KA_TAGS=("")
[ -z "${GW_BIN_B:-}" ] || KA_TAGS=(" [A]" " [B]")
KA_LABELS=("tcpdump -r -w /dev/null (floor)")
for tag in "${KA_TAGS[@]}"; do
	KA_LABELS+=("gatewatch capture -r$tag" "capture -r --listen (store)$tag"
		"capture -r --listen --discard$tag" "capture -r --discard (no tie)$tag")
done
# (the mixed-traffic runs above share two labels: not in these medians)
rm -f "$T"/secs.*
for ((round = 1; round <= ${KA_RUNS:-3}; round++)); do
	run "${KA_LABELS[0]}" "$TCPDUMP" -r "$F" -w /dev/null
	for ((i = 0; i < 4; i++)); do
		for tag in "${KA_TAGS[@]}"; do
			bin=$GW_BIN
			[ "$tag" != " [B]" ] || bin=$GW_BIN_B
			rm -f "$T"/ka[1245].db*
			# -d for --discard too: an older binary opened a database
			case $i in
			0) run "gatewatch capture -r$tag" "$bin" capture -q -r "$F" \
				-d "$T/ka1.db" ;;
			1) run "capture -r --listen (store)$tag" "$bin" capture -q \
				-r "$F" --listen "$FRONT2" -d "$T/ka2.db" ;;
			2) run "capture -r --listen --discard$tag" "$bin" capture -q \
				-r "$F" --listen "$FRONT2" --discard -d "$T/ka4.db" ;;
			3) run "capture -r --discard (no tie)$tag" "$bin" capture -q \
				-r "$F" --discard -d "$T/ka5.db" ;;
			esac
		done
	done
done
for l in "${KA_LABELS[@]}"; do median "$l"; done
"$GW_BIN" capture -r "$F" --listen "$FRONT2" -d "$T/ka3.db" 2>&1 |
	grep -E "tcp:|http:|gateway:" | sed 's/^/  /'
echo "  target: >= 500 MB/s with --listen, peak RSS < 128 MiB"

# --- the tie's cost with many requests pending at once ---------------------
echo
echo "capture bench: identical requests pending at once (mkpcap --pending)"
for n in 50000 100000; do
	"$GW_TOOLS/mkpcap" --pending "$n" "$T/pending$n.pcap"
	F=$T/pending$n.pcap
	MB=$(awk -v s="$(stat -c %s "$F")" 'BEGIN { printf "%.1f", s / 1e6 }')
	NPKT=$((n * 22))
	# --max-pending: all of them held, so this measures the tie, not the
	# pending-request budget (which would drop all but 4,096)
	run "capture --listen, $n pending" "$GW_BIN" capture -q -r "$F" \
		--listen 8080 --max-flows 262144 --max-pending 262144 \
		-d "$T/pending$n.db"
	rm -f "$F"
done
echo "  linear: the 100000 run takes about twice the 50000 run"
