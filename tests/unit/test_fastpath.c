/*
 * test_fastpath.c - the parsers' fast paths against their general paths.
 *
 * Caddy's access lines are read in one pass without json-c when they fit
 * a subset of JSON (parse/caddy.c); nginx's log_format lines are matched
 * by hand before PCRE2 (parse/logformat.c, also test_logformat_fast.c).
 * Here each input goes through two states of one format, one opened as
 * `ingest` opens it and one with format_opts.general_only, fed the same
 * lines in the same order; after every line the records each added (every
 * field, rejects with their reason) must be the same. Inputs: the Caddy
 * fixture, Caddy lines generated with every member in varied types,
 * orders, duplicates, escapes, bytes, nesting and number forms, each also
 * mutated at random; nginx's demo access log and the nginx lines of
 * tests/data/formats; Envoy JSON and Traefik JSON lines generated the
 * same way (Istio's and Envoy Gateway's member names; Traefik's own
 * ForwardAuth lines between them), and their fixtures, each mutated
 * fifty times; HAProxy's httplog bodies (read in one pass when in
 * HAProxy's own layout, parse/haproxy.c): the HAProxy fixtures, raw and
 * peeled, and lines generated from odd forms of every field, a third of
 * them mutated. The fast paths must also have taken a fair share,
 * so the test fails if one silently stopped working (the general path
 * alone would pass it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/batch.h"
#include "parse/format.h"
#include "parse/jsonlog.h"
#include "parse/logformat.h"
#include "tests/unit/lines.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

/* The records b gained since the counts *ev0, *er0, *rj0, as text. */
static size_t
dump_new(const struct gw_batch *b, size_t *ev0, size_t *er0, size_t *rj0,
    char *out, size_t cap)
{
	size_t o = 0;

#define PUT(...) do {						\
		int k_ = snprintf(out + o, cap - o, __VA_ARGS__);	\
		o += k_ > 0 ? (size_t)k_ : 0;				\
		o = o >= cap ? cap - 1 : o;				\
	} while (0)
#define S(x) ((x) ? (x) : "(null)")
	for (; *ev0 < b->n_events; (*ev0)++) {
		const struct gw_event *e = &b->events[*ev0];
		PUT("E %lld %d%d %d %lld %d c%d %s|%s|%s|%s|%s|%s|%s|%s|%s",
		    (long long)e->ts_ms, e->tz_min, e->tz_known, e->status,
		    (long long)e->bytes, e->request_ms, (int)e->cause,
		    S(e->client), S(e->method), S(e->host), S(e->path),
		    S(e->query), S(e->protocol), S(e->request_id),
		    S(e->shape), S(e->origin));
		for (int i = 0; i < e->n_attempts; i++)
			PUT(" [%s %d %d %d %d %d c%d]", S(e->attempts[i].addr),
			    e->attempts[i].status, e->attempts[i].connect_ms,
			    e->attempts[i].header_ms,
			    e->attempts[i].response_ms, e->attempts[i].group,
			    (int)e->attempts[i].cause);
		PUT("\n");
	}
	for (; *er0 < b->n_errors; (*er0)++) {
		const struct gw_gateway_error *e = &b->errors[*er0];
		PUT("G %lld %d %lld c%d %s|%s|%s|%s|%s|%s|%s|%s\n",
		    (long long)e->local_ms, e->level, (long long)e->conn,
		    (int)e->cause, S(e->message), S(e->client), S(e->server),
		    S(e->method), S(e->path), S(e->query), S(e->upstream),
		    S(e->host));
	}
	for (; *rj0 < b->n_rejects; (*rj0)++)
		PUT("R %s\n", S(b->rejects[*rj0].reason));
#undef PUT
#undef S
	out[o] = '\0';
	return o;
}

/* Two states of one format fed the same lines. */
struct pair {
	const struct line_format *f;
	void *fast, *general;
	struct gw_batch bf, bg;
	size_t ef, rf, jf, eg, rg, jg;
	size_t lines, events;
	char df[65536], dg[65536];
};

static void
pair_open(struct pair *p, const char *name, const char *log_format)
{
	struct format_opts o = { .log_format = log_format };
	enum format_result why;
	char err[256];

	memset(p, 0, sizeof(*p));
	p->f = format_by_name(name);
	assert_non_null(p->f);
	p->fast = p->f->open(&o, &why, err, sizeof(err));
	o.general_only = true;
	p->general = p->f->open(&o, &why, err, sizeof(err));
	assert_non_null(p->fast);
	assert_non_null(p->general);
	assert_int_equal(batch_init(&p->bf), 0);
	assert_int_equal(batch_init(&p->bg), 0);
}

static void
pair_close(struct pair *p)
{
	p->f->close(p->fast);
	p->f->close(p->general);
	batch_destroy(&p->bf);
	batch_destroy(&p->bg);
}

/* Feed one line (copied to a buffer of exactly its length) to both. */
static void
pair_line(struct pair *p, const char *line, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);
	const char *rf = NULL, *rg = NULL;
	enum format_result xf, xg;

	assert_non_null(copy);
	memcpy(copy, line, len);
	p->lines++;
	xf = p->f->take(p->fast, &p->bf, copy, len, p->lines, 0, &rf);
	xg = p->f->take(p->general, &p->bg, copy, len, p->lines, 0, &rg);
	if (xf != xg || (xf == FORMAT_REJECT && strcmp(rf, rg) != 0))
		fail_msg("results differ (%d %s / %d %s) on [%.*s]", xf,
		    rf ? rf : "", xg, rg ? rg : "", (int)(len > 400 ? 400 :
		    len), line);
	if (xf == FORMAT_EVENT)
		p->events++;
	dump_new(&p->bf, &p->ef, &p->rf, &p->jf, p->df, sizeof(p->df));
	dump_new(&p->bg, &p->eg, &p->rg, &p->jg, p->dg, sizeof(p->dg));
	if (strcmp(p->df, p->dg) != 0)
		fail_msg("records differ on [%.*s]:\n fast    %s general %s",
		    (int)(len > 400 ? 400 : len), line, p->df, p->dg);
	if (batch_count(&p->bf) > 1000) {
		batch_clear(&p->bf);
		batch_clear(&p->bg);
		p->ef = p->rf = p->jf = p->eg = p->rg = p->jg = 0;
	}
	free(copy);
}

