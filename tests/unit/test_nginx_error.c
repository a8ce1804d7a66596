/*
 * test_nginx_error.c - the nginx error-log parser (parse/nginx_error.c).
 *
 * Lines are written as nginx 1.22 writes them. Every line is handed to the
 * parser in a heap buffer of exactly its length, without a NUL, so the
 * sanitizer build catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/nginx_error.h"

#define PRE	"2026/11/25 10:15:02 [error] 1234#1234: *567 "
#define TAIL	", client: 127.0.0.1, server: localhost, " \
		"request: \"GET /r?a=1 HTTP/1.1\", " \
		"upstream: \"http://127.0.0.1:9001/r?a=1\", host: \"127.0.0.1:8080\""

/* 2026-11-25 10:15:02 UTC in ms. */
#define T0	INT64_C(1795601702000)

struct fixture {
	struct arena *a;
	struct gw_gateway_error e;
	const char *reason;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->a = arena_new();
	if (f->a == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(f->a);
	free(f);
	return 0;
}

/* Parse the n bytes at s from an unterminated heap copy. */
static enum format_result
parse_n(struct fixture *f, const char *s, size_t n)
{
	char *buf = malloc(n > 0 ? n : 1);
	enum format_result rc;

	assert_non_null(buf);
	memcpy(buf, s, n);
	memset(&f->e, 0x5a, sizeof(f->e));
	f->e.line_no = 42;
	f->e.offset = 4242;
	f->reason = NULL;
	rc = nginx_error_parse(buf, n, f->a, &f->e, &f->reason);
	free(buf);
	if (rc == FORMAT_REJECT)
		assert_non_null(f->reason);
	else {
		assert_int_equal(f->e.line_no, 42);
		assert_int_equal(f->e.offset, 4242);
	}
	return rc;
}

static enum format_result
parse(struct fixture *f, const char *s)
{
	return parse_n(f, s, strlen(s));
}

/* Compare a field with its expected text; NULL means absent. */
#define assert_field(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (w_ == NULL)							\
		assert_null(g_);					\
	else {								\
		assert_non_null(g_);					\
		assert_string_equal(g_, w_);				\
	}								\
} while (0)

