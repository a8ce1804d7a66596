/*
 * test_formats.c - the gateway formats of parse/formats.c (HAProxy, Envoy,
 * Envoy JSON, Caddy, Traefik CLF and JSON, ALB, CLF) and their detection.
 *
 * Data-driven: tests/data/formats/NAME.log holds lines of format NAME and
 * NAME.expect one line per log line saying what it must become:
 *
 *   E STATUS CAUSE ATTEMPTS   a request; ATTEMPTS "-" or ADDR=CAUSE,...
 *   G CAUSE UPSTREAM          a gateway error record (UPSTREAM "-": none)
 *   N                         a notice (well-formed, nothing kept)
 *   R                         a rejected line
 *
 * Every line is handed to the format in a heap buffer of exactly its length,
 * without a NUL, so the sanitizer build catches any read past the end.
 * tests/data/formats/README says where each fixture comes from.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/format.h"
#include "parse/jsonlog.h"
#include "parse/lineparse.h"
#include "parse/logformat.h"
#include "parse/nginx_error.h"
#include "core/arena.h"
#include "core/batch.h"
#include "tests/unit/lines.h"

/* Why the last open() failed (see format.h). */
static enum format_result open_why;

#define DATA	"tests/data/formats/"

/* The expect line as text, for messages. */
static char *
str(const struct lines *l, size_t i)
{
	static char buf[512];
	size_t n = l->len[i] < sizeof(buf) - 1 ? l->len[i] : sizeof(buf) - 1;

	memcpy(buf, l->v[i], n);
	buf[n] = '\0';
	return buf;
}

/* "ADDR=CAUSE,..." of ev's attempts ("-" when none) into buf. */
static void
attempts_text(const struct gw_event *ev, char *buf, size_t n)
{
	size_t off = 0;

	if (ev->n_attempts == 0) {
		snprintf(buf, n, "-");
		return;
	}
	buf[0] = '\0';
	for (int i = 0; i < ev->n_attempts && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s=%s",
		    i ? "," : "", ev->attempts[i].addr ? ev->attempts[i].addr :
		    "-", cause_name(ev->attempts[i].cause));
}

/* Feed NAME.log to format name with opts; compare with NAME.expect. */
static void
check_fixture(const char *name, const char *file, const struct format_opts *o)
{
	const struct line_format *f = format_by_name(name);
	struct lines log, exp;
	struct gw_batch b;
	char path[256], err[256], got[1024], want[1024];
	void *st = NULL;

	assert_non_null(f);
	snprintf(path, sizeof(path), DATA "%s.log", file);
	lines_read(path, &log);
	snprintf(path, sizeof(path), DATA "%s.expect", file);
	lines_read(path, &exp);
	assert_int_equal(log.n, exp.n);
	assert_int_equal(batch_init(&b), 0);
	if (f->open != NULL) {
		st = f->open(o, &open_why, err, sizeof(err));
		if (st == NULL)
			fail_msg("%s: open: %s", name, err);
	}
	for (size_t i = 0; i < log.n; i++) {
		const char *reason = NULL;
		size_t ne = b.n_events, nr = b.n_errors;
		enum format_result r = f->take(st, &b, log.v[i], log.len[i],
		    i + 1, 0, &reason);
		char kind = exp.v[i][0];

		snprintf(want, sizeof(want), "%s", str(&exp, i));
		switch (r) {
		case FORMAT_EVENT: {
			const struct gw_event *ev = &b.events[b.n_events - 1];

			assert_int_equal(b.n_events, ne + 1);
			assert_int_equal(ev->line_no, i + 1);
			assert_true(ev->ts_ms > 0);
			attempts_text(ev, got + 512, 512);
			snprintf(got, 512, "E %d %s ", ev->status,
			    cause_name(ev->cause));
			memmove(got + strlen(got), got + 512, strlen(got + 512) + 1);
			break;
		}
		case FORMAT_ERROR: {
			const struct gw_gateway_error *e = &b.errors[b.n_errors - 1];

			assert_int_equal(b.n_errors, nr + 1);
			assert_non_null(e->client);
			snprintf(got, sizeof(got), "G %s %s", cause_name(e->cause),
			    e->upstream ? e->upstream : "-");
			break;
		}
		case FORMAT_NOTICE:
			snprintf(got, sizeof(got), "N");
			break;
		case FORMAT_REJECT:
			assert_non_null(reason);
			snprintf(got, sizeof(got), "R");
			break;
		default:
			fail_msg("%s line %zu: result %d", name, i + 1, (int)r);
		}
		if (strcmp(got, want) != 0)
			fail_msg("%s line %zu (%c): want '%s', got '%s'", file,
			    i + 1, kind, want, got);
	}
	if (f->close != NULL)
		f->close(st);
	batch_destroy(&b);
	lines_free(&log);
	lines_free(&exp);
}

static void
test_haproxy(void **state)
{
	check_fixture("haproxy", "haproxy", NULL);
}

