# shellcheck shell=bash
# lib.sh - helpers for the end-to-end tests; source it, do not run it.
#
#   . "$(dirname "$0")/lib.sh"
#   gw_setup 60            # temp dir in $GW_TMP, EXIT trap, 60 s watchdog
#   gw_start NAME cmd...   # background process, stopped by PID on exit
#   gw_stop PID            # SIGTERM (or $2), wait for the exit, bounded
#
# Every process a test starts is recorded by PID and stopped in the EXIT
# trap, last started first; nothing is ever stopped by name. The temp dir is
# removed on success and kept on failure (its path is printed), or always
# with GW_KEEP_TMP=1. Only 127.0.0.1 is used.

GW_BUILD=${GW_BUILD:-build}
GW_BIN=${GW_BIN:-$GW_BUILD/gatewatch}
GW_TOOLS=${GW_TOOLS:-$GW_BUILD/tools}
GW_PIDS=()
GW_TMP=
GW_WATCHDOG=
GW_TEST_NAME=$(basename "$0" .sh)

gw_log() { printf '%s: %s\n' "$GW_TEST_NAME" "$*" >&2; }

gw_fail() {
	gw_log "FAIL: $*"
	exit 1
}

# gw_skip REASON: the test cannot run here (exit 77, the automake SKIP code).
gw_skip() {
	gw_log "SKIP: $*"
	exit 77
}

# Stop one process by PID: signal (default TERM), wait up to 5 s, then KILL.
gw_stop() {
	local pid=$1 sig=${2:-TERM} i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -"$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		gw_log "pid $pid did not exit on SIG$sig; killing"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

gw_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#GW_PIDS[@]} - 1; i >= 0; i--)); do
		gw_stop "${GW_PIDS[i]}"
	done
	if [ -n "$GW_WATCHDOG" ]; then
		kill -TERM "$GW_WATCHDOG" 2>/dev/null || true
		wait "$GW_WATCHDOG" 2>/dev/null || true
	fi
	if [ -n "$GW_TMP" ] && [ -d "$GW_TMP" ]; then
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || [ -n "${GW_KEEP_TMP:-}" ]; then
			gw_log "files kept in $GW_TMP"
		else
			rm -rf "$GW_TMP"
		fi
	fi
	exit "$rc"
}

# gw_setup SECONDS: temp dir, EXIT trap, and a watchdog that ends the test
# (SIGTERM to this shell, which runs the trap) after SECONDS.
gw_setup() {
	local limit=${1:-60} me=$$
	GW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gw-$GW_TEST_NAME.XXXXXX")
	trap gw_cleanup EXIT
	trap 'gw_log "interrupted"; exit 1' INT
	trap 'gw_log "FAIL: time limit reached (or SIGTERM)"; exit 1' TERM
	(
		s=
		trap '[ -n "$s" ] && kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$limit" &
		s=$!
		wait "$s"
		kill -TERM "$me" 2>/dev/null
	) &
	GW_WATCHDOG=$!
}

# gw_start NAME CMD...: run CMD in the background, output to $GW_TMP/NAME.out;
# sets GW_LAST_PID and records it for the EXIT trap.
gw_start() {
	local name=$1
	shift
	"$@" >"$GW_TMP/$name.out" 2>&1 &
	GW_LAST_PID=$!
	GW_PIDS+=("$GW_LAST_PID")
}

# gw_wait_file FILE SECONDS [PID]: wait until FILE exists (and PID lives).
gw_wait_file() {
	local f=$1 secs=$2 pid=${3:-} i
	for ((i = 0; i < secs * 20; i++)); do
		[ -s "$f" ] && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 1
}

# A port that was free on 127.0.0.1 a moment ago (racy: retry on failure).
gw_free_port() {
	"$GW_TOOLS/badupstream" --free-port
}

gw_need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
			gw_skip "$c not installed (make test-deps)"
	done
}

# gw_eq WANT GOT WHAT: assert equality, counting passes in GW_ASSERTS.
GW_ASSERTS=0
GW_FAILURES=0
gw_eq() {
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if [ "$1" != "$2" ]; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "mismatch: $3: want '$1', got '$2'"
		return 1
	fi
	return 0
}
