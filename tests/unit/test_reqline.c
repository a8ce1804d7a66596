/*
 * test_reqline.c - core/reqline.c: every request-target form of RFC 9112,
 * HTTP/0.9, and lines that are no request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/reqline.h"

/* A span equals want (NULL: absent). */
static void
span_eq(struct reqline_span s, const char *want)
{
	if (want == NULL) {
		assert_int_equal(s.n, 0);
		return;
	}
	assert_int_equal(s.n, strlen(want));
	assert_memory_equal(s.p, want, s.n);
}

static struct reqline
split_ok(const char *line)
{
	struct reqline r;

	assert_true(reqline_split(line, strlen(line), &r));
	return r;
}

static void
test_origin(void **state)
{
	struct reqline r;

	(void)state;
	r = split_ok("GET /a/b?x=1&y=2 HTTP/1.1");
	assert_int_equal(r.form, REQLINE_ORIGIN);
	span_eq(r.method, "GET");
	span_eq(r.path, "/a/b");
	span_eq(r.query, "x=1&y=2");
	span_eq(r.proto, "HTTP/1.1");
	span_eq(r.host, NULL);
	span_eq(r.authority, NULL);
	/* an empty query is no query */
	r = split_ok("GET /p? HTTP/1.1");
	span_eq(r.path, "/p");
	span_eq(r.query, NULL);
	/* HTTP/2 as nginx and HAProxy write it; a method token */
	r = split_ok("PROPFIND /dav HTTP/2.0");
	span_eq(r.method, "PROPFIND");
	span_eq(r.proto, "HTTP/2.0");
	r = split_ok("M-SEARCH * HTTP/1.1");
	span_eq(r.method, "M-SEARCH");
	/* old nginx logged raw spaces in the target */
	r = split_ok("GET /a b?q=1 2 HTTP/1.0");
	span_eq(r.path, "/a b");
	span_eq(r.query, "q=1 2");
	span_eq(r.proto, "HTTP/1.0");
}

static void
test_absolute(void **state)
{
	struct reqline r;

	(void)state;
	r = split_ok("GET http://h.example:8080/x/y?q=1 HTTP/1.1");
	assert_int_equal(r.form, REQLINE_ABSOLUTE);
	span_eq(r.host, "h.example");
	span_eq(r.authority, "h.example:8080");
	span_eq(r.path, "/x/y");
	span_eq(r.query, "q=1");
	r = split_ok("GET https://user:pw@h/ HTTP/1.1");
	span_eq(r.host, "h");
	span_eq(r.authority, "h");
	span_eq(r.path, "/");
	r = split_ok("GET http://h HTTP/1.1");
	span_eq(r.host, "h");
	span_eq(r.path, "/");
	r = split_ok("GET http://h?a=1 HTTP/1.1");
	span_eq(r.path, "/");
	span_eq(r.query, "a=1");
	r = split_ok("GET http://[2001:db8::1]:80/v HTTP/1.1");
	span_eq(r.host, "2001:db8::1");
	span_eq(r.authority, "[2001:db8::1]:80");
	span_eq(r.path, "/v");
	/* not a scheme before "://": kept as it is */
	r = split_ok("GET 1a://h/x HTTP/1.1");
	assert_int_equal(r.form, REQLINE_OTHER);
	span_eq(r.path, "1a://h/x");
	span_eq(r.host, NULL);
}

static void
test_authority_asterisk(void **state)
{
	struct reqline r;

	(void)state;
	r = split_ok("CONNECT api.example:443 HTTP/1.1");
	assert_int_equal(r.form, REQLINE_AUTHORITY);
	span_eq(r.method, "CONNECT");
	span_eq(r.host, "api.example");
	span_eq(r.authority, "api.example:443");
	span_eq(r.path, NULL);
	span_eq(r.query, NULL);
	r = split_ok("CONNECT [::1]:8443 HTTP/1.1");
	span_eq(r.host, "::1");
	/* the same target without CONNECT is no authority-form */
	r = split_ok("GET api.example:443 HTTP/1.1");
	assert_int_equal(r.form, REQLINE_OTHER);
	span_eq(r.path, "api.example:443");
	span_eq(r.host, NULL);
	r = split_ok("OPTIONS * HTTP/1.1");
	assert_int_equal(r.form, REQLINE_ASTERISK);
	span_eq(r.path, "*");
}