/* One line per message of the cause table, with its cause and result. */
static const struct {
	const char *line;
	enum gw_cause cause;
	enum format_result rc;
} cause_cases[] = {
	{ PRE "connect() failed (111: Connection refused) while connecting to "
	    "upstream" TAIL, GW_CAUSE_UPSTREAM_REFUSED, FORMAT_ERROR },
	/* the gateway host's own policy (SELinux): not the upstream */
	{ PRE "connect() to 10.0.0.5:8080 failed (13: Permission denied) while "
	    "connecting to upstream" TAIL, GW_CAUSE_GATEWAY_INTERNAL, FORMAT_ERROR },
	/* auth_request's subrequest could not reach the auth service: the
	 * client's failure is auth_failure (the line as nginx 1.22 wrote it) */
	{ PRE "connect() failed (111: Connection refused) while connecting to "
	    "upstream, client: 127.0.0.1, server: , request: \"GET /a/x?q=1 "
	    "HTTP/1.1\", subrequest: \"/_authr\", upstream: \"http://127.0.0.1:"
	    "34697/auth/check\", host: \"127.0.0.1:38091\"",
	    GW_CAUSE_AUTH_FAILURE, FORMAT_ERROR },
	{ PRE "auth request unexpected status: 502 while sending to client, "
	    "client: 127.0.0.1, server: , request: \"GET /a/x?q=1 HTTP/1.1\", "
	    "host: \"127.0.0.1:38091\"", GW_CAUSE_AUTH_FAILURE, FORMAT_ERROR },
	{ PRE "connect() to unix:/run/app.sock failed (111: Connection refused) "
	    "while connecting to upstream" TAIL, GW_CAUSE_UPSTREAM_REFUSED, FORMAT_ERROR },
	{ PRE "connect() to unix:/run/app.sock failed (2: No such file or "
	    "directory) while connecting to upstream" TAIL,
	    GW_CAUSE_UPSTREAM_REFUSED, FORMAT_ERROR },
	{ PRE "upstream timed out (110: Connection timed out) while connecting "
	    "to upstream" TAIL, GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT, FORMAT_ERROR },
	{ PRE "connect() failed (110: Connection timed out) while connecting "
	    "to upstream" TAIL, GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT, FORMAT_ERROR },
	{ PRE "connect() failed (113: No route to host) while connecting to "
	    "upstream" TAIL, GW_CAUSE_UPSTREAM_UNREACHABLE, FORMAT_ERROR },
	{ PRE "connect() failed (101: Network is unreachable) while connecting "
	    "to upstream" TAIL, GW_CAUSE_UPSTREAM_UNREACHABLE, FORMAT_ERROR },
	{ PRE "connect() failed (112: Host is down) while connecting to "
	    "upstream" TAIL, GW_CAUSE_UPSTREAM_UNREACHABLE, FORMAT_ERROR },
	{ PRE "backend.invalid could not be resolved (3: Host not found)" TAIL,
	    GW_CAUSE_DNS_FAILURE, FORMAT_ERROR },
	{ PRE "backend.example could not be resolved (110: Operation timed "
	    "out)" TAIL, GW_CAUSE_DNS_FAILURE, FORMAT_ERROR },
	{ PRE "no resolver defined to resolve backend.example" TAIL,
	    GW_CAUSE_DNS_FAILURE, FORMAT_ERROR },
	{ "2026/11/25 10:15:02 [emerg] 1#1: host not found in upstream "
	    "\"backend:80\" in /etc/nginx/conf.d/default.conf:3",
	    GW_CAUSE_DNS_FAILURE, FORMAT_ERROR },
	{ PRE "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::"
	    "wrong version number) while SSL handshaking to upstream" TAIL,
	    GW_CAUSE_TLS_FAILURE, FORMAT_ERROR },
	{ PRE "upstream SSL certificate verify error: (10:certificate has "
	    "expired) while SSL handshaking to upstream" TAIL,
	    GW_CAUSE_TLS_FAILURE, FORMAT_ERROR },
	{ PRE "SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected "
	    "eof while reading) while SSL handshaking to upstream" TAIL,
	    GW_CAUSE_TLS_FAILURE, FORMAT_ERROR },
	{ PRE "recv() failed (104: Connection reset by peer) while reading "
	    "response header from upstream" TAIL, GW_CAUSE_UPSTREAM_RESET, FORMAT_ERROR },
	{ PRE "readv() failed (104: Connection reset by peer) while reading "
	    "response header from upstream" TAIL, GW_CAUSE_UPSTREAM_RESET, FORMAT_ERROR },
	{ PRE "writev() failed (32: Broken pipe) while sending request to "
	    "upstream" TAIL, GW_CAUSE_UPSTREAM_RESET, FORMAT_ERROR },
	{ PRE "send() failed (104: Connection reset by peer) while sending "
	    "request to upstream" TAIL, GW_CAUSE_UPSTREAM_RESET, FORMAT_ERROR },
	{ PRE "upstream prematurely closed connection while reading response "
	    "header from upstream" TAIL, GW_CAUSE_UPSTREAM_CLOSED_EARLY, FORMAT_ERROR },
	{ PRE "upstream prematurely closed connection while reading upstream"
	    TAIL, GW_CAUSE_UPSTREAM_TRUNCATED, FORMAT_ERROR },
	{ PRE "recv() failed (104: Connection reset by peer) while reading "
	    "upstream" TAIL, GW_CAUSE_UPSTREAM_TRUNCATED, FORMAT_ERROR },
	{ PRE "upstream timed out (110: Connection timed out) while reading "
	    "upstream" TAIL, GW_CAUSE_UPSTREAM_TRUNCATED, FORMAT_ERROR },
	{ PRE "upstream timed out (110: Connection timed out) while reading "
	    "response header from upstream" TAIL,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT, FORMAT_ERROR },
	{ PRE "upstream sent invalid header: \"foo\\x0D\" while reading "
	    "response header from upstream" TAIL,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE, FORMAT_ERROR },
	{ PRE "upstream sent no valid HTTP/1.0 header while reading response "
	    "header from upstream" TAIL, GW_CAUSE_UPSTREAM_INVALID_RESPONSE, FORMAT_ERROR },
	{ PRE "upstream sent invalid status \"abc\" while reading response "
	    "header from upstream" TAIL, GW_CAUSE_UPSTREAM_INVALID_RESPONSE, FORMAT_ERROR },
	{ PRE "upstream sent invalid chunked response while reading upstream"
	    TAIL, GW_CAUSE_UPSTREAM_INVALID_RESPONSE, FORMAT_ERROR },
	{ PRE "upstream sent duplicate header line: \"Content-Length: 5\", "
	    "previous value: \"Content-Length: 3\" while reading response "
	    "header from upstream" TAIL, GW_CAUSE_UPSTREAM_INVALID_RESPONSE, FORMAT_ERROR },
	{ PRE "upstream sent unexpected FastCGI record: 3 while reading "
	    "response header from upstream" TAIL,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE, FORMAT_ERROR },
	{ PRE "upstream sent too big header while reading response header "
	    "from upstream" TAIL, GW_CAUSE_UPSTREAM_HEADER_TOO_BIG, FORMAT_ERROR },
	{ PRE "no live upstreams while connecting to upstream" TAIL,
	    GW_CAUSE_NO_LIVE_UPSTREAM, FORMAT_ERROR },
	{ PRE "limiting requests, excess: 0.520 by zone \"one\"" TAIL,
	    GW_CAUSE_RATE_LIMITED, FORMAT_ERROR },
	{ PRE "limiting connections by zone \"addr\"" TAIL,
	    GW_CAUSE_RATE_LIMITED, FORMAT_ERROR },
	{ PRE "auth request unexpected status: 502 while sending to client"
	    TAIL, GW_CAUSE_AUTH_FAILURE, FORMAT_ERROR },
	{ "2026/11/25 10:15:02 [info] 1234#1234: *567 epoll_wait() reported "
	    "that client prematurely closed connection, so upstream connection "
	    "is closed too while connecting to upstream" TAIL,
	    GW_CAUSE_CLIENT_CLOSED, FORMAT_ERROR },

	/* Failures with no known cause still make a record at [error];
	 * (13: Permission denied) is the gateway host's policy (causes.md). */
	{ PRE "readv() failed (22: Invalid argument) while reading response "
	    "header from upstream" TAIL, GW_CAUSE_UNKNOWN, FORMAT_ERROR },
	{ "2026/11/25 10:15:02 [crit] 1234#1234: *567 connect() to "
	    "unix:/run/app.sock failed (13: Permission denied) while connecting "
	    "to upstream" TAIL, GW_CAUSE_GATEWAY_INTERNAL, FORMAT_ERROR },

	/* Well-formed lines that are not upstream failures. */
	{ "2026/11/25 10:15:02 [notice] 1234#1234: signal process started",
	    GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ "2026/11/25 10:15:02 [notice] 1233#1233: using the \"epoll\" event "
	    "method", GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ "2026/11/25 10:15:02 [notice] 1233#1233: start worker process 1234",
	    GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ "2026/11/25 10:15:02 [warn] 1234#1234: *567 an upstream response is "
	    "buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/"
	    "0000000001 while reading upstream" TAIL, GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ "2026/11/25 10:15:02 [warn] 1234#1234: *567 upstream server "
	    "temporarily disabled while connecting to upstream" TAIL,
	    GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ PRE "client intended to send too large body: 10485761 bytes, client: "
	    "127.0.0.1, server: localhost, request: \"POST /upload HTTP/1.1\", "
	    "host: \"127.0.0.1:8080\"", GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ PRE "limiting requests, dry run, excess: 0.520 by zone \"one\"" TAIL,
	    GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ "2026/11/25 10:15:02 [crit] 1234#1234: *567 SSL_do_handshake() "
	    "failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL "
	    "handshaking, client: 10.1.2.3, server: 0.0.0.0:443",
	    GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
	{ "2026/11/25 10:15:02 [info] 1234#1234: *567 client closed "
	    "connection while waiting for request, client: 10.1.2.3, server: "
	    "0.0.0.0:80", GW_CAUSE_UNKNOWN, FORMAT_NOTICE },
};

static void
test_causes(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cause_cases) / sizeof(cause_cases[0]);
	    i++) {
		enum format_result rc = parse(f, cause_cases[i].line);

		if (rc != cause_cases[i].rc ||
		    f->e.cause != cause_cases[i].cause)
			fail_msg("case %zu: rc %d cause %s, want rc %d cause %s: "
			    "%s", i, (int)rc, cause_name(f->e.cause),
			    (int)cause_cases[i].rc, cause_name(cause_cases[i].cause),
			    cause_cases[i].line);
	}
}

