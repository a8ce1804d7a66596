/*
 * test_diag_worker.c - tui/diag_worker.c, the diagnosis models built on a
 * thread: a request is handed over once, built on the worker's own
 * connection and equal to what diagnosis_build() gives; a failed build
 * hands over its message; a newer request supersedes an older one, whose
 * build is abandoned (the builder sees it) and whose result never shows;
 * freeing the worker during a build that would run for a minute returns at
 * once; and a real build on a store is cut short inside SQLite when it is
 * superseded.
 */
#include <pthread.h>
#include <time.h>

#include "tests/unit/test_store_fixture.h"

#include "tui/diag_worker.h"

#define BAD_UP "10.0.0.5:8080"

/* Monotonic ms. */
static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Take the outcome of the newest request, waiting up to 10 s for it. */
static int
take_wait(struct diag_worker *w, struct diagnosis **d, char *err,
    size_t errlen)
{
	for (int i = 0; i < 1000; i++) {
		if (diag_worker_take(w, d, err, errlen) == 1)
			return 1;
		sleep_ms(10);
	}
	return 0;
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

/* A few requests to BAD_UP, some failing. */
static void
load(struct fx *f, int n)
{
	int64_t src = fx_source(f, "access.log", "nginx_access");
	char att[128];

	for (int i = 0; i < n; i++) {
		bool bad = i % 7 == 3;
		struct gw_event *e;

		snprintf(att, sizeof(att), "%s %d %d", BAD_UP, bad ? 502 : 200,
		    bad ? GW_CAUSE_UPSTREAM_5XX : GW_CAUSE_OK);
		e = fx_event(f, T0 + (int64_t)i * 10, 0, "10.1.0.1", "GET",
		    "/api/users/7", bad ? "userName=x" : "username=x",
		    bad ? 502 : 200, 2, bad ? GW_CAUSE_UPSTREAM_5XX :
		    GW_CAUSE_OK, att);
		e->shape = fx_str(f, bad ? "userName=<text>" :
		    "username=<text>");
		if (i % 500 == 499)
			fx_write(f, src);
	}
	fx_write(f, src);
}

/*
 * A fake builder: records what it was asked; blocks until abandoned when
 * the spec's upstream is "slow" (or for a minute at most), else builds.
 */
struct fake {
	pthread_mutex_t lock;
	int calls, abandoned;
	enum diag_view last_view;
};

static int
fake_build(void *ctx, const struct diag_worker *w, struct store *s,
    const struct diagnosis_spec *spec, struct diagnosis **out, char *err,
    size_t errlen)
{
	struct fake *fk = ctx;

	pthread_mutex_lock(&fk->lock);
	fk->calls++;
	fk->last_view = spec->view;
	pthread_mutex_unlock(&fk->lock);
	if (strcmp(spec->upstream, "slow") == 0) {
		for (int i = 0; i < 60000 && !diag_worker_abandoned(w); i++)
			sleep_ms(1);
		pthread_mutex_lock(&fk->lock);
		fk->abandoned += diag_worker_abandoned(w);
		pthread_mutex_unlock(&fk->lock);
		snprintf(err, errlen, "abandoned");
		return -1;
	}
	return diagnosis_build(s, spec, out, err, errlen);
}

static void
test_hand_over(void **state)
{
	struct fx f;
	struct diag_worker *w;
	struct diagnosis *d, *direct;
	struct diagnosis_spec sp = spec_of(DIAG_VIEW_SHAPES, NULL);
	char err[256];

	(void)state;
	fx_init(&f);
	load(&f, 700);
	assert_int_equal(diag_worker_new(f.s, NULL, NULL, &w, err,
	    sizeof(err)), 0);
	/* Nothing asked: nothing to take. */
	assert_int_equal(diag_worker_take(w, &d, err, sizeof(err)), 0);
	assert_null(d);

	diag_worker_request(w, &sp);
	assert_int_equal(take_wait(w, &d, err, sizeof(err)), 1);
	assert_non_null(d);
	assert_true(diagnosis_matches(d, &sp));
	assert_int_equal(diagnosis_build(f.s, &sp, &direct, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(d->n_shapes, direct->n_shapes);
	assert_int_equal(d->n_shapes, 1);
	assert_string_equal(d->shapes[0].shape, direct->shapes[0].shape);
	diagnosis_free(direct);
	diagnosis_free(d);
	/* Handed over once. */
	assert_int_equal(diag_worker_take(w, &d, err, sizeof(err)), 0);

	/* A failed build hands over its message. */
	sp = spec_of(DIAG_VIEW_EXPLAIN, NULL);
	diag_worker_request(w, &sp);
	assert_int_equal(take_wait(w, &d, err, sizeof(err)), 1);
	assert_null(d);
	assert_non_null(strstr(err, "select an upstream"));

	/* And the worker goes on after a failure. */
	sp = spec_of(DIAG_VIEW_RETRIES, NULL);
	diag_worker_request(w, &sp);
	assert_int_equal(take_wait(w, &d, err, sizeof(err)), 1);
	assert_non_null(d);
	assert_true(d->has_retries);
	diagnosis_free(d);
	diag_worker_free(w);
	fx_free(&f);
}

static void
test_supersede_and_cancel(void **state)
{
	struct fx f;
	struct fake fk;
	struct diag_worker *w;
	struct diagnosis *d;
	struct diagnosis_spec slow = spec_of(DIAG_VIEW_SHAPES, "slow");
	struct diagnosis_spec sp = spec_of(DIAG_VIEW_BREAKER, NULL);
	char err[256];
	double t0;
	int calls;

	(void)state;
	fx_init(&f);
	load(&f, 100);
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.lock, NULL);
	assert_int_equal(diag_worker_new(f.s, fake_build, &fk, &w, err,
	    sizeof(err)), 0);

	/* A slow build is running: nothing to take meanwhile. */
	diag_worker_request(w, &slow);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&fk.lock);
		calls = fk.calls;
		pthread_mutex_unlock(&fk.lock);
		if (calls == 1)
			break;
		sleep_ms(5);
	}
	assert_int_equal(calls, 1);
	sleep_ms(50);
	assert_int_equal(diag_worker_take(w, &d, err, sizeof(err)), 0);

	/* A newer request abandons it; only the newer one's model shows. */
	t0 = mono_ms();
	diag_worker_request(w, &sp);
	assert_int_equal(take_wait(w, &d, err, sizeof(err)), 1);
	assert_true(mono_ms() - t0 < 5000);
	assert_non_null(d);
	assert_true(diagnosis_matches(d, &sp));
	assert_int_equal(d->spec.view, DIAG_VIEW_BREAKER);
	diagnosis_free(d);
	assert_int_equal(diag_worker_take(w, &d, err, sizeof(err)), 0);
	pthread_mutex_lock(&fk.lock);
	assert_int_equal(fk.abandoned, 1);
	assert_int_equal(fk.calls, 2);
	pthread_mutex_unlock(&fk.lock);

	/* Requests in a burst: at most the newest is built after the first. */
	diag_worker_request(w, &slow);
	diag_worker_request(w, &slow);
	diag_worker_request(w, &sp);
	assert_int_equal(take_wait(w, &d, err, sizeof(err)), 1);
	assert_non_null(d);
	assert_int_equal(d->spec.view, DIAG_VIEW_BREAKER);
	diagnosis_free(d);

	/* Freed during a build that would take a minute: returns at once. */
	diag_worker_request(w, &slow);
	sleep_ms(20);
	t0 = mono_ms();
	diag_worker_free(w);
	assert_true(mono_ms() - t0 < 2000);
	pthread_mutex_destroy(&fk.lock);
	fx_free(&f);
}