/* Bytes that decide JSON. */
static const char hostile[] = "\"\\{}[],: 0123456789.-eE+nultrf\t\x01\x7f"
    "\x80\xc3\xa9/u";

static size_t
mutate_with(char *s, size_t len, size_t cap, const char *set, size_t set_n)
{
	int k = 1 + (int)rnd(3);

	while (k-- > 0 && len > 0) {
		size_t at = rnd((uint32_t)len);
		char c = rnd(30) == 0 ? '\0' : set[rnd((uint32_t)set_n)];

		switch (rnd(3)) {
		case 0:
			s[at] = c;
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(s + at + 1, s + at, len - at);
				s[at] = c;
				len++;
			}
			break;
		default:
			memmove(s + at, s + at + 1, len - at - 1);
			len--;
			break;
		}
	}
	return len;
}

static size_t
mutate(char *s, size_t len, size_t cap)
{
	return mutate_with(s, len, cap, hostile, sizeof(hostile) - 1);
}

/* A value for member key, often the plain one, sometimes odd. */
static const char *
value_of(const char *key, char *buf, size_t cap)
{
	static const char *const odd[] = {
		"null", "true", "\"\"", "\"a\\\"b\"", "\"\\u00e9\"", "12",
		"-0", "1e3", "1.5E-2", "0.1", "[]", "[1,\"x\"]", "{}",
		"{\"a\":{\"b\":[{}]}}", "\"\xc3\xa9\"", "123456789012345678",
		"1234567890123456789", "00", "1.", "\"x\ty\"", "\"\\/\"",
		"12345678901234567.25", "-1", "99999999999.9",
	};
	uint32_t r = rnd(100);

	if (r < 12)
		return odd[rnd(sizeof(odd) / sizeof(odd[0]))];
	if (strcmp(key, "ts") == 0) {
		snprintf(buf, cap, "%u.%0*u", 1795564800u + rnd(100000),
		    1 + (int)rnd(9), rnd(1000000000));
		if (r > 95)
			snprintf(buf, cap, "%u", 1795564800u + rnd(1000));
		else if (r > 70)	/* half a millisecond: rounding shows */
			snprintf(buf, cap, "%u.%03u5", 1795564800u +
			    rnd(100000), rnd(1000));
		return buf;
	}
	if (strcmp(key, "duration") == 0) {
		if (r < 40)
			snprintf(buf, cap, "0.%0*u", 1 + (int)rnd(12),
			    rnd(100000000));
		else if (r < 80)
			snprintf(buf, cap, "%u.%03u5", rnd(3), rnd(1000));
		else
			snprintf(buf, cap, "%u.%u", rnd(100), rnd(1000000000));
		return buf;
	}
	if (strcmp(key, "status") == 0)
		return r < 80 ? "200" : r < 87 ? "502" : r < 93 ? "503" :
		    "499";
	if (strcmp(key, "size") == 0) {
		snprintf(buf, cap, "%u", rnd(100000));
		return buf;
	}
	if (strcmp(key, "logger") == 0)
		return r < 70 ? "\"http.log.access.log0\"" : r < 95 ?
		    "\"http.handlers.reverse_proxy\"" : "\"http.log.acces\"";
	if (strcmp(key, "msg") == 0)
		return r < 50 ? "\"handled request\"" : "\"upstream roundtrip\"";
	if (strcmp(key, "upstream") == 0)
		return "\"10.0.0.1:80\"";
	if (strcmp(key, "level") == 0)
		return r < 60 ? "\"info\"" : r < 75 ? "\"debug\"" : r < 85 ?
		    "\"error\"" : r < 92 ? "\"warn\"" : "\"panic\"";
	if (strcmp(key, "error") == 0)
		return r < 40 ? "\"\"" : r < 60 ? "\"dial tcp 10.0.0.1:80: "
		    "connect: connection refused\"" : r < 75 ? "\"EOF\"" :
		    r < 90 ? "\"net/http: timeout awaiting response headers\"" :
		    "\"context canceled\"";
	if (strcmp(key, "remote_ip") == 0 || strcmp(key, "client_ip") == 0) {
		snprintf(buf, cap, "\"10.%u.%u.%u\"", rnd(4), rnd(4), rnd(256));
		if (r > 90)
			return "\"\"";
		return buf;
	}
	if (strcmp(key, "remote_port") == 0) {
		snprintf(buf, cap, "\"%u\"", 1024 + rnd(3));
		return buf;
	}
	if (strcmp(key, "method") == 0)
		return r < 80 ? "\"GET\"" : "\"POST\"";
	if (strcmp(key, "host") == 0)
		return "\"app.example.com\"";
	if (strcmp(key, "uri") == 0)
		return r < 50 ? "\"/api/v1/x?id=7&b=&c=x\"" : r < 90 ?
		    "\"/a/b\"" : "\"http://h/p?q=1\"";
	if (strcmp(key, "proto") == 0)
		return "\"HTTP/1.1\"";
	if (strcmp(key, "headers") == 0)	/* forward_auth's, sometimes */
		return r < 80 ? "{\"User-Agent\":[\"Mozilla/5.0 (X11; Linux "
		    "x86_64) AppleWebKit/537.36 (KHTML, like Gecko)\"],"
		    "\"Accept\":[\"*/*\"]}" : r < 88 ? "{\"Accept\":[\"*/*\"],"
		    "\"X-Forwarded-Uri\":[\"/x\"],\"X-Forwarded-Method\":"
		    "[\"POST\"]}" : r < 94 ? "{\"X-Forwarded-Uri\":null}" :
		    "{\"X-Forwarded-Uri\":[\"/x\"],\"X-Forwarded-Uri\":null}";
	return "\"\"";
}

