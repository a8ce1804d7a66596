#!/usr/bin/env bash
# service_e2e.sh - the systemd units of contrib/systemd run what they say,
# inside the sandbox they declare. systemd is not PID 1 here, so the units
# cannot be started; instead each unit's ExecStart= (from the file `make
# install-systemd` installs, paths moved into a temp dir) is run the way
# the unit would run it, and traced with strace:
#
#  - gatewatch-tail.service: as an unprivileged user (nobody) whose only
#    other group is adm, with no_new_privs and no capability at all, on
#    logs that are root:adm 0640 in a 0750 root:adm directory (as Debian's
#    nginx writes them): it follows the unit's glob, stores every line
#    written, including a file that appears later, and exits 0 on SIGTERM;
#  - gatewatch-capture.service: as nobody with only CAP_NET_RAW and
#    CAP_NET_ADMIN (ambient, bounding set limited to them, no_new_privs):
#    it captures HTTP exchanges on lo and stores them, never as root;
#  - every system call either made is allowed by its unit's
#    SystemCallFilter= lines (groups expanded by systemd-analyze), and every
#    socket family it opens is in its unit's RestrictAddressFamilies=.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
for c in strace systemd-analyze setpriv; do
	command -v "$c" >/dev/null 2>&1 || gw_fail "$c not installed (make test-deps)"
done
[ "$(id -u)" = 0 ] || gw_fail "needs root (to become nobody with chosen groups and capabilities)"
gw_need_tools badupstream httpload genlog
gw_setup 120
T=$GW_TMP
chmod 755 "$T"
ADM=$(getent group adm | cut -d: -f3)
[ -n "$ADM" ] || gw_fail "no group adm on this machine"
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)
# Sanitizer builds: LeakSanitizer cannot run under strace (it ptraces).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# The units as installed.
(unset MAKEFLAGS MAKELEVEL MFLAGS; make -s -C "$ROOT" install-systemd \
    DESTDIR="$T/dest" PREFIX=/usr) >"$T/make.out" 2>&1 || { cat "$T/make.out" >&2; gw_fail "make install-systemd"; }
UNITS=$T/dest/usr/lib/systemd/system

# unit_value UNIT KEY: the values of KEY= lines, one per line.
unit_value() { sed -n "s/^$2=//p" "$UNITS/$1"; }

