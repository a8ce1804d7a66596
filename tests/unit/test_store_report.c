/*
 * test_store_report.c - store_report and store_totals: grouping keys,
 * attempts grouped apart from requests, filters, and rollups giving the
 * same figures as the raw tables.
 */
#include "tests/unit/test_store_fixture.h"

/*
 * The data set: minute 0 (10:15Z) and minute 1 (10:16Z).
 *   r1 /a  502 upstream_refused   attempts .5 502 refused
 *   r2 /a  200 ok                 attempts .5 502 refused, .6 200 ok
 *   r3 /b  200 ok                 attempts .6 200
 *   r4 /b  503 rate_limited       no attempts (joined to an error)
 *   r5 /a  504 unknown (10:16)    attempts .7 504 unknown
 */
static void
load(struct fx *f)
{
	int64_t acc = fx_source(f, "access.log", "nginx_access");
	int64_t errlog = fx_source(f, "error.log", "nginx_error");

	fx_event(f, T0 + 1000, 0, "10.1.1.1", "GET", "/a", NULL, 502, 10,
	    GW_CAUSE_UNKNOWN, "10.0.0.5:80 502 1");
	fx_event(f, T0 + 2000, 0, "10.1.1.2", "GET", "/a", NULL, 200, 20,
	    GW_CAUSE_OK, "10.0.0.5:80 502 1, 10.0.0.6:80 200 0");
	fx_event(f, T0 + 3000, 0, "10.1.1.3", "GET", "/b", "q=1", 200, 30,
	    GW_CAUSE_OK, "10.0.0.6:80 200 0");
	fx_event(f, T0 + 4000, 0, "10.1.1.4", "GET", "/b", NULL, 503, 0,
	    GW_CAUSE_UNKNOWN, NULL);
	fx_event(f, T0 + 61000, 0, "10.1.1.5", "GET", "/a", NULL, 504, 60,
	    GW_CAUSE_UNKNOWN, "10.0.0.7:80 504 1");
	fx_write(f, acc);
	fx_error(f, T0 + 1000, "10.1.1.1", "GET", "/a", NULL, "10.0.0.5:80",
	    GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(f, T0 + 2000, "10.1.1.2", "GET", "/a", NULL, "10.0.0.5:80",
	    GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(f, T0 + 4000, "10.1.1.4", "GET", "/b", NULL, NULL,
	    GW_CAUSE_RATE_LIMITED);
	fx_error(f, T0 + 9000, "10.9.9.9", "GET", "/z", NULL, NULL,
	    GW_CAUSE_AUTH_FAILURE);
	fx_write(f, errlog);
}

/* A query with keys and no bounds. */
static struct report_query
query(int n, ...)
{
	struct report_query q = {.since_ms = INT64_MIN, .until_ms = INT64_MAX,
	    .cause = GW_CAUSE_ANY, .status = -1};
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		q.keys[i] = va_arg(ap, enum report_key);
	va_end(ap);
	q.n_keys = n;
	return q;
}

/* Run q; fail the test on error. */
static struct report_row *
run(struct fx *f, const struct report_query *q, size_t *n)
{
	struct report_row *rows;

	if (store_report(f->s, q, &rows, n, f->err, sizeof(f->err)) != 0)
		fail_msg("report: %s", f->err);
	return rows;
}

/* The row whose keys joined by '|' are k, or NULL. */
static struct report_row *
find(struct report_row *rows, size_t n, int n_keys, const char *k)
{
	char buf[256];

	for (size_t i = 0; i < n; i++) {
		buf[0] = '\0';
		for (int j = 0; j < n_keys; j++) {
			if (j > 0)
				strcat(buf, "|");
			strcat(buf, rows[i].key[j]);
		}
		if (strcmp(buf, k) == 0)
			return &rows[i];
	}
	return NULL;
}

/* Everything in one row; totals agree. */
static void
test_report_no_keys_and_totals(void **state)
{
	struct fx f;
	struct store_totals t;
	size_t n;

	fx_init(&f);
	load(&f);
	struct report_query q = query(0);
	struct report_row *r = run(&f, &q, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].requests, 5);
	assert_int_equal(r[0].errors_5xx, 3);
	assert_int_equal(r[0].failed, 3);
	assert_int_equal(r[0].attempts, 5);
	assert_int_equal(r[0].failed_attempts, 3);
	assert_true(r[0].request_ms_avg > 23.99 && r[0].request_ms_avg < 24.01);
	store_report_free(r, n);

	assert_int_equal(store_totals(f.s, &t, f.err, sizeof(f.err)), 0);
	assert_int_equal(t.requests, 5);
	assert_int_equal(t.attempts, 5);
	assert_int_equal(t.gateway_errors, 4);
	assert_int_equal(t.joined_errors, 3);
	assert_int_equal(t.rejects, 0);
	assert_int_equal(t.first_ms, T0 + 1000);
	assert_int_equal(t.last_ms, T0 + 61000);
	fx_free(&f);
}

/*
 * By upstream and cause: requests by their final upstream, attempts by
 * their own; .5 got only retried-away-from attempts in r2 but also r1.
 */
static void
test_report_by_upstream_cause(void **state)
{
	struct fx f;
	size_t n;

	fx_init(&f);
	load(&f);
	struct report_query q = query(2, REPORT_KEY_UPSTREAM,
	    REPORT_KEY_CAUSE);
	struct report_row *r = run(&f, &q, &n), *x;

	x = find(r, n, 2, "10.0.0.5:80|upstream_refused");
	assert_non_null(x);
	assert_int_equal(x->requests, 1);	/* r1 */
	assert_int_equal(x->failed, 1);
	assert_int_equal(x->attempts, 2);	/* r1's and r2's first */
	assert_int_equal(x->failed_attempts, 2);
	x = find(r, n, 2, "10.0.0.6:80|ok");
	assert_non_null(x);
	assert_int_equal(x->requests, 2);
	assert_int_equal(x->attempts, 2);
	x = find(r, n, 2, "-|rate_limited");
	assert_non_null(x);
	assert_int_equal(x->requests, 1);
	assert_int_equal(x->attempts, 0);
	x = find(r, n, 2, "10.0.0.7:80|unknown");
	assert_non_null(x);
	assert_int_equal(x->requests, 1);
	assert_int_equal(x->errors_5xx, 1);
	assert_int_equal(n, 4);
	/* Sorted by failed, then requests, descending. */
	for (size_t i = 1; i < n; i++)
		assert_true(r[i - 1].failed > r[i].failed ||
		    (r[i - 1].failed == r[i].failed &&
		    r[i - 1].requests >= r[i].requests));
	assert_string_equal(r[n - 1].key[0], "10.0.0.6:80");
	store_report_free(r, n);

	/* Filtered by status: requests by theirs, attempts by their own. */
	q = query(1, REPORT_KEY_UPSTREAM);
	q.status = 502;
	r = run(&f, &q, &n);
	x = find(r, n, 1, "10.0.0.5:80");
	assert_non_null(x);
	assert_int_equal(x->requests, 1);
	assert_int_equal(x->attempts, 2);
	store_report_free(r, n);

	/* An upstream that only ever got retried away from: requests 0. */
	fx_event(&f, T0 + 62000, 0, "10.1.1.6", "GET", "/a", NULL, 200, 40,
	    GW_CAUSE_OK, "10.0.0.8:80 502 1, 10.0.0.6:80 200 0");
	fx_write(&f, 1);
	q = query(1, REPORT_KEY_UPSTREAM);
	r = run(&f, &q, &n);
	x = find(r, n, 1, "10.0.0.8:80");
	assert_non_null(x);
	assert_int_equal(x->requests, 0);
	assert_int_equal(x->attempts, 1);
	assert_int_equal(x->failed_attempts, 1);
	assert_true(x->request_ms_avg < 0);
	store_report_free(r, n);
	fx_free(&f);
}

/* By path (raw rows) and by minute and status; filters. */
static void
test_report_by_path_minute_status(void **state)
{
	struct fx f;
	size_t n;

	fx_init(&f);
	load(&f);
	struct report_query q = query(1, REPORT_KEY_PATH);
	struct report_row *r = run(&f, &q, &n), *x;
	assert_int_equal(n, 2);
	x = find(r, n, 1, "/a");
	assert_non_null(x);
	assert_int_equal(x->requests, 3);
	assert_int_equal(x->failed, 2);
	assert_int_equal(x->attempts, 4);
	assert_int_equal(x->failed_attempts, 3);
	assert_true(x->request_ms_avg > 29.99 && x->request_ms_avg < 30.01);
	x = find(r, n, 1, "/b");
	assert_non_null(x);
	assert_int_equal(x->requests, 2);
	assert_int_equal(x->attempts, 1);
	store_report_free(r, n);

	q = query(2, REPORT_KEY_MINUTE, REPORT_KEY_STATUS);
	r = run(&f, &q, &n);
	x = find(r, n, 2, "2026-11-25T10:15Z|502");
	assert_non_null(x);
	assert_int_equal(x->requests, 1);
	assert_int_equal(x->attempts, 2);	/* both 502 attempts */
	x = find(r, n, 2, "2026-11-25T10:16Z|504");
	assert_non_null(x);
	assert_int_equal(x->requests, 1);
	x = find(r, n, 2, "2026-11-25T10:15Z|200");
	assert_non_null(x);
	assert_int_equal(x->requests, 2);
	assert_int_equal(x->attempts, 2);
	store_report_free(r, n);

	/* Filters and source key; limit. */
	q = query(1, REPORT_KEY_SOURCE);
	q.cause = GW_CAUSE_UPSTREAM_REFUSED;
	r = run(&f, &q, &n);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].key[0], "access.log");
	assert_int_equal(r[0].requests, 1);
	assert_int_equal(r[0].attempts, 2);
	store_report_free(r, n);
	q = query(1, REPORT_KEY_CAUSE);
	q.upstream = "10.0.0.6:80";
	r = run(&f, &q, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].requests, 2);
	store_report_free(r, n);
	q = query(1, REPORT_KEY_CAUSE);
	q.limit = 2;
	r = run(&f, &q, &n);
	assert_int_equal(n, 2);
	store_report_free(r, n);
	q.cause = GW_CAUSE_COUNT;	/* no such cause */
	assert_int_equal(store_report(f.s, &q, &r, &n, f.err, sizeof(f.err)),
	    -1);
	fx_free(&f);
}

