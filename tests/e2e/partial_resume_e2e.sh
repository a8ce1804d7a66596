#!/usr/bin/env bash
# partial_resume_e2e.sh - a line a container runtime split into partial
# records survives a stop between its chunks, in ingest and in tail.
#
# Kubernetes CRI files split a long line into "P" records ended by an "F"
# record, Docker's json-file into records without the final "\n"; the
# chunks are joined per stream while the other stream's lines come in
# between. Each log here interleaves stdout (nginx's access log) and
# stderr (its error log) with one long access line split P, P, F and an
# error line between the chunks; the log is read in two runs cut between
# the second P and the F (written in two halves, ingest or tail on each).
# The joined line must be stored once, every other line once, no reject.
# Then a stored rewind point that cannot be used is counted as a reject
# ("partial record cut by a restart"), once.
#
# Everything lives in one mktemp dir; tail is stopped by its PID; a
# watchdog ends the run after 60 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"
command -v sqlite3 >/dev/null 2>&1 || gw_fail "sqlite3 CLI missing (make test-deps)"

gw_setup 60
T=$GW_TMP
GW_ASSERTS=0
GW_FAILURES=0

LONG=/long/$(printf 'x%.0s' $(seq 1 300))
acc() {
	printf '10.0.0.%s - - [07/Dec/2026:03:00:0%s +0000] "GET %s HTTP/1.1" 200 12 "-" "curl/8"\n' \
		"$1" "$1" "$2"
}
errl() {
	printf '2026/12/07 03:00:0%s [error] 12#12: *%s connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.%s, server: x, request: "GET /e%s HTTP/1.1", upstream: "http://127.0.0.1:9/e%s", host: "x"\n' \
		"$1" "$1" "$1" "$1" "$1"
}
# rec MODE STREAM P|F TEXT: one record of the runtime's file
rec() {
	local s
	if [ "$1" = cri ]; then
		printf '2026-12-07T03:00:00.000000000Z %s %s %s\n' "$2" "$3" "$4"
	else
		s=$(printf '%s' "$4" | sed 's/\\/\\\\/g; s/"/\\"/g')
		[ "$3" = F ] && s="$s\\n"
		printf '{"log":"%s","stream":"%s","time":"2026-12-07T03:00:00.000000000Z"}\n' \
			"$s" "$2"
	fi
}
L=$(acc 2 "$LONG")
C1=${L:0:60}
C2=${L:60:150}
C3=${L:210}
# half MODE 1|2: the log before and after the cut
half() {
	if [ "$2" = 1 ]; then
		rec "$1" stdout F "$(acc 1 /a1)"
		rec "$1" stdout F "$(acc 4 /a4)"
		rec "$1" stdout F "$(acc 5 /a5)"
		rec "$1" stderr F "$(errl 1)"
		rec "$1" stdout P "$C1"
		rec "$1" stderr F "$(errl 2)"
		rec "$1" stdout P "$C2"
	else
		rec "$1" stderr F "$(errl 3)"
		rec "$1" stdout F "$C3"
		rec "$1" stdout F "$(acc 3 /a3)"
	fi
}

SQL() { sqlite3 "$1" "$2" 2>&1 || true; }
# on requests: every one, also those kept in blocks (lib.sh)
RSQL() { gw_sql "$1" "$2" 2>&1 || true; }

# check DB WHAT: every line stored once, the long one joined, no reject
check() {
	local db=$1 what=$2
	gw_eq 5 "$(RSQL "$db" "SELECT count(*) FROM request_view")" "$what: requests"
	gw_eq 5 "$(RSQL "$db" "SELECT count(DISTINCT path) FROM request_view")" \
		"$what: distinct paths"
	gw_eq 1 "$(RSQL "$db" "SELECT count(*) FROM request_view WHERE path = '$LONG'")" \
		"$what: the joined line"
	gw_eq 3 "$(SQL "$db" "SELECT count(*) FROM gateway_errors")" \
		"$what: error lines"
	gw_eq 0 "$(SQL "$db" "SELECT count(*) FROM rejects")" "$what: rejects"
	gw_eq 10 "$(SQL "$db" "SELECT line_no FROM sources WHERE parent_id IS NULL")" \
		"$what: lines read"
	gw_eq "" "$(SQL "$db" "SELECT rewind_offset FROM sources WHERE parent_id IS NULL")" \
		"$what: nothing held at the end"
}

# --- ingest, two runs --------------------------------------------------------

