/*
 * test_access_cause.c - parse/access_cause.c: causes from status codes and
 * upstream timings alone, per the nginx section of shared/causes.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/cause.h"
#include "parse/access_cause.h"

/* An attempt: addr, status, connect/header ms (-1 for nginx's "-"). */
static struct gw_attempt
att(const char *addr, int status, int connect_ms, int header_ms)
{
	struct gw_attempt a;

	memset(&a, 0, sizeof(a));
	a.addr = addr;
	a.status = status;
	a.connect_ms = connect_ms;
	a.header_ms = header_ms;
	a.response_ms = -1;
	a.cause = GW_CAUSE_OK;
	return a;
}

/* An event with final status and n attempts from at. */
static struct gw_event
ev_with(int status, struct gw_attempt *at, int n)
{
	struct gw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.status = status;
	ev.attempts = at;
	ev.n_attempts = n;
	ev.cause = GW_CAUSE_UNKNOWN;
	return ev;
}

static void
test_attempt_rules(void **state)
{
	struct gw_attempt a;

	(void)state;
	a = att("10.0.0.1:80", 9, 1, 2);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	a = att("10.0.0.1:80", 503, 1, 20);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UPSTREAM_5XX);
	a = att("10.0.0.1:80", 504, 1, 60000);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UPSTREAM_5XX);
	a = att("10.0.0.1:80", 504, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
	a = att("10.0.0.1:80", 504, 3, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	/* refused, unreachable, DNS, TLS look alike: no guess */
	a = att("10.0.0.1:80", 502, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UNKNOWN);
	a = att("10.0.0.1:80", 502, 3, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UNKNOWN);
	a = att("10.0.0.1:80", 500, 3, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UNKNOWN);
	a = att("10.0.0.1:80", 200, 1, 2);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_OK);
	a = att("10.0.0.1:80", 404, 1, 2);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_OK);
	a = att(NULL, -1, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_OK);
}

static void
test_no_live_upstream(void **state)
{
	struct gw_attempt a;

	(void)state;
	a = att("backend", 502, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_NO_LIVE_UPSTREAM);
	a = att("backend", 503, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_NO_LIVE_UPSTREAM);
	/* unix sockets, IPv6 and host:port are addresses */
	a = att("unix:/run/app.sock", 502, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UNKNOWN);
	a = att("[2001:db8::1]:80", 503, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UNKNOWN);
	/* a 504 to a group name is not "no live upstreams" */
	a = att("backend", 504, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ALL),
	    GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
}

static void
test_unlogged_variables_prove_nothing(void **state)
{
	struct gw_attempt a;
	unsigned no_times = ACCESS_LOGGED_ADDR | ACCESS_LOGGED_STATUS;

	(void)state;
	/* without $upstream_*_time a 504 cannot be placed */
	a = att("10.0.0.1:80", 504, -1, -1);
	assert_int_equal(access_cause_attempt(&a, no_times), GW_CAUSE_UNKNOWN);
	a = att("10.0.0.1:80", 504, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_ADDR |
	    ACCESS_LOGGED_STATUS | ACCESS_LOGGED_HEADER), GW_CAUSE_UNKNOWN);
	/* without $upstream_header_time a 500 is not known to be upstream's */
	a = att("10.0.0.1:80", 500, 1, 5);
	assert_int_equal(access_cause_attempt(&a, no_times), GW_CAUSE_UNKNOWN);
	/* without $upstream_addr a group name cannot be seen */
	a = att(NULL, 502, -1, -1);
	assert_int_equal(access_cause_attempt(&a, ACCESS_LOGGED_STATUS),
	    GW_CAUSE_UNKNOWN);
}

static void
test_request_rules(void **state)
{
	struct gw_attempt at[3];
	struct gw_event ev;

	(void)state;
	ev = ev_with(499, NULL, 0);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_CLIENT_CLOSED);

	ev = ev_with(9, NULL, 0);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_UPSTREAM_INVALID_RESPONSE);

	ev = ev_with(502, NULL, 0);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_UNKNOWN);

	ev = ev_with(429, NULL, 0);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_RATE_LIMITED);
	/* a 429 in a log without upstream variables may be the upstream's */
	ev = ev_with(429, NULL, 0);
	access_cause_infer_logged(&ev, 0);
	assert_int_equal(ev.cause, GW_CAUSE_OK);

	at[0] = att("10.0.0.1:80", 429, 1, 2);
	ev = ev_with(429, at, 1);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_OK);

	ev = ev_with(200, NULL, 0);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_OK);

	/* 5xx: the last attempt's cause */
	at[0] = att("10.0.0.1:80", 502, -1, -1);
	at[1] = att("10.0.0.2:80", 504, 2, -1);
	ev = ev_with(504, at, 2);
	access_cause_infer(&ev);
	assert_int_equal(at[0].cause, GW_CAUSE_UNKNOWN);
	assert_int_equal(at[1].cause, GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	assert_int_equal(ev.cause, GW_CAUSE_UPSTREAM_READ_TIMEOUT);

	/* 5xx whose last attempt looks fine: no evidence */
	at[0] = att("10.0.0.1:80", 200, 1, 2);
	ev = ev_with(500, at, 1);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_UNKNOWN);
}

