#!/usr/bin/env bash
# completion_e2e.sh - contrib/bash-completion/gatewatch, driven as bash
# drives it (COMP_WORDS, COMP_CWORD, then _gatewatch; COMPREPLY read back),
# against what the program says and accepts:
#
#  - `gatewatch <TAB>` offers exactly the commands of `gatewatch --help`;
#  - `gatewatch CMD -<TAB>` offers exactly the options of `CMD --help`
#    (parsed now, so an option added later must be offered: it is, since the
#    completion reads --help too);
#  - --format values (ingest's formats, report's and explain's output
#    formats), top's --window, report's --by keys and --cause names: every
#    value offered is accepted by the program, a made-up one is not, and
#    every --by key the program accepts among the words of report --help,
#    and every cause of core/cause.c, is offered;
#  - --opt=value and short options (-f) complete like --opt value; a --by
#    comma list completes its last key; -d completes files.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 120
T=$GW_TMP
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COMPLETION=$ROOT/contrib/bash-completion/gatewatch
DEMO=$ROOT/tests/data/demo

# comp WORD...: what completing the last WORD offers, one per line, sorted.
# A fresh bash each time, so nothing leaks between cases.
comp() {
	bash --norc --noprofile -c '
		. "$1"; shift
		prog=$1; shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_gatewatch "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$GW_BIN" "$@" |
		sed '/^$/d' | sort
}
# same WHAT FILE_WANT FILE_GOT: the two sets are equal.
same() {
	gw_eq "$(sort -u "$2" | tr '\n' ' ')" "$(sort -u "$3" | tr '\n' ' ')" "$1"
}

cd "$T"
"$GW_BIN" ingest -q -d "$T/gw.db" "$DEMO/access.log" "$DEMO/error.log" ||
	gw_fail "ingest of the demo"
echo x >"$T/one.log"

# Commands.
"$GW_BIN" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }
    on && /^$/ { on = 0 }' >"$T/cmds"
[ "$(wc -l <"$T/cmds")" -ge 6 ] || gw_fail "commands of --help: $(cat "$T/cmds")"
comp gatewatch "" >"$T/got"
same "gatewatch <TAB>" "$T/cmds" "$T/got"
comp gatewatch -d x.db "" >"$T/got"
same "gatewatch -d x.db <TAB>" "$T/cmds" "$T/got"
gw_eq "report" "$(comp gatewatch rep)" "gatewatch rep<TAB>"
gw_help_options >"$T/want"
comp gatewatch - >"$T/got"
same "gatewatch -<TAB>" "$T/want" "$T/got"

# Options of every command.
while read -r c; do
	gw_help_options "$c" >"$T/want"
	comp gatewatch "$c" - >"$T/got"
	same "gatewatch $c -<TAB>" "$T/want" "$T/got"
	grep -- '^--' "$T/want" >"$T/want2" || true
	comp gatewatch -d x.db "$c" --db=x --  >"$T/got"
	same "gatewatch -d x.db $c --db=x --<TAB>" "$T/want2" "$T/got"
done <"$T/cmds"

# accepted CMD ARGS...: the program takes ARGS (exit 0 and no complaint).
accepted() {
	local rc=0
	"$GW_BIN" "$@" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ] && ! grep -qiE 'unknown|must be|is table|is text|takes' "$T/err"
}
# offered_ok WHAT FILE CMD ARGS... (value last): each value of FILE accepted.
offered_ok() {
	local what=$1 file=$2 v
	shift 2
	[ -s "$file" ] || { gw_eq "some" "none" "$what: values offered"; return; }
	while read -r v; do
		if accepted "$@" "$v"; then
			gw_eq ok ok "$what $v"
		else
			gw_eq "accepted" "refused: $(head -n 1 "$T/err")" "$what $v"
		fi
	done <"$file"
}

# ingest/tail --format: the formats of ingest --help, each one the program knows.
comp gatewatch ingest --format "" >"$T/fmts"
[ "$(wc -l <"$T/fmts")" -ge 10 ] || gw_fail "ingest formats offered: $(cat "$T/fmts")"
grep -qx haproxy "$T/fmts" && grep -qx nginx-error "$T/fmts" && grep -qx auto "$T/fmts" ||
	gw_fail "ingest formats offered: $(cat "$T/fmts" | tr '\n' ' ')"
