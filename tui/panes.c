/*
 * panes.c - the console's tables: upstreams, causes, failing requests,
 * and one request shown whole; which of them a level shows; its filter.
 *
 * Each pane is a struct panel whose draw function fills a table widget
 * (table.c) from the snapshot, and whose enter function pushes a level:
 * an upstream's row narrows to that upstream (its causes and failing
 * requests), a cause's row to that cause (its upstreams and requests), a
 * request's row to the request with its attempts and the gateway's own
 * error line. A level of a diagnosis view (diagnosis_panes.c) shows that
 * view's one pane instead.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/app.h"
#include "core/cause.h"
#include "tui/spark.h"
#include "tui/table.h"
#include "tui/text.h"

/* See app.h. */
enum theme_role
cause_role(enum gw_cause cause)
{
	switch (cause_who(cause)) {
	case GW_WHO_GATEWAY: return TH_GATEWAY;
	case GW_WHO_UPSTREAM:
	case GW_WHO_NETWORK: return TH_UPSTREAM;
	case GW_WHO_CLIENT: return TH_DIM;
	default: return TH_NORMAL;
	}
}

/* The role of a state. */
static enum theme_role
state_role(enum upstream_state s)
{
	switch (s) {
	case STATE_FAILING: return TH_FAILING;
	case STATE_DEGRADED: return TH_DEGRADED;
	case STATE_OK: return TH_OK;
	default: return TH_DIM;
	}
}

/* See app.h. */
int
app_layout(const struct app_level *l, enum pane_id *panes, int max)
{
	const struct view_filter *f = &l->filter;
	bool up = f->upstream[0] != '\0', cause = f->cause != GW_CAUSE_ANY;
	int n = 0;

#define ADD(p) do { if (n < max) panes[n++] = (p); } while (0)
	if (l->detail_id > 0) {
		ADD(PANE_DETAIL);
		return n;
	}
	switch (l->view) {
	case DIAG_VIEW_SHAPES: ADD(PANE_SHAPES); return n;
	case DIAG_VIEW_BREAKER: ADD(PANE_BREAKER); return n;
	case DIAG_VIEW_RETRIES: ADD(PANE_RETRIES); return n;
	case DIAG_VIEW_EXPLAIN: ADD(PANE_EXPLAIN); return n;
	default: break;
	}
	if (!up)
		ADD(PANE_UPSTREAMS);
	if (!cause && (!up || !cause) && !(f->path[0] != '\0' && !up))
		ADD(PANE_CAUSES);
	if (up || cause || f->path[0] != '\0')
		ADD(PANE_FAILURES);
	ADD(PANE_CHART);
#undef ADD
	return n;
}

/* See app.h. */
const struct panel *
panel_get(enum pane_id id)
{
	switch (id) {
	case PANE_UPSTREAMS: return &upstreams_panel;
	case PANE_CAUSES: return &causes_panel;
	case PANE_FAILURES: return &failures_panel;
	case PANE_DETAIL: return &detail_panel;
	case PANE_SHAPES: return &shapes_panel;
	case PANE_BREAKER: return &breaker_panel;
	case PANE_RETRIES: return &retries_panel;
	case PANE_EXPLAIN: return &explain_panel;
	default: return &chart_panel;
	}
}

/* See app.h. */
bool
app_push(struct app *a)
{
	if (a->depth >= APP_DEPTH_MAX)
		return false;
	a->stack[a->depth] = a->stack[a->depth - 1];
	a->depth++;
	memset(app_top(a)->sel, 0, sizeof(app_top(a)->sel));
	app_top(a)->focus = 0;
	return true;
}

/* See app.h. */
void
app_filter_text(const struct view_filter *f, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	if (f->upstream[0] != '\0')
		o += (size_t)snprintf(buf + o, size - o, "upstream=%s ",
		    f->upstream);
	if (f->cause != GW_CAUSE_ANY && o < size)
		o += (size_t)snprintf(buf + o, size - o, "cause=%s ",
		    cause_name(f->cause));
	if (f->status >= 0 && o < size)
		o += (size_t)snprintf(buf + o, size - o, "status=%d ",
		    f->status);
	if (f->path[0] != '\0' && o < size)
		o += (size_t)snprintf(buf + o, size - o, "path~%s ", f->path);
	if (o > 0 && o <= size)
		buf[o - 1] = '\0';
}

