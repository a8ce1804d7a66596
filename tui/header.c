/*
 * header.c - the lines above the panes (window, totals, sources, where
 * the drill-down is) and the footer (keys, or the `/` prompt); and the
 * title bar every pane starts with.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tui/app.h"
#include "core/cause.h"
#include "tui/text.h"

#define HEADER_LINES 4

/* See app.h. */
int
header_height(void)
{
	return HEADER_LINES;
}

/* See app.h. */
void
pane_title(const struct app *a, int y, int x, int w, const char *title,
    const char *extra, bool focus)
{
	attr_t at = theme_attr(&a->theme, focus ? TH_TITLE_FOCUS : TH_TITLE);
	int used;

	mvhline(y, x, ' ' | at, w);
	used = text_put(stdscr, y, x + 1, w - 1, title, at, a->theme.unicode,
	    TEXT_LEFT, false);
	if (extra != NULL && w - used - 4 > (int)strlen(extra))
		text_put(stdscr, y, x + w - 1 - (int)strlen(extra),
		    (int)strlen(extra), extra, at, a->theme.unicode, TEXT_LEFT,
		    false);
}

/* "3s", "5m", "2h", "4d" ago. */
static void
header_age(char *buf, size_t size, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 60000)
		snprintf(buf, size, "%" PRId64 "s", ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, size, "%" PRId64 "m", ms / 60000);
	else if (ms < 86400000)
		snprintf(buf, size, "%" PRId64 "h", ms / 3600000);
	else
		snprintf(buf, size, "%" PRId64 "d", ms / 86400000);
}

/* Line 1: the window and the console's own state. */
static void
header_window(const struct app *a, int y, int w)
{
	const struct snapshot *s = a->snap;
	const struct theme *t = &a->theme;
	char buf[256], t0[32], t1[32], now[32];
	int left;

	text_time(now, sizeof(now), s->built_ms, false);
	if (s->spec.window == WINDOW_ALL) {
		if (s->last_ms >= 0) {
			text_time(t0, sizeof(t0), s->first_ms, true);
			text_time(t1, sizeof(t1), s->last_ms, true);
		} else
			snprintf(t0, sizeof(t0), "-"), snprintf(t1, sizeof(t1), "-");
		snprintf(buf, sizeof(buf), "gatewatch top  window all (%s - %sZ)",
		    t0, t1);
	} else {
		text_time(t0, sizeof(t0), s->since_ms, s->anchored);
		text_time(t1, sizeof(t1), s->until_ms, false);
		snprintf(buf, sizeof(buf), "gatewatch top  window %s (%s - %sZ)%s",
		    window_name(s->spec.window), t0, t1, s->anchored ?
		    " at the end of the data" : "");
	}
	/* Part of the window pruned: its tables are rollups, its lists not. */
	if (s->raw_pruned_ms != INT64_MIN && s->last_ms >= 0 &&
	    (s->spec.window == WINDOW_ALL ? s->first_ms : s->since_ms) <
	    s->raw_pruned_ms) {
		size_t len = strlen(buf);

		text_time(t0, sizeof(t0), s->raw_pruned_ms, true);
		snprintf(buf + len, sizeof(buf) - len, "  raw rows before %sZ "
		    "pruned: figures from rollups", t0);
	}
	mvhline(y, 0, ' ' | theme_attr(t, TH_HEADER), w);
	text_put(stdscr, y, 0, w, buf, theme_attr(t, TH_HEADER), t->unicode,
	    TEXT_LEFT, false);
	left = text_width(buf, t->unicode);
	snprintf(buf, sizeof(buf), "%s%s %.0fms  %sZ", a->paused ? "PAUSED  " :
	    "", "refresh", a->refresh_cost_ms, now);
	if ((int)strlen(buf) + 2 < w - text_width(buf, t->unicode) - 40 &&
	    left + 2 + (int)strlen(buf) <= w)
		text_put(stdscr, y, w - (int)strlen(buf), (int)strlen(buf), buf,
		    theme_attr(t, a->paused ? TH_DEGRADED : TH_HEADER),
		    t->unicode, TEXT_LEFT, false);
}

/* Line 2: the totals. */
static void
header_totals(const struct app *a, int y, int w)
{
	const struct snapshot *s = a->snap;
	const struct console_counts *c = &s->totals;
	char buf[512], rate[16], last[32], age[16];
	int x;

	text_percent(rate, sizeof(rate), c->errors_5xx, c->requests);
	if (s->last_ms >= 0) {
		text_time(last, sizeof(last), s->last_ms, false);
		header_age(age, sizeof(age), s->built_ms - s->last_ms);
	} else {
		snprintf(last, sizeof(last), "-");
		snprintf(age, sizeof(age), "-");
	}
	snprintf(buf, sizeof(buf), "requests %" PRId64 "  req/s %.1f  5xx %"
	    PRId64 " (%s)", c->requests, s->req_per_s, c->errors_5xx, rate);
	x = text_put(stdscr, y, 0, w, buf, theme_attr(&a->theme,
	    c->errors_5xx ? TH_FAILING : TH_OK), a->theme.unicode, TEXT_LEFT,
	    false);
	snprintf(buf, sizeof(buf), "  upstream %" PRId64 " gateway %" PRId64
	    "  fail.att %" PRId64 "  last %sZ (%s ago)",
	    c->errors_5xx - c->gateway_5xx, c->gateway_5xx, c->failed_attempts,
	    last, age);
	text_put(stdscr, y, x, w - x, buf, theme_attr(&a->theme, TH_NORMAL),
	    a->theme.unicode, TEXT_LEFT, false);
}