/* Members of key in random order (sometimes one twice, one left out). */
static size_t
write_members(const char *const *keys, size_t n, char *out, size_t cap,
    int depth)
{
	size_t o = 0, order[16];
	char buf[64];

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (rnd(3) == 0)
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = rnd((uint32_t)i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
	for (size_t i = 0; i < n + (rnd(10) == 0); i++) {
		const char *key = keys[order[i % n]];
		if (rnd(25) == 0)
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":%s", o > 1 ?
		    (rnd(20) == 0 ? " , " : ",") : "", key,
		    rnd(30) == 0 ? " " : "");
		if (strcmp(key, "request") == 0 && depth == 0 && rnd(15) != 0) {
			static const char *const req[] = { "remote_ip",
			    "client_ip", "remote_port", "proto", "method",
			    "host", "uri", "headers" };
			o += (size_t)snprintf(out + o, cap - o, "{");
			o += write_members(req, 8, out + o, cap - o, 1);
			o += (size_t)snprintf(out + o, cap - o, "}");
		} else
			o += (size_t)snprintf(out + o, cap - o, "%s",
			    value_of(key, buf, sizeof(buf)));
		if (o >= cap)
			return cap - 1;
	}
	return o;
}

static void
test_caddy(void **state)
{
	static const char *const top[] = { "level", "ts", "logger", "msg",
	    "request", "user_id", "duration", "size", "status", "upstream",
	    "error" };
	struct pair p;
	struct lines fx;
	char line[8192];
	size_t fast_lines = 0;

	pair_open(&p, "caddy", NULL);
	lines_read_first("tests/data/formats/caddy.log", &fx, 0);
	for (size_t i = 0; i < fx.n; i++)
		pair_line(&p, fx.v[i], fx.len[i]);
	for (int i = 0; i < 20000; i++) {
		size_t o = 0;

		o += (size_t)snprintf(line, sizeof(line), "{");
		o += write_members(top, 11, line + o, sizeof(line) - o, 0);
		o += (size_t)snprintf(line + o, sizeof(line) - o, "}%s",
		    rnd(30) == 0 ? " \r" : "");
		pair_line(&p, line, o);
		if (i % 4 == 0) {
			o = mutate(line, o, sizeof(line));
			pair_line(&p, line, o);
		}
	}
	fast_lines = p.f->fast_count(p.fast);
	print_message("caddy: %zu lines, %zu requests, %zu read the fast "
	    "way\n", p.lines, p.events, fast_lines);
	assert_true(p.events > p.lines / 4);
	assert_true(fast_lines > 1000);
	assert_int_equal(p.f->fast_count(p.general), 0);
	lines_free(&fx);
	pair_close(&p);
}

/* A plain access line of Caddy takes the fast path, read right. */
static void
test_caddy_fast_taken(void **state)
{
	struct pair p;
	const char line[] = "{\"level\":\"info\",\"ts\":1795564800.003,\"logger\""
	    ":\"http.log.access.log0\",\"msg\":\"handled request\",\"request\":"
	    "{\"remote_ip\":\"10.0.0.1\",\"remote_port\":\"1\",\"proto\":"
	    "\"HTTP/1.1\",\"method\":\"GET\",\"host\":\"h\",\"uri\":\"/a?b=1\"},"
	    "\"duration\":0.077008,\"size\":3407,\"status\":200}";

	pair_open(&p, "caddy", NULL);
	pair_line(&p, line, sizeof(line) - 1);
	assert_int_equal(p.f->fast_count(p.fast), 1);
	assert_int_equal(p.events, 1);
	assert_string_equal(p.bf.events[0].path, "/a");
	assert_int_equal(p.bf.events[0].ts_ms, 1795564800003);
	assert_int_equal(p.bf.events[0].request_ms, 77);
	pair_close(&p);
}

/*
 * So does a reverse proxy's roundtrip (json-c took ~40k instructions
 * for each: a fifth of the parse thread on a Caddy log with its error
 * lines), a failed one a gateway error, and its access line finds it.
 */
static void
test_caddy_fast_roundtrip(void **state)
{
	struct pair p;
	const char rt[] = "{\"level\":\"debug\",\"ts\":1795564800.025,"
	    "\"logger\":\"http.handlers.reverse_proxy\",\"msg\":\"upstream "
	    "roundtrip\",\"upstream\":\"10.0.2.1:80\",\"duration\":0.034358,"
	    "\"request\":{\"remote_ip\":\"10.0.0.1\",\"remote_port\":\"1\","
	    "\"proto\":\"HTTP/1.1\",\"method\":\"GET\",\"host\":\"h\","
	    "\"uri\":\"/a?b=1\",\"headers\":{\"Accept\":[\"*/*\"]}},"
	    "\"error\":\"dial tcp 10.0.2.1:80: connect: connection refused\"}";
	const char acc[] = "{\"level\":\"info\",\"ts\":1795564800.03,"
	    "\"logger\":\"http.log.access.log0\",\"msg\":\"handled request\","
	    "\"request\":{\"remote_ip\":\"10.0.0.1\",\"remote_port\":\"1\","
	    "\"proto\":\"HTTP/1.1\",\"method\":\"GET\",\"host\":\"h\","
	    "\"uri\":\"/a?b=1\"},\"duration\":0.04,\"size\":0,"
	    "\"status\":502}";

	pair_open(&p, "caddy", NULL);
	pair_line(&p, rt, sizeof(rt) - 1);
	assert_int_equal(p.f->fast_count(p.fast), 1);
	assert_int_equal(p.bf.n_errors, 1);
	assert_int_equal(p.bf.errors[0].level, 7);
	assert_int_equal(p.bf.errors[0].cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_string_equal(p.bf.errors[0].upstream, "10.0.2.1:80");
	assert_string_equal(p.bf.errors[0].path, "/a");
	pair_line(&p, acc, sizeof(acc) - 1);
	assert_int_equal(p.f->fast_count(p.fast), 2);
	assert_int_equal(p.bf.events[0].n_attempts, 1);
	assert_string_equal(p.bf.events[0].attempts[0].addr, "10.0.2.1:80");
	assert_int_equal(p.bf.events[0].cause, GW_CAUSE_UPSTREAM_REFUSED);
	pair_close(&p);
}

static void
test_nginx(void **state)
{
	static const char *const files[] = {
		"tests/data/demo/access.log",
		"tests/data/formats/apache-combined.log",
	};
	static const char *const names[] = { "upstream", "combined", "main" };

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			struct pair p;
			struct lines l;

			pair_open(&p, names[k], NULL);
			lines_read_first(files[f], &l, LINES_MAX);
			for (size_t i = 0; i < l.n; i++) {
				char copy[8192];
				size_t n = l.len[i] < sizeof(copy) ?
				    l.len[i] : sizeof(copy);

				pair_line(&p, l.v[i], l.len[i]);
				memcpy(copy, l.v[i], n);
				n = mutate(copy, n, sizeof(copy));
				pair_line(&p, copy, n);
			}
			/* the demo log is "upstream"'s, the other
			 * combined: some fit each format */
			if (p.events > 0 && p.f->fast_count(p.fast) <
			    p.events / 2)
				fail_msg("%s on %s: %zu requests, %zu by hand",
				    names[k], files[f], p.events,
				    p.f->fast_count(p.fast));
			assert_int_equal(p.f->fast_count(p.general), 0);
			lines_free(&l);
			pair_close(&p);
		}
}

