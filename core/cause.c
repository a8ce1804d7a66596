/*
 * cause.c - names and owners of the causes in cause.h.
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

int
cause_from_name(const char *s, size_t len)
{
	for (int i = 0; i < GW_CAUSE_COUNT; i++) {
		const char *n = cause_table[i].name;
		if (strlen(n) == len && memcmp(n, s, len) == 0)
			return i;
	}
	return -1;
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
