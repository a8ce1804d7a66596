/*
 * cause.h - the cause taxonomy of ../shared/causes.md as an enum.
 *
 * Every failed request and every failed upstream attempt carries exactly one
 * cause; one that did not fail carries GW_CAUSE_OK. The names are the stable
 * text stored in the database and printed in reports.
 */
#ifndef GW_CAUSE_H
#define GW_CAUSE_H

#include <stddef.h>

enum gw_cause {
	GW_CAUSE_OK = 0,
	GW_CAUSE_UNKNOWN,
	GW_CAUSE_UPSTREAM_REFUSED,
	GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT,
	GW_CAUSE_UPSTREAM_UNREACHABLE,
	GW_CAUSE_DNS_FAILURE,
	GW_CAUSE_TLS_FAILURE,
	GW_CAUSE_UPSTREAM_RESET,
	GW_CAUSE_UPSTREAM_CLOSED_EARLY,
	GW_CAUSE_UPSTREAM_READ_TIMEOUT,
	GW_CAUSE_UPSTREAM_INVALID_RESPONSE,
	GW_CAUSE_UPSTREAM_HEADER_TOO_BIG,
	GW_CAUSE_UPSTREAM_TRUNCATED,
	GW_CAUSE_UPSTREAM_5XX,
	GW_CAUSE_NO_LIVE_UPSTREAM,
	GW_CAUSE_UPSTREAM_OVERLOADED,
	GW_CAUSE_RATE_LIMITED,
	GW_CAUSE_AUTH_FAILURE,
	GW_CAUSE_NO_ROUTE,
	GW_CAUSE_GATEWAY_INTERNAL,
	GW_CAUSE_CLIENT_CLOSED,
	GW_CAUSE_COUNT
};

/* Who failed, per the taxonomy. */
enum gw_cause_who {
	GW_WHO_NONE = 0,
	GW_WHO_NETWORK,
	GW_WHO_UPSTREAM,
	GW_WHO_GATEWAY,
	GW_WHO_CLIENT
};

/* Stable lower-case name ("upstream_refused"); never NULL. */
const char *cause_name(enum gw_cause c);

/* The cause named by the first len bytes of s, or -1 when none is. */
int cause_from_name(const char *s, size_t len);

enum gw_cause_who cause_who(enum gw_cause c);

/* "network", "upstream", "gateway", "client" or "-". */
const char *cause_who_name(enum gw_cause_who w);

#endif