for mode in cri docker; do
	db=$T/$mode.db
	log=$T/$mode.log
	half "$mode" 1 >"$log"
	"$GW_BIN" ingest -d "$db" "$log" >"$T/$mode.1.out" 2>&1 ||
		gw_fail "$mode: first ingest: $(cat "$T/$mode.1.out")"
	gw_eq 3 "$(RSQL "$db" "SELECT count(*) FROM request_view")" \
		"$mode: requests before the cut"
	# the first P record is line 5: the rewind point is the 4 lines before it
	gw_eq 4 "$(SQL "$db" "SELECT rewind_line FROM sources")" \
		"$mode: rewind point stored"
	half "$mode" 2 >>"$log"
	"$GW_BIN" ingest -d "$db" "$log" >"$T/$mode.2.out" 2>&1 ||
		gw_fail "$mode: second ingest: $(cat "$T/$mode.2.out")"
	grep -q "partial line began at byte" "$T/$mode.2.out" ||
		gw_eq "said" "not said" "$mode: the rewind is told"
	check "$db" "$mode ingest"
	# a third run reads nothing more
	"$GW_BIN" ingest -q -d "$db" "$log" >"$T/$mode.3.out" 2>&1 ||
		gw_fail "$mode: third ingest: $(cat "$T/$mode.3.out")"
	check "$db" "$mode ingest again"
done

# --- ingest, a run that reads nothing new keeps the rewind point -------------

db=$T/idle.db
log=$T/idle.log
half cri 1 >"$log"
"$GW_BIN" ingest -q -d "$db" "$log" >"$T/idle.out" 2>&1 || gw_fail "idle 1"
"$GW_BIN" ingest -q -d "$db" "$log" >>"$T/idle.out" 2>&1 || gw_fail "idle 2"
gw_eq 4 "$(SQL "$db" "SELECT rewind_line FROM sources")" \
	"idle run: rewind point kept"
half cri 2 >>"$log"
"$GW_BIN" ingest -q -d "$db" "$log" >>"$T/idle.out" 2>&1 || gw_fail "idle 3"
check "$db" "ingest after an idle run"

# --- ingest, a file no one writes any more ends with a P record --------------
#
# Its held chunks can never end (rotated away, the container gone): one
# reject with their text, no rewind point left, counted once however often
# the file is read again. On main the rewind point stayed for ever and the
# chunks were never stored nor counted.

db=$T/done.db
log=$T/done.log
half cri 1 >"$log"
touch -d '-1 min' "$log"	# not written for longer than ingest's 10 s
"$GW_BIN" ingest -d "$db" "$log" >"$T/done.out" 2>&1 || gw_fail "done 1: $(cat "$T/done.out")"
"$GW_BIN" ingest -q -d "$db" "$log" >>"$T/done.out" 2>&1 || gw_fail "done 2"
gw_eq 3 "$(RSQL "$db" "SELECT count(*) FROM request_view")" "done: requests"
gw_eq 1 "$(SQL "$db" "SELECT count(*) FROM rejects")" "done: rejects"
gw_eq "$C1$C2" "$(SQL "$db" "SELECT CAST(raw AS TEXT) FROM rejects WHERE reason = 'partial record never ended'")" \
	"done: the held chunks, one reject with their text"
gw_eq "" "$(SQL "$db" "SELECT rewind_offset FROM sources")" "done: no rewind point"
grep -q "rejected: 1 partial record never ended" "$T/done.out" ||
	gw_eq "said" "not said: $(cat "$T/done.out")" "done: the reject is told"

# --- tail, stopped between P and F -------------------------------------------

for sig in TERM KILL; do
	db=$T/tail-$sig.db
	log=$T/tail-$sig.log
	half cri 1 >"$log"
	gw_start "tail1-$sig" "$GW_BIN" tail -v -d "$db" "$log"
	pid=$GW_LAST_PID
	gw_wait_rows "$db" 3 || gw_fail "tail ($sig) did not store the first half:" \
		"$(cat "$T/tail1-$sig.out")"
	sleep 0.5	# its last batch committed
	gw_stop "$pid" "$sig"
	gw_start "tail2-$sig" "$GW_BIN" tail -v -d "$db" "$log"
	pid=$GW_LAST_PID
	sleep 0.5
	half cri 2 >>"$log"
	gw_wait_rows "$db" 5 || gw_fail "tail ($sig) did not store the second half:" \
		"$(cat "$T/tail2-$sig.out")"
	sleep 0.5
	gw_stop "$pid" TERM
	check "$db" "tail stopped by SIG$sig"
done

# --- tail, SIGHUP between P and F --------------------------------------------
#
# A reopen closes the content and opens it again: it is not done, so its
# held chunks are no reject; they are read again from the rewind point.

db=$T/hup.db
log=$T/hup.log
half cri 1 >"$log"
gw_start hup "$GW_BIN" tail -v -d "$db" "$log"
pid=$GW_LAST_PID
gw_wait_rows "$db" 3 || gw_fail "hup: first half not stored: $(cat "$T/hup.out")"
sleep 0.5
kill -HUP "$pid"
for ((i = 0; i < 100; i++)); do
	grep -qs "reading again from byte" "$T/hup.out" && break
	sleep 0.05
done
half cri 2 >>"$log"
gw_wait_rows "$db" 5 || true
sleep 0.5
gw_stop "$pid" TERM
check "$db" "tail after SIGHUP"

