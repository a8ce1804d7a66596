#!/usr/bin/env bash
# capture_join_e2e.sh - gateway-host mode's join thread (cli/capjoin.c)
# on the paths that stop a capture early, on crafted captures (mkpcap
# --pending: 20,000 client requests, each tied to an upstream attempt):
#   - the writer fails mid-run (the database may grow no further: a file
#     size limit, SIGXFSZ ignored, as a full disk): exit status 1, the
#     writer's error said, and the join's counters still agree - every
#     client request counted is counted on its gateway port, failed and
#     tied alike (the join releases what it holds after the failure, as
#     the packet loop did before the join had a thread);
#   - SIGINT and SIGTERM while a pipe (-r -) is half read: exit status 0,
#     "interrupted", what was read stored: the rows equal the summary's
#     count, and the port's counters the summary's.
# No timing assertions; files and processes in $GW_TMP, stopped by PID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_need_cmd sqlite3
gw_need_tools mkpcap
gw_setup 120
T=$GW_TMP

"$GW_TOOLS/mkpcap" --pending 20000 "$T/pending.pcap"
"$GW_TOOLS/mkpcap" basic "$T/basic.pcap"
OPTS=(--listen 8080 --max-pending 262144 --max-flows 262144)

# The summary's gateway line and its port line agree on the counts.
agree() {
	local err=$1 what=$2 all port
	all=$(sed -n 's/^  gateway: \([0-9]*\) client requests, \([0-9]*\) failed, \([0-9]*\) of them tied.*/\1 \2 \3/p' "$err")
	port=$(sed -n 's/^  gateway port 8080: \([0-9]*\) client requests, \([0-9]*\) failed, \([0-9]*\) tied.*/\1 \2 \3/p' "$err")
	[ -n "$all" ] || { cat "$err" >&2; gw_fail "$what: no gateway line"; }
	gw_eq "$all" "$port" "$what: client requests, failed, tied: all = port 8080"
}

# 1. The writer fails mid-run. The database is made first (its schema
# written), then may grow by a few hundred KiB only.
"$GW_BIN" capture -q -d "$T/full.db" -r "$T/basic.pcap"
kb=$(($(stat -c %s "$T/full.db") / 1024))
wal=$(($(stat -c %s "$T/full.db-wal" 2>/dev/null || echo 0) / 1024))
[ "$wal" -gt "$kb" ] && kb=$wal
rc=0
(
	trap '' XFSZ
	ulimit -f $((kb + 400))
	exec "$GW_BIN" capture -d "$T/full.db" -r "$T/pending.pcap" "${OPTS[@]}"
) 2>"$T/full.err" || rc=$?
gw_eq 1 "$rc" "writer failed: exit status"
gw_eq 1 "$([ "$(grep -c '^gatewatch capture: write: ' "$T/full.err")" -ge 1 ] &&
	echo 1 || echo 0)" "writer failed: its error said"
stored=$(gw_sql "$T/full.db" 'SELECT count(*) FROM request_view')
gw_eq 1 "$([ "$stored" -lt 20000 ] && echo 1 || echo 0)" \
	"writer failed mid-run ($stored of 20000 stored)"
agree "$T/full.err" "writer failed"

# 2. SIGINT, SIGTERM: half of the file through a pipe, then the signal.
half=$(($(stat -c %s "$T/pending.pcap") / 2))
for sig in INT TERM; do
	mkfifo "$T/fifo.$sig"
	"$GW_BIN" capture -d "$T/sig$sig.db" -r - "${OPTS[@]}" \
		<"$T/fifo.$sig" 2>"$T/sig$sig.err" &
	pid=$!
	GW_PIDS+=("$pid")
	exec 7>"$T/fifo.$sig"
	head -c "$half" "$T/pending.pcap" >&7
	# until the capture has read what was sent (its packets counted
	# nowhere before the end: wait for the source row, then a moment)
	for ((i = 0; i < 100; i++)); do
		[ -n "$(sqlite3 "$T/sig$sig.db" 'SELECT 1 FROM sources' 2>/dev/null)" ] && break
		sleep 0.05
	done
	sleep 1
	kill -"$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	gw_eq 0 "$rc" "SIG$sig: exit status"
	gw_eq 1 "$(grep -c 'interrupted; what was captured is stored' "$T/sig$sig.err" || true)" \
		"SIG$sig: says interrupted"
	said=$(sed -n 's/^  stored: \([0-9]*\) requests.*/\1/p' "$T/sig$sig.err")
	gw_eq "$said" "$(gw_sql "$T/sig$sig.db" 'SELECT count(*) FROM request_view')" \
		"SIG$sig: the requests the summary counts are stored"
	gw_eq "$(sed -n 's/^  gateway port 8080: \([0-9]*\) client requests, \([0-9]*\) failed, \([0-9]*\) tied.*/\1|\2|\3/p' "$T/sig$sig.err")" \
		"$(sqlite3 "$T/sig$sig.db" 'SELECT requests, failed, failed_tied FROM capture_ports')" \
		"SIG$sig: capture_ports as the summary"
	agree "$T/sig$sig.err" "SIG$sig"
done

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
