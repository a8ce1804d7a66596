/*
 * test_detect.c - detection (parse/detect.c): the kind of a sample, and
 * the format every fixture file of tests/data is detected as.
 *
 * Samples are handed over as heap copies of exactly their length, without
 * a NUL, so the sanitizer build catches any read past a line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/detect.h"

#define NMAX	16

#define ERR_PRE	"2026/11/25 10:15:02 [error] 1234#1234: *567 "
#define ERR_TAIL ", client: 127.0.0.1, server: localhost, request: " \
	"\"GET /refuse?a=1 HTTP/1.1\", upstream: " \
	"\"http://127.0.0.1:9001/refuse?a=1\", host: \"127.0.0.1:8080\""

static const char *const error_log[] = {
	"2026/11/25 10:15:01 [notice] 1233#1233: using the \"epoll\" event "
	    "method",
	"2026/11/25 10:15:01 [notice] 1233#1233: start worker processes",
	"",
	ERR_PRE "connect() failed (111: Connection refused) while connecting "
	    "to upstream" ERR_TAIL,
	ERR_PRE "upstream timed out (110: Connection timed out) while reading "
	    "response header from upstream" ERR_TAIL "\r",
	NULL
};

#define UP_LINE(path, status, tail) \
	"127.0.0.1 - - [25/Nov/2026:10:15:02 +0000] \"GET " path " HTTP/1.1\" " \
	status " 157 \"-\" \"curl/7.88.1\" rt=0.001 " tail

static const char *const upstream_log[] = {
	UP_LINE("/a?x=1", "502", "uaddr=\"127.0.0.1:9001\" us=\"502\" "
	    "uct=\"-\" uht=\"-\" urt=\"0.001\" "
	    "rid=3f2a9c0d1e2f3a4b5c6d7e8f90a1b2c3"),
	UP_LINE("/b", "200", "uaddr=\"10.0.0.5:8080\" us=\"200\" "
	    "uct=\"0.000\" uht=\"0.002\" urt=\"0.002\" "
	    "rid=0123456789abcdef0123456789abcdef"),
	UP_LINE("/c", "504", "uaddr=\"10.0.0.5:8080, 10.0.0.6:8080\" "
	    "us=\"504, 504\" uct=\"-, -\" uht=\"-, -\" urt=\"1.000, 1.001\" "
	    "rid=fedcba9876543210fedcba9876543210"),
	NULL
};

static const char *const combined_log[] = {
	"10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] \"GET /index.html "
	    "HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
	"10.1.2.4 - alice [25/Nov/2026:10:15:03 +0100] \"POST /api/v1/login "
	    "HTTP/1.1\" 502 157 \"https://example.com/\" \"curl/7.88.1\"",
	"::1 - - [25/Nov/2026:10:15:04 +0000] \"GET /health HTTP/1.1\" 204 0 "
	    "\"-\" \"kube-probe/1.27\"",
	NULL
};

static const char *const garbage_log[] = {
	"hello world",
	"{\"level\":\"info\",\"msg\":\"started\"}",
	"Nov 25 10:15:02 host kernel: [12345.678] eth0: link up",
	"",
	"\x01\x02\x03 binary \xff\xfe",
	NULL
};

/* A sample: unterminated heap copies of the strings of src. */
struct sample {
	char *lines[NMAX];
	size_t lens[NMAX];
	size_t n;
};

static void
sample_load(struct sample *s, const char *const *src)
{
	memset(s, 0, sizeof(*s));
	for (; src[s->n] != NULL; s->n++) {
		size_t len = strlen(src[s->n]);

		assert_true(s->n < NMAX);
		s->lines[s->n] = malloc(len > 0 ? len : 1);
		assert_non_null(s->lines[s->n]);
		memcpy(s->lines[s->n], src[s->n], len);
		s->lens[s->n] = len;
	}
}

static void
sample_free(struct sample *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->lines[i]);
}

/* The kind name of a detection result ("unknown" for none). */
static const char *
kind_name(const struct detect_result *r)
{
	return r->file != NULL ? r->file->kind : "unknown";
}

/*
 * Run detection over the n lines of s (no nginx.conf); returns the kind
 * and sets *fmt to the nginx access format chosen (NULL for none).
 */
