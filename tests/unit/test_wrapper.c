/*
 * test_wrapper.c - parse/wrapper.c (transport wrappers peeled per line)
 * and what parse/lineparse.c makes of whole wrapped inputs.
 *
 * The peel cases are single lines with what must come out (payload, host,
 * tag, stream). The fixtures are data: tests/data/formats/wrapped/NAME.log
 * goes through lineparse (detection over its first lines, then every line)
 * and NAME.expect says what each line must become:
 *
 *   E STATUS CAUSE ATTEMPTS [@HOST]   a request (ATTEMPTS "-" or ADDR=CAUSE,..)
 *   G CAUSE UPSTREAM [@HOST]          a gateway error record
 *   N                                 a notice
 *   R                                 a reject
 *   H                                 a partial record, held to be joined
 *
 * "@HOST" checks the host the wrapper named. Each line is given in a heap
 * buffer of exactly its length so the sanitizers catch a read past it.
 * tests/data/formats/README says where each fixture comes from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/lineparse.h"
#include "parse/wrapper.h"
#include "tests/unit/lines.h"

#define DATA	"tests/data/formats/wrapped/"

/* Peel s in an exact-size heap copy; the payload returned as a string. */
static enum wrap_result
peel(struct wrapper *w, const char *s, struct wrapped *out, char *payload,
    size_t cap, char *host, char *tag)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	enum wrap_result r;

	assert_non_null(copy);
	memcpy(copy, s, n);
	r = wrapper_peel(w, copy, n, out);
	snprintf(payload, cap, "%.*s", (int)out->len, out->p);
	snprintf(host, 256, "%.*s", out->host ? (int)out->host_len : 1,
	    out->host ? out->host : "-");
	snprintf(tag, 256, "%.*s", out->tag ? (int)out->tag_len : 1,
	    out->tag ? out->tag : "-");
	free(copy);
	return r;
}

