/*
 * test_cause_merge.c - core/cause.c's cause_merge(): which evidence wins
 * when the access log, the gateway's error log and the wire disagree, and
 * its three users (parse/access_cause.c, parse/wire_join.c, the store's
 * join) checked against the rules they held before cause_merge() existed,
 * over every combination of their inputs that can reach them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "core/cause.h"
#include "parse/access_cause.h"
#include "parse/wire_join.h"
#include "store/store_int.h"

static const enum cause_source sources[] = {
	CAUSE_SRC_ACCESS, CAUSE_SRC_WIRE, CAUSE_SRC_ERROR_LOG,
};
#define N_SOURCES (sizeof(sources) / sizeof(sources[0]))

/* The roles in the order they decide (PRIOR apart: it is a verdict). */
static const enum cause_role claim_roles[] = {
	CAUSE_ROLE_CLIENT, CAUSE_ROLE_GATEWAY, CAUSE_ROLE_LAST,
	CAUSE_ROLE_EARLIER, CAUSE_ROLE_ANSWER,
};
#define N_ROLES (sizeof(claim_roles) / sizeof(claim_roles[0]))

static struct cause_claim
cl(enum gw_cause c, enum cause_source s, enum cause_role r)
{
	struct cause_claim x = {c, s, r};

	return x;
}

/* merge(a, c[0..n)) in both listing orders when n is 2; both must agree. */
static enum gw_cause
merge2(enum cause_answer a, struct cause_claim x, struct cause_claim y)
{
	struct cause_claim c[2] = {x, y}, d[2] = {y, x};
	enum gw_cause r = cause_merge(a, c, 2);

	assert_int_equal(cause_merge(a, d, 2), r);
	return r;
}

/* Every pair of sources about one thing: the stronger one wins. */
static void
test_sources_pairwise(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_SOURCES; i++)
		for (size_t j = i + 1; j < N_SOURCES; j++) {
			enum cause_source weak = sources[i], strong = sources[j];

			/* two specific causes: the stronger source */
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(GW_CAUSE_UPSTREAM_5XX, weak, CAUSE_ROLE_LAST),
			    cl(GW_CAUSE_UPSTREAM_REFUSED, strong,
			    CAUSE_ROLE_LAST)), GW_CAUSE_UPSTREAM_REFUSED);
			/* unknown from the stronger: the specific one */
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(GW_CAUSE_UPSTREAM_RESET, weak, CAUSE_ROLE_LAST),
			    cl(GW_CAUSE_UNKNOWN, strong, CAUSE_ROLE_LAST)),
			    GW_CAUSE_UPSTREAM_RESET);
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(GW_CAUSE_UNKNOWN, weak, CAUSE_ROLE_LAST),
			    cl(GW_CAUSE_UPSTREAM_RESET, strong,
			    CAUSE_ROLE_LAST)), GW_CAUSE_UPSTREAM_RESET);
			/* both unknown */
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(GW_CAUSE_UNKNOWN, weak, CAUSE_ROLE_LAST),
			    cl(GW_CAUSE_UNKNOWN, strong, CAUSE_ROLE_LAST)),
			    GW_CAUSE_UNKNOWN);
			/* ok claims nothing: the other one stands */
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(GW_CAUSE_UPSTREAM_READ_TIMEOUT, weak,
			    CAUSE_ROLE_LAST), cl(GW_CAUSE_OK, strong,
			    CAUSE_ROLE_LAST)), GW_CAUSE_UPSTREAM_READ_TIMEOUT);
			/* the error log's word against a stored verdict */
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(GW_CAUSE_UPSTREAM_5XX, weak, CAUSE_ROLE_PRIOR),
			    cl(GW_CAUSE_UPSTREAM_READ_TIMEOUT, strong,
			    CAUSE_ROLE_LAST)), GW_CAUSE_UPSTREAM_READ_TIMEOUT);
		}
}

/* Every pair of roles: the one earlier in the order decides. */
static void
test_roles_pairwise(void **state)
{
	/* causes each role may carry on a FAILED answer */
	static const enum gw_cause of[] = {
		GW_CAUSE_CLIENT_CLOSED, GW_CAUSE_AUTH_FAILURE,
		GW_CAUSE_UPSTREAM_REFUSED, GW_CAUSE_UPSTREAM_RESET,
		GW_CAUSE_UPSTREAM_TRUNCATED,
	};

	(void)state;
	for (size_t i = 0; i < N_ROLES; i++)
		for (size_t j = i + 1; j < N_ROLES; j++)
			for (size_t s = 0; s < N_SOURCES; s++)
				for (size_t t = 0; t < N_SOURCES; t++)
					assert_int_equal(merge2(
					    CAUSE_ANSWER_FAILED,
					    cl(of[i], sources[s],
					    claim_roles[i]),
					    cl(of[j], sources[t],
					    claim_roles[j])), of[i]);
}