/*
 * A real build on a store, superseded while SQLite runs it: the worker's
 * connection is interrupted, so the newer request's model comes well
 * before the old build could have ended.
 */
struct timed {
	double build_ms;	/* how long the last full build took */
	int builds;
};

static int
timed_build(void *ctx, const struct diag_worker *w, struct store *s,
    const struct diagnosis_spec *spec, struct diagnosis **out, char *err,
    size_t errlen)
{
	struct timed *t = ctx;
	double t0 = mono_ms();
	int rc;

	(void)w;
	/* Repeat the build to make it long enough to be cut short. */
	for (int i = 0; i < 1000; i++) {
		*out = NULL;
		if ((rc = diagnosis_build(s, spec, out, err, errlen)) != 0)
			return rc;
		if (strcmp(spec->upstream, BAD_UP) != 0)
			break;
		diagnosis_free(*out);
		*out = NULL;
	}
	t->build_ms = mono_ms() - t0;
	t->builds++;
	if (*out == NULL) {
		snprintf(err, errlen, "repeated");
		return -1;
	}
	return 0;
}

static void
test_sqlite_interrupted(void **state)
{
	struct fx f;
	struct timed t;
	struct diag_worker *w;
	struct diagnosis *d;
	struct diagnosis_spec rep = spec_of(DIAG_VIEW_BREAKER, BAD_UP);
	struct diagnosis_spec sp = spec_of(DIAG_VIEW_RETRIES, NULL);
	char err[256];
	double t0;

	(void)state;
	fx_init(&f);
	load(&f, 2000);
	memset(&t, 0, sizeof(t));
	assert_int_equal(diag_worker_new(f.s, timed_build, &t, &w, err,
	    sizeof(err)), 0);
	/* 1000 breaker replays take seconds; the interrupt ends the first. */
	diag_worker_request(w, &rep);
	sleep_ms(100);
	t0 = mono_ms();
	diag_worker_request(w, &sp);
	assert_int_equal(take_wait(w, &d, err, sizeof(err)), 1);
	assert_non_null(d);
	assert_true(d->has_retries);
	assert_true(mono_ms() - t0 < 1000);
	/* Only the second build ran to its end. */
	assert_int_equal(t.builds, 1);
	diagnosis_free(d);
	diag_worker_free(w);
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_over),
		cmocka_unit_test(test_supersede_and_cancel),
		cmocka_unit_test(test_sqlite_interrupted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
