/*
 * test_retry.c - retry accounting (analyze/retry.c over store/diag_query.c)
 * on a hand-built database: requests grouped by the upstream and cause of
 * their first failing attempt, saved or not, who saved them, the share of
 * traffic saved and the time the failed attempts cost; and the same data
 * through the breaker stream and the explain example lookup.
 */
#include "tests/unit/test_store_fixture.h"

#include "analyze/breaker.h"
#include "analyze/explain.h"
#include "analyze/retry.h"

#define A "10.0.0.5:80"
#define B "10.0.0.6:80"
#define C "10.0.0.7:80"

/*
 * r1, r2  A refused, then B 200: saved by B
 * r3      A refused, then C refused: failed
 * r4      B 200, one attempt (request_ms 10)
 * r5      A read timeout, then B 200: saved
 * r6      rate limited by the gateway, no attempt
 * Every attempt's response time is 3 ms (fixture).
 */
static void
load(struct fx *f)
{
	int64_t src = fx_source(f, "access.log", "nginx_access");

	fx_event(f, T0 + 1000, 0, "10.1.1.1", "GET", "/a", NULL, 200, 30,
	    GW_CAUSE_OK, A " 502 2, " B " 200 0");
	fx_event(f, T0 + 2000, 0, "10.1.1.2", "GET", "/a", NULL, 200, 30,
	    GW_CAUSE_OK, A " 502 2, " B " 200 0");
	fx_event(f, T0 + 3000, 0, "10.1.1.3", "GET", "/a", NULL, 502, 20,
	    GW_CAUSE_UPSTREAM_REFUSED, A " 502 2, " C " 502 2");
	fx_event(f, T0 + 4000, 0, "10.1.1.4", "GET", "/b", NULL, 200, 10,
	    GW_CAUSE_OK, B " 200 0");
	fx_event(f, T0 + 5000, 0, "10.1.1.5", "GET", "/a", NULL, 200, 1000,
	    GW_CAUSE_OK, A " 504 9, " B " 200 0");
	fx_event(f, T0 + 6000, 0, "10.1.1.6", "GET", "/a", NULL, 503, 0,
	    GW_CAUSE_RATE_LIMITED, NULL);
	fx_write(f, src);
}

static void
test_retry_groups(void **state)
{
	struct fx f;
	struct diag_window w = diag_window_all();
	struct retry_summary r;

	(void)state;
	fx_init(&f);
	load(&f);
	if (retry_summarize(f.s, &w, &r, f.err, sizeof(f.err)) != 0)
		fail_msg("retry: %s", f.err);
	assert_int_equal(r.requests, 6);
	assert_int_equal(r.retried, 4);
	assert_int_equal(r.retried_after_failure, 4);
	assert_int_equal(r.saved, 3);
	assert_int_equal(r.failed, 1);
	assert_true(r.saved_share > 0.49 && r.saved_share < 0.51);
	assert_true(r.extra_ms_avg > 2.99 && r.extra_ms_avg < 3.01);
	assert_true(r.single_ok_ms_avg > 9.99 && r.single_ok_ms_avg < 10.01);
	assert_int_equal(r.n_groups, 2);
	/* Most requests first: A refused (3), then A read timeout (1). */
	assert_string_equal(r.groups[0].first_upstream, A);
	assert_int_equal(r.groups[0].first_cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_int_equal(r.groups[0].who, GW_WHO_NETWORK);
	assert_int_equal(r.groups[0].requests, 3);
	assert_int_equal(r.groups[0].saved, 2);
	assert_int_equal(r.groups[0].failed, 1);
	assert_string_equal(r.groups[0].rescued_by, B);
	assert_int_equal(r.groups[0].rescued_by_count, 2);
	assert_string_equal(r.groups[1].first_upstream, A);
	assert_int_equal(r.groups[1].first_cause,
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	assert_int_equal(r.groups[1].saved, 1);
	retry_summary_free(&r);

	/* Only C: it never failed first. A window before everything: none. */
	w.upstream = C;
	assert_int_equal(retry_summarize(f.s, &w, &r, f.err, sizeof(f.err)),
	    0);
	assert_int_equal(r.n_groups, 0);
	assert_int_equal(r.saved, 0);
	retry_summary_free(&r);
	w = diag_window_all();
	w.until_ms = T0;
	assert_int_equal(retry_summarize(f.s, &w, &r, f.err, sizeof(f.err)),
	    0);
	assert_int_equal(r.requests, 0);
	assert_int_equal(r.n_groups, 0);
	retry_summary_free(&r);
	fx_free(&f);
}

static void
test_breaker_stream_and_explain(void **state)
{
	struct fx f;
	struct diag_window w = diag_window_all();
	struct breaker_config c = breaker_config_default();
	struct breaker_upstream *u;
	struct explain_report er;
	size_t n;

	(void)state;
	fx_init(&f);
	load(&f);
	/* Three failures in a row to A open a breaker of threshold 3. */
	c.consecutive_failures = 3;
	if (breaker_run(f.s, &w, &c, &u, &n, f.err, sizeof(f.err)) != 0)
		fail_msg("breaker: %s", f.err);
	assert_int_equal(n, 3);
	assert_string_equal(u[0].name, A);	/* most spared first */
	assert_int_equal(u[0].attempts, 4);
	assert_int_equal(u[0].failures, 4);
	assert_int_equal(u[0].n_opens, 1);
	assert_int_equal(u[0].opens[0].open_ms, T0 + 3000);
	assert_int_equal(u[0].spared, 1);
	breaker_upstreams_free(u, n);

	w.upstream = A;
	if (explain_upstream(f.s, &w, 0, NULL, &c, &er, f.err,
	    sizeof(f.err)) != 0)
		fail_msg("explain: %s", f.err);
	assert_int_equal(er.attempts, 4);
	assert_int_equal(er.failed_attempts, 4);
	assert_true(er.n_reasons >= 3);
	/* Refused first (3), with the newest example; then the retries. */
	assert_int_equal(er.reasons[0].kind, EXPLAIN_CAUSE);
	assert_int_equal(er.reasons[0].cause, GW_CAUSE_UPSTREAM_REFUSED);
	assert_int_equal(er.reasons[0].count, 3);
	assert_true(er.reasons[0].has_example);
	assert_int_equal(er.reasons[0].example.ts_ms, T0 + 3000);
	assert_string_equal(er.reasons[0].example.path, "/a");
	assert_false(er.reasons[0].gateway_made);
	explain_report_free(&er);

	/* The gateway's refusals are filed under '-', and kept apart. */
	w.upstream = "-";
	if (explain_upstream(f.s, &w, 0, NULL, NULL, &er, f.err,
	    sizeof(f.err)) != 0)
		fail_msg("explain: %s", f.err);
	assert_int_equal(er.n_reasons, 1);
	assert_true(er.reasons[0].gateway_made);
	assert_int_equal(er.reasons[0].cause, GW_CAUSE_RATE_LIMITED);
	assert_int_equal(er.gateway_made, 1);
	assert_true(er.reasons[0].has_example);
	explain_report_free(&er);
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_groups),
		cmocka_unit_test(test_breaker_stream_and_explain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