/* With --haproxy-cfg, backend/server becomes the server's address. */
static void
test_haproxy_cfg(void **state)
{
	const struct line_format *f = format_by_name("haproxy");
	struct format_opts o = { .haproxy_cfg = DATA "haproxy.cfg" };
	static const char line[] = "10.0.0.7:41006 [25/Nov/2026:17:27:01.600]"
	    " fe be_api/api2 0/0/1003/2/1006 200 120 - - ---- 1/1/0/0/1 0/0"
	    " \"GET /api/retry HTTP/1.1\"";
	static const char line2[] = "10.0.0.7:41006 [25/Nov/2026:17:27:01.600]"
	    " fe be_api/api1 0/0/-1/-1/3 503 120 - - SC-- 1/1/0/0/0 0/0"
	    " \"GET /api HTTP/1.1\"";
	static const char line3[] = "10.0.0.7:41006 [25/Nov/2026:17:27:01.600]"
	    " fe be_other/x 0/0/1/1/3 200 120 - - ---- 1/1/0/0/0 0/0"
	    " \"GET /api HTTP/1.1\"";
	struct gw_batch b;
	char err[256];
	const char *reason;
	void *st;

	assert_int_equal(batch_init(&b), 0);
	st = f->open(&o, &open_why, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(f->take(st, &b, line, sizeof(line) - 1, 1, 0,
	    &reason), FORMAT_EVENT);
	assert_int_equal(b.events[0].n_attempts, 2);
	/* no redispatch: the retry went to the same server */
	assert_string_equal(b.events[0].attempts[0].addr, "10.0.0.6:8080");
	assert_int_equal(b.events[0].attempts[0].cause, GW_CAUSE_UNKNOWN);
	assert_string_equal(b.events[0].attempts[1].addr, "10.0.0.6:8080");
	assert_int_equal(b.events[0].attempts[1].connect_ms, 1003);
	assert_int_equal(b.events[0].attempts[1].header_ms, 1005);
	assert_int_equal(f->take(st, &b, line2, sizeof(line2) - 1, 2, 0,
	    &reason), FORMAT_EVENT);
	assert_string_equal(b.events[1].attempts[0].addr, "10.0.0.5:8080");
	assert_int_equal(b.events[1].attempts[0].connect_ms, -1);
	assert_int_equal(b.events[1].cause, GW_CAUSE_UPSTREAM_REFUSED);
	/* a server the config does not name keeps backend/server */
	assert_int_equal(f->take(st, &b, line3, sizeof(line3) - 1, 3, 0,
	    &reason), FORMAT_EVENT);
	assert_string_equal(b.events[2].attempts[0].addr, "be_other/x");
	f->close(st);

	o.haproxy_cfg = DATA "no-such-haproxy.cfg";
	assert_null(f->open(&o, &open_why, err, sizeof(err)));
	assert_int_equal(open_why, FORMAT_REJECT);
	assert_non_null(strstr(err, "no-such-haproxy.cfg"));
	batch_destroy(&b);
}

/* Fields of one HAProxy request: time, client, request, timers. */
static void
test_haproxy_fields(void **state)
{
	const struct line_format *f = format_by_name("haproxy");
	struct format_opts o = { .tz_min = 60 };
	static const char line[] = "<134>Nov 25 17:27:01 lb haproxy[1]: "
	    "::1:41007 [25/Nov/2026:17:27:01.700] fe be/s 1/0/0/2/3 200 5 "
	    "- - ---- 1/1/0/0/0 0/0 \"GET /p/q?b=2&a= HTTP/1.1\"";
	struct gw_batch b;
	const char *reason;
	char err[64];
	void *st = f->open(&o, &open_why, err, sizeof(err));
	const struct gw_event *ev;

	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(f->take(st, &b, line, sizeof(line) - 1, 1, 0,
	    &reason), FORMAT_EVENT);
	ev = &b.events[0];
	assert_string_equal(ev->client, "::1");
	assert_string_equal(ev->method, "GET");
	assert_string_equal(ev->path, "/p/q");
	assert_string_equal(ev->query, "b=2&a=");
	assert_string_equal(ev->shape, "a=<empty>&b=<number>");
	assert_string_equal(ev->protocol, "HTTP/1.1");
	assert_int_equal(ev->request_ms, 3);
	assert_int_equal(ev->bytes, 5);
	assert_int_equal(ev->tz_min, 60);
	assert_false(ev->tz_known);
	/* 2026-11-25 17:27:01.700 at +01:00, plus Ta */
	assert_int_equal(ev->ts_ms, INT64_C(1795627621700) - 3600000 + 3);
	f->close(st);
	batch_destroy(&b);
}

static void
test_envoy(void **state)
{
	check_fixture("envoy", "envoy", NULL);
}

static void
test_envoy_json(void **state)
{
	check_fixture("envoy-json", "envoy-json", NULL);
}

static void
test_caddy(void **state)
{
	check_fixture("caddy", "caddy", NULL);
}

/* A Caddy roundtrip error carries what the store joins on. */
static void
test_caddy_error_fields(void **state)
{
	const struct line_format *f = format_by_name("caddy");
	static const char line[] = "{\"level\":\"debug\",\"ts\":1795627546.5,"
	    "\"logger\":\"http.handlers.reverse_proxy\",\"msg\":\"upstream "
	    "roundtrip\",\"upstream\":\"127.0.0.1:9\",\"duration\":0.0004,"
	    "\"request\":{\"remote_ip\":\"10.1.2.3\",\"remote_port\":\"5\","
	    "\"proto\":\"HTTP/1.1\",\"method\":\"GET\",\"host\":\"api\","
	    "\"uri\":\"/a/b?x=1\",\"headers\":{}},\"error\":\"dial tcp "
	    "127.0.0.1:9: connect: connection refused\"}";
	struct gw_batch b;
	const char *reason;
	char err[64];
	void *st = f->open(NULL, &open_why, err, sizeof(err));
	const struct gw_gateway_error *e;

	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(f->take(st, &b, line, sizeof(line) - 1, 1, 0,
	    &reason), FORMAT_ERROR);
	e = &b.errors[0];
	assert_int_equal(e->local_ms, INT64_C(1795627546500));
	assert_int_equal(e->level, 7);
	assert_string_equal(e->client, "10.1.2.3");
	assert_string_equal(e->method, "GET");
	assert_string_equal(e->path, "/a/b");
	assert_string_equal(e->query, "x=1");
	assert_string_equal(e->upstream, "127.0.0.1:9");
	assert_string_equal(e->host, "api");
	assert_int_equal(e->cause, GW_CAUSE_UPSTREAM_REFUSED);
	f->close(st);
	batch_destroy(&b);
}

/* Every length ev carries is its string's strlen (0: not known). */
static void
check_lens(const struct gw_event *ev)
{
	const struct {
		const char *s;
		uint16_t n;
	} f[] = {
		{ ev->client, ev->client_len }, { ev->method, ev->method_len },
		{ ev->host, ev->host_len }, { ev->path, ev->path_len },
		{ ev->query, ev->query_len },
		{ ev->protocol, ev->protocol_len },
		{ ev->request_id, ev->request_id_len },
		{ ev->shape, ev->shape_len },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].s == NULL)
			assert_int_equal(f[i].n, 0);
		else if (f[i].n != 0)
			assert_int_equal(f[i].n, strlen(f[i].s));
	for (int i = 0; i < ev->n_attempts; i++)
		if (ev->attempts[i].addr_len != 0)
			assert_int_equal(ev->attempts[i].addr_len,
			    strlen(ev->attempts[i].addr));
}

