#!/usr/bin/env bash
# install_e2e.sh - `make install` and `make install-systemd` put what they
# should where they should, honouring PREFIX and DESTDIR, and what they
# install works where it lands:
#
#  - DESTDIR=tmp PREFIX=/usr: exactly bin/gatewatch (0755, the binary under
#    test), share/man/man1/gatewatch*.1 (0644, every page of man/) and
#    share/bash-completion/completions/gatewatch; no systemd file unless
#    install-systemd is asked, which adds lib/systemd/system/*.service
#    naming /usr/bin/gatewatch and lib/sysusers.d/gatewatch.conf;
#  - the default PREFIX is /usr/local (and the units then name
#    /usr/local/bin/gatewatch);
#  - PREFIX=tmp (the units naming a binary that exists):
#    `systemd-analyze verify` passes with nothing to say, the man pages of
#    their Documentation= found by man(1) (a broken unit makes it speak: the
#    check can fail); `systemd-analyze security --offline` rates the tail
#    unit SAFE and the capture unit no worse than OK;
#  - systemd-sysusers on the installed snippet, in a scratch root, creates
#    user gatewatch with its own group and as a member of adm;
#  - man(1) finds and renders the installed pages; the installed completion
#    completes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
for c in systemd-analyze systemd-sysusers man; do
	command -v "$c" >/dev/null 2>&1 || gw_fail "$c not installed (make test-deps)"
done
gw_setup 120
T=$GW_TMP
# The build variant under test is the one installed (O=$GW_BUILD).
SAN=
case $GW_BUILD in *san*) SAN=1 ;; esac

# mk ARGS...: make in the source tree, quiet, failing the test on error.
mk() {
	(unset MAKEFLAGS MAKELEVEL MFLAGS; make -s -C "$ROOT" O="$GW_BUILD" SAN="$SAN" "$@") \
	    >"$T/make.out" 2>&1 || { cat "$T/make.out" >&2; gw_fail "make $*"; }
}
# tree DIR: the files under DIR with their modes, sorted.
tree() { (cd "$1" && find . -type f -printf '%m %P\n' | sort); }

