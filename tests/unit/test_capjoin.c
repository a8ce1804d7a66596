/*
 * test_capjoin.c - the wire join's thread (cli/capjoin.c): the records a
 * capture hands over reach the functions in order and whole, across many
 * chunks; after a function fails the capture side gets its error, the
 * records after it are dropped, and finish still runs (what the join
 * holds is released and counted, as the packet loop flushed the join
 * after its failures); capjoin_finish returns the first error. The
 * functions here are the test's own; cmd_capture's are wire_join's.
 * The thread takes no signal: they are the capture loop's and the
 * console's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "cli/capjoin.h"

#define N_RECORDS	20000	/* exchanges: tens of chunks */

/* What the join thread saw; read by the test after capjoin_finish. */
struct seen {
	uint64_t n_exchanges, n_ticks, n_finish;
	uint64_t next_pkt;		/* the pkt_no expected next */
	uint64_t bad;			/* records out of order or changed */
	uint64_t fail_at;		/* exchange that fails (pkt_no), 0 none */
	bool finish_fails;
	bool after_finish;		/* a record after finish */
	uint64_t block_at;		/* exchange that waits for the gate */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool gate_open;
	sigset_t mask;			/* the join thread's, at finish */
};

static int
seen_exchange(void *ctx, const struct http_exchange *x, char *err,
    size_t errlen)
{
	struct seen *s = ctx;
	char path[32];

	snprintf(path, sizeof(path), "/p/%llu", (unsigned long long)x->pkt_no);
	if (x->pkt_no != s->next_pkt || strcmp(x->path, path) != 0 ||
	    x->status != (int)(x->pkt_no % 600))
		s->bad++;
	if (s->n_finish > 0)
		s->after_finish = true;
	s->next_pkt = x->pkt_no + 1;
	s->n_exchanges++;
	if (x->pkt_no == s->block_at) {
		pthread_mutex_lock(&s->mu);
		while (!s->gate_open)
			pthread_cond_wait(&s->cv, &s->mu);
		pthread_mutex_unlock(&s->mu);
	}
	if (x->pkt_no == s->fail_at) {
		snprintf(err, errlen, "exchange %llu failed",
		    (unsigned long long)x->pkt_no);
		return -1;
	}
	return 0;
}

static int
seen_tick(void *ctx, int64_t ts_us, bool advance, bool packet,
    uint64_t position, uint64_t line_no, char *err, size_t errlen)
{
	struct seen *s = ctx;

	(void)err;
	(void)errlen;
	/* the tick after exchange k says k: position 10k, ts k us */
	if (!advance || !packet || line_no + 1 != s->next_pkt ||
	    position != 10 * line_no || ts_us != (int64_t)line_no)
		s->bad++;
	if (s->n_finish > 0)
		s->after_finish = true;
	s->n_ticks++;
	return 0;
}

static int
seen_finish(void *ctx, char *err, size_t errlen)
{
	struct seen *s = ctx;

	pthread_sigmask(SIG_BLOCK, NULL, &s->mask);
	s->n_finish++;
	if (s->finish_fails) {
		snprintf(err, errlen, "finish failed");
		return -1;
	}
	return 0;
}

static const struct capjoin_fns fns = {seen_exchange, seen_tick,
    seen_finish};

/* Exchange k as the capture would hand it on (path long enough to make
 * records of several words). */
static void
make_exchange(struct http_exchange *x, uint64_t k)
{
	memset(x, 0, sizeof(*x));
	x->downstream = true;
	x->has_request = true;
	x->pkt_no = k;
	x->status = (int)(k % 600);
	snprintf(x->method, sizeof(x->method), "GET");
	snprintf(x->path, sizeof(x->path), "/p/%llu", (unsigned long long)k);
	snprintf(x->server, sizeof(x->server), "10.0.0.5:8080");
}

/* feed() packs every other exchange in place (capjoin_reserve and
 * capjoin_commit, as capture --listen packs answered requests). */
static bool feed_in_place;