/* Copy at most size - 1 bytes of s (len bytes) into dst. */
static void
copy_word(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* A status number 100-999 in s (len bytes), or -1. */
static int
parse_status(const char *s, size_t len)
{
	int v = 0;

	if (len != 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 100 ? v : -1;
}

/* See app.h. */
int
app_filter_parse(const char *text, struct view_filter *f, char *msg,
    size_t msglen)
{
	const char *p = text;

	while (*p != '\0') {
		size_t len, klen;
		const char *eq, *v;
		size_t vlen;
		enum gw_cause c;

		while (*p == ' ')
			p++;
		if ((len = strcspn(p, " ")) == 0)
			break;
		eq = memchr(p, '=', len);
		klen = eq != NULL ? (size_t)(eq - p) : 0;
		v = eq != NULL ? eq + 1 : p;
		vlen = len - (size_t)(v - p);
#define KEY(k) (klen == strlen(k) && strncmp(p, k, klen) == 0)
		if (eq != NULL && KEY("upstream"))
			copy_word(f->upstream, sizeof(f->upstream), v, vlen);
		else if (eq != NULL && KEY("path"))
			copy_word(f->path, sizeof(f->path), v, vlen);
		else if (eq != NULL && KEY("status")) {
			if ((f->status = parse_status(v, vlen)) < 0) {
				snprintf(msg, msglen, "status is a number like 502");
				return -1;
			}
		} else if (eq != NULL && KEY("cause")) {
			if (!cause_from_name(v, vlen, &c)) {
				snprintf(msg, msglen, "no cause '%.*s'",
				    (int)(vlen > 40 ? 40 : vlen), v);
				return -1;
			}
			f->cause = c;
		} else if (eq != NULL) {
			snprintf(msg, msglen, "filter by upstream=, cause=, "
			    "status= or path=");
			return -1;
		} else if (parse_status(v, vlen) >= 0)
			f->status = parse_status(v, vlen);
		else if (cause_from_name(v, vlen, &c))
			f->cause = c;
		else if (v[0] == '/')
			copy_word(f->path, sizeof(f->path), v, vlen);
		else
			copy_word(f->upstream, sizeof(f->upstream), v, vlen);
#undef KEY
		p += len;
	}
	return 0;
}

/* ---- upstreams ---- */

enum {
	UC_NAME, UC_REQ, UC_RPS, UC_5XX, UC_RATE, UC_500, UC_502, UC_503,
	UC_504, UC_FATT, UC_P50, UC_P99, UC_TREND, UC_STATE, UC_COUNT
};

/* Columns of the upstreams table (name's max is set per draw). */
static const struct table_column upstream_cols[UC_COUNT] = {
	[UC_NAME] = {"upstream", 14, 14, TEXT_LEFT, 100},
	[UC_REQ] = {"requests", 8, 8, TEXT_RIGHT, 96},
	[UC_RPS] = {"req/s", 7, 7, TEXT_RIGHT, 40},
	[UC_5XX] = {"5xx", 7, 7, TEXT_RIGHT, 98},
	[UC_RATE] = {"5xx%", 6, 6, TEXT_RIGHT, 97},
	[UC_500] = {"500", 5, 5, TEXT_RIGHT, 50},
	[UC_502] = {"502", 5, 5, TEXT_RIGHT, 62},
	[UC_503] = {"503", 5, 5, TEXT_RIGHT, 55},
	[UC_504] = {"504", 5, 5, TEXT_RIGHT, 58},
	[UC_FATT] = {"fail.att", 8, 8, TEXT_RIGHT, 70},
	[UC_P50] = {"p50", 6, 6, TEXT_RIGHT, 45},
	[UC_P99] = {"p99", 6, 6, TEXT_RIGHT, 64},
	[UC_TREND] = {"5xx rate", 8, 0, TEXT_LEFT, 80},
	[UC_STATE] = {"state", 8, 8, TEXT_LEFT, 90},
};

/* Fill one cell of the upstreams table. */
static void
upstream_cell(const struct app *a, const void *ctx, size_t row, int col,
    int width, struct table_cell *c)
{
	const struct snapshot *s = a->snap;
	const struct snap_upstream *u = &s->upstreams[row];
	const struct console_counts *k = &u->u.c;
	double span_s;

	(void)ctx;
	switch (col) {
	case UC_NAME:
		if (strcmp(u->u.name, "-") == 0) {
			snprintf(c->text, sizeof(c->text), "- (gateway)");
			c->role = TH_GATEWAY;
		} else
			snprintf(c->text, sizeof(c->text), "%s", u->u.name);
		break;
	case UC_REQ: text_count(c->text, sizeof(c->text), k->requests, width);
		break;
	case UC_RPS:
		span_s = s->totals.requests > 0 && s->req_per_s > 0 ?
		    (double)s->totals.requests / s->req_per_s : 0;
		snprintf(c->text, sizeof(c->text), "%.1f", span_s > 0 ?
		    (double)k->requests / span_s : 0.0);
		break;
	case UC_5XX:
		text_count(c->text, sizeof(c->text), k->errors_5xx, width);
		if (k->errors_5xx > 0)
			c->role = k->gateway_5xx == k->errors_5xx ? TH_GATEWAY :
			    TH_UPSTREAM;
		break;
	case UC_RATE:
		text_percent(c->text, sizeof(c->text), k->errors_5xx,
		    k->requests);
		break;
	case UC_500: case UC_502: case UC_503: case UC_504:
		text_count(c->text, sizeof(c->text),
		    k->status_5xx[col - UC_500], width);
		break;
	case UC_FATT:
		text_count(c->text, sizeof(c->text), k->failed_attempts, width);
		break;
	case UC_P50: text_ms(c->text, sizeof(c->text), u->u.p50_ms); break;
	case UC_P99: text_ms(c->text, sizeof(c->text), u->u.p99_ms); break;
	case UC_TREND: {
		double max = 0.01;

		for (int p = 0; p < s->n_points; p++)
			if (u->rate[p] > max)
				max = u->rate[p];
		spark_render(c->text, sizeof(c->text), u->rate, s->n_points,
		    width, max, a->theme.unicode);
		c->role = state_role(u->state);
		break;
	}
	case UC_STATE:
		snprintf(c->text, sizeof(c->text), "%s",
		    upstream_state_name(u->state));
		c->role = state_role(u->state);
		break;
	}
}

/* Rows of the upstreams pane. */
static size_t
upstreams_rows(const struct app *a)
{
	return a->snap != NULL ? a->snap->n_upstreams : 0;
}

/* Draw the upstreams pane. */
static void
upstreams_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	struct table_column cols[UC_COUNT];
	char title[96], extra[64];
	struct table t = {
		.title = title, .extra = extra, .cols = cols, .n_cols = UC_COUNT,
		.n_rows = upstreams_rows(a), .cell = upstream_cell,
		.sel = app_top_c(a)->sel[PANE_UPSTREAMS],
		.empty = "no requests in this window",
	};
	int longest = 14;

	memcpy(cols, upstream_cols, sizeof(cols));
	for (size_t i = 0; i < t.n_rows; i++) {
		int wd = text_width(a->snap->upstreams[i].u.name,
		    a->theme.unicode);

		if (wd > longest)
			longest = wd;
	}
	cols[UC_NAME].max = longest > 40 ? 40 : longest;
	snprintf(title, sizeof(title), "%s (%zu)", p->title, t.n_rows);
	snprintf(extra, sizeof(extra), "sort: %s",
	    sort_upstreams_name(a->sort_up));
	table_draw(a, &t, y, x, h, w, focus);
}

/* Enter on an upstream: its causes and failing requests. */
static int
upstreams_enter(struct app *a, size_t row)
{
	const char *name;

	if (a->snap == NULL || row >= a->snap->n_upstreams || !app_push(a))
		return -1;
	name = a->snap->upstreams[row].u.name;
	snprintf(app_top(a)->filter.upstream,
	    sizeof(app_top(a)->filter.upstream), "%s", name);
	return 0;
}

const struct panel upstreams_panel = {
	PANE_UPSTREAMS, "Upstreams", true, upstreams_draw, upstreams_rows,
	upstreams_enter,
};

/* ---- causes ---- */

enum {
	CC_NAME, CC_WHO, CC_REQ, CC_5XX, CC_SHARE, CC_ATT, CC_TOP, CC_TREND,
	CC_COUNT
};

static const struct table_column cause_cols[CC_COUNT] = {
	[CC_NAME] = {"cause", 18, 25, TEXT_LEFT, 100},
	[CC_WHO] = {"who", 8, 8, TEXT_LEFT, 60},
	[CC_REQ] = {"requests", 8, 8, TEXT_RIGHT, 96},
	[CC_5XX] = {"5xx", 7, 7, TEXT_RIGHT, 70},
	[CC_SHARE] = {"of 5xx", 6, 6, TEXT_RIGHT, 92},
	[CC_ATT] = {"fail.att", 8, 8, TEXT_RIGHT, 75},
	[CC_TOP] = {"most affected", 14, 24, TEXT_LEFT, 85},
	[CC_TREND] = {"trend", 8, 0, TEXT_LEFT, 80},
};

/* Fill one cell of the causes table. */
static void
cause_cell(const struct app *a, const void *ctx, size_t row, int col,
    int width, struct table_cell *c)
{
	const struct snapshot *s = a->snap;
	const struct snap_cause *x = &s->causes[row];
	double max = 1;

	(void)ctx;
	switch (col) {
	case CC_NAME:
		snprintf(c->text, sizeof(c->text), "%s",
		    cause_name(x->c.cause));
		c->role = cause_role(x->c.cause);
		break;
	case CC_WHO:
		snprintf(c->text, sizeof(c->text), "%s",
		    cause_who_name(cause_who(x->c.cause)));
		c->role = cause_role(x->c.cause);
		break;
	case CC_REQ: text_count(c->text, sizeof(c->text), x->c.requests, width);
		break;
	case CC_5XX:
		text_count(c->text, sizeof(c->text), x->c.errors_5xx, width);
		break;
	case CC_SHARE:
		text_percent(c->text, sizeof(c->text), x->c.errors_5xx,
		    s->totals.errors_5xx);
		break;
	case CC_ATT: text_count(c->text, sizeof(c->text), x->c.attempts, width);
		break;
	case CC_TOP:
		snprintf(c->text, sizeof(c->text), "%s", x->c.top_upstream ?
		    x->c.top_upstream : "-");
		break;
	case CC_TREND:
		for (int p = 0; p < s->n_points; p++)
			if (x->trend[p] > max)
				max = x->trend[p];
		spark_render(c->text, sizeof(c->text), x->trend, s->n_points,
		    width, max, a->theme.unicode);
		c->role = cause_role(x->c.cause);
		break;
	}
}

/* Rows of the causes pane. */
static size_t
causes_rows(const struct app *a)
{
	return a->snap != NULL ? a->snap->n_causes : 0;
}

/* Draw the causes pane. */
static void
causes_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	char title[96], extra[64];
	struct table t = {
		.title = title, .extra = extra, .cols = cause_cols,
		.n_cols = CC_COUNT, .n_rows = causes_rows(a), .cell = cause_cell,
		.sel = app_top_c(a)->sel[PANE_CAUSES],
		.empty = "no failures in this window",
	};

	snprintf(title, sizeof(title), "%s (%zu)", p->title, t.n_rows);
	snprintf(extra, sizeof(extra), "sort: %s",
	    sort_causes_name(a->sort_cause));
	table_draw(a, &t, y, x, h, w, focus);
}

