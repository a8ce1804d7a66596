# errlog_for.awk - an nginx error log for an access log of bench/run.sh's
# log_format (genlog -P): for each 502 or 504 line, the error line nginx
# would have written, so the join of error-log lines to requests can be
# timed and compared at scale (ingest it after the access log). A 502 is a refused
# connect, logged at the request's start (its end less rt, to the second);
# a 504 a read timeout, logged at its end. Every 7th is left out (errors
# of another gateway, rotated away...) so some requests stay unjoined.
#
#   awk -f bench/errlog_for.awk access.log >error.log
BEGIN {
	split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " ")
	for (i = 1; i <= 12; i++)
		mon[m[i]] = sprintf("%02d", i)
}
$9 == 502 || $9 == 504 {
	if (++n % 7 == 0)
		next
	# [25/Nov/2026:00:00:00 +0000]
	split(substr($4, 2), t, /[\/:]/)
	secs = t[4] * 3600 + t[5] * 60 + t[6]
	rt = 0
	for (i = 10; i <= NF; i++)
		if ($i ~ /^rt=/)
			rt = substr($i, 4) + 0
		else if ($i ~ /^uaddr="/)
			up = substr($i, 8, length($i) - 8)
		else if ($i ~ /^host=/)
			host = substr($i, 6)
	if ($9 == 502)
		secs -= int(rt)
	if (secs < 0)
		secs = 0
	ts = sprintf("%s/%s/%s %02d:%02d:%02d", t[3], mon[t[2]], t[1],
	    int(secs / 3600), int(secs / 60) % 60, secs % 60)
	req = substr($6, 2) " " $7 " " substr($8, 1, length($8) - 1)
	if ($9 == 502)
		msg = "connect() failed (111: Connection refused) while connecting to upstream"
	else
		msg = "upstream timed out (110: Connection timed out) while reading response header from upstream"
	printf "%s [error] 100#100: *%d %s, client: %s, server: %s, request: \"%s\", upstream: \"http://%s%s\", host: \"%s\"\n", \
	    ts, n, msg, $1, host, req, up, $7, host
}
