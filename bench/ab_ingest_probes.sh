#!/usr/bin/env bash
# ab_ingest_probes.sh - where ingest's threads wait, by site: two
# revisions of the tree (git revisions, or "." for the work tree as it
# is) are copied, each wait of the parse thread, the writer, the block
# encoder (zip) and the checkpointer timed in the copies
# (bench/wait_probes: add_probes.py, probes.c), built, and both ingest LOG
# interleaved (A B A B ...). One line a run: wall, user and sys seconds,
# peak RSS, the ms waited at each site, and the load average:
#
#   idle    the writer for a batch (the parse thread behind)
#   drain   the writer, before it sleeps, for the zip to read its batches
#   zidle   the writer for the zip to encode what it handed (drain, commit)
#   cflush  the writer at a commit, for the zip to finish the open block
#   zfull   the writer, every chunk of the zip's queue queued
#   ckpt    the writer, the WAL at CKPT_CAP, for the checkpoint
#   pfree   the parse thread for a free batch (the writer behind)
#   pread   the parse thread for the zip to be done with a batch
#   zroom   the zip for room for a finished block (the writer to insert)
#   commit  the writer's store_commit in all (work and waits)
#
#   bench/ab_ingest_probes.sh BASE_REV NEW_REV LOG [ROUNDS] [INGEST ARGS...]
#
# GW_WRITER_NICE, GW_ZIP_NICE, GW_CKPT_NICE (a nice value, or "i" for
# SCHED_IDLE) are passed on: that thread sets its own at its start (how
# session 9 tried thread priorities). GW_WAITS_LOG=1: every wait of 0.5 ms
# or more of the last run, in order. The nginx format of bench/run.sh
# unless INGEST ARGS are given.
set -euo pipefail
base=$1 new=$2 log=$3 rounds=${4:-2}
shift $(($# < 4 ? $# : 4))
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/nginx_format.sh"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--log-format "$FMT")
dir=$(mktemp -d "${TMPDIR:-/tmp}/gw-abprobe.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# probed REV NAME: a probed build of REV at $dir/NAME/build/gatewatch
probed() {
	local rev=$1 t=$dir/$2
	mkdir -p "$t"
	if [ "$rev" = . ]; then
		(cd "$root" && { git ls-files -z; git ls-files -z --others \
		    --exclude-standard; } | xargs -0 cp --parents -t "$t")
	else
		(cd "$root" && git archive "$rev") | tar -x -C "$t"
	fi
	cp "$here/wait_probes/probes.h" "$here/wait_probes/probes.c" "$t/core/"
	python3 "$here/wait_probes/add_probes.py" "$t"
	make -C "$t" -j2 build/gatewatch >"$t/make.log" 2>&1 ||
	    { tail -20 "$t/make.log" >&2; exit 1; }
}
probed "$base" a
probed "$new" b
cat "$log" >/dev/null		# warm the page cache
for ((r = 0; r < rounds; r++)); do
	for t in a b; do
		rev=$base
		[ $t = b ] && rev=$new
		rm -f "$dir"/db*
		l0=$(cut -d' ' -f1 /proc/loadavg)
		GW_WAITS=1 /usr/bin/time -f 'T %e %U %S %M' \
		    "$dir/$t/build/gatewatch" ingest -q -d "$dir/db" \
		    "${args[@]}" "$log" >"$dir/out" 2>&1 || true
		awk -v n="$rev" -v l="$l0" '
		    /^T / { w = $2; u = $3; s = $4; m = $5 }
		    /^wp / { v[$2] = $3 }
		    END {
			printf "%-9s %5.2f s usr %.2f sys %.2f %5.1f MiB |" \
			    " idle %4.0f drain %4.0f zidle %4.0f cflush %4.0f" \
			    " zfull %4.0f ckpt %4.0f pfree %4.0f pread %4.0f" \
			    " zroom %4.0f commit %4.0f | load %s\n", n, w, u,
			    s, m / 1024, v["wr_idle"], v["wr_drain"],
			    v["wr_zipidle"], v["wr_commitflush"],
			    v["wr_zipfull"], v["wr_ckpt"], v["parse_free"],
			    v["parse_read"], v["zip_room"], v["wr_commit"], l
		    }' "$dir/out"
	done
done
if [ -n "${GW_WAITS_LOG:-}" ]; then
	grep '^ev ' "$dir/out" || true
fi