/* --- Envoy JSON and Traefik JSON ----------------------------------------- */

/* One of the strings of a NULL-terminated list, quoted, into buf. */
static const char *
pick(const char *const *v, char *buf, size_t cap)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	snprintf(buf, cap, "\"%s\"", v[rnd((uint32_t)n)]);
	return buf;
}

/* A value for an Envoy or Traefik member: mostly what they write. */
static const char *
gw_value_of(const char *key, char *buf, size_t cap)
{
	static const char *const odd[] = {
		"null", "true", "\"\"", "\"a\\\"b\"", "\"\\u00e9\"", "12",
		"-0", "1e3", "1.5E-2", "0.1", "[]", "[1,\"x\"]", "{}",
		"{\"a\":{\"b\":[{}]}}", "\"\xc3\xa9\"", "123456789012345678",
		"1234567890123456789", "00", "1.", "\"x\ty\"", "\"\\/\"",
		"12345678901234567.25", "-1", "99999999999.9", "\"-\"",
		"\"200\"", "\" 7\"", "\"2026-11-25T17:30:00Z\"", "2.5",
	};
	static const char *const flags[] = { "-", "-", "-", "UF", "UH", "UT",
	    "UAEX", "UF,URX", "UC", "UR", "DC", "RL", "NR", "UO", NULL };
	static const char *const details[] = { "via_upstream",
	    "ext_authz_denied", "ext_authz_error", "response_timeout",
	    "upstream_reset_before_response_started{connection_failure}",
	    "upstream_reset_after_response_started{remote_reset}",
	    "no_healthy_upstream", "-", NULL };
	static const char *const hosts[] = { "10.0.0.5:8080", "-",
	    "[2001:db8::1]:443", "tcp://10.0.2.1:80", "10.0.0.6:80", NULL };
	static const char *const paths[] = { "/api/v1/users?id=7", "/",
	    "/a/b/c", "/search?q=x&page=2", "-", "/x?", NULL };
	static const char *const starts[] = { "2026-11-25T17:30:00.123Z",
	    "2026-11-25T17:30:00Z", "2026-11-25T18:30:00.123456789+01:00",
	    "2026-11-25T17:30:00.1234Z", "2026-11-25 17:30:00", "-",
	    "2026-13-25T17:30:00Z", NULL };
	static const char *const urls[] = { "http://10.0.0.5:8080",
	    "https://[2001:db8::2]:8443/", "http://api", "-", NULL };
	uint32_t r = rnd(100);

	/* one member in fifty odd: about half the lines have one */
	if (rnd(50) == 0)
		return odd[rnd(sizeof(odd) / sizeof(odd[0]))];
	if (strcmp(key, "response_code") == 0 ||
	    strcmp(key, "DownstreamStatus") == 0 ||
	    strcmp(key, "OriginStatus") == 0) {
		static const int codes[] = { 200, 200, 200, 503, 502, 504, 403,
		    401, 500, 429, 499, 0, 404 };
		int c = codes[rnd(sizeof(codes) / sizeof(codes[0]))];

		snprintf(buf, cap, r < 90 ? "%d" : "\"%d\"", c);
		return buf;
	}
	if (strcmp(key, "bytes_sent") == 0 || strcmp(key, "duration") == 0 ||
	    strcmp(key, "upstream_request_attempt_count") == 0 ||
	    strcmp(key, "RetryAttempts") == 0 ||
	    strcmp(key, "DownstreamContentSize") == 0 ||
	    strcmp(key, "Duration") == 0 || strcmp(key, "OriginDuration") ==
	    0 || strcmp(key, "RequestCount") == 0) {
		snprintf(buf, cap, r < 90 ? "%u" : "\"%u\"",
		    key[0] == 'D' || key[0] == 'O' ? rnd(90000000) : rnd(9));
		return buf;
	}
	if (strcmp(key, "upstream_service_time") == 0 ||
	    strcmp(key, "x-envoy-upstream-service-time") == 0) {
		snprintf(buf, cap, "\"%u\"", rnd(300));
		return buf;
	}
	if (strcmp(key, "response_flags") == 0)
		return pick(flags, buf, cap);
	if (strcmp(key, "response_code_details") == 0)
		return pick(details, buf, cap);
	if (strcmp(key, "upstream_host") == 0 ||
	    strcmp(key, "ServiceAddr") == 0)
		return pick(hosts, buf, cap);
	if (strcmp(key, "path") == 0 || strcmp(key, "x-envoy-origin-path") ==
	    0 || strcmp(key, "RequestPath") == 0)
		return pick(paths, buf, cap);
	if (strcmp(key, "start_time") == 0 || strcmp(key, "StartUTC") == 0 ||
	    strcmp(key, "StartLocal") == 0 || strcmp(key, "time") == 0)
		return pick(starts, buf, cap);
	if (strcmp(key, "ServiceURL") == 0) {
		if (r > 90)
			return "{\"Host\":\"10.0.0.5:8080\",\"Scheme\":\"http\"}";
		return pick(urls, buf, cap);
	}
	if (strcmp(key, "downstream_remote_address") == 0 ||
	    strcmp(key, "ClientHost") == 0) {
		snprintf(buf, cap, "\"10.%u.%u.%u%s\"", rnd(4), rnd(4),
		    rnd(256), key[0] == 'd' ? ":40000" : "");
		return buf;
	}
	if (strcmp(key, "x_forwarded_for") == 0 ||
	    strcmp(key, "x-forwarded-for") == 0)
		return r < 50 ? "null" : "\"203.0.113.9, 10.0.0.1\"";
	if (strcmp(key, "ServiceName") == 0 || strcmp(key, "RouterName") == 0 ||
	    strcmp(key, "upstream_cluster") == 0)
		return r < 70 ? "\"api@docker\"" : r < 90 ? "null" : "\"-\"";
	if (strcmp(key, "method") == 0 || strcmp(key, "RequestMethod") == 0)
		return r < 80 ? "\"GET\"" : "\"POST\"";
	if (strcmp(key, "upstream_transport_failure_reason") == 0)
		return r < 80 ? "null" : "\"delayed connect error: 111\"";
	if (strcmp(key, "user_agent") == 0 || strcmp(key, "user-agent") == 0 ||
	    strcmp(key, "request_User-Agent") == 0)
		return "\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\"";
	return r < 50 ? "\"x\"" : "\"\"";
}