mk install DESTDIR="$T/d1" PREFIX=/usr
{
	echo "755 usr/bin/gatewatch"
	echo "644 usr/share/bash-completion/completions/gatewatch"
	for p in "$ROOT"/man/*.1; do echo "644 usr/share/man/man1/$(basename "$p")"; done
} | sort >"$T/want1"
tree "$T/d1" >"$T/got1"
gw_eq "$(cat "$T/want1")" "$(cat "$T/got1")" "make install DESTDIR PREFIX=/usr: the tree"
gw_eq same "$(cmp -s "$GW_BIN" "$T/d1/usr/bin/gatewatch" && echo same)" "the binary installed is the one under test"
for p in "$ROOT"/man/*.1; do
	gw_eq same "$(cmp -s "$p" "$T/d1/usr/share/man/man1/$(basename "$p")" && echo same)" "$(basename "$p") installed"
done
gw_eq "$(ls "$ROOT"/man/*.1 | wc -l)" "$("$GW_BIN" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { n++ } END { print n + 1 }')" \
    "a man page per command, and gatewatch.1"

mk install-systemd DESTDIR="$T/d1" PREFIX=/usr
{
	cat "$T/want1"
	echo "644 usr/lib/sysusers.d/gatewatch.conf"
	for u in "$ROOT"/contrib/systemd/*.service; do echo "644 usr/lib/systemd/system/$(basename "$u")"; done
} | sort >"$T/want2"
tree "$T/d1" >"$T/got2"
gw_eq "$(cat "$T/want2")" "$(cat "$T/got2")" "make install-systemd DESTDIR PREFIX=/usr: the tree"
for u in gatewatch-tail.service gatewatch-capture.service; do
	gw_eq "/usr/bin/gatewatch" "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$T/d1/usr/lib/systemd/system/$u")" \
	    "$u: ExecStart names PREFIX's binary"
done

# The default PREFIX.
mk install install-systemd DESTDIR="$T/d2"
gw_eq "$(sed 's| usr/| usr/local/|' "$T/want2")" "$(tree "$T/d2")" "make install install-systemd DESTDIR (PREFIX=/usr/local)"
gw_eq "/usr/local/bin/gatewatch" "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$T/d2/usr/local/lib/systemd/system/gatewatch-tail.service")" \
    "default PREFIX: ExecStart"

# PREFIX alone: the units name a binary that is there, so systemd-analyze
# can check everything it knows to check.
P=$T/prefix
mk install install-systemd PREFIX="$P"
cd "$T"
rc=0
MANPATH=$P/share/man systemd-analyze verify "$P"/lib/systemd/system/*.service >"$T/verify" 2>&1 || rc=$?
gw_eq 0 "$rc" "systemd-analyze verify: exit status"
gw_eq "" "$(cat "$T/verify")" "systemd-analyze verify: says nothing"
# The same check on a unit with a mistake must speak (it can fail).
sed 's/^ProtectSystem=strict/ProtectSystem=stritc/; s/^Documentation=.*/Documentation=man:gatewatch-none(1)/' \
    "$P/lib/systemd/system/gatewatch-tail.service" >"$T/broken.service"
MANPATH=$P/share/man systemd-analyze verify "$T/broken.service" >"$T/verify2" 2>&1 || true
gw_eq yes "$(grep -q stritc "$T/verify2" && grep -q gatewatch-none "$T/verify2" && echo yes || echo no)" \
    "systemd-analyze verify reports a broken unit: $(tr '\n' ' ' <"$T/verify2")"
# exposure UNIT: systemd's overall exposure figure (0 best, 10 worst).
exposure() {
	systemd-analyze security --offline=yes "$P/lib/systemd/system/$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
et=$(exposure gatewatch-tail.service)
ec=$(exposure gatewatch-capture.service)
gw_log "systemd-analyze security: tail $et, capture $ec"
gw_eq yes "$(awk -v e="$et" 'BEGIN { print (e != "" && e < 2.0) ? "yes" : "no" }')" "tail unit exposure $et < 2.0 (SAFE)"
gw_eq yes "$(awk -v e="$ec" 'BEGIN { print (e != "" && e < 4.0) ? "yes" : "no" }')" "capture unit exposure $ec < 4.0 (OK)"

# sysusers: in a scratch root with Debian's adm group.
mkdir -p "$T/root/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$T/root/etc/passwd"
printf 'root:x:0:\nadm:x:4:\n' >"$T/root/etc/group"
rc=0
systemd-sysusers --root="$T/root" "$P/lib/sysusers.d/gatewatch.conf" >"$T/sysusers" 2>&1 || rc=$?
gw_eq 0 "$rc" "systemd-sysusers: exit status ($(cat "$T/sysusers"))"
gw_eq "gatewatch:/var/lib/gatewatch" "$(awk -F: '$1 == "gatewatch" { print $1 ":" $6 }' "$T/root/etc/passwd")" \
    "sysusers: user gatewatch, home the state directory"
uid=$(awk -F: '$1 == "gatewatch" { print $3 }' "$T/root/etc/passwd")
gw_eq yes "$([ -n "$uid" ] && [ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] && echo yes || echo no)" "sysusers: a system uid ($uid)"
gw_eq gatewatch "$(awk -F: '$1 == "adm" { print $4 }' "$T/root/etc/group")" "sysusers: gatewatch in group adm"
gw_eq 1 "$(grep -c '^gatewatch:' "$T/root/etc/group")" "sysusers: group gatewatch"
gw_eq 0 "$(grep -c gatewatch /etc/passwd || true)" "sysusers touched only the scratch root"

# man finds the installed pages; the installed completion completes.
for p in "$ROOT"/man/*.1; do
	b=$(basename "$p" .1)
	gw_eq "$P/share/man/man1/$b.1" "$(MANPATH=$P/share/man man -w "$b" 2>/dev/null)" "man -w $b"
done
MANPATH=$P/share/man MANWIDTH=80 man gatewatch-tail 2>/dev/null | grep -q -- '--poll' ||
	gw_eq yes no "man gatewatch-tail renders its options"
got=$(bash --norc --noprofile -c '. "$1"; COMP_WORDS=(gatewatch rep); COMP_CWORD=1;
    _gatewatch "$2"; echo "${COMPREPLY[*]}"' _ "$P/share/bash-completion/completions/gatewatch" "$P/bin/gatewatch")
gw_eq report "$got" "the installed completion completes"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
