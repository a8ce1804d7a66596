#!/usr/bin/env bash
# top_background_e2e.sh - the diagnosis views of `gatewatch top` are built
# in the background: the console answers keys while one is computing.
#
# Builds a database from a generated log (genlog, 300,000 requests) and
# opens the console on the whole of it (--window all), in tmux. Then:
#   - explain (e on the top upstream) says "computing", and `?` brings the
#     help up at once, whatever the build's length; any key closes it;
#   - switching views while one computes (3 then 2) shows the newer one's
#     "computing", and its model arrives (the older build was dropped);
#   - q while explain computes ends the console within a second.
# The times are logged, to show how long the builds took meanwhile.
set -u
. "$(dirname "$0")/lib.sh"
gw_need_cmd tmux
gw_setup 120

SOCK="gw-test-bg-$$"
TM() { tmux -L "$SOCK" "$@"; }
trap 'rc=$?; tmux -L "$SOCK" kill-server 2>/dev/null; (exit $rc); gw_cleanup' EXIT

DB="$GW_TMP/bg.db"
"$GW_TOOLS/genlog" 300000 11 >"$GW_TMP/access.log" || gw_fail "genlog"
"$GW_BIN" ingest -q -d "$DB" --format upstream "$GW_TMP/access.log" ||
	gw_fail "ingest"
rm -f "$GW_TMP/access.log"

ms() { date +%s%3N; }
screen() { TM capture-pane -p -t top; }
# wait_for PATTERN [SECONDS]: until the screen shows PATTERN; 1 if never.
wait_for() {
	local pat=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 50; i++)); do
		screen | grep -qF -- "$pat" && return 0
		sleep 0.02
	done
	gw_log "screen without '$pat':"
	screen >&2
	return 1
}
# wait_gone PATTERN [SECONDS]: until the screen no longer shows PATTERN.
wait_gone() {
	local pat=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 50; i++)); do
		screen | grep -qF -- "$pat" || return 0
		sleep 0.02
	done
	gw_log "screen still with '$pat':"
	screen >&2
	return 1
}

TM new-session -d -s top -x 160 -y 40 \
	"env TERM=xterm-256color $GW_BIN top -d $DB --window all --refresh 0.5; echo CONSOLE-EXITED; sleep 30"
wait_for "Upstreams (" || gw_fail "console did not start"

# Help while explain computes: at once, not after the build.
TM send-keys -t top e
wait_for "computing the explain view" || gw_fail "explain says computing"
t0=$(ms)
TM send-keys -t top '?'
wait_for "gatewatch top - help" || gw_fail "help while computing"
t_help=$(($(ms) - t0))
TM send-keys -t top q	# closes the help, does not quit
wait_for "Why it failed, most first" 30 || gw_fail "explain built"
t_built=$(($(ms) - t0))
gw_log "help after ${t_help} ms; explain built after ${t_built} ms"
[ "$t_help" -lt 1000 ] || gw_fail "help took ${t_help} ms while computing"
screen | grep -q "CONSOLE-EXITED" && gw_fail "q closed the help only"

# A newer view supersedes the one computing; its model arrives.
TM send-keys -t top 3
wait_for "computing the breaker view" || gw_fail "breaker computing"
TM send-keys -t top 2
wait_for "computing the shapes view" || gw_fail "shapes supersedes breaker"
wait_gone "computing the shapes view" 30 || gw_fail "shapes built"
wait_for "Query shapes that fail" || gw_fail "shapes view shown"
screen | grep -q "computing the breaker" && gw_fail "the breaker build shows"

# q while explain computes: out within a second.
TM send-keys -t top 1
wait_for "Upstreams (" || gw_fail "back to the overview"
TM send-keys -t top e
wait_for "computing the explain view" || gw_fail "explain computing again"
t0=$(ms)
TM send-keys -t top q
wait_for "CONSOLE-EXITED" 10 || gw_fail "q while computing"
t_quit=$(($(ms) - t0))
gw_log "quit during explain after ${t_quit} ms"
[ "$t_quit" -lt 1000 ] || gw_fail "quitting took ${t_quit} ms"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok ($GW_ASSERTS checks)"
