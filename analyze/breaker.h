/*
 * breaker.h - what a circuit breaker in front of each upstream would have
 * done: every attempt sent to an upstream is replayed, in time order,
 * through a breaker with the usual three states.
 *
 *   closed     attempts pass; it opens after consecutive_failures failures
 *              in a row, or when at least min_requests attempts fell in the
 *              sliding window (window_ms) and failure_rate of them failed;
 *   open       for open_ms every attempt would have been refused by the
 *              gateway instead of sent: "spared" the upstream;
 *   half-open  the first attempt after the cool-down is the probe: its real
 *              outcome closes the breaker (success) or opens it again.
 *
 * An attempt fails when its cause is the upstream's or the network's (or
 * unknown); causes the gateway made (rate limit, no live upstream, ...)
 * and clients that went away are neither failure nor success: they never
 * reached the upstream's health. Attempts are timed by their request's end
 * (what the log gives); the window is window_buckets buckets of
 * window_ms / window_buckets, so it spans between window_ms minus one
 * bucket and window_ms, and memory per upstream is fixed.
 */
#ifndef GW_BREAKER_H
#define GW_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cause.h"
#include "store/diag_query.h"

struct breaker_config {
	int consecutive_failures;	/* default 5 */
	double failure_rate;		/* default 0.5 */
	int64_t min_requests;		/* in the window; default 20 */
	int64_t window_ms;		/* default 10000 */
	int window_buckets;		/* default 10, at most 1000 */
	int64_t open_ms;		/* cool-down; default 30000 */
};

/* The defaults above. */
struct breaker_config breaker_config_default(void);

/* Why a breaker opened. */
enum breaker_trip {
	BREAKER_TRIP_CONSECUTIVE,
	BREAKER_TRIP_RATE
};

/* "consecutive_failures", "failure_rate". */
const char *breaker_trip_name(enum breaker_trip t);

/* One time the breaker was not closed: opened, probed, closed again. */
struct breaker_open {
	int64_t open_ms;	/* when it opened */
	int64_t close_ms;	/* when a probe closed it; -1 still open at
				   the end of the data */
	enum breaker_trip reason;
	int64_t window_requests, window_failed;	/* at the trip */
	int64_t spared;		/* attempts it would have refused */
	int64_t spared_failed;	/* of those, attempts that really failed */
	int probes_failed;	/* probes that failed and reopened it */
};

/* One upstream's replay. */
struct breaker_upstream {
	int64_t upstream_id;
	char *name;		/* NULL when the caller gave none */
	int64_t attempts;	/* every attempt replayed */
	int64_t failures;	/* of those, failed (the upstream's or net) */
	int64_t ignored;	/* gateway-made or client-closed */
	int64_t first_ms, last_ms;	/* first and last attempt */
	int64_t spared, spared_failed;	/* over all open periods */
	int64_t open_total_ms;	/* time spent not closed (to last_ms for
				   a breaker still open) */
	struct breaker_open *opens;
	size_t n_opens;
};

/* A replay in progress; opaque. */
struct breaker_replay;

/*
 * A replay with configuration cfg (copied; NULL = defaults). NULL when out
 * of memory or cfg is unusable. Free with breaker_replay_free().
 */
struct breaker_replay *breaker_replay_new(const struct breaker_config *cfg);
void breaker_replay_free(struct breaker_replay *r);

/*
 * Replay one attempt to upstream upstream_id at ts_ms (not before the
 * previous attempt to the same upstream) that ended with cause. 0 or -1
 * (out of memory).
 */
int breaker_replay_feed(struct breaker_replay *r, int64_t upstream_id,
    int64_t ts_ms, enum gw_cause cause);

/*
 * The upstreams seen so far, with their open periods, by upstream id.
 * Ownership passes to the caller: free with breaker_upstreams_free(); the
 * replay is left empty.
 */
int breaker_replay_take(struct breaker_replay *r,
    struct breaker_upstream **out, size_t *n);
void breaker_upstreams_free(struct breaker_upstream *u, size_t n);

/*
 * Replay every attempt of window w from the store (w->upstream: that
 * upstream only), with names. Sorted by spared attempts, then failures,
 * descending. 0 or -1 with err filled.
 */
int breaker_run(struct store *s, const struct diag_window *w,
    const struct breaker_config *cfg, struct breaker_upstream **out,
    size_t *n, char *err, size_t errlen);

#endif
