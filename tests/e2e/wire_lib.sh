# shellcheck shell=bash
# wire_lib.sh - what the wire-tie end-to-end tests share (wire_tie_e2e.sh
# for nginx, wire_tie_haproxy_e2e.sh, wire_tie_caddy_e2e.sh) and the replay
# scripts of tests/e2e/manual: the gateway started on three ports (one per
# request-id regime), tcpdump recording lo while httpload sends a regime's
# mix, the capture of each recording, the rows of a database, and the
# request-by-request verdict of the wire against the gateway's own log with
# the checks every gateway must pass. Each test keeps only its gateway's
# configuration, its mix and its gateway-specific checks.
#
#   . tests/e2e/lib.sh; . tests/e2e/wire_lib.sh
#   wire_gateway_start NAME START LOG  # PA PB PC free; START started it
#   wire_filter PORTMAP PORT...        # tcpdump filter: PORTs + upstreams
#   wire_mix R GROUP...                # the requests of regime R, shuffled
#   wire_mix_basic R                   # the HAProxy and Caddy tests' mix
#   wire_run_regime R PORT [ARGS...]   # tcpdump + httpload of `mix R`
#   wire_record PORTMAP                # the three regimes on PA, PB, PC
#   wire_capture R PORT                # capture -r --listen -> wire_R.db
#   wire_labels_sed PORTFILE           # sed: trailing 127.0.0.1:PORT -> LABEL
#   wire_rows DB [WHERE [SEDFILE]]     # "path?query status cause upstream"
#   wire_verdict R MIN_LOGGED [K=V...] # log_rows.R vs wire_rows.R -> WV_*
#   wire_verdict_check R WHO MIN_UP    # the checks common to every gateway
#   wire_status_counts R               # status counts, log and capture
#   wire_compare R WHO LOGDB MIN_LOGGED MIN_UP [K=V...]  # all of a regime
#                                      # (WIRE_LIVE=1: also captured live)
#
# wire_rows and wire_verdict_awk need nothing from lib.sh (the replay
# scripts use them alone); the others use GW_TMP, gw_start, gw_stop, gw_eq.
# Only 127.0.0.1 / lo; every process started with gw_start and stopped by
# PID; every wait bounded.

# wire_gateway_start NAME START LOG: up to three tries: PA, PB and PC are
# set to free ports of 127.0.0.1, then `START` writes the gateway's
# configuration for them and starts it with gw_start (GW_LAST_PID), and the
# gateway must accept on all three ports. LOG is shown when a try fails.
# Sets WIRE_GW_PID; fails the test if no try works.
wire_gateway_start() {
	local name=$1 start=$2 log=$3 attempt
	WIRE_GW_PID=
	for attempt in 1 2 3; do
		PA=$(gw_free_port)
		PB=$(gw_free_port)
		PC=$(gw_free_port)
		"$start"
		WIRE_GW_PID=$GW_LAST_PID
		gw_wait_port "$PA" "$WIRE_GW_PID" &&
			gw_wait_port "$PB" "$WIRE_GW_PID" &&
			gw_wait_port "$PC" "$WIRE_GW_PID" && return 0
		gw_log "$name did not start (attempt $attempt): $(tail -n 20 "$log" 2>/dev/null)"
		gw_stop "$WIRE_GW_PID"
		WIRE_GW_PID=
	done
	gw_fail "$name did not start"
}

# wire_filter PORTMAP PORT...: the tcpdump filter for the gateway's PORTs
# and every upstream of PORTMAP (the name of a LABEL -> PORT array).
wire_filter() {
	local -n wire_filter_map=$1
	local f="tcp and (port $2" p label
	shift 2
	for p in "$@"; do
		f="$f or port $p"
	done
	for label in "${!wire_filter_map[@]}"; do
		f="$f or port ${wire_filter_map[$label]}"
	done
	echo "$f)"
}

# wire_mix R GROUP...: print the requests of regime R, in a fixed shuffled
# order (the same every run): for each GROUP "N PATH...", N rounds of one
# "GET PATH?r=R&i=I" per PATH (I = 0..N-1), so each request can be found by
# its query in the gateway's log and in the capture.
wire_mix() {
	local r=$1 g n p i paths
	shift
	for g in "$@"; do
		read -r n paths <<<"$g"
		for ((i = 0; i < n; i++)); do
			for p in $paths; do
				echo "GET $p?r=$r&i=$i"
			done
		done
	done | shuf --random-source=<(yes "$r")
}

