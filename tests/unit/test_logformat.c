/*
 * test_logformat.c - parse/logformat.c: the log_format compiler (quoting,
 * variables, escape modes, nginx.conf reading) and the line parser (built-in
 * formats, upstream lists, request lines, times, bad input).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "parse/logformat.h"
#include "parse/nginxconf.h"

struct fixture {
	struct arena *a;
	struct logformat *lf;
	struct gw_event ev;
	const char *reason;
	char err[256];
};

/* Compile fmt into f->lf (freeing any earlier one); asserts success. */
static void
compile_ok(struct fixture *f, const char *fmt, int tz)
{
	logformat_free(f->lf);
	f->lf = NULL;
	if (logformat_compile(fmt, tz, &f->lf, f->err, sizeof(f->err)) != 0)
		fail_msg("compile failed: %s", f->err);
}

/* Parse NUL-terminated line with f->lf; returns logformat_parse's value. */
static enum format_result
parse(struct fixture *f, const char *line)
{
	memset(&f->ev, 0, sizeof(f->ev));
	f->reason = NULL;
	return logformat_parse(f->lf, line, strlen(line), f->a, &f->ev,
	    &f->reason);
}

/* Parse and assert success. */
static void
parse_ok(struct fixture *f, const char *line)
{
	if (parse(f, line) != FORMAT_EVENT)
		fail_msg("rejected (%s): %s", f->reason, line);
}

/* Parse and assert a reject with a reason. */
static void
parse_bad(struct fixture *f, const char *line, size_t len)
{
	memset(&f->ev, 0, sizeof(f->ev));
	f->reason = NULL;
	assert_int_equal(logformat_parse(f->lf, line, len, f->a, &f->ev,
	    &f->reason), FORMAT_REJECT);
	assert_non_null(f->reason);
}

/* parse_bad() of a NUL-terminated line. */
static void
parse_bad_s(struct fixture *f, const char *line)
{
	parse_bad(f, line, strlen(line));
}

/* Compile fmt, assert failure, and that err names part of want. */
static void
compile_bad(struct fixture *f, const char *fmt, const char *want)
{
	struct logformat *lf = NULL;

	f->err[0] = '\0';
	assert_int_equal(logformat_compile(fmt, 0, &lf, f->err,
	    sizeof(f->err)), -1);
	assert_null(lf);
	if (strstr(f->err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", f->err, want);
}

/* Assert that s (may be NULL) equals want (may be NULL). */
static void
str_eq(const char *s, const char *want)
{
	if (want == NULL)
		assert_null(s);
	else {
		assert_non_null(s);
		assert_string_equal(s, want);
	}
}

static const char UP_OK[] =
    "10.1.2.3 - alice [25/Nov/2026:10:15:02 +0100] "
    "\"GET /v1/users?id=7&name=bob HTTP/1.1\" 200 157 \"-\" "
    "\"curl/8.0\" rt=0.004 uaddr=\"10.0.0.5:8080\" us=\"200\" "
    "uct=\"0.001\" uht=\"0.003\" urt=\"0.004\" rid=abc123";

static void
test_builtin_text(void **state)
{
	(void)state;
	str_eq(logformat_builtin("combined"),
	    "'$remote_addr - $remote_user [$time_local] \"$request\" $status "
	    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"'");
	str_eq(logformat_builtin("upstream"),
	    "'$remote_addr - $remote_user [$time_local] \"$request\" $status "
	    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\" "
	    "rt=$request_time uaddr=\"$upstream_addr\" us=\"$upstream_status\" "
	    "uct=\"$upstream_connect_time\" uht=\"$upstream_header_time\" "
	    "urt=\"$upstream_response_time\" rid=$request_id'");
	str_eq(logformat_builtin("main"),
	    "'$remote_addr - $remote_user [$time_local] \"$request\" $status "
	    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\" "
	    "\"$http_x_forwarded_for\"'");
	assert_null(logformat_builtin("nosuch"));
	assert_null(logformat_builtin(NULL));
}

static void
test_combined(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, logformat_builtin("combined"), 0);
	assert_false(logformat_has_upstream(f->lf));
	parse_ok(f, "192.168.1.20 - - [10/Oct/2000:13:55:36 -0700] "
	    "\"GET /apache_pb.gif HTTP/1.0\" 200 2326 "
	    "\"http://www.example.com/start.html\" "
	    "\"Mozilla/4.08 [en] (Win98; I ;Nav)\"");
	str_eq(f->ev.client, "192.168.1.20");
	str_eq(f->ev.method, "GET");
	str_eq(f->ev.path, "/apache_pb.gif");
	assert_null(f->ev.query);
	assert_null(f->ev.shape);
	str_eq(f->ev.protocol, "HTTP/1.0");
	assert_int_equal(f->ev.status, 200);
	assert_int_equal(f->ev.bytes, 2326);
	assert_int_equal(f->ev.request_ms, -1);
	assert_int_equal(f->ev.n_attempts, 0);
	assert_null(f->ev.attempts);
	/* 2000-10-10 20:55:36 UTC */
	assert_int_equal(f->ev.ts_ms, 971211336000LL);
	assert_int_equal(f->ev.tz_min, -420);
	assert_true(f->ev.tz_known);
	assert_int_equal(f->ev.cause, GW_CAUSE_OK);
	/* no upstream logged: a 502 has no attempts and an unknown cause */
	parse_ok(f, "::1 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" "
	    "502 0 \"-\" \"-\"");
	assert_int_equal(f->ev.cause, GW_CAUSE_UNKNOWN);
}

static void
test_upstream_single(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, logformat_builtin("upstream"), 0);
	assert_true(logformat_has_upstream(f->lf));
	f->ev.line_no = 7;
	f->ev.offset = 4096;
	f->reason = NULL;
	assert_int_equal(logformat_parse(f->lf, UP_OK, strlen(UP_OK), f->a,
	    &f->ev, &f->reason), FORMAT_EVENT);
	assert_int_equal(f->ev.line_no, 7);
	assert_int_equal(f->ev.offset, 4096);
	str_eq(f->ev.client, "10.1.2.3");
	str_eq(f->ev.path, "/v1/users");
	str_eq(f->ev.query, "id=7&name=bob");
	str_eq(f->ev.shape, "id=<number>&name=<text>");
	str_eq(f->ev.request_id, "abc123");
	assert_int_equal(f->ev.request_ms, 4);
	assert_int_equal(f->ev.ts_ms, 1795598102000LL);
	assert_int_equal(f->ev.tz_min, 60);
	assert_int_equal(f->ev.n_attempts, 1);
	str_eq(f->ev.attempts[0].addr, "10.0.0.5:8080");
	assert_int_equal(f->ev.attempts[0].status, 200);
	assert_int_equal(f->ev.attempts[0].connect_ms, 1);
	assert_int_equal(f->ev.attempts[0].header_ms, 3);
	assert_int_equal(f->ev.attempts[0].response_ms, 4);
	assert_int_equal(f->ev.attempts[0].group, 0);
	assert_int_equal(f->ev.attempts[0].cause, GW_CAUSE_OK);
	assert_int_equal(f->ev.cause, GW_CAUSE_OK);
}

