/*
 * test_console.c - store/console.c: the console's tables equal
 * store_report() for the same window and filter, charts add up to the
 * tables, percentiles fall in the right bucket, request lists are newest
 * first with their attempts and joined error lines, and a second
 * connection sees a writer's commits.
 */
#include "tests/unit/test_store_fixture.h"

#include "store/console.h"
#include "store/latency.h"

static const char *const ups[] = {
	"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80",
};

/* Deterministic pseudo-random numbers. */
static uint32_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/*
 * 600 requests over minutes 0..5 from T0: upstream .3 fails a lot
 * (refused 502, read timeout 504), some requests retry, some were
 * rate-limited by the gateway, some joined to error-log lines that
 * change their cause.
 */
static void
load_random(struct fx *f)
{
	int64_t acc = fx_source(f, "access.log", "nginx_access");
	int64_t errlog = fx_source(f, "error.log", "nginx_error");
	uint64_t s = 12345;

	for (int i = 0; i < 600; i++) {
		int64_t ts = T0 + (int64_t)i * 600;
		uint32_t r = rnd(&s);
		const char *up = ups[r % 4];
		char att[160], client[32];
		int kind = (int)((r >> 4) % 20);

		snprintf(client, sizeof(client), "10.9.%d.%d", i / 250, i % 250);
		if (kind == 0) {
			fx_event(f, ts, 0, client, "GET", "/limited", NULL, 503,
			    0, GW_CAUSE_RATE_LIMITED, NULL);
		} else if (kind == 1 || (r % 4 == 2 && kind < 8)) {
			snprintf(att, sizeof(att), "%s 502 %d", up,
			    GW_CAUSE_UNKNOWN);
			fx_event(f, ts, 0, client, "GET", "/a", "x=1", 502, 5,
			    GW_CAUSE_UNKNOWN, att);
			if (i % 3 == 0)
				fx_error(f, ts, client, "GET", "/a", "x=1", up,
				    GW_CAUSE_UPSTREAM_REFUSED);
		} else if (kind == 2) {
			snprintf(att, sizeof(att), "%s 504 %d", up,
			    GW_CAUSE_UPSTREAM_READ_TIMEOUT);
			fx_event(f, ts, 0, client, "POST", "/b", NULL, 504,
			    60000, GW_CAUSE_UPSTREAM_READ_TIMEOUT, att);
		} else if (kind == 3) {
			snprintf(att, sizeof(att), "%s 502 %d, %s 200 0", up,
			    GW_CAUSE_UPSTREAM_REFUSED, ups[(r + 1) % 4]);
			fx_event(f, ts, 0, client, "GET", "/c", NULL, 200, 7,
			    GW_CAUSE_OK, att);
		} else {
			snprintf(att, sizeof(att), "%s %d 0", up,
			    kind == 4 ? 404 : 200);
			fx_event(f, ts, 0, client, "GET", "/d", NULL,
			    kind == 4 ? 404 : 200, 3, GW_CAUSE_OK, att);
		}
		if (i % 100 == 99)
			fx_write(f, acc);
	}
	fx_write(f, errlog);
}

/* A second connection reading, as the console does. */
static struct console *
reader(struct fx *f, struct store **rs)
{
	struct console *c;

	assert_int_equal(store_open(f->path, rs, f->err, sizeof(f->err)), 0);
	assert_int_equal(console_new(*rs, &c, f->err, sizeof(f->err)), 0);
	return c;
}

/* The report for f grouped by key. */
static struct report_row *
report(struct fx *f, const struct console_filter *cf, enum report_key key,
    size_t *n)
{
	struct report_query q = {.since_ms = cf->since_ms,
	    .until_ms = cf->until_ms, .status = cf->status, .n_keys = 1,
	    .keys = {key}, .upstream = cf->upstream, .cause = cf->cause};
	struct report_row *rows;

	if (store_report(f->s, &q, &rows, n, f->err, sizeof(f->err)) != 0)
		fail_msg("report: %s", f->err);
	return rows;
}

/* The filters every comparison runs under. */
static struct console_filter
filter_n(int i)
{
	struct console_filter cf = console_filter_all();

	switch (i) {
	case 1:
		cf.since_ms = T0 + 60000;
		cf.until_ms = T0 + 4 * 60000;
		break;
	case 2: cf.upstream = ups[2]; break;
	case 3: cf.cause = GW_CAUSE_UPSTREAM_REFUSED; break;
	case 4: cf.status = 502; break;
	case 5:
		cf.since_ms = T0 + 2 * 60000;
		cf.until_ms = T0 + 3 * 60000;
		cf.upstream = ups[1];
		cf.cause = GW_CAUSE_UNKNOWN;
		break;
	case 6: cf.upstream = "no.such:1"; break;
	}
	return cf;
}
#define N_FILTERS 7

