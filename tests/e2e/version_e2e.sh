#!/usr/bin/env bash
# version_e2e.sh - `gatewatch --version` names gatewatch's own version and
# the version of every library it runs with, each equal to what the system
# says of the library it was built against (pkg-config, http_parser.h):
# SQLite, PCRE2, libpcap, ncurses, zlib, json-c, http-parser.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 30
T=$GW_TMP
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

"$GW_BIN" --version >"$T/v" 2>"$T/err" || gw_fail "--version exited $?"
"$GW_BIN" -V >"$T/v2" 2>&1 || gw_fail "-V exited $?"
gw_eq "" "$(cat "$T/err")" "--version writes nothing on stderr"
gw_eq "$(cat "$T/v")" "$(cat "$T/v2")" "-V is --version"

want=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
gw_eq "gatewatch $want" "$(head -n 1 "$T/v")" "first line"

# lib NAME: the version --version prints for NAME (the word after it).
lib() { awk -v n="$1" '$1 == n { print $2 }' "$T/v"; }

# The shared objects are the ones the build found, so the versions they
# report at run time are those pkg-config gives.
gw_eq "$(pkg-config --modversion sqlite3)" "$(lib SQLite)" "SQLite"
gw_eq "$(pkg-config --modversion libpcre2-8)" "$(lib PCRE2)" "PCRE2"
gw_eq "$(pkg-config --modversion libpcap)" "$(lib libpcap)" "libpcap"
gw_eq "$(pkg-config --modversion ncursesw)" "$(lib ncurses)" "ncurses"
gw_eq "$(pkg-config --modversion zlib)" "$(lib zlib)" "zlib"
gw_eq "$(pkg-config --modversion json-c)" "$(lib json-c)" "json-c"
hp=$(awk '/define HTTP_PARSER_VERSION_(MAJOR|MINOR|PATCH)/ { v = v (v ? "." : "") $3 }
    END { print v }' /usr/include/http_parser.h)
gw_eq "$hp" "$(lib http-parser)" "http-parser"
# Seven libraries, no more, no less, and nothing unknown.
gw_eq 7 "$(sed -n '/^libraries:/,$p' "$T/v" | grep -c '^  [^ ]')" "library lines"
gw_eq 0 "$(grep -c unknown "$T/v" || true)" "no unknown version"

[ "$GW_FAILURES" -eq 0 ] || { cat "$T/v" >&2; gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"; }
gw_log "ok: $GW_ASSERTS checks passed"