# wire_mix_basic R: the mix of the tests whose gateway (HAProxy, Caddy)
# routes /ok, /u503, /reset, /close, /refuse, /garbage, /slow, /blackhole
# to the badupstream of that label and refuses /limited and /nolive itself.
wire_mix_basic() {
	wire_mix "$1" "240 /ok/items" \
		"25 /u503/x /reset/x /close/x /refuse/x /limited/x /nolive/x" \
		"15 /garbage/x" "6 /slow/x" "4 /blackhole/x"
}

# wire_load NAME HTTPLOAD-ARGS...: run httpload; with WIRE_LOAD_LOG=1 its
# per-request log and its summary are kept ($GW_TMP/load_NAME.log, .out),
# otherwise its output is dropped.
wire_load() {
	local name=$1
	shift
	if [ "${WIRE_LOAD_LOG:-}" = 1 ]; then
		"$GW_TOOLS/httpload" "$@" --log "$GW_TMP/load_$name.log" \
			>"$GW_TMP/load_$name.out"
	else
		"$GW_TOOLS/httpload" "$@" >/dev/null
	fi
}

# wire_run_regime R PORT [HTTPLOAD-ARGS...]: record lo with tcpdump
# ($WIRE_TCPDUMP, filter $WIRE_FILTER) into $GW_TMP/wire_R.pcap while
# httpload sends the caller's `mix R` to 127.0.0.1:PORT over 16 keep-alive
# connections pipelining 4 requests. In regime c half of the connections
# send unique ids and half all the same one, at once; otherwise
# HTTPLOAD-ARGS say which ids. If WIRE_WARMUP names a function, it runs
# (`WIRE_WARMUP R PORT`) once tcpdump listens, before the load. Skips the
# test when tcpdump lost packets (the verdicts would not mean anything).
# With WIRE_LIVE=1, `capture -i lo --listen PORT` also runs live on the
# same packets (tcpdump's filter) into $GW_TMP/live_R.db (wire_compare
# then judges it as regime "Rlive"): manual, it reads lo as it comes.
wire_run_regime() {
	local r=$1 port=$2 td i live=
	shift 2
	mix "$r" >"$GW_TMP/mix.$r"
	gw_start "tcpdump_$r" "$WIRE_TCPDUMP" -i lo -s 0 -B 131072 \
		-w "$GW_TMP/wire_$r.pcap" "$WIRE_FILTER"
	td=$GW_LAST_PID
	for ((i = 0; i < 100; i++)); do
		grep -q "listening on" "$GW_TMP/tcpdump_$r.out" 2>/dev/null && break
		sleep 0.05
	done
	if [ "${WIRE_LIVE:-}" = 1 ]; then
		gw_start "live_$r" "$GW_BIN" capture -Z root -i lo \
			-f "$WIRE_FILTER" --listen "$port" -d "$GW_TMP/live_$r.db"
		live=$GW_LAST_PID
		for ((i = 0; i < 100; i++)); do
			grep -q "listening on" "$GW_TMP/live_$r.out" 2>/dev/null && break
			sleep 0.05
		done
	fi
	sleep 0.2
	[ -z "${WIRE_WARMUP:-}" ] || "$WIRE_WARMUP" "$r" "$port"
	if [ "$r" = c ]; then
		awk 'NR % 2 == 0' "$GW_TMP/mix.c" >"$GW_TMP/mix.c1"
		awk 'NR % 2 == 1' "$GW_TMP/mix.c" >"$GW_TMP/mix.c2"
		wire_load c1 --port "$port" --timeout-ms 8000 \
			--parallel 8 --keepalive 40 --pipeline 4 \
			--request-id unique --file "$GW_TMP/mix.c1" &
		local l1=$!
		wire_load c2 --port "$port" --timeout-ms 8000 \
			--parallel 8 --keepalive 40 --pipeline 4 \
			--request-id same:one-id-for-all --file "$GW_TMP/mix.c2" || true
		wait "$l1" || true
	else
		wire_load "$r" --port "$port" --timeout-ms 8000 \
			--parallel 16 --keepalive 40 --pipeline 4 "$@" \
			--file "$GW_TMP/mix.$r" || true
	fi
	# The unanswered SYNs of the blackhole are declared given up when
	# their first retransmission is overdue (1.5 s on), by the capture's
	# own clock: the time of its packets (the gateway gives up sooner and
	# sends nothing more). A file whose last packet comes sooner says
	# nothing of a SYN still waiting (stored incomplete), so a connection
	# to an upstream ($WIRE_CLOCK_PORT) 1.6 s after the last request
	# (every SYN was sent before) carries the clock past that point. Then
	# tcpdump hands packets over by blocks (up to 1 s late).
	sleep 1.6
	exec 9<>"/dev/tcp/127.0.0.1/$WIRE_CLOCK_PORT" && exec 9<&- 9>&-
	sleep 2
	gw_stop "$td"
	[ -z "$live" ] || gw_stop "$live" INT
	grep -q "^0 packets dropped by kernel" "$GW_TMP/tcpdump_$r.out" ||
		gw_skip "tcpdump lost packets (machine too busy): $(cat "$GW_TMP/tcpdump_$r.out")"
}

