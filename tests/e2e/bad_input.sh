#!/usr/bin/env bash
# bad_input.sh - what `gatewatch ingest` does with input that is not a clean
# log: binary garbage, a 10 MB line, invalid UTF-8, a truncated last line,
# an empty file, a directory, a missing file, a cut .gz, and the same file
# twice. Each gets a clear message naming the file (and line), rejected lines
# are kept in the rejects table, nothing crashes, memory stays bounded, and
# the exit status is non-zero only when nothing at all could be read.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 60
T=$GW_TMP
DEMO=$(cd "$(dirname "$0")/../data/demo" && pwd)
db=$T/gw.db

# expect_rc WANT_RC OUTFILE cmd...: run, keep stderr+stdout, check status.
expect_rc() {
	local want=$1 out=$2 rc=0
	shift 2
	"$@" >"$out" 2>&1 || rc=$?
	gw_eq "$want" "$rc" "exit status of: $*" || { cat "$out" >&2; true; }
}
expect_text() {
	grep -qF -- "$2" "$1" || { GW_FAILURES=$((GW_FAILURES + 1)); \
		gw_log "'$2' not in output of $1:"; cat "$1" >&2; }
	GW_ASSERTS=$((GW_ASSERTS + 1))
}

# Binary garbage: refused without showing any of it, exit 1 (nothing read).
head -c 200000 /dev/urandom >"$T/garbage.bin"
expect_rc 1 "$T/o1" "$GW_BIN" ingest -d "$db" "$T/garbage.bin"
expect_text "$T/o1" "garbage.bin: not a log format"
expect_text "$T/o1" "no content is shown"
# No raw control byte reaches the terminal.
if LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' "$T/o1"; then
	gw_fail "raw control bytes in the message for garbage.bin"
fi

# A file whose format is forced but where no line parses: exit 1, with the
# rejects kept; the whole log_format directive pasted as --log-format is
# accepted (its name and ';' dropped).
printf 'not a request\nnor this\n' >"$T/allbad.log"
expect_rc 1 "$T/o1b" "$GW_BIN" ingest -d "$T/allbad.db" --format combined \
	"$T/allbad.log"
expect_text "$T/o1b" "allbad.log: no line could be read (2 rejected"
gw_eq 2 "$(sqlite3 "$T/allbad.db" "SELECT count(*) FROM rejects")" \
	"rejects of a file nothing could be read from"
sed -n 1,3p "$DEMO/access.log" >"$T/directive.log"
expect_rc 0 "$T/o1c" "$GW_BIN" ingest -d "$T/directive.db" --log-format \
	"log_format upstream '\$remote_addr - \$remote_user [\$time_local] \"\$request\" '
	    '\$status \$body_bytes_sent \"\$http_referer\" \"\$http_user_agent\" '
	    'rt=\$request_time uaddr=\"\$upstream_addr\" us=\"\$upstream_status\" '
	    'uct=\"\$upstream_connect_time\" uht=\"\$upstream_header_time\" '
	    'urt=\"\$upstream_response_time\" rid=\$request_id';" \
	"$T/directive.log"
expect_text "$T/o1c" "directive.log: 3 lines, 3 requests, 0 gateway errors, 0 rejected"

# A log with a 10 MB line, invalid UTF-8, a binary line and a truncated
# last line among good ones.
{
	sed -n 1,3p "$DEMO/access.log"
	head -c 10485760 /dev/zero | tr '\0' 'x'; echo
	printf 'bad \xff\xfe utf8 line\n'
	head -c 300 /dev/urandom | tr -d '\n'; echo
	sed -n 4,6p "$DEMO/access.log"
	sed -n 7p "$DEMO/access.log" | head -c 90
} >"$T/mixed.log"
# Left alone for a while: its cut last line is a truncation, not a line
# being written (that case is below).
touch -d '-1 minute' "$T/mixed.log"
expect_rc 0 "$T/o2" "$GW_BIN" ingest -d "$db" "$T/mixed.log"
expect_text "$T/o2" "mixed.log: 10 lines, 6 requests"
expect_text "$T/o2" "4 rejected"
expect_text "$T/o2" "line too long (first at line 4)"
gw_eq 4 "$(sqlite3 "$db" "SELECT count(*) FROM rejects")" "rejects kept"
gw_eq "4|4096" "$(sqlite3 "$db" 'SELECT line_no, length(raw) FROM rejects
	WHERE reason = '\''line too long'\''')" "long line kept, cut at 4 KiB"
gw_eq "5,6,10" "$(sqlite3 "$db" "SELECT group_concat(line_no) FROM
	(SELECT line_no FROM rejects WHERE reason <> 'line too long'
	 ORDER BY line_no)")" "rejected line numbers"
gw_eq 6 "$(gw_sql "$db" 'SELECT count(*) FROM requests_all')" "requests kept"

