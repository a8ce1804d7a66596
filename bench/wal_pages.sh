#!/usr/bin/env bash
# wal_pages.sh - which B-trees an ingest's commits write, once the database
# holds N lines: what grows with the size of the database.
#
#   bench/wal_pages.sh BIN LOG N K [INGEST ARGS...]
#
# Stores the first N lines of LOG (through stdin), then the next K as a
# file of their own while a sqlite3 reader holds a read transaction open,
# so no checkpoint can reset the WAL: afterwards every frame the second
# ingest's commits wrote is still in it. Each frame is one page; the
# pages are named by the B-tree that holds them at the end (dbstat), and
# printed per commit: records are not known here, pages and MiB are. The
# nginx log format of bench/run.sh unless INGEST ARGS are given. Needs
# python3 and the sqlite3 shell (with dbstat).
set -euo pipefail
bin=$1 log=$2 n=$3 k=$4
shift 4
. "$(dirname "$0")/nginx_format.sh"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--log-format "$FMT")
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-walpages.XXXXXX")
reader=
cleanup() {
	[ -n "$reader" ] && kill "$reader" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
head -n "$n" "$log" | "$bin" ingest -q -d "$dir/db" "${args[@]}" -
sed -n "$((n + 1)),$((n + k))p;$((n + k))q" "$log" >"$dir/slice.log"
mkfifo "$dir/ctl"
sqlite3 "$dir/db" <"$dir/ctl" >"$dir/reader.out" &
reader=$!
exec 3>"$dir/ctl"
echo "BEGIN; SELECT count(*) FROM sources;" >&3
while [ ! -s "$dir/reader.out" ]; do sleep 0.1; done
"$bin" ingest -q -d "$dir/db" "${args[@]}" "$dir/slice.log"
cp "$dir/db-wal" "$dir/wal"
echo "COMMIT;" >&3
exec 3>&-
wait "$reader" || true
reader=
sqlite3 "$dir/db" "SELECT pageno, name FROM dbstat" >"$dir/pages"
python3 - "$dir/wal" "$dir/pages" <<'PY'
import struct, sys, collections
wal, pages = sys.argv[1], sys.argv[2]
owner = {}
for line in open(pages):
    p, name = line.rstrip("\n").split("|", 1)
    owner[int(p)] = name
data = open(wal, "rb").read()
psz = struct.unpack(">I", data[8:12])[0]
off, commit, n = 32, collections.Counter(), 0
total = collections.Counter()
print("commit  pages   MiB  by B-tree (pages)")
while off + 24 + psz <= len(data):
    pgno, size = struct.unpack(">II", data[off:off + 8])
    commit[owner.get(pgno, "?")] += 1
    off += 24 + psz
    if size:
        n += 1
        tot = sum(commit.values())
        top = ", ".join("%s %d" % kv for kv in commit.most_common(8))
        print("%6d %6d %5.1f  %s" % (n, tot, tot * psz / 2**20, top))
        total.update(commit)
        commit = collections.Counter()
tot = sum(total.values())
print("all %d commits: %d pages, %.1f MiB" % (n, tot, tot * psz / 2**20))
for name, c in total.most_common(12):
    print("  %-28s %7d pages %6.1f%%" % (name, c, 100.0 * c / max(tot, 1)))
PY