# wire_record PORTMAP: the three regimes, recorded by wire_run_regime:
# (a) on PA, clients send no id; (b) on PB, each its own X-Request-Id;
# (c) on PC, half unique ids, half all the same one. tcpdump listens to
# the gateway's three ports and every upstream of PORTMAP (the name of a
# LABEL -> PORT array), whose "ok" upstream carries the capture's clock.
wire_record() {
	local -n wire_record_map=$1
	: "${WIRE_TCPDUMP:=$(command -v tcpdump 2>/dev/null || echo /usr/sbin/tcpdump)}"
	WIRE_FILTER=$(wire_filter "$1" "$PA" "$PB" "$PC")
	WIRE_CLOCK_PORT=${wire_record_map[ok]}
	wire_run_regime a "$PA" --request-id none
	wire_run_regime b "$PB" --request-id unique
	wire_run_regime c "$PC"
}

# wire_capture R PORT: `capture -r --listen PORT` of regime R's recording
# into $GW_TMP/wire_R.db (its output in capture_R.out).
wire_capture() {
	"$GW_BIN" capture -d "$GW_TMP/wire_$1.db" -r "$GW_TMP/wire_$1.pcap" \
		--listen "$2" >"$GW_TMP/capture_$1.out" 2>&1 ||
		gw_fail "capture -r: $(cat "$GW_TMP/capture_$1.out")"
}

# wire_labels_sed PORTFILE: a sed script, on stdout, that turns a row's
# trailing upstream " 127.0.0.1:PORT" into " LABEL" (badupstream's labels,
# as the gateway's log names them).
wire_labels_sed() {
	local label port
	while read -r label port; do
		echo "s| 127\\.0\\.0\\.1:$port\$| $label|"
	done <"$1"
}

# wire_rows DB [WHERE [SEDFILE]]: "path?query status cause upstream" per
# request of DB with a path (those WHERE says, an SQL condition on
# requests_all r: every request, also those kept in blocks, whose path is
# r.path), the upstream names rewritten by SEDFILE, sorted.
wire_rows() {
	gw_sql "$1" "SELECT ifnull(coalesce(p.name, r.path) || '?' || r.query,
	    '') || ' ' || r.status || ' ' || c.name || ' ' || u.name
	    FROM requests_all r LEFT JOIN paths p ON p.id = r.path_id
	    JOIN causes c ON c.id = r.cause JOIN upstreams u ON
	    u.id = r.upstream_id WHERE coalesce(p.name, r.path) IS NOT NULL
	    ${2:+AND ($2)} ORDER BY 1" |
	    sed -f "${3:-/dev/null}" | sort
}