# --- a rewind point that cannot be used: counted, once -----------------------

db=$T/cut.db
log=$T/cut.log
half cri 1 >"$log"
"$GW_BIN" ingest -q -d "$db" "$log" >"$T/cut.out" 2>&1 || gw_fail "cut 1"
# a rewind point said to lie after position's line: not to be trusted
SQL "$db" "UPDATE sources SET rewind_line = line_no + 1"
half cri 2 >>"$log"
"$GW_BIN" ingest -d "$db" "$log" >>"$T/cut.out" 2>&1 || gw_fail "cut 2: $(cat "$T/cut.out")"
gw_eq 1 "$(SQL "$db" "SELECT count(*) FROM rejects WHERE reason = 'partial record cut by a restart'")" \
	"cut: counted as a reject"
grep -q "rejected: 1 partial record cut by a restart" "$T/cut.out" ||
	gw_eq "said" "not said" "cut: the reject is told"
"$GW_BIN" ingest -q -d "$db" "$log" >>"$T/cut.out" 2>&1 || gw_fail "cut 3"
gw_eq 1 "$(SQL "$db" "SELECT count(*) FROM rejects WHERE reason = 'partial record cut by a restart'")" \
	"cut: counted once"

# --- tail, the file rotated between P and F ----------------------------------
#
# The runtime reopened its file while a line was split: the P records end
# the old file (renamed to .1), the F record begins the new one. A running
# tail joins them: the line stored once, no reject. A tail started after
# the rotation reads the old file alone: once it is done its held chunks
# can never end and must become one reject with their text (the F record,
# alone, is another). Either way no rewind point is left (on main the
# chunks were dropped silently and the rewind point stayed for ever).

ENDED='partial record never ended'
for mode in cri docker; do
	for how in live restart; do
		db=$T/rot-$mode-$how.db
		log=$T/rot-$mode-$how.log
		half "$mode" 1 >"$log"
		gw_start "rot1-$mode-$how" "$GW_BIN" tail -v -d "$db" "$log"
		pid=$GW_LAST_PID
		out=$T/rot1-$mode-$how.out
		gw_wait_rows "$db" 3 || gw_fail "rotated ($mode $how): first half" \
			"not stored: $(cat "$out")"
		sleep 0.5	# its last batch committed
		[ "$how" = restart ] && gw_stop "$pid" TERM
		mv "$log" "$log.1"
		# two more access lines: the F record alone is no access line,
		# and the new file's kind is decided from its first lines
		# (written whole, then named: recognised at once)
		{
			half "$mode" 2
			rec "$mode" stdout F "$(acc 6 /a6)"
			rec "$mode" stdout F "$(acc 7 /a7)"
		} >"$T/new.log"
		mv "$T/new.log" "$log"
		if [ "$how" = restart ]; then
			gw_start "rot2-$mode-$how" "$GW_BIN" tail -v -d "$db" "$log"
			pid=$GW_LAST_PID
			out=$T/rot2-$mode-$how.out
		fi
		# the old file is closed once it stayed quiet (1 s)
		for ((i = 0; i < 100; i++)); do
			grep -qs "rot-$mode-$how.log.1: closed" "$out" && break
			grep -qs "rot-$mode-$how.log: closed" "$out" && break
			sleep 0.05
		done
		sleep 0.5
		gw_stop "$pid" TERM
		w="rotated ($mode, $how)"
		gw_eq 3 "$(SQL "$db" "SELECT count(*) FROM gateway_errors")" \
			"$w: error lines"
		if [ "$how" = live ]; then
			gw_eq 7 "$(RSQL "$db" "SELECT count(*) FROM request_view")" \
				"$w: requests"
			gw_eq 1 "$(RSQL "$db" "SELECT count(*) FROM request_view WHERE path = '$LONG'")" \
				"$w: the line joined across the files"
			gw_eq 0 "$(SQL "$db" "SELECT count(*) FROM rejects")" \
				"$w: rejects"
		else
			gw_eq 6 "$(RSQL "$db" "SELECT count(*) FROM request_view")" \
				"$w: requests"
			gw_eq 2 "$(SQL "$db" "SELECT count(*) FROM rejects")" \
				"$w: rejects"
			gw_eq "$C1$C2" "$(SQL "$db" "SELECT CAST(raw AS TEXT) FROM rejects WHERE reason = '$ENDED'")" \
				"$w: the held chunks, one reject with their text"
			gw_eq 5 "$(SQL "$db" "SELECT line_no FROM rejects WHERE reason = '$ENDED'")" \
				"$w: at the first chunk's line"
		fi
		gw_eq 0 "$(SQL "$db" "SELECT count(*) FROM sources WHERE rewind_offset IS NOT NULL")" \
			"$w: no rewind point left"
	done
done

if [ "$GW_FAILURES" -gt 0 ]; then
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: partial records joined across restarts ($GW_ASSERTS checks)"