/*
 * Hand exchanges 1..n on, a tick after every third, until a call fails;
 * returns how many were handed on (n when none failed).
 */
static uint64_t
feed(struct capjoin *c, uint64_t n, char *err, size_t errlen)
{
	static struct http_exchange x;

	for (uint64_t k = 1; k <= n; k++) {
		make_exchange(&x, k);
		if (feed_in_place && k % 2 == 0) {
			void *buf = capjoin_reserve(c, err, errlen);

			if (buf == NULL || capjoin_commit(c,
			    http_exchange_pack(&x, buf), err, errlen) != 0)
				return k - 1;
		} else if (capjoin_exchange(c, &x, err, errlen) != 0)
			return k - 1;
		if (k % 3 == 0 && capjoin_tick(c, (int64_t)k, true, true,
		    10 * k, k, err, errlen) != 0)
			return k;
	}
	return n;
}

/* Every record reaches the functions, in order and whole; finish last,
 * once. */
static void
test_capjoin_order(void **state)
{
	struct seen s = {.next_pkt = 1};
	char err[512] = "";
	struct capjoin *c;

	(void)state;
	assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
	assert_int_equal(feed(c, N_RECORDS, err, sizeof(err)), N_RECORDS);
	assert_int_equal(capjoin_handoff(c, err, sizeof(err)), 0);
	assert_int_equal(capjoin_finish(c, err, sizeof(err)), 0);
	capjoin_free(c);
	assert_int_equal(s.n_exchanges, N_RECORDS);
	assert_int_equal(s.n_ticks, N_RECORDS / 3);
	assert_int_equal(s.n_finish, 1);
	assert_int_equal(s.bad, 0);
	assert_false(s.after_finish);
}

/* Records packed in place (capjoin_reserve, capjoin_commit) among the
 * others: every one reaches the functions, in order and whole. */
static void
test_capjoin_in_place(void **state)
{
	struct seen s = {.next_pkt = 1};
	char err[512] = "";
	struct capjoin *c;

	(void)state;
	feed_in_place = true;
	assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
	assert_int_equal(feed(c, N_RECORDS, err, sizeof(err)), N_RECORDS);
	assert_int_equal(capjoin_finish(c, err, sizeof(err)), 0);
	capjoin_free(c);
	feed_in_place = false;
	assert_int_equal(s.n_exchanges, N_RECORDS);
	assert_int_equal(s.n_ticks, N_RECORDS / 3);
	assert_int_equal(s.n_finish, 1);
	assert_int_equal(s.bad, 0);
}

/*
 * A function fails mid-run: a later call on the capture side returns its
 * error (within two chunks), the records after it are dropped, finish
 * still runs once, and capjoin_finish returns the same error.
 */
static void
test_capjoin_fail_then_finish(void **state)
{
	static const uint64_t fail_at[] = {1, 100, N_RECORDS / 2, N_RECORDS};

	(void)state;
	for (size_t i = 0; i < sizeof(fail_at) / sizeof(fail_at[0]); i++) {
		struct seen s = {.next_pkt = 1, .fail_at = fail_at[i]};
		char err[512] = "", want[64];
		struct capjoin *c;
		uint64_t fed;

		snprintf(want, sizeof(want), "exchange %llu failed",
		    (unsigned long long)fail_at[i]);
		assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
		fed = feed(c, N_RECORDS, err, sizeof(err));
		if (fed < N_RECORDS)
			assert_string_equal(err, want);
		err[0] = '\0';
		assert_int_equal(capjoin_finish(c, err, sizeof(err)), -1);
		assert_string_equal(err, want);
		capjoin_free(c);
		assert_int_equal(s.n_exchanges, fail_at[i]);
		assert_int_equal(s.n_finish, 1);
		assert_int_equal(s.bad, 0);
		assert_false(s.after_finish);
	}
}

