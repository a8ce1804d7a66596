#!/usr/bin/env bash
# e2e_blocks.sh [TEST...] - runs end-to-end tests (tests/e2e/NAME.sh; by
# default every one that reads requests through lib.sh's gw_sql) twice:
# as they are, then with GW_INGEST_BLOCKS=1 exported, so that every ingest
# they run keeps plain requests in compressed blocks (schema/015). A test
# whose assertions read requests storage-independently passes both ways
# once every reader reads blocks; until then a failure with blocks names a
# reader that does not (or a query the test still makes with sqlite3).
# Prints one line per test and mode (PASS, FAIL rc, SKIP) with its time,
# the machine's load and how many requests its databases (*.db under its
# temp dir) held in blocks at the end - a pass with blocks proves
# something only if some were written (tail and capture write none yet);
# keeps each output in $OUT (default /tmp/gw-e2e-blocks.XXXXXX), and the
# temp dir of a failed run. Needs GW_BIN, GW_TOOLS (absolute) as the
# tests do. Exit status 1 when a run without blocks failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${GW_BIN:?set GW_BIN (absolute)}" "${GW_TOOLS:?set GW_TOOLS (absolute)}"
export GW_BUILD=${GW_BUILD:-build} GW_BIN GW_TOOLS
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gw-e2e-blocks.XXXXXX")}
mkdir -p "$OUT"
chmod 755 "$OUT"	# the tests' dirs as under /tmp: others may pass

# in_blocks DIR: "N in M db": requests kept in blocks by the databases
# under DIR (the storage itself: plain sqlite3 on request_blocks).
in_blocks() {
	find "$1" -name '*.db' -type f 2>/dev/null | while read -r db; do
		sqlite3 "$db" "SELECT coalesce(sum(n), 0) FROM request_blocks" \
			2>/dev/null || echo 0
	done | awk '{ s += $1; if ($1 > 0) d++ } END { print s + 0 " in " d + 0 " db" }'
}
if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046 # test names: no spaces
	set -- $(grep -l 'gw_sql\|wire_rows\|gw_wait_rows' tests/e2e/*.sh |
		grep -v '/lib.sh$\|/wire_lib.sh$' | xargs -n1 basename | sed 's/\.sh$//')
fi
bad=0
for t in "$@"; do
	for mode in rows blocks; do
		start=$(date +%s)
		rc=0
		tmp=$OUT/tmp.$t.$mode
		mkdir -p "$tmp"
		chmod 755 "$tmp"
		if [ "$mode" = blocks ]; then
			TMPDIR=$tmp GW_KEEP_TMP=1 GW_INGEST_BLOCKS=1 \
				bash "tests/e2e/$t.sh" >"$OUT/$t.$mode.log" 2>&1 || rc=$?
		else
			TMPDIR=$tmp GW_KEEP_TMP=1 env -u GW_INGEST_BLOCKS \
				bash "tests/e2e/$t.sh" >"$OUT/$t.$mode.log" 2>&1 || rc=$?
		fi
		nb=$(in_blocks "$tmp")
		case $rc in
		0) r=PASS ;;
		77) r=SKIP ;;
		*) r="FAIL $rc"; [ "$mode" = rows ] && bad=1 ;;
		esac
		[ "$rc" = 0 ] && rm -rf "$tmp"
		printf '%-24s %-6s %-7s %4ss  load %-15s blocks: %s\n' "$t" "$mode" \
			"$r" "$(($(date +%s) - start))" \
			"$(cut -d' ' -f1-3 /proc/loadavg)" "$nb"
	done
done
echo "outputs in $OUT"
exit "$bad"