/*
 * HAProxy and Caddy's access lines carry the lengths of their strings
 * from the spans they copied, and the client's form, so lineparse_take
 * has no strlen() left to take (event_fill); a line with a NUL in its
 * request (HAProxy writes it as it came; Caddy's JSON has \u0000, which
 * json-c decodes) carries none, for event_fill to take strlen's.
 */
static void
test_formats_carry_lengths(void **state)
{
	static const char hap[] = "10.1.2.3:41007 [25/Nov/2026:17:27:01.700]"
	    " fe be/s 1/0/0/2/3 200 5 - - ---- 1/1/0/0/1 0/0 \"GET "
	    "http://h.example/p/q?b=2&a= HTTP/1.1\"";
	static const char hap_nul[] = "10.1.2.3:41007 [25/Nov/2026:17:27:01.700]"
	    " fe be/s 1/0/0/2/3 200 5 - - ---- 1/1/0/0/0 0/0 \"GET "
	    "/p\0x?b=2 HTTP/1.1\"";
	static const char caddy[] = "{\"level\":\"info\",\"ts\":1795627546.5,"
	    "\"logger\":\"http.log.access.log0\",\"msg\":\"handled "
	    "request\",\"request\":{\"remote_ip\":\"10.1.2.3\","
	    "\"remote_port\":\"5\",\"proto\":\"HTTP/1.1\",\"method\":"
	    "\"GET\",\"host\":\"api\",\"uri\":\"/a/b?x=1\"},\"duration\":"
	    "0.5,\"size\":3,\"status\":200}";
	static const char caddy_nul[] = "{\"level\":\"info\",\"ts\":"
	    "1795627546.5,\"logger\":\"http.log.access.log0\",\"msg\":"
	    "\"handled request\",\"request\":{\"remote_ip\":\"10.1.2.3\","
	    "\"remote_port\":\"5\",\"proto\":\"HTTP/1.1\",\"method\":"
	    "\"GET\",\"host\":\"a\\u0000pi\",\"uri\":\"/a\\u0000b?x=1\"},"
	    "\"status\":200}";
	const struct {
		const char *format, *line;
		size_t len;
		bool carried;
	} c[] = {
		{ "haproxy", hap, sizeof(hap) - 1, true },
		{ "haproxy", hap_nul, sizeof(hap_nul) - 1, false },
		{ "caddy", caddy, sizeof(caddy) - 1, true },
		{ "caddy", caddy_nul, sizeof(caddy_nul) - 1, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const struct line_format *f = format_by_name(c[i].format);
		struct gw_batch b;
		const char *reason;
		char err[64];
		void *st = f->open(NULL, &open_why, err, sizeof(err));
		struct gw_event *ev;

		assert_non_null(st);
		assert_int_equal(batch_init(&b), 0);
		assert_int_equal(f->take(st, &b, c[i].line, c[i].len, 1, 0,
		    &reason), FORMAT_EVENT);
		ev = &b.events[0];
		check_lens(ev);
		assert_non_null(ev->client);
		assert_non_null(ev->path);
		if (c[i].carried) {
			assert_int_equal(ev->client_form, GW_CLIENT_V4);
			assert_int_equal(ev->client_v4, 0x0a010203);
			assert_int_equal(ev->client_len, 8);
			assert_int_equal(ev->method_len, 3);
			assert_int_equal(ev->protocol_len, 8);
			assert_int_equal(ev->path_len, strlen(ev->path));
			assert_int_equal(ev->query_len, strlen(ev->query));
			assert_int_equal(ev->shape_len, strlen(ev->shape));
			assert_int_equal(ev->host_len, strlen(ev->host));
		} else {
			assert_int_equal(ev->client_form, GW_CLIENT_UNSET);
			assert_int_equal(ev->path_len, 0);
			event_fill(ev);		/* lineparse_take's */
			check_lens(ev);
			assert_int_equal(ev->path_len, 2);	/* "/p", "/a" */
		}
		for (int k = 0; k < ev->n_attempts; k++)
			if (c[i].carried)
				assert_int_equal(ev->attempts[k].addr_len,
				    strlen(ev->attempts[k].addr));
		f->close(st);
		batch_destroy(&b);
	}
}

static void
test_traefik(void **state)
{
	check_fixture("traefik", "traefik", NULL);
}

static void
test_traefik_json(void **state)
{
	check_fixture("traefik-json", "traefik-json", NULL);
}

static void
test_alb(void **state)
{
	check_fixture("alb", "alb", NULL);
}

static void
test_clf(void **state)
{
	check_fixture("clf", "clf", NULL);
}

/* got equals want, both NULL included. */
static void
want_str(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/*
 * Issue 15: one request-line rule in every parser. The same absolute-form
 * request through nginx's combined format, CLF, HAProxy and nginx's error
 * log gives the same method, path, query (and host where the parser keeps
 * the request's); origin-form and a garbage line alike.
 */
static void
test_request_line_everywhere(void **state)
{
	static const char *const reqs[][5] = {
		/* request line, method, path, query, host */
		{ "GET http://api.example:8080/v1/x?id=7 HTTP/1.1", "GET",
		    "/v1/x", "id=7", "api.example" },
		{ "GET /v1/x?id=7 HTTP/1.1", "GET", "/v1/x", "id=7", NULL },
		{ "OPTIONS * HTTP/1.1", "OPTIONS", "*", NULL, NULL },
		{ "CONNECT api.example:443 HTTP/1.1", "CONNECT", NULL, NULL,
		    "api.example" },
		{ "GET /old", "GET", "/old", NULL, NULL },
		{ "<BADREQ>", NULL, NULL, NULL, NULL },
	};
	const struct line_format *clf = format_by_name("clf");
	const struct line_format *hap = format_by_name("haproxy");
	struct format_opts o = { .tz_min = 0 };
	struct logformat *lf = NULL;
	struct arena *a = arena_new();
	char err[256], line[512];
	void *clf_st, *hap_st;

	(void)state;
	assert_non_null(a);
	assert_int_equal(logformat_compile(logformat_builtin("combined"), 0,
	    &lf, err, sizeof(err)), 0);
	clf_st = clf->open(&o, &open_why, err, sizeof(err));
	hap_st = hap->open(&o, &open_why, err, sizeof(err));
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		const char *const *w = reqs[i];
		const struct gw_event *evs[3];
		struct gw_event nev;
		struct gw_gateway_error ge;
		struct gw_batch b1, b2;
		const char *reason;
		int n;

		assert_int_equal(batch_init(&b1), 0);
		assert_int_equal(batch_init(&b2), 0);
		memset(&nev, 0, sizeof(nev));
		n = snprintf(line, sizeof(line), "10.0.0.9 - - [10/Oct/2000:"
		    "13:55:36 +0000] \"%s\" 200 5 \"-\" \"-\"", w[0]);
		assert_int_equal(logformat_parse(lf, line, (size_t)n, a, &nev,
		    &reason), 0);
		evs[0] = &nev;
		assert_int_equal(clf->take(clf_st, &b1, line, (size_t)n, 1, 0,
		    &reason), FORMAT_EVENT);
		evs[1] = &b1.events[0];
		n = snprintf(line, sizeof(line), "10.0.0.9:41007 [10/Oct/2000:"
		    "13:55:36.700] fe be/s 1/0/0/2/3 200 5 - - ---- 1/1/0/0/0 "
		    "0/0 \"%s\"", w[0]);
		assert_int_equal(hap->take(hap_st, &b2, line, (size_t)n, 1, 0,
		    &reason), FORMAT_EVENT);
		evs[2] = &b2.events[0];
		for (int k = 0; k < 3; k++) {
			const struct gw_event *ev = evs[k];

			want_str(ev->method, w[1]);
			want_str(ev->path, w[2]);
			want_str(ev->query, w[3]);
			want_str(ev->host, w[4]);
		}
		n = snprintf(line, sizeof(line), "2000/10/10 13:55:36 [error] "
		    "1#1: *5 connect() failed (111: Connection refused) while "
		    "connecting to upstream, client: 10.0.0.9, server: s, "
		    "request: \"%s\", upstream: \"http://10.0.0.5:80/\", "
		    "host: \"h\"", w[0]);
		assert_int_equal(nginx_error_parse(line, (size_t)n, a, &ge,
		    &reason), 1);
		want_str(ge.method, w[1]);
		want_str(ge.path, w[2]);
		want_str(ge.query, w[3]);
		batch_destroy(&b1);
		batch_destroy(&b2);
	}
	clf->close(clf_st);
	hap->close(hap_st);
	logformat_free(lf);
	arena_free(a);
}

/* The format lineparse picks for a file's first lines; NULL = unknown. */
static const char *
detect(const char *file, char *err, size_t errlen)
{
	static char name[64];
	struct lineparse_opts o = { 0 };
	struct lineparse *lp;
	struct lines l;
	const char *lines[64];
	size_t lens[64], n = 0;
	int rc;

	lines_read(file, &l);
	for (size_t i = 0; i < l.n && n < 64; i++) {
		lines[n] = l.v[i];
		lens[n++] = l.len[i];
	}
	rc = lineparse_new(&o, lines, lens, n, &lp, err, errlen);
	lines_free(&l);
	if (rc != 0)
		return NULL;
	snprintf(name, sizeof(name), "%s", lineparse_format(lp));
	lineparse_free(lp);
	return name;
}

/*
 * A directory of every fixture: each file is detected as its own format
 * (HAProxy in syslog form, Caddy access + runtime mixed, Traefik's CLF not
 * taken for nginx's combined, Apache combined through nginx's combined),
 * and a file of another format entirely is refused with a sample line.
 */
static void
test_detect(void **state)
{
	static const struct {
		const char *file, *format;
	} cases[] = {
		{ "haproxy.log", "haproxy" },
		{ "envoy.log", "envoy" },
		{ "envoy-json.log", "envoy-json" },
		{ "caddy.log", "caddy" },
		{ "traefik.log", "traefik" },
		{ "traefik-json.log", "traefik-json" },
		{ "alb.log", "alb" },
		{ "clf.log", "clf" },
		{ "apache-combined.log", "combined" },
		{ "other.txt", NULL },
	};
	char path[256], err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		snprintf(path, sizeof(path), DATA "%s", cases[i].file);
		err[0] = '\0';
		got = detect(path, err, sizeof(err));
		if (cases[i].format == NULL) {
			if (got != NULL)
				fail_msg("%s: detected as %s", path, got);
			/* Refused without showing any of its content. */
			assert_non_null(strstr(err, "no content is shown"));
			assert_null(strstr(err, "id,name,price"));
			continue;
		}
		if (got == NULL || strcmp(got, cases[i].format) != 0)
			fail_msg("%s: want %s, got %s (%s)", path,
			    cases[i].format, got ? got : "none", err);
	}
}