/* Enter on a cause: its upstreams and failing requests. */
static int
causes_enter(struct app *a, size_t row)
{
	if (a->snap == NULL || row >= a->snap->n_causes || !app_push(a))
		return -1;
	app_top(a)->filter.cause = a->snap->causes[row].c.cause;
	return 0;
}

const struct panel causes_panel = {
	PANE_CAUSES, "Causes", true, causes_draw, causes_rows, causes_enter,
};

/* ---- failing requests ---- */

enum {
	FC_TIME, FC_CLIENT, FC_METHOD, FC_PATH, FC_STATUS, FC_ATT, FC_UP,
	FC_CAUSE, FC_COUNT
};

static const struct table_column failure_cols[FC_COUNT] = {
	[FC_TIME] = {"time", 8, 8, TEXT_LEFT, 100},
	[FC_CLIENT] = {"client", 13, 18, TEXT_LEFT, 50},
	[FC_METHOD] = {"method", 6, 7, TEXT_LEFT, 60},
	[FC_PATH] = {"path", 12, 0, TEXT_LEFT, 100},
	[FC_STATUS] = {"st", 3, 3, TEXT_RIGHT, 99},
	[FC_ATT] = {"att", 3, 3, TEXT_RIGHT, 70},
	[FC_UP] = {"upstream", 12, 22, TEXT_LEFT, 65},
	[FC_CAUSE] = {"cause", 14, 24, TEXT_LEFT, 90},
};