static void
test_upstream_retry(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, logformat_builtin("upstream"), 0);
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /x HTTP/1.1\" 200 10 \"-\" \"-\" rt=0.010 "
	    "uaddr=\"10.0.0.5:8080, 10.0.0.6:8080\" us=\"502, 200\" "
	    "uct=\"-, 0.001\" uht=\"-, 0.008\" urt=\"0.000, 0.009\" rid=r1");
	assert_int_equal(f->ev.n_attempts, 2);
	str_eq(f->ev.attempts[0].addr, "10.0.0.5:8080");
	assert_int_equal(f->ev.attempts[0].status, 502);
	assert_int_equal(f->ev.attempts[0].connect_ms, -1);
	assert_int_equal(f->ev.attempts[0].header_ms, -1);
	assert_int_equal(f->ev.attempts[0].response_ms, 0);
	assert_int_equal(f->ev.attempts[0].cause, GW_CAUSE_UNKNOWN);
	str_eq(f->ev.attempts[1].addr, "10.0.0.6:8080");
	assert_int_equal(f->ev.attempts[1].status, 200);
	assert_int_equal(f->ev.attempts[1].connect_ms, 1);
	assert_int_equal(f->ev.attempts[1].header_ms, 8);
	assert_int_equal(f->ev.attempts[1].response_ms, 9);
	assert_int_equal(f->ev.attempts[1].group, 0);
	assert_int_equal(f->ev.attempts[1].cause, GW_CAUSE_OK);
	assert_int_equal(f->ev.cause, GW_CAUSE_OK);

	/* both tried and both failed: the last attempt's cause */
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /x HTTP/1.1\" 504 0 \"-\" \"-\" rt=5.010 "
	    "uaddr=\"10.0.0.5:8080, 10.0.0.6:8080\" us=\"502, 504\" "
	    "uct=\"-, 0.001\" uht=\"-, -\" urt=\"0.000, 5.001\" rid=r2");
	assert_int_equal(f->ev.attempts[1].cause,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	assert_int_equal(f->ev.cause, GW_CAUSE_UPSTREAM_READ_TIMEOUT);
}

static void
test_upstream_groups(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, logformat_builtin("upstream"), 0);
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /x HTTP/1.1\" 502 0 \"-\" \"-\" rt=1.000 "
	    "uaddr=\"10.0.0.5:8080, 10.0.0.6:8080 : backend\" "
	    "us=\"504, 500 : 502\" uct=\"-, 0.002 : -\" "
	    "uht=\"-, 0.100 : -\" urt=\"1.000, 0.100 : 0.000\" rid=-");
	assert_null(f->ev.request_id);
	assert_int_equal(f->ev.n_attempts, 3);
	assert_int_equal(f->ev.attempts[0].group, 0);
	assert_int_equal(f->ev.attempts[1].group, 0);
	assert_int_equal(f->ev.attempts[2].group, 1);
	str_eq(f->ev.attempts[2].addr, "backend");
	assert_int_equal(f->ev.attempts[0].cause,
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
	assert_int_equal(f->ev.attempts[1].cause, GW_CAUSE_UPSTREAM_5XX);
	assert_int_equal(f->ev.attempts[2].cause, GW_CAUSE_NO_LIVE_UPSTREAM);
	assert_int_equal(f->ev.cause, GW_CAUSE_NO_LIVE_UPSTREAM);
}