/* Upstream rows and their sum equal the report by upstream and overall. */
static void
test_upstreams_equal_report(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;

	fx_init(&f);
	load_random(&f);
	c = reader(&f, &rs);
	for (int k = 0; k < N_FILTERS; k++) {
		struct console_filter cf = filter_n(k);
		struct console_upstream *u;
		struct report_row *r;
		size_t nu, nr;
		int64_t req = 0, e5 = 0, att = 0;

		assert_int_equal(console_begin(c, f.err, sizeof(f.err)), 0);
		if (console_upstreams(c, &cf, &u, &nu, f.err,
		    sizeof(f.err)) != 0)
			fail_msg("upstreams: %s", f.err);
		console_end(c);
		r = report(&f, &cf, REPORT_KEY_UPSTREAM, &nr);
		assert_int_equal(nu, nr);
		for (size_t i = 0; i < nr; i++) {
			struct console_upstream *x = NULL;

			for (size_t j = 0; j < nu; j++)
				if (strcmp(u[j].name, r[i].key[0]) == 0)
					x = &u[j];
			assert_non_null(x);
			assert_int_equal(x->c.requests, r[i].requests);
			assert_int_equal(x->c.errors_5xx, r[i].errors_5xx);
			assert_int_equal(x->c.failed, r[i].failed);
			assert_int_equal(x->c.attempts, r[i].attempts);
			assert_int_equal(x->c.failed_attempts,
			    r[i].failed_attempts);
			assert_true(x->c.status_5xx[0] + x->c.status_5xx[1] +
			    x->c.status_5xx[2] + x->c.status_5xx[3] <=
			    x->c.errors_5xx);
			assert_true(x->c.gateway_5xx <= x->c.errors_5xx);
			req += x->c.requests;
			e5 += x->c.errors_5xx;
			att += x->c.attempts;
		}
		store_report_free(r, nr);
		console_upstreams_free(u, nu);
		/* The header's totals: the report without keys. */
		struct report_query q0 = {.since_ms = cf.since_ms,
		    .until_ms = cf.until_ms, .status = cf.status,
		    .upstream = cf.upstream, .cause = cf.cause};
		assert_int_equal(store_report(f.s, &q0, &r, &nr, f.err,
		    sizeof(f.err)), 0);
		assert_int_equal(nr, 1);
		assert_int_equal(req, r[0].requests);
		assert_int_equal(e5, r[0].errors_5xx);
		assert_int_equal(att, r[0].attempts);
		store_report_free(r, nr);
	}
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

/* Cause rows equal the report by cause (ok left out). */
static void
test_causes_equal_report(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;

	fx_init(&f);
	load_random(&f);
	c = reader(&f, &rs);
	for (int k = 0; k < N_FILTERS; k++) {
		struct console_filter cf = filter_n(k);
		struct console_cause *v;
		struct report_row *r;
		size_t nv, nr, matched = 0;

		if (console_causes(c, &cf, &v, &nv, f.err, sizeof(f.err)) != 0)
			fail_msg("causes: %s", f.err);
		r = report(&f, &cf, REPORT_KEY_CAUSE, &nr);
		for (size_t i = 0; i < nr; i++) {
			struct console_cause *x = NULL;

			if (strcmp(r[i].key[0], "ok") == 0)
				continue;
			for (size_t j = 0; j < nv; j++)
				if (strcmp(cause_name(v[j].cause),
				    r[i].key[0]) == 0)
					x = &v[j];
			assert_non_null(x);
			matched++;
			assert_int_equal(x->requests, r[i].requests);
			assert_int_equal(x->errors_5xx, r[i].errors_5xx);
			assert_int_equal(x->attempts, r[i].attempts);
			assert_non_null(x->top_upstream);
		}
		assert_int_equal(matched, nv);
		store_report_free(r, nr);
		console_causes_free(v, nv);
	}
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

/* The most affected upstream of a cause is the report's top row. */
static void
test_cause_top_upstream(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;
	struct console_filter cf = console_filter_all();
	struct console_cause *v;
	struct report_row *r;
	size_t nv, nr;

	fx_init(&f);
	load_random(&f);
	c = reader(&f, &rs);
	assert_int_equal(console_causes(c, &cf, &v, &nv, f.err,
	    sizeof(f.err)), 0);
	for (size_t j = 0; j < nv; j++) {
		if (v[j].requests == 0)
			continue;
		cf.cause = v[j].cause;
		r = report(&f, &cf, REPORT_KEY_UPSTREAM, &nr);
		int64_t best = 0;
		for (size_t i = 0; i < nr; i++)
			if (r[i].requests > best)
				best = r[i].requests;
		assert_int_equal(v[j].top_upstream_count, best);
		store_report_free(r, nr);
	}
	console_causes_free(v, nv);
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

/* Lines of a series add up to the upstream table, by minute and raw. */
static void
test_series_add_up(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;
	static const int64_t steps[] = {60000, 120000, 10000, 1000};

	fx_init(&f);
	load_random(&f);
	c = reader(&f, &rs);
	for (int by = 0; by < CONSOLE_SPLIT_COUNT; by++) {
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct console_filter cf = filter_n(by == 0 ? 1 : 0);
			struct console_series s;
			struct report_row *r;
			size_t nr;
			int64_t n = (6 * 60000) / steps[k], req = 0, e5 = 0;

			if (console_series(c, &cf, (enum console_split)by, T0,
			    steps[k], (int)n, &s, f.err, sizeof(f.err)) != 0)
				fail_msg("series: %s", f.err);
			for (size_t i = 0; i < s.n_lines; i++) {
				assert_non_null(s.lines[i].name);
				for (int p = 0; p < s.n_points; p++) {
					req += s.lines[i].requests[p];
					e5 += s.lines[i].errors_5xx[p];
				}
			}
			struct report_query q0 = {.since_ms = cf.since_ms,
			    .until_ms = cf.until_ms, .cause = GW_CAUSE_ANY,
			    .status = -1};
			assert_int_equal(store_report(f.s, &q0, &r, &nr, f.err,
			    sizeof(f.err)), 0);
			assert_int_equal(req, r[0].requests);
			assert_int_equal(e5, r[0].errors_5xx);
			store_report_free(r, nr);
			console_series_free(&s);
		}
	}
	/* One point per minute: point 2 is minute 2 of the data. */
	struct console_filter cf = console_filter_all();
	struct console_series s;
	assert_int_equal(console_series(c, &cf, CONSOLE_SPLIT_STATUS, T0,
	    60000, 6, &s, f.err, sizeof(f.err)), 0);
	int64_t m2 = 0;
	for (size_t i = 0; i < s.n_lines; i++)
		m2 += s.lines[i].requests[2];
	assert_int_equal(m2, 100);	/* a request every 600 ms */
	console_series_free(&s);
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

/*
 * Every split read at once equals the split read alone, line by line and
 * point by point: by minute and raw, with and without a filter.
 */
static void
test_series_splits(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;
	static const int64_t steps[] = {60000, 120000, 5000, 1000};

	fx_init(&f);
	load_random(&f);
	c = reader(&f, &rs);
	for (int filt = 0; filt < 3; filt++) {
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct console_filter cf = console_filter_all();
			struct console_series all[CONSOLE_SPLIT_COUNT];
			int n = (int)((6 * 60000) / steps[k]);

			if (filt == 1)
				cf.upstream = ups[2];
			if (filt == 2) {
				cf.since_ms = T0 + 60000;
				cf.until_ms = T0 + 180000;
				cf.cause = GW_CAUSE_UNKNOWN;
			}
			if (console_series_splits(c, &cf, T0, steps[k], n, all,
			    f.err, sizeof(f.err)) != 0)
				fail_msg("splits: %s", f.err);
			for (int by = 0; by < CONSOLE_SPLIT_COUNT; by++) {
				struct console_series one;

				assert_int_equal(console_series(c, &cf,
				    (enum console_split)by, T0, steps[k], n,
				    &one, f.err, sizeof(f.err)), 0);
				assert_int_equal(all[by].by, by);
				assert_int_equal(all[by].n_points, n);
				assert_int_equal(all[by].n_lines, one.n_lines);
				for (size_t i = 0; i < one.n_lines; i++) {
					const struct console_line *a = NULL;

					for (size_t j = 0; j < all[by].n_lines; j++)
						if (all[by].lines[j].key ==
						    one.lines[i].key)
							a = &all[by].lines[j];
					assert_non_null(a);
					assert_string_equal(a->name,
					    one.lines[i].name);
					for (int p = 0; p < n; p++) {
						assert_int_equal(a->requests[p],
						    one.lines[i].requests[p]);
						assert_int_equal(a->errors_5xx[p],
						    one.lines[i].errors_5xx[p]);
					}
				}
				console_series_free(&one);
				console_series_free(&all[by]);
			}
		}
	}
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

/* Buckets hold their times; percentiles land in the right bucket. */
static void
test_latency(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;
	struct console_filter cf = console_filter_all();
	struct console_upstream *u;
	size_t n;
	int prev = -1;

	for (int64_t ms = 0; ms < 2000000; ms += ms < 100 ? 1 : ms / 7) {
		int b = latency_bucket(ms);

		assert_true(b >= prev);
		prev = b;
		assert_true(latency_bucket_lo(b) <= ms);
		assert_true(ms < latency_bucket_hi(b));
	}
	fx_init(&f);
	int64_t src = fx_source(&f, "access.log", "nginx_access");
	/* 98 attempts of 3 ms (the fixture's time), 2 slow ones. */
	for (int i = 0; i < 100; i++) {
		struct gw_event *e = fx_event(&f, T0 + i, 0, "10.1.1.1", "GET",
		    "/", NULL, 200, 5, GW_CAUSE_OK, "10.0.0.1:80 200 0");
		if (i >= 98)
			e->attempts[0].response_ms = 1000;
	}
	fx_write(&f, src);
	c = reader(&f, &rs);
	assert_int_equal(console_upstreams(c, &cf, &u, &n, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(u[0].timed, 100);
	assert_int_equal(u[0].p50_ms, 3);
	assert_true(u[0].p99_ms >= latency_bucket_lo(latency_bucket(1000)));
	assert_true(u[0].p99_ms < latency_bucket_hi(latency_bucket(1000)));
	console_upstreams_free(u, n);
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

/* Failing requests: newest first, limited, filtered, with attempts. */
static void
test_failures(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;
	struct console_filter cf = console_filter_all();
	struct console_request *v;
	size_t n;

	fx_init(&f);
	load_random(&f);
	c = reader(&f, &rs);
	assert_int_equal(console_failures(c, &cf, 10, &v, &n, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].status >= 500 || v[i].cause != GW_CAUSE_OK);
		if (i > 0)
			assert_true(v[i - 1].ts_ms >= v[i].ts_ms);
		if (v[i].status != 503) {
			assert_true(v[i].n_attempts >= 1);
			assert_non_null(v[i].attempts[0].upstream);
		}
	}
	/* The newest failing request overall is the first. */
	int64_t newest = fx_int(&f, "SELECT max(ts_ms) FROM requests"
	    " WHERE status >= 500 OR cause <> 0");
	assert_int_equal(v[0].ts_ms, newest);
	console_requests_free(v, n);

	/* By cause, with the joined error line. */
	cf.cause = GW_CAUSE_UPSTREAM_REFUSED;
	assert_int_equal(console_failures(c, &cf, 1000, &v, &n, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal((int64_t)n, fx_int(&f, "SELECT count(*) FROM"
	    " requests WHERE cause = 2"));
	assert_true(n > 0);
	assert_non_null(v[0].error);
	assert_string_equal(v[0].error, "something failed");
	assert_string_equal(v[0].path, "/a");
	assert_string_equal(v[0].query, "x=1");
	int64_t id = v[0].id;
	console_requests_free(v, n);

	/* Path and upstream filters. */
	cf = console_filter_all();
	cf.path = "limit";
	assert_int_equal(console_failures(c, &cf, 5, &v, &n, f.err,
	    sizeof(f.err)), 0);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(v[i].path, "/limited");
		assert_int_equal(v[i].n_attempts, 0);
		assert_string_equal(v[i].upstream, "-");
	}
	console_requests_free(v, n);
	cf = console_filter_all();
	cf.upstream = ups[2];
	cf.status = 504;
	assert_int_equal(console_failures(c, &cf, 1000, &v, &n, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal((int64_t)n, fx_int(&f, "SELECT count(*) FROM"
	    " requests r JOIN upstreams u ON u.id = r.upstream_id"
	    " WHERE u.name = '10.0.0.3:80' AND r.status = 504"));
	console_requests_free(v, n);

	/* One by id. */
	assert_int_equal(console_request(c, id, &v, &n, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id);
	assert_int_equal(v[0].cause, GW_CAUSE_UPSTREAM_REFUSED);
	console_requests_free(v, n);
	assert_int_equal(console_request(c, 999999, &v, &n, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(n, 0);
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

/* data_version moves when the writer commits; sources and time span. */
static void
test_live_reader(void **state)
{
	struct fx f;
	struct store *rs;
	struct console *c;
	struct console_source *src;
	int64_t first, last, v0;
	size_t n;

	fx_init(&f);
	c = reader(&f, &rs);
	assert_int_equal(console_time_span(c, &first, &last, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(last, -1);
	v0 = console_data_version(c);
	assert_true(v0 >= 0);
	load_random(&f);
	assert_true(console_data_version(c) != v0);
	assert_int_equal(console_time_span(c, &first, &last, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(first, T0);
	assert_int_equal(last, T0 + 599 * 600);
	assert_int_equal(console_sources(c, 8, &src, &n, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(src[0].kind, "nginx_error");
	console_sources_free(src, n);
	console_free(c);
	store_close(rs);
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstreams_equal_report),
		cmocka_unit_test(test_causes_equal_report),
		cmocka_unit_test(test_cause_top_upstream),
		cmocka_unit_test(test_series_add_up),
		cmocka_unit_test(test_series_splits),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_live_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