/* Fill one cell of the failing requests list. */
static void
failure_cell(const struct app *a, const void *ctx, size_t row, int col,
    int width, struct table_cell *c)
{
	const struct console_request *r = &a->snap->failures[row];

	(void)ctx;
	(void)width;
	switch (col) {
	case FC_TIME: text_time(c->text, sizeof(c->text), r->ts_ms, false);
		break;
	case FC_CLIENT:
		snprintf(c->text, sizeof(c->text), "%s", r->client ? r->client :
		    "-");
		break;
	case FC_METHOD:
		snprintf(c->text, sizeof(c->text), "%s", r->method ? r->method :
		    "-");
		break;
	case FC_PATH:
		snprintf(c->text, sizeof(c->text), "%s%s%s", r->path ? r->path :
		    "-", r->query ? "?" : "", r->query ? r->query : "");
		break;
	case FC_STATUS:
		snprintf(c->text, sizeof(c->text), "%03d", r->status);
		c->role = r->status >= 500 ? TH_FAILING : TH_NORMAL;
		break;
	case FC_ATT: snprintf(c->text, sizeof(c->text), "%d", r->n_attempts);
		break;
	case FC_UP:
		snprintf(c->text, sizeof(c->text), "%s", r->upstream ?
		    r->upstream : "-");
		break;
	case FC_CAUSE:
		snprintf(c->text, sizeof(c->text), "%s",
		    cause_name(r->cause));
		c->role = cause_role(r->cause);
		break;
	}
}