/* finish failing is capjoin_finish's error; it runs once. */
static void
test_capjoin_finish_fails(void **state)
{
	struct seen s = {.next_pkt = 1, .finish_fails = true};
	char err[512] = "";
	struct capjoin *c;

	(void)state;
	assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
	assert_int_equal(feed(c, 1000, err, sizeof(err)), 1000);
	assert_int_equal(capjoin_finish(c, err, sizeof(err)), -1);
	assert_string_equal(err, "finish failed");
	capjoin_free(c);
	assert_int_equal(s.n_exchanges, 1000);
	assert_int_equal(s.n_finish, 1);
}

/* Freed without capjoin_finish (an early error): the thread stops, what
 * was not handed over is dropped, nothing leaks (ASan). */
static void
test_capjoin_free_early(void **state)
{
	struct seen s = {.next_pkt = 1};
	char err[512] = "";
	struct capjoin *c;

	(void)state;
	assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
	capjoin_free(c);
	assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
	assert_int_equal(feed(c, 3000, err, sizeof(err)), 3000);
	capjoin_free(c);
	assert_int_equal(s.n_finish, 0);
	assert_int_equal(s.bad, 0);
}

/*
 * The join thread blocks every signal (a SIGINT, SIGTERM or SIGWINCH
 * landing there would not interrupt the capture loop's or the console's
 * wait, which then saw it late), and the caller's own mask is as before.
 */
static void
test_capjoin_signals_blocked(void **state)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
	struct seen s = {.next_pkt = 1};
	char err[512] = "";
	struct capjoin *c;
	sigset_t none, mine;

	(void)state;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
	pthread_sigmask(SIG_BLOCK, NULL, &mine);
	assert_int_equal(feed(c, 100, err, sizeof(err)), 100);
	assert_int_equal(capjoin_finish(c, err, sizeof(err)), 0);
	capjoin_free(c);
	assert_int_equal(s.n_finish, 1);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		assert_int_equal(sigismember(&s.mask, sigs[i]), 1);
		assert_int_equal(sigismember(&mine, sigs[i]), 0);
	}
}

/*
 * capjoin_handoff (a live capture's, every 50 ms) never waits for the
 * thread: while it works on a chunk (here held in a function, as by a
 * slow writer), the records stay in the other and go with a later call.
 * Waiting stalled the packet loop, and the kernel dropped packets.
 */
static void
test_capjoin_handoff_busy(void **state)
{
	struct seen s = {.next_pkt = 1, .block_at = 1};
	static struct http_exchange x;
	char err[512] = "";
	struct capjoin *c;

	(void)state;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	alarm(20);	/* a handoff that waits never returns: killed */
	assert_non_null(c = capjoin_new(&fns, &s, err, sizeof(err)));
	make_exchange(&x, 1);
	assert_int_equal(capjoin_exchange(c, &x, err, sizeof(err)), 0);
	assert_int_equal(capjoin_handoff(c, err, sizeof(err)), 0);
	/* the thread holds exchange 1 until the gate opens */
	for (uint64_t k = 2; k <= 50; k++) {
		make_exchange(&x, k);
		assert_int_equal(capjoin_exchange(c, &x, err, sizeof(err)), 0);
		assert_int_equal(capjoin_handoff(c, err, sizeof(err)), 0);
	}
	pthread_mutex_lock(&s.mu);
	s.gate_open = true;
	pthread_cond_broadcast(&s.cv);
	pthread_mutex_unlock(&s.mu);
	assert_int_equal(capjoin_finish(c, err, sizeof(err)), 0);
	alarm(0);
	capjoin_free(c);
	assert_int_equal(s.n_exchanges, 50);
	assert_int_equal(s.n_finish, 1);
	assert_int_equal(s.bad, 0);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capjoin_order),
		cmocka_unit_test(test_capjoin_in_place),
		cmocka_unit_test(test_capjoin_fail_then_finish),
		cmocka_unit_test(test_capjoin_finish_fails),
		cmocka_unit_test(test_capjoin_free_early),
		cmocka_unit_test(test_capjoin_handoff_busy),
		cmocka_unit_test(test_capjoin_signals_blocked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
