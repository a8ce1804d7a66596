#!/usr/bin/env bash
# kind_flip_e2e.sh - a file whose detected kind changes as it grows is
# still the same source: resumed where it stopped, never read again whole.
#
# A mixed nginx stream (`docker logs` of nginx: error and access lines
# interleaved) that begins with more error lines than access lines is
# detected as nginx_error; once twenty access lines follow, its first
# lines say nginx_access. On main the grown file became a second source
# and was read again from byte 0: its first requests and error lines
# stored twice. Here it is read in two runs of ingest, then of tail
# (stopped by SIGTERM between the runs, by PID); each line must be stored
# once, the source kept (one row, its kind the latest detection's) and the
# change told.
#
# Everything lives in one mktemp dir; a watchdog ends the run after 60 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
command -v sqlite3 >/dev/null 2>&1 || gw_fail "sqlite3 CLI missing (make test-deps)"

gw_setup 60
T=$GW_TMP

acc() {
	printf '10.0.0.%s - - [07/Dec/2026:03:%02d:00 +0000] "GET /a%s HTTP/1.1" 200 12 "-" "curl/8"\n' \
		"$1" "$1" "$1"
}
errl() {
	printf '2026/12/07 03:00:0%s [error] 12#12: *%s connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.1.%s, server: x, request: "GET /e%s HTTP/1.1", upstream: "http://127.0.0.1:9/e%s", host: "x"\n' \
		"$1" "$1" "$1" "$1" "$1"
}
# part 1: 3 error lines, 2 access lines (an nginx_error file);
# part 2: 21 access lines (the whole is an nginx_access file)
part() {
	local i
	if [ "$1" = 1 ]; then
		errl 1; acc 1; errl 2; acc 2; errl 3
	else
		for i in $(seq 3 23); do acc "$i"; done
	fi
}

SQL() { sqlite3 "$1" "$2" 2>&1 || true; }
# on requests: every one, also those kept in blocks (lib.sh)
RSQL() { gw_sql "$1" "$2" 2>&1 || true; }

# check DB WHAT: every line once, one source, its kind the latest
check() {
	local db=$1 what=$2
	gw_eq 23 "$(RSQL "$db" "SELECT count(*) FROM requests_all")" "$what: requests"
	gw_eq 23 "$(RSQL "$db" "SELECT count(DISTINCT path) FROM request_view")" \
		"$what: distinct paths"
	gw_eq 3 "$(SQL "$db" "SELECT count(*) FROM gateway_errors")" \
		"$what: error lines"
	gw_eq 1 "$(SQL "$db" "SELECT count(*) FROM sources")" "$what: sources"
	gw_eq nginx_access "$(SQL "$db" "SELECT kind FROM sources")" "$what: kind"
	gw_eq 26 "$(SQL "$db" "SELECT line_no FROM sources")" "$what: lines read"
	gw_eq 0 "$(SQL "$db" "SELECT count(*) FROM rejects")" "$what: rejects"
}

# --- ingest, two runs --------------------------------------------------------

db=$T/ingest.db
log=$T/ingest.log
part 1 >"$log"
"$GW_BIN" ingest -d "$db" "$log" >"$T/ingest.1.out" 2>&1 ||
	gw_fail "first ingest: $(cat "$T/ingest.1.out")"
gw_eq nginx_error "$(SQL "$db" "SELECT kind FROM sources")" "ingest: first kind"
gw_eq 2 "$(RSQL "$db" "SELECT count(*) FROM requests_all")" "ingest: first requests"
part 2 >>"$log"
"$GW_BIN" ingest -d "$db" "$log" >"$T/ingest.2.out" 2>&1 ||
	gw_fail "second ingest: $(cat "$T/ingest.2.out")"
grep -q "read before as nginx_error, recognised as nginx_access now" \
	"$T/ingest.2.out" || gw_eq said "not said: $(cat "$T/ingest.2.out")" \
	"ingest: the change is told"
grep -q "resuming there" "$T/ingest.2.out" ||
	gw_eq said "not said" "ingest: resumed"
check "$db" ingest
# a third run finds it again under its new kind and reads nothing
"$GW_BIN" ingest -d "$db" "$log" >"$T/ingest.3.out" 2>&1 ||
	gw_fail "third ingest: $(cat "$T/ingest.3.out")"
grep -q "read before as" "$T/ingest.3.out" &&
	gw_eq "not said" said "ingest: no change told when none"
check "$db" "ingest again"

# --- tail, stopped and started again after the file grew ---------------------

db=$T/tail.db
log=$T/tail.log
part 1 >"$log"
gw_start tail1 "$GW_BIN" tail -v -d "$db" "$log"
pid=$GW_LAST_PID
gw_wait_rows "$db" 2 || gw_fail "tail did not store the first part: $(cat "$T/tail1.out")"
sleep 0.5	# its last batch committed
gw_stop "$pid" TERM
gw_eq nginx_error "$(SQL "$db" "SELECT kind FROM sources")" "tail: first kind"
part 2 >>"$log"
gw_start tail2 "$GW_BIN" tail -v -d "$db" "$log"
pid=$GW_LAST_PID
gw_wait_rows "$db" 23 || true
sleep 0.5	# a duplicate would come in the same read
gw_stop "$pid" TERM
grep -q "read before as nginx_error, recognised as nginx_access now" \
	"$T/tail2.out" || gw_eq said "not said: $(cat "$T/tail2.out")" \
	"tail: the change is told"
check "$db" tail

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: a file detected as another kind is resumed, not read again ($GW_ASSERTS checks)"