/* Rows of the failing requests pane. */
static size_t
failures_rows(const struct app *a)
{
	return a->snap != NULL ? a->snap->n_failures : 0;
}

/* Draw the failing requests, and the selected one's error-log line. */
static void
failures_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	char title[96], line[1100];
	size_t sel = app_top_c(a)->sel[PANE_FAILURES];
	struct table t = {
		.title = title, .extra = "Enter: details", .cols = failure_cols,
		.n_cols = FC_COUNT, .n_rows = failures_rows(a),
		.cell = failure_cell, .sel = sel,
		.empty = "no failing requests in this window",
	};
	const struct console_request *r;

	snprintf(title, sizeof(title), "Failing requests (latest %zu)",
	    t.n_rows);
	if (h < 5 || t.n_rows == 0) {
		table_draw(a, &t, y, x, h, w, focus);
		return;
	}
	table_draw(a, &t, y, x, h - 1, w, focus);
	if (sel >= t.n_rows)
		sel = t.n_rows - 1;
	r = &a->snap->failures[sel];
	snprintf(line, sizeof(line), "gateway: %s", r->error != NULL ?
	    r->error : "(no error-log line joined)");
	text_put(stdscr, y + h - 1, x, w, line, theme_attr(&a->theme,
	    r->error != NULL ? TH_GATEWAY : TH_DIM), a->theme.unicode,
	    TEXT_LEFT, true);
}

/* Enter on a request: show it whole. */
static int
failures_enter(struct app *a, size_t row)
{
	if (a->snap == NULL || row >= a->snap->n_failures || !app_push(a))
		return -1;
	app_top(a)->detail_id = a->snap->failures[row].id;
	return 0;
}

const struct panel failures_panel = {
	PANE_FAILURES, "Failing requests", true, failures_draw, failures_rows,
	failures_enter,
};

/* ---- one request ---- */

/* Draw "label: value" on line y; returns the next line. */
static int
detail_line(const struct app *a, int y, int x, int w, const char *label,
    const char *value, enum theme_role role)
{
	text_put(stdscr, y, x, 12, label, theme_attr(&a->theme, TH_COLUMNS),
	    a->theme.unicode, TEXT_LEFT, true);
	text_put(stdscr, y, x + 12, w - 12, value, theme_attr(&a->theme, role),
	    a->theme.unicode, TEXT_LEFT, true);
	return y + 1;
}

/* Draw a long value over as many lines as it needs, up to max lines. */
static int
detail_wrap(const struct app *a, int y, int x, int w, const char *label,
    const char *value, enum theme_role role, int max)
{
	char chunk[1024];
	size_t len = strlen(value), off = 0, per = w > 14 ? (size_t)(w - 14) : 1;

	for (int i = 0; i < max && (off < len || i == 0); i++) {
		size_t n = len - off < per ? len - off : per;

		/* Cut on bytes; the escaping keeps every piece safe. */
		memcpy(chunk, value + off, n < sizeof(chunk) ? n : sizeof(chunk) - 1);
		chunk[n < sizeof(chunk) ? n : sizeof(chunk) - 1] = '\0';
		y = detail_line(a, y, x, w, i == 0 ? label : "", chunk, role);
		off += n;
	}
	return y;
}