/* No format's match takes another format's lines. */
static void
test_match_exclusive(void **state)
{
	static const char *const files[] = { "haproxy", "envoy", "envoy-json",
	    "caddy", "traefik-json", "alb", "clf", NULL };

	for (size_t i = 0; files[i] != NULL; i++) {
		struct lines l;
		char path[256];

		snprintf(path, sizeof(path), DATA "%s.log", files[i]);
		lines_read(path, &l);
		for (size_t f = 0; gw_line_formats[f] != NULL; f++) {
			const struct line_format *lf = gw_line_formats[f];
			char err[256];
			void *st;

			if (strcmp(lf->name, files[i]) == 0)
				continue;
			st = lf->open ? lf->open(NULL, &open_why, err,
			    sizeof(err)) : NULL;
			if (lf->open != NULL && st == NULL)
				fail_msg("%s: open: %s", lf->name, err);
			for (size_t k = 0; k < l.n; k++)
				if (lf->match(st, l.v[k], l.len[k]) !=
				    FORMAT_REJECT)
					fail_msg("%s matches %s line %zu",
					    lf->name, files[i], k + 1);
			if (lf->close != NULL)
				lf->close(st);
		}
		lines_free(&l);
	}
}

/* Take one line (in an exact-length heap buffer) with format name. */
static enum format_result
take_one(const char *name, struct gw_batch *b, const char *line)
{
	const struct line_format *f = format_by_name(name);
	size_t n = strlen(line);
	char *p = malloc(n), err[64];
	const char *reason = NULL;
	void *st = f->open ? f->open(NULL, &open_why, err, sizeof(err)) : NULL;
	enum format_result r;

	memcpy(p, line, n);
	r = f->take(st, b, p, n, 1, 0, &reason);
	if (f->close)
		f->close(st);
	free(p);
	return r;
}

