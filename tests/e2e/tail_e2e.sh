#!/usr/bin/env bash
# tail_e2e.sh - `gatewatch tail` keeps each line exactly once through
# rotation of every kind and through kill -9 at random moments.
#
# logwriter (tests/tools) appends numbered nginx lines to access.log at a
# steady rate; it reopens the file on SIGHUP, as nginx does on USR1. While
# it writes, this script follows logs/*.log with `gatewatch tail` (started
# before the file exists) and goes through these steps again and again, a
# random pause apart:
#   rename        access.log -> access.log.1, the writer goes on writing to
#                 the old file for a moment, then reopens (logrotate create)
#   copytruncate  the writer paused (SIGSTOP) so the copy is complete, as
#                 with copytruncate's own race window closed
#   delete        rm access.log, reopen (once tail has read it: lines of a
#                 deleted file nobody holds open are gone for everyone)
#   replace       an empty file moved over access.log, reopen
#   hup           SIGHUP tail: it reopens every file and resumes
#   kill          SIGKILL tail at a random moment, start it again
#   rotate-down   SIGKILL tail, rename or copytruncate while it is down,
#                 start it again: it finishes the old content from .1
# A second writer starts later on api.log (picked up through the glob).
# Last, the race of rotate-down made certain on late.log: tail killed once
# it has read every line, the file renamed to .1 and no new one created,
# tail started again, and only then the writer appends to .1 through its
# old descriptor (nginx before USR1): tail must find late.log.1 although
# no late.log matches, and read what comes after it had read it all.
# Every other restart polls instead of using inotify. At the end the
# database must hold every number exactly once, SIGTERM must exit 0, and
# `gatewatch ingest` of every file left must add nothing.
#
# Temp dir only; every process stopped by PID (tests/e2e/lib.sh); < 60 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd sqlite3
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
[ -x "$GW_TOOLS/logwriter" ] || gw_fail "$GW_TOOLS/logwriter not built"

gw_setup 60
T=$GW_TMP
L=$T/logs
LOG=$L/access.log
DB=$T/tail.db
mkdir -p "$L"

RATE1=1500 N1=18000		# 12 s of access.log
RATE2=300 N2=2400 START2=1000001	# 8 s of api.log
RATE3=300 N3=1500 START3=2000001	# 5 s of late.log, at the end

SQL() { sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }
# on requests: every one, also those kept in blocks (lib.sh)
RSQL() { gw_sql "$DB" "$1"; }

# --- gatewatch tail ----------------------------------------------------------

NTAIL=0
TAIL=
start_tail() {
	NTAIL=$((NTAIL + 1))
	local poll=()
	[ $((NTAIL % 2)) -eq 0 ] && poll=(--poll)
	gw_start "tail$NTAIL" "$GW_BIN" tail -v "${poll[@]}" -d "$DB" "$L/*.log"
	TAIL=$GW_LAST_PID
}

kill_tail() {
	kill -0 "$TAIL" 2>/dev/null ||
		gw_fail "tail died on its own: $(tail -n 20 "$T/tail$NTAIL.out")"
	kill -KILL "$TAIL"
	wait "$TAIL" 2>/dev/null || true
}

# A pause of A..B ms at random.
pause() {
	local a=$1 b=$2
	sleep "$(printf '0.%03d' $((a + RANDOM % (b - a + 1))))"
}

# --- the writer --------------------------------------------------------------

W1=
# Signal the writer (it may have finished meanwhile).
wsig() { kill -"$1" "$W1" 2>/dev/null || true; }
wcont() { [ -n "$W1" ] && wsig CONT; }

# Number of the last line written to FILE (default access.log) or its
# rotated copy.
last_written() {
	local f log=${1:-$LOG}
	for f in "$log" "$log.1"; do
		if [ -s "$f" ]; then
			tail -n 1 "$f" | sed 's/.*rid=0*//'
			return
		fi
	done
	echo 0
}

# Wait until the line last written (to FILE, default access.log) is in the
# database.
wait_caught_up() {
	local n i
	n=$(last_written "$@")
	[ "$n" -gt 0 ] || return 0
	for ((i = 0; i < 200; i++)); do
		[ "$(RSQL "SELECT count(*) FROM requests_all WHERE request_id =
		    printf('%016d', $n)")" -ge 1 ] && return 0
		sleep 0.05
	done
	wcont
	gw_fail "tail did not catch up to line $n"
}

# access.log.i -> access.log.i+1, so access.log.1 is free.
shift_rotated() {
	local i
	for ((i = 8; i >= 1; i--)); do
		[ -e "$LOG.$i" ] && mv "$LOG.$i" "$LOG.$((i + 1))"
	done
	return 0
}

rotate_rename() {
	[ -e "$LOG" ] || return 0
	shift_rotated
	mv "$LOG" "$LOG.1"
	pause 20 80		# nginx writes on to the old file ...
	wsig HUP		# ... until it is told to reopen
}

rotate_copytruncate() {
	[ -e "$LOG" ] || return 0
	wsig STOP
	shift_rotated
	cp "$LOG" "$LOG.1"
	: > "$LOG"
	wsig CONT
}

rotate_delete() {
	wsig STOP
	wait_caught_up
	rm -f "$LOG"
	wsig HUP
	wsig CONT
}

rotate_replace() {
	wsig STOP
	wait_caught_up
	: > "$L/replacement.tmp"
	mv "$L/replacement.tmp" "$LOG"
	wsig HUP
	wsig CONT
}

# --- the run -----------------------------------------------------------------

