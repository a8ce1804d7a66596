/*
 * diagnosis_panes.c - the panes of the diagnosis views: query shapes that
 * fail more than their siblings, what a circuit breaker would have done
 * (a timeline per upstream), requests that needed a retry, and one
 * upstream explained in plain words.
 *
 * Each is a struct panel like those of panes.c, drawing the diagnosis
 * model (diagnosis.h) that app.c built; while it is being built, or when
 * that failed, the pane says so. Gateway-made failures stay apart in each:
 * shapes count only 5xx the gateway did not make (gw 5xx beside them), the
 * breaker ignores gateway-made attempts (its "gw/client" column), retry
 * groups say who failed first, and explain lists the gateway's refusals
 * under their own heading. Enter drills into an example request (shapes,
 * explain) or explains an upstream (breaker, retries).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/app.h"
#include "core/cause.h"
#include "tui/table.h"
#include "tui/text.h"

/* Lines under a table for the selected row's details. */
#define DIAG_DETAIL_LINES 3

/* Fill the body of a pane with a note (computing, failed, nothing). */
static void
diag_note(const struct app *a, int y, int x, int h, int w, const char *text,
    enum theme_role role)
{
	for (int i = 1; i < h; i++)
		mvhline(y + i, x, ' ', w);
	if (h > 1)
		text_put(stdscr, y + 1, x + 1, w - 1, text, theme_attr(&a->theme,
		    role), a->theme.unicode, TEXT_LEFT, false);
}

/*
 * The model for view v, or NULL after drawing the pane's title and a note
 * on why there is none yet.
 */
static const struct diagnosis *
diag_or_note(const struct app *a, enum diag_view v, const char *title,
    int y, int x, int h, int w, bool focus)
{
	const struct diagnosis *d = app_diag(a, v);
	char buf[320];

	if (d != NULL)
		return d;
	pane_title(a, y, x, w, title, NULL, focus);
	if (a->diag_error[0] != '\0' && !a->diag_busy) {
		snprintf(buf, sizeof(buf), "failed: %s (r: try again)",
		    a->diag_error);
		diag_note(a, y, x, h, w, buf, TH_FAILING);
	} else {
		snprintf(buf, sizeof(buf), "computing the %s view...",
		    diag_view_name(v));
		diag_note(a, y, x, h, w, buf, TH_DIM);
	}
	return NULL;
}

/* A request for people: "GET /a?b=1". */
static void
diag_request_text(char *buf, size_t size, const struct diag_example *e)
{
	snprintf(buf, size, "%s%s%s%s%s", e->method != NULL ? e->method : "",
	    e->method != NULL ? " " : "", e->path != NULL ? e->path : "-",
	    e->query != NULL ? "?" : "", e->query != NULL ? e->query : "");
}

/* One line of an example: "e.g. 10:00:01 GET /a?b=1 -> 502 (cause)". */
static void
diag_example_line(char *buf, size_t size, const struct diag_example *e)
{
	char t[32], req[600];

	text_time(t, sizeof(t), e->ts_ms, false);
	diag_request_text(req, sizeof(req), e);
	snprintf(buf, size, "e.g. %s %s -> %03d (%s, %d attempt%s)", t, req,
	    e->status, cause_name(e->cause), e->n_attempts,
	    e->n_attempts == 1 ? "" : "s");
}

/* Draw a label-less detail line under a table. */
static void
diag_line(const struct app *a, int y, int x, int w, const char *text,
    enum theme_role role)
{
	text_put(stdscr, y, x, w, text, theme_attr(&a->theme, role),
	    a->theme.unicode, TEXT_LEFT, true);
}

/* ---- shapes ---- */

enum {
	SC_ROUTE, SC_UP, SC_SHAPE, SC_REQ, SC_RATE, SC_OTHERS, SC_GW, SC_DIFF,
	SC_COUNT
};

static const struct table_column shape_cols[SC_COUNT] = {
	[SC_ROUTE] = {"route", 14, 30, TEXT_LEFT, 100},
	[SC_UP] = {"upstream", 12, 22, TEXT_LEFT, 70},
	[SC_SHAPE] = {"shape", 16, 40, TEXT_LEFT, 100},
	[SC_REQ] = {"requests", 8, 8, TEXT_RIGHT, 90},
	[SC_RATE] = {"5xx%", 7, 7, TEXT_RIGHT, 99},
	[SC_OTHERS] = {"others%", 7, 7, TEXT_RIGHT, 95},
	[SC_GW] = {"gw 5xx", 6, 6, TEXT_RIGHT, 60},
	[SC_DIFF] = {"difference", 12, 0, TEXT_LEFT, 98},
};

