#!/usr/bin/env bash
# capture_budget.sh - `gatewatch capture -r` on hostile traffic keeps its
# state bounded (issue 16): 2,000 connections each pipelining 64 GETs that
# are never answered (tests/tools/mkpcap --flood; 128,000 requests against
# a budget of 4,096 awaiting answers). The summary counts what was dropped
# (non-zero), says at most 4,096 were held, and every request is accounted
# for: stored as an incomplete exchange or counted as dropped, and `report`
# says how many were dropped. No timing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 120
gw_need_tools mkpcap
T=$GW_TMP

"$GW_TOOLS/mkpcap" --flood 2000 64 "$T/flood.pcap"
"$GW_BIN" capture -d "$T/gw.db" -r "$T/flood.pcap" 2>"$T/err" ||
	{ cat "$T/err" >&2; gw_fail "capture -r failed"; }
line=$(grep 'memory budget:' "$T/err" || true)
[ -n "$line" ] || { cat "$T/err" >&2; gw_fail "no memory budget line"; }
dropped=$(sed -n 's/.*memory budget: \([0-9]*\) requests dropped.*/\1/p' <<<"$line")
held=$(sed -n 's/.*at most \([0-9]*\) held at once.*/\1/p' <<<"$line")
stored=$(sed -n 's/.*stored: [0-9]* requests, \([0-9]*\) incomplete.*/\1/p' "$T/err")
gw_eq 1 "$([ "${dropped:-0}" -gt 0 ] && echo 1 || echo 0)" "requests dropped > 0 ($dropped)"
gw_eq 1 "$([ "${held:-99999}" -le 4096 ] && echo 1 || echo 0)" "held at most 4096 ($held)"
gw_eq 128000 "$((dropped + stored))" "every request stored or counted as dropped"
# Counted exactly in reject_counts; the rejects table keeps a sample (the
# first 1,000 of a source, then 1 in 1,000).
gw_eq "$stored" "$(sqlite3 "$T/gw.db" 'SELECT sum(rejected) FROM reject_counts')" \
	"incomplete exchanges counted as rejects"
gw_eq "$(sqlite3 "$T/gw.db" 'SELECT sum(kept) FROM reject_counts')" \
	"$(sqlite3 "$T/gw.db" 'SELECT count(*) FROM rejects')" "rejects kept as counted"
# The count is stored with the capture, so `report` says it too, on the
# line of that capture file.
rep=$("$GW_BIN" report -d "$T/gw.db" 2>&1)
gw_eq 1 "$(grep -c "^capture $T/flood.pcap: " <<<"$rep" || true)" \
	"report: the capture's line names its file"
gw_eq "$dropped" "$(sed -n 's/.*; \([0-9]*\) requests dropped unanswered by the memory budget.*/\1/p' <<<"$rep")" \
	"report: requests dropped by the memory budget"

# --max-pending moves the budget: twice as many held, fewer dropped.
"$GW_BIN" capture -d "$T/gw2.db" -r "$T/flood.pcap" --max-pending 8192 \
	2>"$T/err2" || { cat "$T/err2" >&2; gw_fail "capture --max-pending failed"; }
held2=$(sed -n 's/.*at most \([0-9]*\) held at once.*/\1/p' "$T/err2")
dropped2=$(sed -n 's/.*memory budget: \([0-9]*\) requests dropped.*/\1/p' "$T/err2")
gw_eq 1 "$([ "${held2:-0}" -gt 4096 ] && [ "${held2:-0}" -le 8192 ] && echo 1 || echo 0)" \
	"--max-pending 8192: held more than 4096, at most 8192 ($held2)"
gw_eq 1 "$([ "${dropped2:-0}" -lt "$dropped" ] && echo 1 || echo 0)" \
	"--max-pending 8192: fewer dropped ($dropped2 < $dropped)"

# --discard measures the capture side alone: it builds the same events
# (the summary counts them as the stored run did, as built, not stored) but creates and opens
# no database, neither ./gatewatch.db nor -d's.
mkdir "$T/empty"
(cd "$T/empty" && env -u GATEWATCH_DB "$GW_BIN" capture -r "$T/flood.pcap" --discard \
	2>"$T/err3") || { cat "$T/err3" >&2; gw_fail "capture --discard failed"; }
(cd "$T/empty" && "$GW_BIN" capture -r "$T/flood.pcap" --discard \
	-d "$T/empty/named.db" 2>/dev/null) || gw_fail "capture --discard -d failed"
gw_eq "" "$(ls -A "$T/empty")" "--discard: no database created (./gatewatch.db, -d)"
counts() { sed -n 's/.*: \([0-9]* requests, [0-9]* incomplete\)/\1/p' "$1"; }
gw_eq "$(counts "$T/err")" "$(counts "$T/err3")" \
	"--discard: the same events built as when stored"
gw_eq 1 "$(grep -c '^  built (--discard: not stored): [0-9]* requests' "$T/err3" || true)" \
	"--discard: the summary says nothing was stored"
gw_eq "$(grep 'memory budget:' "$T/err")" "$(grep 'memory budget:' "$T/err3")" \
	"--discard: the same budget counters"
rc=0
"$GW_BIN" capture -r "$T/flood.pcap" --discard --retain 1d -d "$T/empty/r.db" \
	2>/dev/null || rc=$?
gw_eq 2 "$rc" "--discard --retain: a usage error (no database to prune)"
gw_eq "" "$(ls -A "$T/empty")" "--discard --retain: no database created"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
