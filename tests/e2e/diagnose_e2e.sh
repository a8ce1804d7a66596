#!/usr/bin/env bash
# diagnose_e2e.sh - diagnosis against a real nginx: parameter shapes,
# retries, the circuit-breaker replay, gateway-made 5xx, `gatewatch explain`.
#
# badupstream serves on 127.0.0.1: "shape" (mode shape502: 502 only when the
# query has the key userName or an empty age=, else 200), "ok", and "refuse"
# (nothing listens). nginx proxies
#   /api/users/ID  -> shape     five query shapes, 30 requests each, mixed:
#                               two fail always (userName=, age=), three never
#   /small         -> shape     5 userName= (502) and 5 username= (200): too
#                               few requests to say anything
#   /retry/        -> refuse, then ok as backup: every request "502, 200"
#   /limited       -> ok behind limit_req: 1 answered, 3 refused by nginx
# httpload sends them one at a time and checks every status; nginx is
# stopped (logs complete) and gatewatch ingests access + error log. The test
# asserts that `report --by shape` names exactly the two failing shapes of
# /api/users/:id with the right difference and not the healthy ones nor
# /small; that `report --by retry` counts the 10 refused-then-saved requests
# against the refusing upstream, saved by the backup; that `report --by
# breaker` opens once for the refusing upstream and spares it 5 attempts;
# and that `explain` says all this, with the rate limits apart as the
# gateway's own.
#
# Everything lives in one mktemp dir; every process is stopped by PID in the
# EXIT trap (tests/e2e/lib.sh); a watchdog ends the run after 60 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

gw_need_cmd nginx
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
gw_need_tools badupstream httpload
[ -x "$GW_BIN" ] || gw_fail "$GW_BIN not built"

gw_setup 60
T=$GW_TMP
mkdir -p "$T/tmp" "$T/logs"
chmod 755 "$T"

# --- upstreams -------------------------------------------------------------

gw_badupstream "$T/ports" shape:shape502 ok:ok refuse:refuse limited:ok
declare -A PORT
gw_read_ports "$T/ports" PORT
SHAPE_UP=127.0.0.1:${PORT[shape]}
OK_UP=127.0.0.1:${PORT[ok]}
REFUSE_UP=127.0.0.1:${PORT[refuse]}

# --- nginx -----------------------------------------------------------------