/* A rate as a percentage with two decimals. */
static void
diag_rate(char *buf, size_t size, double rate)
{
	snprintf(buf, size, "%.2f%%", rate * 100);
}

/* Fill one cell of the shapes table. */
static void
shape_cell(const struct app *a, const void *ctx, size_t row, int col,
    int width, struct table_cell *c)
{
	const struct diagnosis *d = ctx;
	const struct shape_finding *f = &d->shapes[row];

	(void)a;
	switch (col) {
	case SC_ROUTE:
		snprintf(c->text, sizeof(c->text), "%s%s%s", f->method,
		    f->method[0] != '\0' ? " " : "", f->route);
		break;
	case SC_UP: snprintf(c->text, sizeof(c->text), "%s", f->upstream);
		break;
	case SC_SHAPE:
		snprintf(c->text, sizeof(c->text), "%s", f->shape[0] != '\0' ?
		    f->shape : "(no query)");
		break;
	case SC_REQ: text_count(c->text, sizeof(c->text), f->requests, width);
		break;
	case SC_RATE:
		diag_rate(c->text, sizeof(c->text), f->rate);
		c->role = TH_FAILING;
		break;
	case SC_OTHERS:
		diag_rate(c->text, sizeof(c->text), f->sibling_rate);
		c->role = TH_OK;
		break;
	case SC_GW: text_count(c->text, sizeof(c->text), f->gateway_5xx, width);
		if (f->gateway_5xx > 0)
			c->role = TH_GATEWAY;
		break;
	case SC_DIFF:
		snprintf(c->text, sizeof(c->text), "%s", f->difference != NULL ?
		    f->difference : "-");
		c->role = TH_UPSTREAM;
		break;
	}
}

/* Rows of the shapes pane. */
static size_t
shapes_rows(const struct app *a)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_SHAPES);

	return d != NULL ? d->n_shapes : 0;
}

/* Draw the shapes table and the selected finding's evidence. */
static void
shapes_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	const char *title0 = "Query shapes that fail more than their siblings";
	const struct diagnosis *d = diag_or_note(a, DIAG_VIEW_SHAPES, title0,
	    y, x, h, w, focus);
	size_t sel = app_top_c(a)->sel[PANE_SHAPES];
	char title[128], buf[1200], closest[600];
	const struct shape_finding *f;
	int body = h;
	struct table t = {
		.title = title, .extra = "Enter: example  e: explain",
		.cols = shape_cols, .n_cols = SC_COUNT, .cell = shape_cell,
		.sel = sel, .empty = "no query shape fails more than its "
		    "siblings beyond doubt in this window",
	};

	(void)p;
	if (d == NULL)
		return;
	t.ctx = d;
	t.n_rows = d->n_shapes;
	snprintf(title, sizeof(title), "%s (%zu)", title0, d->n_shapes);
	if (d->n_shapes > 0 && h >= 6 + DIAG_DETAIL_LINES)
		body = h - DIAG_DETAIL_LINES;
	table_draw(a, &t, y, x, body, w, focus);
	if (body == h)
		return;
	if (sel >= d->n_shapes)
		sel = d->n_shapes - 1;
	f = &d->shapes[sel];
	snprintf(closest, sizeof(closest), "%s", f->closest != NULL &&
	    f->closest[0] != '\0' ? f->closest : "(no query)");
	snprintf(buf, sizeof(buf), "%s vs '%s' (%" PRId64 " requests, %" PRId64
	    " 5xx): %s", f->shape[0] != '\0' ? f->shape : "(no query)", closest,
	    f->closest_requests, f->closest_failed, f->difference != NULL ?
	    f->difference : "-");
	diag_line(a, y + body, x, w, buf, TH_UPSTREAM);
	if (f->has_example) {
		diag_example_line(buf, sizeof(buf), &f->example);
		diag_line(a, y + body + 1, x, w, buf, TH_NORMAL);
		snprintf(buf, sizeof(buf), "gateway: %s", f->example.message !=
		    NULL ? f->example.message : "(no error-log line joined)");
		diag_line(a, y + body + 2, x, w, buf, f->example.message !=
		    NULL ? TH_GATEWAY : TH_DIM);
	} else {
		diag_line(a, y + body + 1, x, w, "no example request found",
		    TH_DIM);
		diag_line(a, y + body + 2, x, w, "", TH_NORMAL);
	}
}

