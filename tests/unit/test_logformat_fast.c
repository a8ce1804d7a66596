/*
 * test_logformat_fast.c - parse/logformat.c's hand matcher against PCRE2.
 *
 * Every line is parsed twice with the same compiled format: as `ingest`
 * does (the hand matcher first, PCRE2 when it does not match) and with
 * PCRE2 alone (logformat_use_fast(lf, false)). The result, the reason of a
 * reject and every field of the event must be the same. The lines: for
 * every built-in format, bench/run.sh's production format, an escape=json
 * one and formats made to reach each piece of the matcher (lazy text
 * before ':' '|' ']' ' ', greedy and possessive lists, ISO times, unix:
 * addresses), lines written from the format with values drawn from pools of
 * plain and odd values (escapes, quotes, the next literal inside a field,
 * lists, dashes, empty), each also mutated at random positions with the
 * bytes that decide a match; then hostile lines (fields of escapes up to
 * and past the matcher's 16 KiB, a lazy field holding its literal dozens
 * of times, lists of 40 items). And the matcher must have matched a fair
 * share of the lines of each format it serves, so the test fails if it
 * silently stopped working.
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
#include "parse/logformat.h"

/* xorshift64: the same lines on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

struct pool {
	const char *name;	/* variable name, NULL: the default pool */
	const char *const *v;
};

#define P(...) (const char *const[]){ __VA_ARGS__, NULL }

static const struct pool pools[] = {
	{ "remote_addr", P("1.2.3.4", "2001:db8::1", "fe80::1%eth0", "unix:",
	    "unix:/tmp/x y", "-", "10.0.0.1, 10.0.0.2", "1.2.3.4,5.6.7.8",
	    "::ffff:1.2.3.4", "abc", "", "1.2.3.4%", "1.2.3.4, ", "u") },
	{ "remote_user", P("-", "bob", "a b", "a [b", "x\\x22y", "[", " [",
	    "a ] [", "\\", "a\\", "\xc3\xa9", "a  [ [", "-\\ [") },
	{ "time_local", P("25/Nov/2026:10:00:00 +0000",
	    "25/nov/2026:10:00:00 -0130", "5/Nov/2026:10:00:00 +0000",
	    "25/Nov/2026:10:00:00 0000", "99/Xyz/2026:99:99:99 +9999",
	    "25/N0v/2026:10:00:00 +0000", "25/Nov/2026:10:00:00 +000") },
	{ "time_iso8601", P("2026-11-25T10:00:00+00:00",
	    "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.123+0100",
	    "2026-11-25T10:00:00", "2026-11-25T10:00:00+01:0",
	    "2026-11-25T10:00:00.+01:00", "2026-11-25T10:00:00.5",
	    "2026-11-25T10:00:00+01", "2026-11-25 10:00:00") },
	{ "request", P("GET /a?b=1&c=&d=x HTTP/1.1", "-", "GET / HTTP/1.0",
	    "\\x16\\x03\\x01", "GET /\\\"q HTTP/1.1", "GET /a b HTTP/1.1", "",
	    "GET http://h:8/p?q=1 HTTP/1.1", "CONNECT h:443 HTTP/1.1",
	    "GET /%41?%6b=1 HTTP/2.0", "POST /x?a=1&a=2&b=-3.5 HTTP/1.1") },
	{ "status", P("200", "502", "-", "20", "2000", "abc", "499") },
	{ "body_bytes_sent", P("0", "123", "-", "", "1.5", "12a") },
	{ "request_length", P("0", "84", "-", "", "1 2") },
	{ "request_time", P("0.004", "12", "-", "1.", "1.2.3", ".5", "0.0001") },
	{ "msec", P("1795564800.123", "1795564800", "-", "abc", "1.2.3") },
	{ "upstream_addr", P("10.0.0.1:80", "10.0.0.1:80, 10.0.0.2:80",
	    "a:1 : b:2", "-", "unix:/s", "x,y", "a, ", "a,  b", "a : b : c",
	    "10.0.0.1:80, -", "", "a : ", "u1, u2 : u3, u4, u5") },
	{ "upstream_status", P("200", "502, 200", "- : 504", "-", "50",
	    "502,200", "502, 200, ", "502, 503, 504, 200", "") },
	{ "upstream_connect_time", P("0.001", "0.001, 0.002", "- : 0.5", "-",
	    "1.", "0.001,0.002", "0.1, 0.2 : 0.3") },
	{ "upstream_header_time", P("0.001", "0.001, -", "-", "") },
	{ "upstream_response_time", P("0.058", "0.001, 0.003", "- : 0.5",
	    "-", "12", "0.001, 0.002, 0.003") },
	{ "upstream_response_length", P("12", "0, 612", "-", "1 : 2", "") },
	{ "request_id", P("890cbd8013c7ac376c72307b7b0739d7", "-", "a b", "",
	    "a|b", "x\\x22") },
	{ "req_id", P("5f2c0e1a9d8b7c6a5f4e3d2c1b0a9988", "-", "") },
	{ "host", P("app.example.com", "-", "a b", "", "x\\x20", "h|") },
	{ "http_host", P("127.0.0.1:9080", "a b", "-", "") },
	{ "proxy_upstream_name", P("default-users-80", "", "a]b", "a ] [b",
	    "]", "a\\]") },
	{ NULL, P("-", "curl/8.0", "Mozilla/5.0 (X11; Linux) Gecko", "a\\\"b",
	    "x\\x22y", "\\", "a\"b", "", "tab\there", "a:b", "a|b", "a]b",
	    "http://r/?a=1", "\\u00e9", "a\\") },
};

