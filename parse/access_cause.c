/*
 * access_cause.c - causes from the access log alone; see access_cause.h.
 *
 * The rules are those of shared/causes.md, nginx section, and nothing more:
 * nginx writes its own 502/504 into $upstream_status, so a 5xx there is the
 * upstream's only when $upstream_header_time is a number; "-" for both
 * connect and header time means the attempt failed at connect (or TLS). A
 * 504 then is a connect timeout, a 502 any of refused / unreachable / DNS /
 * TLS, which the access log cannot tell apart, so it stays "unknown" until
 * the error log (joined later by the store) says more.
 *
 * Each attempt's cause is inferred here; the request's is what
 * cause_merge() (core/cause.h) makes of the line's evidence: the client
 * left (499), the gateway's own limit (429 with no upstream), the last
 * attempt, an HTTP/0.9 answer.
 */
#include <stdbool.h>
#include <string.h>

#include "parse/access_cause.h"

/*
 * True when addr is an upstream group's name rather than an address: nginx
 * writes the name when it could pick no server ("no live upstreams").
 * Addresses are host:port, [v6]:port or unix:/path, so all hold a ':'.
 */
static bool
access_addr_is_group(const char *addr)
{
	if (addr == NULL || addr[0] == '\0')
		return false;
	if (strncmp(addr, "unix:", 5) == 0)
		return false;
	return strchr(addr, ':') == NULL;
}

enum gw_cause
access_cause_attempt(const struct gw_attempt *at, unsigned logged)
{
	int s = at->status;
	bool have_header = (logged & ACCESS_LOGGED_HEADER) != 0;
	bool have_connect = (logged & ACCESS_LOGGED_CONNECT) != 0;

	if (s == 9)
		return GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
	if (s < 500 || s > 599)
		return GW_CAUSE_OK;
	if (have_header && at->header_ms >= 0)
		return GW_CAUSE_UPSTREAM_5XX;
	if ((s == 502 || s == 503) && (logged & ACCESS_LOGGED_ADDR) != 0 &&
	    access_addr_is_group(at->addr))
		return GW_CAUSE_NO_LIVE_UPSTREAM;
	if (s == 504 && have_header && have_connect)
		return at->connect_ms < 0 ? GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT :
		    GW_CAUSE_UPSTREAM_READ_TIMEOUT;
	return GW_CAUSE_UNKNOWN;
}

void
access_cause_infer_logged(struct gw_event *ev, unsigned logged)
{
	struct cause_claim c[4];
	enum cause_answer answer = CAUSE_ANSWER_OK;
	size_t n = 0;
	int i, s = ev->status;

	for (i = 0; i < ev->n_attempts; i++)
		ev->attempts[i].cause = access_cause_attempt(&ev->attempts[i],
		    logged);
	/*
	 * nginx relays a non-HTTP answer as HTTP/0.9 and logs the attempt
	 * as "200": the final attempt is the one that failed.
	 */
	if (s == 9 && ev->n_attempts > 0)
		ev->attempts[ev->n_attempts - 1].cause =
		    GW_CAUSE_UPSTREAM_INVALID_RESPONSE;

	/*
	 * An answer that is no failure (most lines): the claims below would
	 * all be the access log's own, none an earlier run's (PRIOR) nor the
	 * error log's, and cause_merge() gives such an answer OK; said here
	 * without building them.
	 */
	if (!((s >= 500 && s <= 599) || s == 9 || s == 499 || s == 429)) {
		ev->cause = GW_CAUSE_OK;
		return;
	}
	/* The evidence this line holds; cause_merge() weighs it. */
	if ((s >= 500 && s <= 599) || s == 9)
		answer = CAUSE_ANSWER_FAILED;
	if (s == 499) {
		c[n++] = (struct cause_claim){GW_CAUSE_CLIENT_CLOSED,
		    CAUSE_SRC_ACCESS, CAUSE_ROLE_CLIENT};
		answer = CAUSE_ANSWER_OTHER;
	} else if (s == 429 && ev->n_attempts == 0 &&
	    (logged & (ACCESS_LOGGED_ADDR | ACCESS_LOGGED_STATUS)) != 0) {
		/* no upstream was asked: the gateway's own limit */
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
	/*
	 * Earlier attempts are no evidence here: nginx answers from its last
	 * one, and the log gives no answer of its own but the status.
	 */
	ev->cause = cause_merge(answer, c, n);
}

void
access_cause_infer(struct gw_event *ev)
{
	access_cause_infer_logged(ev, ACCESS_LOGGED_ALL);
}
