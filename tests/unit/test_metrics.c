/*
 * test_metrics.c - the Prometheus exposition: format (HELP/TYPE, labels,
 * cumulative histogram buckets), label escaping, the upstream cap and the
 * series budget with gatewatch_metrics_series_dropped_total, idle drop and
 * a counter coming back from 0; `gatewatch metrics` on a database equal to
 * the report, join included; and a live exporter on 127.0.0.1: /metrics
 * served while a client that never finishes its request stays connected,
 * 404 / 405, rows stored before start not counted, a cause that the join
 * changes in a later batch counted once under its final cause.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "tests/unit/test_store_fixture.h"

#include "metrics/exporter.h"
#include "metrics/registry.h"

/* Render r (no process family); the caller frees. */
static char *
render(struct metrics_registry *r)
{
	char *out;
	size_t len;

	assert_int_equal(metrics_render(r, "9.9.9", NULL, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

/* True when text holds line as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' ||
		    p[n] == '\0'))
			return true;
	return false;
}

static void
assert_line(const char *text, const char *line)
{
	if (!has_line(text, line))
		fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

/* The value of the sample whose name and labels are exactly series. */
static double
sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; (p = strstr(p, series)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

static void
test_format(void **state)
{
	struct metrics_registry *r = metrics_registry_new(NULL);

	(void)state;
	assert_int_equal(metrics_add_requests(r, 0, "10.0.0.5:80", 502,
	    GW_CAUSE_UPSTREAM_REFUSED, 3), 0);
	assert_int_equal(metrics_add_requests(r, 0, "10.0.0.5:80", 9,
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE, 1), 0);
	assert_int_equal(metrics_add_requests(r, 0, NULL, 503,
	    GW_CAUSE_RATE_LIMITED, 2), 0);
	assert_int_equal(metrics_add_requests(r, 0, "10.0.0.6:80", 200,
	    GW_CAUSE_OK, 5), 0);
	assert_int_equal(metrics_add_attempts(r, 0, "10.0.0.5:80",
	    GW_CAUSE_UPSTREAM_REFUSED, 4), 0);
	assert_int_equal(metrics_observe_duration(r, 0, "10.0.0.6:80", 0.003,
	    2), 0);
	assert_int_equal(metrics_observe_duration(r, 0, "10.0.0.6:80", 0.2, 1),
	    0);
	assert_int_equal(metrics_observe_duration(r, 0, "10.0.0.6:80", 45, 1),
	    0);
	assert_int_equal(metrics_observe_duration(r, 0, "10.0.0.6:80", 100, 1),
	    0);
	assert_int_equal(metrics_add_lines_read(r, 0, "/var/log/a.log", 12),
	    0);
	assert_int_equal(metrics_add_lines_rejected(r, 0, "/var/log/a.log",
	    "no format matched", 1), 0);
	metrics_set_packets_dropped(r, 7);
	char *t = render(r);

	assert_line(t, "# TYPE gatewatch_http_requests_total counter");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"10.0.0.5:80\","
	    "code=\"502\",cause=\"upstream_refused\",who=\"network\"} 3");
	/* nginx's relayed non-HTTP answer keeps its logged form */
	assert_line(t, "gatewatch_http_requests_total{upstream=\"10.0.0.5:80\","
	    "code=\"009\",cause=\"upstream_invalid_response\",who=\"upstream\"} 1");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"-\","
	    "code=\"503\",cause=\"rate_limited\",who=\"gateway\"} 2");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"10.0.0.6:80\","
	    "code=\"200\",cause=\"ok\",who=\"-\"} 5");
	assert_line(t, "gatewatch_upstream_attempts_total{upstream="
	    "\"10.0.0.5:80\",cause=\"upstream_refused\",who=\"network\"} 4");
	assert_line(t, "# TYPE gatewatch_upstream_response_duration_seconds "
	    "histogram");
	/* cumulative: 2 at 0.005, 3 from 0.25, 4 from 60, 5 at +Inf */
	const char *h = "gatewatch_upstream_response_duration_seconds_bucket"
	    "{upstream=\"10.0.0.6:80\",le=";
	char l[256];
	const struct { const char *le; int n; } want[] = {
		{"0.005", 2}, {"0.01", 2}, {"0.1", 2}, {"0.25", 3}, {"10", 3},
		{"30", 3}, {"60", 4}, {"+Inf", 5},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(l, sizeof(l), "%s\"%s\"} %d", h, want[i].le,
		    want[i].n);
		assert_line(t, l);
	}
	assert_line(t, "gatewatch_upstream_response_duration_seconds_count"
	    "{upstream=\"10.0.0.6:80\"} 5");
	assert_true(sample(t, "gatewatch_upstream_response_duration_seconds_sum"
	    "{upstream=\"10.0.0.6:80\"}") > 145.2);
	assert_line(t, "gatewatch_lines_read_total{source=\"/var/log/a.log\"} 12");
	assert_line(t, "gatewatch_lines_rejected_total{source="
	    "\"/var/log/a.log\",reason=\"no format matched\"} 1");
	assert_line(t, "gatewatch_capture_packets_dropped_total 7");
	assert_line(t, "gatewatch_metrics_series_dropped_total 0");
	assert_line(t, "gatewatch_build_info{version=\"9.9.9\"} 1");
	/* no process family when not asked, no timestamps, no host label */
	assert_null(strstr(t, "process_"));
	assert_null(strstr(t, "hostname"));
	/* every sample line is NAME{...} VALUE: two fields, no timestamp */
	for (char *p = t; *p != '\0';) {
		char *e = strchr(p, '\n');
		assert_non_null(e);
		if (*p != '#') {
			char *sp = memrchr(p, '}', (size_t)(e - p));
			if (sp == NULL)
				sp = p;
			int fields = 0;
			for (char *q = sp; q < e; q++)
				if (*q == ' ')
					fields++;
			if (fields != 1)
				fail_msg("not NAME VALUE: %.*s", (int)(e - p), p);
		}
		p = e + 1;
	}
	free(t);
	metrics_registry_free(r);
}

static void
test_escaping(void **state)
{
	char buf[256];

	(void)state;
	metrics_escape_label(buf, sizeof(buf), "a\"b\\c\nd");
	/* quote as \", the backslash as safe text \x5c (its \ escaped), the
	   newline as \x0a: one line, nothing a parser misreads */
	assert_string_equal(buf, "a\\\"b\\\\x5cc\\\\x0ad");
	metrics_escape_label(buf, sizeof(buf), "caf\xc3\xa9 \xff\x1b[31m");
	assert_string_equal(buf, "caf\xc3\xa9 \\\\xff\\\\x1b[31m");
	/* cut on a whole escape, always terminated */
	metrics_escape_label(buf, 6, "\"\"\"\"");
	assert_string_equal(buf, "\\\"\\\"");

	struct metrics_registry *r = metrics_registry_new(NULL);
	assert_int_equal(metrics_add_lines_rejected(r, 0, "/l/x\"y.log",
	    "bad \"quote\"\n", 1), 0);
	char *t = render(r);
	assert_line(t, "gatewatch_lines_rejected_total{source=\"/l/x\\\"y.log\","
	    "reason=\"bad \\\"quote\\\"\\\\x0a\"} 1");
	free(t);
	metrics_registry_free(r);
}

static void
test_upstream_cap(void **state)
{
	struct metrics_limits l;
	char name[32];

	(void)state;
	metrics_limits_default(&l);
	l.max_upstreams = 3;
	struct metrics_registry *r = metrics_registry_new(&l);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "10.0.0.%d:80", i);
		assert_int_equal(metrics_add_requests(r, 0, name, 200,
		    GW_CAUSE_OK, 1), 0);
		assert_int_equal(metrics_add_attempts(r, 0, name, GW_CAUSE_OK,
		    1), 0);
	}
	/* seen again: folded once per idle period, not per request */
	assert_int_equal(metrics_add_requests(r, 0, "10.0.0.9:80", 200,
	    GW_CAUSE_OK, 1), 0);
	/* no upstream: never capped */
	assert_int_equal(metrics_add_requests(r, 0, "-", 429,
	    GW_CAUSE_RATE_LIMITED, 1), 0);
	char *t = render(r);
	assert_line(t, "gatewatch_http_requests_total{upstream=\"10.0.0.0:80\","
	    "code=\"200\",cause=\"ok\",who=\"-\"} 1");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"10.0.0.2:80\","
	    "code=\"200\",cause=\"ok\",who=\"-\"} 1");
	assert_null(strstr(t, "10.0.0.3:80"));
	assert_line(t, "gatewatch_http_requests_total{upstream=\"_other\","
	    "code=\"200\",cause=\"ok\",who=\"-\"} 8");
	assert_line(t, "gatewatch_upstream_attempts_total{upstream=\"_other\","
	    "cause=\"ok\",who=\"-\"} 7");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"-\","
	    "code=\"429\",cause=\"rate_limited\",who=\"gateway\"} 1");
	assert_line(t, "gatewatch_metrics_series_dropped_total 7");
	free(t);
	/* 3 named x 2 families + _other x 2 + "-" */
	assert_int_equal(metrics_series(r), 9);
	metrics_registry_free(r);
}