# wire_verdict_awk LOGROWS WIREROWS OUT [KEY=VALUE...]: compare the rows of
# the gateway's log and of the capture (wire_rows), request by request;
# every difference goes to the file OUT, one line each; prints the figures
# "total missing extra status nonfail up upok gwmade blamed au auok okup":
# logged requests, those the capture lacks, captured requests not logged,
# statuses that differ, wire causes on successes, failures with an
# upstream cause and those tied to the same upstream and cause, the
# gateway's own refusals (rate_limited, no_live_upstream) and those blamed
# on an upstream, auth failures and those right, successes under another
# upstream. KEYs (awk variables):
#   auth=UPSTREAM  a logged auth_failure must be the wire's auth_failure
#                  with UPSTREAM (the auth service); otherwise not apart
#   okup=1         a success must have the upstream the log names
#   nosrv=1        a failure the log names no upstream for ("-") is the
#                  gateway's own (HAProxy's <NOSRV>, Caddy's static 503)
#   sh=1           the log's upstream_closed_early is also right when the
#                  wire says upstream_reset (HAProxy's SH: a reset or a
#                  close before the headers; the wire tells which)
wire_verdict_awk() {
	local log=$1 wire=$2 out=$3 kv opts=()
	shift 3
	for kv in "$@"; do
		opts+=(-v "$kv")
	done
	awk -v out="$out" "${opts[@]}" '
	FNR == 1 { f++ }
	f == 1 { ls[$1] = $2; lc[$1] = $3; lu[$1] = $4; next }
	{ ws[$1] = $2; wc[$1] = $3; wu[$1] = $4 }
	END {
		for (k in ls) {
			if (!(k in ws)) { missing++; print "missing " k > out; continue }
			if (ws[k] != ls[k]) { status++; print "status " k " log " ls[k] " wire " ws[k] > out }
			failed = ls[k] >= 500 || ls[k] == 9
			if (!failed) {
				if (wc[k] != "ok") { nonfail++; print "cause on a success " k " " wc[k] > out }
				if (okup && wu[k] != lu[k]) { okupn++; print "upstream of a success " k " log " lu[k] " wire " wu[k] > out }
				continue
			}
			if (lc[k] == "rate_limited" || lc[k] == "no_live_upstream" ||
			    (nosrv && lu[k] == "-")) {
				gw++
				if (wu[k] != "-") { blamed++; print "blamed " k " " wu[k] > out }
				continue
			}
			if (auth != "" && lc[k] == "auth_failure") {
				au++
				if (wc[k] == "auth_failure" && wu[k] == auth) auok++
				else print "auth " k " wire " wc[k] " " wu[k] > out
				continue
			}
			up++
			same = wc[k] == lc[k] || (sh && lc[k] == "upstream_closed_early" &&
			    wc[k] == "upstream_reset")
			if (same && wu[k] == lu[k]) upok++
			else print "tie " k " log " lc[k] " " lu[k] " wire " wc[k] " " wu[k] > out
		}
		for (k in ws) if (!(k in ls)) { extra++; print "extra " k > out }
		printf "%d %d %d %d %d %d %d %d %d %d %d %d\n", length(ls),
		    missing + 0, extra + 0, status + 0, nonfail + 0, up + 0,
		    upok + 0, gw + 0, blamed + 0, au + 0, auok + 0, okupn + 0
	}' "$log" "$wire"
}

# wire_verdict R MIN_LOGGED [KEY=VALUE...]: the verdict of regime R
# ($GW_TMP/log_rows.R against wire_rows.R; differences in verdict.R,
# figures in figures.R) once the log has at least MIN_LOGGED requests
# (else the test fails). Sets WV_TOTAL WV_MISSING WV_EXTRA WV_STATUS
# WV_NONFAIL WV_UP WV_UPOK WV_GWMADE WV_BLAMED WV_AU WV_AUOK WV_OKUP.
wire_verdict() {
	local r=$1 min=$2 n
	shift 2
	n=$(wc -l <"$GW_TMP/log_rows.$r")
	[ "$n" -ge "$min" ] || gw_fail "regime $r: only $n requests logged"
	wire_verdict_awk "$GW_TMP/log_rows.$r" "$GW_TMP/wire_rows.$r" \
		"$GW_TMP/verdict.$r" "$@" >"$GW_TMP/figures.$r"
	# shellcheck disable=SC2034 # for the caller
	read -r WV_TOTAL WV_MISSING WV_EXTRA WV_STATUS WV_NONFAIL WV_UP \
		WV_UPOK WV_GWMADE WV_BLAMED WV_AU WV_AUOK WV_OKUP \
		<"$GW_TMP/figures.$r"
}