/* Enter on a shape: its example failing request. */
static int
shapes_enter(struct app *a, size_t row)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_SHAPES);

	if (d == NULL || row >= d->n_shapes || !d->shapes[row].has_example)
		return -1;
	return app_push_request(a, d->shapes[row].example.id);
}

const struct panel shapes_panel = {
	PANE_SHAPES, "Shapes", true, shapes_draw, shapes_rows, shapes_enter,
};

/* ---- breaker ---- */

enum {
	BC_UP, BC_ATT, BC_FAILED, BC_IGNORED, BC_OPENS, BC_OPEN_T, BC_SPARED,
	BC_TIMELINE, BC_COUNT
};

static const struct table_column breaker_cols[BC_COUNT] = {
	[BC_UP] = {"upstream", 14, 26, TEXT_LEFT, 100},
	[BC_ATT] = {"attempts", 8, 8, TEXT_RIGHT, 80},
	[BC_FAILED] = {"failed", 7, 7, TEXT_RIGHT, 85},
	[BC_IGNORED] = {"gw/client", 9, 9, TEXT_RIGHT, 50},
	[BC_OPENS] = {"opens", 5, 5, TEXT_RIGHT, 99},
	[BC_OPEN_T] = {"open", 6, 6, TEXT_RIGHT, 60},
	[BC_SPARED] = {"spared", 7, 7, TEXT_RIGHT, 98},
	[BC_TIMELINE] = {"timeline (# open)", 10, 0, TEXT_LEFT, 97},
};

/* Render u's timeline over the model's span in width glyphs. */
static void
breaker_timeline_text(const struct app *a, const struct diagnosis *d,
    const struct breaker_upstream *u, int width, char *buf, size_t size)
{
	enum breaker_mark marks[512];
	const char *open = a->theme.unicode ? "\xe2\x96\x88" : "#";
	const char *closed = a->theme.unicode ? "\xc2\xb7" : ".";
	size_t o = 0;

	if (width > 512)
		width = 512;
	buf[0] = '\0';
	if (d->span_first_ms < 0 || width <= 0)
		return;
	diagnosis_timeline(u, d->span_first_ms, d->span_last_ms + 1, width,
	    marks);
	for (int i = 0; i < width; i++) {
		const char *g = marks[i] == BREAKER_MARK_OPEN ? open :
		    marks[i] == BREAKER_MARK_CLOSED ? closed : " ";
		size_t l = strlen(g);

		if (o + l + 1 > size)
			break;
		memcpy(buf + o, g, l);
		o += l;
	}
	buf[o] = '\0';
}

/* Seconds as "12s", "3m05s". */
static void
diag_seconds(char *buf, size_t size, int64_t ms)
{
	text_ms(buf, size, ms < 1000 && ms > 0 ? 1000 : ms);
}

/* Fill one cell of the breaker table. */
static void
breaker_cell(const struct app *a, const void *ctx, size_t row, int col,
    int width, struct table_cell *c)
{
	const struct diagnosis *d = ctx;
	const struct breaker_upstream *u = &d->breakers[row];

	switch (col) {
	case BC_UP:
		snprintf(c->text, sizeof(c->text), "%s", u->name != NULL ?
		    u->name : "?");
		break;
	case BC_ATT: text_count(c->text, sizeof(c->text), u->attempts, width);
		break;
	case BC_FAILED:
		text_count(c->text, sizeof(c->text), u->failures, width);
		if (u->failures > 0)
			c->role = TH_UPSTREAM;
		break;
	case BC_IGNORED:
		text_count(c->text, sizeof(c->text), u->ignored, width);
		if (u->ignored > 0)
			c->role = TH_GATEWAY;
		break;
	case BC_OPENS:
		snprintf(c->text, sizeof(c->text), "%zu", u->n_opens);
		if (u->n_opens > 0)
			c->role = TH_FAILING;
		break;
	case BC_OPEN_T:
		if (u->n_opens > 0)
			diag_seconds(c->text, sizeof(c->text),
			    u->open_total_ms);
		else
			snprintf(c->text, sizeof(c->text), "-");
		break;
	case BC_SPARED: text_count(c->text, sizeof(c->text), u->spared, width);
		break;
	case BC_TIMELINE:
		breaker_timeline_text(a, d, u, width, c->text, sizeof(c->text));
		c->role = u->n_opens > 0 ? TH_FAILING : TH_OK;
		break;
	}
}

