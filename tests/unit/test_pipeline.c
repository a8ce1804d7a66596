/*
 * test_pipeline.c - the writer thread of cli/pipeline.c: every batch
 * handed over reaches the sink, in order; the sink's first failure is
 * the caller's error at the next call, and the batches after it are not
 * stored; the thread takes no signal (the caller's loop waits for them
 * and its handler stops it), and the caller's own mask is as before; an
 * async sink's batches are not reused while it reads them; the thread is
 * named gw-writer (top -H, perf).
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
#include <unistd.h>

#include "cli/pipeline.h"

/* What the writer thread saw; read by the test after pipeline_sync. */
struct seen {
	int batches;			/* sunk */
	uint64_t last_position;		/* of the last one sunk */
	int fail_at;			/* batch (1-based) that fails, 0 none */
	bool out_of_order;
	sigset_t mask;			/* the writer thread's */
	char name[16];			/* the writer thread's */
};

static int
seen_sink(void *ctx, struct gw_batch *b, char *err, size_t errlen)
{
	struct seen *s = ctx;

	pthread_sigmask(SIG_BLOCK, NULL, &s->mask);
#ifdef __linux__
	(void)pthread_getname_np(pthread_self(), s->name, sizeof(s->name));
#endif
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
#ifdef __linux__
	assert_string_equal(s.name, "gw-writer");
#endif
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

/*
 * An async sink (pipeline_new_async: store_sink_async's) still reads the
 * batches it returned from until read() says it is done with them: none
 * is cleared or given to the caller to fill before (its position as
 * sunk, never the caller's current batch), each is released by the
 * caller's wait on its mark or by the writer's drain before it sleeps,
 * in order, and pipeline_sync returns with none read.
 */
#define READ_MAX	8

struct reader {
	pthread_mutex_t mu;
	struct gw_batch *b[READ_MAX];	/* read after the sink returned */
	uint64_t pos[READ_MAX], mark[READ_MAX];
	int n;
	uint64_t next_mark, last_position;
	int batches, waits, drains, fail_at;
	bool reused, out_of_order, too_many;
};

static int
reader_sink(void *ctx, struct gw_batch *b, uint64_t *mark, char *err,
    size_t errlen)
{
	struct reader *r = ctx;

	pthread_mutex_lock(&r->mu);
	if (b->position != r->last_position + 1)
		r->out_of_order = true;
	r->last_position = b->position;
	*mark = ++r->next_mark;
	if (++r->batches == r->fail_at) {
		pthread_mutex_unlock(&r->mu);
		snprintf(err, errlen, "batch %d failed", r->batches);
		return -1;
	}
	if (r->n == READ_MAX)
		r->too_many = true;
	else {
		r->b[r->n] = b;
		r->pos[r->n] = b->position;
		r->mark[r->n++] = *mark;
	}
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* With r->mu held: forget the batches read up to mark (all: 0). */
static void
reader_done(struct reader *r, uint64_t mark)
{
	int k = 0;

	for (int i = 0; i < r->n; i++) {
		if (r->b[i]->position != r->pos[i])
			r->reused = true;
		if (mark == 0 || r->mark[i] <= mark)
			continue;
		r->b[k] = r->b[i];
		r->pos[k] = r->pos[i];
		r->mark[k++] = r->mark[i];
	}
	r->n = k;
}

static int
reader_read(void *ctx, uint64_t mark, bool wait, char *err, size_t errlen)
{
	struct reader *r = ctx;

	(void)err;
	(void)errlen;
	if (mark > 0 && !wait)
		return 1;
	usleep(50);		/* the encoder still at it */
	pthread_mutex_lock(&r->mu);
	reader_done(r, mark);
	if (mark > 0)
		r->waits++;
	else
		r->drains++;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* Hand over batches 1..n, checking the caller's batch is never one the
 * sink reads; the first failing call's number, or 0. */
static int
feed_read(struct pipeline *p, struct reader *r, int n, char *err,
    size_t errlen)
{
	for (int k = 1; k <= n; k++) {
		struct gw_batch *b = pipeline_batch(p);

		pthread_mutex_lock(&r->mu);
		for (int i = 0; i < r->n; i++)
			if (r->b[i] == b)
				r->reused = true;
		pthread_mutex_unlock(&r->mu);
		assert_int_equal(b->n_events, 0);
		b->position = (uint64_t)k;
		/* an event, so a batch reused uncleared shows */
		assert_non_null(batch_add_event(b));
		if (pipeline_flush(p, err, errlen) != 0)
			return k;
		if (k % 97 == 0)
			usleep(200);	/* the writer sleeps: drains */
	}
	return 0;
}

static void
test_pipeline_async(void **state)
{
	struct reader r = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char err[512] = "";
	struct pipeline *p;

	(void)state;
	assert_non_null(p = pipeline_new_async(reader_sink, reader_read, &r,
	    err, sizeof(err)));
	assert_int_equal(feed_read(p, &r, 1000, err, sizeof(err)), 0);
	assert_int_equal(pipeline_sync(p, err, sizeof(err)), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(pipeline_free(p, err, sizeof(err)), 0);
	assert_int_equal(r.batches, 1000);
	assert_false(r.out_of_order);
	assert_false(r.reused);
	assert_false(r.too_many);
	assert_true(r.drains > 0);
}

/* An async sink's failure: as a sink's, and no batch is left read. */
static void
test_pipeline_async_fail(void **state)
{
	struct reader r = {.mu = PTHREAD_MUTEX_INITIALIZER, .fail_at = 10};
	char err[512] = "";
	struct pipeline *p;
	int at;

	(void)state;
	assert_non_null(p = pipeline_new_async(reader_sink, reader_read, &r,
	    err, sizeof(err)));
	at = feed_read(p, &r, 1000, err, sizeof(err));
	if (at <= 10 || at > 14)
		fail_msg("failure seen at batch %d", at);
	assert_string_equal(err, "batch 10 failed");
	assert_int_equal(pipeline_sync(p, err, sizeof(err)), -1);
	assert_int_equal(r.n, 0);
	assert_int_equal(pipeline_free(p, err, sizeof(err)), -1);
	assert_int_equal(r.batches, 10);
	assert_false(r.reused);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline_order),
		cmocka_unit_test(test_pipeline_fail),
		cmocka_unit_test(test_pipeline_signals_blocked),
		cmocka_unit_test(test_pipeline_async),
		cmocka_unit_test(test_pipeline_async_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