/*
 * Numbers from JSON lines beyond what a time or a duration can be: no
 * overflow when added to a time, no out-of-range conversion.
 */
static void
test_json_huge_numbers(void **state)
{
	static const char *const bad[] = { "{\"a\":1e300}", "{\"a\":-1e300}",
	    "{\"a\":9223372036854775807}", "{\"a\":-9223372036854775807}",
	    "{\"a\":1e19}" };
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	struct gw_batch b;
	int64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = jsonlog_parse(tok, bad[i], strlen(bad[i]));
		assert_non_null(o);
		assert_false(jsonlog_int(o, "a", &v));
		json_object_put(o);
	}
	o = jsonlog_parse(tok, "{\"a\":1700000000123}", 19);
	assert_non_null(o);
	assert_true(jsonlog_int(o, "a", &v));
	assert_int_equal(v, INT64_C(1700000000123));
	json_object_put(o);
	json_tokener_free(tok);

	assert_int_equal(batch_init(&b), 0);
	/* Envoy: a duration past int64 leaves the start time alone */
	assert_int_equal(take_one("envoy-json", &b, "{\"start_time\":"
	    "\"2024-01-01T00:00:00.000Z\",\"response_code\":200,"
	    "\"response_flags\":\"-\",\"duration\":9223372036854775807}"),
	    FORMAT_EVENT);
	assert_int_equal(b.events[0].ts_ms, INT64_C(1704067200000));
	assert_int_equal(b.events[0].request_ms, -1);
	/* Caddy: a duration past INT_MAX ms is clamped, not wrapped */
	assert_int_equal(take_one("caddy", &b, "{\"level\":\"info\","
	    "\"ts\":1700000000,\"logger\":\"http.log.access\",\"msg\":"
	    "\"handled request\",\"request\":{\"remote_ip\":\"1.2.3.4\"},"
	    "\"status\":200,\"duration\":9000000}"), FORMAT_EVENT);
	assert_int_equal(b.events[1].request_ms, INT_MAX);
	assert_int_equal(take_one("caddy", &b, "{\"level\":\"info\","
	    "\"ts\":1700000000,\"logger\":\"http.log.access\",\"msg\":"
	    "\"handled request\",\"request\":{\"remote_ip\":\"1.2.3.4\"},"
	    "\"status\":200,\"duration\":\"9000000000ms\"}"), FORMAT_EVENT);
	assert_int_equal(b.events[2].request_ms, INT_MAX);
	batch_destroy(&b);
}

/* Every line of path through one state of format name, into b. */
static void
take_file(const char *name, const char *path, struct gw_batch *b,
    enum format_result *res, size_t cap)
{
	const struct line_format *f = format_by_name(name);
	struct lines l;
	char err[64];
	void *st;

	assert_non_null(f);
	st = f->open(NULL, &open_why, err, sizeof(err));
	assert_non_null(st);
	lines_read(path, &l);
	assert_true(l.n <= cap);
	for (size_t i = 0; i < l.n; i++) {
		const char *reason = NULL;

		res[i] = f->take(st, b, l.v[i], l.len[i], i + 1, 0, &reason);
	}
	f->close(st);
	lines_free(&l);
}

/*
 * Traefik ForwardAuth (issue 10, auth subrequests): when the auth
 * service cannot be reached (500) or answers non-2xx (passed on), the
 * request never reaches the router's service; Traefik's debug log line
 * before the access line names the auth service. The request is
 * auth_failure with the auth service as its attempt, never a failure of
 * the route's upstream. Without such a line a 500 stays unknown.
 */
static void
test_traefik_forward_auth(void **state)
{
	struct gw_batch b;
	enum format_result r[16];
	const struct gw_event *e;

	assert_int_equal(batch_init(&b), 0);
	take_file("traefik-json", "tests/data/formats/traefik-forwardauth.log",
	    &b, r, 16);
	/* Traefik's own lines are notices, not rejects */
	assert_int_equal(r[0], FORMAT_NOTICE);
	assert_int_equal(r[2], FORMAT_NOTICE);
	assert_int_equal(r[4], FORMAT_NOTICE);
	assert_int_equal(r[8], FORMAT_NOTICE);	/* another of its lines */
	for (size_t i = 0; i < 9; i++)
		assert_int_not_equal(r[i], FORMAT_REJECT);
	assert_int_equal(b.n_events, 5);
	/* auth service refused: Traefik's 500 */
	e = &b.events[0];
	assert_int_equal(e->status, 500);
	assert_int_equal(e->cause, GW_CAUSE_AUTH_FAILURE);
	assert_int_equal(e->n_attempts, 1);
	assert_string_equal(e->attempts[0].addr, "127.0.0.1:9001");
	assert_int_equal(e->attempts[0].status, -1);
	assert_int_equal(e->attempts[0].cause, GW_CAUSE_AUTH_FAILURE);
	/* denied: the auth service's 401 passed on */
	e = &b.events[1];
	assert_int_equal(e->status, 401);
	assert_int_equal(e->cause, GW_CAUSE_AUTH_FAILURE);
	assert_int_equal(e->n_attempts, 1);
	assert_string_equal(e->attempts[0].addr, "127.0.0.1:9001");
	assert_int_equal(e->attempts[0].status, 401);
	/* Traefik v2's form; the auth service's own 503 */
	e = &b.events[2];
	assert_int_equal(e->status, 503);
	assert_int_equal(e->cause, GW_CAUSE_AUTH_FAILURE);
	assert_int_equal(e->n_attempts, 1);
	assert_string_equal(e->attempts[0].addr, "auth:4181");
	assert_int_equal(e->attempts[0].status, 503);
	/* through the auth to the service: its upstream, as before */
	e = &b.events[3];
	assert_int_equal(e->cause, GW_CAUSE_OK);
	assert_int_equal(e->n_attempts, 1);
	assert_string_equal(e->attempts[0].addr, "10.0.0.5:8080");
	/* a 500 of no service with nothing to say it was the auth */
	e = &b.events[4];
	assert_int_equal(e->cause, GW_CAUSE_UNKNOWN);
	assert_int_equal(e->n_attempts, 0);
	batch_destroy(&b);
}