static void
test_long_names(void **state)
{
	struct metrics_registry *r = metrics_registry_new(NULL);
	char a[1001], b[1001];

	(void)state;
	/* two hostile names alike in their first 1000 bytes but one */
	memset(a, '"', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[999] = 'x';
	assert_int_equal(metrics_add_requests(r, 0, a, 502, GW_CAUSE_UNKNOWN, 1),
	    0);
	assert_int_equal(metrics_add_requests(r, 0, b, 502, GW_CAUSE_UNKNOWN, 1),
	    0);
	memset(a + 200, '\0', 1);	/* 200 bytes: still itself */
	assert_int_equal(metrics_add_requests(r, 0, a, 502, GW_CAUSE_UNKNOWN, 1),
	    0);
	char *t = render(r);
	assert_line(t, "gatewatch_http_requests_total{upstream=\"_other\","
	    "code=\"502\",cause=\"unknown\",who=\"-\"} 2");
	assert_non_null(strstr(t, "{upstream=\"\\\"\\\""));
	assert_line(t, "gatewatch_metrics_series_dropped_total 2");
	free(t);
	metrics_registry_free(r);
}

static void
test_series_budget(void **state)
{
	struct metrics_limits l;

	(void)state;
	metrics_limits_default(&l);
	l.max_series = 4;
	struct metrics_registry *r = metrics_registry_new(&l);
	for (int code = 500; code < 510; code++)
		assert_int_equal(metrics_add_requests(r, 0, "u", code,
		    GW_CAUSE_UPSTREAM_5XX, 1), 0);
	assert_int_equal(metrics_series(r), 4);
	assert_int_equal(metrics_series_dropped(r), 6);
	metrics_registry_free(r);
}

static void
test_idle_drop(void **state)
{
	struct metrics_limits l;

	(void)state;
	metrics_limits_default(&l);
	l.max_upstreams = 1;
	l.idle_ms = 1000;
	struct metrics_registry *r = metrics_registry_new(&l);
	assert_int_equal(metrics_add_requests(r, 0, "pod-a", 200, GW_CAUSE_OK,
	    5), 0);
	assert_int_equal(metrics_add_requests(r, 0, "pod-b", 200, GW_CAUSE_OK,
	    1), 0);		/* over the cap: _other */
	assert_int_equal(metrics_add_requests(r, 900, "-", 404, GW_CAUSE_OK, 1),
	    0);
	metrics_expire(r, 1500);	/* pod-a and _other idle 1.5 s; "-" not */
	assert_int_equal(metrics_series(r), 1);
	assert_int_equal(metrics_series_dropped(r), 1 + 2);
	/* the slot is free again: pod-b gets its own series, from 0 */
	assert_int_equal(metrics_add_requests(r, 1600, "pod-b", 200,
	    GW_CAUSE_OK, 2), 0);
	assert_int_equal(metrics_add_requests(r, 1600, "pod-a", 200,
	    GW_CAUSE_OK, 1), 0);
	char *t = render(r);
	assert_line(t, "gatewatch_http_requests_total{upstream=\"pod-b\","
	    "code=\"200\",cause=\"ok\",who=\"-\"} 2");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"_other\","
	    "code=\"200\",cause=\"ok\",who=\"-\"} 1");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"-\","
	    "code=\"404\",cause=\"ok\",who=\"-\"} 1");
	free(t);
	metrics_registry_free(r);
}

