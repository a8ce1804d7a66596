/*
 * test_diagnosis.c - tui/diagnosis.c, the console's diagnosis model: a
 * breaker timeline marks the right columns open, closed or empty; each
 * view built from a store holds what analyze/ finds there (the failing
 * shape named, the breaker opened for the failing upstream, the retries
 * counted, the upstream explained) and nothing of the other views; explain
 * without an upstream fails with a message; matching tells a model that
 * can be kept from one that must be rebuilt.
 */
#include "tests/unit/test_store_fixture.h"

#include "tui/diagnosis.h"

#define BAD_UP "10.0.0.5:8080"
#define OK_UP "10.0.0.6:8080"
#define RETRY_UP "10.0.0.7:80"

/* A replayed upstream with attempts over [first, last] and no openings. */
static struct breaker_upstream
upstream_span(int64_t first, int64_t last)
{
	struct breaker_upstream u;

	memset(&u, 0, sizeof(u));
	u.attempts = 10;
	u.first_ms = first;
	u.last_ms = last;
	return u;
}

static void
test_timeline(void **state)
{
	struct breaker_open opens[2];
	struct breaker_upstream u = upstream_span(0, 99999);
	enum breaker_mark m[10];
	static const enum breaker_mark want[10] = {
		BREAKER_MARK_CLOSED, BREAKER_MARK_CLOSED, BREAKER_MARK_OPEN,
		BREAKER_MARK_OPEN, BREAKER_MARK_CLOSED, BREAKER_MARK_CLOSED,
		BREAKER_MARK_CLOSED, BREAKER_MARK_CLOSED, BREAKER_MARK_CLOSED,
		BREAKER_MARK_OPEN,
	};

	(void)state;
	memset(opens, 0, sizeof(opens));
	opens[0].open_ms = 20000;	/* columns 2 and 3, not 4 */
	opens[0].close_ms = 40000;
	opens[1].open_ms = 95000;	/* still open: to the last attempt */
	opens[1].close_ms = -1;
	u.opens = opens;
	u.n_opens = 2;
	diagnosis_timeline(&u, 0, 100000, 10, m);
	for (int i = 0; i < 10; i++)
		assert_int_equal(m[i], want[i]);

	/* No openings: closed only where it had attempts. */
	u = upstream_span(30000, 59999);
	diagnosis_timeline(&u, 0, 100000, 10, m);
	for (int i = 0; i < 10; i++)
		assert_int_equal(m[i], i >= 3 && i <= 5 ? BREAKER_MARK_CLOSED :
		    BREAKER_MARK_NONE);

	/* A span shorter than the columns: every column still answers. */
	u = upstream_span(0, 4);
	diagnosis_timeline(&u, 0, 5, 10, m);
	for (int i = 0; i < 10; i++)
		assert_int_equal(m[i], BREAKER_MARK_CLOSED);
	diagnosis_timeline(&u, 0, 0, 10, m);	/* empty span: nothing */
	for (int i = 0; i < 10; i++)
		assert_int_equal(m[i], BREAKER_MARK_NONE);
}

/*
 * 300 requests a second apart to BAD_UP: 60 in a row with userName= fail
 * 502, the others (username=) answer 200; every tenth request first fails
 * on RETRY_UP and is saved by OK_UP; a few are rate-limited by the gateway.
 */
static void
load(struct fx *f)
{
	int64_t src = fx_source(f, "access.log", "nginx_access");
	char att[128];

	for (int i = 0; i < 300; i++) {
		int64_t ts = T0 + (int64_t)i * 1000;
		bool bad = i >= 100 && i < 160;
		struct gw_event *e;

		snprintf(att, sizeof(att), "%s %d %d", BAD_UP, bad ? 502 : 200,
		    bad ? GW_CAUSE_UPSTREAM_5XX : GW_CAUSE_OK);
		e = fx_event(f, ts, 0, "10.1.0.1", "GET", "/api/users/7",
		    bad ? "userName=x&age=1" : "username=x&age=1",
		    bad ? 502 : 200, 2, bad ? GW_CAUSE_UPSTREAM_5XX :
		    GW_CAUSE_OK, att);
		e->shape = fx_str(f, bad ? "age=<number>&userName=<text>" :
		    "age=<number>&username=<text>");
		if (i % 10 == 5) {
			snprintf(att, sizeof(att), "%s 502 %d, %s 200 0",
			    RETRY_UP, GW_CAUSE_UPSTREAM_REFUSED, OK_UP);
			e = fx_event(f, ts, 0, "10.1.0.2", "GET", "/orders",
			    NULL, 200, 40, GW_CAUSE_OK, att);
			e->shape = fx_str(f, "");
		}
		if (i % 25 == 7) {
			e = fx_event(f, ts, 0, "10.1.0.3", "GET", "/limited",
			    NULL, 503, 0, GW_CAUSE_RATE_LIMITED, NULL);
			e->shape = fx_str(f, "");
		}
		if (i % 50 == 49)
			fx_write(f, src);
	}
}

