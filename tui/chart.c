/*
 * chart.c - the over-time pane: the 5xx rate per point of the window,
 * all together and for the biggest groups of the split (cause, status or
 * upstream), on one scale so the rows compare; a row of marks where an
 * upstream began failing; a time axis.
 */
#include <stdio.h>
#include <string.h>

#include "tui/app.h"
#include "tui/spark.h"
#include "tui/text.h"

#define CHART_LABEL 20	/* columns of the row labels */
#define CHART_RIGHT 7	/* columns of the figure at the right */

static const char *const chart_split_names[CONSOLE_SPLIT_COUNT] = {
	[CONSOLE_SPLIT_UPSTREAM] = "upstream",
	[CONSOLE_SPLIT_CAUSE] = "cause",
	[CONSOLE_SPLIT_STATUS] = "status",
};

/* The share of the window's requests that rate[] adds up to, as text. */
static void
chart_total(const struct snapshot *s, int64_t e5, char *buf, size_t size)
{
	text_percent(buf, size, e5, s->totals.requests);
}

/* One chart row: label, sparkline on the common scale, figure. */
static void
chart_row(const struct app *a, int y, int x, int w, const char *label,
    enum theme_role role, const double *rate, double max, const char *fig)
{
	const struct theme *t = &a->theme;
	char spark[SNAPSHOT_POINTS * 8 * 4];
	int sw = w - CHART_LABEL - CHART_RIGHT;

	text_put(stdscr, y, x, CHART_LABEL - 1, label, theme_attr(t, role),
	    t->unicode, TEXT_LEFT, true);
	if (sw > 0) {
		spark_render(spark, sizeof(spark), rate, a->snap->n_points, sw,
		    max, t->unicode);
		text_put(stdscr, y, x + CHART_LABEL, sw, spark,
		    theme_attr(t, role), t->unicode, TEXT_LEFT, true);
	}
	text_put(stdscr, y, x + w - CHART_RIGHT + 1, CHART_RIGHT - 1, fig,
	    theme_attr(t, TH_NORMAL), t->unicode, TEXT_RIGHT, true);
}

/* The role a chart line is drawn in. */
static enum theme_role
chart_line_role(const struct snapshot *s, const struct snap_line *l)
{
	if (s->spec.chart_by == CONSOLE_SPLIT_CAUSE)
		return cause_role(cause_from_id(l->key));
	return TH_UPSTREAM;
}

/* The marks row: where each failing upstream began to fail. */
static void
chart_marks(const struct app *a, int y, int x, int w)
{
	const struct snapshot *s = a->snap;
	const struct theme *t = &a->theme;
	int sw = w - CHART_LABEL - CHART_RIGHT, first = -1;
	const char *mark = t->unicode ? "\xe2\x96\xb2" : "^";
	const struct snap_upstream *earliest = NULL;
	char legend[256], tm[32];

	mvhline(y, x, ' ', w);
	if (sw <= 0 || s->n_points <= 0)
		return;
	for (size_t i = 0; i < s->n_upstreams; i++) {
		const struct snap_upstream *u = &s->upstreams[i];
		int col;

		if (u->state != STATE_FAILING || u->onset < 0)
			continue;
		col = u->onset * sw / s->n_points;
		text_put(stdscr, y, x + CHART_LABEL + col, 1, mark,
		    theme_attr(t, TH_MARK), t->unicode, TEXT_LEFT, false);
		if (first < 0 || u->onset < first) {
			first = u->onset;
			earliest = u;
		}
	}
	if (earliest == NULL) {
		text_put(stdscr, y, x, CHART_LABEL - 1, "no upstream failing",
		    theme_attr(t, TH_DIM), t->unicode, TEXT_LEFT, false);
		return;
	}
	text_time(tm, sizeof(tm), s->start_ms + (int64_t)first * s->step_ms,
	    false);
	snprintf(legend, sizeof(legend), "%s failing since %s", earliest->u.name,
	    tm);
	/* Right of the first mark when it fits, else in the label column. */
	int col = first * sw / s->n_points + 2;
	int room = w - CHART_LABEL - col;

	if (room >= text_width(legend, t->unicode))
		text_put(stdscr, y, x + CHART_LABEL + col, room, legend,
		    theme_attr(t, TH_MARK), t->unicode, TEXT_LEFT, false);
	else
		text_put(stdscr, y, x, CHART_LABEL - 1, legend,
		    theme_attr(t, TH_MARK), t->unicode, TEXT_LEFT, false);
}

/* Draw the chart pane. */
static void
chart_draw(const struct panel *p, const struct app *a, int y, int x, int h,
    int w, bool focus)
{
	const struct snapshot *s = a->snap;
	const struct theme *t = &a->theme;
	char title[128], step[32], fig[32], t0[32], t1[32];
	double max = 0.01;
	int row = y + 1, end = y + h;

	(void)p;
	if (h <= 0)
		return;
	text_ms(step, sizeof(step), s != NULL ? s->step_ms : 0);
	snprintf(title, sizeof(title), "5xx rate over time, by %s (one column "
	    "~ %s)", chart_split_names[a->chart_by], step);
	pane_title(a, y, x, w, title, "c: split", false);
	(void)focus;
	if (s == NULL)
		return;
	for (int i = 0; i < s->n_points; i++)
		if (s->all_rate[i] > max)
			max = s->all_rate[i];
	if (row < end - 2 || (row < end && h <= 3)) {
		chart_total(s, s->totals.errors_5xx, fig, sizeof(fig));
		chart_row(a, row++, x, w, "all 5xx", TH_FAILING, s->all_rate, max,
		    fig);
	}
	for (int i = 0; i < s->n_lines && row < end - 2; i++) {
		const struct snap_line *l = &s->lines[i];

		chart_total(s, l->errors_5xx, fig, sizeof(fig));
		chart_row(a, row++, x, w, l->name, chart_line_role(s, l), l->rate,
		    max, fig);
	}
	while (row < end - 2)
		mvhline(row++, x, ' ', w);
	if (row < end)
		chart_marks(a, row++, x, w);
	if (row < end) {
		int sw = w - CHART_LABEL - CHART_RIGHT;

		mvhline(row, x, ' ', w);
		text_time(t0, sizeof(t0), s->start_ms, s->spec.window ==
		    WINDOW_ALL);
		text_time(t1, sizeof(t1), s->start_ms + s->step_ms *
		    s->n_points, false);
		snprintf(fig, sizeof(fig), "max %.1f%%", max * 100);
		text_put(stdscr, row, x, CHART_LABEL - 1, fig,
		    theme_attr(t, TH_DIM), t->unicode, TEXT_LEFT, false);
		if (sw > 20) {
			text_put(stdscr, row, x + CHART_LABEL, sw / 2, t0,
			    theme_attr(t, TH_DIM), t->unicode, TEXT_LEFT, false);
			text_put(stdscr, row, x + CHART_LABEL + sw / 2, sw - sw / 2,
			    t1, theme_attr(t, TH_DIM), t->unicode, TEXT_RIGHT,
			    false);
		}
	}
}

/* The chart has no rows to select. */
static size_t
chart_rows(const struct app *a)
{
	(void)a;
	return 0;
}

/* Nothing to drill into from the chart. */
static int
chart_enter(struct app *a, size_t row)
{
	(void)a;
	(void)row;
	return -1;
}

const struct panel chart_panel = {
	PANE_CHART, "Over time", false, chart_draw, chart_rows, chart_enter,
};