/* lines[0..n) through one state of format name, into b. */
static void
take_lines(const char *name, struct gw_batch *b, const char *const *lines,
    size_t n, enum format_result *res)
{
	const struct line_format *f = format_by_name(name);
	char err[64];
	void *st;

	assert_non_null(f);
	st = f->open(NULL, &open_why, err, sizeof(err));
	assert_non_null(st);
	for (size_t i = 0; i < n; i++) {
		const char *reason = NULL;
		size_t len = strlen(lines[i]);
		char *p = malloc(len);	/* not NUL-terminated, as read */

		assert_non_null(p);
		memcpy(p, lines[i], len);
		res[i] = f->take(st, b, p, len, i + 1, 0, &reason);
		free(p);
	}
	f->close(st);
}

/*
 * ForwardAuth also logs "Remote error" for the auth service's redirects
 * (302 to a login page: every unauthenticated browser request behind
 * oauth2-proxy). Such an answer is never auth_failure (only 4xx/5xx are
 * taken), so it must not hold a place in the bounded ring: 64 of them
 * between a denial's debug line and its access line once pushed the
 * denial out, and the 401 stayed a plain 401 with no attempt.
 */
static void
test_traefik_forward_auth_redirects(void **state)
{
	static const char deny[] = "{\"level\":\"debug\",\"middlewareName\":"
	    "\"auth@file\",\"middlewareType\":\"ForwardAuth\",\"time\":"
	    "\"2026-11-25T17:30:01Z\",\"message\":\"Remote error "
	    "http://127.0.0.1:9001/verify. StatusCode: 401\"}";
	static const char redirect[] = "{\"level\":\"debug\",\"middlewareName\":"
	    "\"auth@file\",\"middlewareType\":\"ForwardAuth\",\"time\":"
	    "\"2026-11-25T17:30:01Z\",\"message\":\"Remote error "
	    "http://127.0.0.1:9001/verify. StatusCode: 302\"}";
	static const char access[] = "{\"ClientHost\":\"10.1.2.4\","
	    "\"DownstreamContentSize\":13,\"DownstreamStatus\":401,"
	    "\"Duration\":2100000,\"OriginStatus\":0,\"RequestHost\":"
	    "\"app.example.com\",\"RequestMethod\":\"GET\",\"RequestPath\":"
	    "\"/private\",\"RequestProtocol\":\"HTTP/1.1\",\"RouterName\":"
	    "\"app@docker\",\"StartUTC\":\"2026-11-25T17:30:01.000Z\"}";
	const char *lines[2 + 100];
	enum format_result r[2 + 100];
	struct gw_batch b;
	const struct gw_event *e;
	size_t n = 0;

	lines[n++] = deny;
	for (int i = 0; i < 100; i++)
		lines[n++] = redirect;
	lines[n++] = access;
	assert_int_equal(batch_init(&b), 0);
	take_lines("traefik-json", &b, lines, n, r);
	assert_int_equal(b.n_events, 1);
	e = &b.events[0];
	assert_int_equal(e->status, 401);
	assert_int_equal(e->cause, GW_CAUSE_AUTH_FAILURE);
	assert_int_equal(e->n_attempts, 1);
	assert_string_equal(e->attempts[0].addr, "127.0.0.1:9001");
	assert_int_equal(e->attempts[0].status, 401);
	batch_destroy(&b);
}

/*
 * A URL Traefik logs may carry credentials (a ForwardAuth address or a
 * server URL written http://user:password@host/): Go's client sends them
 * as Basic auth. The attempt's address is the host and port alone; the
 * credentials are never stored (Authorization never is).
 */
static void
test_traefik_url_credentials(void **state)
{
	static const char *const lines[] = {
		"{\"level\":\"debug\",\"middlewareName\":\"auth@file\","
		"\"middlewareType\":\"ForwardAuth\",\"time\":"
		"\"2026-11-25T17:30:01Z\",\"message\":\"Remote error "
		"http://gw:s3cret@auth:9000/verify. StatusCode: 401\"}",
		"{\"ClientHost\":\"10.1.2.4\",\"DownstreamStatus\":401,"
		"\"Duration\":2100000,\"OriginStatus\":0,\"RequestHost\":"
		"\"app.example.com\",\"RequestMethod\":\"GET\",\"RequestPath\":"
		"\"/private\",\"RequestProtocol\":\"HTTP/1.1\",\"StartUTC\":"
		"\"2026-11-25T17:30:01.000Z\"}",
		"{\"ClientHost\":\"10.1.2.5\",\"DownstreamStatus\":200,"
		"\"Duration\":2100000,\"OriginStatus\":200,\"RequestHost\":"
		"\"app.example.com\",\"RequestMethod\":\"GET\",\"RequestPath\":"
		"\"/\",\"RequestProtocol\":\"HTTP/1.1\",\"ServiceName\":"
		"\"app@file\",\"ServiceURL\":\"http://svc:pa@ss@10.0.0.5:8080/\","
		"\"StartUTC\":\"2026-11-25T17:30:02.000Z\"}",
	};
	enum format_result r[3];
	struct gw_batch b;

	assert_int_equal(batch_init(&b), 0);
	take_lines("traefik-json", &b, lines, 3, r);
	assert_int_equal(b.n_events, 2);
	assert_int_equal(b.events[0].cause, GW_CAUSE_AUTH_FAILURE);
	assert_int_equal(b.events[0].n_attempts, 1);
	assert_string_equal(b.events[0].attempts[0].addr, "auth:9000");
	assert_int_equal(b.events[1].n_attempts, 1);
	assert_string_equal(b.events[1].attempts[0].addr, "10.0.0.5:8080");
	batch_destroy(&b);
}