static void
test_http09(void **state)
{
	struct reqline r;

	(void)state;
	r = split_ok("GET /old");
	span_eq(r.method, "GET");
	span_eq(r.path, "/old");
	span_eq(r.proto, NULL);
	/* a last word that is no version stays in the target */
	r = split_ok("GET /old junk");
	span_eq(r.path, "/old junk");
	span_eq(r.proto, NULL);
	/* "HTTP/" alone is no version */
	r = split_ok("GET /x HTTP/");
	span_eq(r.path, "/x HTTP/");
	span_eq(r.proto, NULL);
	/* extra spaces around the target */
	r = split_ok("GET  /x  HTTP/1.1  ");
	span_eq(r.path, "/x");
	span_eq(r.proto, "HTTP/1.1");
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"", "-", "GET", "GET ", "GET    ", " GET /x HTTP/1.1",
		"<BADREQ>", "\\x16\\x03\\x01\\x00\\xA5",
		"G(T /x HTTP/1.1", "GET\t/x HTTP/1.1",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG /x HTTP/1.1",
	};
	struct reqline r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.method.n = 99;
		assert_false(reqline_split(bad[i], strlen(bad[i]), &r));
		assert_int_equal(r.method.n, 0);
		assert_int_equal(r.path.n, 0);
	}
	/* 32 bytes is the longest method taken */
	r = split_ok("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF /x HTTP/1.1");
	assert_int_equal(r.method.n, 32);
	/* a line cut inside: no byte read past the length */
	assert_true(reqline_split("GET /abc HTTP/1.1", 6, &r));
	span_eq(r.path, "/a");
}

static void
test_target_alone(void **state)
{
	struct reqline r;
	const char *t = "http://10.0.0.5/v1?id=7";

	(void)state;
	reqline_target(t, strlen(t), false, &r);
	span_eq(r.host, "10.0.0.5");
	span_eq(r.path, "/v1");
	span_eq(r.query, "id=7");
	reqline_target("/p?q", 4, false, &r);
	span_eq(r.path, "/p");
	span_eq(r.query, "q");
	span_eq(r.host, NULL);
	reqline_target("", 0, false, &r);
	span_eq(r.path, NULL);
}

/*
 * The version and target as reqline_split found them before it looked for
 * " HTTP/x.y" at the end first (main at 78ecc5b: a walk back to the last
 * space), for request lines that have a method: *proto and the target's
 * bounds [*ti, *te).
 */
static void
ref_version(const char *p, size_t n, size_t m, struct reqline_span *proto,
    size_t *ti, size_t *te)
{
	size_t i, end = n, last;

	for (i = m; i < n && p[i] == ' '; i++)
		;
	while (end > i && p[end - 1] == ' ')
		end--;
	proto->p = NULL;
	proto->n = 0;
	for (last = end; last > i && p[last - 1] != ' '; last--)
		;
	if (last > i && end - last > 5 && memcmp(p + last, "HTTP/", 5) == 0) {
		proto->p = p + last;
		proto->n = end - last;
		for (end = last; end > i && p[end - 1] == ' '; end--)
			;
	}
	*ti = i;
	*te = end;
}

/* Random request lines of the pieces that decide the version: the same
 * version and target as the walk back. */
static void
test_version_as_walk_back(void **state)
{
	static const char *const pieces[] = {
		" ", " ", "  ", "/a", "?q=1", "HTTP/", "HTTP/1.1", "1.1", "x",
		"HTTP/1. ", "HTTP/2", " HTTP/1.1", "H", "HTTP/1.1 ",
	};
	uint64_t seed = 0x2545f4914f6cdd1dull;
	char line[256];

	for (int round = 0; round < 100000; round++) {
		size_t n = 4, k = 0;
		struct reqline r, t;
		struct reqline_span proto;
		size_t ti, te;

		memcpy(line, "GET ", 4);
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		for (k = seed % 7; k > 0; k--) {
			const char *pc;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			pc = pieces[seed % (sizeof(pieces) / sizeof(pieces[0]))];
			memcpy(line + n, pc, strlen(pc));
			n += strlen(pc);
		}
		if (!reqline_split(line, n, &r))
			continue;
		ref_version(line, n, 3, &proto, &ti, &te);
		assert_int_equal(r.proto.n, proto.n);
		if (proto.n > 0)
			assert_ptr_equal(r.proto.p, proto.p);
		reqline_target(line + ti, te - ti, false, &t);
		assert_ptr_equal(r.path.p, t.path.p);
		assert_int_equal(r.path.n, t.path.n);
		assert_ptr_equal(r.query.p, t.query.p);
		assert_int_equal(r.query.n, t.query.n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_authority_asterisk),
		cmocka_unit_test(test_http09),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_target_alone),
		cmocka_unit_test(test_version_as_walk_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