/* What the gateway made beats what an upstream did; the client first. */
static void
test_gateway_vs_upstream(void **state)
{
	static const enum gw_cause gateway[] = {
		GW_CAUSE_NO_LIVE_UPSTREAM, GW_CAUSE_UPSTREAM_OVERLOADED,
		GW_CAUSE_RATE_LIMITED, GW_CAUSE_AUTH_FAILURE, GW_CAUSE_NO_ROUTE,
		GW_CAUSE_GATEWAY_INTERNAL,
	};
	static const enum gw_cause upstream[] = {
		GW_CAUSE_UPSTREAM_REFUSED, GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT,
		GW_CAUSE_UPSTREAM_RESET, GW_CAUSE_UPSTREAM_READ_TIMEOUT,
		GW_CAUSE_UPSTREAM_5XX, GW_CAUSE_UNKNOWN,
	};

	(void)state;
	for (size_t g = 0; g < sizeof(gateway) / sizeof(gateway[0]); g++) {
		assert_int_equal(cause_who(gateway[g]), GW_WHO_GATEWAY);
		for (size_t u = 0; u < sizeof(upstream) / sizeof(upstream[0]);
		    u++) {
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(gateway[g], CAUSE_SRC_WIRE, CAUSE_ROLE_GATEWAY),
			    cl(upstream[u], CAUSE_SRC_WIRE, CAUSE_ROLE_LAST)),
			    gateway[g]);
			assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
			    cl(gateway[g], CAUSE_SRC_ACCESS,
			    CAUSE_ROLE_GATEWAY), cl(upstream[u],
			    CAUSE_SRC_ERROR_LOG, CAUSE_ROLE_LAST)), gateway[g]);
		}
		/* the client left before the gateway's refusal mattered */
		assert_int_equal(merge2(CAUSE_ANSWER_OTHER,
		    cl(GW_CAUSE_CLIENT_CLOSED, CAUSE_SRC_ACCESS,
		    CAUSE_ROLE_CLIENT), cl(gateway[g], CAUSE_SRC_ERROR_LOG,
		    CAUSE_ROLE_GATEWAY)), GW_CAUSE_CLIENT_CLOSED);
		/* the error log's refusal replaces a verdict of unknown */
		assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
		    cl(GW_CAUSE_UNKNOWN, CAUSE_SRC_ACCESS, CAUSE_ROLE_PRIOR),
		    cl(gateway[g], CAUSE_SRC_ERROR_LOG, CAUSE_ROLE_GATEWAY)),
		    gateway[g]);
	}
}

