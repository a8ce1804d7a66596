/*
 * explain.h - why one upstream failed in a window, in plain words.
 *
 * explain_upstream() gathers every kind of evidence analyze/ has for one
 * upstream - failed attempts by cause, query shapes that fail more than
 * their siblings, retries that hid its failures, what a circuit breaker
 * would have done - and turns each into a reason: a sentence, counts, an
 * example request and the gateway's own error message. Reasons whose cause
 * the gateway made (rate limits, auth, no route, no live upstream) are
 * kept apart (gateway_made), so nobody blames the backend for them.
 */
#ifndef GW_EXPLAIN_H
#define GW_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/breaker.h"
#include "core/cause.h"
#include "store/diag_query.h"
#include "analyze/shape.h"

enum explain_kind {
	EXPLAIN_CAUSE,		/* attempts that failed with one cause */
	EXPLAIN_SHAPE,		/* a query shape that fails more */
	EXPLAIN_RETRY,		/* failures hidden by retries */
	EXPLAIN_BREAKER		/* what a circuit breaker would have done */
};

/* "cause", "shape", "retry", "breaker". */
const char *explain_kind_name(enum explain_kind k);

struct explain_reason {
	enum explain_kind kind;
	enum gw_cause cause;	/* EXPLAIN_CAUSE: its cause; other kinds
				 * are no one cause: GW_CAUSE_UNKNOWN */
	enum gw_cause_who who;	/* who failed */
	bool gateway_made;	/* the gateway's refusal, not the upstream's */
	int64_t count;		/* failures (or attempts) it accounts for */
	int64_t first_ms, last_ms;	/* -1 when not known */
	char *title;		/* one sentence, plain words */
	char *evidence;		/* counts in words */
	struct diag_example example;	/* a request showing it */
	bool has_example;
};

struct explain_report {
	char *upstream;
	int64_t since_ms, until_ms;	/* as asked (INT64_MIN/MAX: open) */
	int64_t requests;	/* whose final answer came from it */
	int64_t errors_5xx;	/* of those, final 5xx */
	int64_t attempts, failed_attempts;	/* sent to it */
	int64_t gateway_made;	/* failures the gateway made */
	struct explain_reason *reasons;	/* causes and shapes, most count
					   first; then retries and breaker
					   (context); then gateway-made */
	size_t n_reasons;
};

/*
 * Explain w->upstream (required) over w, at most max_reasons reasons of
 * each of the two kinds (0 = all). cfg may be NULL (defaults). 0, or -1
 * with err filled. Free with explain_report_free().
 */
int explain_upstream(struct store *s, const struct diag_window *w,
    size_t max_reasons, const struct shape_config *shape_cfg,
    const struct breaker_config *breaker_cfg, struct explain_report *out,
    char *err, size_t errlen);
void explain_report_free(struct explain_report *r);

/* A cause in plain words: what happened, said of upstream u. */
const char *explain_cause_text(enum gw_cause cause);

#endif