static void
test_upstream_dashes_and_odd_lists(void **state)
{
	struct fixture *f = *state;
	char line[4096], list[2048];
	int i;

	compile_ok(f, logformat_builtin("upstream"), 0);
	/* no upstream contacted: no attempts; 429 then is the gateway's */
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /x HTTP/1.1\" 429 0 \"-\" \"-\" rt=0.000 uaddr=\"-\" "
	    "us=\"-\" uct=\"-\" uht=\"-\" urt=\"-\" rid=r3");
	assert_int_equal(f->ev.n_attempts, 0);
	assert_int_equal(f->ev.cause, GW_CAUSE_RATE_LIMITED);

	/* lists of different lengths are padded */
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /x HTTP/1.1\" 200 0 \"-\" \"-\" rt=0.000 "
	    "uaddr=\"10.0.0.1:80\" us=\"502, 200, 200\" uct=\"-\" uht=\"-\" "
	    "urt=\"0.001, 0.002\" rid=r4");
	assert_int_equal(f->ev.n_attempts, 3);
	str_eq(f->ev.attempts[0].addr, "10.0.0.1:80");
	assert_null(f->ev.attempts[1].addr);
	assert_int_equal(f->ev.attempts[2].status, 200);
	assert_int_equal(f->ev.attempts[2].response_ms, -1);
	assert_int_equal(f->ev.attempts[1].response_ms, 2);

	/* unix sockets; IPv6 upstreams */
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /x HTTP/1.1\" 502 0 \"-\" \"-\" rt=0.000 "
	    "uaddr=\"unix:/run/app.sock, [2001:db8::7]:8443\" us=\"502, 502\" "
	    "uct=\"-, -\" uht=\"-, -\" urt=\"0.000, 0.000\" rid=r5");
	str_eq(f->ev.attempts[0].addr, "unix:/run/app.sock");
	str_eq(f->ev.attempts[1].addr, "[2001:db8::7]:8443");
	assert_int_equal(f->ev.attempts[1].cause, GW_CAUSE_UNKNOWN);

	/* more than GW_ATTEMPTS_MAX attempts: the rest dropped */
	list[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(list, i ? ", 502" : "502");
	snprintf(line, sizeof(line), "10.1.2.3 - - [25/Nov/2026:10:15:02 "
	    "+0000] \"GET /x HTTP/1.1\" 502 0 \"-\" \"-\" rt=0.000 "
	    "uaddr=\"-\" us=\"%s\" uct=\"-\" uht=\"-\" urt=\"-\" rid=r6", list);
	parse_ok(f, line);
	assert_int_equal(f->ev.n_attempts, GW_ATTEMPTS_MAX);

	/* 009: a non-HTTP answer relayed */
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /x HTTP/1.1\" 009 12 \"-\" \"-\" rt=0.001 "
	    "uaddr=\"10.0.0.1:80\" us=\"009\" uct=\"0.000\" uht=\"0.001\" "
	    "urt=\"0.001\" rid=r7");
	assert_int_equal(f->ev.status, 9);
	assert_int_equal(f->ev.attempts[0].status, 9);
	assert_int_equal(f->ev.attempts[0].cause,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	assert_int_equal(f->ev.cause, GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
}

static void
test_request_lines(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, logformat_builtin("combined"), 0);
	/* IPv6 client, an escaped quote in the path and the user agent */
	parse_ok(f, "2001:db8::1 - - [10/Oct/2000:13:55:36 +0000] "
	    "\"GET /a\\x22b?x=\\x22 HTTP/1.1\" 404 0 \"-\" "
	    "\"say \\x22hi\\x22\"");
	str_eq(f->ev.client, "2001:db8::1");
	str_eq(f->ev.path, "/a\"b");
	str_eq(f->ev.query, "x=\"");
	str_eq(f->ev.shape, "x=<text>");

	/* a TLS hello sent to a plain port */
	parse_ok(f, "10.0.0.9 - - [10/Oct/2000:13:55:36 +0000] "
	    "\"\\x16\\x03\\x01\\x00\\xA5\\x01\\x00\\x00\" 400 157 \"-\" \"-\"");
	assert_int_equal(f->ev.status, 400);
	assert_null(f->ev.method);
	assert_null(f->ev.path);
	assert_null(f->ev.protocol);

	/* "-" request (closed before a request line), HTTP/0.9 */
	parse_ok(f, "10.0.0.9 - - [10/Oct/2000:13:55:36 +0000] \"-\" 400 0 "
	    "\"-\" \"-\"");
	assert_null(f->ev.method);
	parse_ok(f, "10.0.0.9 - - [10/Oct/2000:13:55:36 +0000] \"GET /old\" "
	    "200 5 \"-\" \"-\"");
	str_eq(f->ev.method, "GET");
	str_eq(f->ev.path, "/old");
	assert_null(f->ev.protocol);

	/* an empty query is no query */
	parse_ok(f, "10.0.0.9 - - [10/Oct/2000:13:55:36 +0000] "
	    "\"GET /p? HTTP/1.1\" 200 5 \"-\" \"-\"");
	str_eq(f->ev.path, "/p");
	assert_null(f->ev.query);
	assert_null(f->ev.shape);

	/* unix-socket client, a user name with a space */
	parse_ok(f, "unix: - bob smith [10/Oct/2000:13:55:36 +0000] "
	    "\"GET / HTTP/1.1\" 200 5 \"-\" \"-\"");
	str_eq(f->ev.client, "unix:");
}

static void
test_braces_bare_words_and_strings(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, "'${status}xyz ' $remote_addr \" \" ${request_time}s",
	    0);
	parse_ok(f, "503xyz 10.0.0.1 0.250s");
	assert_int_equal(f->ev.status, 503);
	str_eq(f->ev.client, "10.0.0.1");
	assert_int_equal(f->ev.request_ms, 250);
	assert_int_equal(f->ev.ts_ms, -1);
	parse_bad_s(f, "503 10.0.0.1 0.250s");

	/* escaped quotes inside a double-quoted and a single-quoted string */
	compile_ok(f, "\"\\\"$request\\\" $status\" '\\'$host\\''", 0);
	parse_ok(f, "\"GET /q?a=1 HTTP/1.1\" 200'api.example.com'");
	str_eq(f->ev.path, "/q");
	str_eq(f->ev.host, "api.example.com");

	/* other backslashes stay literal; \t is a tab */
	compile_ok(f, "'$status\\t$body_bytes_sent\\d'", 0);
	parse_ok(f, "200\t15\\d");
	assert_int_equal(f->ev.bytes, 15);

	/* a trailing ';' and newlines between strings (as from nginx.conf) */
	compile_ok(f, "'$status '\n    '$request_time';", 0);
	parse_ok(f, "201 1.5");
	assert_int_equal(f->ev.request_ms, 1500);
}

static void
test_unknown_and_private_variables(void **state)
{
	struct fixture *f = *state;
	size_t i;

	compile_ok(f, "'$my_custom_var [$cookie_session] \"$http_cookie\" "
	    "\"$http_authorization\" $status $foo$bar|'", 0);
	parse_ok(f, "any thing [SECRET1] \"sid=SECRET2\" \"Bearer SECRET3\" "
	    "200 xy|");
	assert_int_equal(f->ev.status, 200);
	{
		const char *got[] = {
			f->ev.client, f->ev.method, f->ev.host, f->ev.path,
			f->ev.query, f->ev.protocol, f->ev.request_id,
			f->ev.shape,
		};
		for (i = 0; i < sizeof(got) / sizeof(got[0]); i++)
			assert_true(got[i] == NULL ||
			    strstr(got[i], "SECRET") == NULL);
	}
}