static void
test_retry_success_keeps_attempt_causes(void **state)
{
	struct gw_attempt at[2];
	struct gw_event ev;

	(void)state;
	at[0] = att("10.0.0.1:80", 504, -1, -1);
	at[1] = att("10.0.0.2:80", 200, 1, 3);
	ev = ev_with(200, at, 2);
	access_cause_infer(&ev);
	assert_int_equal(at[0].cause, GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT);
	assert_int_equal(at[1].cause, GW_CAUSE_OK);
	assert_int_equal(ev.cause, GW_CAUSE_OK);
}

/* nginx 1.22 relays a non-HTTP answer: request 009, attempt logged "200". */
static void
test_relayed_garbage_blames_last_attempt(void **state)
{
	struct gw_attempt at[2];
	struct gw_event ev;

	(void)state;
	at[0] = att("10.0.0.1:80", 502, 0, -1);
	at[1] = att("10.0.0.2:80", 200, 0, 0);
	ev = ev_with(9, at, 2);
	access_cause_infer(&ev);
	assert_int_equal(ev.cause, GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	assert_int_equal(at[1].cause, GW_CAUSE_UPSTREAM_INVALID_RESPONSE);
	assert_int_equal(at[0].cause, GW_CAUSE_UNKNOWN);
}

/*
 * The event's cause as access_cause_infer_logged gave it before it said OK
 * for an answer that is no failure without asking cause_merge (main at
 * 78ecc5b), the attempts' causes already set.
 */
static enum gw_cause
ref_event_cause(const struct gw_event *ev, unsigned logged)
{
	struct cause_claim c[4];
	enum cause_answer answer = CAUSE_ANSWER_OK;
	size_t n = 0;
	int s = ev->status;

	if ((s >= 500 && s <= 599) || s == 9)
		answer = CAUSE_ANSWER_FAILED;
	if (s == 499) {
		c[n++] = (struct cause_claim){GW_CAUSE_CLIENT_CLOSED,
		    CAUSE_SRC_ACCESS, CAUSE_ROLE_CLIENT};
		answer = CAUSE_ANSWER_OTHER;
	} else if (s == 429 && ev->n_attempts == 0 &&
	    (logged & (ACCESS_LOGGED_ADDR | ACCESS_LOGGED_STATUS)) != 0) {
		c[n++] = (struct cause_claim){GW_CAUSE_RATE_LIMITED,
		    CAUSE_SRC_ACCESS, CAUSE_ROLE_GATEWAY};
		answer = CAUSE_ANSWER_OTHER;
	}
	if (ev->n_attempts > 0)
		c[n++] = (struct cause_claim){
		    ev->attempts[ev->n_attempts - 1].cause, CAUSE_SRC_ACCESS,
		    CAUSE_ROLE_LAST};
	if (s == 9)
		c[n++] = (struct cause_claim){
		    GW_CAUSE_UPSTREAM_INVALID_RESPONSE, CAUSE_SRC_ACCESS,
		    CAUSE_ROLE_ANSWER};
	return cause_merge(answer, c, n);
}

/* Every final status with every attempt status (and none), every set of
 * logged fields: the same cause as cause_merge weighing the claims. */
static void
test_same_as_merge(void **state)
{
	static const int up[] = { 0, 9, 200, 404, 429, 499, 500, 502, 503,
	    504 };
	static const char *const addrs[] = { "10.0.0.1:80", "backend" };

	for (int s = -1; s < 1000; s++)
		for (size_t u = 0; u < sizeof(up) / sizeof(up[0]); u++)
			for (unsigned logged = 0; logged <= ACCESS_LOGGED_ALL;
			    logged++)
				for (int h = -1; h < 2; h += 2) {
					struct gw_attempt at[2];
					struct gw_event ev;
					int n = up[u] == 0 ? 0 : 2;

					at[0] = att(addrs[0], 502, 1, h);
					at[1] = att(addrs[h > 0], up[u], -1, h);
					ev = ev_with(s, at, n);
					access_cause_infer_logged(&ev, logged);
					assert_int_equal(ev.cause,
					    ref_event_cause(&ev, logged));
				}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attempt_rules),
		cmocka_unit_test(test_no_live_upstream),
		cmocka_unit_test(test_unlogged_variables_prove_nothing),
		cmocka_unit_test(test_request_rules),
		cmocka_unit_test(test_retry_success_keeps_attempt_causes),
		cmocka_unit_test(test_relayed_garbage_blames_last_attempt),
		cmocka_unit_test(test_same_as_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