/*
 * The store_report data set of test_store_report.c in small: r1's cause
 * is unknown in its batch and becomes upstream_refused when the error
 * line comes in a later batch.
 */
static void
load(struct fx *f, int64_t acc, int64_t errlog, int64_t t0)
{
	fx_event(f, t0 + 1000, 0, "10.1.1.1", "GET", "/a", NULL, 502, 10,
	    GW_CAUSE_UNKNOWN, "10.0.0.5:80 502 1");
	fx_event(f, t0 + 2000, 0, "10.1.1.2", "GET", "/a", NULL, 200, 20,
	    GW_CAUSE_OK, "10.0.0.5:80 502 1, 10.0.0.6:80 200 0");
	fx_event(f, t0 + 4000, 0, "10.1.1.4", "GET", "/b", NULL, 503, 0,
	    GW_CAUSE_UNKNOWN, NULL);
	fx_write(f, acc);
	fx_error(f, t0 + 1000, "10.1.1.1", "GET", "/a", NULL, "10.0.0.5:80",
	    GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(f, t0 + 2000, "10.1.1.2", "GET", "/a", NULL, "10.0.0.5:80",
	    GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(f, t0 + 4000, "10.1.1.4", "GET", "/b", NULL, NULL,
	    GW_CAUSE_RATE_LIMITED);
	fx_write(f, errlog);
	assert_int_equal(batch_add_reject(&f->b, 7, 700, "no format matched",
	    "garbage", 7), 0);
	fx_write(f, acc);
}

static void
test_render_db(void **state)
{
	struct fx f;
	struct metrics_limits l;
	char *t;
	size_t len;

	(void)state;
	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	load(&f, acc, errlog, T0);
	metrics_limits_default(&l);
	assert_int_equal(exporter_render_db(f.s, &l, "1.2.3", &t, &len, f.err,
	    sizeof(f.err)), 0);
	assert_line(t, "gatewatch_http_requests_total{upstream=\"10.0.0.5:80\","
	    "code=\"502\",cause=\"upstream_refused\",who=\"network\"} 1");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"10.0.0.6:80\","
	    "code=\"200\",cause=\"ok\",who=\"-\"} 1");
	assert_line(t, "gatewatch_http_requests_total{upstream=\"-\","
	    "code=\"503\",cause=\"rate_limited\",who=\"gateway\"} 1");
	assert_null(strstr(t, "cause=\"unknown\""));
	assert_line(t, "gatewatch_upstream_attempts_total{upstream="
	    "\"10.0.0.5:80\",cause=\"upstream_refused\",who=\"network\"} 2");
	assert_line(t, "gatewatch_upstream_attempts_total{upstream="
	    "\"10.0.0.6:80\",cause=\"ok\",who=\"-\"} 1");
	/* 3 ms each: the first bucket */
	assert_line(t, "gatewatch_upstream_response_duration_seconds_bucket"
	    "{upstream=\"10.0.0.5:80\",le=\"0.005\"} 2");
	/* fx_write sets line_no 10, 20, 30 in turn (one count for all) */
	assert_line(t, "gatewatch_lines_read_total{source=\"access.log\"} 30");
	assert_line(t, "gatewatch_lines_read_total{source=\"error.log\"} 20");
	assert_line(t, "gatewatch_lines_rejected_total{source=\"access.log\","
	    "reason=\"no format matched\"} 1");
	assert_line(t, "gatewatch_build_info{version=\"1.2.3\"} 1");
	free(t);
	fx_free(&f);
}

/* GET path from addr:port (HTTP/1.0); the whole answer, NULL on error. */
static char *
http_get(int port, const char *method, const char *path)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port)};
	struct timeval tv = {.tv_sec = 10};
	char req[256];
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		free(buf);
		return NULL;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method,
	    path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		if (len + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static int
port_of(const struct exporter *e)
{
	const char *c = strrchr(exporter_address(e), ':');

	return c != NULL ? atoi(c + 1) : -1;
}

/* Scrape until sample series has value want, at most 30 s; the value. */
static double
wait_sample(int port, const char *series, double want)
{
	double v = -1;

	for (int i = 0; i < 300; i++) {
		char *t = http_get(port, "GET", "/metrics");
		assert_non_null(t);
		v = sample(t, series);
		free(t);
		if (v == want)
			break;
		usleep(100000);
	}
	return v;
}

static void
test_live(void **state)
{
	struct fx f;
	struct exporter_opts o = {.listen = "127.0.0.1:0", .version = "t"};
	struct exporter *e;

	(void)state;
	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	/* stored before the exporter starts: not this process's counts */
	fx_event(&f, T0, 0, "10.9.9.9", "GET", "/old", NULL, 200, 1,
	    GW_CAUSE_OK, "10.0.0.6:80 200 0");
	fx_write(&f, acc);
	o.db = f.path;
	metrics_limits_default(&o.limits);
	assert_int_equal(exporter_start(&o, &e, f.err, sizeof(f.err)), 0);
	int port = port_of(e);
	assert_true(port > 0);

	/* a client that connects and never finishes its request */
	struct sockaddr_in a = {.sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int stuck = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(stuck, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(stuck, "GET /metr", 9), 9);

	char *t = http_get(port, "GET", "/metrics");
	assert_non_null(t);
	assert_non_null(strstr(t, "200 OK"));
	assert_non_null(strstr(t, "text/plain; version=0.0.4"));
	assert_non_null(strstr(t, "process_cpu_seconds_total"));
	assert_non_null(strstr(t, "process_resident_memory_bytes"));
	assert_non_null(strstr(t, "process_start_time_seconds"));
	assert_null(strstr(t, "10.0.0.6:80"));
	free(t);
	t = http_get(port, "GET", "/nothing");
	assert_non_null(strstr(t, "404"));
	free(t);
	t = http_get(port, "POST", "/metrics");
	assert_non_null(strstr(t, "405"));
	free(t);

	/* the writer goes on meanwhile; the join settles before counting */
	load(&f, acc, errlog, T0 + 600000);
	assert_true(wait_sample(port, "gatewatch_http_requests_total{upstream="
	    "\"10.0.0.5:80\",code=\"502\",cause=\"upstream_refused\","
	    "who=\"network\"}", 1) == 1);
	t = http_get(port, "GET", "/metrics");
	assert_null(strstr(t, "cause=\"unknown\""));
	assert_non_null(strstr(t, "gatewatch_http_requests_total{upstream="
	    "\"10.0.0.6:80\",code=\"200\",cause=\"ok\",who=\"-\"} 1\n"));
	/* from line 10 at start to 40 (fx_write's line_no) */
	assert_non_null(strstr(t, "gatewatch_lines_read_total{source="
	    "\"access.log\"} 30\n"));
	free(t);
	close(stuck);
	exporter_stop(e);
	fx_free(&f);
}

static void
test_new_series_from_zero(void **state)
{
	struct metrics_registry *r = metrics_registry_new(NULL);
	const char *l = "gatewatch_http_requests_total{upstream=\"u\","
	    "code=\"502\",cause=\"upstream_reset\",who=\"upstream\"}";
	char *t;

	(void)state;
	/* before any scrape: shown as it is (nothing was seen before) */
	assert_int_equal(metrics_add_requests(r, 0, "v", 200, GW_CAUSE_OK, 4),
	    0);
	t = render(r);
	assert_true(sample(t, "gatewatch_http_requests_total{upstream=\"v\","
	    "code=\"200\",cause=\"ok\",who=\"-\"}") == 4);
	free(t);
	/* born after a scrape: 0 once, then its counts */
	assert_int_equal(metrics_add_requests(r, 0, "u", 502,
	    GW_CAUSE_UPSTREAM_RESET, 3), 0);
	assert_int_equal(metrics_observe_duration(r, 0, "u", 0.5, 3), 0);
	t = render(r);
	assert_true(sample(t, l) == 0);
	assert_true(sample(t, "gatewatch_upstream_response_duration_seconds_count"
	    "{upstream=\"u\"}") == 0);
	free(t);
	assert_int_equal(metrics_add_requests(r, 0, "u", 502,
	    GW_CAUSE_UPSTREAM_RESET, 1), 0);
	t = render(r);
	assert_true(sample(t, l) == 4);
	assert_true(sample(t, "gatewatch_upstream_response_duration_seconds_count"
	    "{upstream=\"u\"}") == 3);
	assert_true(sample(t, "gatewatch_upstream_response_duration_seconds_bucket"
	    "{upstream=\"u\",le=\"0.5\"}") == 3);
	free(t);
	metrics_registry_free(r);
}

static void
test_listen_address(void **state)
{
	struct sockaddr_storage ss;
	size_t sl;
	char err[256];

	(void)state;
	assert_int_equal(exporter_parse_listen("127.0.0.1:9744", &ss, &sl, err,
	    sizeof(err)), 0);
	assert_int_equal(exporter_parse_listen("[::1]:9744", &ss, &sl, err,
	    sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(exporter_parse_listen("0.0.0.0:0", &ss, &sl, err,
	    sizeof(err)), 0);
	const char *bad[] = {"9744", ":9744", "localhost:9744", "1.2.3.4:",
	    "1.2.3.4:70000", "1.2.3.4:x", "[::1:9744", "::1:9744"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (exporter_parse_listen(bad[i], &ss, &sl, err,
		    sizeof(err)) == 0)
			fail_msg("accepted %s", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_upstream_cap),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_series_budget),
		cmocka_unit_test(test_idle_drop),
		cmocka_unit_test(test_render_db),
		cmocka_unit_test(test_new_series_from_zero),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_listen_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
