/*
 * test_lineparse.c - parse/lineparse.c: which parser an input gets, and
 * what each line becomes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse/lineparse.h"
#include "tests/unit/lines.h"

#define MAX_LINES 8

/* Decide the parser for the given lines; NULL with err on failure. */
static struct lineparse *
decide(const struct lineparse_opts *o, const char *const *in, char *err,
    size_t errlen)
{
	const char *lines[MAX_LINES];
	size_t lens[MAX_LINES], n = 0;
	struct lineparse *lp = NULL;

	for (; in[n] != NULL; n++) {
		lines[n] = in[n];
		lens[n] = strlen(in[n]);
	}
	if (lineparse_new(o, lines, lens, n, &lp, err, errlen) != 0)
		return NULL;
	return lp;
}

static const char *const main_lines[] = {
	"10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 502 10 "
	    "\"-\" \"curl\" \"1.2.3.4\"",
	"10.0.0.1 - - [25/Nov/2026:10:00:01 +0000] \"GET /b HTTP/1.1\" 200 10 "
	    "\"-\" \"curl\" \"-\"",
	NULL
};

static void
test_builtin_main(void **state)
{
	struct lineparse_opts o = { .nginx_conf = "/nonexistent/nginx.conf" };
	char err[256];
	struct lineparse *lp = decide(&o, main_lines, err, sizeof(err));

	(void)state;
	assert_non_null(lp);
	assert_string_equal(lineparse_kind(lp), "nginx_access");
	assert_string_equal(lineparse_format(lp), "main");
	lineparse_free(lp);
}

/* Gateways built on nginx, by their default formats. */
static void
test_builtin_gateways(void **state)
{
	static const char *const ingress[] = {
		"10.244.0.1 - - [25/Nov/2026:10:00:00 +0000] \"GET /u HTTP/1.1\" "
		    "502 150 \"-\" \"curl/8.0\" 84 0.004 [default-u-80] [] "
		    "10.0.0.1:8080 0 0.001 502 5f2c0e1a9d8b7c6a5f4e3d2c1b0a9988",
		NULL
	};
	static const char *const apisix[] = {
		"127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] 127.0.0.1:9080 \"GET "
		    "/hello HTTP/1.1\" 502 229 0.003 \"-\" \"curl/7.88.1\" "
		    "127.0.0.1:1980 502 0.002 \"http://127.0.0.1:1980/hello\"",
		NULL
	};
	struct lineparse_opts o = { .nginx_conf = "/nonexistent" };
	char err[256];
	struct lineparse *lp;

	(void)state;
	lp = decide(&o, ingress, err, sizeof(err));
	assert_non_null(lp);
	assert_string_equal(lineparse_format(lp), "ingress-nginx");
	lineparse_free(lp);
	lp = decide(&o, apisix, err, sizeof(err));
	assert_non_null(lp);
	assert_string_equal(lineparse_format(lp), "apisix");
	lineparse_free(lp);
}