static void
test_every_family(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, "'$remote_addr $realip_remote_addr $binary_remote_addr "
	    "$remote_user [$time_iso8601] $msec \"$request_method\" "
	    "\"$request_uri\" \"$uri\" \"$document_uri\" \"$args\" "
	    "\"$query_string\" $status $body_bytes_sent $bytes_sent "
	    "$request_time $request_length $host \"$http_host\" $server_name "
	    "$scheme $server_protocol $request_id \"$http_x_request_id\" "
	    "\"$upstream_addr\" \"$upstream_status\" "
	    "\"$upstream_connect_time\" \"$upstream_header_time\" "
	    "\"$upstream_response_time\" $upstream_cache_status "
	    "\"$upstream_response_length\" \"$upstream_bytes_received\" "
	    "\"$http_user_agent\" \"$sent_http_content_type\" "
	    "\"$cookie_sid\" $connection $connection_requests $pipe "
	    "$gzip_ratio \"$ssl_protocol\" \"$ssl_client_s_dn\" $proxy_host "
	    "\"$proxy_add_x_forwarded_for\"'", 0);
	parse_ok(f, "10.0.0.1 192.0.2.7 \\x0A\\x00\\x00\\x01 - "
	    "[2026-11-25T10:15:02+01:00] 1795598102.123 \"PUT\" "
	    "\"/v2/items/9?b=2&a=x\" \"/v2/items/9\" \"/v2/items/9\" "
	    "\"b=2&a=x\" \"b=2&a=x\" 201 12 300 0.020 512 api.example.com "
	    "\"api.example.com:8443\" _ https HTTP/2.0 - \"xrid-1\" "
	    "\"10.0.0.5:80\" \"201\" \"0.001\" \"0.019\" \"0.020\" MISS "
	    "\"12\" \"300\" \"Mozilla/5.0 (X11)\" \"application/json\" "
	    "\"s3cr3t\" 1234 2 . 2.50 \"TLSv1.3\" \"CN=client,O=Org\" "
	    "backend_pool \"198.51.100.1, 10.0.0.1\"");
	str_eq(f->ev.client, "10.0.0.1");
	str_eq(f->ev.method, "PUT");
	str_eq(f->ev.path, "/v2/items/9");
	str_eq(f->ev.query, "b=2&a=x");
	str_eq(f->ev.shape, "a=<text>&b=<number>");
	str_eq(f->ev.protocol, "HTTP/2.0");
	str_eq(f->ev.host, "api.example.com");
	str_eq(f->ev.request_id, "xrid-1");
	assert_int_equal(f->ev.status, 201);
	assert_int_equal(f->ev.bytes, 12);
	assert_int_equal(f->ev.request_ms, 20);
	/* $msec wins for the instant, $time_iso8601 gives the zone */
	assert_int_equal(f->ev.ts_ms, 1795598102123LL);
	assert_int_equal(f->ev.tz_min, 60);
	assert_true(f->ev.tz_known);
	assert_int_equal(f->ev.n_attempts, 1);
	assert_int_equal(f->ev.attempts[0].header_ms, 19);

	/* host falls back to $http_host, then $server_name */
	compile_ok(f, "'$status \"$http_host\" $server_name'", 0);
	parse_ok(f, "200 \"h.example:81\" srv");
	str_eq(f->ev.host, "h.example:81");
	parse_ok(f, "200 \"-\" srv");
	str_eq(f->ev.host, "srv");

	/* $uri + $args when $request is absent */
	compile_ok(f, "'$status $uri $args'", 0);
	parse_ok(f, "200 /a/b x=1");
	str_eq(f->ev.path, "/a/b");
	str_eq(f->ev.query, "x=1");
	str_eq(f->ev.shape, "x=<number>");
	parse_ok(f, "200 /a/b -");
	assert_null(f->ev.query);
}

static void
test_times(void **state)
{
	struct fixture *f = *state;

	/* $msec alone: UTC, the zone is the caller's default */
	compile_ok(f, "'$msec $status'", -300);
	parse_ok(f, "1795598102.5 200");
	assert_int_equal(f->ev.ts_ms, 1795598102500LL);
	assert_int_equal(f->ev.tz_min, -300);
	assert_false(f->ev.tz_known);

	/* ISO time without offset: read in the default zone */
	compile_ok(f, "'$time_iso8601 $status'", 120);
	parse_ok(f, "2026-11-25T11:15:02 200");
	assert_int_equal(f->ev.ts_ms, 1795598102000LL);
	assert_false(f->ev.tz_known);
	parse_ok(f, "2026-11-25T09:15:02Z 200");
	assert_int_equal(f->ev.ts_ms, 1795598102000LL);
	assert_int_equal(f->ev.tz_min, 0);
	assert_true(f->ev.tz_known);

	/* $time_local and $msec: msec's precision, local's zone */
	compile_ok(f, "'[$time_local] $msec'", 0);
	parse_ok(f, "[25/Nov/2026:05:45:02 -0330] 1795598102.999");
	assert_int_equal(f->ev.ts_ms, 1795598102999LL);
	assert_int_equal(f->ev.tz_min, -210);
	assert_true(f->ev.tz_known);

	/* impossible dates are rejected */
	compile_ok(f, logformat_builtin("combined"), 0);
	parse_bad_s(f, "1.2.3.4 - - [10/Foo/2000:13:55:36 +0000] \"GET / "
	    "HTTP/1.1\" 200 1 \"-\" \"-\"");
	assert_string_equal(f->reason, "bad time");
	parse_bad_s(f, "1.2.3.4 - - [31/Feb/2000:13:55:36 +0000] \"GET / "
	    "HTTP/1.1\" 200 1 \"-\" \"-\"");
	assert_string_equal(f->reason, "bad time");
}

static void
test_escape_json(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, "escape=json '{\"time\":\"$time_iso8601\","
	    "\"req\":\"$request\",\"status\":$status,"
	    "\"ua\":\"$http_user_agent\",\"host\":\"$host\"}'", 0);
	parse_ok(f, "{\"time\":\"2026-11-25T10:15:02+01:00\","
	    "\"req\":\"GET /q\\\"x\\\\y\\u0001?k=\\u00e9 HTTP/1.1\","
	    "\"status\":502,\"ua\":\"a \\\"b\\\" c\",\"host\":\"h\"}");
	str_eq(f->ev.method, "GET");
	str_eq(f->ev.path, "/q\"x\\y\001");
	str_eq(f->ev.query, "k=\xc3\xa9");
	assert_int_equal(f->ev.status, 502);
	str_eq(f->ev.host, "h");
	/* a raw quote cannot be in a json-escaped value */
	parse_bad_s(f, "{\"time\":\"2026-11-25T10:15:02+01:00\",\"req\":\"GET "
	    "/\" HTTP/1.1\",\"status\":200,\"ua\":\"\",\"host\":\"h\"}");

	/* escape=none: values are taken as they come */
	compile_ok(f, "escape=none '\"$request\" $status'", 0);
	parse_ok(f, "\"GET /a\"b HTTP/1.1\" 200");
	str_eq(f->ev.path, "/a\"b");
}