/* Members of keys[0..n) in random order (one twice, one left out). */
static size_t
gw_members(const char *const *keys, size_t n, char *out, size_t cap)
{
	size_t o = 0, order[64];
	char buf[128];

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (rnd(3) == 0)
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = rnd((uint32_t)i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
	o += (size_t)snprintf(out + o, cap - o, "{");
	for (size_t i = 0; i < n + (rnd(10) == 0); i++) {
		const char *key = keys[order[i % n]];

		if (rnd(25) == 0)
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":%s%s",
		    o > 1 ? (rnd(20) == 0 ? " , " : ",") : "", key,
		    rnd(30) == 0 ? " " : "", gw_value_of(key, buf,
		    sizeof(buf)));
		if (o >= cap)
			return cap - 1;
	}
	o += (size_t)snprintf(out + o, cap - o, "}%s", rnd(30) == 0 ? " \r" :
	    "");
	return o < cap ? o : cap - 1;
}

/*
 * Generated lines of a JSON gateway format through both paths, each also
 * mutated; then the format's fixture. The one-pass read must have taken
 * most of the generated lines.
 */
static void
gw_json_both_ways(const char *format, const char *fixture,
    const char *const *keys, size_t n_keys, const char *const *extra,
    size_t n_extra)
{
	struct pair p;
	struct lines fx;
	char line[8192];
	size_t fast_lines, generated = 0;

	pair_open(&p, format, NULL);
	lines_read_first(fixture, &fx, 0);
	for (size_t i = 0; i < fx.n; i++) {
		char copy[8192];
		size_t n = fx.len[i] < sizeof(copy) ? fx.len[i] : sizeof(copy);

		pair_line(&p, fx.v[i], fx.len[i]);
		for (int k = 0; k < 50; k++) {
			memcpy(copy, fx.v[i], n);
			pair_line(&p, copy, mutate(copy, n, sizeof(copy)));
		}
	}
	for (int i = 0; i < 30000; i++) {
		size_t o;

		if (n_extra > 0 && rnd(20) == 0) {
			/* a gateway's own log line (Traefik: ForwardAuth) */
			o = (size_t)snprintf(line, sizeof(line), "%s",
			    extra[rnd((uint32_t)n_extra)]);
		} else {
			o = gw_members(keys, n_keys, line, sizeof(line));
			generated++;
		}
		pair_line(&p, line, o);
		if (i % 4 == 0) {
			o = mutate(line, o, sizeof(line));
			pair_line(&p, line, o);
		}
	}
	fast_lines = p.f->fast_count(p.fast);
	print_message("%s: %zu lines, %zu requests, %zu read in one pass\n",
	    format, p.lines, p.events, fast_lines);
	assert_true(p.events > generated / 3);
	assert_true(fast_lines > generated / 2);
	assert_int_equal(p.f->fast_count(p.general), 0);
	lines_free(&fx);
	pair_close(&p);
}

static void
test_envoy_json(void **state)
{
	/* Istio's / Envoy's snake-case names, Envoy Gateway's, and others */
	static const char *const keys[] = { "start_time", "method", "path",
	    "protocol", "response_code", "response_flags",
	    "response_code_details", "connection_termination_details",
	    "upstream_transport_failure_reason", "bytes_received",
	    "bytes_sent", "duration", "upstream_service_time",
	    "x_forwarded_for", "user_agent", "request_id", "authority",
	    "upstream_host", "upstream_cluster", "upstream_local_address",
	    "downstream_local_address", "downstream_remote_address",
	    "requested_server_name", "route_name",
	    "upstream_request_attempt_count", "x-envoy-origin-path",
	    ":authority", "user-agent", "x-request-id", "x-forwarded-for",
	    "x-envoy-upstream-service-time" };

	gw_json_both_ways("envoy-json", "tests/data/formats/envoy-json.log",
	    keys, sizeof(keys) / sizeof(keys[0]), NULL, 0);
}