/* Unknown never beats a specific cause it competes with. */
static void
test_unknown_vs_specific(void **state)
{
	struct cause_claim c[3];

	(void)state;
	/* against a stored verdict, before it in the order or after */
	for (size_t r = 0; r < N_ROLES; r++)
		assert_int_equal(merge2(CAUSE_ANSWER_FAILED,
		    cl(GW_CAUSE_UPSTREAM_REFUSED, CAUSE_SRC_ACCESS,
		    CAUSE_ROLE_PRIOR), cl(GW_CAUSE_UNKNOWN,
		    CAUSE_SRC_ERROR_LOG, claim_roles[r])),
		    GW_CAUSE_UPSTREAM_REFUSED);
	/* a stored unknown yields to a specific word before it ... */
	assert_int_equal(merge2(CAUSE_ANSWER_FAILED, cl(GW_CAUSE_UNKNOWN,
	    CAUSE_SRC_ACCESS, CAUSE_ROLE_PRIOR), cl(GW_CAUSE_TLS_FAILURE,
	    CAUSE_SRC_ERROR_LOG, CAUSE_ROLE_LAST)), GW_CAUSE_TLS_FAILURE);
	/* ... not to one after it: an earlier attempt's error */
	assert_int_equal(merge2(CAUSE_ANSWER_FAILED, cl(GW_CAUSE_UNKNOWN,
	    CAUSE_SRC_ACCESS, CAUSE_ROLE_PRIOR), cl(GW_CAUSE_TLS_FAILURE,
	    CAUSE_SRC_ERROR_LOG, CAUSE_ROLE_EARLIER)), GW_CAUSE_UNKNOWN);
	/* an unknown last attempt is not explained by an earlier one */
	assert_int_equal(merge2(CAUSE_ANSWER_FAILED, cl(GW_CAUSE_UNKNOWN,
	    CAUSE_SRC_WIRE, CAUSE_ROLE_LAST), cl(GW_CAUSE_UPSTREAM_REFUSED,
	    CAUSE_SRC_WIRE, CAUSE_ROLE_EARLIER)), GW_CAUSE_UNKNOWN);
	/* one source's word in a role is the first it lists */
	c[0] = cl(GW_CAUSE_OK, CAUSE_SRC_WIRE, CAUSE_ROLE_EARLIER);
	c[1] = cl(GW_CAUSE_UNKNOWN, CAUSE_SRC_WIRE, CAUSE_ROLE_EARLIER);
	c[2] = cl(GW_CAUSE_UPSTREAM_REFUSED, CAUSE_SRC_WIRE,
	    CAUSE_ROLE_EARLIER);
	assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, c, 3),
	    GW_CAUSE_UNKNOWN);
	c[1].cause = GW_CAUSE_UPSTREAM_RESET;
	assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, c, 3),
	    GW_CAUSE_UPSTREAM_RESET);
	/* no evidence at all */
	assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, NULL, 0),
	    GW_CAUSE_UNKNOWN);
	assert_int_equal(cause_merge(CAUSE_ANSWER_OTHER, NULL, 0),
	    GW_CAUSE_OK);
	assert_int_equal(cause_merge(CAUSE_ANSWER_OK, NULL, 0), GW_CAUSE_OK);
	c[0] = cl(GW_CAUSE_OK, CAUSE_SRC_ERROR_LOG, CAUSE_ROLE_LAST);
	assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, c, 1),
	    GW_CAUSE_UNKNOWN);
}

/*
 * A claim never lands on an answer that was not a failure, from any
 * source in any role, but the error log's upstream_truncated for the last
 * attempt (a body cut short after a fine header); a verdict stands.
 */
static void
test_non_failure_answer(void **state)
{
	(void)state;
	for (size_t s = 0; s < N_SOURCES; s++)
		for (size_t r = 0; r < N_ROLES; r++)
			for (int c = GW_CAUSE_UNKNOWN; c < GW_CAUSE_COUNT;
			    c++) {
				struct cause_claim x = cl(cause_from_id(c),
				    sources[s], claim_roles[r]);
				bool lands = sources[s] ==
				    CAUSE_SRC_ERROR_LOG && claim_roles[r] ==
				    CAUSE_ROLE_LAST &&
				    c == GW_CAUSE_UPSTREAM_TRUNCATED;

				assert_int_equal(cause_merge(CAUSE_ANSWER_OK,
				    &x, 1), lands ? c : GW_CAUSE_OK);
				assert_int_equal(merge2(CAUSE_ANSWER_OK, x,
				    cl(GW_CAUSE_CLIENT_CLOSED,
				    CAUSE_SRC_WIRE, CAUSE_ROLE_PRIOR)),
				    lands ? c : GW_CAUSE_CLIENT_CLOSED);
			}
}

/* The wire's word, through wire_join_cause(), on answers that are fine. */
static void
test_wire_never_on_non_failure(void **state)
{
	struct http_exchange d, a[2];
	const struct http_exchange *att[2] = {&a[0], &a[1]};
	static const int fine[] = {200, 204, 301, 404, 429};

	(void)state;
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		for (int c0 = GW_CAUSE_OK; c0 < GW_CAUSE_COUNT; c0++)
			for (int c1 = GW_CAUSE_OK; c1 < GW_CAUSE_COUNT; c1++) {
				memset(&d, 0, sizeof(d));
				memset(a, 0, sizeof(a));
				d.downstream = true;
				d.status = fine[i];
				a[0].cause = cause_from_id(c0);
				a[0].status = 502;
				a[1].cause = cause_from_id(c1);
				a[1].status = c1 == GW_CAUSE_UPSTREAM_TRUNCATED ?
				    200 : 504;
				assert_int_equal(wire_join_cause(&d, att, 2,
				    false), GW_CAUSE_OK);
				assert_int_equal(wire_join_cause(&d, att, 2,
				    true), GW_CAUSE_OK);
			}
}