static void
test_cause_direct(void **state)
{
	const char *m = "connect() failed (111: Connection refused) while "
	    "connecting to upstream";

	(void)state;
	assert_int_equal(nginx_error_cause(m, strlen(m)),
	    GW_CAUSE_UPSTREAM_REFUSED);
	/* Only the first len bytes count: the phase is cut off here. */
	m = "upstream timed out (110: Connection timed out) while connecting "
	    "to upstream";
	assert_int_equal(nginx_error_cause(m, strlen(m) - 1),
	    GW_CAUSE_UNKNOWN);
	assert_int_equal(nginx_error_cause("", 0), GW_CAUSE_UNKNOWN);
	assert_int_equal(nginx_error_cause(NULL, 0), GW_CAUSE_UNKNOWN);
}

static void
test_full_line(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "2026/11/25 10:15:02 [error] 1234#1234: *567 "
	    "connect() failed (111: Connection refused) while connecting to "
	    "upstream, client: 10.1.2.3, server: api.example.com, request: "
	    "\"GET /v1/users?id=7 HTTP/1.1\", upstream: "
	    "\"http://10.0.0.5:8080/v1/users?id=7\", host: \"api.example.com\", "
	    "referrer: \"https://example.com/\""), FORMAT_ERROR);
	assert_int_equal(f->e.local_ms, T0);
	assert_int_equal(f->e.level, 3);
	assert_int_equal(f->e.conn, 567);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_field(f->e.message, "connect() failed (111: Connection refused) "
	    "while connecting to upstream");
	assert_field(f->e.client, "10.1.2.3");
	assert_field(f->e.server, "api.example.com");
	assert_field(f->e.method, "GET");
	assert_field(f->e.path, "/v1/users");
	assert_field(f->e.query, "id=7");
	assert_field(f->e.upstream, "10.0.0.5:8080");
	assert_field(f->e.host, "api.example.com");
}

