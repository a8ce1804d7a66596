#!/usr/bin/env bash
# capture_metrics_e2e.sh - `gatewatch capture -i lo --metrics-listen`:
# while badupstream answers a known mix on 127.0.0.1 (200s and 503s), the
# capture's /metrics counts, per upstream x cause, what `gatewatch report`
# says of the same database, carries the kernel's drop counter, and passes
# promtool check metrics. Needs root (CAP_NET_RAW) for the live capture.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd promtool curl jq
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
[ "$(id -u)" = 0 ] || gw_skip "live capture needs root"
gw_setup 60
T=$GW_TMP

gw_badupstream "$T/ports" ok:ok bad:503
declare -A PORT
gw_read_ports "$T/ports" PORT

gw_start capture "$GW_BIN" capture -d "$T/cap.db" -i lo \
	-f "tcp port ${PORT[ok]} or tcp port ${PORT[bad]}" \
	--metrics-listen 127.0.0.1:0
CAP_PID=$GW_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$T/capture.out" 2>/dev/null && break
	kill -0 "$CAP_PID" 2>/dev/null || gw_fail "capture died: $(cat "$T/capture.out")"
	sleep 0.1
done
METRICS=$(sed -n 's|.*metrics at http://\([^/]*\)/metrics.*|\1|p' "$T/capture.out" | head -1)
[ -n "$METRICS" ] || gw_fail "capture did not serve: $(cat "$T/capture.out")"
curl -sf "http://$METRICS/metrics" >/dev/null || gw_fail "first scrape failed"
sleep 0.5	# the capture is live before the traffic

"$GW_TOOLS/httpload" --port "${PORT[ok]}" --timeout-ms 5000 --expect 200 \
	--repeat 12 "/v1/items?id=1" >"$T/load.out" || gw_fail "httpload: $(cat "$T/load.out")"
"$GW_TOOLS/httpload" --port "${PORT[bad]}" --timeout-ms 5000 --expect 503 \
	--repeat 5 "/health" >"$T/load.out" || gw_fail "httpload: $(cat "$T/load.out")"

stored=0
for ((i = 0; i < 100; i++)); do
	stored=$("$GW_BIN" report -d "$T/cap.db" --by cause --format json 2>/dev/null |
		jq '[.[].requests] | add // 0')
	[ "$stored" = 17 ] && break
	sleep 0.1
done
gw_eq 17 "$stored" "exchanges stored by capture" || gw_fail "capture did not store the exchanges"
"$GW_BIN" report -d "$T/cap.db" --by upstream,cause --format json |
	jq -r '.[] | select(.requests > 0) | "\(.upstream) \(.cause) \(.requests)"' |
	sort >"$T/want"

# Settled (5 s) and scraped: the same figures.
for ((i = 0; i < 100; i++)); do
	curl -sf "http://$METRICS/metrics" >"$T/m.prom" || gw_fail "scrape failed"
	awk '/^gatewatch_http_requests_total\{/ {
		match($0, /upstream="[^"]*"/); u = substr($0, RSTART + 10, RLENGTH - 11)
		match($0, /cause="[^"]*"/); c = substr($0, RSTART + 7, RLENGTH - 8)
		n[u " " c] += $NF
	} END { for (k in n) if (n[k] > 0) print k, n[k] }' "$T/m.prom" | sort >"$T/got"
	cmp -s "$T/want" "$T/got" && break
	sleep 0.2
done
GW_ASSERTS=$((GW_ASSERTS + 1))
if ! diff -u "$T/want" "$T/got" >"$T/diff"; then
	GW_FAILURES=$((GW_FAILURES + 1))
	gw_log "capture's /metrics differs from the report (-report +metrics):"
	cat "$T/diff" >&2
fi
gw_eq "127.0.0.1:${PORT[bad]} upstream_5xx 5" "$(grep upstream_5xx "$T/got" || true)" \
	"503s of the upstream" || true
grep -Eq '^gatewatch_capture_packets_dropped_total [0-9]+$' "$T/m.prom" ||
	gw_eq "a number" "$(grep '^gatewatch_capture_packets_dropped_total' "$T/m.prom")" \
		"packets dropped" || true
promtool check metrics <"$T/m.prom" >"$T/promtool.out" 2>&1 ||
	gw_fail "promtool check metrics: $(cat "$T/promtool.out")"

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: $GW_ASSERTS checks"
