/*
 * wire_join.h - gateway-host mode: tie each downstream request to the
 * upstream attempts that served it.
 *
 * On a gateway host the capture sees both the client's connection to the
 * gateway (downstream: to one of its --listen ports) and the gateway's own
 * connections to its upstreams. The downstream exchange says what the
 * client got (status 502); the upstream ones say why (the SYN was refused).
 * wire_join holds both for a while (capture time) and ties them:
 *
 *   1. by a request id both carry (X-Request-Id, traceparent's trace id,
 *      or the --id-header), taken from the request or else the response;
 *   2. else by method and path, the upstream request starting while the
 *      downstream one was open;
 *   3. a connection that failed before carrying a request (refused, SYN
 *      unanswered) by time alone: it belongs to the downstream request
 *      that was open when the SYN left and started last before it.
 *
 * The tied attempts, in start order, become the event's attempts; its
 * upstream is the last one's address and its cause the last failed
 * attempt's (or upstream_5xx when the upstream's own 5xx was relayed,
 * unknown for a 5xx with no attempt). A downstream exchange is released
 * hold_us after it ended (so slower evidence, like a SYN that is declared
 * unanswered only when its retransmission is overdue, can still arrive),
 * or at once when an attempt with its id answered it with the same status.
 * Upstream exchanges tied to nothing are counted, not stored: the gateway
 * answered no client with them (health checks, auth subrequests).
 */
#ifndef GW_WIRE_JOIN_H
#define GW_WIRE_JOIN_H

#include <stdint.h>

#include "http.h"

/* Receives each downstream request with its attempts; 0 or -1 (OOM). */
typedef int (*wire_join_out_fn)(void *ctx, const struct http_exchange *down,
    const struct http_exchange *const *att, int n, enum gw_cause cause);

struct wire_join_opts {
	int64_t hold_us;	/* default 3 s: > the SYN give-up delay */
	int64_t header_buffer;	/* the gateway's response-header buffer
				 * (4096): see wire_join_refuse() */
	size_t max_held;	/* records held at once (default 16384) */
};

struct wire_join_stats {
	uint64_t downstream, upstream;
	uint64_t failed;		/* downstream 5xx or cause != ok */
	uint64_t failed_tied;		/* of those, with an upstream attempt */
	uint64_t tied_id, tied_match, tied_time;	/* attempts, by rule */
	uint64_t upstream_untied;	/* answered no client */
	uint64_t forced;		/* released early: too many held */
};

struct wire_join;

struct wire_join *wire_join_new(const struct wire_join_opts *o,
    wire_join_out_fn out, void *ctx);
void wire_join_free(struct wire_join *j);

/* Take one exchange (copied). Returns 0 or -1 (OOM, or out failed). */
int wire_join_add(struct wire_join *j, const struct http_exchange *x);

/* Capture time is now_us: release what is due. 0 or -1. */
int wire_join_advance(struct wire_join *j, int64_t now_us);

/* Release everything. 0 or -1. */
int wire_join_flush(struct wire_join *j);

void wire_join_stats(const struct wire_join *j, struct wire_join_stats *s);

/*
 * The gateway answered 5xx although the last attempt's answer was a
 * complete non-5xx response: the gateway refused that answer. Its cause
 * becomes upstream_header_too_big when its header passed header_buffer
 * bytes, else upstream_invalid_response, and its status the gateway's.
 */
void wire_join_refuse(const struct http_exchange *down,
    struct http_exchange *last, int64_t header_buffer);

/* The cause of a downstream request answered with status through the
 * attempts att[0..n) (exposed for tests). */
enum gw_cause wire_join_cause(const struct http_exchange *down,
    const struct http_exchange *const *att, int n);

#endif