while read -r f; do
	"$GW_BIN" ingest -q -d "$T/fmt.db" -f "$f" "$T/one.log" >/dev/null 2>"$T/err" || true
	gw_eq 0 "$(grep -c 'unknown format' "$T/err" || true)" "ingest -f $f is a known format"
done <"$T/fmts"
"$GW_BIN" ingest -q -d "$T/fmt.db" -f made-up "$T/one.log" >/dev/null 2>"$T/err" || true
gw_eq 1 "$(grep -c 'unknown format' "$T/err")" "ingest -f made-up is refused (the check above can fail)"
comp gatewatch ingest -f "" >"$T/got"
same "ingest -f <TAB>" "$T/fmts" "$T/got"
comp gatewatch tail --format = "" >"$T/got"
same "tail --format=<TAB>" "$T/fmts" "$T/got"
gw_eq "haproxy" "$(comp gatewatch ingest --format = hap)" "ingest --format=hap<TAB>"

# report, explain: output formats; top: windows.
comp gatewatch report --format "" >"$T/got"
gw_eq "csv json table" "$(echo $(cat "$T/got"))" "report --format <TAB>"
offered_ok "report --format" "$T/got" report -d "$T/gw.db" --format
accepted report -d "$T/gw.db" --format yaml && gw_eq refused accepted "report --format yaml"
comp gatewatch explain --format "" >"$T/got"
gw_eq "json text" "$(echo $(cat "$T/got"))" "explain --format <TAB>"
offered_ok "explain --format" "$T/got" explain u -d "$T/gw.db" --format
comp gatewatch top --window "" >"$T/got"
gw_eq "1h 24h 5m all" "$(echo $(cat "$T/got"))" "top --window <TAB>"
comp gatewatch top -w "" >"$T/got2"
same "top -w <TAB>" "$T/got" "$T/got2"

# report --by: what is offered is accepted; what is accepted is offered.
comp gatewatch report --by "" >"$T/by"
offered_ok "report --by" "$T/by" report -d "$T/gw.db" --by
accepted report -d "$T/gw.db" --by colour && gw_eq refused accepted "report --by colour"
"$GW_BIN" report --help | tr -c 'a-z_\n' '\n' | grep -E '^[a-z_]{2,}$' | sort -u >"$T/words"
while read -r w; do
	if accepted report -d "$T/gw.db" --by "$w"; then
		gw_eq yes "$(grep -qx "$w" "$T/by" && echo yes || echo no)" \
		    "report --by $w is accepted, so offered"
	fi
done <"$T/words"
gw_eq "upstream,cause" "$(comp gatewatch report --by upstream,c)" "report --by upstream,c<TAB>"
gw_eq "path,status" "$(comp gatewatch report --by = path,st)" "report --by=path,st<TAB>"

# report --cause: the names of core/cause.c, each accepted.
sed -n 's/^[[:space:]]*\[GW_CAUSE_[A-Z0-9_]*\] = {"\([a-z0-9_]*\)".*/\1/p' "$ROOT/core/cause.c" |
	sort >"$T/causes"
[ "$(wc -l <"$T/causes")" -ge 10 ] || gw_fail "causes of core/cause.c: $(cat "$T/causes")"
comp gatewatch report --cause "" >"$T/got"
same "report --cause <TAB>" "$T/causes" "$T/got"
offered_ok "report --cause" "$T/got" report -d "$T/gw.db" --cause

# Files and interfaces.
mkdir "$T/sub" && touch "$T/sub/a.db"
gw_eq "sub/a.db" "$(comp gatewatch report -d sub/a)" "report -d sub/a<TAB>"
gw_eq "sub/a.db" "$(comp gatewatch tail sub/a)" "tail sub/a<TAB>"
comp gatewatch capture -i "" >"$T/got"
gw_eq "any lo" "$(grep -xE 'lo|any' "$T/got" | tr '\n' ' ' | sed 's/ $//')" \
    "capture -i <TAB> offers lo and any"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