/* Draw the request of the level: its fields, attempts and error line. */
static void
detail_draw(const struct panel *p, const struct app *a, int y, int x,
    int h, int w, bool focus)
{
	const struct console_request *r;
	char buf[1200], t1[32], t2[32];
	int end = y + h, cy = y + 1;

	pane_title(a, y, x, w, "Request", "Backspace: back", focus);
	for (int i = 1; i < h; i++)
		mvhline(y + i, x, ' ', w);
	if (a->snap == NULL || a->snap->n_detail == 0) {
		text_put(stdscr, y + 1, x + 1, w - 1, "request not found",
		    theme_attr(&a->theme, TH_DIM), a->theme.unicode, TEXT_LEFT,
		    false);
		return;
	}
	r = &a->snap->detail[0];
	text_time(t1, sizeof(t1), r->ts_ms, true);
	snprintf(buf, sizeof(buf), "%s.%03dZ", t1, (int)(r->ts_ms % 1000));
	if (cy < end) cy = detail_line(a, cy, x, w, "time", buf, TH_NORMAL);
	snprintf(buf, sizeof(buf), "%s %s%s%s", r->method ? r->method : "-",
	    r->path ? r->path : "-", r->query ? "?" : "", r->query ? r->query :
	    "");
	if (cy < end) cy = detail_wrap(a, cy, x, w, "request", buf, TH_NORMAL,
	    end - cy > 6 ? 3 : 1);
	snprintf(buf, sizeof(buf), "%s  host %s", r->client ? r->client : "-",
	    r->host ? r->host : "-");
	if (cy < end) cy = detail_line(a, cy, x, w, "client", buf, TH_NORMAL);
	text_ms(t2, sizeof(t2), r->request_ms);
	snprintf(buf, sizeof(buf), "%03d in %s, cause %s (%s)", r->status, t2,
	    cause_name(r->cause),
	    cause_who_name(cause_who(r->cause)));
	if (cy < end) cy = detail_line(a, cy, x, w, "status", buf,
	    cause_role(r->cause));
	snprintf(buf, sizeof(buf), "%s", r->upstream ? r->upstream : "-");
	if (cy < end) cy = detail_line(a, cy, x, w, "upstream", buf, TH_NORMAL);
	snprintf(buf, sizeof(buf), "%s line %" PRId64, r->source ? r->source :
	    "-", r->line_no);
	if (cy < end) cy = detail_line(a, cy, x, w, "source", buf, TH_DIM);
	if (cy < end) cy = detail_wrap(a, cy, x, w, "gateway", r->error ?
	    r->error : "(no error-log line joined)", r->error ? TH_GATEWAY :
	    TH_DIM, end - cy > 8 ? 3 : 1);
	if (cy < end) {
		snprintf(buf, sizeof(buf), "attempts (%d)", r->n_attempts);
		text_put(stdscr, cy++, x, w, buf, theme_attr(&a->theme,
		    TH_COLUMNS), a->theme.unicode, TEXT_LEFT, true);
	}
	for (int i = 0; i < r->n_attempts && cy < end; i++) {
		const struct console_attempt *at = &r->attempts[i];
		char c1[16], c2[16], c3[16];

		text_ms(c1, sizeof(c1), at->connect_ms);
		text_ms(c2, sizeof(c2), at->header_ms);
		text_ms(c3, sizeof(c3), at->response_ms);
		if (at->status >= 0)
			snprintf(t1, sizeof(t1), "%03d", at->status);
		else
			snprintf(t1, sizeof(t1), "-");
		snprintf(buf, sizeof(buf), "%d. %s  %s  connect %s header %s "
		    "response %s  %s%s%s", i + 1, at->upstream ? at->upstream :
		    "-", t1, c1, c2, c3, cause_name(at->cause),
		    at->error ? ": " : "", at->error ? at->error : "");
		text_put(stdscr, cy++, x + 2, w - 2, buf, theme_attr(&a->theme,
		    cause_role(at->cause)), a->theme.unicode, TEXT_LEFT, true);
	}
	(void)p;
}

/* The request view has no rows to select. */
static size_t
detail_rows(const struct app *a)
{
	(void)a;
	return 0;
}

/* Nothing below a request. */
static int
detail_enter(struct app *a, size_t row)
{
	(void)a;
	(void)row;
	return -1;
}

const struct panel detail_panel = {
	PANE_DETAIL, "Request", true, detail_draw, detail_rows, detail_enter,
};
