#!/usr/bin/env bash
# compare_parse.sh PARSEBENCH_A PARSEBENCH_B FILE [OPTION...] - what two
# builds of the parsers make of one input: each build's parsebench -d
# dumps every record (every field, in the order the store would get them)
# and the dumps are compared. For changes to parse/ that must keep every
# parsed field: build tests/tools/parsebench.c against the old tree too,
# then run this on the fixtures and on large generated logs (genlog -P,
# genfmtlog -P). OPTION... go to both (-l FMT, -f NAME). Exit status 1
# when the dumps differ (the first differences are shown).
set -u
a=$1 b=$2 file=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gw-parse.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$a" -d "$@" "$file" >"$tmp/a" 2>"$tmp/a.err"
ra=$?
"$b" -d "$@" "$file" >"$tmp/b" 2>"$tmp/b.err"
rb=$?
if [ "$ra" != "$rb" ] || ! cmp -s "$tmp/a" "$tmp/b"; then
	echo "differs: $file (exit $ra / $rb)"
	diff "$tmp/a" "$tmp/b" | head -20
	exit 1
fi
echo "same: $file ($(grep -c '^E' "$tmp/a") requests, $(grep -c '^G' "$tmp/a") errors, $(grep -c '^R' "$tmp/a") rejects)"