/* The value pool of variable name (n bytes). */
static const char *const *
pool_of(const char *name, size_t n)
{
	size_t i;

	for (i = 0; pools[i].name != NULL; i++)
		if (strlen(pools[i].name) == n &&
		    memcmp(pools[i].name, name, n) == 0)
			break;
	return pools[i].v;
}

/*
 * A line of the format whose one string is tmpl: each $var replaced by a
 * value of its pool, the first value (a plain one) when plain.
 */
static size_t
write_line(const char *tmpl, bool plain, char *out, size_t cap)
{
	size_t o = 0;

	for (const char *p = tmpl; *p != '\0';) {
		if (*p != '$') {
			if (o + 1 < cap)
				out[o++] = *p;
			p++;
			continue;
		}
		bool brace = p[1] == '{';
		const char *name = p + 1 + brace, *e = name;
		while ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') ||
		    *e == '_' || (*e >= 'A' && *e <= 'Z'))
			e++;
		const char *const *v = pool_of(name, (size_t)(e - name));
		size_t nv = 0;
		while (v[nv] != NULL)
			nv++;
		/* mostly the plain first value, so many lines match */
		const char *val = v[plain || rnd(3) != 0 ? 0 :
		    rnd((uint32_t)nv)];
		size_t vl = strlen(val);
		if (o + vl < cap) {
			memcpy(out + o, val, vl);
			o += vl;
		}
		p = e + (brace && *e == '}');
	}
	out[o] = '\0';
	return o;
}

/* Bytes that decide matches. */
static const char hostile[] = "\"\\ ,:[]-.%0123456789|\t\x01\x7f\x80{}Z+/u";

/* Mutate line (len bytes, room for cap) at 1..3 places; new length. */
static size_t
mutate(char *line, size_t len, size_t cap)
{
	int k = 1 + (int)rnd(3);

	while (k-- > 0 && len > 0) {
		size_t at = rnd((uint32_t)len);
		char c = rnd(20) == 0 ? '\0' : rnd(20) == 0 ? '\r' :
		    hostile[rnd(sizeof(hostile) - 1)];

		switch (rnd(3)) {
		case 0:
			line[at] = c;
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(line + at + 1, line + at, len - at);
				line[at] = c;
				len++;
			}
			break;
		default:
			memmove(line + at, line + at + 1, len - at - 1);
			len--;
			break;
		}
	}
	return len;
}

