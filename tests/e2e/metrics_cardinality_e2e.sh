#!/usr/bin/env bash
# metrics_cardinality_e2e.sh - 10,000 distinct upstreams (pod IPs that
# churn) through `gatewatch tail --metrics-listen` and `gatewatch metrics`:
# the upstream label stays within its cap (200 by default,
# --metrics-max-upstreams N), the rest is summed under upstream="_other" -
# nothing is lost - and gatewatch_metrics_series_dropped_total counts the
# names folded. The exposition passes promtool check metrics.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd promtool curl
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
gw_setup 90
T=$GW_TMP
N=10000

# One request per upstream 10.(i/250).(i%250).1:8080, every tenth a 502,
# in the `upstream` format, times in the last minutes.
gen() {
	awk -v n="$N" -v now="$(date -u +%s)" 'BEGIN {
		for (i = 0; i < n; i++) {
			t = strftime("%d/%b/%Y:%H:%M:%S +0000", now - 120 + int(i / 100), 1)
			st = (i % 10 == 0) ? 502 : 200
			printf "10.9.%d.%d - - [%s] \"GET /p/%d HTTP/1.1\" %d 3 \"-\" \"gen\" rt=0.001 uaddr=\"10.%d.%d.1:8080\" us=\"%d\" uct=\"0.000\" uht=\"%s\" urt=\"0.001\" rid=r%d\n", \
			    int(i / 250), i % 250, t, i, st, int(i / 250), i % 250, st, \
			    st == 502 ? "0.001" : "0.001", i
		}
	}'
}
gen >"$T/access.log"

gw_start tail "$GW_BIN" tail -d "$T/gw.db" --metrics-listen 127.0.0.1:0 \
	"$T/access.log"
for ((i = 0; i < 100; i++)); do
	grep -q 'metrics at http://' "$T/tail.out" 2>/dev/null && break
	sleep 0.1
done
METRICS=$(sed -n 's|.*metrics at http://\([^/]*\)/metrics.*|\1|p' "$T/tail.out" | head -1)
[ -n "$METRICS" ] || gw_fail "tail did not serve: $(cat "$T/tail.out")"

# Wait until every request is counted (settle 5 s), bounded.
total=0
for ((i = 0; i < 200; i++)); do
	curl -sf "http://$METRICS/metrics" >"$T/m.prom" || gw_fail "scrape failed"
	total=$(awk '/^gatewatch_http_requests_total\{/ { s += $NF } END { print s + 0 }' "$T/m.prom")
	[ "$total" = "$N" ] && break
	sleep 0.2
done
gw_eq "$N" "$total" "requests counted (named + _other)" || true

# upstream label values of a family in FILE
values() {
	grep "^$1{" "$2" | sed 's/.*upstream="\([^"]*\)".*/\1/' | sort -u
}
n_up=$(values gatewatch_http_requests_total "$T/m.prom" | grep -vc '^_other$' || true)
gw_eq 200 "$n_up" "named upstream label values (cap 200)" || true
gw_eq 1 "$(values gatewatch_http_requests_total "$T/m.prom" | grep -c '^_other$')" \
	"an _other value" || true
n_other=$(awk '/^gatewatch_http_requests_total\{upstream="_other"/ { s += $NF } END { print s + 0 }' "$T/m.prom")
gw_eq $((N - 200)) "$n_other" "requests under _other" || true
dropped=$(awk '/^gatewatch_metrics_series_dropped_total / { print $2 }' "$T/m.prom")
gw_eq $((N - 200)) "$dropped" "gatewatch_metrics_series_dropped_total" || true
n_series=$(grep -c '^gatewatch_' "$T/m.prom")
[ "$n_series" -lt 5000 ] || gw_eq "< 5000" "$n_series" "sample lines" || true
promtool check metrics <"$T/m.prom" >"$T/promtool.out" 2>&1 ||
	gw_fail "promtool check metrics: $(cat "$T/promtool.out")"

# The same from the database, with a smaller cap.
"$GW_BIN" metrics -d "$T/gw.db" --metrics-max-upstreams 50 >"$T/db.prom" ||
	gw_fail "gatewatch metrics failed"
gw_eq 50 "$(values gatewatch_upstream_attempts_total "$T/db.prom" | grep -vc '^_other$' || true)" \
	"named upstreams of gatewatch metrics --metrics-max-upstreams 50" || true
gw_eq "$N" "$(awk '/^gatewatch_upstream_attempts_total\{/ { s += $NF } END { print s + 0 }' "$T/db.prom")" \
	"attempts of gatewatch metrics (named + _other)" || true
gw_eq $((N - 50)) "$(awk '/^gatewatch_metrics_series_dropped_total / { print $2 }' "$T/db.prom")" \
	"series dropped by gatewatch metrics" || true
promtool check metrics <"$T/db.prom" >"$T/promtool.out" 2>&1 ||
	gw_fail "promtool check metrics (gatewatch metrics): $(cat "$T/promtool.out")"

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: $GW_ASSERTS checks; $N upstreams -> 200 + _other, $n_series sample lines"