/* Rollups and raw rows give the same report, for every key set. */
static void
test_report_rollup_equals_raw(void **state)
{
	static const enum report_key keysets[][3] = {
		{REPORT_KEY_UPSTREAM, REPORT_KEY_CAUSE, REPORT_KEY_COUNT},
		{REPORT_KEY_MINUTE, REPORT_KEY_STATUS, REPORT_KEY_SOURCE},
		{REPORT_KEY_CAUSE, REPORT_KEY_COUNT, REPORT_KEY_COUNT},
		{REPORT_KEY_COUNT, REPORT_KEY_COUNT, REPORT_KEY_COUNT},
	};
	struct fx f;

	fx_init(&f);
	load(&f);
	for (size_t k = 0; k < sizeof(keysets) / sizeof(keysets[0]); k++) {
		struct report_query q = query(0);
		struct report_row *a, *b;
		size_t na, nb;

		while (q.n_keys < 3 && keysets[k][q.n_keys] != REPORT_KEY_COUNT) {
			q.keys[q.n_keys] = keysets[k][q.n_keys];
			q.n_keys++;
		}
		for (int bounded = 0; bounded < 2; bounded++) {
			/* Whole minutes: rollups. Off a minute: raw rows. */
			q.since_ms = bounded ? T0 : INT64_MIN;
			q.until_ms = bounded ? T0 + 120000 : INT64_MAX;
			a = run(&f, &q, &na);
			q.since_ms = bounded ? T0 - 1 : 1;
			q.until_ms = bounded ? T0 + 120001 : INT64_MAX;
			b = run(&f, &q, &nb);
			assert_int_equal(na, nb);
			for (size_t i = 0; i < na; i++) {
				for (int j = 0; j < q.n_keys; j++)
					assert_string_equal(a[i].key[j],
					    b[i].key[j]);
				assert_int_equal(a[i].requests, b[i].requests);
				assert_int_equal(a[i].errors_5xx,
				    b[i].errors_5xx);
				assert_int_equal(a[i].failed, b[i].failed);
				assert_int_equal(a[i].attempts, b[i].attempts);
				assert_int_equal(a[i].failed_attempts,
				    b[i].failed_attempts);
				assert_true(a[i].request_ms_avg ==
				    b[i].request_ms_avg);
			}
			store_report_free(a, na);
			store_report_free(b, nb);
		}
	}
	/* A bound inside the data: the minute 10:16 only. */
	struct report_query q = query(0);
	q.since_ms = T0 + 60000;
	size_t n;
	struct report_row *r = run(&f, &q, &n);
	assert_int_equal(r[0].requests, 1);
	store_report_free(r, n);
	q.since_ms = T0 + 60500;	/* raw: r5 ended at +61000 */
	r = run(&f, &q, &n);
	assert_int_equal(r[0].requests, 1);
	store_report_free(r, n);
	fx_free(&f);
}

