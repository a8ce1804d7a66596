/*
 * diag_query.h - the store's queries for diagnosis (analyze/): counts per
 * route, upstream and query shape; every upstream attempt in time order for
 * the circuit-breaker replay; retry aggregates; failure counts and example
 * requests (with the gateway's own error message) for one upstream.
 *
 * Large results are streamed to a callback row by row, so memory stays
 * bounded by what the caller keeps; what the database can sum is summed in
 * SQL. Strings handed to a callback are valid during the call only.
 * Windows are [since_ms, until_ms) over the request's end time ts_ms;
 * INT64_MIN / INT64_MAX leave a side open.
 *
 * "Gateway-made" means a cause whose causes.who is 'gateway' (core/cause.h,
 * cause_who() == GW_WHO_GATEWAY): rate limits, auth checks, no route, no
 * live upstream, overload, the gateway's own failures.
 */
#ifndef GW_DIAGNOSE_H
#define GW_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* What to look at: a time window and, optionally, one upstream. */
struct diag_window {
	int64_t since_ms;	/* INT64_MIN = open */
	int64_t until_ms;	/* INT64_MAX = open (exclusive) */
	const char *upstream;	/* exact name, NULL = every upstream */
};

/* A window with both sides open and no upstream filter. */
struct diag_window diag_window_all(void);

/*
 * Requests of one (method, path, final upstream, query shape). method and
 * shape may be "" (not logged / no query). failed counts final 5xx whose
 * cause was not made by the gateway; gateway_5xx those that were.
 */
struct diag_shape_row {
	const char *method, *path, *upstream, *shape;
	int64_t requests, failed, gateway_5xx;
};
typedef int (*diag_shape_fn)(void *ctx, const struct diag_shape_row *r);

/*
 * Call fn for every group of requests in w (w->upstream filters on the
 * final upstream), in no particular order. One scan of the window's rows
 * (integer columns), summed per group in memory; fn returning non-zero
 * stops with that value. 0, or -1 with err filled.
 */
int diag_shape_counts(struct store *s, const struct diag_window *w,
    diag_shape_fn fn, void *ctx, char *err, size_t errlen);

/* One upstream attempt, timed by the end of its request. */
struct diag_attempt_row {
	int64_t ts_ms;		/* the request's end, UTC ms */
	int64_t request_id;
	int64_t upstream_id;	/* see diag_upstream_names() */
	int seq;		/* 0-based order within the request */
	int status;		/* -1 none, 9 nginx "009" */
	enum gw_cause cause;
};
typedef int (*diag_attempt_fn)(void *ctx, const struct diag_attempt_row *r);

/*
 * Call fn for every attempt of a request in w (w->upstream filters on the
 * attempt's own upstream), ordered by request time, request, attempt: the
 * order a gateway sent them in, to the log's precision. Streams through
 * the time index; fn returning non-zero stops with that value.
 */
int diag_attempt_stream(struct store *s, const struct diag_window *w,
    diag_attempt_fn fn, void *ctx, char *err, size_t errlen);

/* Every upstream: id and name. */
typedef int (*diag_name_fn)(void *ctx, int64_t id, const char *name);
int diag_upstream_names(struct store *s, diag_name_fn fn, void *ctx,
    char *err, size_t errlen);

/*
 * Requests that needed more than one attempt and had a failing one,
 * grouped by the upstream and cause of the first failing attempt and the
 * upstream of the final answer. saved: the final answer was not a failure
 * (cause ok). extra_ms: time spent on the attempts before the final one
 * (upstream response time, else connect time, else 0), summed over the
 * group's requests. w->upstream filters on the first failing upstream.
 */
struct diag_retry_row {
	const char *first_upstream, *final_upstream;
	enum gw_cause first_cause;
	int64_t requests, saved, extra_ms_sum;
	int64_t request_ms_sum, request_ms_n;	/* their request times */
};
typedef int (*diag_retry_fn)(void *ctx, const struct diag_retry_row *r);
int diag_retry_groups(struct store *s, const struct diag_window *w,
    diag_retry_fn fn, void *ctx, char *err, size_t errlen);

/*
 * Requests in w (any upstream), those with more than one attempt, and the
 * mean request time of those with one attempt that did not fail (the
 * baseline a retry's cost is measured against; -1 when none).
 */
struct diag_totals {
	int64_t requests, retried;
	double single_ok_ms_avg;
};
int diag_totals(struct store *s, const struct diag_window *w,
    struct diag_totals *t, char *err, size_t errlen);

/*
 * Failures that involve upstream w->upstream (required) in w, by cause:
 * failed attempts sent to it, and requests with no attempt whose final
 * upstream it is (gateway refusals filed under '-' or a group name).
 * final: of those, how many were the request's final answer (the client
 * saw that failure); messages: how many have a gateway error line joined.
 */
struct diag_cause_row {
	enum gw_cause cause;
	int64_t count, final, messages;
	int64_t first_ms, last_ms;
};
typedef int (*diag_cause_fn)(void *ctx, const struct diag_cause_row *r);
int diag_upstream_causes(struct store *s, const struct diag_window *w,
    diag_cause_fn fn, void *ctx, char *err, size_t errlen);

/* One request shown as evidence. Strings are malloc'ed copies or NULL. */
struct diag_example {
	int64_t id, ts_ms;
	char *method, *path, *query, *request_id;
	char *message;		/* the gateway's error line joined to the
				   failing attempt (or the request), NULL none */
	int status, n_attempts;
	enum gw_cause cause;
};
void diag_example_clear(struct diag_example *e);

/*
 * The most recent request in w whose attempt to w->upstream (required)
 * failed with cause (or, with no attempt, whose own cause it is and whose
 * final upstream is w->upstream). *found false when there is none.
 */
int diag_example_for_cause(struct store *s, const struct diag_window *w,
    enum gw_cause cause, struct diag_example *out, bool *found, char *err,
    size_t errlen);

/* Accept a candidate request by its method and path (e.g. its route). */
typedef bool (*diag_accept_fn)(void *ctx, const char *method,
    const char *path);

/*
 * The most recent request in w with final upstream w->upstream (required),
 * query shape shape ("" = no query), method method ("" = not logged), a
 * final 5xx not made by the gateway, and accept() true for it. At most
 * DIAG_EXAMPLE_SCAN candidates are looked at.
 */
#define DIAG_EXAMPLE_SCAN 2000
int diag_example_for_shape(struct store *s, const struct diag_window *w,
    const char *method, const char *shape, diag_accept_fn accept, void *ctx,
    struct diag_example *out, bool *found, char *err, size_t errlen);

#endif
