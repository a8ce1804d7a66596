#!/bin/sh
# build.sh - rebuild the wrapped fixtures of this folder from gateway lines
# taken from public projects' test data (see ../README). Each gateway line
# is put in the transport the way that transport writes it: syslog as nginx
# sends it (RFC 3164 with <PRI>, tag "nginx"), rsyslog's file formats,
# journalctl -o short-iso / -o json, a Kubernetes CRI file (one line split
# into P + F records), Docker's json-file (JSON-escaped, "\n" kept) and
# `docker compose logs`. Run from this folder; needs only sh and printf.
set -eu

# Beats filebeat/module/nginx/access/test/test.log, line 4 (combined)
A1='85.181.35.98 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36"'
# the same shape with a 502, as nginx logs a refused upstream
A2='10.0.0.7 - - [07/Dec/2016:11:05:09 +0100] "GET /api/v1/users?id=7 HTTP/1.1" 502 157 "-" "curl/7.88.1"'
# Beats filebeat/module/nginx/error/test/error.log, line 1
E1='2016/10/25 14:49:34 [error] 54053#0: *1 open() "/usr/local/Cellar/nginx/1.10.2_1/html/favicon.ico" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /favicon.ico HTTP/1.1", host: "localhost:8080", referrer: "http://localhost:8080/"'
# shared/causes.md's nginx error.log example, for A2
E2='2016/12/07 11:05:09 [error] 1234#1234: *567 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.7, server: api.example.com, request: "GET /api/v1/users?id=7 HTTP/1.1", upstream: "http://10.0.0.5:8080/api/v1/users?id=7", host: "api.example.com"'

json() {	# JSON string body of $1 (quotes and backslashes escaped)
	printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

{
	printf '<190>Dec  7 11:05:07 web01 nginx: %s\n' "$A1"
	printf '<190>Dec  7 11:05:09 web02 nginx: %s\n' "$A2"
	printf '<187>Dec  7 11:05:09 web02 nginx: %s\n' "$E2"
	printf 'Dec  7 11:05:07 web01 nginx: %s\n' "$A1"
	printf '2016-12-07T11:05:09.000123+01:00 web02 nginx: %s\n' "$A2"
	printf '2016-12-07T11:05:09+0100 web02 nginx[1234]: %s\n' "$E1"
	printf '<190>1 2016-12-07T11:05:07.003+01:00 web03 nginx 1234 - [meta x="a\\]b"] %s\n' "$A1"
	printf 'Dec  7 11:05:10 web01 sshd[7]: Accepted publickey for root\n'
} > nginx-syslog.log

{
	printf '2016-12-07T10:05:07.101Z stdout F %s\n' "$A1"
	printf '2016-12-07T10:05:09.101Z stdout P %s\n' "$(printf '%s' "$A2" | cut -c1-40)"
	printf '2016-12-07T10:05:09.102Z stderr F %s\n' "$E2"
	printf '2016-12-07T10:05:09.103Z stdout F %s\n' "$(printf '%s' "$A2" | cut -c41-)"
	printf '2016-12-07T10:05:09.104Z stderr F %s\n' "$E1"
} > nginx-cri.log

{
	printf '{"log":"%s\\n","stream":"stdout","time":"2016-12-07T10:05:07.101Z"}\n' "$(json "$A1")"
	printf '{"log":"%s\\n","stream":"stderr","time":"2016-12-07T10:05:09.102Z"}\n' "$(json "$E2")"
	printf '{"log":"%s","stream":"stdout","time":"2016-12-07T10:05:09.103Z"}\n' "$(json "$(printf '%s' "$A2" | cut -c1-40)")"
	printf '{"log":"%s\\n","stream":"stdout","time":"2016-12-07T10:05:09.103Z"}\n' "$(json "$(printf '%s' "$A2" | cut -c41-)")"
} > nginx-docker.log

{
	printf 'nginx-1  | %s\n' "$A1"
	printf 'nginx-1  | %s\n' "$A2"
	printf 'nginx-1  | %s\n' "$E2"
	printf '\033[36mnginx_1  |\033[0m %s\n' "$A1"
	printf 'web-1    |  * Serving Flask app '"'"'app.py'"'"'\n'
} > nginx-compose.log

# Traefik's CLF access log (../traefik.log, lines 1-2) through journald
T1=$(sed -n 1p ../traefik.log)
T2=$(sed -n 2p ../traefik.log)
{
	printf '{"__CURSOR":"s=1;i=1","__REALTIME_TIMESTAMP":"1795627800000000","_HOSTNAME":"edge1","SYSLOG_IDENTIFIER":"traefik","_TRANSPORT":"stdout","MESSAGE":"%s"}\n' "$(json "$T1")"
	printf '{ "__CURSOR" : "s=1;i=2", "_HOSTNAME" : "edge2", "SYSLOG_IDENTIFIER" : "traefik", "MESSAGE" : "%s" }\n' "$(json "$T2")"
	printf '2026-11-25T17:30:00+0000 edge1 traefik[812]: %s\n' "$T1"
} > traefik-journald.log

# HAProxy (../haproxy.log line 4, written by HAProxy 2.6) sent with
# facility/severity <30> (daemon.info) and as `format short`
H4=$(sed -n 4p ../haproxy.log | sed 's/^.*haproxy\[27203\]: //')
{
	printf '<30>Nov 25 17:26:53 haproxy[27203]: %s\n' "$H4"
	printf '<30>%s\n' "$H4"
	printf '<30>1 2026-11-25T17:26:53+00:00 lb1 haproxy 27203 - - %s\n' "$H4"
	printf '%s\n' "$H4"
	printf '<30>Nov 25 17:26:53 haproxy[27203]: Proxy fe started.\n'
	printf '<30>Nov 25 17:26:53 haproxy[27203]: unix:1 [25/Nov/2026:17:26:52.643] fe/1: SSL handshake failure\n'
	printf '<30>Nov 25 17:26:53 haproxy[27203]: something HAProxy never writes\n'
} > haproxy-pri.log
