#!/usr/bin/env bash
# tui_modes_e2e.sh - the console run together with a writer in one process,
# in a real terminal (tmux):
#   - `gatewatch tail --tui FILE`: a writer appends lines while the console
#     shows the request count growing; q stops both, every line is stored,
#     the exit status is 0;
#   - `gatewatch capture -r FILE --tui`: the capture is stored and the
#     console opens on it; q exits 0, and the summary does not call it
#     interrupted;
#   - `gatewatch -d DB FILE` (GoAccess style): ingest, then the console, with
#     the same total as `gatewatch report`.
# Under ThreadSanitizer (make O=build-tsan TSAN=1 build-tsan/gatewatch,
# GW_BIN=$PWD/build-tsan/gatewatch) a race makes the exit status 66: the
# console's quitting and the loop it stops share one atomic flag.
set -u
. "$(dirname "$0")/lib.sh"
gw_need_cmd tmux sqlite3
gw_setup 55

SOCK="gw-test-$$"
TM() { tmux -L "$SOCK" "$@"; }
trap 'rc=$?; tmux -L "$SOCK" kill-server 2>/dev/null; (exit $rc); gw_cleanup' EXIT
T=$GW_TMP

screen() { TM capture-pane -p -t "$1"; }
wait_for() {
	local win=$1 pat=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		screen "$win" | grep -qE -- "$pat" && return 0
		sleep 0.1
	done
	gw_log "screen of $win without '$pat':"
	screen "$win" >&2
	return 1
}
shown_requests() { screen "$1" | grep -o 'requests [0-9]*' | head -1 | cut -d' ' -f2; }

# 1. tail --tui while a writer appends lines stamped now.
: >"$T/access.log"
TM new-session -d -s tail -x 160 -y 40 \
	"env TERM=xterm-256color $GW_BIN tail -d $T/tail.db --tui $T/access.log; echo EXIT=\$?; sleep 30"
wait_for tail "Upstreams \\(" || gw_fail "tail --tui: no console"
"$GW_TOOLS/logwriter" --rate 400 --count 1200 "$T/access.log" &
writer=$!
GW_PIDS+=("$writer")
wait_for tail "requests [1-9][0-9]* " 15 || gw_fail "tail --tui: no requests shown"
first=$(shown_requests tail)
wait "$writer" || gw_fail "logwriter failed"
wait_for tail "requests 1200 " 15 || gw_fail "tail --tui: count did not reach 1200"
[ "$first" -lt 1200 ] || gw_log "note: the first count seen was already 1200"
gw_eq 1 "$([ "$first" -le 1200 ] && echo 1)" "count grows to the total"
TM send-keys -t tail q
wait_for tail "EXIT=0" 10 || gw_fail "tail --tui: no clean exit"
gw_eq 1200 "$(gw_sql "$T/tail.db" 'SELECT count(*) FROM requests_all')" \
	"tail --tui stored every line"
[ -f "$T/tail.db.tail.log" ] || gw_fail "tail --tui: no message log"

# 1b. The terminal goes away under tail --tui (the tmux server dies): the
# process must end, not spin on a dead terminal.
SOCK2="gw-test-hup-$$"
: >"$T/hup.log"
tmux -L "$SOCK2" new-session -d -s hup -x 120 -y 30 \
	"env TERM=xterm-256color $GW_BIN tail -d $T/hup.db --tui $T/hup.log"
hup_pid=
for ((i = 0; i < 50; i++)); do
	hup_pid=$(pgrep -f -- "-d $T/hup.db --tui" | head -1) && [ -n "$hup_pid" ] && break
	sleep 0.1
done
[ -n "$hup_pid" ] || gw_fail "tail --tui under a second tmux did not start"
GW_PIDS+=("$hup_pid")
sleep 1
tmux -L "$SOCK2" kill-server 2>/dev/null
gone=0
for ((i = 0; i < 50; i++)); do
	kill -0 "$hup_pid" 2>/dev/null || { gone=1; break; }
	sleep 0.1
done
gw_eq 1 "$gone" "tail --tui ends when its terminal goes away"

# 2. capture --tui on a crafted pcap.
"$GW_TOOLS/mkpcap" refused "$T/refused.pcap" >/dev/null || gw_fail "mkpcap"
TM new-session -d -s cap -x 160 -y 40 \
	"env TERM=xterm-256color $GW_BIN capture -d $T/cap.db -r $T/refused.pcap --tui; echo EXIT=\$?; sleep 30"
wait_for cap "Upstreams \\(" || gw_fail "capture --tui: no console"
TM send-keys -t cap q
wait_for cap "EXIT=0" 10 || gw_fail "capture --tui: no clean exit"
# q is how one ends it, not an interruption: the summary says what was
# stored, and nothing of a signal.
screen cap | grep -q "stored: 1 requests" && gw_eq 0 0 "capture --tui: summary after q" ||
	{ screen cap >&2; gw_eq shown missing "capture --tui: summary after q"; }
gw_eq 0 "$(screen cap | grep -c interrupted)" "capture --tui: q is no interruption"
gw_eq 1 "$(gw_sql "$T/cap.db" "SELECT count(*) FROM request_view
	WHERE cause = 'upstream_refused'")" "capture --tui stored the refusal"

# 3. gatewatch -d DB FILE: ingest, then the console.
DEMO=$(cd "$(dirname "$0")/../data/demo" && pwd)
TM new-session -d -s open -x 160 -y 40 \
	"env TERM=xterm-256color $GW_BIN -d $T/open.db $DEMO/access.log $DEMO/error.log; echo EXIT=\$?; sleep 30"
wait_for open "Upstreams \\(" || gw_fail "open files: no console"
want=$("$GW_BIN" report -d "$T/open.db" --by source --format csv |
	awk -F, 'NR > 1 {s += $2} END {print s}')
gw_eq "$want" "$(shown_requests open)" "open files: total as the report"
TM send-keys -t open q
wait_for open "EXIT=0" 10 || gw_fail "open files: no clean exit"

# 4. The console cannot start: the reason reaches the user's stderr (not
# the messages file), and the capture is stopped cleanly, not killed.
TERM=gw-no-such-term "$GW_BIN" capture -d "$T/badterm.db" -r "$T/refused.pcap" \
	--tui </dev/null >/dev/null 2>"$T/badterm.err"
gw_eq 1 "$?" "capture --tui, unknown TERM: exit status"
grep -q "cannot start the terminal" "$T/badterm.err" ||
	gw_fail "capture --tui, unknown TERM: no message on stderr"
gw_eq 1 "$(sqlite3 "$T/badterm.db" "SELECT count(*) FROM capture_stats")" \
	"capture --tui, unknown TERM: the capture ended cleanly"
# The messages file cannot be written: said so, on stderr.
mkdir "$T/nolog.db.capture.log"
"$GW_BIN" capture -d "$T/nolog.db" -r "$T/refused.pcap" --tui \
	</dev/null >/dev/null 2>"$T/nolog.err"
gw_eq 1 "$?" "capture --tui, messages file not writable: exit status"
grep -q "nolog.db.capture.log: cannot write" "$T/nolog.err" ||
	gw_fail "capture --tui, messages file not writable: no message"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