/* The answer's own word, and earlier attempts, by answer. */
static void
test_answer_and_earlier(void **state)
{
	static const enum gw_cause own[] = {
		GW_CAUSE_UPSTREAM_TRUNCATED, GW_CAUSE_UPSTREAM_INVALID_RESPONSE,
	};

	(void)state;
	for (size_t s = 0; s < N_SOURCES; s++) {
		struct cause_claim x = cl(GW_CAUSE_UPSTREAM_5XX, sources[s],
		    CAUSE_ROLE_ANSWER);

		/* the gateway's own 5xx line says nothing of an upstream */
		assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, &x, 1),
		    GW_CAUSE_UNKNOWN);
		assert_int_equal(cause_merge(CAUSE_ANSWER_OTHER, &x, 1),
		    GW_CAUSE_OK);
		x.cause = GW_CAUSE_UPSTREAM_RESET;
		assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, &x, 1),
		    GW_CAUSE_UPSTREAM_RESET);
		assert_int_equal(cause_merge(CAUSE_ANSWER_OTHER, &x, 1),
		    GW_CAUSE_OK);
		for (size_t i = 0; i < 2; i++) {
			x.cause = own[i];
			assert_int_equal(cause_merge(CAUSE_ANSWER_OTHER, &x,
			    1), own[i]);
			assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, &x,
			    1), own[i]);
		}
		/* earlier attempts explain only a 5xx (or 009) answer */
		x = cl(GW_CAUSE_UPSTREAM_REFUSED, sources[s],
		    CAUSE_ROLE_EARLIER);
		assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, &x, 1),
		    GW_CAUSE_UPSTREAM_REFUSED);
		assert_int_equal(cause_merge(CAUSE_ANSWER_OTHER, &x, 1),
		    GW_CAUSE_OK);
		/* and before the answer's own word */
		assert_int_equal(merge2(CAUSE_ANSWER_FAILED, x,
		    cl(GW_CAUSE_UPSTREAM_TRUNCATED, sources[s],
		    CAUSE_ROLE_ANSWER)), GW_CAUSE_UPSTREAM_REFUSED);
	}
}

/* Pure: the claims are not touched, the same inputs give the same cause. */
static void
test_pure(void **state)
{
	struct cause_claim c[4] = {
		cl(GW_CAUSE_UNKNOWN, CAUSE_SRC_ACCESS, CAUSE_ROLE_PRIOR),
		cl(GW_CAUSE_UPSTREAM_RESET, CAUSE_SRC_WIRE, CAUSE_ROLE_EARLIER),
		cl(GW_CAUSE_UNKNOWN, CAUSE_SRC_ERROR_LOG, CAUSE_ROLE_LAST),
		cl(GW_CAUSE_UPSTREAM_CLOSED_EARLY, CAUSE_SRC_WIRE,
		    CAUSE_ROLE_LAST),
	}, copy[4];

	(void)state;
	memcpy(copy, c, sizeof(c));
	for (int i = 0; i < 3; i++)
		assert_int_equal(cause_merge(CAUSE_ANSWER_FAILED, c, 4),
		    GW_CAUSE_UPSTREAM_CLOSED_EARLY);
	assert_memory_equal(c, copy, sizeof(c));
}

/* --- the users, against the rules they held before cause_merge() ------ */

/* parse/access_cause.c's request rule before cause_merge(). */
static enum gw_cause
old_access(const struct gw_event *ev, unsigned logged)
{
	int s = ev->status;

	if (s == 499)
		return GW_CAUSE_CLIENT_CLOSED;
	if (s == 9)
		return GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
	if (s >= 500 && s <= 599) {
		if (ev->n_attempts > 0 &&
		    ev->attempts[ev->n_attempts - 1].cause != GW_CAUSE_OK)
			return ev->attempts[ev->n_attempts - 1].cause;
		return GW_CAUSE_UNKNOWN;
	}
	if (s == 429 && ev->n_attempts == 0 &&
	    (logged & (ACCESS_LOGGED_ADDR | ACCESS_LOGGED_STATUS)) != 0)
		return GW_CAUSE_RATE_LIMITED;
	return GW_CAUSE_OK;
}