# Empty file, directory, missing file: messages, and exit 1 when nothing read.
: >"$T/empty.log"
mkdir "$T/adir"
expect_rc 0 "$T/o3" "$GW_BIN" ingest -d "$db" "$T/empty.log"
expect_text "$T/o3" "empty.log: empty"
expect_rc 1 "$T/o4" "$GW_BIN" ingest -d "$db" "$T/adir"
expect_text "$T/o4" "adir: is a directory"
expect_rc 1 "$T/o5" "$GW_BIN" ingest -d "$db" "$T/missing.log"
expect_text "$T/o5" "missing.log: No such file or directory"
# One good file among bad ones is enough for exit 0.
cp "$DEMO/error.log" "$T/error.log"
expect_rc 0 "$T/o6" "$GW_BIN" ingest -d "$db" "$T/missing.log" "$T/adir" \
	"$T/error.log"
expect_text "$T/o6" "missing.log: No such file or directory"

# Reading the same file again adds nothing.
before=$(gw_sql "$db" 'SELECT count(*) FROM requests_all')
expect_rc 0 "$T/o7" "$GW_BIN" ingest -d "$db" "$T/mixed.log"
expect_text "$T/o7" "resuming there"
gw_eq "$before" "$(gw_sql "$db" 'SELECT count(*) FROM requests_all')" \
	"same file twice: no new requests"

# A file being written: its unfinished last line is left for the next run,
# which reads it whole once the gateway has finished it.
sed -n 1p "$DEMO/access.log" >"$T/live.log"
sed -n 2p "$DEMO/access.log" | head -c 60 >>"$T/live.log"
expect_rc 0 "$T/o11" "$GW_BIN" ingest -d "$T/live.db" "$T/live.log"
expect_text "$T/o11" "left for the next run"
sed -n 2p "$DEMO/access.log" | tail -c +61 >>"$T/live.log"
expect_rc 0 "$T/o12" "$GW_BIN" ingest -d "$T/live.db" "$T/live.log"
gw_eq "2|0" "$(gw_sql "$T/live.db" 'SELECT (SELECT count(*) FROM requests_all),
	(SELECT count(*) FROM rejects)')" "a line finished later: read whole, once"

# A cut .gz: the lines before the cut are kept, the error names the file.
"$GW_TOOLS/genlog" 20000 | gzip -c >"$T/full.log.gz"
head -c $(($(stat -c %s "$T/full.log.gz") / 3)) "$T/full.log.gz" >"$T/cut.log.gz"
expect_rc 0 "$T/o8" "$GW_BIN" ingest -d "$T/gz.db" "$T/cut.log.gz"
expect_text "$T/o8" "cut.log.gz"
expect_text "$T/o8" "truncated .gz"
n=$(gw_sql "$T/gz.db" 'SELECT count(*) FROM requests_all')
[ "$n" -gt 0 ] && [ "$n" -lt 20000 ] || gw_fail "cut .gz: $n requests kept"

# stdin, gzipped.
expect_rc 0 "$T/o9" sh -c "gzip -c '$DEMO/access.log' | '$GW_BIN' ingest -d '$T/stdin.db' -"
gw_eq "$(wc -l <"$DEMO/access.log")" \
	"$(gw_sql "$T/stdin.db" 'SELECT count(*) FROM requests_all')" "gzipped stdin"

# A format that logs cookies: a line that does not parse is not kept whole
# (cookies are never stored), but its line number still says where it is.
printf '%s\n' '1.2.3.4 - [25/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 "s=ok"' \
	'1.2.3.4 garbage "session=SECRET"' >"$T/cookie.log"
expect_rc 0 "$T/o10" "$GW_BIN" ingest -d "$T/cookie.db" \
	--log-format '$remote_addr - [$time_local] "$request" $status "$http_cookie"' \
	"$T/cookie.log"
gw_eq 1 "$(gw_sql "$T/cookie.db" 'SELECT count(*) FROM requests_all')" \
	"cookie format: the good line parsed (pasted without nginx quotes)"
gw_eq "2|0" "$(sqlite3 "$T/cookie.db" "SELECT line_no, instr(raw, 'SECRET')
	FROM rejects")" "cookie format: the bad line's number kept, not its cookie"

# Numbers that are not numbers are usage errors, not an empty report.
"$GW_BIN" ingest -q -d "$T/num.db" "$DEMO/access.log" >/dev/null 2>&1 || true
expect_rc 2 "$T/o_st" "$GW_BIN" report -d "$T/num.db" --status 5xx
expect_text "$T/o_st" "--status"
expect_rc 2 "$T/o_st2" "$GW_BIN" report -d "$T/num.db" --status 42
expect_rc 2 "$T/o_lim" "$GW_BIN" report -d "$T/num.db" --limit ten
expect_rc 2 "$T/o_lim2" "$GW_BIN" explain -d "$T/num.db" --limit -1 u
expect_rc 0 "$T/o_st3" "$GW_BIN" report -d "$T/num.db" --status 502 --limit 1

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