/* Line 3: the sources and their state. */
static void
header_sources(const struct app *a, int y, int w)
{
	const struct snapshot *s = a->snap;
	char buf[1024];
	size_t o = 0;

	o += (size_t)snprintf(buf, sizeof(buf), "sources:");
	if (s->n_sources == 0)
		snprintf(buf + o, sizeof(buf) - o, " none");
	for (size_t i = 0; i < s->n_sources && o < sizeof(buf) - 1; i++) {
		const struct snap_source *x = &s->sources[i];
		const char *base = x->src.path != NULL ? strrchr(x->src.path, '/') :
		    NULL;

		base = base != NULL ? base + 1 : x->src.path != NULL ?
		    x->src.path : "-";
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s %s", base,
		    x->state);
		if (x->src.dropped >= 0 && o < sizeof(buf) - 1)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    " (drops %" PRId64 ")", x->src.dropped);
		/* gateway-host mode: the failed client requests tied to an
		 * upstream per gateway port, the untied ones apart */
		for (int p = 0; p < x->src.n_ports && o < sizeof(buf) - 1;
		    p++) {
			const struct console_port *cp = &x->src.ports[p];

			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    " [:%d tied %.1f%%, %" PRId64 " untied]", cp->port,
			    cp->failed > 0 ? 100.0 * (double)cp->failed_tied /
			    (double)cp->failed : 100.0,
			    cp->failed - cp->failed_tied);
		}
		if (i + 1 < s->n_sources && o < sizeof(buf) - 1)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, ",");
	}
	text_put(stdscr, y, 0, w, buf, theme_attr(&a->theme, TH_DIM),
	    a->theme.unicode, TEXT_LEFT, false);
}

/* Line 4: where we are, or the last message. */
static void
header_where(const struct app *a, int y, int w)
{
	char buf[1024], f[600];
	const struct app_level *l = app_top_c(a);

	if (a->message[0] != '\0') {
		text_put(stdscr, y, 0, w, a->message, theme_attr(&a->theme,
		    TH_DEGRADED), a->theme.unicode, TEXT_LEFT, false);
		return;
	}
	app_filter_text(&l->filter, f, sizeof(f));
	snprintf(buf, sizeof(buf), "view: %s%s%s%s%s",
	    l->view != DIAG_VIEW_OVERVIEW ? diag_view_name(l->view) : "",
	    l->view != DIAG_VIEW_OVERVIEW ? " " : "",
	    f[0] ? f : l->view == DIAG_VIEW_OVERVIEW ? "all upstreams" :
	    "(all upstreams)", l->detail_id > 0 ? " > request" : "",
	    a->depth > 1 ? "   (Backspace: back)" :
	    "   (Enter: drill in, v: views, ?: help)");
	text_put(stdscr, y, 0, w, buf, theme_attr(&a->theme, TH_HEADER),
	    a->theme.unicode, TEXT_LEFT, false);
}

/* See app.h. */
void
header_draw(const struct app *a, int y, int w)
{
	for (int i = 0; i < HEADER_LINES; i++)
		mvhline(y + i, 0, ' ', w);
	if (a->snap == NULL) {
		text_put(stdscr, y, 0, w, "gatewatch top: reading...",
		    theme_attr(&a->theme, TH_HEADER), a->theme.unicode,
		    TEXT_LEFT, false);
		return;
	}
	header_window(a, y, w);
	header_totals(a, y + 1, w);
	header_sources(a, y + 2, w);
	header_where(a, y + 3, w);
}

/* See app.h. */
void
footer_draw(const struct app *a, int y, int w)
{
	static const struct {
		const char *key, *what;
	} keys[] = {
		{"?", "help"}, {"q", "quit"}, {"jk", "move"}, {"Tab", "pane"},
		{"Enter", "drill"}, {"Bksp", "back"}, {"/", "filter"},
		{"v", "view"}, {"e", "explain"}, {"s", "sort"}, {"w", "window"},
		{"p", "pause"}, {"r", "refresh"},
	};
	const struct theme *t = &a->theme;
	char buf[400];
	int x = 0;

	mvhline(y, 0, ' ', w);
	if (a->prompt) {
		snprintf(buf, sizeof(buf), "filter (upstream= cause= status= "
		    "path=, Enter apply, Esc cancel): %s_", a->prompt_text);
		text_put(stdscr, y, 0, w, buf, theme_attr(t, TH_HEADER),
		    t->unicode, TEXT_LEFT, true);
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && x < w; i++) {
		x += text_put(stdscr, y, x, w - x, keys[i].key,
		    theme_attr(t, TH_KEY), t->unicode, TEXT_LEFT, false);
		if (x < w)
			x += text_put(stdscr, y, x, w - x, keys[i].what,
			    theme_attr(t, TH_NORMAL), t->unicode, TEXT_LEFT,
			    false);
		x++;
	}
}
