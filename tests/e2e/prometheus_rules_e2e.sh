#!/usr/bin/env bash
# prometheus_rules_e2e.sh - the shipped Prometheus files are valid:
# promtool check rules, promtool test rules (gatewatch.rules.test.yml: each
# alert with series that must and must not fire it), promtool check config
# on the example scrape job, and the Grafana dashboard is JSON whose every
# target has a query (tests/e2e/prometheus_e2e.sh runs those queries).
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd promtool jq
gw_setup 60
C=contrib/prometheus

promtool check rules "$C/gatewatch.rules.yml" >"$GW_TMP/check.out" 2>&1 ||
	gw_fail "promtool check rules: $(cat "$GW_TMP/check.out")"
(cd "$C" && promtool test rules gatewatch.rules.test.yml) >"$GW_TMP/test.out" 2>&1 ||
	gw_fail "promtool test rules: $(cat "$GW_TMP/test.out")"
promtool check config "$C/prometheus.yml" >"$GW_TMP/config.out" 2>&1 ||
	gw_fail "promtool check config: $(cat "$GW_TMP/config.out")"
# Every alert of the rules has a unit test.
for a in $(sed -n 's/^ *- alert: //p' "$C/gatewatch.rules.yml"); do
	grep -q "alertname: $a\$" "$C/gatewatch.rules.test.yml" ||
		gw_fail "alert $a has no promtool unit test"
done
n=$(jq '[.panels[].targets[] | select((.expr // "") != "")] | length' "$C/gatewatch.dashboard.json") ||
	gw_fail "gatewatch.dashboard.json is not JSON"
gw_eq "$n" "$(jq '[.panels[].targets[]] | length' "$C/gatewatch.dashboard.json")" \
	"dashboard targets with a query" || gw_fail "a dashboard target has no query"
gw_log "ok: rules checked and unit-tested, config checked, $n dashboard queries"