static const char *
detect_n(char *const *lines, const size_t *lens, size_t n, const char **fmt)
{
	static char kind[64];
	struct detect_opts o = { .nginx_conf = NULL };
	struct detect_result r;

	assert_int_equal(detect_sample((const char *const *)lines, lens, NULL,
	    n, NULL, &o, &r), 0);
	snprintf(kind, sizeof(kind), "%s", kind_name(&r));
	*fmt = r.access.format != NULL && r.file != NULL &&
	    strcmp(r.file->kind, "nginx_access") == 0 ? r.access.format->name :
	    NULL;
	free(r.access.text);
	return kind;
}

/* Run detection over src; returns the kind and sets *fmt. */
static const char *
detect(const char *const *src, const char **fmt)
{
	struct sample s;
	const char *k;

	sample_load(&s, src);
	*fmt = "sentinel";
	k = detect_n(s.lines, s.lens, s.n, fmt);
	sample_free(&s);
	return k;
}

static void
test_error_log(void **state)
{
	const char *fmt;

	(void)state;
	assert_string_equal(detect(error_log, &fmt), "nginx_error");
	assert_null(fmt);
}

static void
test_error_log_with_junk(void **state)
{
	static const char *const src[] = {
		"t 10:15:01 [notice] 1233#1233: cut first line",
		ERR_PRE "no live upstreams while connecting to upstream"
		    ERR_TAIL,
		"2026/11/25 10:15:05 [warn] 1234#1234: *568 an upstream "
		    "response is buffered to a temporary file",
		NULL
	};
	const char *fmt;

	(void)state;
	assert_string_equal(detect(src, &fmt), "nginx_error");
	assert_null(fmt);
}

static void
test_upstream_log(void **state)
{
	const char *fmt;

	(void)state;
	assert_string_equal(detect(upstream_log, &fmt), "nginx_access");
	assert_non_null(fmt);
	assert_string_equal(fmt, "upstream");
}

static void
test_combined_log(void **state)
{
	const char *fmt;

	(void)state;
	assert_string_equal(detect(combined_log, &fmt), "nginx_access");
	assert_non_null(fmt);
	assert_string_equal(fmt, "combined");
}

static void
test_garbage(void **state)
{
	const char *fmt;

	(void)state;
	assert_string_equal(detect(garbage_log, &fmt), "unknown");
	assert_null(fmt);
}

static void
test_empty(void **state)
{
	static const char *const blank[] = { "", "\r", "", NULL };
	static const char *const none[] = { NULL };
	const char *fmt;

	(void)state;
	assert_string_equal(detect(blank, &fmt), "unknown");
	assert_null(fmt);
	assert_string_equal(detect(none, &fmt), "unknown");
	assert_null(fmt);
	assert_string_equal(detect_n(NULL, NULL, 0, &fmt), "unknown");
}

static void
test_no_majority(void **state)
{
	/* Half error log, half garbage: not enough to decide. */
	static const char *const src[] = {
		ERR_PRE "no live upstreams while connecting to upstream"
		    ERR_TAIL,
		"2026/11/25 10:15:01 [notice] 1233#1233: start worker processes",
		"hello",
		"world",
		NULL
	};
	/* One access line among garbage. */
	static const char *const src2[] = {
		"10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] \"GET / HTTP/1.1\" "
		    "200 612 \"-\" \"curl/7.88.1\"",
		"hello",
		"world",
		NULL
	};
	const char *fmt;

	(void)state;
	assert_string_equal(detect(src, &fmt), "unknown");
	assert_null(fmt);
	assert_string_equal(detect(src2, &fmt), "unknown");
	assert_null(fmt);
}

static void
test_null_format_name(void **state)
{
	struct sample s;
	const char *fmt;

	(void)state;
	sample_load(&s, upstream_log);
	assert_string_equal(detect_n(s.lines, s.lens, s.n, &fmt),
	    "nginx_access");
	sample_free(&s);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(format_by_name("nginx-error")->kind, "nginx_error");
	assert_string_equal(format_by_name("combined")->kind, "nginx_access");
	assert_string_equal(format_by_name("upstream")->kind, "nginx_access");
	assert_string_equal(nginx_log_format.kind, "nginx_access");
	assert_null(format_by_name("log_format"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_log),
		cmocka_unit_test(test_error_log_with_junk),
		cmocka_unit_test(test_upstream_log),
		cmocka_unit_test(test_combined_log),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_no_majority),
		cmocka_unit_test(test_null_format_name),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