static void
test_traefik_json(void **state)
{
	static const char *const keys[] = { "ClientAddr", "ClientHost",
	    "ClientPort", "ClientUsername", "DownstreamContentSize",
	    "DownstreamStatus", "Duration", "OriginContentSize",
	    "OriginDuration", "OriginStatus", "Overhead", "RequestAddr",
	    "RequestContentSize", "RequestCount", "RequestHost",
	    "RequestMethod", "RequestPath", "RequestPort", "RequestProtocol",
	    "RequestScheme", "RetryAttempts", "RouterName", "ServiceAddr",
	    "ServiceName", "ServiceURL", "StartLocal", "StartUTC",
	    "entryPointName", "level", "msg", "time", "request_User-Agent" };
	static const char *const own[] = {
		"{\"level\":\"debug\",\"middlewareName\":\"auth@file\","
		"\"middlewareType\":\"ForwardAuth\",\"error\":\"dial tcp "
		"10.0.0.9:9000: connect: connection refused\",\"time\":"
		"\"2026-11-25T17:30:00Z\",\"message\":\"Error calling "
		"http://10.0.0.9:9000/verify\"}",
		"{\"level\":\"debug\",\"middlewareName\":\"auth@file\","
		"\"middlewareType\":\"ForwardAuth\",\"time\":"
		"\"2026-11-25T17:30:00Z\",\"message\":\"Remote error "
		"http://10.0.0.9:9000/verify. StatusCode: 401\"}",
		"{\"level\":\"debug\",\"middlewareName\":\"auth@docker\","
		"\"middlewareType\":\"ForwardedAuthType\",\"msg\":\"Remote "
		"error http://auth:4181. StatusCode: 503\",\"time\":"
		"\"2026-11-25T18:30:00+01:00\"}",
		"{\"level\":\"info\",\"msg\":\"Configuration loaded\"}",
	};

	gw_json_both_ways("traefik-json", "tests/data/formats/traefik-json.log",
	    keys, sizeof(keys) / sizeof(keys[0]), own,
	    sizeof(own) / sizeof(own[0]));
}

/* Lines as Envoy and Traefik write them take the one-pass read. */
static void
test_gw_json_fast_taken(void **state)
{
	struct pair p;
	const char envoy[] = "{\"start_time\":\"2026-11-25T17:30:00.123Z\","
	    "\"method\":\"GET\",\"x-envoy-origin-path\":\"/a?b=1\",\"protocol\":"
	    "\"HTTP/1.1\",\"response_code\":503,\"response_flags\":\"UF\","
	    "\"response_code_details\":\"upstream_reset_before_response_"
	    "started{connection_failure}\",\"bytes_sent\":91,\"duration\":4,"
	    "\"x-request-id\":\"7c0f\",\":authority\":\"h\",\"upstream_host\":"
	    "\"10.0.0.5:8080\",\"upstream_cluster\":\"api\","
	    "\"downstream_remote_address\":\"10.1.2.3:40000\"}";
	const char traefik[] = "{\"ClientHost\":\"10.1.2.3\","
	    "\"DownstreamContentSize\":42,\"DownstreamStatus\":502,\"Duration\":"
	    "3000000,\"OriginStatus\":502,\"RequestHost\":\"h\","
	    "\"RequestMethod\":\"GET\",\"RequestPath\":\"/a?b=1\","
	    "\"RequestProtocol\":\"HTTP/1.1\",\"RouterName\":\"api@docker\","
	    "\"ServiceName\":\"api@docker\",\"ServiceURL\":"
	    "\"http://10.0.0.5:8080\",\"StartUTC\":"
	    "\"2026-11-25T17:30:00.123456789Z\"}";

	pair_open(&p, "envoy-json", NULL);
	pair_line(&p, envoy, sizeof(envoy) - 1);
	assert_int_equal(p.f->fast_count(p.fast), 1);
	assert_int_equal(p.events, 1);
	assert_string_equal(p.bf.events[0].path, "/a");
	assert_string_equal(p.bf.events[0].request_id, "7c0f");
	assert_string_equal(p.bf.events[0].host, "h");
	assert_string_equal(p.bf.events[0].client, "10.1.2.3");
	assert_int_equal(p.bf.events[0].ts_ms, 1795627800127);
	assert_int_equal(p.bf.events[0].n_attempts, 1);
	assert_string_equal(p.bf.events[0].attempts[0].addr, "10.0.0.5:8080");
	pair_close(&p);

	pair_open(&p, "traefik-json", NULL);
	pair_line(&p, traefik, sizeof(traefik) - 1);
	assert_int_equal(p.f->fast_count(p.fast), 1);
	assert_int_equal(p.events, 1);
	assert_string_equal(p.bf.events[0].path, "/a");
	assert_int_equal(p.bf.events[0].request_ms, 3);
	assert_int_equal(p.bf.events[0].n_attempts, 1);
	assert_string_equal(p.bf.events[0].attempts[0].addr, "10.0.0.5:8080");
	pair_close(&p);
}

/* Bytes that decide an HAProxy httplog line. */
static const char hap_hostile[] = " /+-{}\"[]:<>.0123456789\r\t\x01\x80";

/* One of a few forms of an httplog field (HAProxy's own and odd ones). */
static const char *
hap_pick(const char *const *v, size_t n)
{
	return v[rnd((uint32_t)n)];
}

