/*
 * test_detect.c - detection (parse/detect.c): the kind of a sample, and
 * the format every fixture file of tests/data is detected as.
 *
 * Samples are handed over as heap copies of exactly their length, without
 * a NUL, so the sanitizer build catches any read past a line.
 *
 * test_fixtures runs the detection `ingest` runs (the reader's first 64 KiB,
 * lineparse_open) over every file under tests/data and asserts what each is
 * detected as; the table was taken from what main detected before the
 * detection loops were merged (issue 15), and reviewed: see the comments.
 * A new fixture file must be added to the table. Its first 1, 2 and 3
 * lines are detected too (fixture_prefixes).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>

#include "capture/reader.h"
#include "parse/detect.h"
#include "parse/lineparse.h"

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
	/* the per-line formats open the registry (detect_line stops) */
	for (size_t i = 1; gw_line_formats[i] != NULL; i++)
		if (gw_line_formats[i]->per_line)
			assert_true(gw_line_formats[i - 1]->per_line);
}

/*
 * Rule 1 per line: an error-log line is the error log's wherever it
 * stands; inside an access log it is set aside and the access lines
 * decide the format (3 of 3, not 3 of 4); rule 3 keeps the file an access
 * log.
 */
static void
test_per_line(void **state)
{
	static const char *const src[] = {
		"10.1.2.3 - - [25/Nov/2026:10:15:02 +0000] \"GET / HTTP/1.1\" "
		    "200 612 \"-\" \"curl/7.88.1\"",
		ERR_PRE "no live upstreams while connecting to upstream"
		    ERR_TAIL,
		"10.1.2.4 - - [25/Nov/2026:10:15:03 +0000] \"GET /a HTTP/1.1\" "
		    "502 157 \"-\" \"curl/7.88.1\"",
		"hello",
		NULL
	};
	struct detect_opts o = { .nginx_conf = NULL };
	struct detect_result r;
	struct sample s;

	(void)state;
	sample_load(&s, src);
	assert_null(detect_line(s.lines[0], s.lens[0]));
	assert_ptr_equal(detect_line(s.lines[1], s.lens[1]),
	    format_by_name("nginx-error"));
	assert_int_equal(detect_sample((const char *const *)s.lines, s.lens,
	    NULL, s.n, NULL, &o, &r), 0);
	assert_int_equal(r.lines, 4);
	assert_int_equal(r.per_line_lines, 1);
	assert_ptr_equal(r.per_line, format_by_name("nginx-error"));
	assert_non_null(r.access.format);
	assert_string_equal(r.access.format->name, "combined");
	assert_ptr_equal(r.file, r.access.format);
	/* a forced format skips rule 2; rule 3 still decides the kind */
	assert_int_equal(detect_sample((const char *const *)s.lines, s.lens,
	    NULL, s.n, format_by_name("haproxy"), &o, &r), 0);
	assert_string_equal(r.file->name, "haproxy");
	sample_free(&s);
}

