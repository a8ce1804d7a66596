#!/usr/bin/env bash
# man_e2e.sh - the man pages in man/ match the program and are clean mdoc:
#
#  - every command `gatewatch --help` lists has man/gatewatch-COMMAND.1, and
#    gatewatch(1) refers to it;
#  - every option `gatewatch [COMMAND] --help` names (parsed from its output
#    now, so an option added later is caught) has an `.It Fl ...` entry in
#    that command's page (gatewatch.1 for the command itself);
#  - every option a page documents is one the command accepts (getopt does
#    not call it unrecognized), so a removed option leaves no stale entry;
#  - `mandoc -T lint` says nothing (but "referenced manual not found", which
#    depends on the pages installed on the machine: gatewatch-*(1) references
#    are checked against man/ instead) and `groff -mdoc -ww -z` says nothing;
#  - each page has NAME, SYNOPSIS, DESCRIPTION, EXIT STATUS, SEE ALSO, and
#    .Dt names the page's file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gw_setup 60
T=$GW_TMP
MAN=$(cd "$(dirname "$0")/../../man" && pwd)
for c in mandoc groff; do
	command -v "$c" >/dev/null 2>&1 || gw_fail "$c not installed (make test-deps)"
done

# expect WHAT CMD...: CMD succeeds, else WHAT is told; counted.
expect() {
	local what=$1
	shift
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if ! "$@"; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "$what"
	fi
}
empty() { [ ! -s "$1" ]; }
lacks() { ! grep -qE "$1" "$2"; }

# page_options PAGE: the options of PAGE's .It lines (.It Fl d , Fl \-db Ar
# DB gives -d and --db), sorted.
page_options() {
	awk '/^\.It / {
		for (i = 2; i < NF; i++)
			if ($i == "Fl") {
				o = $(i + 1)
				gsub(/\\-/, "-", o)
				sub(/[,;.]$/, "", o)
				print "-" o
			}
	}' "$1" | sort -u
}

cmds=$("$GW_BIN" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$cmds" ] || gw_fail "no commands in gatewatch --help"
gw_log "commands: $(echo $cmds)"

pages=("$MAN/gatewatch.1")
for c in $cmds; do
	p=$MAN/gatewatch-$c.1
	expect "no man page man/gatewatch-$c.1 for command '$c'" test -f "$p"
	[ -f "$p" ] && pages+=("$p")
	expect "gatewatch.1 does not refer to gatewatch-$c(1)" \
	    grep -q "^\.Xr gatewatch-$c 1" "$MAN/gatewatch.1"
done

# Options of --help against the pages' .It entries, both ways.
for c in "" $cmds; do
	if [ -z "$c" ]; then p=$MAN/gatewatch.1; else p=$MAN/gatewatch-$c.1; fi
	[ -f "$p" ] || continue
	gw_help_options $c >"$T/help" || gw_fail "gatewatch $c --help"
	expect "no option found in gatewatch $c --help" test -s "$T/help"
	page_options "$p" >"$T/page"
	while read -r o; do
		expect "gatewatch $c: option $o of --help has no .It entry in $(basename "$p")" \
		    grep -qxF -- "$o" "$T/page"
	done <"$T/help"
	[ -n "$c" ] || continue
	while read -r o; do
		# Last on the line, so an option that takes a value only
		# complains of the missing value; a flag runs the command with
		# nothing to do, in an empty directory, bounded.
		mkdir -p "$T/run"
		(cd "$T/run" && GATEWATCH_DB=$T/run/none.db timeout 5 \
		    "$GW_BIN" "$c" "$o" </dev/null >/dev/null 2>"$T/err") || true
		expect "gatewatch $c: $(basename "$p") documents $o, which gatewatch $c does not take: $(head -n 1 "$T/err")" \
		    lacks 'unrecognized option|invalid option' "$T/err"
	done <"$T/page"
done

for p in "${pages[@]}"; do
	b=$(basename "$p" .1)
	# mandoc: nothing at all, but lookups of pages not installed here.
	mandoc -T lint "$p" >"$T/lint" 2>&1 || true
	grep -v -e 'STYLE: referenced manual not found' -e 'mandoc\.db' "$T/lint" >"$T/lint2" || true
	expect "mandoc -T lint $b.1: $(cat "$T/lint2")" empty "$T/lint2"
	rc=0
	groff -mdoc -ww -z "$p" >"$T/groff" 2>&1 || rc=$?
	expect "groff -mdoc exited $rc on $b.1" test "$rc" -eq 0
	expect "groff -mdoc -ww -z $b.1: $(cat "$T/groff")" empty "$T/groff"
	# Our own references must resolve to a page of man/.
	for ref in $(awk '$1 == ".Xr" && $2 ~ /^gatewatch/ { print $2 "." $3 }' "$p"); do
		expect "$b.1 refers to $ref, not in man/" test -f "$MAN/$ref"
	done
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
		expect "$b.1 has no $s section" grep -qx "\.Sh $s" "$p"
	done
	dt=$(echo "$b" | tr '[:lower:]' '[:upper:]')
	expect "$b.1: .Dt is not '$dt 1'" grep -qx "\.Dt $dt 1" "$p"
	# The rendered page has the options too (catches a broken .It).
	mandoc -T ascii "$p" | sed 's/.\x08//g' >"$T/$b.txt"
	expect "$b.1 renders to almost nothing" test "$(wc -l <"$T/$b.txt")" -gt 20
done

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
