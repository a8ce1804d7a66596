#!/usr/bin/env bash
# security_e2e.sh - what a hostile file system, file name or request can do
# to gatewatch running as root (CI runs as root), and what it cannot:
#   1. a followed log swapped for a symlink to a secret (the /etc/shadow
#      swap, with a secret of our own): tail refuses it, with and without
#      --format; nothing of it reaches the terminal, DB.tail.log or the
#      database; ingest refuses a symlink, a hard link and another user's
#      file unless --follow-symlinks; an unrecognised file's content is
#      never shown;
#   2. the database: created 0600 (-wal and -shm too), refused when it is
#      a symlink;
#   3. a file named with an OSC escape sequence: ingest and tail -v print
#      it escaped;
#   4. CSV: a request target that is a formula is defused, numbers and
#      the lone "-" stay as they are;
#   5. capture started as root drops to gatewatch/nobody (checked in
#      /proc/PID/status of a live capture on lo), keeps root with -Z root,
#      and still writes a database in a folder nobody cannot enter;
#   6. capture --tui -Z nobody: the console runs (tmux) and the capture is
#      stored;
#   7. capture -r opens its file as ingest opens a log: a symlink (to the
#      secret), a hard link, a directory, a device, a missing or unreadable
#      file: refused or failed with a message naming it, exit 1, nothing
#      stored; a symlink with --follow-symlinks, a pipe (named, with its
#      writer coming late, or stdin) and pcapng are read.
set -u
. "$(dirname "$0")/lib.sh"
gw_need_cmd sqlite3 tmux
gw_setup 100
T=$GW_TMP
DEMO=$(cd "$(dirname "$0")/../data/demo" && pwd)
SECRET="root:SECRET-HASH-\$6\$abc:19000:0:99999:7:::"
SQL() { sqlite3 "$1" "$2"; }
no_secret() {	# FILE WHAT: the secret is not in FILE
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if grep -q "SECRET-HASH" "$1" 2>/dev/null; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "the secret leaked into $2:"
		cat "$1" >&2
	fi
}
has_text() {	# FILE TEXT WHAT
	GW_ASSERTS=$((GW_ASSERTS + 1))
	grep -qF -- "$2" "$1" || { GW_FAILURES=$((GW_FAILURES + 1));
		gw_log "'$2' not in $3:"; cat "$1" >&2; }
}
mode_of() { stat -c %a "$1"; }
wait_text() {	# FILE TEXT SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

mkdir -p "$T/etc" "$T/logs"
printf '%s\n' "$SECRET" >"$T/etc/shadow"
chmod 600 "$T/etc/shadow"

# 1a. tail: the swap, auto-detected and with --format.
for fmt in auto upstream; do
	d="$T/logs/$fmt"
	mkdir -p "$d"
	head -20 "$DEMO/access.log" >"$d/access.log"
	args=()
	[ "$fmt" = auto ] || args=(--format "$fmt")
	gw_start "tail-$fmt" "$GW_BIN" tail -d "$T/tail-$fmt.db" -v --poll \
		"${args[@]}" "$d/access.log"
	pid=$GW_LAST_PID
	out="$T/tail-$fmt.out"
	wait_text "$out" "format" 10 || gw_fail "tail ($fmt) did not start: $(cat "$out")"
	ln -s "$T/etc/shadow" "$d/new"
	mv -T "$d/new" "$d/access.log"
	wait_text "$out" "refused: is a symbolic link" 10 ||
		gw_fail "tail ($fmt): swap not refused: $(cat "$out")"
	sleep 0.5
	gw_stop "$pid"
	has_text "$out" "1 file refused" "tail ($fmt) summary"
	no_secret "$out" "tail ($fmt) output"
	gw_eq 0 "$(SQL "$T/tail-$fmt.db" "SELECT count(*) FROM rejects
		WHERE CAST(raw AS TEXT) LIKE '%SECRET%'")" "tail ($fmt): secret not stored"
	gw_eq 20 "$(gw_sql "$T/tail-$fmt.db" "SELECT count(*) FROM requests_all")" \
		"tail ($fmt): the real log was read"
done

# 1b. tail --tui: DB.tail.log says why, without the secret.
d="$T/logs/tui"
mkdir -p "$d"
ln -s "$T/etc/shadow" "$d/access.log"
SOCK="gw-sec-$$"
TM() { tmux -L "$SOCK" "$@"; }
trap 'rc=$?; tmux -L "$SOCK" kill-server 2>/dev/null; (exit $rc); gw_cleanup' EXIT
TM new-session -d -s tail -x 160 -y 40 \
	"env TERM=xterm-256color $GW_BIN tail -d $T/tui.db --tui $d/access.log; echo EXIT=\$?; sleep 30"
wait_text "$T/tui.db.tail.log" "refused" 10 ||
	gw_fail "tail --tui: no refusal in DB.tail.log"
TM send-keys -t tail q
sleep 1
no_secret "$T/tui.db.tail.log" "DB.tail.log"
gw_eq 600 "$(mode_of "$T/tui.db.tail.log")" "DB.tail.log mode"

# 1c. ingest: symlink, hard link, another user's file, a non-log.
ln -s "$T/etc/shadow" "$T/logs/link.log"
"$GW_BIN" ingest -d "$T/i.db" "$T/logs/link.log" >"$T/i1.out" 2>&1
gw_eq 1 "$?" "ingest of a symlink: exit status"
has_text "$T/i1.out" "refused: is a symbolic link" "ingest of a symlink"
no_secret "$T/i1.out" "ingest of a symlink"
"$GW_BIN" ingest -d "$T/i.db" --format upstream "$T/logs/link.log" >"$T/i2.out" 2>&1
gw_eq 1 "$?" "ingest --format of a symlink: exit status"
ln "$T/etc/shadow" "$T/logs/hard.log"
"$GW_BIN" ingest -d "$T/i.db" --format upstream "$T/logs/hard.log" >"$T/i3.out" 2>&1
gw_eq 1 "$?" "ingest of a hard link: exit status"
has_text "$T/i3.out" "more than one name" "ingest of a hard link"
rm -f "$T/logs/hard.log"
head -5 "$DEMO/access.log" >"$T/logs/theirs.log"
chown 65534:65534 "$T/logs/theirs.log"
"$GW_BIN" ingest -d "$T/i.db" "$T/logs/theirs.log" >"$T/i4.out" 2>&1
gw_eq 1 "$?" "ingest of nobody's file: exit status"
has_text "$T/i4.out" "owned by a user other than" "ingest of nobody's file"
"$GW_BIN" ingest -d "$T/i.db" --follow-symlinks "$T/logs/theirs.log" >"$T/i5.out" 2>&1
gw_eq 0 "$?" "ingest --follow-symlinks of nobody's file"
gw_eq 0 "$(SQL "$T/i.db" "SELECT count(*) FROM rejects
	WHERE CAST(raw AS TEXT) LIKE '%SECRET%'")" "ingest: secret not stored"
gw_eq 5 "$(gw_sql "$T/i.db" "SELECT count(*) FROM requests_all")" \
	"ingest --follow-symlinks read the file"
# A regular file that is no log: its content is never shown.
cp "$T/etc/shadow" "$T/logs/notalog.log"
"$GW_BIN" ingest -d "$T/i.db" "$T/logs/notalog.log" >"$T/i6.out" 2>&1
has_text "$T/i6.out" "not a log format" "ingest of a non-log"
no_secret "$T/i6.out" "the not-a-log message"
# A pipe is fine (ingest <(cat FILE): /dev/fd/N is a symlink to a pipe).
"$GW_BIN" ingest -d "$T/pipe.db" <(head -5 "$DEMO/access.log") >"$T/i7.out" 2>&1
gw_eq 5 "$(gw_sql "$T/pipe.db" "SELECT count(*) FROM requests_all")" "ingest of a pipe"

# 2. The database: modes, and no symlink.
gw_eq 600 "$(mode_of "$T/i.db")" "new database mode"
gw_start tailmode "$GW_BIN" tail -d "$T/m.db" --poll "$T/logs/auto/access.log"
for ((i = 0; i < 100; i++)); do [ -f "$T/m.db-shm" ] && break; sleep 0.1; done
gw_eq 600 "$(mode_of "$T/m.db-wal")" "-wal mode"
gw_eq 600 "$(mode_of "$T/m.db-shm")" "-shm mode"
gw_stop "$GW_LAST_PID"
ln -s "$T/elsewhere.db" "$T/link.db"
"$GW_BIN" ingest -d "$T/link.db" "$DEMO/access.log" >"$T/d1.out" 2>&1
gw_eq 1 "$?" "symlinked database: exit status"
has_text "$T/d1.out" "is a symbolic link" "symlinked database"
gw_eq 0 "$([ -e "$T/elsewhere.db" ] && echo 1 || echo 0)" \
	"nothing created through the symlink"

# 3. A file name with an OSC sequence (retitles a terminal) in a glob.
mkdir -p "$T/osc"
osc=$'b\e]0;pwned\a x.log'
head -5 "$DEMO/access.log" >"$T/osc/$osc"
"$GW_BIN" ingest -d "$T/osc.db" "$T/osc/$osc" >"$T/o1.out" 2>&1
gw_start tailosc "$GW_BIN" tail -d "$T/osc2.db" -v --poll "$T/osc/*.log"
wait_text "$T/tailosc.out" "format" 10 || gw_fail "tail -v of the OSC name: $(cat -v "$T/tailosc.out")"
gw_stop "$GW_LAST_PID"
for f in "$T/o1.out" "$T/tailosc.out"; do
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if LC_ALL=C grep -q $'[\x07\x1b]' "$f"; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "raw escape bytes in $f: $(cat -v "$f")"
	fi
	has_text "$f" 'b\x1b]0;pwned\x07 x.log' "$f (escaped name)"
done

# 4. CSV formula injection.
{
	head -2 "$DEMO/access.log"
	echo '127.0.0.1 - - [25/Nov/2026:17:16:09 +0000] "GET =HYPERLINK(\x22http://evil\x22) HTTP/1.1" 502 3 "-" "x" rt=0.001 uaddr="127.0.0.1:43373" us="502" uct="0.000" uht="0.000" urt="0.000" rid=1'
	echo '127.0.0.1 - - [25/Nov/2026:17:16:09 +0000] "GET +1+2 HTTP/1.1" 502 3 "-" "x" rt=0.001 uaddr="-" us="-" uct="-" uht="-" urt="-" rid=2'
} >"$T/csv.log"
"$GW_BIN" ingest -q -d "$T/csv.db" "$T/csv.log"
"$GW_BIN" report -d "$T/csv.db" --by path --format csv >"$T/path.csv"
has_text "$T/path.csv" "\"'=HYPERLINK(\"\"http://evil\"\")\"" "csv: formula defused"
has_text "$T/path.csv" "\"'+1+2\"" "csv: + formula defused"
GW_ASSERTS=$((GW_ASSERTS + 1))
if grep -q '^=' "$T/path.csv"; then
	GW_FAILURES=$((GW_FAILURES + 1)); gw_log "a live formula: $(cat "$T/path.csv")"
fi
"$GW_BIN" report -d "$T/csv.db" --by upstream --format csv >"$T/up.csv"
has_text "$T/up.csv" $'\n-,' "csv: the lone - stays"

# 5. capture drops root.
want_user=nobody
id gatewatch >/dev/null 2>&1 && want_user=gatewatch
want_uid=$(id -u "$want_user")
"$GW_TOOLS/mkpcap" refused "$T/refused.pcap" >/dev/null || gw_fail "mkpcap"
mkdir -m 700 "$T/private"
"$GW_BIN" capture -d "$T/private/c.db" -r "$T/refused.pcap" >"$T/c1.out" 2>&1
gw_eq 0 "$?" "capture -r as root: exit status"
has_text "$T/c1.out" "running as $want_user" "capture -r: drop told"
gw_eq 1 "$(gw_sql "$T/private/c.db" "SELECT count(*) FROM requests_all")" \
	"capture -r: stored after the drop, in a folder $want_user cannot enter"
gw_start live "$GW_BIN" capture -d "$T/private/live.db" -i lo -f "tcp port 9" \
	--duration 20
pid=$GW_LAST_PID
wait_text "$T/live.out" "listening on" 10 || gw_fail "live capture: $(cat "$T/live.out")"
for ((i = 0; i < 50; i++)); do
	uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
	[ "$uid" = "$want_uid $want_uid $want_uid $want_uid" ] && break
	sleep 0.1
done
gw_eq "$want_uid $want_uid $want_uid $want_uid" "$uid" "live capture: uids after the drop"
gw_stop "$pid"
gw_start liveroot "$GW_BIN" capture -d "$T/private/root.db" -i lo -f "tcp port 9" \
	-Z root --duration 20
pid=$GW_LAST_PID
wait_text "$T/liveroot.out" "listening on" 10 || gw_fail "live capture -Z root: $(cat "$T/liveroot.out")"
gw_eq "0 0 0 0" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" \
	"-Z root keeps root"
gw_stop "$pid"

# 6. capture --tui -Z nobody, the database in a folder nobody cannot enter.
TM new-session -d -s cap -x 160 -y 40 \
	"env TERM=xterm-256color $GW_BIN capture -d $T/private/tui.db -r $T/refused.pcap --tui -Z nobody; echo EXIT=\$?; sleep 30"
ok=0
for ((i = 0; i < 100; i++)); do
	TM capture-pane -p -t cap | grep -q "Upstreams (" && { ok=1; break; }
	TM capture-pane -p -t cap | grep -q "EXIT=" && break
	sleep 0.1
done
[ "$ok" = 1 ] || { TM capture-pane -p -t cap >&2; cat "$T/private/tui.db.capture.log" >&2; gw_fail "capture --tui -Z nobody: no console"; }
# A diagnosis view: built on the worker's connection, opened before the drop.
# Wait for its outcome: the model ("Query shapes ... (N)") or "failed: ...".
TM send-keys -t cap 2
outcome=none
for ((i = 0; i < 150; i++)); do
	pane=$(TM capture-pane -p -t cap)
	if grep -q "failed:" <<<"$pane"; then outcome=failed; break; fi
	if grep -qE "Query shapes.*\([0-9]+\)" <<<"$pane"; then outcome=built; break; fi
	sleep 0.1
done
gw_eq built "$outcome" "capture --tui -Z nobody: a diagnosis view is built" ||
	TM capture-pane -p -t cap >&2
TM send-keys -t cap q
for ((i = 0; i < 100; i++)); do
	TM capture-pane -p -t cap | grep -q "EXIT=" && break
	sleep 0.1
done
gw_eq 1 "$(TM capture-pane -p -t cap | grep -c "EXIT=0")" "capture --tui -Z nobody: clean exit"
gw_eq 1 "$(gw_sql "$T/private/tui.db" "SELECT count(*) FROM requests_all")" \
	"capture --tui -Z nobody stored the capture"
gw_eq 600 "$(mode_of "$T/private/tui.db.capture.log")" "DB.capture.log mode"

# 7. capture -r: the file is opened as a log is (capture/logopen.h).
cap_bad() {	# NAME TEXT WHAT ARGS...: capture -r fails, naming the file
	local name=$1 text=$2 what=$3
	shift 3
	"$GW_BIN" capture -d "$T/cr.db" "$@" >"$T/cr-$name.out" 2>&1
	gw_eq 1 "$?" "capture -r $what: exit status"
	has_text "$T/cr-$name.out" "$text" "capture -r $what"
	no_secret "$T/cr-$name.out" "capture -r $what"
}
cap_count() {	# DB: requests stored
	gw_sql "$1" "SELECT count(*) FROM requests_all"
}
mkdir -p "$T/caps"
cp "$T/refused.pcap" "$T/caps/real.pcap"
ln -s "$T/etc/shadow" "$T/caps/shadow.pcap"
ln -s "$T/caps/real.pcap" "$T/caps/link.pcap"
ln "$T/refused.pcap" "$T/caps/hard.pcap"
mkdir "$T/caps/dir.pcap"
cap_bad link "$T/caps/shadow.pcap: refused: is a symbolic link" \
	"of a symlink to a secret" -r "$T/caps/shadow.pcap"
cap_bad link2 "$T/caps/link.pcap: refused: is a symbolic link" \
	"of a symlink" -r "$T/caps/link.pcap"
cap_bad hard "$T/caps/hard.pcap: refused: has more than one name" \
	"of a hard link" -r "$T/caps/hard.pcap"
cap_bad dir "$T/caps/dir.pcap: is a directory" "of a directory" \
	-r "$T/caps/dir.pcap"
cap_bad dev "/dev/null: not a regular file or a pipe" "of a device" \
	-r /dev/null
cap_bad missing "$T/caps/none.pcap: No such file or directory" \
	"of a missing file" -r "$T/caps/none.pcap"
cap_bad secret "$T/caps/shadow.pcap" "--follow-symlinks of a non-capture" \
	--follow-symlinks -r "$T/caps/shadow.pcap"
[ -e "$T/cr.db" ] && gw_eq 0 "$(cap_count "$T/cr.db")" "capture -r refused: nothing stored"
# Unreadable (not as root: root reads anything).
chmod 711 "$T/caps"
chmod 600 "$T/caps/real.pcap"
mkdir -m 777 "$T/nobodydb"
setpriv --reuid nobody --regid nogroup --clear-groups "$GW_BIN" capture \
	-d "$T/nobodydb/c.db" -r "$T/caps/real.pcap" >"$T/cr-perm.out" 2>&1
gw_eq 1 "$?" "capture -r of an unreadable file: exit status"
has_text "$T/cr-perm.out" "$T/caps/real.pcap: Permission denied" \
	"capture -r of an unreadable file"
chmod 755 "$T/caps"
"$GW_BIN" capture -d "$T/cr-follow.db" --follow-symlinks \
	-r "$T/caps/link.pcap" >"$T/cr-follow.out" 2>&1
gw_eq 0 "$?" "capture --follow-symlinks -r a symlink: exit status"
gw_eq 1 "$(cap_count "$T/cr-follow.db")" "capture --follow-symlinks -r a symlink: stored"
"$GW_BIN" capture -d "$T/cr-stdin.db" -r - <"$T/caps/real.pcap" >"$T/cr-stdin.out" 2>&1
gw_eq 0 "$?" "capture -r - (stdin): exit status"
gw_eq 1 "$(cap_count "$T/cr-stdin.db")" "capture -r - (stdin): stored"
mkfifo "$T/caps/fifo.pcap"
( sleep 1; cat "$T/caps/real.pcap" >"$T/caps/fifo.pcap" ) &
wpid=$!
"$GW_BIN" capture -d "$T/cr-fifo.db" -r "$T/caps/fifo.pcap" >"$T/cr-fifo.out" 2>&1
gw_eq 0 "$?" "capture -r FIFO (writer late): exit status"
gw_eq 1 "$(cap_count "$T/cr-fifo.db")" "capture -r FIFO (writer late): stored"
wait "$wpid"
"$GW_BIN" capture -d "$T/cr-subst.db" -r <(cat "$T/caps/real.pcap") >"$T/cr-subst.out" 2>&1
gw_eq 0 "$?" "capture -r <(cat FILE): exit status"
gw_eq 1 "$(cap_count "$T/cr-subst.db")" "capture -r <(cat FILE): stored"
"$GW_TOOLS/mkpcap" --ng refused "$T/caps/ng.pcapng" >/dev/null || gw_fail "mkpcap --ng"
"$GW_BIN" capture -d "$T/cr-ng.db" -r "$T/caps/ng.pcapng" >"$T/cr-ng.out" 2>&1
gw_eq 0 "$?" "capture -r pcapng: exit status"
gw_eq 1 "$(cap_count "$T/cr-ng.db")" "capture -r pcapng: stored"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