/* Every field of an event as text, for comparing. */
static void
dump_event(const struct gw_event *e, char *out, size_t cap)
{
	int o = snprintf(out, cap, "ts=%lld tz=%d/%d st=%d by=%lld rt=%d "
	    "cause=%d c=%s m=%s h=%s p=%s q=%s pr=%s id=%s sh=%s n=%d",
	    (long long)e->ts_ms, e->tz_min, e->tz_known, e->status,
	    (long long)e->bytes, e->request_ms, (int)e->cause,
	    e->client ? e->client : "(null)", e->method ? e->method : "(null)",
	    e->host ? e->host : "(null)", e->path ? e->path : "(null)",
	    e->query ? e->query : "(null)",
	    e->protocol ? e->protocol : "(null)",
	    e->request_id ? e->request_id : "(null)",
	    e->shape ? e->shape : "(null)", e->n_attempts);
	for (int i = 0; i < e->n_attempts && o > 0 && (size_t)o < cap; i++) {
		const struct gw_attempt *a = &e->attempts[i];
		o += snprintf(out + o, cap - (size_t)o, " [%s %d %d %d %d g%d "
		    "c%d]", a->addr ? a->addr : "(null)", a->status,
		    a->connect_ms, a->header_ms, a->response_ms, a->group,
		    (int)a->cause);
	}
}

struct both {
	struct arena *a, *b;
	char da[8192], db[8192];
	size_t lines, events;
};

/* The hand matcher's scanners of text runs (logformat_use_scanner). */
static const char *const scanners[] = { "avx2", "sse2", "bytes" };

/*
 * Parse line both ways and assert the same outcome: PCRE2 alone, then the
 * hand matcher with each scanner this machine has (the fastest last, as
 * `ingest` runs). The line is copied to a heap block of exactly its
 * length, so a read past it is ASan's to see.
 */
static void
check_line(struct both *t, struct logformat *lf, const char *line,
    size_t len)
{
	struct gw_event ea, eb;
	const char *ra = NULL, *rb = NULL;
	enum format_result xa, xb;
	char *exact = malloc(len > 0 ? len : 1);

	assert_non_null(exact);
	memcpy(exact, line, len);
	line = exact;
	memset(&eb, 0, sizeof(eb));
	logformat_use_fast(lf, false);
	xb = logformat_parse(lf, line, len, t->b, &eb, &rb);
	logformat_use_fast(lf, true);
	dump_event(&eb, t->db, sizeof(t->db));
	t->lines++;
	if (xb == FORMAT_EVENT)
		t->events++;
	for (size_t k = sizeof(scanners) / sizeof(scanners[0]); k-- > 0;) {
		if (!logformat_use_scanner(lf, scanners[k]))
			continue;
		memset(&ea, 0, sizeof(ea));
		xa = logformat_parse(lf, line, len, t->a, &ea, &ra);
		if (xa != xb || (xa == FORMAT_REJECT && strcmp(ra, rb) != 0))
			fail_msg("results differ (%d %s / %d %s, %s) on [%.*s]",
			    xa, ra ? ra : "", xb, rb ? rb : "", scanners[k],
			    (int)(len > 300 ? 300 : len), line);
		if (xa == FORMAT_EVENT) {
			dump_event(&ea, t->da, sizeof(t->da));
			if (strcmp(t->da, t->db) != 0)
				fail_msg("fields differ on [%.*s] (%s):\n  fast  "
				    "%s\n  pcre2 %s", (int)(len > 300 ? 300 :
				    len), line, scanners[k], t->da, t->db);
		}
		arena_reset(t->a);
	}
	arena_reset(t->b);
	free(exact);
}

struct fmt_case {
	const char *text;	/* as --log-format takes it (NULL: builtin) */
	const char *builtin;
	bool fast;		/* the hand matcher serves it */
};

/* bench/run.sh's production format. */
#define PROD_FMT "$remote_addr - $remote_user [$time_local] \"$request\" " \
	"$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" " \
	"rt=$request_time uaddr=\"$upstream_addr\" us=\"$upstream_status\" " \
	"uct=\"$upstream_connect_time\" uht=\"$upstream_header_time\" " \
	"urt=\"$upstream_response_time\" rid=$request_id host=$host"