/* What a fixture file is detected as; kind NULL: not recognised. */
static const struct fixture_case {
	const char *path, *kind, *format, *wrapper;
	bool seen;
} fixture_cases[] = {
	{ "tests/data/core/README", NULL, NULL, NULL, false },
	{ "tests/data/core/stamps.txt", NULL, NULL, NULL, false },
	{ "tests/data/demo/README", NULL, NULL, NULL, false },
	{ "tests/data/demo/access.log", "nginx_access", "upstream", NULL,
	    false },
	{ "tests/data/demo/error.log", "nginx_error", "nginx-error", NULL,
	    false },
	{ "tests/data/demo/nginx.conf", NULL, NULL, NULL, false },
	{ "tests/data/formats/README", NULL, NULL, NULL, false },
	{ "tests/data/formats/alb.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/alb.log", "alb_access", "alb", NULL, false },
	/* Apache's combined is nginx's combined, byte for byte */
	{ "tests/data/formats/apache-combined.log", "nginx_access",
	    "combined", NULL, false },
	{ "tests/data/formats/caddy.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/caddy.log", "caddy", "caddy", NULL, false },
	{ "tests/data/formats/clf.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/clf.log", "clf_access", "clf", NULL, false },
	{ "tests/data/formats/envoy-json.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/envoy-gateway.log", "envoy_access", "envoy-json",
	    NULL, false },
	{ "tests/data/formats/envoy-json.log", "envoy_access", "envoy-json",
	    NULL, false },
	{ "tests/data/formats/envoy.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/envoy.log", "envoy_access", "envoy", NULL,
	    false },
	{ "tests/data/formats/haproxy.cfg", NULL, NULL, NULL, false },
	{ "tests/data/formats/haproxy.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/haproxy.log", "haproxy_access", "haproxy",
	    "syslog", false },
	{ "tests/data/formats/other.txt", NULL, NULL, NULL, false },
	{ "tests/data/formats/traefik-json.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/traefik-forwardauth.log", "traefik_access",
	    "traefik-json", NULL, false },
	{ "tests/data/formats/traefik-json.log", "traefik_access",
	    "traefik-json", NULL, false },
	{ "tests/data/formats/traefik.expect", NULL, NULL, NULL, false },
	{ "tests/data/formats/traefik.log", "traefik_access", "traefik", NULL,
	    false },
	{ "tests/data/formats/wrapped/beats-apache-vhost.expect", NULL, NULL,
	    NULL, false },
	/* Apache's vhost_combined: CLF with the vhost in front */
	{ "tests/data/formats/wrapped/beats-apache-vhost.log", "clf_access",
	    "clf", NULL, false },
	{ "tests/data/formats/wrapped/beats-haproxy.expect", NULL, NULL, NULL,
	    false },
	{ "tests/data/formats/wrapped/beats-haproxy.log", "haproxy_access",
	    "haproxy", "syslog", false },
	{ "tests/data/formats/wrapped/beats-nginx-list-client.expect", NULL,
	    NULL, NULL, false },
	{ "tests/data/formats/wrapped/beats-nginx-list-client.log",
	    "nginx_access", "combined", NULL, false },
	{ "tests/data/formats/wrapped/beats-traefik.expect", NULL, NULL, NULL,
	    false },
	/*
	 * Traefik's lines, but two of them and the second's router name
	 * lacks its closing quote (Beats' test data): traefik takes 1 of 2,
	 * not more than half; clf takes both. Wrong as a file's format, right
	 * by the rule (a 2-line sample decides nothing better).
	 */
	{ "tests/data/formats/wrapped/beats-traefik.log", "clf_access", "clf",
	    NULL, false },
	{ "tests/data/formats/wrapped/build.sh", NULL, NULL, NULL, false },
	{ "tests/data/formats/wrapped/haproxy-pri.expect", NULL, NULL, NULL,
	    false },
	{ "tests/data/formats/wrapped/haproxy-pri.log", "haproxy_access",
	    "haproxy", "syslog", false },
	{ "tests/data/formats/wrapped/lnav-haproxy.expect", NULL, NULL, NULL,
	    false },
	{ "tests/data/formats/wrapped/lnav-haproxy.log", "haproxy_access",
	    "haproxy", "syslog", false },
	{ "tests/data/formats/wrapped/nginx-compose.expect", NULL, NULL, NULL,
	    false },
	{ "tests/data/formats/wrapped/nginx-compose.log", "nginx_access",
	    "combined", "compose", false },
	{ "tests/data/formats/wrapped/nginx-cri.expect", NULL, NULL, NULL,
	    false },
	{ "tests/data/formats/wrapped/nginx-cri.log", "nginx_access",
	    "combined", "cri", false },
	{ "tests/data/formats/wrapped/nginx-docker.expect", NULL, NULL, NULL,
	    false },
	{ "tests/data/formats/wrapped/nginx-docker.log", "nginx_access",
	    "combined", "docker", false },
	{ "tests/data/formats/wrapped/nginx-syslog.expect", NULL, NULL, NULL,
	    false },
	{ "tests/data/formats/wrapped/nginx-syslog.log", "nginx_access",
	    "combined", "syslog", false },
	{ "tests/data/formats/wrapped/traefik-journald.expect", NULL, NULL,
	    NULL, false },
	{ "tests/data/formats/wrapped/traefik-journald.log", "traefik_access",
	    "traefik", "journald", false },
	{ "tests/data/schema5/README", NULL, NULL, NULL, false },
	{ "tests/data/schema5/gen.log.gz", "nginx_access", "upstream", NULL,
	    false },
	{ "tests/data/schema5/v5.sql.gz", NULL, NULL, NULL, false },
};

#define NFIXTURES	(sizeof(fixture_cases) / sizeof(fixture_cases[0]))

static bool fixture_seen[NFIXTURES];

/*
 * The first 1, 2 and 3 lines of a fixture that is detected, a file just
 * begun, are detected as the whole file (a sample of one line decides as
 * a large one does) - but where its lines differ: more than half is a
 * strict majority, and a tie decides nothing (a line no format reads is
 * kept as a reject: half of a file must not be someone else's text).
 * Those prefixes are listed here, with what they are detected as (format
 * NULL: nothing).
 */
