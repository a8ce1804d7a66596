/*
 * diagnosis.c - one diagnosis view's figures; see diagnosis.h.
 *
 * Each view is one call into analyze/ with the console's window and
 * upstream filter: shape_findings(), breaker_run(), retry_summarize(),
 * explain_upstream(). Those keep what the gateway made apart from what the
 * upstream did (cause_who()); this file only gathers their results, plus
 * the span the breaker timelines are drawn over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "tui/diagnosis.h"

/* Reasons of each kind the explain view asks for. */
#define DIAGNOSIS_EXPLAIN_REASONS 8

static const char *const diag_view_names[DIAG_VIEW_COUNT] = {
	[DIAG_VIEW_OVERVIEW] = "overview", [DIAG_VIEW_SHAPES] = "shapes",
	[DIAG_VIEW_BREAKER] = "breaker", [DIAG_VIEW_RETRIES] = "retries",
	[DIAG_VIEW_EXPLAIN] = "explain",
};

/* See diagnosis.h. */
const char *
diag_view_name(enum diag_view v)
{
	return (unsigned)v < DIAG_VIEW_COUNT ? diag_view_names[v] : "?";
}

/* The span the breaker timelines cover: the window, cut to the data. */
static void
diagnosis_breaker_span(struct diagnosis *d)
{
	int64_t first = -1, last = -1;

	for (size_t i = 0; i < d->n_breakers; i++) {
		const struct breaker_upstream *u = &d->breakers[i];

		if (u->attempts == 0)
			continue;
		if (first < 0 || u->first_ms < first)
			first = u->first_ms;
		if (last < 0 || u->last_ms > last)
			last = u->last_ms;
	}
	if (d->spec.since_ms != INT64_MIN && d->spec.until_ms != INT64_MAX) {
		first = d->spec.since_ms;
		last = d->spec.until_ms - 1;
	}
	d->span_first_ms = first;
	d->span_last_ms = last;
}

/* Fill the part of d its view asks for. */
static int
diagnosis_read(struct store *s, struct diagnosis *d, char *err,
    size_t errlen)
{
	struct diag_window w = {
		.since_ms = d->spec.since_ms, .until_ms = d->spec.until_ms,
		.upstream = d->spec.upstream[0] != '\0' ? d->spec.upstream :
		    NULL,
	};
	struct shape_config scfg = shape_config_default();

	switch (d->spec.view) {
	case DIAG_VIEW_SHAPES:
		return shape_findings(s, &w, &scfg, &d->shapes, &d->n_shapes,
		    err, errlen);
	case DIAG_VIEW_BREAKER:
		if (breaker_run(s, &w, &d->breaker_cfg, &d->breakers,
		    &d->n_breakers, err, errlen) != 0)
			return -1;
		diagnosis_breaker_span(d);
		return 0;
	case DIAG_VIEW_RETRIES:
		if (retry_summarize(s, &w, &d->retries, err, errlen) != 0)
			return -1;
		d->has_retries = true;
		return 0;
	case DIAG_VIEW_EXPLAIN:
		if (w.upstream == NULL) {
			snprintf(err, errlen, "explain: select an upstream");
			return -1;
		}
		if (explain_upstream(s, &w, DIAGNOSIS_EXPLAIN_REASONS, &scfg,
		    &d->breaker_cfg, &d->explain, err, errlen) != 0)
			return -1;
		d->has_explain = true;
		return 0;
	default:
		snprintf(err, errlen, "no diagnosis for the %s view",
		    diag_view_name(d->spec.view));
		return -1;
	}
}

/* See diagnosis.h. */
int
diagnosis_build(struct store *s, const struct diagnosis_spec *spec,
    struct diagnosis **out, char *err, size_t errlen)
{
	struct diagnosis *d = gw_calloc(1, sizeof(*d));
	double t0 = clk_mono_secs() * 1000.0;

	*out = NULL;
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->spec = *spec;
	d->breaker_cfg = breaker_config_default();
	d->span_first_ms = d->span_last_ms = -1;
	if (diagnosis_read(s, d, err, errlen) != 0) {
		diagnosis_free(d);
		return -1;
	}
	d->cost_ms = clk_mono_secs() * 1000.0 - t0;
	*out = d;
	return 0;
}

/* See diagnosis.h. */
void
diagnosis_free(struct diagnosis *d)
{
	if (d == NULL)
		return;
	shape_findings_free(d->shapes, d->n_shapes);
	breaker_upstreams_free(d->breakers, d->n_breakers);
	if (d->has_retries)
		retry_summary_free(&d->retries);
	if (d->has_explain)
		explain_report_free(&d->explain);
	free(d);
}

/* See diagnosis.h. */
bool
diagnosis_matches(const struct diagnosis *d,
    const struct diagnosis_spec *spec)
{
	return d != NULL && d->spec.view == spec->view &&
	    d->spec.since_ms == spec->since_ms &&
	    d->spec.until_ms == spec->until_ms &&
	    strcmp(d->spec.upstream, spec->upstream) == 0;
}

/* See diagnosis.h. */
void
diagnosis_timeline(const struct breaker_upstream *u, int64_t t0,
    int64_t t1, int cols, enum breaker_mark *marks)
{
	int64_t span = t1 - t0;

	for (int i = 0; i < cols; i++)
		marks[i] = BREAKER_MARK_NONE;
	if (cols <= 0 || span <= 0)
		return;
	for (int i = 0; i < cols; i++) {
		/* Column i covers [c0, c1); in double, span * i cannot overflow. */
		int64_t c0 = t0 + (int64_t)((double)span * i / cols);
		int64_t c1 = t0 + (int64_t)((double)span * (i + 1) / cols);

		if (c1 <= c0)
			c1 = c0 + 1;
		if (u->attempts > 0 && u->last_ms >= c0 && u->first_ms < c1)
			marks[i] = BREAKER_MARK_CLOSED;
		for (size_t k = 0; k < u->n_opens; k++) {
			const struct breaker_open *o = &u->opens[k];
			int64_t end = o->close_ms >= 0 ? o->close_ms :
			    u->last_ms + 1;

			if (end <= o->open_ms)
				end = o->open_ms + 1;
			if (o->open_ms < c1 && end > c0) {
				marks[i] = BREAKER_MARK_OPEN;
				break;
			}
		}
	}
}