static const struct fmt_case cases[] = {
	{ NULL, "upstream", true },
	{ NULL, "combined", true },
	{ NULL, "main", true },
	{ NULL, "ingress-nginx", true },
	{ NULL, "apisix", false },	/* $upstream_host$upstream_uri */
	{ PROD_FMT, NULL, true },
	{ "escape=json '{\"a\":\"$remote_addr\",\"t\":\"$time_iso8601\","
	    "\"r\":\"$request\",\"s\":$status,\"u\":\"$http_user_agent\","
	    "\"ua\":\"$upstream_addr\",\"us\":\"$upstream_status\","
	    "\"ut\":\"$upstream_response_time\"}'", NULL, true },
	{ "$remote_user:$status $request_id|$host", NULL, true },
	{ "[$proxy_upstream_name] $http_x_y]$status $msec", NULL, true },
	{ "$upstream_addr $upstream_status $upstream_response_time,"
	    "$upstream_response_length $request_length", NULL, true },
	{ "$upstream_status,$upstream_connect_time $remote_addr "
	    "\"$request\"", NULL, true },
	{ "$time_iso8601 $remote_addr $request_time $http_referer", NULL,
	    true },
	/* greedy lists before free text: the most items win */
	{ "$upstream_addr $http_x_forwarded_for", NULL, true },
	{ "$upstream_response_time $request_id", NULL, true },
	{ "$remote_addr:$remote_port \"$request\" $status", NULL, false },
	{ "escape=none '$remote_addr \"$request\" $status'", NULL, false },
};

/* The one string of a case's format, for writing its lines. */
static void
template_of(const struct fmt_case *c, char *out, size_t cap)
{
	const char *t = c->builtin ? logformat_builtin(c->builtin) : c->text;
	const char *q = strchr(t, '\'');

	if (q != NULL) {	/* the inside of the quoted string */
		const char *e = strrchr(t, '\'');
		snprintf(out, cap, "%.*s", (int)(e - q - 1), q + 1);
	} else
		snprintf(out, cap, "%s", t);
}

static struct logformat *
compile_case(const struct fmt_case *c)
{
	struct logformat *lf = NULL;
	char err[256];
	char *text = c->builtin ? NULL : logformat_text_from_arg(c->text);

	assert_int_equal(logformat_compile(c->builtin ?
	    logformat_builtin(c->builtin) : text, 0, &lf, err, sizeof(err)),
	    0);
	free(text);
	return lf;
}

/* How many scanners this machine has (each line is matched by each). */
static size_t
n_scanners(struct logformat *lf)
{
	size_t n = 0;

	for (size_t k = sizeof(scanners) / sizeof(scanners[0]); k-- > 0;)
		n += logformat_use_scanner(lf, scanners[k]);
	return n;
}

static void
test_same_as_pcre2(void **state)
{
	struct both t = { 0 };
	char tmpl[1024], line[4096];

	t.a = arena_new();
	t.b = arena_new();
	assert_non_null(t.a);
	assert_non_null(t.b);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct fmt_case *c = &cases[k];
		struct logformat *lf = compile_case(c);
		size_t events0 = t.events, events;

		if (logformat_has_fast(lf) != c->fast)
			fail_msg("format %zu: hand matcher %s", k, c->fast ?
			    "missing" : "unexpected");
		template_of(c, tmpl, sizeof(tmpl));
		for (int i = 0; i < 1500; i++) {
			size_t len = write_line(tmpl, i == 0, line,
			    sizeof(line));

			check_line(&t, lf, line, len);
			for (int m = 0; m < 3; m++) {
				char copy[4096];
				size_t n = len;

				memcpy(copy, line, len + 1);
				n = mutate(copy, n, sizeof(copy));
				check_line(&t, lf, copy, n);
			}
		}
		events = t.events - events0;
		print_message("format %zu: %zu lines read, %zu matched by "
		    "hand (by each scanner)\n", k, events,
		    logformat_fast_count(lf) / n_scanners(lf));
		if (c->fast && logformat_fast_count(lf) < events * 3 / 4 *
		    n_scanners(lf))
			fail_msg("format %zu: hand matcher matched %zu of %zu "
			    "lines", k, logformat_fast_count(lf), events);
		if (!c->fast)
			assert_int_equal(logformat_fast_count(lf), 0);
		logformat_free(lf);
	}
	/* the pools reach both outcomes */
	assert_true(t.events > t.lines / 10);
	assert_true(t.events < t.lines);
	arena_free(t.a);
	arena_free(t.b);
}