static void
test_absent_fields(void **state)
{
	struct fixture *f = *state;

	/* No connection number, no trailing fields at all. */
	assert_int_equal(parse(f, "2026/11/25 10:15:02 [emerg] 1#1: host not "
	    "found in upstream \"backend:80\" in /etc/nginx/nginx.conf:12"), FORMAT_ERROR);
	assert_int_equal(f->e.level, 0);
	assert_int_equal(f->e.conn, -1);
	assert_field(f->e.message, "host not found in upstream \"backend:80\" "
	    "in /etc/nginx/nginx.conf:12");
	assert_null(f->e.client);
	assert_null(f->e.server);
	assert_null(f->e.method);
	assert_null(f->e.path);
	assert_null(f->e.query);
	assert_null(f->e.upstream);
	assert_null(f->e.host);

	/* Client and server only. */
	assert_int_equal(parse(f, PRE "no live upstreams while connecting to "
	    "upstream, client: 10.1.2.3, server: 0.0.0.0:80"), FORMAT_ERROR);
	assert_field(f->e.client, "10.1.2.3");
	assert_field(f->e.server, "0.0.0.0:80");
	assert_null(f->e.method);
	assert_null(f->e.upstream);
	assert_null(f->e.host);

	/* Request without query, no upstream, no host. */
	assert_int_equal(parse(f, PRE "limiting requests, excess: 1.000 by "
	    "zone \"one\", client: 10.1.2.3, server: api, request: "
	    "\"POST /login HTTP/2.0\""), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_RATE_LIMITED);
	assert_field(f->e.message, "limiting requests, excess: 1.000 by zone "
	    "\"one\"");
	assert_field(f->e.method, "POST");
	assert_field(f->e.path, "/login");
	assert_null(f->e.query);
	assert_null(f->e.upstream);
	assert_null(f->e.host);

	/* Upstream and host without server or request. */
	assert_int_equal(parse(f, PRE "upstream timed out (110: Connection "
	    "timed out) while reading response header from upstream, client: "
	    "10.1.2.3, upstream: \"grpc://10.0.0.9:50051\", host: \"g\""), FORMAT_ERROR);
	assert_null(f->e.server);
	assert_null(f->e.method);
	assert_field(f->e.upstream, "10.0.0.9:50051");
	assert_field(f->e.host, "g");
}