/* Rows of the breaker pane. */
static size_t
breaker_rows(const struct app *a)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_BREAKER);

	return d != NULL ? d->n_breakers : 0;
}

/* Draw the breaker table, its settings and the selected one's openings. */
static void
breaker_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	const char *title0 = "Circuit breaker replay";
	const struct diagnosis *d = diag_or_note(a, DIAG_VIEW_BREAKER, title0,
	    y, x, h, w, focus);
	size_t sel = app_top_c(a)->sel[PANE_BREAKER];
	const struct breaker_config *c;
	const struct breaker_upstream *u;
	char title[160], buf[512], t0[32], t1[32];
	int below, body, cy;
	struct table t = {
		.title = title, .extra = "Enter/e: explain", .cols = breaker_cols,
		.n_cols = BC_COUNT, .cell = breaker_cell, .sel = sel,
		.empty = "no upstream attempts in this window",
	};

	(void)p;
	if (d == NULL)
		return;
	t.ctx = d;
	t.n_rows = d->n_breakers;
	if (d->span_first_ms >= 0) {
		text_time(t0, sizeof(t0), d->span_first_ms, false);
		text_time(t1, sizeof(t1), d->span_last_ms, false);
		snprintf(title, sizeof(title), "%s (%zu upstreams), timeline "
		    "%s - %sZ", title0, d->n_breakers, t0, t1);
	} else
		snprintf(title, sizeof(title), "%s (%zu upstreams)", title0,
		    d->n_breakers);
	/* Below the table: the settings, then the openings of the row. */
	below = h >= 14 ? h / 3 : h >= 8 ? 1 : 0;
	body = h - below;
	table_draw(a, &t, y, x, body, w, focus);
	if (below == 0)
		return;
	cy = y + body;
	c = &d->breaker_cfg;
	snprintf(buf, sizeof(buf), "breaker: opens after %d failures in a row "
	    "or %.0f%% of >= %" PRId64 " attempts in %.0fs; open %.0fs, then one "
	    "probe. Gateway-made and client-closed attempts are ignored.",
	    c->consecutive_failures, 100 * c->failure_rate, c->min_requests,
	    (double)c->window_ms / 1000, (double)c->open_ms / 1000);
	diag_line(a, cy++, x, w, buf, TH_DIM);
	for (int i = 1; i < below; i++)
		mvhline(y + body + i, x, ' ', w);
	if (d->n_breakers == 0 || cy >= y + h)
		return;
	u = &d->breakers[sel < d->n_breakers ? sel : d->n_breakers - 1];
	snprintf(buf, sizeof(buf), "%s: %zu opening%s, %" PRId64 " attempts "
	    "spared (%" PRId64 " of them failed)", u->name != NULL ? u->name :
	    "?", u->n_opens, u->n_opens == 1 ? "" : "s", u->spared,
	    u->spared_failed);
	diag_line(a, cy++, x, w, buf, u->n_opens > 0 ? TH_FAILING : TH_OK);
	for (size_t k = 0; k < u->n_opens && cy < y + h; k++) {
		const struct breaker_open *o = &u->opens[k];

		if (cy == y + h - 1 && k + 1 < u->n_opens) {
			snprintf(buf, sizeof(buf), "  ... %zu more",
			    u->n_opens - k);
			diag_line(a, cy++, x, w, buf, TH_DIM);
			break;
		}
		text_time(t0, sizeof(t0), o->open_ms, false);
		if (o->close_ms >= 0)
			text_time(t1, sizeof(t1), o->close_ms, false);
		else
			snprintf(t1, sizeof(t1), "still open");
		snprintf(buf, sizeof(buf), "  open %s -> %s  %s (%" PRId64 " of %"
		    PRId64 " failed)  spared %" PRId64 " (%" PRId64 " failed)%s",
		    t0, t1, breaker_trip_name(o->reason), o->window_failed,
		    o->window_requests, o->spared, o->spared_failed,
		    o->probes_failed > 0 ? "  probe failed" : "");
		diag_line(a, cy++, x, w, buf, TH_NORMAL);
	}
}