/*
 * The JSON formats read a status as a 64-bit number, the event keeps an
 * int: 4294967796 (2^32 + 500) once became a 500 of cause ok. A status
 * outside 0..999 is a broken line, rejected. Traefik's OriginDuration
 * past INT_MAX ms once wrapped to a negative response time; it is
 * clamped as every other duration (logscan_ms).
 */
static void
test_json_status_range(void **state)
{
	struct gw_batch b;

	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(take_one("traefik-json", &b, "{\"DownstreamStatus\":"
	    "4294967796,\"OriginStatus\":0,\"RequestMethod\":\"GET\","
	    "\"StartUTC\":\"2026-11-25T17:30:01.000Z\"}"), FORMAT_REJECT);
	assert_int_equal(take_one("envoy-json", &b, "{\"start_time\":"
	    "\"2026-11-25T17:30:01.000Z\",\"response_code\":4294967796,"
	    "\"response_flags\":\"-\"}"), FORMAT_REJECT);
	assert_int_equal(take_one("envoy-json", &b, "{\"start_time\":"
	    "\"2026-11-25T17:30:01.000Z\",\"response_code\":-1,"
	    "\"response_flags\":\"-\"}"), FORMAT_REJECT);
	assert_int_equal(take_one("caddy", &b, "{\"level\":\"info\","
	    "\"ts\":1700000000,\"logger\":\"http.log.access\",\"msg\":"
	    "\"handled request\",\"request\":{\"remote_ip\":\"1.2.3.4\"},"
	    "\"status\":4294967796}"), FORMAT_REJECT);
	assert_int_equal(b.n_events, 0);
	/* in range, 0 too (Envoy: no response at all) */
	assert_int_equal(take_one("envoy-json", &b, "{\"start_time\":"
	    "\"2026-11-25T17:30:01.000Z\",\"response_code\":0,"
	    "\"response_flags\":\"DC\"}"), FORMAT_EVENT);
	assert_int_equal(take_one("traefik-json", &b, "{\"DownstreamStatus\":"
	    "200,\"OriginStatus\":200,\"OriginDuration\":3000000000000000,"
	    "\"RequestMethod\":\"GET\",\"ServiceURL\":\"http://10.0.0.5:80\","
	    "\"StartUTC\":\"2026-11-25T17:30:01.000Z\"}"), FORMAT_EVENT);
	assert_int_equal(b.n_events, 2);
	assert_int_equal(b.events[1].n_attempts, 1);
	assert_int_equal(b.events[1].attempts[0].response_ms, INT_MAX);
	batch_destroy(&b);
}

/*
 * Envoy Gateway's default JSON access log names some members after the
 * headers (":authority", "x-envoy-origin-path", "x-request-id", ...).
 * ext_authz answers (UAEX: the auth service failed, ext_authz_error, or
 * denied) are auth_failure and never an attempt of the route's cluster.
 */
static void
test_envoy_gateway_json(void **state)
{
	struct gw_batch b;
	enum format_result r[8];
	const struct gw_event *e;

	assert_int_equal(batch_init(&b), 0);
	take_file("envoy-json", "tests/data/formats/envoy-gateway.log", &b, r,
	    8);
	assert_int_equal(b.n_events, 3);
	for (size_t i = 0; i < 3; i++) {
		e = &b.events[i];
		assert_string_equal(e->host, "www.example.com");
		assert_string_equal(e->path, "/get");
		assert_string_equal(e->client, "172.18.0.1");
		assert_non_null(e->request_id);
	}
	e = &b.events[0];
	assert_string_equal(e->request_id,
	    "b1c5e8f2-5d0e-4b0b-9f1a-3c4d5e6f7a8b");
	assert_string_equal(e->query, "x=1");
	assert_int_equal(e->status, 403);
	assert_int_equal(e->cause, GW_CAUSE_AUTH_FAILURE);
	assert_int_equal(e->n_attempts, 0);
	e = &b.events[1];
	assert_int_equal(e->cause, GW_CAUSE_AUTH_FAILURE);
	assert_int_equal(e->n_attempts, 0);
	e = &b.events[2];
	assert_int_equal(e->cause, GW_CAUSE_OK);
	assert_int_equal(e->n_attempts, 1);
	assert_string_equal(e->attempts[0].addr, "10.244.0.15:3000");
	assert_int_equal(e->attempts[0].header_ms, 5);
	batch_destroy(&b);
}

/*
 * Envoy's text format does not escape quotes: a field holding `" "` must
 * not shift the fields Envoy writes itself (issue 16, finding 4). The
 * User-Agent below once made the request a 503 upstream_refused blamed on
 * 10.9.9.9:443 with its request id lost.
 */
