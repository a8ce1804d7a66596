/*
 * test_breaker.c - circuit-breaker replay (analyze/breaker.c) against
 * scripted event sequences with known open and close times: a run of
 * failures, a failure rate over the sliding window, a window that slides
 * so the rate never trips, a failed half-open probe, gateway-made causes
 * ignored, and a breaker still open when the data ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analyze/breaker.h"
#include "core/cause.h"

#define FAIL GW_CAUSE_UPSTREAM_REFUSED
#define OK GW_CAUSE_OK

static void
feed(struct breaker_replay *r, int64_t up, int64_t ts, enum gw_cause cause)
{
	assert_int_equal(breaker_replay_feed(r, up, ts, cause), 0);
}

static void
test_consecutive_and_probe(void **state)
{
	struct breaker_replay *r = breaker_replay_new(NULL);
	struct breaker_upstream *u;
	size_t n;

	(void)state;
	assert_non_null(r);
	/* Five failures in a row: open at 5 s, until 35 s. */
	for (int64_t t = 1000; t <= 5000; t += 1000)
		feed(r, 1, t, FAIL);
	/* 6 s .. 34 s: 29 attempts spared, all failed in reality. */
	for (int64_t t = 6000; t <= 34000; t += 1000)
		feed(r, 1, t, FAIL);
	/* Made by the gateway: neither failure nor spared. */
	feed(r, 1, 20500, GW_CAUSE_RATE_LIMITED);
	/* 35 s: the probe fails, open again until 65 s. */
	feed(r, 1, 35000, FAIL);
	feed(r, 1, 40000, OK);		/* spared, would have worked */
	/* 65 s: the probe works: closed. */
	feed(r, 1, 65000, OK);
	feed(r, 1, 66000, OK);
	assert_int_equal(breaker_replay_take(r, &u, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(u[0].upstream_id, 1);
	assert_int_equal(u[0].attempts, 39);
	assert_int_equal(u[0].ignored, 1);
	assert_int_equal(u[0].failures, 35);
	assert_int_equal(u[0].n_opens, 1);
	assert_int_equal(u[0].opens[0].open_ms, 5000);
	assert_int_equal(u[0].opens[0].close_ms, 65000);
	assert_int_equal(u[0].opens[0].reason, BREAKER_TRIP_CONSECUTIVE);
	assert_int_equal(u[0].opens[0].probes_failed, 1);
	assert_int_equal(u[0].opens[0].spared, 30);
	assert_int_equal(u[0].opens[0].spared_failed, 29);
	assert_int_equal(u[0].spared, 30);
	assert_int_equal(u[0].open_total_ms, 60000);
	breaker_upstreams_free(u, n);
	breaker_replay_free(r);
}

static void
test_failure_rate(void **state)
{
	struct breaker_replay *r = breaker_replay_new(NULL);
	struct breaker_upstream *u;
	size_t n;

	(void)state;
	/*
	 * Upstream 2: two attempts a second, every other one failing (never
	 * two in a row): the 20th, at 9.6 s, makes 10 of 20 in the window.
	 */
	for (int i = 0; i < 20; i++)
		feed(r, 2, 100 + 500 * i, i % 2 ? GW_CAUSE_UPSTREAM_5XX : OK);
	feed(r, 2, 20000, FAIL);		/* spared */
	feed(r, 2, 40000, OK);			/* probe after 39.6 s */
	/*
	 * Upstream 3: the same rate but slower (one every 0.6 s), so the
	 * 10 s window never holds 20 attempts: never opens.
	 */
	for (int i = 0; i < 60; i++)
		feed(r, 3, 600 * i, i % 2 ? FAIL : OK);
	/* Upstream 4: opens on its last attempt; still open at the end. */
	for (int i = 0; i < 5; i++)
		feed(r, 4, 1000 * i, GW_CAUSE_UPSTREAM_RESET);
	assert_int_equal(breaker_replay_take(r, &u, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(u[0].upstream_id, 2);
	assert_int_equal(u[0].n_opens, 1);
	assert_int_equal(u[0].opens[0].reason, BREAKER_TRIP_RATE);
	assert_int_equal(u[0].opens[0].open_ms, 9600);
	assert_int_equal(u[0].opens[0].close_ms, 40000);
	assert_int_equal(u[0].opens[0].window_requests, 20);
	assert_int_equal(u[0].opens[0].window_failed, 10);
	assert_int_equal(u[0].opens[0].spared, 1);
	assert_int_equal(u[0].opens[0].spared_failed, 1);
	assert_int_equal(u[1].upstream_id, 3);
	assert_int_equal(u[1].n_opens, 0);
	assert_int_equal(u[1].failures, 30);
	assert_int_equal(u[2].upstream_id, 4);
	assert_int_equal(u[2].n_opens, 1);
	assert_int_equal(u[2].opens[0].open_ms, 4000);
	assert_int_equal(u[2].opens[0].close_ms, -1);
	assert_int_equal(u[2].opens[0].spared, 0);
	breaker_upstreams_free(u, n);
	breaker_replay_free(r);
}

static void
test_config(void **state)
{
	struct breaker_config c = breaker_config_default();
	struct breaker_replay *r;
	struct breaker_upstream *u;
	size_t n;

	(void)state;
	assert_int_equal(c.consecutive_failures, 5);
	assert_int_equal(c.min_requests, 20);
	assert_int_equal(c.window_ms, 10000);
	assert_int_equal(c.open_ms, 30000);
	c.window_buckets = 0;
	assert_null(breaker_replay_new(&c));
	/* Two failures in a row, 1 s open. */
	c = breaker_config_default();
	c.consecutive_failures = 2;
	c.open_ms = 1000;
	r = breaker_replay_new(&c);
	feed(r, 7, 0, FAIL);
	feed(r, 7, 10, FAIL);		/* opens at 10 ms */
	feed(r, 7, 500, OK);		/* spared */
	feed(r, 7, 1010, OK);		/* probe: closes */
	feed(r, 7, 1020, FAIL);
	feed(r, 7, 1030, FAIL);		/* opens again */
	assert_int_equal(breaker_replay_take(r, &u, &n), 0);
	assert_int_equal(u[0].n_opens, 2);
	assert_int_equal(u[0].opens[0].open_ms, 10);
	assert_int_equal(u[0].opens[0].close_ms, 1010);
	assert_int_equal(u[0].opens[1].open_ms, 1030);
	assert_int_equal(u[0].spared, 1);
	assert_int_equal(u[0].spared_failed, 0);
	breaker_upstreams_free(u, n);
	breaker_replay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consecutive_and_probe),
		cmocka_unit_test(test_failure_rate),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