static void
test_compile_errors(void **state)
{
	struct fixture *f = *state;

	compile_bad(f, "'$status", "unterminated quote at offset 0");
	compile_bad(f, "'$status $'", "without a variable name at offset 9");
	compile_bad(f, "'${status'", "missing '}'");
	compile_bad(f, "'${}'", "without a variable name");
	compile_bad(f, "'a $-b'", "without a variable name at offset 3");
	compile_bad(f, "escape=html '$status'", "unknown escape");
	compile_bad(f, "", "no format string");
	compile_bad(f, "escape=json", "no format string");
	compile_bad(f, "'$status'; '$x'", "after ';'");
}

/* Write text to dir/name. */
static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_from_conf(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/gw-lf.XXXXXX", path[512], sub[512], *text = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(dir, "nginx.conf",
	    "# log_format fake '$status';\n"
	    "events { worker_connections 64; }\n"
	    "http {\n"
	    "    include conf.d/*.conf;\n"
	    "    include missing.conf;\n"
	    "    log_format main '$remote_addr [$time_local] '  # trailing\n"
	    "                    '\"$request\" $status \"#not-a-comment\" '\n"
	    "                    \"rid=${request_id};x\";\n"
	    "    access_log /var/log/nginx/access.log main;\n"
	    "}\n");
	write_file(sub, "a.conf", "server { listen 80; }\n");
	write_file(sub, "b.conf",
	    "log_format  gw_json escape=json\n"
	    "  '{\"s\":$status,\"u\":\"$upstream_addr\"}';\n");

	snprintf(path, sizeof(path), "%s/nginx.conf", dir);
	assert_int_equal(nginxconf_log_format(path, "main", &text, f->err,
	    sizeof(f->err)), 0);
	compile_ok(f, text, 0);
	free(text);
	parse_ok(f, "10.0.0.1 [10/Oct/2000:13:55:36 +0000] \"GET /x HTTP/1.1\" "
	    "200 \"#not-a-comment\" rid=abc;x");
	str_eq(f->ev.request_id, "abc");
	str_eq(f->ev.path, "/x");

	/* found through the include glob */
	assert_int_equal(nginxconf_log_format(path, "gw_json", &text, f->err,
	    sizeof(f->err)), 0);
	compile_ok(f, text, 0);
	free(text);
	parse_ok(f, "{\"s\":502,\"u\":\"10.0.0.1:80, 10.0.0.2:80\"}");
	assert_int_equal(f->ev.n_attempts, 2);
	assert_true(logformat_has_upstream(f->lf));

	/* commented out, or absent: an error naming the missing include */
	text = NULL;
	assert_int_equal(nginxconf_log_format(path, "fake", &text, f->err,
	    sizeof(f->err)), -1);
	assert_null(text);
	assert_non_null(strstr(f->err, "no log_format fake"));
	assert_non_null(strstr(f->err, "missing.conf"));
	snprintf(sub, sizeof(sub), "%s/none.conf", dir);
	assert_int_equal(nginxconf_log_format(sub, "main", &text, f->err,
	    sizeof(f->err)), -1);

	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	assert_int_equal(system(sub), 0);
}

static void
test_bad_lines(void **state)
{
	struct fixture *f = *state;
	size_t big = 10 * 1024 * 1024, n;
	char *line;
	static const char nul[] = "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] "
	    "\"GET /\0x HTTP/1.1\" 200 1 \"-\" \"-\"";

	compile_ok(f, logformat_builtin("upstream"), 0);
	parse_bad(f, "", 0);
	assert_string_equal(f->reason, "empty line");
	parse_bad_s(f, "garbage");
	assert_string_equal(f->reason, "line does not match log_format");
	parse_bad_s(f, "\xff\xfe\x80 not utf-8 \xc3");
	/* truncated anywhere before the last field (rid=...) */
	for (n = 0; n < strlen(UP_OK) - strlen("abc123"); n++) {
		parse_bad(f, UP_OK, n);
		assert_int_equal(f->ev.n_attempts, 0);
	}
	/* invalid UTF-8 inside a field is only bytes */
	parse_ok(f, "10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] \"GET /\xff\xc3 "
	    "HTTP/1.1\" 200 1 \"-\" \"\xfe\" rt=0.001 uaddr=\"-\" us=\"-\" "
	    "uct=\"-\" uht=\"-\" urt=\"-\" rid=x");
	str_eq(f->ev.path, "/\xff\xc3");
	/* not NUL-terminated: the length is what counts */
	line = malloc(strlen(UP_OK) + 8);
	assert_non_null(line);
	memcpy(line, UP_OK, strlen(UP_OK));
	memcpy(line + strlen(UP_OK), " extra\"", 7);
	assert_int_equal(logformat_parse(f->lf, line, strlen(UP_OK), f->a,
	    &f->ev, &f->reason), FORMAT_EVENT);
	free(line);
	/* CRLF line endings are fine */
	line = malloc(strlen(UP_OK) + 1);
	memcpy(line, UP_OK, strlen(UP_OK));
	line[strlen(UP_OK)] = '\r';
	assert_int_equal(logformat_parse(f->lf, line, strlen(UP_OK) + 1, f->a,
	    &f->ev, &f->reason), FORMAT_EVENT);
	free(line);

	parse_bad(f, nul, sizeof(nul) - 1);
	assert_string_equal(f->reason, "NUL byte in line");

	line = malloc(big);
	assert_non_null(line);
	memset(line, 'a', big);
	parse_bad(f, line, big);
	assert_string_equal(f->reason, "line too long");
	free(line);
}