/* Enter on a breaker row: explain that upstream. */
static int
breaker_enter(struct app *a, size_t row)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_BREAKER);

	if (d == NULL || row >= d->n_breakers || d->breakers[row].name == NULL)
		return -1;
	return app_push_explain(a, d->breakers[row].name);
}

const struct panel breaker_panel = {
	PANE_BREAKER, "Breaker", true, breaker_draw, breaker_rows,
	breaker_enter,
};

/* ---- retries ---- */

enum {
	RC_UP, RC_CAUSE, RC_WHO, RC_REQ, RC_SAVED, RC_FAILED, RC_EXTRA,
	RC_RESCUED, RC_COUNT
};

static const struct table_column retry_cols[RC_COUNT] = {
	[RC_UP] = {"first failed", 14, 26, TEXT_LEFT, 100},
	[RC_CAUSE] = {"cause", 16, 26, TEXT_LEFT, 100},
	[RC_WHO] = {"who", 8, 8, TEXT_LEFT, 80},
	[RC_REQ] = {"requests", 8, 8, TEXT_RIGHT, 99},
	[RC_SAVED] = {"saved", 7, 7, TEXT_RIGHT, 98},
	[RC_FAILED] = {"failed", 7, 7, TEXT_RIGHT, 97},
	[RC_EXTRA] = {"extra", 7, 7, TEXT_RIGHT, 90},
	[RC_RESCUED] = {"rescued by", 12, 0, TEXT_LEFT, 70},
};

/* Fill one cell of the retries table. */
static void
retry_cell(const struct app *a, const void *ctx, size_t row, int col,
    int width, struct table_cell *c)
{
	const struct retry_group *g = &((const struct diagnosis *)ctx)->
	    retries.groups[row];

	(void)a;
	switch (col) {
	case RC_UP:
		snprintf(c->text, sizeof(c->text), "%s", g->first_upstream);
		break;
	case RC_CAUSE:
		snprintf(c->text, sizeof(c->text), "%s",
		    cause_name(g->first_cause));
		c->role = cause_role(g->first_cause);
		break;
	case RC_WHO:
		snprintf(c->text, sizeof(c->text), "%s", cause_who_name(g->who));
		c->role = cause_role(g->first_cause);
		break;
	case RC_REQ: text_count(c->text, sizeof(c->text), g->requests, width);
		break;
	case RC_SAVED: text_count(c->text, sizeof(c->text), g->saved, width);
		c->role = TH_OK;
		break;
	case RC_FAILED: text_count(c->text, sizeof(c->text), g->failed, width);
		if (g->failed > 0)
			c->role = TH_FAILING;
		break;
	case RC_EXTRA:
		text_ms(c->text, sizeof(c->text), (int64_t)(g->extra_ms_avg +
		    0.5));
		break;
	case RC_RESCUED:
		if (g->rescued_by != NULL)
			snprintf(c->text, sizeof(c->text), "%s (%" PRId64 ")",
			    g->rescued_by, g->rescued_by_count);
		else
			snprintf(c->text, sizeof(c->text), "-");
		break;
	}
}

/* Rows of the retries pane. */
static size_t
retries_rows(const struct app *a)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_RETRIES);

	return d != NULL ? d->retries.n_groups : 0;
}

/* Draw the retry summary and the groups. */
static void
retries_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	const char *title0 = "Retries: requests that needed another attempt";
	const struct diagnosis *d = diag_or_note(a, DIAG_VIEW_RETRIES, title0,
	    y, x, h, w, focus);
	const struct retry_summary *r;
	char buf[512], share[16], t1[16], t2[16], t3[16];
	struct table t = {
		.title = "By first failing upstream and cause",
		.extra = "Enter/e: explain", .cols = retry_cols,
		.n_cols = RC_COUNT, .cell = retry_cell,
		.sel = app_top_c(a)->sel[PANE_RETRIES],
		.empty = "no request needed a retry after a failure",
	};

	(void)p;
	if (d == NULL)
		return;
	r = &d->retries;
	pane_title(a, y, x, w, title0, NULL, false);
	if (h < 4)
		return;
	text_percent(share, sizeof(share), r->saved, r->requests);
	snprintf(buf, sizeof(buf), "%" PRId64 " requests; %" PRId64 " needed "
	    "more than one attempt, %" PRId64 " after a failed one: %" PRId64
	    " saved by the retry (%s of all requests), %" PRId64 " failed "
	    "anyway", r->requests, r->retried, r->retried_after_failure,
	    r->saved, share, r->failed);
	diag_line(a, y + 1, x + 1, w - 1, buf, TH_NORMAL);
	text_ms(t1, sizeof(t1), (int64_t)(r->extra_ms_avg + 0.5));
	text_ms(t2, sizeof(t2), r->retried_ms_avg < 0 ? -1 :
	    (int64_t)(r->retried_ms_avg + 0.5));
	text_ms(t3, sizeof(t3), r->single_ok_ms_avg < 0 ? -1 :
	    (int64_t)(r->single_ok_ms_avg + 0.5));
	if (r->retried_after_failure > 0)
		snprintf(buf, sizeof(buf), "extra latency: %s per retried "
		    "request on the failed attempts; retried requests took %s "
		    "on average, one-attempt successes %s", t1, t2, t3);
	else
		buf[0] = '\0';
	diag_line(a, y + 2, x + 1, w - 1, buf, TH_DIM);
	t.ctx = d;
	t.n_rows = r->n_groups;
	table_draw(a, &t, y + 3, x, h - 3, w, focus);
}