static void
test_formats_of_nginx_conf(void **state)
{
	char dir[] = "/tmp/gw-lineparse.XXXXXX", conf[128], inc[128];
	static const char *const lines[] = {
		"10.0.0.2 [25/Nov/2026:10:00:00 +0000] \"GET /x?y=1 HTTP/1.1\" "
		    "502 10.1.1.1:80 502 0.001",
		"10.0.0.2 [25/Nov/2026:10:00:01 +0000] \"GET /x HTTP/1.1\" 200 "
		    "10.1.1.1:80 200 0.002",
		NULL
	};
	struct lineparse_opts o = { 0 };
	struct gw_batch b;
	const char *reason;
	char err[256];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	snprintf(inc, sizeof(inc), "%s/gw.conf", dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "http {\n  log_format other '$remote_addr $status';\n"
	    "  include gw.conf;\n}\n");
	fclose(f);
	f = fopen(inc, "w");
	assert_non_null(f);
	fprintf(f, "log_format gw '$remote_addr [$time_local] \"$request\" "
	    "$status '\n    '$upstream_addr $upstream_status $request_time';\n");
	fclose(f);

	/* Not without the conf: nothing known fits. */
	o.nginx_conf = "/nonexistent/nginx.conf";
	assert_null(decide(&o, lines, err, sizeof(err)));
	assert_non_null(strstr(err, "not a log format"));
	/* Nothing of an unrecognised file is shown: it may be a secret. */
	assert_null(strstr(err, "10.0.0.2"));
	assert_non_null(strstr(err, "no content is shown"));

	o.nginx_conf = conf;
	struct lineparse *lp = decide(&o, lines, err, sizeof(err));
	assert_non_null(lp);
	assert_non_null(strstr(lineparse_format(lp), "gw from "));
	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(lineparse_take(lp, &b, lines[0], strlen(lines[0]),
	    false, 1, 0, &reason), FORMAT_EVENT);
	assert_int_equal(b.events[0].status, 502);
	assert_int_equal(b.events[0].n_attempts, 1);
	assert_string_equal(b.events[0].attempts[0].addr, "10.1.1.1:80");
	assert_string_equal(b.events[0].query, "y=1");
	batch_destroy(&b);
	lineparse_free(lp);
	unlink(inc);
	unlink(conf);
	rmdir(dir);
}