write_conf() {
	local listen=$1
	{
		echo "# written by tests/e2e/diagnose_e2e.sh"
		gw_nginx_conf_head "$T" error 256
		cat <<-EOF
		    limit_req_zone \$binary_remote_addr zone=one_per_minute:1m rate=1r/m;
		    upstream u_shape { server $SHAPE_UP; }
		    # every request tries the refusing primary first: "502, 200"
		    upstream u_retry {
		        server $REFUSE_UP max_fails=0;
		        server $OK_UP backup;
		    }
		    upstream u_limited { server 127.0.0.1:${PORT[limited]}; }
		    server {
		        listen 127.0.0.1:$listen;
		        server_name gatewatch-diagnose-e2e;
		        location /api/users/ { proxy_pass http://u_shape; }
		        location /small { proxy_pass http://u_shape; }
		        location /retry/ { proxy_pass http://u_retry; }
		        location /limited {
		            limit_req zone=one_per_minute;
		            limit_req_status 503;
		            proxy_pass http://u_limited;
		        }
		        location / { return 404; }
		    }
		}
		EOF
	} >"$T/nginx.conf"
}

gw_nginx_start "$NGINX" "$T" write_conf
NGINX_PORT=$GW_NGINX_PORT
NGINX_PID=$GW_NGINX_PID

# load EXPECT FILE: send FILE's requests in order, each must get EXPECT.
load() {
	"$GW_TOOLS/httpload" --port "$NGINX_PORT" --timeout-ms 5000 \
		--expect "$1" --file "$2" --log "$T/load.log" >"$T/load.out" ||
		gw_fail "httpload $2: $(cat "$T/load.out")"
	cat "$T/load.log" >>"$T/sent"
}
: >"$T/sent"

# --- traffic ---------------------------------------------------------------

# /api/users/ID: per id one request of each shape, so failures never come
# in long runs. Healthy: username=&age=N, id=N, no query.
: >"$T/users.ok"
: >"$T/users.bad"
for ((i = 1; i <= 30; i++)); do
	echo "GET /api/users/$i?username=bob&age=$((20 + i))" >>"$T/users.ok"
	echo "GET /api/users/$i?userName=bob&age=$((20 + i))" >>"$T/users.bad"
	echo "GET /api/users/$i?username=bob&age=" >>"$T/users.bad"
	echo "GET /api/users/$i?id=$i" >>"$T/users.ok"
	echo "GET /api/users/$i" >>"$T/users.ok"
done
# Interleave: ok, bad, bad, ok, ok per id (one file, statuses checked after).
paste -d '\n' \
	<(sed -n '1~3p' "$T/users.ok") <(sed -n '1~2p' "$T/users.bad") \
	<(sed -n '2~2p' "$T/users.bad") <(sed -n '2~3p' "$T/users.ok") \
	<(sed -n '3~3p' "$T/users.ok") >"$T/users.mix"
"$GW_TOOLS/httpload" --port "$NGINX_PORT" --timeout-ms 5000 \
	--file "$T/users.mix" --log "$T/load.log" >"$T/load.out" ||
	gw_fail "httpload users: $(cat "$T/load.out")"
cat "$T/load.log" >>"$T/sent"
# Every userName= or empty age= got a 502, every other one a 200.
bad_status=$(awk '
	($3 ~ /userName=/ || $3 ~ /age=$/ || $3 ~ /age=&/) && $1 != "502" { n++ }
	!($3 ~ /userName=/ || $3 ~ /age=$/ || $3 ~ /age=&/) && $1 != "200" { n++ }
	END { print n + 0 }' "$T/load.log")
[ "$bad_status" = 0 ] || gw_fail "shape502 answered $bad_status requests" \
	"unexpectedly: $(head "$T/load.log")"

# /small: too few to tell.
for ((i = 0; i < 5; i++)); do echo "GET /small?userName=x"; done >"$T/small.bad"
for ((i = 0; i < 5; i++)); do echo "GET /small?username=x"; done >"$T/small.ok"
load 502 "$T/small.bad"
load 200 "$T/small.ok"

# /retry/: refused, then the backup answers: 10 x "502, 200".
for ((i = 0; i < 10; i++)); do echo "GET /retry/cart?session=abc"; done \
	>"$T/retry.req"
load 200 "$T/retry.req"

# /limited: one request a minute; the next three are nginx's own 503.
echo "GET /limited/a" >"$T/limited1.req"
load 200 "$T/limited1.req"
for ((i = 0; i < 3; i++)); do echo "GET /limited/a"; done >"$T/limited3.req"
load 503 "$T/limited3.req"

gw_stop "$NGINX_PID" QUIT
n_sent=$(wc -l <"$T/sent")
n_logged=$(wc -l <"$T/logs/access.log")
[ "$n_sent" = "$n_logged" ] || gw_fail "sent $n_sent requests, nginx logged $n_logged"

# --- gatewatch -------------------------------------------------------------

DB=$T/gw.db
"$GW_BIN" ingest -d "$DB" "$T/logs/access.log" "$T/logs/error.log" \
	>"$T/ingest.out" 2>&1 || gw_fail "ingest: $(cat "$T/ingest.out")"

# report VIEW FORMAT: run `report --by VIEW`, output in $T/VIEW.FORMAT.
report() {
	"$GW_BIN" report -d "$DB" --by "$1" --format "$2" >"$T/$1.$2" \
		2>"$T/$1.$2.err" || gw_fail "report --by $1 --format $2: $(cat "$T/$1.$2.err")"
}
for view in shape retry breaker; do
	for fmt in table json csv; do
		report "$view" "$fmt"
	done
done

# csv_cols FILE COL...: the named columns of a CSV (no quoted commas in the
# fields asserted on), '|'-separated, sorted.
csv_cols() {
	local f=$1
	shift
	awk -F, -v want="$*" '
	NR == 1 {
		for (i = 1; i <= NF; i++) col[$i] = i
		n = split(want, w, " ")
		for (i = 1; i <= n; i++)
			if (!(w[i] in col)) { print "missing column " w[i]; exit 1 }
		next
	}
	{
		line = ""
		for (i = 1; i <= n; i++) line = line (i > 1 ? "|" : "") $(col[w[i]])
		print line
	}' "$f" | sort
}

# Shapes: exactly the two failing ones of /api/users/:id, named right.
want_shapes=$(printf '%s\n' \
	"GET|/api/users/:id|$SHAPE_UP|age=<empty>&username=<text>|30|30|0|90|0|age=<number>&username=<text>|value_kind" \
	"GET|/api/users/:id|$SHAPE_UP|age=<number>&userName=<text>|30|30|0|90|0|age=<number>&username=<text>|key_spelling" |
	sort)
got_shapes=$(csv_cols "$T/shape.csv" method route upstream shape requests \
	errors_5xx gateway_5xx sibling_requests sibling_errors_5xx \
	closest_shape difference_kinds)
gw_eq "$want_shapes" "$got_shapes" "report --by shape (csv)" || true
for s in 'age=<empty>&username=<text>' 'age=<number>&userName=<text>'; do
	GW_ASSERTS=$((GW_ASSERTS + 1))
	grep -qF "\"shape\": \"$s\"" "$T/shape.json" || {
		GW_FAILURES=$((GW_FAILURES + 1))
		gw_log "report --by shape --format json lacks $s"
	}
done
gw_eq 2 "$(grep -c '"shape": ' "$T/shape.json")" "shapes in json" || true
gw_eq 0 "$(grep -c '/small\|id=<number>\|(no query)' "$T/shape.table" || true)" \
	"healthy shapes or /small in the table" || true
grep -q "differs only in case" "$T/shape.table" ||
	gw_eq "a spelling difference" "none" "shape table wording" || true
gw_eq 1 "$(grep -c 'age=<empty> where the healthy shape has age=<number>' \
	"$T/shape.table" || true)" "value-kind wording" || true

# Retries: all 10 failed first on the refusing upstream and were saved by
# the backup - the same count the database holds as two-attempt requests.
two=$(gw_sql "$DB" "SELECT count(*) FROM requests_all WHERE n_attempts = 2")
gw_eq 10 "$two" "requests with two attempts (gatewatch sql)" || true
gw_eq "$REFUSE_UP|upstream_refused|network|10|10|0|$OK_UP|10" \
	"$(csv_cols "$T/retry.csv" first_upstream cause who requests saved \
	failed rescued_by rescued_by_count)" "report --by retry (csv)" || true
gw_eq 1 "$(grep -c '"retried_after_failure": 10, "saved": 10, "failed": 0' \
	"$T/retry.json")" "report --by retry (json totals)" || true

# Breaker: 10 refused in a row, well inside 30 s: opens on the 5th, spares
# the next 5 (all would have failed), never probed. The shape upstream
# fails at most two in a row on /api/users/ (40%, under the 50% rate), then
# the five userName= of /small in a row open it: it would have refused the
# five healthy username= requests that follow (spared, none failed).
gw_eq "$REFUSE_UP|10|10|0|1|5|5|consecutive_failures||5|5" \
	"$(csv_cols "$T/breaker.csv" upstream attempts failed ignored opens \
	spared spared_failed reason close_ms open_spared open_spared_failed |
	grep "^$REFUSE_UP|")" "report --by breaker (refusing upstream)" || true
gw_eq "$SHAPE_UP|160|65|1|5|0" "$(csv_cols "$T/breaker.csv" upstream \
	attempts failed opens spared spared_failed | grep "^$SHAPE_UP|")" \
	"report --by breaker (shape upstream)" || true

# explain: the shape upstream's failures, the shapes named, in text and JSON.
"$GW_BIN" explain -d "$DB" "$SHAPE_UP" >"$T/explain.txt" 2>"$T/explain.err" ||
	gw_fail "explain: $(cat "$T/explain.err")"
"$GW_BIN" explain -d "$DB" --format json "$SHAPE_UP" >"$T/explain.json" \
	2>"$T/explain.err" || gw_fail "explain json: $(cat "$T/explain.err")"
gw_eq 2 "$(grep -c '"kind": "shape"' "$T/explain.json")" "explain: shape reasons" || true
gw_eq 1 "$(grep -c '"kind": "cause", "cause": "upstream_5xx"' "$T/explain.json")" \
	"explain: upstream_5xx reason" || true
grep -q "userName" "$T/explain.txt" ||
	gw_eq "userName in explain" "absent" "explain text" || true
grep -q "e.g. .*/api/users/" "$T/explain.txt" ||
	gw_eq "an example request" "absent" "explain text" || true

# The refused upstream: its error-log message is the evidence.
"$GW_BIN" explain -d "$DB" --format json "$REFUSE_UP" >"$T/explain-refuse.json" \
	2>"$T/explain.err" || gw_fail "explain refuse: $(cat "$T/explain.err")"
grep -q '"gateway_message": "connect() failed (111: Connection refused)' \
	"$T/explain-refuse.json" ||
	gw_eq "nginx's connect() failed message" "absent" "explain refuse" || true
gw_eq 1 "$(grep -c '"kind": "retry"' "$T/explain-refuse.json")" \
	"explain refuse: retry reason" || true

# The rate limits are nginx's own: filed under '-', gateway-made.
"$GW_BIN" explain -d "$DB" --format json - >"$T/explain-gw.json" \
	2>"$T/explain.err" || gw_fail "explain -: $(cat "$T/explain.err")"
gw_eq 1 "$(grep -c '"cause": "rate_limited", "who": "gateway", "gateway_made": true, "count": 3' \
	"$T/explain-gw.json")" "explain -: rate limits apart" || true

if [ "$GW_FAILURES" -gt 0 ]; then
	for f in shape.table retry.table breaker.csv explain.txt; do
		gw_log "--- $f"; cat "$T/$f" >&2
	done
	gw_fail "$GW_FAILURES of $GW_ASSERTS checks failed"
fi
gw_log "ok: $n_sent requests, $GW_ASSERTS checks passed"
