# shellcheck shell=bash
# lib.sh - helpers for the end-to-end tests; source it, do not run it.
#
#   . "$(dirname "$0")/lib.sh"
#   gw_setup 60            # temp dir in $GW_TMP, EXIT trap, 60 s watchdog
#   gw_start NAME cmd...   # background process, stopped by PID on exit
#   gw_stop PID            # SIGTERM (or $2), wait for the exit, bounded
#   gw_eq WANT GOT WHAT    # assert, counted in GW_ASSERTS / GW_FAILURES
#   gw_wait_rows DB N      # until DB holds N requests (10 s at most)
#   gw_sql DB SQL          # what `sqlite3 DB SQL` prints, every request seen
#
# For the tests of a real gateway in front of badupstream (tests/tools):
#   gw_need_tools NAME...          # $GW_TOOLS/NAME built, or fail
#   gw_badupstream PORTFILE L:M... # one listener per LABEL:MODE
#   gw_read_ports PORTFILE ARRAY   # ARRAY[LABEL]=PORT (declare -A ARRAY)
#   gw_labels_sed PORTFILE         # sed script: 127.0.0.1:PORT -> LABEL
#   gw_nginx_conf_head DIR LEVEL N # the start of an nginx.conf in DIR
#   gw_nginx_start NGINX DIR WRITE # nginx on a free port, conf by WRITE
#   gw_wait_port PORT PID          # until 127.0.0.1:PORT accepts (PID lives)
#   gw_haproxy_conf_head [LINE...] # global (+LINEs) and defaults of haproxy.cfg
#   gw_caddy_conf_head LOGFILE     # the start of a Caddy JSON config
#   gw_caddy_start CADDY JSON      # caddy run, its state kept in $GW_TMP/xdg
#   gw_expect PREFIX N LABEL CAUSE STATUS ATTEMPTS  # record what is sent
#   gw_expected KEYS PREFIX        # what `report --by KEYS` must say
#   gw_from_csv / gw_from_json KEYS SEDFILE  # what a report says
#   gw_check_report DB KEYS PREFIX SEDFILE [WHO]  # csv and json, counted
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

# gw_sql DB SQL: the rows of SQL on DB as `sqlite3 DB SQL` prints them (no
# header, '|' between values, NULL as nothing, reals as SQLite writes them),
# read by `gatewatch sql -f list`. Use it for every query on requests: a
# database may keep some of them in compressed blocks (schema/015), which
# plain sqlite3 does not read. There request_view, attempt_view and
# attempts_all see every request, and so does the table requests_all
# (requests' columns plus path, the text of a block's path, whose path_id
# is NULL); the table requests holds only the rows. Text is escaped as
# gatewatch escapes it everywhere (control bytes, the backslash and invalid
# UTF-8 as \xHH). Exits as gatewatch sql does (1: no database, a bad or
# writing statement). Not for queries that inspect how requests are stored.
gw_sql() {
	"$GW_BIN" sql -d "$1" -f list "$2"
}

# gw_wait_rows DB N: wait (10 s at most) until DB holds N requests.
gw_wait_rows() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(gw_sql "$1" "SELECT count(*) FROM requests_all" 2>/dev/null || true)" = "$2" ] &&
			return 0
		sleep 0.05
	done
	return 1
}