/* Enter on a retry group: explain its first failing upstream. */
static int
retries_enter(struct app *a, size_t row)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_RETRIES);

	if (d == NULL || row >= d->retries.n_groups)
		return -1;
	return app_push_explain(a, d->retries.groups[row].first_upstream);
}

const struct panel retries_panel = {
	PANE_RETRIES, "Retries", true, retries_draw, retries_rows,
	retries_enter,
};

/* ---- explain ---- */

/*
 * Put text at (y, x) in w columns, wrapped at spaces onto as many lines
 * as it needs below y (those indented by hang), up to end (exclusive);
 * draw only when draw. Returns the line after it.
 */
static int
diag_wrap_hang(const struct app *a, int y, int end, int x, int w, int hang,
    const char *text, enum theme_role role, bool draw)
{
	char line[1024];
	size_t len = strlen(text), off = 0;
	size_t per;

	do {
		size_t n = len - off;

		if (off > 0 && hang > 0 && hang < w - 8) {
			x += hang;
			w -= hang;
			hang = 0;
		}
		per = w > 8 ? (size_t)w : 8;
		if (per >= sizeof(line))
			per = sizeof(line) - 1;

		if (n > per) {
			n = per;
			for (size_t k = per; k > per / 2; k--)
				if (text[off + k] == ' ') {
					n = k;
					break;
				}
		}
		if (draw && y < end) {
			memcpy(line, text + off, n);
			line[n] = '\0';
			text_put(stdscr, y, x, w, line, theme_attr(&a->theme,
			    role), a->theme.unicode, TEXT_LEFT, true);
		}
		y++;
		off += n;
		while (off < len && text[off] == ' ')
			off++;
	} while (off < len);
	return y;
}

/* diag_wrap_hang() without a hanging indent. */
static int
diag_wrap(const struct app *a, int y, int end, int x, int w,
    const char *text, enum theme_role role, bool draw)
{
	return diag_wrap_hang(a, y, end, x, w, 0, text, role, draw);
}

/*
 * Lay out (draw when draw) reason r at line y: its number and title,
 * evidence, example and the gateway's words. Returns the line after it.
 */
static int
explain_reason_put(const struct app *a, const struct explain_reason *r,
    int num, int y, int end, int x, int w, bool selected, bool draw)
{
	char buf[1400];

	snprintf(buf, sizeof(buf), "%2d. %s", num, r->title);
	y = diag_wrap_hang(a, y, end, x, w, 4, buf, selected ? TH_SELECTED :
	    r->gateway_made ? TH_GATEWAY : cause_role(r->cause), draw);
	y = diag_wrap(a, y, end, x + 4, w - 4, r->evidence, TH_NORMAL, draw);
	if (r->has_example) {
		diag_example_line(buf, sizeof(buf), &r->example);
		y = diag_wrap(a, y, end, x + 4, w - 4, buf, TH_DIM, draw);
		if (r->example.message != NULL) {
			snprintf(buf, sizeof(buf), "gateway said: %s",
			    r->example.message);
			y = diag_wrap(a, y, end, x + 4, w - 4, buf, TH_GATEWAY,
			    draw);
		}
	}
	return y;
}