/* A spec of view v over all time. */
static struct diagnosis_spec
spec_of(enum diag_view v, const char *upstream)
{
	struct diagnosis_spec sp;

	memset(&sp, 0, sizeof(sp));
	sp.view = v;
	sp.since_ms = INT64_MIN;
	sp.until_ms = INT64_MAX;
	if (upstream != NULL)
		snprintf(sp.upstream, sizeof(sp.upstream), "%s", upstream);
	return sp;
}

static void
test_views(void **state)
{
	struct fx f;
	struct diagnosis *d;
	struct diagnosis_spec sp;
	bool found = false;

	(void)state;
	fx_init(&f);
	load(&f);

	sp = spec_of(DIAG_VIEW_SHAPES, NULL);
	assert_int_equal(diagnosis_build(f.s, &sp, &d, f.err, sizeof(f.err)),
	    0);
	assert_int_equal(d->n_shapes, 1);
	assert_string_equal(d->shapes[0].upstream, BAD_UP);
	assert_string_equal(d->shapes[0].shape, "age=<number>&userName=<text>");
	assert_non_null(strstr(d->shapes[0].difference, "userName"));
	assert_int_equal(d->shapes[0].requests, 60);
	assert_true(d->shapes[0].has_example);
	assert_null(d->breakers);
	assert_false(d->has_retries || d->has_explain);
	assert_true(diagnosis_matches(d, &sp));
	sp.until_ms = T0 + 60000;
	assert_false(diagnosis_matches(d, &sp));
	diagnosis_free(d);

	sp = spec_of(DIAG_VIEW_BREAKER, NULL);
	assert_int_equal(diagnosis_build(f.s, &sp, &d, f.err, sizeof(f.err)),
	    0);
	for (size_t i = 0; i < d->n_breakers; i++) {
		const struct breaker_upstream *u = &d->breakers[i];

		if (strcmp(u->name, BAD_UP) == 0) {
			found = true;
			assert_true(u->n_opens >= 1);
			assert_true(u->opens[0].open_ms >= T0 + 100000);
			assert_true(u->spared > 0);
		}
		if (strcmp(u->name, OK_UP) == 0)
			assert_int_equal(u->n_opens, 0);
	}
	assert_true(found);
	/* Open bounds: the timeline spans the data. */
	assert_int_equal(d->span_first_ms, T0);
	assert_int_equal(d->span_last_ms, T0 + 299000);
	diagnosis_free(d);

	sp = spec_of(DIAG_VIEW_RETRIES, NULL);
	assert_int_equal(diagnosis_build(f.s, &sp, &d, f.err, sizeof(f.err)),
	    0);
	assert_true(d->has_retries);
	assert_int_equal(d->retries.retried_after_failure, 30);
	assert_int_equal(d->retries.saved, 30);
	assert_int_equal(d->retries.n_groups, 1);
	assert_string_equal(d->retries.groups[0].first_upstream, RETRY_UP);
	diagnosis_free(d);

	sp = spec_of(DIAG_VIEW_EXPLAIN, NULL);
	assert_int_equal(diagnosis_build(f.s, &sp, &d, f.err, sizeof(f.err)),
	    -1);
	assert_null(d);
	assert_non_null(strstr(f.err, "upstream"));
	sp = spec_of(DIAG_VIEW_EXPLAIN, BAD_UP);
	assert_int_equal(diagnosis_build(f.s, &sp, &d, f.err, sizeof(f.err)),
	    0);
	assert_true(d->has_explain);
	assert_string_equal(d->explain.upstream, BAD_UP);
	assert_true(d->explain.n_reasons >= 2);
	found = false;
	for (size_t i = 0; i < d->explain.n_reasons; i++)
		found |= d->explain.reasons[i].kind == EXPLAIN_SHAPE &&
		    strstr(d->explain.reasons[i].title, "userName") != NULL;
	assert_true(found);
	diagnosis_free(d);

	/* A window: only its part of the data. */
	sp = spec_of(DIAG_VIEW_BREAKER, NULL);
	sp.since_ms = T0;
	sp.until_ms = T0 + 60000;
	assert_int_equal(diagnosis_build(f.s, &sp, &d, f.err, sizeof(f.err)),
	    0);
	assert_int_equal(d->span_first_ms, T0);
	assert_int_equal(d->span_last_ms, T0 + 59999);
	for (size_t i = 0; i < d->n_breakers; i++)
		if (strcmp(d->breakers[i].name, BAD_UP) == 0)
			assert_int_equal(d->breakers[i].n_opens, 0);
	diagnosis_free(d);

	assert_int_equal(diagnosis_build(f.s, &(struct diagnosis_spec){
	    .view = DIAG_VIEW_OVERVIEW}, &d, f.err, sizeof(f.err)), -1);
	diagnosis_free(NULL);
	assert_string_equal(diag_view_name(DIAG_VIEW_BREAKER), "breaker");
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