/*
 * Numbers of every shape ($request_time's `[0-9]++(?:\.[0-9]++)?+`,
 * $body_bytes_sent's digits, their lists) read a word at a time: where the
 * first non-digit falls in it, a '.' with or without digits after it,
 * digits past the word, and the line's end within the word.
 */
static void
test_numbers_every_shape(void **state)
{
	/* a format, and its line: the value, then a tail in the field
	 * after it (or at the line's end) */
	static const struct {
		const char *fmt, *line;
	} fmts[] = {
		{ "'$request_time $request_id'", "%s r%s" },
		{ "'$request_time \"$http_referer\"'", "%s \"r%s\"" },
		{ "'$body_bytes_sent $request_id'", "%s r%s" },
		{ "'x=\"$upstream_response_time\" $request_id'", "x=\"%s\" r%s" },
		{ "'$status \"$upstream_connect_time\" $request_id'",
		    "200 \"%s\" r%s" },
		{ "'$upstream_header_time $request_id'", "%s r%s" },
		{ "'$status $request_time'", "200 %s%s" },
		{ "'$request_time'", "%s%s" },
	};
	static const char *const vals[] = {
		"0", "7", "0.004", "12.5", "1.", ".5", "1.2.3", "1..2",
		"12345678", "1234567", "123456789", "1234567.1", "123456789.1",
		"1.23456789", "1.2345678", "0.0000001", "-", "1.x", "7.-",
		"99999999.99999999", "0.004, 0.002", "1 : 2", "5x", "",
		"\\x31", "0.5\\x2e", "1.\"", "12.\"5",
	};
	static const char *const tails[] = { "", "1", "12", "1234567", "." };
	struct both t = { 0 };
	char line[256];

	(void)state;
	t.a = arena_new();
	t.b = arena_new();
	assert_non_null(t.a);
	assert_non_null(t.b);
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		struct logformat *lf = NULL;
		char err[256];

		if (logformat_compile(fmts[f].fmt, 0, &lf, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", fmts[f].fmt, err);
		assert_true(logformat_has_fast(lf));
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			for (size_t k = 0; k < sizeof(tails) / sizeof(tails[0]);
			    k++) {
				int len;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
				len = snprintf(line, sizeof(line), fmts[f].line,
				    vals[v], tails[k]);
#pragma GCC diagnostic pop
				assert_true(len >= 0 && (size_t)len < sizeof(line));
				check_line(&t, lf, line, (size_t)len);
			}
		}
		logformat_free(lf);
	}
	/* both outcomes reached */
	print_message("%zu lines, %zu events\n", t.lines, t.events);
	assert_true(t.events > t.lines / 4);
	assert_true(t.events < t.lines);
	arena_free(t.a);
	arena_free(t.b);
}

/* A prod line whose user agent is n bytes of unit (repeated). */
static char *
long_line(const char *unit, size_t n, size_t *len)
{
	const char *pre = "1.2.3.4 - - [25/Nov/2026:10:00:00 +0000] \"GET /a "
	    "HTTP/1.1\" 200 1 \"-\" \"";
	const char *post = "\" rt=0.004 uaddr=\"10.0.0.1:80\" us=\"200\" "
	    "uct=\"0.001\" uht=\"0.002\" urt=\"0.003\" rid=abc host=h";
	size_t ul = strlen(unit), pl = strlen(pre), ql = strlen(post);
	char *s = malloc(pl + n + ul + ql + 1);

	assert_non_null(s);
	memcpy(s, pre, pl);
	size_t o = pl;
	while (o < pl + n) {
		memcpy(s + o, unit, ul);
		o += ul;
	}
	memcpy(s + o, post, ql);
	o += ql;
	s[o] = '\0';
	*len = o;
	return s;
}