/* One line per wrapper, and lines that must come back untouched. */
static void
test_peel_cases(void **state)
{
	static const struct {
		const char *in, *payload, *host, *tag;
		int stream;
		unsigned layers;
	} cases[] = {
		{ "<190>Dec  6 12:00:00 web01 nginx: 1.2.3.4 - - x", "1.2.3.4 - - x",
		    "web01", "nginx", 0, WRAP_SYSLOG },
		{ "<134>Feb  6 12:14:14 haproxy[1]: 10.0.0.1:5 [x", "10.0.0.1:5 [x",
		    "-", "haproxy", 0, WRAP_SYSLOG },
		{ "<30>10.0.0.1:5 [x] y", "10.0.0.1:5 [x] y", "-", "-", 0,
		    WRAP_SYSLOG },
		{ "Dec 16 12:00:00 gw nginx[12]: hello", "hello", "gw", "nginx", 0,
		    WRAP_SYSLOG },
		{ "2026-12-06T12:00:00.123456+01:00 gw nginx: hi", "hi", "gw",
		    "nginx", 0, WRAP_SYSLOG },
		{ "2026-12-06T12:00:00+0100 gw traefik[5]: hi", "hi", "gw",
		    "traefik", 0, WRAP_SYSLOG },
		{ "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog"
		    " - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\]\"]"
		    " \xEF\xBB\xBF" "An application event", "An application event",
		    "mymachine.example.com", "evntslog", 0, WRAP_RFC5424 },
		{ "<34>1 2003-10-11T22:14:15.003Z - su - ID47 - msg", "msg", "-",
		    "su", 0, WRAP_RFC5424 },
		{ "2023-12-15T02:27:16.1Z stdout F 1.2.3.4 - -", "1.2.3.4 - -", "-",
		    "-", 1, WRAP_CRI },
		{ "2023-12-15T02:27:16.1Z stderr F ", "", "-", "-", 2, WRAP_CRI },
		{ "{\"log\":\"a \\\"b\\\" \\u00e9\\ud83d\\ude00\\n\",\"stream\":"
		    "\"stderr\",\"time\":\"x\"}", "a \"b\" \xC3\xA9\xF0\x9F\x98\x80",
		    "-", "-", 2, WRAP_DOCKER },
		{ "{\"__CURSOR\":\"c\",\"MESSAGE\":[104,105],\"_HOSTNAME\":\"h\"}",
		    "hi", "h", "-", 0, WRAP_JOURNAL },
		{ "nginx-1  | 1.2.3.4 - -", "1.2.3.4 - -", "-", "nginx-1", 0,
		    WRAP_COMPOSE },
		{ "\x1b[36mweb_1 |\x1b[0m x", "x", "-", "web_1", 0, WRAP_COMPOSE },
		{ "web-1  | 2024-04-25T05:32:35.018Z x", "x", "-", "web-1", 0,
		    WRAP_COMPOSE | WRAP_DOCKER },
		{ "\xEF\xBB\xBF" "10.0.0.1 - -", "10.0.0.1 - -", "-", "-", 0,
		    WRAP_BOM },
		/* untouched: gateway lines of their own */
		{ "10.0.0.1 - - [06/Dec/2026:12:00:00 +0000] \"GET / HTTP/1.1\"",
		    "10.0.0.1 - - [06/Dec/2026:12:00:00 +0000] \"GET / HTTP/1.1\"",
		    "-", "-", 0, 0 },
		{ "2026/12/06 12:00:00 [error] 1#1: *1 x", "2026/12/06 12:00:00 "
		    "[error] 1#1: *1 x", "-", "-", 0, 0 },
		{ "{\"level\":\"info\",\"ts\":1}", "{\"level\":\"info\",\"ts\":1}",
		    "-", "-", 0, 0 },
		{ "2026-12-06T12:00:00+00:00 10.0.0.1 GET /", "2026-12-06T12:00:00"
		    "+00:00 10.0.0.1 GET /", "-", "-", 0, 0 },
		{ "Dec  6 12:00:00 not a tag here", "Dec  6 12:00:00 not a tag "
		    "here", "-", "-", 0, 0 },
		{ "<99999>x", "<99999>x", "-", "-", 0, 0 },
		{ "2023-12-15T02:27:16.1Z stdout X y", "2023-12-15T02:27:16.1Z "
		    "stdout X y", "-", "-", 0, 0 },
		{ "{\"log\":\"\\q\\n\"}", "{\"log\":\"\\q\\n\"}", "-", "-", 0, 0 },
		{ "<", "<", "-", "-", 0, 0 },
		{ "nginx-1  |", "", "-", "nginx-1", 0, WRAP_COMPOSE },
	};
	struct wrapper *w = wrapper_new(1024);
	char payload[512], host[256], tag[256];

	assert_non_null(w);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wrapped out;

		assert_int_equal(peel(w, cases[i].in, &out, payload,
		    sizeof(payload), host, tag), WRAP_LINE);
		if (strcmp(payload, cases[i].payload) != 0 ||
		    strcmp(host, cases[i].host) != 0 ||
		    strcmp(tag, cases[i].tag) != 0 ||
		    out.stream != cases[i].stream ||
		    out.layers != cases[i].layers)
			fail_msg("case %zu: got '%s' host %s tag %s stream %d "
			    "layers %#x", i, payload, host, tag, out.stream,
			    out.layers);
	}
	wrapper_free(w);
}

/*
 * The RFC 3164 time kept from the line before (ts_3164_kept) decides
 * nothing the time itself would not: the same second with a fraction, a
 * bad fraction, another (impossible) day, each as read alone.
 */
static void
test_kept_time(void **state)
{
	static const struct {
		const char *in, *payload;
	} cases[] = {
		{ "Feb 29 12:00:00 gw nginx: a", "a" },
		{ "Feb 29 12:00:00 gw nginx: b", "b" },
		{ "Feb 29 12:00:00.5 gw nginx: c", "c" },
		{ "Feb 29 12:00:00. gw nginx: d", "Feb 29 12:00:00. gw nginx: d" },
		{ "Feb 29 12:00:00.x gw nginx: e", "Feb 29 12:00:00.x gw nginx: e" },
		{ "Feb 29 12:00:00x gw nginx: f", "Feb 29 12:00:00x gw nginx: f" },
		{ "Feb 29 12:00:00", "Feb 29 12:00:00" },
		{ "Feb 30 12:00:00 gw nginx: g", "Feb 30 12:00:00 gw nginx: g" },
		{ "Feb 29 12:00:00 gw nginx: h", "h" },
		{ "Feb 29 24:00:00 gw nginx: i", "Feb 29 24:00:00 gw nginx: i" },
		{ "Feb 29 12:00:00 gw nginx: j", "j" },
		{ "<134>Feb 29 12:00:00 gw nginx: k", "k" },
		{ "<134>Feb 29 12:00:00.5 gw nginx: l", "l" },
		{ "<134>Feb 29 12:00:00. gw nginx: m", "Feb 29 12:00:00. gw "
		    "nginx: m" },
		{ "<134>Feb 30 12:00:00 gw nginx: n", "Feb 30 12:00:00 gw "
		    "nginx: n" },
		{ "<134>Feb 29 12:00:00 gw nginx: o", "o" },
	};
	struct wrapper *w = wrapper_new(1024);
	char payload[512], host[256], tag[256];

	assert_non_null(w);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wrapped out;

		assert_int_equal(peel(w, cases[i].in, &out, payload,
		    sizeof(payload), host, tag), WRAP_LINE);
		if (strcmp(payload, cases[i].payload) != 0)
			fail_msg("case %zu: got '%s'", i, payload);
	}
	wrapper_free(w);
}