static const struct prefix_case {
	const char *path;
	int lines;
	const char *format;
} prefix_cases[] = {
	/* its first line is Traefik's; the second (its router name lacks
	 * its closing quote) only CLF's: 1 of 2 lines is no majority */
	{ "tests/data/formats/wrapped/beats-traefik.log", 1, "traefik" },
	/* combined with a list of clients, then a line of nginx's main
	 * (one field more): 1 of 2 each */
	{ "tests/data/formats/wrapped/beats-nginx-list-client.log", 2, NULL },
	/* Traefik's own debug lines first (ForwardAuth), then its access
	 * lines: no majority until enough access lines came */
	{ "tests/data/formats/traefik-forwardauth.log", 1, NULL },
	{ "tests/data/formats/traefik-forwardauth.log", 2, NULL },
	{ "tests/data/formats/traefik-forwardauth.log", 3, NULL },
};

static void
fixture_prefixes(const char *path, const struct fixture_case *c,
    const unsigned char *head, size_t head_len)
{
	struct lineparse_opts o = { .nginx_conf = "/nonexistent" };
	size_t cut = 0, n;
	char err[512];

	for (int k = 1; k <= 3; k++) {
		const char *want = c->format;
		struct lineparse *lp;
		const unsigned char *nl = memchr(head + cut, '\n',
		    head_len - cut);

		if (nl == NULL)
			break;
		cut = (size_t)(nl - head) + 1;
		for (size_t i = 0; i < sizeof(prefix_cases) /
		    sizeof(prefix_cases[0]); i++)
			if (strcmp(prefix_cases[i].path, path) == 0 &&
			    prefix_cases[i].lines == k)
				want = prefix_cases[i].format;
		if (lineparse_open(&o, head, cut, &lp, &n, err,
		    sizeof(err)) != 0) {
			if (want != NULL)
				fail_msg("%s: first %d lines: not detected (%s)",
				    path, k, err);
			assert_null(strstr(err, "out of memory"));
			continue;
		}
		if (want == NULL || strcmp(lineparse_format(lp), want) != 0 ||
		    (c->wrapper == NULL) != (lineparse_wrapper(lp) == NULL))
			fail_msg("%s: first %d lines: %s/%s, want %s/%s", path,
			    k, lineparse_format(lp),
			    lineparse_wrapper(lp) ? lineparse_wrapper(lp) : "-",
			    want ? want : "nothing",
			    c->wrapper ? c->wrapper : "-");
		lineparse_free(lp);
	}
}

/* Detect one file as `ingest` does and compare with its table entry. */
static int
fixture_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	struct lineparse_opts o = { .nginx_conf = "/nonexistent" };
	const struct fixture_case *c = NULL;
	const unsigned char *head;
	struct lineparse *lp;
	struct reader *r;
	size_t head_len, n, i;
	char err[512];
	int rc;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	for (i = 0; i < NFIXTURES; i++)
		if (strcmp(fixture_cases[i].path, path) == 0)
			break;
	if (i == NFIXTURES)
		fail_msg("%s: a fixture missing from test_fixtures' table",
		    path);
	c = &fixture_cases[i];
	fixture_seen[i] = true;
	if (reader_open(path, &r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	assert_int_equal(reader_head(r, &head, &head_len, 64 * 1024), 0);
	rc = lineparse_open(&o, head, head_len, &lp, &n, err, sizeof(err));
	if (c->kind == NULL) {
		if (rc == 0)
			fail_msg("%s: detected as %s, format %s", path,
			    lineparse_kind(lp), lineparse_format(lp));
		assert_null(strstr(err, "out of memory"));
	} else {
		if (rc != 0)
			fail_msg("%s: not detected (%s)", path, err);
		if (strcmp(lineparse_kind(lp), c->kind) != 0 ||
		    strcmp(lineparse_format(lp), c->format) != 0 ||
		    (c->wrapper == NULL) != (lineparse_wrapper(lp) == NULL) ||
		    (c->wrapper != NULL && strcmp(c->wrapper,
		    lineparse_wrapper(lp)) != 0))
			fail_msg("%s: %s/%s/%s, want %s/%s/%s", path,
			    lineparse_kind(lp), lineparse_format(lp),
			    lineparse_wrapper(lp) ? lineparse_wrapper(lp) : "-",
			    c->kind, c->format, c->wrapper ? c->wrapper : "-");
		lineparse_free(lp);
		fixture_prefixes(path, c, head, head_len);
	}
	reader_close(r);
	return 0;
}

/* Every file of tests/data, detected as the table says. */
static void
test_fixtures(void **state)
{
	(void)state;
	memset(fixture_seen, 0, sizeof(fixture_seen));
	if (nftw("tests/data", fixture_one, 16, FTW_PHYS) != 0)
		fail_msg("cannot walk tests/data (run from the repository root)");
	for (size_t i = 0; i < NFIXTURES; i++)
		if (!fixture_seen[i])
			fail_msg("%s: in the table but not in tests/data",
			    fixture_cases[i].path);
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
		cmocka_unit_test(test_per_line),
		cmocka_unit_test(test_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
