#!/usr/bin/env bash
# top_diagnose_e2e.sh - the diagnosis views of `gatewatch top` driven in a
# real terminal (tmux).
#
# Builds a database from crafted nginx `upstream`-format lines: on
# 10.0.0.5:8080, GET /api/users/ID?userName=x&age=1 answers 502 sixty
# times in a row while ?username=x&age=1 answers 200 240 times; every tenth
# request is refused by 10.0.0.7:80 and saved by 10.0.0.6:8080; a few are
# refused by the gateway itself (503, no upstream). Then, with keys and
# capture-pane:
#   - 2 (shapes): the userName shape is flagged, named against username,
#     with its example request; Enter shows that request whole;
#   - 3 (breaker): 10.0.0.5:8080 has an opening with a time, the healthy
#     10.0.0.6:8080 none;
#   - 4 (retries): the 30 retried requests, first failed on 10.0.0.7:80,
#     rescued by 10.0.0.6:8080;
#   - e (explain) on the breaker's top row: the reasons in plain words,
#     the shape among them; Backspace returns to the breaker;
#   - the footer and the help screen name the keys; 1 returns to the
#     overview; the views fit 80x24.
set -u
. "$(dirname "$0")/lib.sh"
gw_need_cmd tmux
gw_setup 60

SOCK="gw-test-dx-$$"
TM() { tmux -L "$SOCK" "$@"; }
trap 'rc=$?; tmux -L "$SOCK" kill-server 2>/dev/null; (exit $rc); gw_cleanup' EXIT

DB="$GW_TMP/dx.db"
LOG="$GW_TMP/access.log"
{
for i in $(seq 0 299); do
	ts=$(printf '25/Nov/2026:00:%02d:%02d +0000' $((i / 60)) $((i % 60)))
	if [ "$i" -ge 100 ] && [ "$i" -lt 160 ]; then
		printf '10.1.0.%d - - [%s] "GET /api/users/%d?userName=x&age=1 HTTP/1.1" 502 150 "-" "curl/8" rt=0.002 uaddr="10.0.0.5:8080" us="502" uct="0.000" uht="0.002" urt="0.002" rid=a%d\n' \
		    $((i % 200)) "$ts" $((i % 17 + 1)) "$i"
	else
		printf '10.1.0.%d - - [%s] "GET /api/users/%d?username=x&age=1 HTTP/1.1" 200 512 "-" "curl/8" rt=0.003 uaddr="10.0.0.5:8080" us="200" uct="0.000" uht="0.003" urt="0.003" rid=b%d\n' \
		    $((i % 200)) "$ts" $((i % 17 + 1)) "$i"
	fi
	if [ $((i % 3)) = 0 ]; then
		printf '10.2.0.%d - - [%s] "GET /health HTTP/1.1" 200 2 "-" "curl/8" rt=0.001 uaddr="10.0.0.6:8080" us="200" uct="0.000" uht="0.001" urt="0.001" rid=c%d\n' \
		    $((i % 200)) "$ts" "$i"
	fi
	if [ $((i % 10)) = 5 ]; then
		printf '10.3.0.%d - - [%s] "GET /orders HTTP/1.1" 200 20 "-" "curl/8" rt=0.050 uaddr="10.0.0.7:80, 10.0.0.6:8080" us="502, 200" uct="0.000, 0.000" uht="-, 0.001" urt="0.040, 0.001" rid=d%d\n' \
		    $((i % 200)) "$ts" "$i"
	fi
	if [ $((i % 25)) = 7 ]; then
		printf '10.4.0.%d - - [%s] "GET /limited HTTP/1.1" 503 190 "-" "curl/8" rt=0.000 uaddr="-" us="-" uct="-" uht="-" urt="-" rid=e%d\n' \
		    $((i % 200)) "$ts" "$i"
	fi
done
} >"$LOG"
"$GW_BIN" ingest -q -d "$DB" --format upstream "$LOG" || gw_fail "ingest"

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
# Assert a pattern (fixed string) is on the screen now.
shows() { screen | grep -qF -- "$1" || { gw_log "missing '$1':"; screen >&2; gw_fail "$2"; }; }

TM new-session -d -s top -x 180 -y 45 \
	"env TERM=xterm-256color $GW_BIN top -d $DB --refresh 0.5; sleep 30"