static void
test_no_catastrophic_backtracking(void **state)
{
	struct fixture *f = *state;
	size_t n = 200000, i;
	char *line = malloc(n);
	const char *head;
	clock_t t0;

	assert_non_null(line);
	/* many lazy text variables, a long line that almost matches */
	compile_ok(f, "'$a $b $c $d $e $f $g $h [$status]'", 0);
	for (i = 0; i < n; i++)
		line[i] = i % 2 ? ' ' : 'x';
	line[n - 1] = ']';
	t0 = clock();
	parse_bad(f, line, n);
	assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);

	/* a huge user agent in the upstream format is matched in time */
	compile_ok(f, logformat_builtin("combined"), 0);
	head = "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" "
	    "200 1 \"-\" \"";
	memcpy(line, head, strlen(head));
	memset(line + strlen(head), 'u', n - strlen(head) - 1);
	line[n - 1] = '"';
	t0 = clock();
	assert_int_equal(logformat_parse(f->lf, line, n, f->a, &f->ev,
	    &f->reason), FORMAT_EVENT);
	line[n - 1] = 'x';
	parse_bad(f, line, n);
	assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);

	/* a long value in a lazily matched field (the user) still matches */
	memcpy(line, "1.2.3.4 - ", 10);
	memset(line + 10, 'u', n - 100);
	head = " [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 "
	    "\"-\" \"-\"";
	memcpy(line + 10 + n - 100, head, strlen(head));
	assert_int_equal(logformat_parse(f->lf, line, n - 90 + strlen(head),
	    f->a, &f->ev, &f->reason), FORMAT_EVENT);
	assert_int_equal(f->ev.status, 200);
	free(line);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->a = arena_new()) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	logformat_free(f->lf);
	arena_free(f->a);
	free(f);
	return 0;
}

/* --log-format as users paste it: the content of one string. */
static void
test_text_from_arg(void **state)
{
	struct fixture *f = *state;
	char *t;

	t = logformat_text_from_arg("$remote_addr - \"$request\" $status it's");
	assert_string_equal(t, "'$remote_addr - \"$request\" $status it\\'s'");
	compile_ok(f, t, 0);
	free(t);
	parse_ok(f, "10.0.0.1 - \"GET /a?b=1 HTTP/1.1\" 502 it's");
	assert_int_equal(f->ev.status, 502);
	assert_string_equal(f->ev.path, "/a");
	/* nginx.conf syntax is taken as written. */
	t = logformat_text_from_arg("  '$status' ' x'");
	assert_string_equal(t, "  '$status' ' x'");
	free(t);
	t = logformat_text_from_arg("escape=json '{\"s\":$status}'");
	assert_string_equal(t, "escape=json '{\"s\":$status}'");
	free(t);
}

/* Formats that log cookies or credentials are known as such. */
static void
test_secrets(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, "'$remote_addr $status \"$http_referer\"'", 0);
	assert_false(logformat_logs_secrets(f->lf));
	compile_ok(f, "'$remote_addr $status \"$http_cookie\"'", 0);
	assert_true(logformat_logs_secrets(f->lf));
	compile_ok(f, "'$remote_addr $status $cookie_session'", 0);
	assert_true(logformat_logs_secrets(f->lf));
	compile_ok(f, "'$remote_addr $status \"${HTTP_AUTHORIZATION}\"'", 0);
	assert_true(logformat_logs_secrets(f->lf));
}

/* Kubernetes ingress-nginx and APISIX defaults, as they write them. */
static void
test_gateway_builtins(void **state)
{
	struct fixture *f = *state;

	compile_ok(f, logformat_builtin("ingress-nginx"), 0);
	parse_ok(f, "10.244.0.1 - - [25/Nov/2026:10:00:00 +0000] \"GET "
	    "/api/users?id=3 HTTP/1.1\" 200 150 \"-\" \"curl/8.0\" 84 0.004 "
	    "[default-users-80] [] 10.0.0.1:8080, 10.0.0.2:8080 0, 612 "
	    "0.001, 0.003 502, 200 5f2c0e1a9d8b7c6a5f4e3d2c1b0a9988");
	assert_int_equal(f->ev.status, 200);
	assert_int_equal(f->ev.n_attempts, 2);
	assert_string_equal(f->ev.attempts[0].addr, "10.0.0.1:8080");
	assert_int_equal(f->ev.attempts[0].status, 502);
	assert_string_equal(f->ev.attempts[1].addr, "10.0.0.2:8080");
	assert_int_equal(f->ev.attempts[1].response_ms, 3);
	assert_string_equal(f->ev.request_id,
	    "5f2c0e1a9d8b7c6a5f4e3d2c1b0a9988");
	assert_int_equal(f->ev.request_ms, 4);
	parse_ok(f, "10.244.0.1 - - [25/Nov/2026:10:00:01 +0000] \"GET "
	    "/api/users HTTP/1.1\" 503 190 \"-\" \"curl/8.0\" 84 0.000 "
	    "[default-users-80] [] - - - - 6f2c0e1a9d8b7c6a5f4e3d2c1b0a9988");
	assert_int_equal(f->ev.n_attempts, 0);

	compile_ok(f, logformat_builtin("apisix"), 0);
	parse_ok(f, "127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] 127.0.0.1:9080 "
	    "\"GET /hello?a=1 HTTP/1.1\" 502 229 0.003 \"-\" \"curl/7.88.1\" "
	    "127.0.0.1:1980 502 0.002 \"http://127.0.0.1:1980/hello?a=1\"");
	assert_int_equal(f->ev.status, 502);
	assert_string_equal(f->ev.host, "127.0.0.1:9080");
	assert_int_equal(f->ev.n_attempts, 1);
	assert_string_equal(f->ev.attempts[0].addr, "127.0.0.1:1980");
	assert_string_equal(f->ev.query, "a=1");
}

/*
 * An event's strings are copied at the end of the line, all at once: each
 * must come out whole and unescaped wherever it sat, the query read twice
 * ("?q" with no path, then $request_uri's) must be the later one, and
 * every address of the most attempts kept must be there; a line past the
 * strings of another must not show through.
 */