# tail first: access.log does not exist yet.
start_tail
pause 200 400
gw_start writer1 "$GW_TOOLS/logwriter" --rate "$RATE1" --count "$N1" "$LOG"
W1=$GW_LAST_PID
pause 300 600

STEPS=(rename kill copytruncate rotate-down delete hup kill replace
	rotate-down)
W2=
step=0
while kill -0 "$W1" 2>/dev/null; do
	s=${STEPS[step % ${#STEPS[@]}]}
	step=$((step + 1))
	gw_log "step $step: $s"
	case $s in
	rename) rotate_rename ;;
	copytruncate) rotate_copytruncate ;;
	delete) rotate_delete ;;
	replace) rotate_replace ;;
	hup) kill -HUP "$TAIL" ;;
	kill)
		pause 0 400
		kill_tail
		pause 0 300
		start_tail
		;;
	rotate-down)
		# What tail began must be stored before it dies: a content
		# with nothing committed is not known as tail's own when found
		# beside the path (see the file comment of cli/cmd_tail.c).
		wait_caught_up
		kill_tail
		if [ $((step % 2)) -eq 0 ]; then
			rotate_rename
		else
			rotate_copytruncate
		fi
		pause 100 400
		start_tail
		;;
	esac
	if [ -z "$W2" ] && [ "$step" -ge 2 ]; then
		gw_start writer2 "$GW_TOOLS/logwriter" --rate "$RATE2" \
			--count "$N2" --start "$START2" "$L/api.log"
		W2=$GW_LAST_PID
	fi
	pause 200 700
done
wait "$W1" || gw_fail "writer1 failed: $(cat "$T/writer1.out")"
wait "$W2" || gw_fail "writer2 failed: $(cat "$T/writer2.out")"

gw_log "rotate-down while the writer still holds the old file"
gw_start writer3 "$GW_TOOLS/logwriter" --rate "$RATE3" --count "$N3" \
	--start "$START3" "$L/late.log"
W3=$GW_LAST_PID
sleep 0.3
kill -STOP "$W3"
wait_caught_up "$L/late.log"
kill_tail
mv "$L/late.log" "$L/late.log.1"
start_tail
for ((i = 0; i < 40; i++)); do	# until it has looked at late.log.1
	grep -q 'late\.log\.1: ' "$T/tail$NTAIL.out" && break
	sleep 0.05
done
kill -CONT "$W3"		# the lines of the pause at once, then more ...
sleep 0.2
kill -HUP "$W3" 2>/dev/null || true	# ... until it reopens: late.log
wait "$W3" || gw_fail "writer3 failed: $(cat "$T/writer3.out")"
gw_log "$step steps, $NTAIL starts of tail; waiting for the last lines"

want=$((N1 + N2 + N3))
for ((i = 0; i < 150; i++)); do
	have=$(RSQL "SELECT count(*) FROM requests_all")
	[ "$have" -ge "$want" ] && break
	sleep 0.1
done
pause 300 300		# anything more (a double) would show now

kill -0 "$TAIL" 2>/dev/null || gw_fail "tail died: $(cat "$T/tail$NTAIL.out")"
kill -TERM "$TAIL"
rc=0
wait "$TAIL" || rc=$?
gw_eq 0 "$rc" "exit status of tail after SIGTERM"

# --- each number exactly once -----------------------------------------------

check_range() {
	local from=$1 n=$2 what=$3 to=$(($1 + $2 - 1))
	local got
	got=$(RSQL "SELECT count(*) || ' ' || count(DISTINCT request_id) || ' ' ||
	    ifnull(min(CAST(request_id AS INTEGER)), 0) || ' ' ||
	    ifnull(max(CAST(request_id AS INTEGER)), 0)
	    FROM requests_all WHERE CAST(request_id AS INTEGER) BETWEEN $from AND $to")
	gw_eq "$n $n $from $to" "$got" "$what: rows, distinct, min, max"
}
check_range 1 "$N1" "access.log"
check_range "$START2" "$N2" "api.log"
check_range "$START3" "$N3" "late.log"
gw_eq "$want" "$(RSQL "SELECT count(*) FROM requests_all")" "rows in all"
dups=$(RSQL "SELECT group_concat(request_id) FROM (SELECT request_id FROM
    requests_all GROUP BY request_id HAVING count(*) > 1 LIMIT 5)")
gw_eq "" "$dups" "numbers stored twice"
# The number in the path agrees with the request id.
gw_eq 0 "$(RSQL "SELECT count(*) FROM request_view
    WHERE path <> '/n/' || CAST(request_id AS INTEGER)")" \
	"path and request id agree"
gw_eq 0 "$(SQL "SELECT count(*) FROM rejects")" "rejected lines"

# --- ingest of what tail read adds nothing ----------------------------------

files=()
for f in "$L"/access.log* "$L/api.log" "$L"/late.log*; do
	[ -s "$f" ] && files+=("$f")
done
"$GW_BIN" ingest -q -d "$DB" "${files[@]}" >"$T/ingest.out" 2>&1 ||
	gw_fail "ingest failed: $(cat "$T/ingest.out")"
gw_eq "$want" "$(RSQL "SELECT count(*) FROM requests_all")" \
	"rows after ingest of ${#files[@]} files tail had read"

# A new tail over the same files reads nothing more either.
start_tail
sleep 1.5
kill -TERM "$TAIL"
wait "$TAIL" || gw_fail "second tail exited non-zero"
gw_eq "$want" "$(RSQL "SELECT count(*) FROM requests_all")" "rows after a restart"

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: $want lines exactly once ($GW_ASSERTS checks, $step steps," \
	"$NTAIL starts of tail)"