static void
test_access_as_before(void **state)
{
	static const int statuses[] = {0, 200, 404, 429, 499, 500, 502, 503,
	    504, 9, 600};
	/* attempt shapes: addr, status, connect, header */
	static const struct { const char *addr; int st, c, h; } shapes[] = {
		{"10.0.0.1:80", 200, 1, 2}, {"10.0.0.1:80", 502, -1, -1},
		{"10.0.0.1:80", 504, -1, -1}, {"10.0.0.1:80", 504, 1, -1},
		{"10.0.0.1:80", 503, 1, 5}, {"backend", 502, -1, -1},
		{"10.0.0.1:80", 9, 1, 2}, {"10.0.0.1:80", 499, 1, -1},
	};
	enum { NS = sizeof(shapes) / sizeof(shapes[0]) };
	struct gw_attempt at[2];
	struct gw_event ev;
	long checked = 0;

	(void)state;
	for (unsigned logged = 0; logged <= ACCESS_LOGGED_ALL; logged++)
		for (size_t si = 0; si < sizeof(statuses) / sizeof(int); si++)
			for (int n = 0; n <= 2; n++)
				for (int k = 0; k < NS * NS; k++) {
					if ((n < 2 && k % NS != 0) ||
					    (n < 1 && k != 0))
						continue;
					memset(&ev, 0, sizeof(ev));
					memset(at, 0, sizeof(at));
					for (int i = 0; i < n; i++) {
						int x = i == 0 ? k / NS : k % NS;

						at[i].addr = shapes[x].addr;
						at[i].status = shapes[x].st;
						at[i].connect_ms = shapes[x].c;
						at[i].header_ms = shapes[x].h;
						at[i].response_ms = -1;
					}
					ev.status = statuses[si];
					ev.attempts = at;
					ev.n_attempts = n;
					access_cause_infer_logged(&ev, logged);
					assert_int_equal(ev.cause,
					    old_access(&ev, logged));
					checked++;
				}
	assert_true(checked > 1000);
}

/* parse/wire_join.c's wire_join_cause() before cause_merge(). */
static enum gw_cause
old_wire(const struct http_exchange *down,
    const struct http_exchange *const *att, int n, bool auth_failed)
{
	const struct http_exchange *last = n > 0 ? att[n - 1] : NULL;

	if (down->conn_only)
		return down->cause;
	if (!wire_join_failed(down))
		return GW_CAUSE_OK;
	if (down->cause == GW_CAUSE_CLIENT_CLOSED)
		return down->cause;
	if (auth_failed)
		return GW_CAUSE_AUTH_FAILURE;
	if (last != NULL && last->cause != GW_CAUSE_OK)
		return last->cause;
	if ((down->status >= 500 && down->status <= 599) || down->status == 9) {
		for (int i = n - 1; i >= 0; i--)
			if (att[i]->cause != GW_CAUSE_OK)
				return att[i]->cause;
		if (down->cause != GW_CAUSE_OK &&
		    down->cause != GW_CAUSE_UPSTREAM_5XX)
			return down->cause;
		return GW_CAUSE_UNKNOWN;
	}
	switch (down->cause) {
	case GW_CAUSE_UPSTREAM_INVALID_RESPONSE:
	case GW_CAUSE_UPSTREAM_TRUNCATED:
		return down->cause;
	default:
		return GW_CAUSE_OK;
	}
}

static void
test_wire_as_before(void **state)
{
	static const int statuses[] = {-1, 200, 404, 499, 500, 502, 504, 9};
	static const enum gw_cause acs[] = {
		GW_CAUSE_OK, GW_CAUSE_UNKNOWN, GW_CAUSE_UPSTREAM_REFUSED,
		GW_CAUSE_UPSTREAM_5XX, GW_CAUSE_UPSTREAM_TRUNCATED,
	};
	enum { NA = sizeof(acs) / sizeof(acs[0]) };
	struct http_exchange d, a[3];
	const struct http_exchange *att[3] = {&a[0], &a[1], &a[2]};
	long checked = 0;

	(void)state;
	memset(a, 0, sizeof(a));
	for (size_t si = 0; si < sizeof(statuses) / sizeof(int); si++)
		for (int dc = GW_CAUSE_OK; dc < GW_CAUSE_COUNT; dc++)
			for (int conn = 0; conn < 2; conn++)
				for (int k = 0; k < NA * NA * NA; k++)
					for (int n = 0; n <= 3; n++)
						for (int auth = 0; auth < 2;
						    auth++) {
		memset(&d, 0, sizeof(d));
		d.downstream = true;
		d.status = statuses[si];
		d.cause = cause_from_id(dc);
		d.conn_only = conn;
		a[0].cause = acs[k % NA];
		a[1].cause = acs[k / NA % NA];
		a[2].cause = acs[k / (NA * NA)];
		assert_int_equal(wire_join_cause(&d, att, n, auth),
		    old_wire(&d, att, n, auth));
		checked++;
	}
	assert_true(checked > 100000);
}