wait_for "Upstreams (" || gw_fail "console did not start"
shows "vview" "footer names the view key"
shows "eexplain" "footer names the explain key"

# Shapes: the userName shape, named against username, with an example.
keys 2
wait_for "Query shapes that fail more than their siblings (1)" ||
	gw_fail "shapes view"
shows "view: shapes" "header names the view"
row=$(screen | grep -F "GET /api/users/:id")
echo "$row" | grep -qF "10.0.0.5:8080" || gw_fail "shape row: upstream"
echo "$row" | grep -qF "userName" || gw_fail "shape row: the userName shape"
echo "$row" | grep -qF "100.00%" || gw_fail "shape row: its 5xx rate"
screen | grep -F "GET /api/users/:id" | grep -qF "username=<text>" &&
	gw_fail "the healthy username shape is not flagged"
shows "'userName' where the healthy shape has 'username'" "difference named"
shows "e.g. 00:02:39 GET /api/users/7?userName=x&age=1 -> 502" "example"
keys Enter
wait_for "attempts (1)" || gw_fail "Enter shows the example request"
shows "GET /api/users/7?userName=x&age=1" "the example request whole"
keys BSpace
wait_for "Query shapes that fail" || gw_fail "back to the shapes"

# Breaker: an opening for the failing upstream, none for the healthy one.
keys 3
wait_for "Circuit breaker replay (3 upstreams)" || gw_fail "breaker view"
line=$(screen | awk '$1 == "10.0.0.5:8080"')
gw_eq "1" "$(echo "$line" | awk '{print $5}')" "breaker opens for 10.0.0.5:8080"
line=$(screen | awk '$1 == "10.0.0.6:8080"')
gw_eq "0" "$(echo "$line" | awk '{print $5}')" "no opening for 10.0.0.6:8080"
shows "10.0.0.5:8080: 1 opening, 58 attempts spared" "spared count"
shows "open 00:01:44 -> 00:02:44  consecutive_failures" "open period"

# Retries: first failed on .7, rescued by .6.
keys 4
wait_for "Retries: requests that needed another attempt" ||
	gw_fail "retries view"
shows "30 after a failed one: 30 saved by the retry" "retry summary"
line=$(screen | awk '$1 == "10.0.0.7:80"')
echo "$line" | grep -qF "10.0.0.6:8080 (30)" || gw_fail "rescued by .6"

# Explain the breaker's top row (the most spared: 10.0.0.5:8080).
keys 3
wait_for "Circuit breaker replay" || gw_fail "breaker again"
keys e
wait_for "Why 10.0.0.5:8080 failed" || gw_fail "explain view"
wait_for "answered 5xx itself" || gw_fail "explain: the cause in words"
shows "Why it failed, most first:" "explain heading"
shows "query 'age=<number>&userName=<text>' fails 100.0% of the time" \
	"explain: the shape"
shows "a circuit breaker would have opened 1 time" "explain: the breaker"
keys BSpace
wait_for "Circuit breaker replay" || gw_fail "Backspace leaves explain"

# Explain from the overview's upstreams table (top row: most 5xx).
keys 1
wait_for "Upstreams (" || gw_fail "1: overview"
shows "view: all upstreams" "overview header"
keys e
wait_for "Why 10.0.0.5:8080 failed" || gw_fail "e on the upstreams table"
keys BSpace
wait_for "Upstreams (" || gw_fail "back to the overview"

# Help names the keys.
keys '?'
wait_for "gatewatch top - help" || gw_fail "help"
shows "view: 1 overview, 2 shapes, 3 breaker, 4 retries" "help: views"
shows "explain the selected upstream" "help: explain"
keys q
wait_for "Upstreams (" || gw_fail "help closes"

# v cycles the views; they fit 80x24.
TM resize-window -t top -x 80 -y 24
keys v
wait_for "Query shapes that fail" || gw_fail "v: shapes at 80x24"
keys v
wait_for "Circuit breaker replay" || gw_fail "v: breaker at 80x24"
screen | grep -q "^10.0.0.5:8080" || gw_fail "breaker row at 80x24"
keys v
wait_for "Retries:" || gw_fail "v: retries at 80x24"
keys v
wait_for "Upstreams (" || gw_fail "v: back to the overview"
screen | grep -q "terminal too small" && gw_fail "80x24 is big enough"
keys q
sleep 0.3

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok ($GW_ASSERTS checks)"