# gw_wait_port PORT PID: wait (5 s at most) until something accepts on
# 127.0.0.1:PORT while PID lives.
gw_wait_port() {
	local port=$1 pid=$2 i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
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

# gw_need_tools NAME...: every $GW_TOOLS/NAME is built, or the test fails.
gw_need_tools() {
	local t
	for t in "$@"; do
		[ -x "$GW_TOOLS/$t" ] || gw_fail "$GW_TOOLS/$t not built"
	done
}

# gw_badupstream PORTFILE LABEL:MODE...: start badupstream with one listener
# per LABEL:MODE, each on a free port of 127.0.0.1, and wait until it serves;
# it writes "LABEL PORT" lines to PORTFILE. Sets GW_LAST_PID (gw_start).
gw_badupstream() {
	local portfile=$1 u args=()
	shift
	for u in "$@"; do
		args+=(--listen "${u%%:*}=0:${u#*:}")
	done
	gw_start badupstream "$GW_TOOLS/badupstream" "${args[@]}" \
		--portfile "$portfile" --pidfile "$GW_TMP/badupstream.pid"
	gw_wait_file "$GW_TMP/badupstream.pid" 5 "$GW_LAST_PID" ||
		gw_fail "badupstream did not start: $(cat "$GW_TMP/badupstream.out")"
}

# gw_read_ports PORTFILE ARRAY: ARRAY[LABEL]=PORT for every line of PORTFILE;
# ARRAY is the name of an associative array the caller declared.
gw_read_ports() {
	local -n gw_ports_map=$2
	local label port
	while read -r label port; do
		# shellcheck disable=SC2034 # the caller's array, by name
		gw_ports_map["$label"]=$port
	done <"$1"
}

# gw_labels_sed PORTFILE: a sed script, on stdout, that turns a leading
# "127.0.0.1:PORT " back into "LABEL " (badupstream's labels), for readable
# diffs.
gw_labels_sed() {
	local label port
	while read -r label port; do
		echo "s/^127\\.0\\.0\\.1:$port /$label /"
	done <"$1"
}

# gw_nginx_conf_head DIR LEVEL CONNECTIONS: print the start of an nginx.conf
# for an nginx that lives in the temp dir DIR: in the foreground, its pid
# file, logs (DIR/logs/access.log and error.log, at LEVEL) and temp files
# (DIR/tmp) in DIR, CONNECTIONS per worker, the access log in the format
# gatewatch reads with every upstream variable, 2 s connect and 3 s read
# timeouts. It ends inside http { }, for the caller to add upstreams and
# servers and close it. As root the workers would run as nobody, who cannot
# write the logs in a root-owned temp dir: keep them root. As non-root nginx
# cannot switch users and the directive would only warn.
gw_nginx_conf_head() {
	local dir=$1 level=$2 conns=$3 user_line=
	[ "$(id -u)" = 0 ] && user_line="user root root;"
	cat <<-EOF
	daemon off;
	master_process on;
	worker_processes 1;
	$user_line
	pid $dir/nginx.pid;
	error_log $dir/logs/error.log $level;
	events {
	    worker_connections $conns;
	}
	http {
	    log_format upstream '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" rt=\$request_time uaddr="\$upstream_addr" us="\$upstream_status" uct="\$upstream_connect_time" uht="\$upstream_header_time" urt="\$upstream_response_time" rid=\$request_id';
	    access_log $dir/logs/access.log upstream;
	    client_body_temp_path $dir/tmp/client_body;
	    proxy_temp_path $dir/tmp/proxy;
	    fastcgi_temp_path $dir/tmp/fastcgi;
	    uwsgi_temp_path $dir/tmp/uwsgi;
	    scgi_temp_path $dir/tmp/scgi;
	    proxy_connect_timeout 2s;
	    proxy_read_timeout 3s;
	EOF
}

# gw_nginx_start NGINX DIR WRITE_CONF: start the nginx binary NGINX in the
# temp dir DIR (see gw_nginx_conf_head) on a free port of 127.0.0.1, with
# DIR/nginx.conf as the command `WRITE_CONF PORT` writes it, checked first
# with nginx -t. The port is picked racily, so up to three tries; fails the
# test if none starts. Sets GW_NGINX_PORT and GW_NGINX_PID (stopped on exit,
# like every gw_start process).
gw_nginx_start() {
	local nginx=$1 dir=$2 write_conf=$3 attempt port
	for attempt in 1 2 3; do
		port=$(gw_free_port)
		"$write_conf" "$port"
		"$nginx" -t -q -p "$dir" -c "$dir/nginx.conf" \
			-e "$dir/logs/error.log" >"$dir/nginx-t.out" 2>&1 ||
			gw_fail "nginx -t: $(cat "$dir/nginx-t.out")"
		rm -f "$dir/logs/error.log"
		gw_start nginx "$nginx" -p "$dir" -c "$dir/nginx.conf" \
			-e "$dir/logs/error.log"
		if gw_wait_file "$dir/nginx.pid" 5 "$GW_LAST_PID"; then
			# shellcheck disable=SC2034 # for the caller
			GW_NGINX_PORT=$port GW_NGINX_PID=$GW_LAST_PID
			return 0
		fi
		gw_log "nginx did not start on $port (attempt $attempt):" \
			"$(cat "$GW_TMP/nginx.out" "$dir/logs/error.log" 2>/dev/null)"
		gw_stop "$GW_LAST_PID"
	done
	gw_fail "nginx did not start"
}

# gw_haproxy_conf_head [GLOBAL-LINE...]: print the start of a haproxy.cfg
# for HAProxy 2.6 in the foreground: its log lines on stdout in the syslog
# format gatewatch reads (option httplog, nothing for null connections),
# each GLOBAL-LINE added to the global section, 500 ms connect and 1 s
# server timeouts, no retries. The caller adds frontends and backends.
gw_haproxy_conf_head() {
	local line
	# One thread: `log stdout` skips a line when another thread holds
	# the output (haproxy issue #1861, "works as designed"), and the
	# tests compare every logged request with the capture.
	printf 'global\n    log stdout format rfc3164 local0\n    nbthread 1\n'
	for line in "$@"; do
		printf '    %s\n' "$line"
	done
	cat <<-EOF
	defaults
	    mode http
	    log global
	    option httplog
	    option dontlognull
	    timeout connect 500ms
	    timeout client 5s
	    timeout server 1s
	    retries 0
	EOF
}

# gw_caddy_conf_head LOGFILE: print the start of a Caddy JSON config: no
# admin endpoint, every log (debug level: reverse_proxy names the upstream
# and its error) as JSON in LOGFILE; it ends inside "servers": {, for the
# caller to add servers and close it with }}}}.
gw_caddy_conf_head() {
	cat <<-EOF
	{"admin": {"disabled": true},
	 "logging": {"logs": {
	   "default": {"level": "DEBUG", "encoder": {"format": "json"},
	     "writer": {"output": "file",
	       "filename": "$1"}}}},
	 "apps": {"http": {"servers": {
	EOF
}

# gw_caddy_start CADDY JSON: run the caddy binary CADDY with the config
# JSON (gw_start caddy: output in $GW_TMP/caddy.out, GW_LAST_PID), its
# home, data and config directories in $GW_TMP/xdg.
gw_caddy_start() {
	mkdir -p "$GW_TMP/xdg"
	gw_start caddy env HOME="$GW_TMP/xdg" XDG_DATA_HOME="$GW_TMP/xdg" \
		XDG_CONFIG_HOME="$GW_TMP/xdg" "$1" run --config "$2"
}

# gw_expect PREFIX N LABEL CAUSE STATUS ATTEMPTS: record what gatewatch must
# find for N requests just sent that each got STATUS: N lines "LABEL CAUSE
# STATUS" (LABEL "-": no upstream) in PREFIX.requests and, per request, the
# attempts ATTEMPTS, a comma list of LABEL:CAUSE ("-": none), as "LABEL
# CAUSE" lines in PREFIX.attempts.
gw_expect() {
	local prefix=$1 n=$2 label=$3 cause=$4 status=$5 attempts=$6 i a
	for ((i = 0; i < n; i++)); do
		echo "$label $cause $status" >>"$prefix.requests"
		[ "$attempts" = - ] && continue
		for a in ${attempts//,/ }; do
			echo "${a%%:*} ${a#*:}" >>"$prefix.attempts"
		done
	done
}

# gw_expected KEYS PREFIX: the figures `report --by KEYS` (upstream, cause or
# upstream,cause) must give for what gw_expect recorded under PREFIX, one
# line per group: the key values, then requests errors_5xx failed attempts
# failed_attempts; sorted.
gw_expected() {
	awk -v keys="$1" '
	function key(label, cause) {
		if (keys == "upstream") return label
		if (keys == "cause") return cause
		return label " " cause
	}
	FNR == 1 { file++ }
	file == 1 {		# requests: LABEL CAUSE STATUS
		k = key($1, $2); seen[k] = 1; req[k]++
		if ($3 >= 500 && $3 <= 599) e5[k]++
		if ($2 != "ok") fail[k]++
	}
	file == 2 {		# attempts: LABEL CAUSE
		k = key($1, $2); seen[k] = 1; att[k]++
		if ($2 != "ok") fatt[k]++
	}
	END {
		for (k in seen)
			printf "%s %d %d %d %d %d\n", k, req[k], e5[k],
			    fail[k], att[k], fatt[k]
	}' "$2.requests" "$2.attempts" | sort
}

# gw_from_csv KEYS SEDFILE < CSV: the lines of gw_expected from `report --by
# KEYS --format csv`, the upstreams renamed by the sed script SEDFILE (see
# gw_labels_sed). Fails on a missing column.
gw_from_csv() {
	awk -F, -v keys="$1" '
	NR == 1 {
		for (i = 1; i <= NF; i++) col[$i] = i
		n = split(keys, kn, ",")
		split("requests errors_5xx failed attempts failed_attempts",
		    fig, " ")
		for (i = 1; i <= n; i++)
			if (!(kn[i] in col)) { print "missing column " kn[i]; exit 1 }
		for (i = 1; i <= 5; i++)
			if (!(fig[i] in col)) { print "missing column " fig[i]; exit 1 }
		next
	}
	{
		line = ""
		for (i = 1; i <= n; i++) line = line $(col[kn[i]]) " "
		for (i = 1; i <= 5; i++)
			line = line $(col[fig[i]]) (i < 5 ? " " : "")
		print line
	}' | sed -f "$2" | sort
}

# gw_from_json KEYS SEDFILE < JSON: the same from `report --format json`,
# read with awk alone: every "name": value pair of each {...} object, string
# values unescaped (\" and \\); a field absent reads "MISSING".
gw_from_json() {
	tr '\n' ' ' | awk -v keys="$1" '
	{
		n = split(keys, kn, ",")
		split("requests errors_5xx failed attempts failed_attempts",
		    fig, " ")
		rest = $0
		while (match(rest, /\{[^}]*\}/)) {
			obj = substr(rest, RSTART + 1, RLENGTH - 2)
			rest = substr(rest, RSTART + RLENGTH)
			delete v
			while (match(obj, /"[^"]*" *: *("([^"\\]|\\.)*"|-?[0-9.]+)/)) {
				pair = substr(obj, RSTART, RLENGTH)
				obj = substr(obj, RSTART + RLENGTH)
				name = substr(pair, 2); sub(/".*/, "", name)
				val = pair; sub(/^"[^"]*" *: */, "", val)
				gsub(/^"|"$/, "", val)
				gsub(/\\"/, "\"", val)
				gsub(/\\\\/, "\\", val)
				v[name] = val
			}
			line = ""
			for (i = 1; i <= n; i++)
				line = line (kn[i] in v ? v[kn[i]] : "MISSING") " "
			for (i = 1; i <= 5; i++)
				line = line (fig[i] in v ? v[fig[i]] : "MISSING") \
				    (i < 5 ? " " : "")
			print line
		}
	}' | sed -f "$2" | sort
}

# gw_check_report DB KEYS PREFIX SEDFILE [WHO]: `report -d DB --by KEYS`, in
# csv and in json, must each equal gw_expected KEYS PREFIX (upstreams renamed
# by SEDFILE). Two checks counted in GW_ASSERTS; a difference is logged (WHO
# first, if given) and counted in GW_FAILURES. Files in $GW_TMP: want, got,
# diff, report.csv, report.json, report.err.
gw_check_report() {
	local db=$1 keys=$2 prefix=$3 sedfile=$4 who=${5:+$5: } fmt
	gw_expected "$keys" "$prefix" >"$GW_TMP/want"
	for fmt in csv json; do
		"$GW_BIN" report -d "$db" --by "$keys" --format "$fmt" \
			>"$GW_TMP/report.$fmt" 2>"$GW_TMP/report.err" ||
			gw_fail "report --by $keys --format $fmt: $(cat "$GW_TMP/report.err")"
		"gw_from_$fmt" "$keys" "$sedfile" <"$GW_TMP/report.$fmt" \
			>"$GW_TMP/got" || true
		GW_ASSERTS=$((GW_ASSERTS + 1))
		if ! diff -u "$GW_TMP/want" "$GW_TMP/got" >"$GW_TMP/diff"; then
			GW_FAILURES=$((GW_FAILURES + 1))
			gw_log "${who}report -d $(basename "$db") --by $keys" \
				"--format $fmt differs (-want +got; columns: $keys" \
				"requests errors_5xx failed attempts failed_attempts):"
			cat "$GW_TMP/diff" >&2
		fi
	done
}

# gw_help_options [COMMAND]: the options `gatewatch [COMMAND] --help` names,
# one per line, sorted: those of its usage block (up to the first empty
# line) and of its option lines (indented lines that start with "-"; only
# their first column, before two spaces). Prose such as "like tail -F" is
# not taken. Fails when --help does not exit 0.
gw_help_options() {
	local out
	out=$("$GW_BIN" "$@" --help) || { gw_log "$GW_BIN $* --help failed"; return 1; }
	printf '%s\n' "$out" | awk '
		NR == 1 { usage = 1 }
		usage && /^$/ { usage = 0 }
		{
			if (usage)
				text = $0
			else if ($0 ~ /^ +-/) {
				text = $0
				sub(/^ +/, "", text)
				sub(/  .*/, "", text)
			} else
				next
			while (match(text, /(^|[][ (|,])--?[A-Za-z][A-Za-z0-9-]*/)) {
				o = substr(text, RSTART, RLENGTH)
				sub(/^[^-]/, "", o)
				print o
				text = substr(text, RSTART + RLENGTH)
			}
		}' | sort -u
}