/* store/join.c's join_apply()/join_bare() rules before cause_merge(). */
static void
old_join(int status, enum gw_cause cause, int n_attempts, int seq,
    enum gw_cause acause, enum gw_cause ecause, enum gw_cause *attempt,
    enum gw_cause *request)
{
	bool known = ecause != GW_CAUSE_UNKNOWN;

	*attempt = acause;
	*request = cause;
	if (seq >= 0) {
		*attempt = known ? ecause : acause;
		if (known && seq == n_attempts - 1 &&
		    (cause != GW_CAUSE_OK ||
		    ecause == GW_CAUSE_UPSTREAM_TRUNCATED))
			*request = ecause;
	} else if (known && n_attempts == 0 && status >= 400)
		*request = ecause;
}

/*
 * Whether the join can reach these inputs (store/stmt.c's find
 * statements): a request is joinable when it failed (cause not ok) or was
 * retried; through an attempt, that attempt failed (status >= 500, 009 or
 * a cause), unless the error is upstream_truncated (found by time); an
 * error's cause is never ok (its parsers give unknown for none).
 */
static bool
join_reachable(enum gw_cause cause, int n_attempts, int seq, int astatus,
    enum gw_cause acause, enum gw_cause ecause)
{
	bool joinable = cause != GW_CAUSE_OK || n_attempts > 1;

	if (ecause == GW_CAUSE_OK)
		return false;
	if (seq < 0)
		return joinable;
	if (ecause == GW_CAUSE_UPSTREAM_TRUNCATED)
		return true;
	return joinable && (astatus >= 500 || astatus == 9 ||
	    acause != GW_CAUSE_OK);
}

static void
test_join_as_before(void **state)
{
	static const int statuses[] = {-1, 200, 404, 429, 499, 502, 504, 9};
	static const int astatuses[] = {-1, 200, 502, 9};
	long checked = 0;

	(void)state;
	for (size_t si = 0; si < sizeof(statuses) / sizeof(int); si++)
	for (int c = GW_CAUSE_OK; c < GW_CAUSE_COUNT; c++)
	for (int n = 0; n <= 3; n++)
	for (int seq = -1; seq < n; seq++)
	for (size_t ai = 0; ai < sizeof(astatuses) / sizeof(int); ai++)
	for (int ac = GW_CAUSE_OK; ac < GW_CAUSE_COUNT; ac++)
	for (int ec = GW_CAUSE_OK; ec < GW_CAUSE_COUNT; ec++) {
		enum gw_cause cause = cause_from_id(c),
		    acause = seq < 0 ? GW_CAUSE_OK : cause_from_id(ac),
		    ecause = cause_from_id(ec), na, nr, oatt, oreq;

		if (seq < 0 && (ac > 0 || ai > 0))
			continue;
		if (!join_reachable(cause, n, seq, astatuses[ai], acause,
		    ecause))
			continue;
		join_causes(statuses[si], cause, n, seq, astatuses[ai], acause,
		    ecause, &na, &nr);
		old_join(statuses[si], cause, n, seq, acause, ecause, &oatt,
		    &oreq);
		assert_int_equal(na, oatt);
		assert_int_equal(nr, oreq);
		checked++;
	}
	/* join_bare: a failed request without attempts gets one */
	for (size_t si = 0; si < sizeof(statuses) / sizeof(int); si++)
	for (int c = GW_CAUSE_UNKNOWN; c < GW_CAUSE_COUNT; c++)
	for (int ec = GW_CAUSE_UNKNOWN; ec < GW_CAUSE_COUNT; ec++) {
		enum gw_cause cause = cause_from_id(c), na, nr;

		join_causes(statuses[si], cause, 1, 0, statuses[si], cause,
		    cause_from_id(ec), &na, &nr);
		assert_int_equal(na, ec == GW_CAUSE_UNKNOWN ? cause :
		    cause_from_id(ec));
	}
	assert_true(checked > 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources_pairwise),
		cmocka_unit_test(test_roles_pairwise),
		cmocka_unit_test(test_gateway_vs_upstream),
		cmocka_unit_test(test_unknown_vs_specific),
		cmocka_unit_test(test_non_failure_answer),
		cmocka_unit_test(test_wire_never_on_non_failure),
		cmocka_unit_test(test_answer_and_earlier),
		cmocka_unit_test(test_pure),
		cmocka_unit_test(test_access_as_before),
		cmocka_unit_test(test_wire_as_before),
		cmocka_unit_test(test_join_as_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
