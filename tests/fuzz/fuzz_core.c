/*
 * fuzz_core.c - the readers of core/ that every parser shares: each line
 * goes through every time-stamp reader of core/timeparse.c (at its start
 * and from each of its first bytes) and through core/reqline.c, and what
 * they answer is checked against what their headers promise: bytes taken
 * within the line, instants within 1970..9999, zones within +-14:00, spans
 * inside the line. A broken promise aborts (a crash for libFuzzer). Seeds:
 * tests/data/core/stamps.txt and the demo access log's request lines.
 */
#include <stdbool.h>

#include "core/reqline.h"
#include "core/timeparse.h"
#include "tests/fuzz/fuzz.h"

/* 9999-12-31T23:59:59.999Z */
#define MS_MAX	253402300799999LL

/* A reader's answer: taken bytes within n, a valid instant and zone. */
static void
check_stamp(size_t taken, size_t n, const struct timeparse *t, bool any_ms)
{
	if (taken > n)
		abort();
	if (taken == 0)
		return;
	if (!any_ms && (t->ms < 0 || t->ms > MS_MAX + 14 * 3600000LL))
		abort();
	if (t->tz_min < -TIMEPARSE_TZ_MAX || t->tz_min > TIMEPARSE_TZ_MAX)
		abort();
	if (!t->has_tz && t->tz_min != 0)
		abort();
}

/* A span is absent or inside [p, p + n) (the "/" constant aside). */
static void
check_span(struct reqline_span s, const char *p, size_t n)
{
	uintptr_t a = (uintptr_t)s.p, b = (uintptr_t)p;

	if (s.n == 0)
		return;
	if (s.n == 1 && s.p[0] == '/' && (a < b || a >= b + n))
		return;
	if (a < b || a + s.n > b + n)
		abort();
}

static void
one_at(const char *p, size_t n)
{
	struct timeparse t;
	int tz;
	size_t k;

	check_stamp(timeparse_clf(p, n, &t), n, &t, false);
	check_stamp(timeparse_iso(p, n, 0, &t), n, &t, false);
	check_stamp(timeparse_iso(p, n, TIMEPARSE_PARTIAL, &t), n, &t, false);
	check_stamp(timeparse_rfc5424(p, n, &t), n, &t, false);
	check_stamp(timeparse_nginx(p, n, &t), n, &t, false);
	check_stamp(timeparse_epoch(p, n, &t), n, &t, false);
	k = timeparse_rfc3164(p, n, 1796558400000LL, &t);
	check_stamp(k, n, &t, false);
	k = timeparse_rfc3164(p, n, -1, &t);
	check_stamp(k, n, &t, true);
	if (k > 0 && t.ms != -1)
		abort();
	if ((k = timeparse_zone(p, n, &tz)) > n || (k > 0 &&
	    (tz < -TIMEPARSE_TZ_MAX || tz > TIMEPARSE_TZ_MAX)))
		abort();
}

static void
one_line(void *ctx, const char *line, size_t len, uint64_t no, uint64_t off)
{
	struct reqline r;

	(void)ctx;
	(void)no;
	(void)off;
	for (size_t i = 0; i < len && i < 8; i++)
		one_at(line + i, len - i);
	if (len == 0)
		one_at(line, 0);
	if (reqline_split(line, len, &r)) {
		if (r.method.n == 0 || r.method.n > REQLINE_METHOD_MAX)
			abort();
		check_span(r.method, line, len);
		check_span(r.authority, line, len);
		check_span(r.host, line, len);
		check_span(r.path, line, len);
		check_span(r.query, line, len);
		check_span(r.proto, line, len);
	} else if (r.method.n != 0 || r.path.n != 0) {
		abort();
	}
	reqline_target(line, len, len % 2 == 0, &r);
	check_span(r.host, line, len);
	check_span(r.path, line, len);
	check_span(r.query, line, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines(data, size, one_line, NULL);
	return 0;
}