/*
 * The order reasons are shown in: the upstream's own first, then those
 * the gateway made (under their own heading). order[k] = reason index.
 */
static size_t
explain_order(const struct explain_report *e, size_t *order, size_t max)
{
	size_t k = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < e->n_reasons && k < max; i++)
			if (e->reasons[i].gateway_made == (pass == 1))
				order[k++] = i;
	return k;
}

/* Rows of the explain pane: its reasons, in the order shown. */
static size_t
explain_rows(const struct app *a)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_EXPLAIN);

	return d != NULL ? d->explain.n_reasons : 0;
}

/* True when the gateway-made heading goes before reason k of the order. */
static bool
explain_heading_before(const struct explain_report *e, const size_t *order,
    size_t k)
{
	return e->reasons[order[k]].gateway_made && (k == 0 ||
	    !e->reasons[order[k - 1]].gateway_made);
}

/* Draw the reasons, the selected one kept in view. */
static void
explain_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	const struct diagnosis *d = diag_or_note(a, DIAG_VIEW_EXPLAIN,
	    "Explain", y, x, h, w, focus);
	const struct explain_report *e;
	size_t order[256], n, sel = app_top_c(a)->sel[PANE_EXPLAIN], first = 0;
	size_t own = 0, sel_k = 0;
	char buf[512];
	int end = y + h, cy;

	(void)p;
	if (d == NULL)
		return;
	e = &d->explain;
	snprintf(buf, sizeof(buf), "Why %s failed", e->upstream);
	pane_title(a, y, x, w, buf, "Enter: example  Bksp: back", focus);
	for (int i = 1; i < h; i++)
		mvhline(y + i, x, ' ', w);
	cy = y + 1;
	if (cy >= end)
		return;
	snprintf(buf, sizeof(buf), "%" PRId64 " requests answered by it, %"
	    PRId64 " with a 5xx; %" PRId64 " attempts sent to it, %" PRId64
	    " failed; %" PRId64 " failures made by the gateway", e->requests,
	    e->errors_5xx, e->attempts, e->failed_attempts, e->gateway_made);
	cy = diag_wrap(a, cy, end, x + 1, w - 1, buf, TH_NORMAL, true);
	n = explain_order(e, order, sizeof(order) / sizeof(order[0]));
	for (size_t k = 0; k < n; k++)
		own += !e->reasons[order[k]].gateway_made;
	sel_k = sel < n ? sel : n > 0 ? n - 1 : 0;
	if (cy < end)
		cy = diag_wrap(a, cy, end, x + 1, w - 1, own == 0 ? "Nothing "
		    "this upstream did wrong shows in the window." :
		    "Why it failed, most first:", TH_HEADER, true);
	/* Scroll: the first reason from which the selected one fits. */
	for (first = 0; first < sel_k; first++) {
		int need = cy;

		for (size_t k = first; k <= sel_k; k++) {
			need += explain_heading_before(e, order, k) ? 2 : 0;
			need = explain_reason_put(a, &e->reasons[order[k]], 0,
			    need, end, x + 1, w - 1, false, false);
		}
		if (need <= end)
			break;
	}
	for (size_t k = first; k < n && cy < end; k++) {
		const struct explain_reason *r = &e->reasons[order[k]];

		if (explain_heading_before(e, order, k)) {
			cy++;
			snprintf(buf, sizeof(buf), "Made by the gateway, not by "
			    "this upstream (%" PRId64 "):", e->gateway_made);
			if (cy < end)
				cy = diag_wrap(a, cy, end, x + 1, w - 1, buf,
				    TH_GATEWAY, true);
		}
		cy = explain_reason_put(a, r, (int)(r->gateway_made ? k - own :
		    k) + 1, cy, end, x + 1, w - 1, focus && k == sel_k,
		    true);
	}
}

/* Enter on a reason: its example request. */
static int
explain_enter(struct app *a, size_t row)
{
	const struct diagnosis *d = app_diag(a, DIAG_VIEW_EXPLAIN);
	size_t order[256], n;

	if (d == NULL)
		return -1;
	n = explain_order(&d->explain, order, sizeof(order) / sizeof(order[0]));
	if (row >= n || !d->explain.reasons[order[row]].has_example)
		return -1;
	return app_push_request(a, d->explain.reasons[order[row]].example.id);
}

const struct panel explain_panel = {
	PANE_EXPLAIN, "Explain", true, explain_draw, explain_rows,
	explain_enter,
};