static void
test_levels(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "emerg", "alert", "crit",
	    "error", "warn", "notice", "info", "debug" };
	char line[128];

	for (int i = 0; i < 8; i++) {
		int n = snprintf(line, sizeof(line), "2026/11/25 10:15:02 [%s] "
		    "1#1: something", names[i]);
		assert_int_equal(parse_n(f, line, (size_t)n), FORMAT_NOTICE);
		assert_int_equal(f->e.level, i);
		assert_field(f->e.message, "something");
	}
}

static void
test_upstream_forms(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *url;
		const char *addr;
	} cases[] = {
		{ "http://10.0.0.5:8080/v1/users?id=7", "10.0.0.5:8080" },
		{ "https://10.0.0.5:8443/", "10.0.0.5:8443" },
		{ "http://[::1]:8080/x", "[::1]:8080" },
		{ "http://[2001:db8::5]:80", "[2001:db8::5]:80" },
		{ "http://unix:/run/app.sock:/api?x=1", "unix:/run/app.sock" },
		{ "fastcgi://unix:/run/php/php-fpm.sock:",
		    "unix:/run/php/php-fpm.sock" },
		{ "fastcgi://127.0.0.1:9000", "127.0.0.1:9000" },
		{ "uwsgi://10.0.0.7:3031", "10.0.0.7:3031" },
		{ "scgi://10.0.0.8:4000", "10.0.0.8:4000" },
		{ "grpc://10.0.0.9:50051", "10.0.0.9:50051" },
		{ "http://backend/x", "backend" },
		{ "unix:/run/app.sock", "unix:/run/app.sock" },
		{ "10.0.0.1:5432", "10.0.0.1:5432" },
	};
	char line[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = snprintf(line, sizeof(line), PRE "no live upstreams "
		    "while connecting to upstream, client: ::1, server: s, "
		    "request: \"GET /x HTTP/1.1\", upstream: \"%s\", host: "
		    "\"h\"", cases[i].url);
		assert_int_equal(parse_n(f, line, (size_t)n), FORMAT_ERROR);
		assert_field(f->e.upstream, cases[i].addr);
		assert_field(f->e.client, "::1");
		assert_field(f->e.host, "h");
	}
}

static void
test_group_name(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, PRE "no live upstreams while connecting to "
	    "upstream, client: 10.1.2.3, server: localhost, request: "
	    "\"GET /x HTTP/1.1\", upstream: \"http://backend/x\", host: "
	    "\"localhost\""), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_NO_LIVE_UPSTREAM);
	assert_field(f->e.upstream, "backend");
	assert_field(f->e.path, "/x");
}