static void
test_hostile_lines(void **state)
{
	struct both t = { 0 };
	struct fmt_case prod = { PROD_FMT, NULL, true };
	struct logformat *lf = compile_case(&prod);
	static const char *const units[] = {
		"\\x22", "\\\\", "a", " ", "\\\"", "\xff", "a\\", "\\ ",
	};
	static const size_t sizes[] = {
		0, 1, 100, 4000, 8000, 15 * 1024, 16 * 1024 - 190,
		16 * 1024 - 170, 16 * 1024, 20000, 64 * 1024, 300 * 1024,
	};
	char line[8192];

	t.a = arena_new();
	t.b = arena_new();
	assert_non_null(t.a);
	assert_non_null(t.b);
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len;
			char *l = long_line(units[u], sizes[s], &len);

			check_line(&t, lf, l, len);
			free(l);
		}
	/* a lazy $remote_user holding " [" n times: tries up to and past
	 * the matcher's bound, ending with and without a match */
	for (int n = 0; n < 80; n += 3) {
		for (int good = 0; good < 2; good++) {
			size_t o = (size_t)snprintf(line, sizeof(line),
			    "1.2.3.4 - ");
			for (int i = 0; i < n; i++)
				o += (size_t)snprintf(line + o, sizeof(line) - o,
				    "u%d [", i);
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    "%s25/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" "
			    "200 1 \"-\" \"-\" rt=1 uaddr=\"a\" us=\"200\" "
			    "uct=\"1\" uht=\"1\" urt=\"1\" rid=x host=h",
			    good ? " [" : "[");
			check_line(&t, lf, line, o);
		}
	}
	logformat_free(lf);

	/* greedy lists of up to 40 items, given back to match */
	struct fmt_case greedy = { "$upstream_addr $upstream_status $status",
	    NULL, true };
	lf = compile_case(&greedy);
	for (int n = 1; n < 40; n++) {
		for (int tail = 0; tail < 3; tail++) {
			size_t o = 0;
			for (int i = 0; i < n; i++)
				o += (size_t)snprintf(line + o, sizeof(line) - o,
				    "%sa%d", i ? (i % 3 ? ", " : " : ") : "", i);
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    tail == 0 ? " 502, 200 200" : tail == 1 ?
			    " 502 : 200" : " 200");
			check_line(&t, lf, line, o);
		}
	}
	assert_true(logformat_fast_count(lf) > 0);
	logformat_free(lf);
	arena_free(t.a);
	arena_free(t.b);
}

/*
 * The hand matcher keeps the last $time_local it took and compares a
 * line's with it, seconds aside: lines that differ from a good one only
 * in the seconds (good or bad digits) or in one other byte of the time,
 * each after the good one, are read as PCRE2 reads them.
 */
static void
test_time_memo(void **state)
{
	struct both t = { 0 };
	struct fmt_case prod = { PROD_FMT, NULL, true };
	struct logformat *lf = compile_case(&prod);
	static const char good[] = "25/Nov/2026:10:00:07 +0130";
	static const char subst[] = "09aZ/: +-x\x22\xff";
	char line[1024], tm[sizeof(good)];
	size_t fast0;

	t.a = arena_new();
	t.b = arena_new();
	assert_non_null(t.a);
	assert_non_null(t.b);
	for (size_t pos = 0; pos < sizeof(good) - 1; pos++) {
		for (size_t k = 0; k < sizeof(subst) - 1; k++) {
			const char *times[2] = { good, tm };

			memcpy(tm, good, sizeof(good));
			tm[pos] = subst[k];
			for (int i = 0; i < 2; i++) {
				int n = snprintf(line, sizeof(line), "1.2.3.4 - "
				    "- [%s] \"GET /a HTTP/1.1\" 200 1 \"-\" \"-\" "
				    "rt=0.004 uaddr=\"10.0.0.1:80\" us=\"200\" "
				    "uct=\"0.001\" uht=\"0.002\" urt=\"0.003\" "
				    "rid=abc host=h", times[i]);

				check_line(&t, lf, line, (size_t)n);
			}
		}
	}
	/* and the memo served: most good lines matched by hand */
	fast0 = logformat_fast_count(lf);
	assert_true(fast0 > t.lines / 2);
	logformat_free(lf);
	arena_free(t.a);
	arena_free(t.b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_pcre2),
		cmocka_unit_test(test_numbers_every_shape),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_time_memo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
