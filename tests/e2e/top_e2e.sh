#!/usr/bin/env bash
# top_e2e.sh - `gatewatch top` driven in a real terminal (tmux).
#
# Builds a database from a generated log (genlog) plus a crafted line whose
# path holds ESC and BEL, runs the console in a private tmux server, sends
# keys and reads the screen back with capture-pane:
#   - the failing-most upstream is at the top; every upstream's requests,
#     5xx and failed attempts equal `gatewatch report --format csv`;
#   - the help screen; drill into an upstream, its failing requests, one
#     request, and back out;
#   - a filter (status=504) and the 5m window, equal to the report for the
#     same filter and window;
#   - the crafted path shown escaped (\x1b), never raw;
#   - a resize to 80x24;
#   - live: a writer ingests while the console shows the count growing.
set -u
. "$(dirname "$0")/lib.sh"
gw_need_cmd tmux sqlite3
gw_setup 58

SOCK="gw-test-$$"
TM() { tmux -L "$SOCK" "$@"; }
trap 'rc=$?; tmux -L "$SOCK" kill-server 2>/dev/null; (exit $rc); gw_cleanup' EXIT

DB="$GW_TMP/top.db"
LOG="$GW_TMP/access.log"
"$GW_TOOLS/genlog" 20000 7 >"$LOG"
# nginx would write ESC as \x1B; a log written by something else may not:
# a combined-format line with raw ESC and BEL bytes in its path.
printf '10.9.9.9 - - [25/Nov/2026:00:00:20 +0000] "GET /evil\033[31mred\007 HTTP/1.1" 502 0 "-" "curl/8"\n' >"$GW_TMP/evil.log"
"$GW_BIN" ingest -q -d "$DB" "$LOG" "$GW_TMP/evil.log" || gw_fail "ingest"
[ "$(gw_sql "$DB" "SELECT count(*) FROM request_view WHERE path LIKE '/evil%'")" = 1 ] ||
	gw_fail "the crafted line was not stored"

# The screen as text; wait until it shows a pattern.
screen() { TM capture-pane -p -t top; }
wait_for() {
	local pat=$1 secs=${2:-8} i
	for ((i = 0; i < secs * 10; i++)); do
		screen | grep -qF -- "$pat" && return 0
		sleep 0.1
	done
	gw_log "screen without '$pat':"
	screen >&2
	return 1
}
keys() { TM send-keys -t top "$@"; sleep 0.3; }

# Rows of the upstreams table: "name requests 5xx fail.att" (wide screen).
upstream_rows() {
	screen | awk '/^upstream +requests/ {on = 1; next}
	    on && /^ / {exit}
	    on {sub(/^- \(gateway\)/, "-")}
	    on && NF >= 12 {print $1, $2, $4, $10}'
}
# Report rows by upstream: "name requests 5xx failed_attempts".
report_rows() {
	"$GW_BIN" report -d "$DB" --by upstream --format csv "$@" |
	    awk -F, 'NR > 1 {print $1, $2, $3, $7}'
}

TM new-session -d -s top -x 200 -y 50 \
	"env TERM=xterm-256color $GW_BIN top -d $DB --refresh 0.5; sleep 30"
wait_for "Upstreams (" || gw_fail "console did not start"
wait_for "window all" || gw_fail "old data should open the 'all' window"

# The failing-most upstream at the top; counts equal the report.
want_top=$(report_rows | sort -k3,3nr -k4,4nr | head -1 | cut -d' ' -f1)
got_top=$(upstream_rows | head -1 | cut -d' ' -f1)
gw_eq "$want_top" "$got_top" "top upstream"
while read -r name req e5 fatt; do
	line=$(upstream_rows | awk -v n="$name" '$1 == n')
	gw_eq "$name $req $e5 $fatt" "$line" "upstream $name vs report"
done < <(report_rows)
total=$("$GW_BIN" report -d "$DB" --by upstream --format csv |
	awk -F, 'NR > 1 {s += $2} END {print s}')