/* CRI P records and Docker records without "\n" are joined per stream,
 * within the budget. */
static void
test_join(void **state)
{
	struct wrapper *w = wrapper_new(16);
	char payload[512], host[256], tag[256];
	struct wrapped out;

	assert_non_null(w);
	assert_int_equal(peel(w, "2023-12-15T02:27:16.1Z stdout P abc", &out,
	    payload, sizeof(payload), host, tag), WRAP_HELD);
	/* stderr's full line in between is not part of stdout's */
	assert_int_equal(peel(w, "2023-12-15T02:27:16.1Z stderr F err", &out,
	    payload, sizeof(payload), host, tag), WRAP_LINE);
	assert_string_equal(payload, "err");
	assert_int_equal(peel(w, "2023-12-15T02:27:16.1Z stdout P def", &out,
	    payload, sizeof(payload), host, tag), WRAP_HELD);
	assert_int_equal(peel(w, "2023-12-15T02:27:16.1Z stdout F gh", &out,
	    payload, sizeof(payload), host, tag), WRAP_LINE);
	assert_string_equal(payload, "abcdefgh");
	/* Docker's json-file: a record without "\n" continues */
	assert_int_equal(peel(w, "{\"log\":\"12345\",\"stream\":\"stdout\"}",
	    &out, payload, sizeof(payload), host, tag), WRAP_HELD);
	assert_int_equal(peel(w, "{\"log\":\"6\\n\",\"stream\":\"stdout\"}",
	    &out, payload, sizeof(payload), host, tag), WRAP_LINE);
	assert_string_equal(payload, "123456");
	/* past the budget: cut and said so */
	assert_int_equal(peel(w, "2023-12-15T02:27:16.1Z stdout P "
	    "0123456789", &out, payload, sizeof(payload), host, tag),
	    WRAP_HELD);
	assert_int_equal(peel(w, "2023-12-15T02:27:16.1Z stdout F "
	    "0123456789", &out, payload, sizeof(payload), host, tag),
	    WRAP_TOO_LONG);
	assert_string_equal(payload, "0123456789012345");
	/* and the next line starts afresh */
	assert_int_equal(peel(w, "2023-12-15T02:27:16.1Z stdout F x", &out,
	    payload, sizeof(payload), host, tag), WRAP_LINE);
	assert_string_equal(payload, "x");
	wrapper_free(w);
}

/* "ADDR=CAUSE,..." of ev's attempts ("-" when none). */
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