# wire_verdict_check R WHO MIN_UP: after wire_verdict R, the checks every
# gateway (WHO, for the messages) must pass: every logged request stored,
# nothing stored that was not logged, the same statuses, no wire cause on
# a success, the gateway's own refusals never blamed on an upstream, at
# least MIN_UP failures with an upstream cause and >= 98% of them tied to
# the same upstream and cause. Counted in GW_ASSERTS / GW_FAILURES; the
# first 20 differences are shown.
wire_verdict_check() {
	local r=$1 who=$2 min_up=$3
	gw_eq 0 "$WV_MISSING" "regime $r: logged requests the capture lacks" || true
	gw_eq 0 "$WV_EXTRA" "regime $r: captured requests $who did not log" || true
	gw_eq 0 "$WV_STATUS" "regime $r: statuses that differ from the log" || true
	gw_eq 0 "$WV_NONFAIL" "regime $r: wire causes on successes" || true
	gw_eq 0 "$WV_BLAMED" "regime $r: $who's own refusals blamed on an upstream" || true
	[ "$WV_UP" -ge "$min_up" ] ||
		gw_eq ">=$min_up" "$WV_UP" "regime $r: upstream failures" || true
	GW_ASSERTS=$((GW_ASSERTS + 1))
	if [ $((WV_UPOK * 100)) -lt $((WV_UP * 98)) ]; then
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "regime $r: only $WV_UPOK of $WV_UP failed requests tied right"
	fi
	if [ -s "$GW_TMP/verdict.$r" ]; then
		gw_log "regime $r: differences (first 20):"
		head -20 "$GW_TMP/verdict.$r" >&2
	fi
}

# wire_status_counts R: the status counts of regime R, as the gateway's log
# (log_rows.R) and the capture (wire_rows.R) say, are equal.
wire_status_counts() {
	gw_eq "$(cut -d' ' -f2 "$GW_TMP/log_rows.$1" | sort | uniq -c | tr -s ' \n' ' ')" \
		"$(cut -d' ' -f2 "$GW_TMP/wire_rows.$1" | sort | uniq -c | tr -s ' \n' ' ')" \
		"regime $1: status counts (log, capture)" || true
}

# wire_regime_port R: the gateway's port of regime R (PA, PB or PC).
wire_regime_port() {
	case $1 in a) echo "$PA" ;; b) echo "$PB" ;; c) echo "$PC" ;; esac
}

# wire_compare R WHO LOGDB MIN_LOGGED MIN_UP [KEY=VALUE...]: regime R of
# the gateway WHO, whole: the capture of its recording on its port, the
# rows of LOGDB (what `ingest` made of WHO's log) and of the capture, both
# by the caller's `rows DB R`, the verdict (wire_verdict R MIN_LOGGED
# KEY=VALUE...), its figures logged, and wire_verdict_check R WHO MIN_UP.
wire_compare() {
	local r=$1 who=$2 logdb=$3 min_logged=$4 min_up=$5 auth=
	shift 5
	wire_capture "$r" "$(wire_regime_port "$r")"
	rows "$logdb" "$r" >"$GW_TMP/log_rows.$r"
	rows "$GW_TMP/wire_$r.db" "$r" >"$GW_TMP/wire_rows.$r"
	wire_verdict "$r" "$min_logged" "$@"
	case " $* " in *" auth="*) auth="auth failures $WV_AU (right $WV_AUOK);" ;; esac
	gw_log "regime $r: $WV_TOTAL requests; failed with an upstream cause" \
		"$WV_UP, tied right $WV_UPOK; $who's own refusals $WV_GWMADE" \
		"(blamed $WV_BLAMED); $auth" \
		"$(grep gateway "$GW_TMP/capture_$r.out" | tr -s ' \n' ' ')"
	wire_verdict_check "$r" "$who" "$min_up"
	[ -f "$GW_TMP/live_$r.db" ] || return 0
	cp "$GW_TMP/log_rows.$r" "$GW_TMP/log_rows.${r}live"
	rows "$GW_TMP/live_$r.db" "$r" >"$GW_TMP/wire_rows.${r}live"
	wire_verdict "${r}live" "$min_logged" "$@"
	gw_log "regime $r live (capture -i lo): $WV_TOTAL requests; failed" \
		"with an upstream cause $WV_UP, tied right $WV_UPOK; $who's own" \
		"refusals $WV_GWMADE (blamed $WV_BLAMED);" \
		"$(grep -E 'gateway|dropped' "$GW_TMP/live_$r.out" | tr -s ' \n' ' ')"
	wire_verdict_check "${r}live" "$who (live)" "$min_up"
}

