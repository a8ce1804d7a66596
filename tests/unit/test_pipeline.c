/*
 * test_pipeline.c - the writer thread of cli/pipeline.c: every batch
 * handed over reaches the sink, in order; the sink's first failure is
 * the caller's error at the next call, and the batches after it are not
 * stored; the thread takes no signal (the caller's loop waits for them
 * and its handler stops it), and the caller's own mask is as before.
 * The sink here is the test's own; the commands' is store_sink.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>

#include "cli/pipeline.h"

/* What the writer thread saw; read by the test after pipeline_sync. */
struct seen {
	int batches;			/* sunk */
	uint64_t last_position;		/* of the last one sunk */
	int fail_at;			/* batch (1-based) that fails, 0 none */
	bool out_of_order;
	sigset_t mask;			/* the writer thread's */
};

static int
seen_sink(void *ctx, struct gw_batch *b, char *err, size_t errlen)
{
	struct seen *s = ctx;

	pthread_sigmask(SIG_BLOCK, NULL, &s->mask);
	if (b->position != s->last_position + 1)
		s->out_of_order = true;
	s->last_position = b->position;
	if (++s->batches == s->fail_at) {
		snprintf(err, errlen, "batch %d failed", s->batches);
		return -1;
	}
	return 0;
}

/* Hand over batches 1..n (position k each); the first failing call's
 * number, or 0. */
static int
feed(struct pipeline *p, int n, char *err, size_t errlen)
{
	for (int k = 1; k <= n; k++) {
		pipeline_batch(p)->position = (uint64_t)k;
		if (pipeline_flush(p, err, errlen) != 0)
			return k;
	}
	return 0;
}

/* Every batch reaches the sink, in order. */
static void
test_pipeline_order(void **state)
{
	struct seen s = {0};
	char err[512] = "";
	struct pipeline *p;

	(void)state;
	assert_non_null(p = pipeline_new(seen_sink, &s, err, sizeof(err)));
	assert_int_equal(feed(p, 1000, err, sizeof(err)), 0);
	assert_int_equal(pipeline_free(p, err, sizeof(err)), 0);
	assert_int_equal(s.batches, 1000);
	assert_false(s.out_of_order);
}

/* A failing batch: a later call says why, none after it is sunk. */
static void
test_pipeline_fail(void **state)
{
	struct seen s = {.fail_at = 10};
	char err[512] = "";
	struct pipeline *p;
	int at;

	(void)state;
	assert_non_null(p = pipeline_new(seen_sink, &s, err, sizeof(err)));
	at = feed(p, 1000, err, sizeof(err));
	assert_true(at > 10 && at <= 12);
	assert_string_equal(err, "batch 10 failed");
	err[0] = '\0';
	assert_int_equal(pipeline_sync(p, err, sizeof(err)), -1);
	assert_string_equal(err, "batch 10 failed");
	assert_int_equal(pipeline_free(p, err, sizeof(err)), -1);
	assert_int_equal(s.batches, 10);
}

/*
 * The writer thread blocks every signal: a SIGINT or SIGTERM landing
 * there would not interrupt the wait of the caller's loop (a live
 * capture's read), which then saw it late. The caller's mask is kept.
 */
static void
test_pipeline_signals_blocked(void **state)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
	struct seen s = {0};
	char err[512] = "";
	struct pipeline *p;
	sigset_t none, mine;

	(void)state;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	assert_non_null(p = pipeline_new(seen_sink, &s, err, sizeof(err)));
	pthread_sigmask(SIG_BLOCK, NULL, &mine);
	assert_int_equal(feed(p, 3, err, sizeof(err)), 0);
	assert_int_equal(pipeline_free(p, err, sizeof(err)), 0);
	assert_int_equal(s.batches, 3);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		assert_int_equal(sigismember(&s.mask, sigs[i]), 1);
		assert_int_equal(sigismember(&mine, sigs[i]), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline_order),
		cmocka_unit_test(test_pipeline_fail),
		cmocka_unit_test(test_pipeline_signals_blocked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