static void
test_strings_copied_at_end(void **state)
{
	struct fixture *f = *state;
	char line[2048], addrs[1024];
	size_t o = 0;

	compile_ok(f, "'$remote_addr \"$request\" \"$request_uri\" $status "
	    "$request_id \"$upstream_addr\" \"$upstream_status\"'", 0);
	parse_ok(f, "10.0.0.1 \"GET ?a=\\x22 HTTP/1.1\" "
	    "\"/p\\x41th?b=2&b\\x3D=1\" 200 r\\x5C1 \"u1:80, u2:80\" "
	    "\"502, 200\"");
	str_eq(f->ev.client, "10.0.0.1");
	str_eq(f->ev.method, "GET");
	str_eq(f->ev.protocol, "HTTP/1.1");
	str_eq(f->ev.path, "/pAth");
	str_eq(f->ev.query, "b=2&b==1");
	str_eq(f->ev.shape, "b=<number>&b=<text>");
	str_eq(f->ev.request_id, "r\\1");
	assert_int_equal(f->ev.n_attempts, 2);
	str_eq(f->ev.attempts[0].addr, "u1:80");
	str_eq(f->ev.attempts[1].addr, "u2:80");
	assert_int_equal(f->ev.attempts[1].status, 200);

	/* the most attempts kept, an address each */
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(addrs + o, sizeof(addrs) - o, "%s10.0.%d.1:80",
		    i > 0 ? ", " : "", i);
	snprintf(line, sizeof(line), "10.0.0.2 \"GET /x HTTP/1.1\" \"-\" 502 "
	    "- \"%s\" \"-\"", addrs);
	parse_ok(f, line);
	assert_int_equal(f->ev.n_attempts, GW_ATTEMPTS_MAX);
	for (int i = 0; i < GW_ATTEMPTS_MAX; i++) {
		char want[32];

		snprintf(want, sizeof(want), "10.0.%d.1:80", i);
		str_eq(f->ev.attempts[i].addr, want);
	}
	str_eq(f->ev.client, "10.0.0.2");
	str_eq(f->ev.path, "/x");
	str_eq(f->ev.query, NULL);
	str_eq(f->ev.request_id, NULL);
}

/*
 * A line's strings are copied into room reserved for them (at most 2,048
 * bytes of the line): strings past it get their own allocation, escaped
 * or not, and what the room did not use is given back to the arena.
 */
static void
test_strings_past_room(void **state)
{
	struct fixture *f = *state;
	static char line[8192], path[4096], ua[2048];
	size_t before;

	compile_ok(f, logformat_builtin("combined"), 0);
	for (int esc = 0; esc < 2; esc++) {
		memset(path, 'p', 3000);
		path[0] = '/';
		path[3000] = '\0';
		if (esc)
			memcpy(path + 1000, "\\x41", 4);
		snprintf(line, sizeof(line), "10.0.0.3 - - "
		    "[25/Nov/2026:10:15:02 +0000] \"GET %s?q=1 HTTP/1.1\" 200 "
		    "5 \"-\" \"ua\"", path);
		parse_ok(f, line);
		if (esc)
			memmove(path + 1001, path + 1004, strlen(path + 1004) + 1),
			    path[1000] = 'A';
		str_eq(f->ev.path, path);
		assert_int_equal(f->ev.path_len, strlen(path));
		str_eq(f->ev.query, "q=1");
		assert_int_equal(f->ev.query_len, 3);
		str_eq(f->ev.client, "10.0.0.3");
		assert_int_equal(f->ev.client_len, 8);
		str_eq(f->ev.method, "GET");
		str_eq(f->ev.protocol, "HTTP/1.1");
	}

	/* a long user agent (not stored): the room's end given back */
	memset(ua, 'u', 1500);
	ua[1500] = '\0';
	snprintf(line, sizeof(line), "10.0.0.4 - - [25/Nov/2026:10:15:02 "
	    "+0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"%s\"", ua);
	before = arena_used(f->a);
	parse_ok(f, line);
	str_eq(f->ev.path, "/a");
	assert_true(arena_used(f->a) - before < 256);
}

/*
 * The client's form as the store reads it (core/event.h): a dotted quad
 * read from the line as it is copied, at the line's start or end, after
 * a list's first address is cut, anything else text.
 */
static void
test_client_form(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *fmt, *line, *client;
		int form;		/* enum gw_client_form */
		uint32_t v4;
	} cases[] = {
		{ "'$remote_addr $status'", "10.0.0.1 200", "10.0.0.1",
		    GW_CLIENT_V4, 0x0a000001 },
		{ "'$status $remote_addr'", "200 192.168.7.255",
		    "192.168.7.255", GW_CLIENT_V4, 0xc0a807ff },
		{ "'$status $remote_addr'", "200 1.2.3.4", "1.2.3.4",
		    GW_CLIENT_V4, 0x01020304 },
		{ "'$remote_addr $status'", "10.0.0.1, 10.0.0.2 200",
		    "10.0.0.1", GW_CLIENT_V4, 0x0a000001 },
		{ "'$remote_addr $status'", "010.0.0.1 200", "010.0.0.1",
		    GW_CLIENT_TEXT, 0 },
		{ "'$remote_addr $status'", "10.0.0.256 200", "10.0.0.256",
		    GW_CLIENT_TEXT, 0 },
		{ "'$remote_addr $status'", "2001:db8::1 200", "2001:db8::1",
		    GW_CLIENT_TEXT, 0 },
		{ "'$remote_addr $status'", "1.2.3.4%eth0 200", "1.2.3.4%eth0",
		    GW_CLIENT_TEXT, 0 },
		{ "'$remote_addr $status'", "- 200", NULL, GW_CLIENT_TEXT, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		compile_ok(f, cases[i].fmt, 0);
		parse_ok(f, cases[i].line);
		str_eq(f->ev.client, cases[i].client);
		assert_int_equal(f->ev.client_form, cases[i].form);
		if (cases[i].form == GW_CLIENT_V4)
			assert_int_equal(f->ev.client_v4, cases[i].v4);
	}
}

/*
 * Upstream items of every length from 1 to 40 bytes, two to a list, with
 * the list in the middle of the line and at its very end: the items are
 * cut at ", " and " : " however they fall against 16-byte blocks and the
 * line's end.
 */