# wire_shown_checks DB PCAP PORT UPSTREAM SOCK: the tied share per gateway
# port and the untied failures apart, as `report --by capture` (table,
# JSON, CSV), `explain UPSTREAM` and the console (tmux server SOCK) say
# it, against the requests stored in DB (captured from PCAP on gateway
# port PORT): failed = 5xx, 009 or a cause; tied = with an attempt.
wire_shown_checks() {
	local db=$1 pcap=$2 port=$3 up=$4 sock=$5 R F TIED U SHARE PCT want got i
	read -r R F TIED < <(gw_sql "$db" "SELECT count(*) || ' ' ||
	    ifnull(sum(status >= 500 OR status = 9 OR cause <> 0), '') || ' ' ||
	    ifnull(sum((status >= 500 OR status = 9 OR cause <> 0) AND
	    n_attempts > 0), '') FROM requests_all")
	U=$((F - TIED))
	SHARE=$(awk -v t="$TIED" -v f="$F" 'BEGIN { printf "%.4f", t / f }')
	PCT=$(awk -v t="$TIED" -v f="$F" 'BEGIN { printf "%.1f", 100 * t / f }')
	gw_eq "$pcap,$port,$R,$F,$TIED,$SHARE,$U" \
		"$("$GW_BIN" report -d "$db" --by capture --format csv | sed -n 2p)" \
		"report --by capture (csv)"
	gw_eq "$port $R $F $TIED $SHARE $U" \
		"$("$GW_BIN" report -d "$db" --by capture --format json | jq -r \
		'.[] | "\(.port) \(.requests) \(.failed) \(.failed_tied) \(.tied_share) \(.failed_untied)"' |
		awk '{ $5 = sprintf("%.4f", $5); print }')" "report --by capture (json)"
	gw_eq "$port $R $F $TIED $PCT% $U" \
		"$("$GW_BIN" report -d "$db" --by capture | awk 'NR == 2 { print $1, $2, $3, $4, $5, $6 }')" \
		"report --by capture (table)"
	"$GW_BIN" explain -d "$db" "$up" >"$GW_TMP/explain.txt" 2>&1 ||
		gw_fail "explain: $(cat "$GW_TMP/explain.txt")"
	grep -qF "gateway port $port ($pcap): $F failed client requests, $TIED tied to an upstream ($PCT%), $U untied" \
		"$GW_TMP/explain.txt" || gw_eq "gateway port $port ... $U untied" \
		"$(grep 'gateway port' "$GW_TMP/explain.txt")" "explain (text)"
	gw_eq "$port $F $TIED $U" "$("$GW_BIN" explain -d "$db" "$up" --format json |
		jq -r '.captures[] | "\(.port) \(.failed) \(.failed_tied) \(.failed_untied)"')" \
		"explain (json)"
	# shellcheck disable=SC2064 # the socket's name, now
	trap "rc=\$?; set +e; tmux -L '$sock' kill-server 2>/dev/null; (exit \$rc); gw_cleanup" EXIT
	tmux -L "$sock" new-session -d -s top -x 200 -y 50 \
		"env TERM=xterm-256color $GW_BIN top -d $db --refresh 0.5; sleep 30"
	want="[:$port tied $PCT%, $U untied]"
	for ((i = 0; i < 80; i++)); do
		tmux -L "$sock" capture-pane -p -t top | grep -qF -- "$want" && break
		sleep 0.1
	done
	got=$(tmux -L "$sock" capture-pane -p -t top | grep -oF -- "$want" || true)
	gw_eq "$want" "$got" "console header (tmux)" ||
		tmux -L "$sock" capture-pane -p -t top | head -5 >&2
	tmux -L "$sock" kill-server 2>/dev/null || true
	trap gw_cleanup EXIT
}