/* Run NAME.log through lineparse; compare with NAME.expect. */
static void
check_fixture(const char *name, const char *want_kind)
{
	struct lines log, exp;
	struct lineparse *lp;
	struct lineparse_opts o = { .nginx_conf = "/nonexistent" };
	struct gw_batch b;
	char path[256], err[512], got[1024], want[1024], att[512];

	snprintf(path, sizeof(path), DATA "%s.log", name);
	lines_read(path, &log);
	snprintf(path, sizeof(path), DATA "%s.expect", name);
	lines_read(path, &exp);
	assert_int_equal(log.n, exp.n);
	if (lineparse_new(&o, (const char *const *)log.v, log.len,
	    log.n < 32 ? log.n : 32, &lp, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	if (strcmp(lineparse_kind(lp), want_kind) != 0)
		fail_msg("%s: kind %s, want %s", name, lineparse_kind(lp),
		    want_kind);
	assert_int_equal(batch_init(&b), 0);
	for (size_t i = 0; i < log.n; i++) {
		const char *reason = NULL;
		enum format_result r = lineparse_take(lp, &b, log.v[i],
		    log.len[i], false, i + 1, 0, &reason);
		const struct wrapped *w = lineparse_wrapped(lp);
		char host[300] = "";

		snprintf(want, sizeof(want), "%.*s", (int)exp.len[i], exp.v[i]);
		if (strstr(want, " @") != NULL)
			snprintf(host, sizeof(host), " @%.*s", w->host ?
			    (int)w->host_len : 1, w->host ? w->host : "-");
		switch (r) {
		case FORMAT_EVENT: {
			const struct gw_event *ev = &b.events[b.n_events - 1];
			assert_int_equal(ev->line_no, i + 1);
			attempts_text(ev, att, sizeof(att));
			snprintf(got, sizeof(got), "E %d %s %s%s", ev->status,
			    cause_name(ev->cause), att, host);
			break;
		}
		case FORMAT_ERROR: {
			const struct gw_gateway_error *e =
			    &b.errors[b.n_errors - 1];
			snprintf(got, sizeof(got), "G %s %s%s",
			    cause_name(e->cause), e->upstream ? e->upstream :
			    "-", host);
			break;
		}
		case FORMAT_NOTICE:
			snprintf(got, sizeof(got), "N");
			break;
		case FORMAT_REJECT:
			assert_non_null(reason);
			snprintf(got, sizeof(got), "R");
			break;
		case FORMAT_HELD:
			snprintf(got, sizeof(got), "H");
			break;
		default:
			fail_msg("%s line %zu: result %d", name, i + 1, (int)r);
		}
		if (strcmp(got, want) != 0)
			fail_msg("%s line %zu: want '%s', got '%s'", name, i + 1,
			    want, got);
	}
	batch_destroy(&b);
	lineparse_free(lp);
	lines_free(&log);
	lines_free(&exp);
}

static void
test_fixtures(void **state)
{
	check_fixture("nginx-syslog", "nginx_access");
	check_fixture("nginx-cri", "nginx_access");
	check_fixture("nginx-docker", "nginx_access");
	check_fixture("nginx-compose", "nginx_access");
	check_fixture("traefik-journald", "traefik_access");
	check_fixture("haproxy-pri", "haproxy_access");
	check_fixture("beats-haproxy", "haproxy_access");
	check_fixture("lnav-haproxy", "haproxy_access");
	check_fixture("beats-nginx-list-client", "nginx_access");
	check_fixture("beats-apache-vhost", "clf_access");
	check_fixture("beats-traefik", "clf_access");
}

/* A client field holding a list (X-Forwarded-For logged as the address):
 * the first address is the client. */
static void
test_list_client(void **state)
{
	static const char line[] = "10.0.0.2, 10.0.0.1, 127.0.0.1 - - "
	    "[07/Dec/2016:11:05:07 +0100] \"GET /ocelot HTTP/1.1\" 200 571 "
	    "\"-\" \"curl\"";
	const char *lines[1] = { line };
	size_t lens[1] = { sizeof(line) - 1 };
	struct lineparse_opts o = { .format = "combined" };
	struct lineparse *lp;
	struct gw_batch b;
	const char *reason;
	char err[256];

	assert_int_equal(lineparse_new(&o, lines, lens, 1, &lp, err,
	    sizeof(err)), 0);
	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(lineparse_take(lp, &b, line, sizeof(line) - 1, false,
	    1, 0, &reason), FORMAT_EVENT);
	assert_string_equal(b.events[0].client, "10.0.0.2");
	batch_destroy(&b);
	lineparse_free(lp);
}

/*
 * Where the earliest join still held began (lineparse_held), per stream,
 * and a resumed parser rebuilding it (lineparse_replay): the lines before
 * the stored position replayed, the joined line then taken whole, once.
 */
static void
test_held_start(void **state)
{
	static const char *const in[] = {
		"2026-12-07T03:00:00.1Z stdout F 10.0.0.1 - - [07/Dec/2026:"
		    "03:00:00 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" \"c\"",
		"2026-12-07T03:00:00.1Z stdout P 10.0.0.2 - - [07/Dec/2026:"
		    "03:00:00 +0000] \"GET /lo",
		"2026-12-07T03:00:00.1Z stderr P 2026/12/07 03:00:00 [err",
		"2026-12-07T03:00:00.1Z stderr F or] 12#12: *1 connect() "
		    "failed (111: Connection refused) while connecting to "
		    "upstream, client: 10.0.0.1, server: x, request: \"GET /e "
		    "HTTP/1.1\", upstream: \"http://127.0.0.1:9/e\", host: "
		    "\"x\"",
		"2026-12-07T03:00:00.1Z stdout P ng/path HTTP/1.1\" 200 1 ",
		"2026-12-07T03:00:00.1Z stdout F \"-\" \"c\"",
	};
	const size_t n = sizeof(in) / sizeof(in[0]);
	uint64_t off[sizeof(in) / sizeof(in[0])], pos = 0;
	/* after line i: held from (offset of line, its number), or none */
	static const int held_line[] = { 0, 2, 2, 2, 2, 0 };
	const char *lines[1] = { in[0] };
	size_t lens[1] = { strlen(in[0]) };
	struct lineparse_opts o = { .format = "combined" };
	struct lineparse *lp;
	struct gw_batch b;
	const char *reason;
	uint64_t at, line;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		off[i] = pos;
		pos += strlen(in[i]) + 1;
	}
	assert_int_equal(lineparse_new(&o, lines, lens, 1, &lp, err,
	    sizeof(err)), 0);
	assert_int_equal(batch_init(&b), 0);
	assert_false(lineparse_held(lp, &at, &line));
	for (size_t i = 0; i < n; i++) {
		lineparse_take(lp, &b, in[i], strlen(in[i]), false, i + 1,
		    off[i], &reason);
		b.position = off[i] + strlen(in[i]) + 1;
		b.line_no = i + 1;
		lineparse_set_batch_held(lp, &b);
		if (held_line[i] == 0) {
			assert_false(lineparse_held(lp, &at, &line));
			assert_int_equal(b.held_bytes, 0);
			assert_int_equal(b.held_lines, 0);
			continue;
		}
		assert_true(lineparse_held(lp, &at, &line));
		assert_int_equal(line, held_line[i]);
		assert_int_equal(at, off[held_line[i] - 1]);
		/* the rewind point: the lines before the first chunk */
		assert_int_equal(b.position - b.held_bytes, at);
		assert_int_equal(b.line_no - b.held_lines, line - 1);
	}
	assert_int_equal(b.n_events, 2);
	assert_string_equal(b.events[1].path, "/long/path");
	assert_int_equal(b.n_errors, 1);
	assert_int_equal(b.n_rejects, 0);
	lineparse_free(lp);

	/*
	 * Stopped after line 5 (position past it, rewind point at line 2):
	 * lines 2-5 replayed rebuild the join and add nothing; line 6 joins
	 * it whole.
	 */
	batch_clear(&b);
	assert_int_equal(lineparse_new(&o, lines, lens, 1, &lp, err,
	    sizeof(err)), 0);
	for (size_t i = 1; i < 5; i++)
		assert_int_equal(lineparse_replay(lp, in[i], strlen(in[i]),
		    false, i + 1, off[i]), 0);
	assert_int_equal(batch_count(&b), 0);
	assert_true(lineparse_held(lp, &at, &line));
	assert_int_equal(line, 2);
	assert_int_equal(at, off[1]);
	assert_int_equal(lineparse_take(lp, &b, in[5], strlen(in[5]), false,
	    6, off[5], &reason), FORMAT_EVENT);
	assert_false(lineparse_held(lp, &at, &line));
	assert_int_equal(b.n_events, 1);
	assert_string_equal(b.events[0].path, "/long/path");
	assert_int_equal(b.n_errors + b.n_rejects, 0);
	lineparse_free(lp);

	/* the earlier of two streams' joins is the rewind point */
	assert_int_equal(lineparse_new(&o, lines, lens, 1, &lp, err,
	    sizeof(err)), 0);
	lineparse_take(lp, &b, in[2], strlen(in[2]), false, 7, 700, &reason);
	lineparse_take(lp, &b, in[1], strlen(in[1]), false, 8, 800, &reason);
	assert_true(lineparse_held(lp, &at, &line));
	assert_int_equal(at, 700);
	assert_int_equal(line, 7);
	lineparse_take(lp, &b, in[3], strlen(in[3]), false, 9, 900, &reason);
	assert_true(lineparse_held(lp, &at, &line));
	assert_int_equal(at, 800);
	assert_int_equal(line, 8);
	batch_destroy(&b);
	lineparse_free(lp);
}

/*
 * The input ended with joins held (a rotated file done): each becomes one
 * reject with the text joined so far, at its first chunk's line and
 * offset, the earlier first; nothing stays held, and a stream's next
 * record starts afresh. Nothing held: nothing added.
 */
static void
test_end_held(void **state)
{
	static const char *const in[] = {
		"2026-12-07T03:00:00.1Z stderr P 2026/12/07 03:00:00 [err",
		"2026-12-07T03:00:00.1Z stdout P 10.0.0.2 - - [07/Dec/2026:",
		"2026-12-07T03:00:00.1Z stdout P 03:00:00 +0000] \"GET /lo",
		"2026-12-07T03:00:00.1Z stdout F 10.0.0.1 - - [07/Dec/2026:"
		    "03:00:00 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" \"c\"",
	};
	const char *lines[1] = { in[3] };
	size_t lens[1] = { strlen(in[3]) };
	struct lineparse_opts o = { .format = "combined" };
	struct lineparse *lp;
	struct gw_batch b;
	const char *reason;
	uint64_t at, line;
	char err[256];

	(void)state;
	assert_int_equal(lineparse_new(&o, lines, lens, 1, &lp, err,
	    sizeof(err)), 0);
	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(lineparse_end(lp, &b), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(lineparse_take(lp, &b, in[i], strlen(in[i]),
		    false, i + 11, (i + 1) * 100, &reason), FORMAT_HELD);
	assert_int_equal(lineparse_end(lp, &b), 2);
	assert_false(lineparse_held(lp, &at, &line));
	assert_int_equal(b.n_rejects, 2);
	assert_int_equal(b.rejects[0].line_no, 11);
	assert_int_equal(b.rejects[0].offset, 100);
	assert_string_equal(b.rejects[0].reason, LINEPARSE_ENDED_REASON);
	assert_int_equal(b.rejects[0].raw_len, strlen("2026/12/07 03:00:00 "
	    "[err"));
	assert_memory_equal(b.rejects[0].raw, "2026/12/07 03:00:00 [err",
	    b.rejects[0].raw_len);
	assert_int_equal(b.rejects[1].line_no, 12);
	assert_int_equal(b.rejects[1].offset, 200);
	assert_memory_equal(b.rejects[1].raw, "10.0.0.2 - - [07/Dec/2026:"
	    "03:00:00 +0000] \"GET /lo", b.rejects[1].raw_len);
	assert_int_equal(b.rejects[1].raw_len, strlen("10.0.0.2 - - "
	    "[07/Dec/2026:03:00:00 +0000] \"GET /lo"));
	/* the stream's next final record is a line of its own */
	assert_int_equal(lineparse_take(lp, &b, in[3], strlen(in[3]), false,
	    14, 400, &reason), FORMAT_EVENT);
	assert_string_equal(b.events[b.n_events - 1].path, "/a");
	assert_int_equal(lineparse_end(lp, &b), 0);
	assert_int_equal(b.n_rejects, 2);
	batch_destroy(&b);
	lineparse_free(lp);
}

/*
 * The runtime reopened its file mid-line: the held records of the old
 * file's parser continue in the new one's, from the new file's first line
 * (where a restart reads it again from); the old holds nothing. A
 * parser of no runtime wrapper takes nothing over.
 */
static void
test_hand_over(void **state)
{
	static const char *const in[] = {
		"2026-12-07T03:00:00.1Z stdout P 10.0.0.2 - - [07/Dec/2026:",
		"2026-12-07T03:00:00.1Z stdout F 03:00:00 +0000] \"GET /lo "
		    "HTTP/1.1\" 200 1 \"-\" \"c\"",
		"2026-12-07T03:00:00.1Z stdout F 10.0.0.1 - - [07/Dec/2026:"
		    "03:00:00 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" \"c\"",
		"10.0.0.1 - - [07/Dec/2026:03:00:00 +0000] \"GET /a HTTP/1.1\" "
		    "200 1 \"-\" \"c\"",
	};
	const char *lines[1] = { in[2] };
	size_t lens[1] = { strlen(in[2]) };
	struct lineparse_opts o = { .format = "combined" };
	struct lineparse *prev, *cont, *plain;
	struct gw_batch b;
	const char *reason;
	uint64_t at, line;
	char err[256];

	(void)state;
	assert_int_equal(lineparse_new(&o, lines, lens, 1, &prev, err,
	    sizeof(err)), 0);
	assert_int_equal(lineparse_new(&o, lines, lens, 1, &cont, err,
	    sizeof(err)), 0);
	assert_int_equal(batch_init(&b), 0);
	assert_int_equal(lineparse_hand_over(prev, cont, 1, 0), 0);
	assert_int_equal(lineparse_take(prev, &b, in[0], strlen(in[0]), false,
	    7, 700, &reason), FORMAT_HELD);
	assert_int_equal(lineparse_hand_over(prev, cont, 1, 0), 1);
	assert_false(lineparse_held(prev, &at, &line));
	assert_true(lineparse_held(cont, &at, &line));
	assert_int_equal(at, 0);
	assert_int_equal(line, 1);
	assert_int_equal(lineparse_take(cont, &b, in[1], strlen(in[1]), false,
	    1, 0, &reason), FORMAT_EVENT);
	assert_false(lineparse_held(cont, &at, &line));
	assert_string_equal(b.events[0].path, "/lo");
	assert_int_equal(lineparse_end(prev, &b), 0);
	assert_int_equal(b.n_rejects, 0);

	lines[0] = in[3];
	lens[0] = strlen(in[3]);
	assert_int_equal(lineparse_new(&o, lines, lens, 1, &plain, err,
	    sizeof(err)), 0);
	assert_int_equal(lineparse_take(prev, &b, in[0], strlen(in[0]), false,
	    8, 800, &reason), FORMAT_HELD);
	assert_int_equal(lineparse_hand_over(prev, plain, 1, 0), 0);
	assert_true(lineparse_held(prev, &at, &line));
	assert_int_equal(at, 800);
	batch_destroy(&b);
	lineparse_free(plain);
	lineparse_free(cont);
	lineparse_free(prev);
}

/*
 * Hostile bytes: every wrapper's shapes, cut at every length and with
 * bytes flipped, in exact-size buffers (the sanitizer build catches any
 * read past them); the payload is always inside the line or the peeler's
 * own buffers, and never longer than the join budget.
 */
static void
test_garbage(void **state)
{
	static const char *const seeds[] = {
		"<190>Dec  6 12:00:00 web01 nginx: 1.2.3.4 - - x",
		"<165>1 2003-10-11T22:14:15.003Z h app - ID [a b=\"c\\]\"] m",
		"2023-12-15T02:27:16.123456789+01:00 stdout P abc",
		"2026-12-06T12:00:00+0100 gw traefik[5]: hi",
		"{\"log\":\"a\\u00e9\\ud83d\\ude00\\n\",\"stream\":\"stderr\"}",
		"{ \"__CURSOR\" : \"c\", \"MESSAGE\" : [104, 105], \"x\" : {\"y\": [1, \"]\"]}}",
		"\x1b[36mweb_1 |\x1b[0m x",
		"Dec 16 12:00:00 gw nginx[12]: hello",
	};
	struct wrapper *w = wrapper_new(64);
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	assert_non_null(w);
	for (int round = 0; round < 20000; round++) {
		const char *seed = seeds[round % (sizeof(seeds) /
		    sizeof(seeds[0]))];
		size_t n = strlen(seed), cut;
		char *line;
		struct wrapped out;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		cut = (size_t)(x % (n + 1));
		line = malloc(cut ? cut : 1);
		assert_non_null(line);
		memcpy(line, seed, cut);
		if (cut > 0 && (x >> 32) % 3 == 0)
			line[(x >> 40) % cut] = (char)(x >> 48);
		enum wrap_result r = wrapper_peel(w, line, cut, &out);
		assert_true(r == WRAP_LINE || r == WRAP_HELD ||
		    r == WRAP_TOO_LONG);
		if (r != WRAP_HELD && out.p >= line && out.p <= line + cut)
			assert_true(out.p + out.len <= line + cut);
		else if (r != WRAP_HELD)
			assert_true(out.len <= (cut > 64 ? cut : 64));
		free(line);
	}
	wrapper_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peel_cases),
		cmocka_unit_test(test_kept_time),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_list_client),
		cmocka_unit_test(test_held_start),
		cmocka_unit_test(test_end_held),
		cmocka_unit_test(test_hand_over),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