static void
test_haproxy(void **state)
{
	static const char *const client[] = { "10.0.0.7:41000", "::1:41007",
	    "[2001:db8::1]:443", "-:47625", "unix:1", "10.0.0.2,10.0.0.1:5",
	    "10.0.0.7", "x:1", "10.0.0.7:123456", ":80" };
	static const char *const date[] = { "25/Nov/2026:17:27:01.000",
	    "25/Nov/2026:17:27:01.1", "25/Nov/2026:17:27:01.123456",
	    "25/Nov/2026:17:27:01", "25/Nov/2026:17:27:02.999",
	    "25/Nov/2026:17:27:01.", "25/Nov/2026:17:27:01 +0100",
	    "25/Nov/2026:17:27:01.5 -0130", "31/Feb/2026:17:27:01.000",
	    "25/Nov/2026:24:00:00.000", "29/Feb/2024:00:00:60.5",
	    "25/Nov/2026:17:27:01.12x", "5/Nov/2026:17:27:01.000" };
	static const char *const fe[] = { "fe", "fe~", "http-in", "a]b" };
	static const char *const bs[] = { "be_api/api1", "be_api/<NOSRV>",
	    "fe/<NOSRV>", "be/s/x", "noslash", "/s", "b/" };
	static const char *const timers[] = { "0/0/1/2/3", "-1/-1/-1/-1/5001",
	    "0/0/-1/-1/1002", "+0/0/1/2/+3", "1/2/3/4/5/6", "1/2/3/4",
	    "0/0/1003/2/1006", "1/2/3/4/9999999999999999999",
	    "1/2/3/4/999999999999999999", "a/b/c/d/e", "HTTP/1.1 0/0/1/2/3" };
	static const char *const status[] = { "200", "503", "-1", "+200",
	    "2000", "20x", "" };
	static const char *const bytes[] = { "74", "0", "-5", "123456789012",
	    "x" };
	static const char *const tsc[] = { "----", "SC--", "sQ--", "PR--",
	    "cR--", "CH--", "IH--", "SD--", "sD--", "---", "-----" };
	static const char *const conn[] = { "1/1/0/0/0", "1/1/0/0/2",
	    "1/1/0/0/+1", "9/9/8/0/0", "1/1/0/0/+", "+1/1/0/0/0",
	    "1/1/0/0", "1/1/0/0/0/0", "1/+1/0/0/0", "1/1/0/0/99" };
	static const char *const queue[] = { "0/0", "0/12", "+1/-1", "0",
	    "0/0/0" };
	static const char *const tail[] = { " \"GET /a?b=1&c=x HTTP/1.1\"",
	    " {example.com|curl/8} {} \"POST /api/v1/orders?id=9 HTTP/1.1\"",
	    " {h} \"GET / HTTP/1.1\"", "  {a}  {b}  \"GET /x HTTP/1.0\"",
	    " \"<BADREQ>\"", " \"GET /cut", "", " ", " {unclosed \"GET / \"",
	    " {a} {b} {c} \"GET / HTTP/1.1\"", " x", " \"\"",
	    " \"GET http://h:8080/p?q HTTP/1.1\"", " \"CONNECT h:443 "
	    "HTTP/1.1\"", "\r", " \"GET / HTTP/1.1\"\r" };
	static const char *const prefix[] = { "", "", "", "",
	    "<134>Nov 25 17:27:01 lb1 haproxy[1]: ", "lb1 haproxy[1]: ",
	    "x " };
	struct pair p;
	struct lines fx;
	char line[4096];
	static const char *const fixtures[] = {
	    "tests/data/formats/haproxy.log",
	    "tests/data/formats/wrapped/haproxy-pri.log",
	    "tests/data/formats/wrapped/lnav-haproxy.log",
	    "tests/data/formats/wrapped/beats-haproxy.log" };

	pair_open(&p, "haproxy", NULL);
	for (size_t k = 0; k < sizeof(fixtures) / sizeof(fixtures[0]); k++) {
		lines_read_first(fixtures[k], &fx, 0);
		for (size_t i = 0; i < fx.n; i++) {
			const char *body = memmem(fx.v[i], fx.len[i], "]: ", 3);

			pair_line(&p, fx.v[i], fx.len[i]);
			if (body != NULL)	/* the body alone, as peeled */
				pair_line(&p, body + 3, fx.len[i] - (size_t)
				    (body + 3 - fx.v[i]));
		}
		lines_free(&fx);
	}
	for (int i = 0; i < 30000; i++) {
		bool plain = rnd(4) != 0;
		size_t o = (size_t)snprintf(line, sizeof(line),
		    "%s%s [%s] %s %s %s %s %s - - %s %s %s%s",
		    hap_pick(prefix, sizeof(prefix) / sizeof(prefix[0])),
		    plain ? client[rnd(3)] : hap_pick(client, 10),
		    plain ? date[rnd(5)] : hap_pick(date, 13),
		    hap_pick(fe, 4), plain ? bs[rnd(3)] : hap_pick(bs, 7),
		    plain ? timers[rnd(4)] : hap_pick(timers, 11),
		    plain ? status[rnd(3)] : hap_pick(status, 7),
		    plain ? bytes[rnd(3)] : hap_pick(bytes, 5),
		    plain ? tsc[rnd(9)] : hap_pick(tsc, 11),
		    plain ? conn[rnd(4)] : hap_pick(conn, 10),
		    plain ? queue[rnd(3)] : hap_pick(queue, 5),
		    plain ? tail[rnd(4)] : hap_pick(tail, 16));

		pair_line(&p, line, o);
		if (i % 3 == 0) {
			o = mutate_with(line, o, sizeof(line), hap_hostile,
			    sizeof(hap_hostile) - 1);
			pair_line(&p, line, o);
		}
	}
	print_message("haproxy: %zu lines, %zu requests, %zu read the fast "
	    "way\n", p.lines, p.events, p.f->fast_count(p.fast));
	assert_true(p.events > p.lines / 4);
	assert_true(p.f->fast_count(p.fast) > 5000);
	assert_int_equal(p.f->fast_count(p.general), 0);
	pair_close(&p);
}