# The syscalls a SystemCallFilter= set (such as @system-service) holds.
declare -A GROUP_SEEN
expand() {
	local x
	for x in "$@"; do
		case $x in
		@*)
			[ -n "${GROUP_SEEN[$x]-}" ] && continue
			GROUP_SEEN[$x]=1
			# shellcheck disable=SC2046
			expand $(systemd-analyze syscall-filter "$x" | awk 'NR > 1 && $1 !~ /^#/ { print $1 }')
			;;
		*) echo "$x" ;;
		esac
	done
}
# allowed UNIT: the syscalls its SystemCallFilter= lines allow, sorted.
allowed() {
	local line allow="" deny=""
	while read -r line; do
		if [[ $line == ~* ]]; then deny+=" ${line#\~}"; else allow+=" $line"; fi
	done < <(unit_value "$1" SystemCallFilter)
	[ -n "$allow" ] || gw_fail "$1 has no SystemCallFilter allow list"
	GROUP_SEEN=()
	expand $allow | sort -u >"$T/allow"
	GROUP_SEEN=()
	if [ -n "$deny" ]; then expand $deny | sort -u; fi >"$T/deny"
	comm -23 "$T/allow" "$T/deny"
}
# check_trace UNIT TRACE: the traced process (from its exec of gatewatch
# on) made only syscalls UNIT allows and opened only sockets of the
# families UNIT allows.
check_trace() {
	local unit=$1 trace=$2 fams
	allowed "$unit" >"$T/$unit.allowed"
	awk -v bin="$GW_BIN" 'index($0, "execve(\"" bin "\"") { on = 1 }
	    on && match($0, /^[0-9]+ +[a-z0-9_]+\(/) {
		s = substr($0, RSTART, RLENGTH - 1); sub(/^[0-9]+ +/, "", s); print s }' \
	    "$trace" | sort -u >"$T/$unit.used"
	[ "$(wc -l <"$T/$unit.used")" -gt 20 ] ||
		gw_fail "$unit: too few syscalls traced ($(wc -l <"$T/$unit.used")): is $trace right?"
	comm -23 "$T/$unit.used" "$T/$unit.allowed" >"$T/$unit.denied"
	gw_eq "" "$(tr '\n' ' ' <"$T/$unit.denied")" "$unit: syscalls outside its SystemCallFilter"
	fams=" $(unit_value "$unit" RestrictAddressFamilies | tr '\n' ' ') "
	grep -oE ' socket\(AF_[A-Z0-9]+' "$trace" | sed 's/.*(//' | sort -u >"$T/$unit.families"
	while read -r f; do
		gw_eq yes "$([[ $fams == *" $f "* ]] && echo yes || echo no)" \
		    "$unit: socket family $f in RestrictAddressFamilies=$fams"
	done <"$T/$unit.families"
}
# execstart UNIT: its ExecStart= as words, with the unit's paths moved
# under $T, the installed binary replaced by the one under test, and
# "-i any" by "-i lo" (only 127.0.0.1 traffic is made here).
execstart() {
	unit_value "$1" ExecStart | sed -e "s|^/usr/bin/gatewatch|$GW_BIN|" \
	    -e "s|/var/lib/gatewatch|$T/state|g" -e "s|/var/log/nginx|$T/log|g" \
	    -e "s# -i any\( \|$\)# -i lo\1#"
}
# requests DB: how many requests DB holds.
requests() {
	"$GW_BIN" report -d "$1" --by source --format csv 2>/dev/null |
		awk -F, 'NR > 1 { n += $2 } END { print n + 0 }'
}
# wait_requests DB N SECS: until DB holds N requests.
wait_requests() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(requests "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- gatewatch-tail.service -------------------------------------------------
gw_eq "gatewatch" "$(unit_value gatewatch-tail.service User)" "tail: User="
gw_eq "adm" "$(unit_value gatewatch-tail.service SupplementaryGroups)" "tail: SupplementaryGroups="
gw_eq "gatewatch" "$(unit_value gatewatch-tail.service StateDirectory)" "tail: StateDirectory="
mkdir -p "$T/state" "$T/log"
chown "$NOBODY:$NOGROUP" "$T/state"
chmod 0750 "$T/state"
chown "root:$ADM" "$T/log"
chmod 0750 "$T/log"
"$GW_TOOLS/genlog" 300 7 >"$T/lines"
install -m 0640 -o root -g "$ADM" /dev/null "$T/log/access.log"
head -n 100 "$T/lines" >>"$T/log/access.log"
read -r -a CMD < <(execstart gatewatch-tail.service)
gw_log "tail: ${CMD[*]}"
# The glob stays a glob, as systemd passes it: gatewatch expands it.
gw_eq "$T/log/*.log" "${CMD[${#CMD[@]} - 1]}" "tail: ExecStart ends in the logs' glob"
gw_start tail strace -f -qq -o "$T/trace.tail" \
    setpriv --reuid="$NOBODY" --regid="$NOGROUP" --groups="$ADM" \
    --no-new-privs --bounding-set=-all --inh-caps=-all -- "${CMD[@]}"
TAIL_PID=$GW_LAST_PID
wait_requests "$T/state/gatewatch.db" 100 30 ||
	{ cat "$T/tail.out" >&2; gw_fail "tail (unit's ExecStart) stored $(requests "$T/state/gatewatch.db") of 100"; }
sed -n '101,200p' "$T/lines" >>"$T/log/access.log"
# A log that appears later, matching the glob.
install -m 0640 -o root -g "$ADM" /dev/null "$T/log/api.log"
sed -n '201,300p' "$T/lines" >>"$T/log/api.log"
wait_requests "$T/state/gatewatch.db" 300 30 ||
	{ cat "$T/tail.out" >&2; gw_fail "tail stored $(requests "$T/state/gatewatch.db") of 300"; }
gw_eq "$NOBODY" "$(stat -c %u "$T/state/gatewatch.db")" "tail: the database is the service user's"
# strace passes the tracee's exit status on; the tracee (setpriv, then
# gatewatch in the same process) is the first PID of the trace.
kill -TERM "$(awk '{ print $1; exit }' "$T/trace.tail")"
rc=0
wait "$TAIL_PID" || rc=$?
gw_eq 0 "$rc" "tail: exit status after SIGTERM"
gw_eq 300 "$(requests "$T/state/gatewatch.db")" "tail: requests stored"
check_trace gatewatch-tail.service "$T/trace.tail"

# --- gatewatch-capture.service ----------------------------------------------
gw_eq "gatewatch" "$(unit_value gatewatch-capture.service User)" "capture: User="
gw_eq "CAP_NET_RAW CAP_NET_ADMIN" "$(unit_value gatewatch-capture.service AmbientCapabilities)" \
    "capture: AmbientCapabilities="
gw_eq "CAP_NET_RAW CAP_NET_ADMIN" "$(unit_value gatewatch-capture.service CapabilityBoundingSet)" \
    "capture: CapabilityBoundingSet="
gw_badupstream "$T/ports" ok:ok u503:503
declare -A PORT
gw_read_ports "$T/ports" PORT
rm -rf "$T/state" && mkdir "$T/state" && chown "$NOBODY:$NOGROUP" "$T/state"
read -r -a CMD < <(execstart gatewatch-capture.service)
# Only this test's traffic, for a bounded time (both options of the
# program, appended as an operator's drop-in would).
CMD+=(-f "tcp port ${PORT[ok]} or tcp port ${PORT[u503]}" --duration 6)
gw_log "capture: ${CMD[*]}"
gw_start capture strace -f -qq -o "$T/trace.capture" \
    setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups --no-new-privs \
    --inh-caps=-all,+net_raw,+net_admin --ambient-caps=-all,+net_raw,+net_admin \
    --bounding-set=-all,+net_raw,+net_admin -- "${CMD[@]}"
CAP_PID=$GW_LAST_PID
gw_wait_file "$T/state/gatewatch.db" 10 "$CAP_PID" ||
	{ cat "$T/capture.out" >&2; gw_fail "capture (unit's ExecStart) did not start"; }
sleep 1
"$GW_TOOLS/httpload" --port "${PORT[ok]}" --repeat 20 /ok >/dev/null
"$GW_TOOLS/httpload" --port "${PORT[u503]}" --repeat 10 /fail >/dev/null
rc=0
wait "$CAP_PID" || rc=$?
gw_eq 0 "$rc" "capture: exit status after --duration"
[ "$rc" -eq 0 ] || cat "$T/capture.out" >&2
gw_eq "$NOBODY" "$(stat -c %u "$T/state/gatewatch.db")" "capture: ran as the service user, not root"
gw_eq 30 "$(requests "$T/state/gatewatch.db")" "capture: requests stored"
check_trace gatewatch-capture.service "$T/trace.capture"
gw_eq yes "$(grep -q 'socket(AF_PACKET' "$T/trace.capture" && echo yes || echo no)" \
    "capture: opened an AF_PACKET socket (the trace is of the capture)"

[ "$GW_FAILURES" -eq 0 ] || gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
gw_log "ok: $GW_ASSERTS checks passed"