static void
test_take_kinds(void **state)
{
	static const char *const error_lines[] = {
		"2026/11/25 10:15:02 [error] 1#1: *5 connect() failed (111: "
		    "Connection refused) while connecting to upstream, client: "
		    "10.1.2.3, server: a, request: \"GET /v HTTP/1.1\", upstream: "
		    "\"http://10.0.0.5:8080/v\", host: \"a\"",
		NULL
	};
	struct lineparse_opts o = { .nginx_conf = "/nonexistent" };
	struct gw_batch b;
	const char *reason;
	char err[256];
	struct lineparse *lp;

	(void)state;
	assert_int_equal(batch_init(&b), 0);
	/* An error log is recognised even when an access format is forced. */
	o.format = "combined";
	lp = decide(&o, error_lines, err, sizeof(err));
	assert_non_null(lp);
	assert_string_equal(lineparse_kind(lp), "nginx_error");
	assert_int_equal(lineparse_take(lp, &b, error_lines[0],
	    strlen(error_lines[0]), false, 7, 100, &reason), FORMAT_ERROR);
	assert_int_equal(b.errors[0].cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_int_equal(b.errors[0].line_no, 7);
	assert_int_equal(lineparse_take(lp, &b, "", 0, false, 8, 0, &reason),
	    FORMAT_BLANK);
	assert_int_equal(lineparse_take(lp, &b, "junk", 4, false, 9, 300,
	    &reason), FORMAT_REJECT);
	assert_int_equal(b.n_rejects, 1);
	assert_int_equal(b.rejects[0].line_no, 9);
	assert_int_equal(b.rejects[0].offset, 300);
	assert_memory_equal(b.rejects[0].raw, "junk", 4);
	/* A line cut at the reader's limit is a reject, whatever it holds. */
	assert_int_equal(lineparse_take(lp, &b, error_lines[0], 40, true, 10,
	    0, &reason), FORMAT_REJECT);
	assert_string_equal(reason, "line too long");
	lineparse_free(lp);
	batch_destroy(&b);

	/* Unknown forced format: a clear error. */
	o.format = "nosuch";
	assert_null(decide(&o, main_lines, err, sizeof(err)));
	assert_non_null(strstr(err, "nosuch"));
	/* Empty input without a forced format. */
	o.format = NULL;
	static const char *const none[] = { NULL };
	assert_null(decide(&o, none, err, sizeof(err)));
}

/*
 * A JSON gateway can be told to log headers (Traefik's
 * accessLog.fields.headers, Caddy's log_credentials, an Envoy format
 * with %REQ(AUTHORIZATION)%): a line it rejects must not be stored whole
 * when it holds an Authorization or a Cookie member (they are never
 * stored); one without keeps its text for debugging.
 */
static void
test_json_reject_withholds_credentials(void **state)
{
	static const char *const sample[] = {
		"{\"ClientHost\":\"10.1.2.3\",\"DownstreamStatus\":200,"
		    "\"Duration\":1000000,\"OriginStatus\":200,\"RequestMethod\":"
		    "\"GET\",\"RequestPath\":\"/\",\"StartUTC\":"
		    "\"2026-11-25T17:30:00Z\"}",
		NULL
	};
	static const char secret[] = "{\"DownstreamStatus\":200,"
	    "\"RequestMethod\":\"GET\",\"request_Authorization\":"
	    "\"Basic dXNlcjpzM2NyZXQ=\",\"request_Cookie\":\"sid=s3cret\"}";
	static const char plain[] = "{\"DownstreamStatus\":200,"
	    "\"RequestMethod\":\"GET\"}";
	struct lineparse_opts o = { .nginx_conf = "/nonexistent" };
	char err[256];
	struct lineparse *lp = decide(&o, sample, err, sizeof(err));
	struct gw_batch b;
	const char *reason = NULL;

	(void)state;
	assert_non_null(lp);
	assert_string_equal(lineparse_format(lp), "traefik-json");
	assert_int_equal(batch_init(&b), 0);
	/* no StartUTC: both rejected */
	assert_int_equal(lineparse_take(lp, &b, secret, sizeof(secret) - 1,
	    false, 1, 0, &reason), FORMAT_REJECT);
	reason = NULL;
	assert_int_equal(lineparse_take(lp, &b, plain, sizeof(plain) - 1,
	    false, 2, 100, &reason), FORMAT_REJECT);
	assert_int_equal(b.n_rejects, 2);
	assert_null(memmem(b.rejects[0].raw, b.rejects[0].raw_len, "s3cret", 6));
	assert_null(memmem(b.rejects[0].raw, b.rejects[0].raw_len,
	    "dXNlcjpzM2NyZXQ", 15));
	assert_int_equal(b.rejects[1].raw_len, sizeof(plain) - 1);
	assert_memory_equal(b.rejects[1].raw, plain, sizeof(plain) - 1);
	batch_destroy(&b);
	lineparse_free(lp);
}

/* s's length as ev carries it is strlen's (every test string is short). */
static void
check_len(const char *what, const char *s, uint16_t len)
{
	if (s == NULL ? len != 0 : len != strlen(s))
		fail_msg("%s: length %u, strlen %zu", what, (unsigned)len,
		    s != NULL ? strlen(s) : 0);
}

/* What ev carries of its strings (core/event.h) is what they hold. */
static void
check_event_lens(const struct gw_event *ev)
{
	uint32_t v = 0;

	check_len("client", ev->client, ev->client_len);
	check_len("method", ev->method, ev->method_len);
	check_len("host", ev->host, ev->host_len);
	check_len("path", ev->path, ev->path_len);
	check_len("query", ev->query, ev->query_len);
	check_len("protocol", ev->protocol, ev->protocol_len);
	check_len("request_id", ev->request_id, ev->request_id_len);
	check_len("shape", ev->shape, ev->shape_len);
	for (int i = 0; i < ev->n_attempts; i++)
		check_len("addr", ev->attempts[i].addr,
		    ev->attempts[i].addr_len);
	if (ev->client != NULL && event_ipv4(ev->client, strlen(ev->client),
	    &v)) {
		assert_int_equal(ev->client_form, GW_CLIENT_V4);
		assert_int_equal(ev->client_v4, v);
	} else
		assert_int_equal(ev->client_form, GW_CLIENT_TEXT);
}

/* Every line of path through the parser its first lines get; the events'
 * count in *n. */
static void
take_file(const char *path, const struct lineparse_opts *o, size_t *n)
{
	struct lines l;
	struct lineparse *lp = NULL;
	struct gw_batch b;
	const char *reason;
	char err[256];

	lines_read_first(path, &l, LINES_MAX);
	if (lineparse_new(o, (const char *const *)l.v, l.len,
	    l.n < 16 ? l.n : 16, &lp, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	assert_int_equal(batch_init(&b), 0);
	for (size_t i = 0; i < l.n; i++)
		(void)lineparse_take(lp, &b, l.v[i], l.len[i], false, i + 1, 0,
		    &reason);
	for (size_t i = 0; i < b.n_events; i++)
		check_event_lens(&b.events[i]);
	*n = b.n_events;
	batch_destroy(&b);
	lineparse_free(lp);
	lines_free(&l);
}

/*
 * Every event a log format makes carries its strings' lengths and its
 * client's form (event_fill, the nginx parser's own), and they are
 * strlen's and inline.c's reading: the store takes them instead.
 */
static void
test_event_lengths(void **state)
{
	static const char *const files[] = {
		"tests/data/demo/access.log", "tests/data/formats/alb.log",
		"tests/data/formats/caddy.log", "tests/data/formats/clf.log",
		"tests/data/formats/envoy.log",
		"tests/data/formats/envoy-json.log",
		"tests/data/formats/haproxy.log",
		"tests/data/formats/traefik.log",
		"tests/data/formats/traefik-json.log",
	};
	static const char *const odd[] = {
		/* not canonical quads, IPv6, a list, escapes */
		"10.0.0.01 - - [25/Nov/2026:10:00:00 +0000] \"GET /a?x=1 "
		    "HTTP/1.1\" 200 10 \"-\" \"curl\" \"-\"",
		"2001:db8::1 - - [25/Nov/2026:10:00:00 +0000] \"GET /b "
		    "HTTP/1.1\" 200 10 \"-\" \"curl\" \"-\"",
		"256.1.1.1 - - [25/Nov/2026:10:00:00 +0000] \"GET /c\\x41\\x00?"
		    "k=\\x22 HTTP/1.1\" 200 10 \"-\" \"curl\" \"-\"",
		"1.2.3.4 - - [25/Nov/2026:10:00:00 +0000] \"GET /d HTTP/1.1\" "
		    "200 10 \"-\" \"curl\" \"-\"",
		NULL
	};
	struct lineparse_opts o = { .nginx_conf = "/nonexistent" };
	struct lineparse *lp;
	struct gw_batch b;
	const char *reason;
	char err[256];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		take_file(files[i], &o, &n);
		assert_true(n > 0);
	}
	lp = decide(&o, main_lines, err, sizeof(err));
	assert_non_null(lp);
	assert_int_equal(batch_init(&b), 0);
	for (size_t i = 0; odd[i] != NULL; i++)
		assert_int_equal(lineparse_take(lp, &b, odd[i], strlen(odd[i]),
		    false, i + 1, 0, &reason), FORMAT_EVENT);
	for (size_t i = 0; i < b.n_events; i++)
		check_event_lens(&b.events[i]);
	assert_int_equal(b.events[0].client_form, GW_CLIENT_TEXT);
	assert_int_equal(b.events[1].client_form, GW_CLIENT_TEXT);
	assert_int_equal(b.events[2].client_form, GW_CLIENT_TEXT);
	assert_string_equal(b.events[2].path, "/cA\\x00");
	assert_int_equal(b.events[2].path_len, 7);
	assert_int_equal(b.events[3].client_form, GW_CLIENT_V4);
	assert_int_equal(b.events[3].client_v4, 0x01020304);
	assert_int_equal(b.events[3].method_len, 3);
	batch_destroy(&b);
	lineparse_free(lp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_main),
		cmocka_unit_test(test_builtin_gateways),
		cmocka_unit_test(test_formats_of_nginx_conf),
		cmocka_unit_test(test_take_kinds),
		cmocka_unit_test(test_json_reject_withholds_credentials),
		cmocka_unit_test(test_event_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