/* A plain httplog body takes the one-pass read, read right. */
static void
test_haproxy_fast_taken(void **state)
{
	struct pair p;
	const char line[] = "10.0.0.7:41006 [25/Nov/2026:17:27:01.600] fe "
	    "be_api/api2 0/0/1003/2/1006 503 120 - - SC-- 1/1/0/0/2 0/0 "
	    "{h} \"GET /api/retry?b=1 HTTP/1.1\"";

	pair_open(&p, "haproxy", NULL);
	pair_line(&p, line, sizeof(line) - 1);
	pair_line(&p, line, sizeof(line) - 1);	/* the date's second kept */
	assert_int_equal(p.f->fast_count(p.fast), 2);
	assert_int_equal(p.events, 2);
	assert_string_equal(p.bf.events[1].path, "/api/retry");
	assert_string_equal(p.bf.events[1].client, "10.0.0.7");
	assert_int_equal(p.bf.events[1].n_attempts, 3);
	assert_string_equal(p.bf.events[1].attempts[2].addr, "be_api/api2");
	pair_close(&p);
}

/*
 * jsonfast.h's own edges against json-c, one member "a" read both ways
 * (review, session 5): where the one-pass read takes a line, it must
 * give json-c's answer for jsonlog_src_int and (when it can say)
 * jsonlog_src_str; the lines listed as declined must be json-c's.
 * Each line is copied to a buffer of its exact size, so a read past its
 * end (the 16-byte string scan) is ASan's to see.
 */
static void
test_jf_edges(void **state)
{
	static const char *const agree[] = {
		"{\"a\":-0}", "{\"a\":-0.0}", "{\"a\":0}", "{\"a\":\"x\",\"a\":\"y\"}",
		"{\"a\":1,\"a\":null}", "{\"a\":null,\"a\":7}", "{\"a\":1.5}",
		"{\"a\":-1.5}", "{\"a\":999999999999999999.5}",
		"{\"a\":-999999999999999999}", "{\"a\":999999999999999999}",
		"{\"a\":\"12\"}", "{\"a\":\" 12\"}", "{\"a\":\"-0\"}",
		"{\"a\":\"999999999999999999999\"}", "{\"a\":1} \r",
		"{\"a\":{\"b\":1},\"a\":\"z\"}", "{\"a\":\"z\",\"a\":{\"b\":1}}",
		"{\"a\":[1]}", "{\"a\":true}", "{\"a\":false}", "{}",
		"{\"a\":0.30000000000000004}", "{\"a\":9007199254740993.0}",
		"{\"a\":0.000000000000000000001}", "{\"a\":123456789012345.67}",
		"{\"a\":1 , \"b\" : 2 }", "{\"b\":{\"c\":[{\"d\":[]}]},\"a\":3}",
		"{\"a\":\"0123456789abcde\"}", "{\"a\":\"0123456789abcdef\"}",
		"{\"a\":\"0123456789abcdef0\"}",
	};
	static const char *const declined[] = {
		"{\"a\":00}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-.5}",
		"{\"a\":.5}", "{\"a\":1e5}", "{\"a\":1E5}", "{\"a\":+1}",
		"{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-}",
		"{\"a\":1234567890123456789}", "{\"a\":\"\\u0041\"}",
		"{\"a\":\"\\\"\"}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\x7f\"}",
		"{\"a\":\"\t\"}", "{\"a\":\t1}", "{\"a\":1,}", "{'a':1}",
		"{\"a\":1/*x*/}", "{\"a\":1}x", "{\"a\":1}{}", " {\"a\":1}",
		"{\"a\":1", "{\"a\":\"0123456789abcdef0123456789abcdef",
		"{\"a\":\"0123456789abcde", "{\"a\":\"0123456789abcdef",
		"{\"a\":0.12345678901234567890123456789012345678901}",
		"{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}",
		"{\"a\":tru}", "{\"a\":nul}", "{\"a\":fals}",
	};
	static const char *const names[] = { "a" };
	struct jf_keys k;
	struct json_tokener *tok = json_tokener_new();

	assert_non_null(tok);
	jf_keys_init(&k, names, 1);
	for (size_t i = 0; i < sizeof(agree) / sizeof(agree[0]) +
	    sizeof(declined) / sizeof(declined[0]); i++) {
		bool must = i < sizeof(agree) / sizeof(agree[0]);
		const char *line = must ? agree[i] :
		    declined[i - sizeof(agree) / sizeof(agree[0])];
		size_t n = strlen(line);
		char *copy = malloc(n);
		struct jf_val v[1];
		struct jsonlog_src fs = { NULL, &k, v }, gs = { NULL, &k, NULL };
		int64_t fi = -7, gi = -7;
		struct logspan fstr, gstr;
		bool took, fok, gok;

		assert_non_null(copy);
		memcpy(copy, line, n);
		took = jf_flat(&k, copy, n, v);
		if (took != must)
			print_error("%s: one-pass %s\n", line,
			    took ? "took it" : "declined");
		assert_int_equal(took, must);
		if (took) {
			gs.o = jsonlog_parse(tok, copy, n);
			assert_non_null(gs.o);
			fok = jsonlog_src_int(&fs, 0, &fi);
			gok = jsonlog_src_int(&gs, 0, &gi);
			assert_int_equal(fok, gok);
			assert_int_equal(fi, gi);
			if (jsonlog_src_str(&fs, 0, &fstr)) {
				assert_true(jsonlog_src_str(&gs, 0, &gstr));
				assert_int_equal(fstr.n, gstr.n);
				assert_memory_equal(fstr.n ? fstr.p : "",
				    gstr.n ? gstr.p : "", fstr.n);
			}
			json_object_put(gs.o);
		}
		free(copy);
	}
	json_tokener_free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caddy),
		cmocka_unit_test(test_caddy_fast_taken),
		cmocka_unit_test(test_caddy_fast_roundtrip),
		cmocka_unit_test(test_nginx),
		cmocka_unit_test(test_envoy_json),
		cmocka_unit_test(test_traefik_json),
		cmocka_unit_test(test_gw_json_fast_taken),
		cmocka_unit_test(test_jf_edges),
		cmocka_unit_test(test_haproxy),
		cmocka_unit_test(test_haproxy_fast_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