static void
test_tricky_message(void **state)
{
	struct fixture *f = *state;

	/* ", " and quotes in the message, and even a fake client marker. */
	assert_int_equal(parse(f, PRE "upstream sent invalid header: "
	    "\"X-A: b, client: evil, c\\x0D\" while reading response header "
	    "from upstream, client: 10.1.2.3, server: localhost, request: "
	    "\"GET /h HTTP/1.1\", upstream: \"http://10.0.0.5:80/h\", host: "
	    "\"localhost\""), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	assert_field(f->e.message, "upstream sent invalid header: \"X-A: b, "
	    "client: evil, c\\x0D\" while reading response header from "
	    "upstream");
	assert_field(f->e.client, "10.1.2.3");
	assert_field(f->e.upstream, "10.0.0.5:80");

	/* A request line holding quotes and escapes. */
	assert_int_equal(parse(f, PRE "upstream prematurely closed connection "
	    "while reading response header from upstream, client: 10.1.2.3, "
	    "server: s, request: \"GET /a\\\"b\"c?q=\\x41%20, x HTTP/1.1\", "
	    "upstream: \"http://10.0.0.5:80/a\", host: \"h\""), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_CLOSED_EARLY);
	assert_field(f->e.method, "GET");
	assert_field(f->e.path, "/a\"b\"c");
	assert_field(f->e.query, "q=A%20, x");
	assert_field(f->e.upstream, "10.0.0.5:80");
	assert_field(f->e.host, "h");

	/* An HTTP/0.9-style request line without protocol. */
	assert_int_equal(parse(f, PRE "upstream prematurely closed connection "
	    "while reading response header from upstream, client: 10.1.2.3, "
	    "server: s, request: \"GET /old\""), FORMAT_ERROR);
	assert_field(f->e.method, "GET");
	assert_field(f->e.path, "/old");
	assert_null(f->e.query);
}

/* Lines captured from nginx 1.22.1 on Debian 12 (proxy to dead upstreams). */
static void
test_real_lines(void **state)
{
	struct fixture *f = *state;

	/* nginx writes a quote in the request line as it is. */
	assert_int_equal(parse(f, "2026/11/25 17:16:03 [error] 9334#9334: *22 "
	    "connect() failed (111: Connection refused) while connecting to "
	    "upstream, client: 127.0.0.1, server: localhost, request: \"GET "
	    "/refuse/a\"b?x=%22y HTTP/1.1\", upstream: \"http://127.0.0.1:1/"
	    "refuse/a\"b?x=%22y\", host: \"127.0.0.1:8089\", referrer: "
	    "\"http://ref/\""), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_int_equal(f->e.conn, 22);
	assert_field(f->e.path, "/refuse/a\"b");
	assert_field(f->e.query, "x=%22y");
	assert_field(f->e.upstream, "127.0.0.1:1");
	assert_field(f->e.host, "127.0.0.1:8089");

	assert_int_equal(parse(f, "2026/11/25 17:16:03 [crit] 9334#9334: *24 "
	    "connect() to unix:/tmp/ng/php.sock failed (2: No such file or "
	    "directory) while connecting to upstream, client: 127.0.0.1, "
	    "server: localhost, request: \"GET /fcgi HTTP/1.1\", upstream: "
	    "\"fastcgi://unix:/tmp/ng/php.sock:\", host: \"127.0.0.1:8089\""),
	    1);
	assert_int_equal(f->e.level, 2);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_field(f->e.upstream, "unix:/tmp/ng/php.sock");

	assert_int_equal(parse(f, "2026/11/25 17:16:02 [error] 9334#9334: *13 "
	    "upstream sent invalid header: \"Foo\\x01...\" while reading "
	    "response header from upstream, client: 127.0.0.1, server: "
	    "localhost, request: \"GET /invalid HTTP/1.1\", upstream: "
	    "\"http://127.0.0.1:9103/invalid\", host: \"127.0.0.1:8089\", "
	    "referrer: \"http://ref/\""), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	assert_field(f->e.message, "upstream sent invalid header: "
	    "\"Foo\\x01...\" while reading response header from upstream");

	assert_int_equal(parse(f, "2026/11/25 17:16:02 [info] 9334#9334: *1 "
	    "client 127.0.0.1 closed keepalive connection"), FORMAT_NOTICE);
	assert_int_equal(parse(f, "2026/11/25 17:16:03 [notice] 9333#9333: "
	    "signal 17 (SIGCHLD) received from 9334"), FORMAT_NOTICE);
}

static void
test_cut_line(void **state)
{
	struct fixture *f = *state;

	/* nginx cuts long lines; the fields read so far are kept. */
	assert_int_equal(parse(f, PRE "upstream timed out (110: Connection "
	    "timed out) while reading response header from upstream, client: "
	    "10.1.2.3, server: s, request: \"GET /very/long/pa"), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	assert_field(f->e.client, "10.1.2.3");
	assert_field(f->e.server, "s");
	assert_field(f->e.method, "GET");
	assert_field(f->e.path, "/very/long/pa");
	assert_null(f->e.upstream);
}

static void
test_crlf(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, PRE "no live upstreams while connecting to "
	    "upstream, client: 1.2.3.4, host: \"h\"\r"), FORMAT_ERROR);
	assert_field(f->e.host, "h");
}

static void
test_rejects(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"",
		"hello world",
		"2026/11/25",
		"2026/11/25 10:1",
		"2026/11/25 10:15:02",
		"2026/11/25 10:15:02 [error]",
		"2026/11/25 10:15:02 [error] 1234#1234:",
		"2026/11/25 10:15:02 [error] 1234#1234: ",
		"2026/11/25 10:15:02 [error] 1234#1234: *567 ",
		"2026/11/25 10:15:02 [bogus] 1234#1234: x",
		"2026/11/25 10:15:02 [error 1234#1234: x",
		"2026/11/25 10:15:02 [error] 1234: x",
		"2026/13/25 10:15:02 [error] 1#1: x",
		"2026/11/25 25:15:02 [error] 1#1: x",
		"2026-11-25 10:15:02 [error] 1#1: x",
		"127.0.0.1 - - [25/Nov/2026:10:15:02 +0000] \"GET / HTTP/1.1\" "
		    "502 157 \"-\" \"curl/7.88.1\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(f, bad[i]) != FORMAT_REJECT)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_false(nginx_error_match(bad[i], strlen(bad[i])));
	}
	assert_int_equal(nginx_error_parse(NULL, 0, f->a, &f->e, &f->reason),
	    FORMAT_REJECT);

	/* A NUL byte inside an otherwise good line. */
	{
		const char l[] = PRE "no live upstreams\0 while connecting to "
		    "upstream" TAIL;
		assert_int_equal(parse_n(f, l, sizeof(l) - 1), FORMAT_REJECT);
	}
	/* The fixed prefix cut at every length. */
	{
		const char *l = cause_cases[0].line;
		size_t pre = strlen(PRE);
		for (size_t n = 0; n < pre; n++)
			assert_int_equal(parse_n(f, l, n), FORMAT_REJECT);
	}
}

static void
test_long_lines(void **state)
{
	struct fixture *f = *state;
	size_t n = 1 << 20, pre = strlen(PRE), tail = strlen(TAIL);
	char *big = malloc(n);

	assert_non_null(big);

	/* A megabyte of garbage. */
	memset(big, 'A', n);
	assert_int_equal(parse_n(f, big, n), FORMAT_REJECT);

	/* A good line whose message is huge: copied capped, still parsed. */
	{
		static const char head[] = PRE "upstream sent invalid header: \"";
		static const char end[] = "\" while reading response header "
		    "from upstream" TAIL;

		memcpy(big, head, sizeof(head) - 1);
		memcpy(big + n - (sizeof(end) - 1), end, sizeof(end) - 1);
	}
	assert_int_equal(parse_n(f, big, n), FORMAT_ERROR);
	assert_int_equal(f->e.cause, GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	assert_true(strlen(f->e.message) <= 1024);
	assert_memory_equal(f->e.message, "upstream sent invalid header", 28);
	assert_field(f->e.client, "127.0.0.1");
	assert_field(f->e.upstream, "127.0.0.1:9001");

	/* A huge, unterminated request line is capped too. */
	{
		static const char head[] = PRE "no live upstreams while "
		    "connecting to upstream, client: 1.2.3.4, request: \"GET /";

		memcpy(big, head, sizeof(head) - 1);
		memset(big + sizeof(head) - 1, 'p', n - (sizeof(head) - 1));
	}
	assert_int_equal(parse_n(f, big, n), FORMAT_ERROR);
	assert_field(f->e.method, "GET");
	assert_non_null(f->e.path);
	assert_true(strlen(f->e.path) < 16384);

	/* Many fake client markers do not make parsing quadratic. */
	for (size_t i = 0; i + 12 <= n; i += 12)
		memcpy(big + i, ", client: x ", 12);
	memcpy(big, PRE, pre);
	assert_int_equal(parse_n(f, big, n), FORMAT_NOTICE);
	(void)tail;
	free(big);
}

static void
test_match(void **state)
{
	const char *l = cause_cases[0].line;

	(void)state;
	assert_true(nginx_error_match(l, strlen(l)));
	l = "2026/11/25 10:15:02 [notice] 1#1: signal process started";
	assert_true(nginx_error_match(l, strlen(l)));
	assert_false(nginx_error_match(NULL, 0));
	assert_false(nginx_error_match("2026/11/25 10:15:02 [notice] 1#1: s", 34));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_causes, setup, teardown),
		cmocka_unit_test(test_cause_direct),
		cmocka_unit_test_setup_teardown(test_full_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_fields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstream_forms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tricky_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_real_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cut_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup,
		    teardown),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