static void
test_list_items_any_length(void **state)
{
	struct fixture *f = *state;
	char a[64], b[64], line[256];

	for (int at_end = 0; at_end < 2; at_end++) {
		compile_ok(f, at_end ? "'$status $upstream_status $upstream_addr'" :
		    "'$status $upstream_addr \"$upstream_status\"'", 0);
		for (size_t n = 1; n <= 40; n++) {
			for (size_t i = 0; i < n; i++) {
				a[i] = (char)('a' + i % 26);
				b[i] = (char)('A' + i % 26);
			}
			a[n] = b[n] = '\0';
			if (at_end)
				snprintf(line, sizeof(line), "502 502 : 200 "
				    "%s : %s", a, b);
			else
				snprintf(line, sizeof(line), "502 %s, %s "
				    "\"502, 200\"", a, b);
			parse_ok(f, line);
			assert_int_equal(f->ev.n_attempts, 2);
			str_eq(f->ev.attempts[0].addr, a);
			str_eq(f->ev.attempts[1].addr, b);
			assert_int_equal(f->ev.attempts[1].status, 200);
			assert_int_equal(f->ev.attempts[1].group, at_end);
		}
	}
}

/*
 * Seconds to milliseconds, every digit read ("0.058" has a short way of
 * its own): $request_time and each item of $upstream_response_time.
 */
static void
test_seconds_to_ms(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		int ms;
	} cases[] = {
		{ "0.058", 58 }, { "9.999", 9999 }, { "0.000", 0 },
		{ "1.234", 1234 }, { "5.807", 5807 }, { "12.34", 12340 },
		{ "123.4", 123400 }, { "1.5", 1500 }, { "12", 12000 },
		{ "0.0001", 0 }, { "0.0589", 58 }, { "7", 7000 },
		{ "00.058", 58 }, { "2147483.647", 2147483647 },
		{ "2147483.648", 2147483647 }, { "-", -1 },
	};
	char line[128];

	compile_ok(f, "'$request_time|$upstream_response_time'", 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "%s|%s, %s", cases[i].text,
		    cases[i].text, cases[i].text);
		parse_ok(f, line);
		if (f->ev.request_ms != cases[i].ms)
			fail_msg("%s: %d ms, want %d", cases[i].text,
			    f->ev.request_ms, cases[i].ms);
		assert_int_equal(f->ev.n_attempts, 2);
		assert_int_equal(f->ev.attempts[0].response_ms, cases[i].ms);
		assert_int_equal(f->ev.attempts[1].response_ms, cases[i].ms);
	}
}

/* Two strings equal, both NULL or both the same text. */
static void
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/*
 * Every field but line_no and offset is set by a parse, whatever the
 * event held before (nginx_access.c's take hands it an unzeroed slot).
 */
static void
test_event_overwritten(void **state)
{
	struct fixture *f = *state;
	struct gw_event clean, dirty;
	const char *reason;
	const char *lines[] = {
		"1.2.3.4 - - [25/Nov/2026:10:00:00 +0000] \"GET /a?b=1 HTTP/1.1\" "
		    "200 5 \"-\" \"-\" rt=0.004 uaddr=\"10.0.0.1:80\" us=\"200\" "
		    "uct=\"0.001\" uht=\"0.002\" urt=\"0.003\" rid=abc host=h",
		"- - - [25/Nov/2026:10:00:00 +0000] \"-\" - - \"-\" \"-\" rt=- "
		    "uaddr=\"-\" us=\"-\" uct=\"-\" uht=\"-\" urt=\"-\" rid=- "
		    "host=-",
	};

	compile_ok(f, "'$remote_addr - $remote_user [$time_local] "
	    "\"$request\" $status $body_bytes_sent \"$http_referer\" "
	    "\"$http_user_agent\" rt=$request_time uaddr=\"$upstream_addr\" "
	    "us=\"$upstream_status\" uct=\"$upstream_connect_time\" "
	    "uht=\"$upstream_header_time\" urt=\"$upstream_response_time\" "
	    "rid=$request_id host=$host'", 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		memset(&clean, 0, sizeof(clean));
		memset(&dirty, 0xa5, sizeof(dirty));
		clean.line_no = dirty.line_no = 7;
		clean.offset = dirty.offset = 70;
		assert_int_equal(logformat_parse(f->lf, lines[i],
		    strlen(lines[i]), f->a, &clean, &reason), FORMAT_EVENT);
		assert_int_equal(logformat_parse(f->lf, lines[i],
		    strlen(lines[i]), f->a, &dirty, &reason), FORMAT_EVENT);
		assert_int_equal(clean.ts_ms, dirty.ts_ms);
		assert_int_equal(clean.tz_min, dirty.tz_min);
		assert_int_equal(clean.tz_known, dirty.tz_known);
		same_str(clean.client, dirty.client);
		same_str(clean.method, dirty.method);
		same_str(clean.host, dirty.host);
		same_str(clean.path, dirty.path);
		same_str(clean.query, dirty.query);
		same_str(clean.protocol, dirty.protocol);
		same_str(clean.request_id, dirty.request_id);
		same_str(clean.shape, dirty.shape);
		same_str(clean.origin, dirty.origin);
		assert_int_equal(clean.status, dirty.status);
		assert_int_equal(clean.bytes, dirty.bytes);
		assert_int_equal(clean.request_ms, dirty.request_ms);
		assert_int_equal(clean.cause, dirty.cause);
		assert_int_equal(clean.n_attempts, dirty.n_attempts);
		if (clean.n_attempts == 0)
			assert_null(dirty.attempts);
		assert_int_equal(dirty.line_no, 7);
		assert_int_equal(dirty.offset, 70);
	}
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_builtin_text),
		T(test_combined),
		T(test_upstream_single),
		T(test_upstream_retry),
		T(test_upstream_groups),
		T(test_upstream_dashes_and_odd_lists),
		T(test_request_lines),
		T(test_braces_bare_words_and_strings),
		T(test_unknown_and_private_variables),
		T(test_every_family),
		T(test_times),
		T(test_escape_json),
		T(test_compile_errors),
		T(test_from_conf),
		T(test_bad_lines),
		T(test_no_catastrophic_backtracking),
		T(test_text_from_arg),
		T(test_secrets),
		T(test_gateway_builtins),
		T(test_strings_copied_at_end),
		T(test_strings_past_room),
		T(test_client_form),
		T(test_list_items_any_length),
		T(test_seconds_to_ms),
		T(test_event_overwritten),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
