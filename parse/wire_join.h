/*
 * wire_join.h - gateway-host mode: tie each downstream request to the
 * upstream attempts that served it, without trusting request ids.
 *
 * On a gateway host the capture sees both the client's connection to the
 * gateway (downstream: to one of its --listen ports) and the gateway's own
 * connections to its upstreams. The downstream exchange says what the
 * client got (status 502); the upstream ones say why (the SYN was refused).
 *
 * Ids are not trusted: a gateway may generate or replace them (nginx
 * $request_id, HAProxy unique-id, Envoy x-request-id, Caddy's uuid) and a
 * client may send the same one many times. A tie rests on what a proxy
 * preserves:
 *
 *   - the request: same method, same last path segment and same query (so
 *     a prefix rewrite such as proxy_pass http://u/v2/; still ties);
 *   - time containment: the attempt starts after the client request's
 *     first byte, and answers before the client's answer;
 *   - the order of exchanges: a gateway answers the client right after
 *     the answer (or failure) of its last attempt, and starts an attempt
 *     right after the previous one failed. Of the candidates, the one
 *     whose answer lies closest to the client's answer (then to the
 *     previous step's start) wins, walking back attempt by attempt; for
 *     a client's success, whose request is often one of many alike, the
 *     one that began first: requests are tied in the order of their
 *     answers, and a proxy sends a route's requests upstream in the order
 *     it takes them up (taking the closest answer, an early request took
 *     the exchange a later one needed, under a gateway's millisecond lag).
 *
 * Connections that failed before carrying a request (refused, SYN
 * unanswered) have no request: they tie by time alone, and only to a failed
 * client request answered after the failure (within 50 ms), with a status
 * a gateway gives such a failure (preferably the one this gateway port was
 * seen to give: nginx 502, HAProxy 503, Caddy 502 - learned from the
 * ties), preferably from a server seen serving that route, never from a
 * server that the failures of another route (with no request of their
 * own upstream) meet nearly every time and this route's fewer than half
 * of the time (co-occurrence, counted as they arrive, so a decision taken
 * hold_us later knows what followed it: a gateway's own refusals -
 * HAProxy <NOSRV>, nginx "no live upstreams" - meet another route's
 * failed connects only by chance), rather not
 * to a request the gateway had not taken up yet when the connect began
 * (its start, or the previous answer on its keep-alive connection),
 * never to a held request whose own request turned up upstream after
 * all, and decided when the request is released, against the other
 * held requests (the closest wins; when two of different routes or
 * statuses are within 0.5 ms of each other and both had been taken up,
 * neither: conn_ambiguous; of two as close of the same route, one that
 * has a connect begun before the other was taken up takes that one): a
 * gateway's own refusal answered in the same instant keeps no upstream.
 * A gateway may retry a failed connect on the same server (HAProxy's
 * default retries 3: after a turn-around of min(timeout connect, 1 s) when
 * refused, at once after a connect timeout; its log counts them in %rc):
 * walking back from the last attempt, a failed connect to the same server
 * 50 ms - 1.05 s before the next is the earlier attempt when it lies on the
 * request's ladder (its start a multiple of the gap after the request was
 * taken up, the gaps alike); from three rungs on, the earlier ones are
 * claimed when the client's answer arrives, so that a request taken up
 * right before one of them (a <NOSRV> 503) does not take it as its last.
 * Auth
 * subrequests (nginx auth_request, Caddy forward_auth, Traefik
 * ForwardAuth) carry the client's URI in X-Original-URI / X-Forwarded-Uri:
 * they tie by it; a failed one makes the client's failure auth_failure,
 * with the auth service's attempt as evidence (a passed one is not an
 * attempt of the request).
 *
 * A client that closed before any byte of an answer (client_closed) does
 * not end its request at the gateway, which may still send it upstream
 * and get the answer after the close: it waits hold_us, then ties to the
 * free upstream exchange of its request that began first once it was
 * taken up (and by 50 ms after the close), answered before or after it.
 *
 * A request id is used only as a tie-breaker among candidates that time
 * containment already allows, and only once the capture has shown that the
 * id carries the same value on both legs (learned from unambiguous ties).
 *
 * A downstream request is released as soon as its tie is complete (most
 * are, when their answer is seen); one whose last attempt is not seen yet,
 * or tied by time alone, or whose first attempt started late (an earlier
 * one may still be reported, like an unanswered SYN), waits hold_us; an
 * upstream exchange it fits better than a later request is left to it.
 * Every lookup
 * is a hash probe and a bounded walk from the newest record back; memory is
 * bounded by max_held (downstream) and max_up (upstream records). Upstream
 * exchanges tied to nothing are counted, not stored.
 */
#ifndef GW_WIRE_JOIN_H
#define GW_WIRE_JOIN_H

#include <stdint.h>

#include "parse/http.h"

/* Receives each downstream request with its attempts; 0 or -1 (OOM). */
typedef int (*wire_join_out_fn)(void *ctx, const struct http_exchange *down,
    const struct http_exchange *const *att, int n, enum gw_cause cause);

struct wire_join_opts {
	int64_t hold_us;	/* default 3 s: > the SYN give-up delay */
	int64_t header_buffer;	/* the gateway's response-header buffer
				 * (4096): see wire_join_refuse() */
	size_t max_held;	/* downstream records held (default 16384) */
	size_t max_up;		/* upstream records held (default 262144) */
	uint64_t seed;		/* hash key (0: hashkey_seed()) */
};

#define WIRE_JOIN_PORTS_MAX	64

/* Per gateway port (the downstream's server port). */
struct wire_join_port {
	uint16_t port;
	uint64_t downstream, failed, failed_tied;
};

struct wire_join_stats {
	uint64_t downstream, upstream;
	uint64_t failed;		/* downstream 5xx, 009 or cause != ok */
	uint64_t failed_tied;		/* of those, with an upstream attempt */
	uint64_t tied_id, tied_match, tied_time, tied_auth;	/* attempts */
	uint64_t upstream_untied;	/* answered no client */
	uint64_t conn_ambiguous;	/* failed connects as plausible for
					 * two held requests: tied to neither */
	uint64_t forced;		/* released early: too many held */
	uint64_t scan_capped;		/* a walk stopped at its step bound */
	uint64_t held_peak;		/* downstream records held at once */
	uint64_t up_peak;		/* upstream records held at once */
	bool id_trusted;		/* ids seen to agree on both legs */
	struct wire_join_port ports[WIRE_JOIN_PORTS_MAX];
	int n_ports;
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

/*
 * The cause of a downstream request answered through the attempts
 * att[0..n) (exposed for tests): what cause_merge() (core/cause.h) makes
 * of the wire's evidence, so a request whose answer was not a failure (not
 * 5xx, not 009, no failure of its own) is ok whatever its attempts say.
 * auth_failed: an auth subrequest of it failed.
 */
enum gw_cause wire_join_cause(const struct http_exchange *down,
    const struct http_exchange *const *att, int n, bool auth_failed);

/* Whether the client's answer x was a failure (5xx, 009, or a cause). */
bool wire_join_failed(const struct http_exchange *x);

#endif
