/*
 * cause.h - the cause taxonomy of ../shared/causes.md as an enum.
 *
 * Every failed request and every failed upstream attempt carries exactly one
 * cause; one that did not fail carries GW_CAUSE_OK, one that failed for no
 * reason the evidence tells GW_CAUSE_UNKNOWN. The names are the stable text
 * printed in reports; the values are the ids stored in the database (table
 * causes, schema/001), so their order never changes. GW_CAUSE_ANY is no
 * cause: it stands for "every cause" in a filter, and is never stored.
 *
 * Causes travel typed as enum gw_cause through every stage; an integer read
 * from the database becomes one through cause_from_id().
 *
 * When the access log, the gateway's error log and the wire say different
 * things about one request, cause_merge() decides which evidence wins: the
 * one place that rule lives (see the table above its declaration).
 */
#ifndef GW_CAUSE_H
#define GW_CAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gw_cause {
	GW_CAUSE_ANY = -1,	/* filters only: every cause */
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

/*
 * The cause named by the first len bytes of s into *c; false (and *c
 * untouched) when no cause has that name. "any" names none.
 */
bool cause_from_name(const char *s, size_t len, enum gw_cause *c);

/*
 * The cause stored in the database as id (causes.id); GW_CAUSE_UNKNOWN when
 * id numbers none (a database is outside the process: never trusted).
 */
enum gw_cause cause_from_id(int64_t id);

enum gw_cause_who cause_who(enum gw_cause c);

/* "network", "upstream", "gateway", "client" or "-". */
const char *cause_who_name(enum gw_cause_who w);

/* --- which evidence wins ------------------------------------------------ */

/* Where a piece of evidence comes from, weakest first. */
enum cause_source {
	CAUSE_SRC_ACCESS,	/* the access log: statuses, timings, a gateway's
				 * own flag (HAProxy's termination state, ...) */
	CAUSE_SRC_WIRE,		/* the capture: what the connections showed */
	CAUSE_SRC_ERROR_LOG,	/* the gateway's error-log line that names the
				 * failure, joined to the request by the store */
};

/* What a piece of evidence is about, in the order it decides. */
enum cause_role {
	CAUSE_ROLE_CLIENT,	/* the client's own leg: it left, or its
				 * connection to the gateway failed */
	CAUSE_ROLE_GATEWAY,	/* the gateway decided alone: its rate limit, a
				 * failed auth subrequest, an error naming no
				 * upstream for a request that reached none */
	CAUSE_ROLE_LAST,	/* the request's last upstream attempt (for an
				 * attempt's own cause: that attempt) */
	CAUSE_ROLE_PRIOR,	/* the verdict already stored, from evidence no
				 * longer at hand (ok counts here) */
	CAUSE_ROLE_EARLIER,	/* an earlier attempt, latest listed first */
	CAUSE_ROLE_ANSWER,	/* the answer's own leg as the client got it */
};

/* What the client got, as the caller knows it. */
enum cause_answer {
	CAUSE_ANSWER_OK,	/* not a failure */
	CAUSE_ANSWER_FAILED,	/* 5xx or 009: the gateway answered a failure */
	CAUSE_ANSWER_OTHER,	/* no 5xx, but failed by evidence of its own
				 * (the client left, the gateway refused it,
				 * the body was cut short) */
};

/* One piece of evidence: source says role failed with cause. */
struct cause_claim {
	enum gw_cause cause;	/* GW_CAUSE_OK: claims nothing (but see PRIOR) */
	enum cause_source source;
	enum cause_role role;
};

/*
 * The cause of a request (or of one attempt) from the claims c[0..n) about
 * it and what its answer was. Pure: the same inputs give the same cause.
 * The precedence, in order:
 *
 *  1. A claim of ok claims nothing, except a PRIOR verdict of ok.
 *  2. An OK answer keeps its PRIOR verdict (ok when none): the access log
 *     and the wire saw that answer, so their claims never land on it. Only
 *     what the error log alone can tell lands: upstream_truncated for the
 *     LAST attempt (a body cut short after its header keeps its status).
 *  3. Else the roles decide in the order CLIENT, GATEWAY, LAST, PRIOR,
 *     EARLIER, ANSWER: the first holding a claim wins, even unknown (an
 *     unknown last attempt is not explained by an earlier one), except
 *     that unknown never replaces a PRIOR verdict: before PRIOR, only a
 *     specific cause wins.
 *       - EARLIER counts only on a FAILED answer;
 *       - ANSWER: upstream_5xx never lands (the gateway's own 5xx status
 *         line says nothing of an upstream); on an OTHER answer only
 *         upstream_truncated and upstream_invalid_response land (the
 *         answer itself was cut short or malformed).
 *     Within a role, each source's first listed claim is its word; of
 *     different sources, a specific cause beats unknown, then the stronger
 *     source wins (error log over wire over access log).
 *  4. Nothing decided: unknown for a FAILED answer, ok otherwise.
 */
enum gw_cause cause_merge(enum cause_answer answer,
    const struct cause_claim *c, size_t n);

#endif