/* Key names round-trip. */
static void
test_report_key_names(void **state)
{
	for (int k = 0; k < REPORT_KEY_COUNT; k++) {
		const char *name = report_key_name(k);

		assert_int_equal(report_key_from_name(name, strlen(name)), k);
	}
	assert_int_equal(report_key_from_name("upstreamx", 9), -1);
	assert_int_equal(report_key_from_name("upstreamx", 8), 0);
}

/* who: gateway-made failures apart from the network's and upstreams'. */
static void
test_report_by_who(void **state)
{
	struct fx f;
	size_t n;

	(void)state;
	fx_init(&f);
	load(&f);
	struct report_query q = query(1, REPORT_KEY_WHO);
	struct report_row *r = run(&f, &q, &n), *x;

	x = find(r, n, 1, "gateway");		/* the rate-limited one */
	assert_non_null(x);
	assert_int_equal(x->requests, 1);
	assert_int_equal(x->failed, 1);
	x = find(r, n, 1, "network");		/* r1, refused */
	assert_non_null(x);
	assert_int_equal(x->requests, 1);
	assert_int_equal(x->failed_attempts, 2);
	store_report_free(r, n);
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_no_keys_and_totals),
		cmocka_unit_test(test_report_by_upstream_cause),
		cmocka_unit_test(test_report_by_who),
		cmocka_unit_test(test_report_by_path_minute_status),
		cmocka_unit_test(test_report_rollup_equals_raw),
		cmocka_unit_test(test_report_key_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