screen | grep -q "requests $total " || gw_eq "requests $total" \
	"$(screen | grep -o 'requests [0-9]*' | head -1)" "header total"

# Help, and back.
keys '?'
wait_for "gatewatch top - help" || gw_fail "help screen"
screen | grep -q "filter: upstream=U" || gw_fail "help lists the filter"
keys q
wait_for "Upstreams (" || gw_fail "help closes on a key"

# Drill into the top upstream, its failing requests, one request; back.
keys Enter
wait_for "view: upstream=$want_top" || gw_fail "drill into upstream"
wait_for "Failing requests (latest" || gw_fail "failing requests list"
keys Tab
keys Enter
wait_for "attempts (" || gw_fail "request view"
screen | grep -q "^upstream *$want_top" || gw_fail "request of the upstream"
keys BSpace
wait_for "Failing requests (latest" || gw_fail "back to the list"
keys BSpace
wait_for "view: all upstreams" || gw_fail "back to the overview"

# A filter: status=504 equals the report with --status 504.
keys / 's' 't' 'a' 't' 'u' 's' '=' '5' '0' '4' Enter
wait_for "view: status=504" || gw_fail "status filter"
sleep 0.6
while read -r name req e5 fatt; do
	line=$(upstream_rows | awk -v n="$name" '$1 == n')
	gw_eq "$name $req $e5 $fatt" "$line" "status=504 $name vs report"
done < <(report_rows --status 504)
keys BSpace
wait_for "view: all upstreams" || gw_fail "filter popped"

# The 5m window: the last five minutes of the data, as the report counts.
last=$(gw_sql "$DB" "SELECT max(ts_ms) FROM requests_all")
until_s=$(( (last / 60000 + 1) * 60 ))
since_s=$(( until_s - 300 ))
keys w
wait_for "window 5m" || gw_fail "window 5m"
sleep 0.6
while read -r name req e5 fatt; do
	line=$(upstream_rows | awk -v n="$name" '$1 == n')
	gw_eq "$name $req $e5 $fatt" "$line" "5m $name vs report"
done < <(report_rows --since "@$since_s" --until "@$until_s")
keys w w w
wait_for "window all" || gw_fail "window cycles back to all"

# The crafted path, escaped.
keys / 'p' 'a' 't' 'h' '=' '/' 'e' 'v' 'i' 'l' Enter
wait_for 'evil\x1b[31mred\x07' || gw_fail "escaped path"
screen | grep -q $'\033' && gw_fail "raw ESC on the screen"
keys BSpace

# Resize to 80x24: still the whole layout.
TM resize-window -t top -x 80 -y 24
sleep 0.5
wait_for "Upstreams (" || gw_fail "upstreams at 80x24"
wait_for "Causes (" || gw_fail "causes at 80x24"
wait_for "?help" || gw_fail "footer at 80x24"
screen | grep -q "terminal too small" && gw_fail "80x24 is big enough"

# Live: another process ingests; the console's total grows.
TM kill-session -t top
LDB="$GW_TMP/live.db"
"$GW_TOOLS/genlog" 1000 1 >"$GW_TMP/live0.log"
"$GW_BIN" ingest -q -d "$LDB" "$GW_TMP/live0.log"
TM new-session -d -s top -x 160 -y 40 \
	"$GW_BIN top -d $LDB --window all --refresh 0.2; sleep 30"
wait_for "requests 1000 " || gw_fail "live console start"
(
	for i in 2 3 4; do
		"$GW_TOOLS/genlog" 1000 "$i" >"$GW_TMP/live$i.log"
		"$GW_BIN" ingest -q -d "$LDB" "$GW_TMP/live$i.log"
		sleep 0.5
	done
) &
writer=$!
GW_PIDS+=("$writer")
wait_for "requests 2000 " || gw_fail "live: 2000"
wait_for "requests 4000 " || gw_fail "live: 4000"
wait "$writer"
keys q
sleep 0.3

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok ($GW_ASSERTS checks)"
