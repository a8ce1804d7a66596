/*
 * cause.c - names and owners of the causes in cause.h, and cause_merge():
 * the one rule for which evidence wins when sources disagree.
 */
#include <string.h>

#include "core/cause.h"

static const struct {
	const char *name;
	enum gw_cause_who who;
} cause_table[GW_CAUSE_COUNT] = {
	[GW_CAUSE_OK] = {"ok", GW_WHO_NONE},
	[GW_CAUSE_UNKNOWN] = {"unknown", GW_WHO_NONE},
	[GW_CAUSE_UPSTREAM_REFUSED] = {"upstream_refused", GW_WHO_NETWORK},
	[GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT] = {"upstream_connect_timeout", GW_WHO_NETWORK},
	[GW_CAUSE_UPSTREAM_UNREACHABLE] = {"upstream_unreachable", GW_WHO_NETWORK},
	[GW_CAUSE_DNS_FAILURE] = {"dns_failure", GW_WHO_NETWORK},
	[GW_CAUSE_TLS_FAILURE] = {"tls_failure", GW_WHO_NETWORK},
	[GW_CAUSE_UPSTREAM_RESET] = {"upstream_reset", GW_WHO_UPSTREAM},
	[GW_CAUSE_UPSTREAM_CLOSED_EARLY] = {"upstream_closed_early", GW_WHO_UPSTREAM},
	[GW_CAUSE_UPSTREAM_READ_TIMEOUT] = {"upstream_read_timeout", GW_WHO_UPSTREAM},
	[GW_CAUSE_UPSTREAM_INVALID_RESPONSE] = {"upstream_invalid_response", GW_WHO_UPSTREAM},
	[GW_CAUSE_UPSTREAM_HEADER_TOO_BIG] = {"upstream_header_too_big", GW_WHO_UPSTREAM},
	[GW_CAUSE_UPSTREAM_TRUNCATED] = {"upstream_truncated", GW_WHO_UPSTREAM},
	[GW_CAUSE_UPSTREAM_5XX] = {"upstream_5xx", GW_WHO_UPSTREAM},
	[GW_CAUSE_NO_LIVE_UPSTREAM] = {"no_live_upstream", GW_WHO_GATEWAY},
	[GW_CAUSE_UPSTREAM_OVERLOADED] = {"upstream_overloaded", GW_WHO_GATEWAY},
	[GW_CAUSE_RATE_LIMITED] = {"rate_limited", GW_WHO_GATEWAY},
	[GW_CAUSE_AUTH_FAILURE] = {"auth_failure", GW_WHO_GATEWAY},
	[GW_CAUSE_NO_ROUTE] = {"no_route", GW_WHO_GATEWAY},
	[GW_CAUSE_GATEWAY_INTERNAL] = {"gateway_internal", GW_WHO_GATEWAY},
	[GW_CAUSE_CLIENT_CLOSED] = {"client_closed", GW_WHO_CLIENT},
};

const char *
cause_name(enum gw_cause c)
{
	if ((unsigned)c >= GW_CAUSE_COUNT)
		return "unknown";
	return cause_table[c].name;
}

bool
cause_from_name(const char *s, size_t len, enum gw_cause *c)
{
	for (int i = 0; i < GW_CAUSE_COUNT; i++) {
		const char *n = cause_table[i].name;
		if (strlen(n) == len && memcmp(n, s, len) == 0) {
			*c = (enum gw_cause)i;
			return true;
		}
	}
	return false;
}

enum gw_cause
cause_from_id(int64_t id)
{
	if (id < 0 || id >= GW_CAUSE_COUNT)
		return GW_CAUSE_UNKNOWN;
	return (enum gw_cause)id;
}

enum gw_cause_who
cause_who(enum gw_cause c)
{
	if ((unsigned)c >= GW_CAUSE_COUNT)
		return GW_WHO_NONE;
	return cause_table[c].who;
}

const char *
cause_who_name(enum gw_cause_who w)
{
	switch (w) {
	case GW_WHO_NETWORK: return "network";
	case GW_WHO_UPSTREAM: return "upstream";
	case GW_WHO_GATEWAY: return "gateway";
	case GW_WHO_CLIENT: return "client";
	default: return "-";
	}
}

/* Whether claim x of role r may decide on answer a (rules 1 and 3). */
static bool
merge_eligible(const struct cause_claim *x, enum cause_answer a)
{
	if (x->cause == GW_CAUSE_OK)
		return false;
	if (x->role != CAUSE_ROLE_ANSWER)
		return true;
	if (x->cause == GW_CAUSE_UPSTREAM_5XX)
		return false;
	return a != CAUSE_ANSWER_OTHER ||
	    x->cause == GW_CAUSE_UPSTREAM_TRUNCATED ||
	    x->cause == GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
}

/*
 * The word of role r: each source's first eligible claim, then of those a
 * specific cause over unknown, then the stronger source. NULL: none.
 */
static const struct cause_claim *
merge_role(const struct cause_claim *c, size_t n, enum cause_role r,
    enum cause_answer a)
{
	const struct cause_claim *best = NULL;
	bool seen[CAUSE_SRC_ERROR_LOG + 1] = {false};

	for (size_t i = 0; i < n; i++) {
		const struct cause_claim *x = &c[i];
		bool xu, bu;

		if (x->role != r || !merge_eligible(x, a) ||
		    (unsigned)x->source > CAUSE_SRC_ERROR_LOG ||
		    seen[x->source])
			continue;
		seen[x->source] = true;
		if (best == NULL) {
			best = x;
			continue;
		}
		xu = x->cause == GW_CAUSE_UNKNOWN;
		bu = best->cause == GW_CAUSE_UNKNOWN;
		if (xu != bu ? bu : x->source > best->source)
			best = x;
	}
	return best;
}

enum gw_cause
cause_merge(enum cause_answer answer, const struct cause_claim *c, size_t n)
{
	static const enum cause_role order[] = {
		CAUSE_ROLE_CLIENT, CAUSE_ROLE_GATEWAY, CAUSE_ROLE_LAST,
		CAUSE_ROLE_PRIOR, CAUSE_ROLE_EARLIER, CAUSE_ROLE_ANSWER,
	};
	const struct cause_claim *prior = NULL;

	for (size_t i = 0; i < n && prior == NULL; i++)
		if (c[i].role == CAUSE_ROLE_PRIOR)
			prior = &c[i];
	if (answer == CAUSE_ANSWER_OK) {
		for (size_t i = 0; i < n; i++)
			if (c[i].role == CAUSE_ROLE_LAST &&
			    c[i].source == CAUSE_SRC_ERROR_LOG &&
			    c[i].cause == GW_CAUSE_UPSTREAM_TRUNCATED)
				return GW_CAUSE_UPSTREAM_TRUNCATED;
		return prior != NULL ? prior->cause : GW_CAUSE_OK;
	}
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		const struct cause_claim *w;

		if (order[k] == CAUSE_ROLE_PRIOR) {
			if (prior != NULL)
				return prior->cause;
			continue;
		}
		if (order[k] == CAUSE_ROLE_EARLIER &&
		    answer != CAUSE_ANSWER_FAILED)
			continue;
		w = merge_role(c, n, order[k], answer);
		if (w == NULL)
			continue;
		if (prior != NULL && w->cause == GW_CAUSE_UNKNOWN)
			continue;
		return w->cause;
	}
	return answer == CAUSE_ANSWER_FAILED ? GW_CAUSE_UNKNOWN : GW_CAUSE_OK;
}
