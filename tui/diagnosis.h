/*
 * diagnosis.h - the console's diagnosis model: the figures of one
 * diagnosis view (query shapes, circuit breaker, retries, explain), read
 * from the store through analyze/ in one go.
 *
 * These are heavier than the rollup reads of a snapshot (they scan the
 * window's raw rows), so the console builds one only when a view needs it:
 * when the view opens, on `r`, when the window or filter changes, and
 * otherwise at a slow cadence while data arrives (app.c). Building knows
 * nothing of curses; the panes (diagnosis_panes.c) draw it and never query.
 */
#ifndef GW_TUI_DIAGNOSIS_H
#define GW_TUI_DIAGNOSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/breaker.h"
#include "analyze/explain.h"
#include "analyze/retry.h"
#include "analyze/shape.h"
#include "store/store.h"

/* What a level of the console shows. */
enum diag_view {
	DIAG_VIEW_OVERVIEW,	/* upstreams, causes, chart (snapshot.h) */
	DIAG_VIEW_SHAPES,	/* query shapes that fail more */
	DIAG_VIEW_BREAKER,	/* when a circuit breaker would have opened */
	DIAG_VIEW_RETRIES,	/* requests that needed another attempt */
	DIAG_VIEW_EXPLAIN,	/* why one upstream failed */
	DIAG_VIEW_COUNT
};

/* "overview", "shapes", "breaker", "retries", "explain". */
const char *diag_view_name(enum diag_view v);

/* What to build. */
struct diagnosis_spec {
	enum diag_view view;	/* not DIAG_VIEW_OVERVIEW */
	int64_t since_ms, until_ms;	/* INT64_MIN / INT64_MAX: open */
	char upstream[256];	/* "" any; required for DIAG_VIEW_EXPLAIN */
};

/* The figures of one view; only the part of spec.view is filled. */
struct diagnosis {
	struct diagnosis_spec spec;
	double cost_ms;		/* how long building took */
	/* DIAG_VIEW_SHAPES: flagged shapes, worst first. */
	struct shape_finding *shapes;
	size_t n_shapes;
	/* DIAG_VIEW_BREAKER: per upstream, most spared first. */
	struct breaker_config breaker_cfg;
	struct breaker_upstream *breakers;
	size_t n_breakers;
	int64_t span_first_ms, span_last_ms;	/* of the timeline, -1 none */
	/* DIAG_VIEW_RETRIES */
	struct retry_summary retries;
	bool has_retries;
	/* DIAG_VIEW_EXPLAIN */
	struct explain_report explain;
	bool has_explain;
};

/*
 * Build the view of spec from s. 0, or -1 with err filled. Free with
 * diagnosis_free().
 */
int diagnosis_build(struct store *s, const struct diagnosis_spec *spec,
    struct diagnosis **out, char *err, size_t errlen);
void diagnosis_free(struct diagnosis *d);

/* True when d was built for what spec asks (same view, window, upstream). */
bool diagnosis_matches(const struct diagnosis *d,
    const struct diagnosis_spec *spec);

/* What a column of a breaker timeline shows. */
enum breaker_mark {
	BREAKER_MARK_NONE,	/* no attempts to it then */
	BREAKER_MARK_CLOSED,	/* attempts passed */
	BREAKER_MARK_OPEN	/* the breaker was open (or half-open) */
};

/*
 * The timeline of u over [t0, t1) in cols columns: marks[i] covers
 * [t0 + i * (t1 - t0) / cols, t0 + (i + 1) * (t1 - t0) / cols). A column is
 * open when any open period overlaps it (a period still open lasts to
 * u->last_ms), else closed inside [u->first_ms, u->last_ms], else none.
 */
void diagnosis_timeline(const struct breaker_upstream *u, int64_t t0,
    int64_t t1, int cols, enum breaker_mark *marks);

#endif