static void
test_envoy_quote_in_field(void **state)
{
	const char *head = "[2026-11-25T17:30:00.000Z] \"GET /api/v1/users?id=7 "
	    "HTTP/1.1\" 200 - via_upstream - \"-\" 0 512 12 11 \"10.1.2.3\" ";
	const char *tail = " \"req-1\" \"api.example.com\" \"10.0.0.5:8080\" "
	    "outbound|8080||api 10.0.0.1:50000 10.0.0.1:10000 10.1.2.3:40000 - "
	    "default";
	char line[1024];
	struct gw_batch b;
	const struct gw_event *ev;

	(void)state;
	assert_int_equal(batch_init(&b), 0);
	/* the issue's User-Agent, and one ending in a backslash */
	snprintf(line, sizeof(line), "%s\"x\" \"-\" \"-\" \"10.9.9.9:443\"%s",
	    head, tail);
	assert_int_equal(take_one("envoy", &b, line), FORMAT_EVENT);
	snprintf(line, sizeof(line), "%s\"x\\\"%s", head, tail);
	assert_int_equal(take_one("envoy", &b, line), FORMAT_EVENT);
	assert_int_equal(b.n_events, 2);
	for (int i = 0; i < 2; i++) {
		ev = &b.events[i];
		assert_int_equal(ev->status, 200);
		assert_int_equal(ev->cause, GW_CAUSE_OK);
		assert_string_equal(ev->request_id, "req-1");
		assert_string_equal(ev->host, "api.example.com");
		assert_string_equal(ev->client, "10.1.2.3");
		assert_int_equal(ev->n_attempts, 1);
		assert_string_equal(ev->attempts[0].addr, "10.0.0.5:8080");
	}

	/* a User-Agent that writes a whole second set of fixed fields: two
	 * readings, rejected with a reason that names envoy-json */
	batch_clear(&b);
	snprintf(line, sizeof(line), "%s\"x\" 503 UF a - \"r\" 0 0 0 - "
	    "\"10.9.9.9\" \"y\"%s", head, tail);
	{
		const struct line_format *f = format_by_name("envoy");
		const char *reason = NULL;
		size_t n = strlen(line);
		char *p = malloc(n);

		memcpy(p, line, n);
		assert_int_equal(f->take(NULL, &b, p, n, 1, 0, &reason),
		    FORMAT_REJECT);
		assert_non_null(strstr(reason, "ambiguous"));
		assert_non_null(strstr(reason, "envoy-json"));
		assert_int_equal(f->match(NULL, p, n), FORMAT_REJECT);
		free(p);
	}
	/* a path that forges them: the same */
	snprintf(line, sizeof(line), "[2026-11-25T17:30:00.000Z] \"GET /a "
	    "HTTP/1.1\" 503 UF a - \"r\" 0 0 0 - \"1.1.1.1\" \"u\" \"i\" \"h\" "
	    "\"10.9.9.9:443\" x \"x HTTP/1.1\" 200 - via_upstream - \"-\" 0 512 "
	    "12 11 \"10.1.2.3\" \"curl\"%s", tail);
	assert_int_equal(take_one("envoy", &b, line), FORMAT_REJECT);
	/* quotes in the User-Agent with an X-Forwarded-For that is not an
	 * address list: where one ends and the other starts is a guess */
	snprintf(line, sizeof(line), "[2026-11-25T17:30:00.000Z] \"GET /a "
	    "HTTP/1.1\" 200 - via_upstream - \"-\" 0 512 12 11 \"for=x\" \"c\" "
	    "\"d\"%s", tail);
	assert_int_equal(take_one("envoy", &b, line), FORMAT_REJECT);
	assert_int_equal(b.n_events, 0);
	batch_destroy(&b);
}

/* Any bytes: no crash, no read past the end, and nothing matched. */
static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"", "{", "[", "\"", "{\"level\":\"", "[2026-11-25T17:30:00.000Z] \"",
		"1.2.3.4:5 [", "http 2026-11-25T17:30:00Z", "a - - [", "{}",
		"{\"response_flags\":\"UF\",\"response_code\":1}",
	};
	struct gw_batch b;

	assert_int_equal(batch_init(&b), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);

		for (size_t cut = 0; cut <= n; cut++) {
			char *p = malloc(cut ? cut : 1);

			memcpy(p, bad[i], cut);
			for (size_t f = 0; gw_line_formats[f] != NULL; f++) {
				const struct line_format *lf = gw_line_formats[f];
				const char *reason = NULL;
				char err[64];
				void *st = lf->open ? lf->open(NULL,
				    &open_why, err, sizeof(err)) : NULL;
				enum format_result r;

				r = lf->match(st, p, cut);
				assert_true(r == FORMAT_EVENT ||
				    r == FORMAT_REJECT);
				r = lf->take(st, &b, p, cut, 1, 0, &reason);
				assert_true(r == FORMAT_REJECT ||
				    r == FORMAT_NOTICE);
				if (lf->close)
					lf->close(st);
			}
			free(p);
		}
	}
	batch_destroy(&b);
}

/* Durations beyond an int are clamped, negatives are "none". */
static void
test_duration_clamp(void **state)
{
	(void)state;
	assert_int_equal(logscan_ms(-5), -1);
	assert_int_equal(logscan_ms(0), 0);
	assert_int_equal(logscan_ms(1234), 1234);
	assert_int_equal(logscan_ms((int64_t)1 << 40), INT32_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_haproxy),
		cmocka_unit_test(test_haproxy_cfg),
		cmocka_unit_test(test_haproxy_fields),
		cmocka_unit_test(test_envoy),
		cmocka_unit_test(test_envoy_json),
		cmocka_unit_test(test_envoy_quote_in_field),
		cmocka_unit_test(test_envoy_gateway_json),
		cmocka_unit_test(test_traefik_forward_auth),
		cmocka_unit_test(test_traefik_forward_auth_redirects),
		cmocka_unit_test(test_traefik_url_credentials),
		cmocka_unit_test(test_json_status_range),
		cmocka_unit_test(test_caddy),
		cmocka_unit_test(test_caddy_error_fields),
		cmocka_unit_test(test_formats_carry_lengths),
		cmocka_unit_test(test_traefik),
		cmocka_unit_test(test_traefik_json),
		cmocka_unit_test(test_alb),
		cmocka_unit_test(test_clf),
		cmocka_unit_test(test_request_line_everywhere),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_match_exclusive),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_json_huge_numbers),
		cmocka_unit_test(test_duration_clamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
