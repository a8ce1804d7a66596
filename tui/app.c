/*
 * app.c - the console's main loop: refresh, draw, keys.
 *
 * One thread, one loop: wait for a key at most until the next refresh is
 * due (getch with a timeout), handle it by changing state only, then
 * refresh the model if it is due, then draw if anything changed. A refresh
 * is due every --refresh seconds, but is skipped when nobody wrote to the
 * database since the last one (PRAGMA data_version) and the window has
 * not moved, so a console on an idle database costs next to nothing; a
 * full refresh is forced every APP_FULL_REFRESH_MS regardless (source
 * states age). A terminal resize arrives as KEY_RESIZE and just redraws.
 *
 * The diagnosis views (shapes, breaker, retries, explain) need heavier
 * reads than a refresh: their model (diagnosis.h) is built apart, only
 * while such a view is on top - when it opens, on `r`, when the window or
 * upstream changes, and otherwise at most every APP_DIAG_REFRESH_MS (or 20
 * times its own cost, if more) while data arrives. A build runs on a
 * thread of its own with its own connection (diag_worker.h): the loop only
 * asks for it and, while one runs, looks for its result every
 * APP_DIAG_POLL_MS between keys, so keys, resizes and refreshes of the
 * overview go on meanwhile. A newer request (another view, upstream or
 * window) supersedes a running build; quitting abandons it. Until the
 * model of the view on top arrives its panes say "computing"; drawing
 * never builds.
 *
 * The one global is the flag SIGINT/SIGTERM set; the loop sees it within
 * a timeout and leaves through the same path as `q`, restoring the
 * terminal.
 */
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "tui/app.h"
#include "tui/diag_worker.h"
#include "core/safe.h"
#include "tui/text.h"

#define APP_FULL_REFRESH_MS 15000
#define APP_DIAG_REFRESH_MS 60000
#define APP_DIAG_POLL_MS 50
#define APP_MIN_COLS 40
#define APP_MIN_LINES 12

/* A lock-free atomic: a signal may land on any thread of the process. */
static atomic_int app_stop;

/* Note that the user or the system asked us to stop. */
static void
app_on_signal(int sig)
{
	(void)sig;
	atomic_store(&app_stop, 1);
}

/* See tui.h. */
void
tui_config_default(struct tui_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->window = WINDOW_1H;
	cfg->refresh_s = 2.0;
	cfg->thresholds.degraded = 0.01;
	cfg->thresholds.failing = 0.10;
}

/* See app.h. */
struct app_level *
app_top(struct app *a)
{
	return &a->stack[a->depth - 1];
}

/* See app.h. */
const struct app_level *
app_top_c(const struct app *a)
{
	return &a->stack[a->depth - 1];
}

/* See app.h. */
const struct diagnosis *
app_diag(const struct app *a, enum diag_view v)
{
	const struct app_level *l = app_top_c(a);
	const struct diagnosis *d = a->diag;

	if (d == NULL || d->spec.view != v || l->view != v)
		return NULL;
	if (strcmp(d->spec.upstream, l->filter.upstream) != 0)
		return NULL;
	return d;
}

/* See app.h. */
int
app_push_explain(struct app *a, const char *name)
{
	if (name == NULL || !app_push(a))
		return -1;
	snprintf(app_top(a)->filter.upstream,
	    sizeof(app_top(a)->filter.upstream), "%s", name);
	app_top(a)->view = DIAG_VIEW_EXPLAIN;
	app_top(a)->detail_id = 0;
	a->need_diag = true;
	return 0;
}

/* See app.h. */
int
app_push_request(struct app *a, int64_t id)
{
	if (id <= 0 || !app_push(a))
		return -1;
	app_top(a)->detail_id = id;
	return 0;
}

/* The pane that has the focus at the top level, or PANE_COUNT. */
static enum pane_id
app_focused(const struct app *a)
{
	enum pane_id panes[PANE_COUNT];
	int n = app_layout(app_top_c(a), panes, PANE_COUNT);
	int f = app_top_c(a)->focus;

	if (n == 0)
		return PANE_COUNT;
	if (f >= n)
		f = n - 1;
	return panes[f];
}

/* See app.h. */
const char *
app_selected_upstream(const struct app *a)
{
	const struct app_level *l = app_top_c(a);
	const struct diagnosis *d;
	size_t sel;

	switch (app_focused(a)) {
	case PANE_UPSTREAMS:
		sel = l->sel[PANE_UPSTREAMS];
		if (a->snap != NULL && sel < a->snap->n_upstreams)
			return a->snap->upstreams[sel].u.name;
		break;
	case PANE_SHAPES:
		sel = l->sel[PANE_SHAPES];
		if ((d = app_diag(a, DIAG_VIEW_SHAPES)) != NULL &&
		    sel < d->n_shapes)
			return d->shapes[sel].upstream;
		break;
	case PANE_BREAKER:
		sel = l->sel[PANE_BREAKER];
		if ((d = app_diag(a, DIAG_VIEW_BREAKER)) != NULL &&
		    sel < d->n_breakers)
			return d->breakers[sel].name;
		break;
	case PANE_RETRIES:
		sel = l->sel[PANE_RETRIES];
		if ((d = app_diag(a, DIAG_VIEW_RETRIES)) != NULL &&
		    sel < d->retries.n_groups)
			return d->retries.groups[sel].first_upstream;
		break;
	case PANE_DETAIL:
		if (a->snap != NULL && a->snap->n_detail > 0)
			return a->snap->detail[0].upstream;
		break;
	default:
		break;
	}
	return l->filter.upstream[0] != '\0' ? l->filter.upstream : NULL;
}

/* The key of the selected row of a pane, to find it again after a refresh. */
struct app_selection {
	char upstream[256];
	enum gw_cause cause;
	int64_t request;
};

/* Remember the selected rows of the top level. */
static void
app_remember(const struct app *a, struct app_selection *m)
{
	const struct app_level *l = app_top_c(a);
	const struct snapshot *s = a->snap;

	memset(m, 0, sizeof(*m));
	m->cause = GW_CAUSE_ANY;
	if (s == NULL)
		return;
	if (l->sel[PANE_UPSTREAMS] < s->n_upstreams)
		snprintf(m->upstream, sizeof(m->upstream), "%s",
		    s->upstreams[l->sel[PANE_UPSTREAMS]].u.name);
	if (l->sel[PANE_CAUSES] < s->n_causes)
		m->cause = s->causes[l->sel[PANE_CAUSES]].c.cause;
	if (l->sel[PANE_FAILURES] < s->n_failures)
		m->request = s->failures[l->sel[PANE_FAILURES]].id;
}

/* Select the remembered rows again (they may have moved), else clamp. */
static void
app_restore(struct app *a, const struct app_selection *m)
{
	struct app_level *l = app_top(a);
	const struct snapshot *s = a->snap;

	for (size_t i = 0; i < s->n_upstreams; i++)
		if (strcmp(s->upstreams[i].u.name, m->upstream) == 0)
			l->sel[PANE_UPSTREAMS] = i;
	for (size_t i = 0; i < s->n_causes; i++)
		if (s->causes[i].c.cause == m->cause)
			l->sel[PANE_CAUSES] = i;
	for (size_t i = 0; i < s->n_failures; i++)
		if (s->failures[i].id == m->request)
			l->sel[PANE_FAILURES] = i;
	for (int p = 0; p < PANE_COUNT; p++) {
		size_t n = panel_get((enum pane_id)p)->rows(a);

		if (l->sel[p] >= n)
			l->sel[p] = n > 0 ? n - 1 : 0;
	}
}

/* Build a new snapshot for the top level; keep the old one on failure. */
static void
app_refresh(struct app *a)
{
	const struct app_level *l = app_top_c(a);
	enum pane_id panes[PANE_COUNT];
	struct snapshot_spec spec;
	struct app_selection sel;
	struct snapshot *s;
	char err[256];
	double t0 = clk_mono_secs() * 1000.0;
	int n = app_layout(l, panes, PANE_COUNT);

	memset(&spec, 0, sizeof(spec));
	spec.window = a->window;
	spec.filter = l->filter;
	for (int i = 0; i < n; i++) {
		spec.upstreams |= panes[i] == PANE_UPSTREAMS;
		spec.causes |= panes[i] == PANE_CAUSES;
		spec.failures |= panes[i] == PANE_FAILURES;
	}
	spec.chart_by = a->chart_by;
	spec.failures_limit = APP_FAILURES_MAX;
	spec.detail_id = l->detail_id;
	spec.thresholds = a->cfg.thresholds;
	spec.now_ms = clk_wall_ms();
	a->data_version = console_data_version(a->console);
	if (snapshot_build(a->console, &spec, &s, err, sizeof(err)) != 0) {
		snprintf(a->message, sizeof(a->message), "refresh failed: %s",
		    err);
		a->need_draw = true;
		return;
	}
	app_remember(a, &sel);
	snapshot_sort_upstreams(s, a->sort_up);
	snapshot_sort_causes(s, a->sort_cause);
	snapshot_free(a->snap);
	a->snap = s;
	app_restore(a, &sel);
	a->refreshed_ms = spec.now_ms;
	a->refresh_cost_ms = clk_mono_secs() * 1000.0 - t0;
	a->need_refresh = false;
	a->need_draw = true;
}

/* True when a periodic refresh would show something new. */
static bool
app_refresh_due(struct app *a, int64_t now)
{
	if (a->need_refresh || a->snap == NULL)
		return true;
	if (a->paused || now - a->refreshed_ms < (int64_t)(a->cfg.refresh_s *
	    1000))
		return false;
	if (now - a->refreshed_ms >= APP_FULL_REFRESH_MS)
		return true;
	if (now / 60000 != a->refreshed_ms / 60000)
		return true;	/* the window moved */
	return console_data_version(a->console) != a->data_version;
}

/*
 * What the top level's diagnosis view needs built, from the snapshot's
 * window; false when the level shows no diagnosis view.
 */
static bool
app_diag_spec(const struct app *a, struct diagnosis_spec *sp)
{
	const struct app_level *l = app_top_c(a);

	if (l->detail_id > 0 || l->view == DIAG_VIEW_OVERVIEW || a->snap == NULL)
		return false;
	memset(sp, 0, sizeof(*sp));
	sp->view = l->view;
	sp->since_ms = a->snap->since_ms;
	sp->until_ms = a->snap->until_ms;
	snprintf(sp->upstream, sizeof(sp->upstream), "%s", l->filter.upstream);
	return true;
}

/* True when the diagnosis view on top should be built now. */
static bool
app_diag_due(struct app *a, const struct diagnosis_spec *sp, int64_t now)
{
	const struct diagnosis_spec *t = &a->diag_tried;
	int64_t period = APP_DIAG_REFRESH_MS;

	if (a->need_diag || a->diag_built_ms == 0)
		return true;
	if (t->view != sp->view || strcmp(t->upstream, sp->upstream) != 0 ||
	    a->diag_window != a->window)
		return true;	/* another view, upstream or window */
	if (a->paused || a->diag_busy)
		return false;	/* a build of this view is on its way */
	if (a->diag != NULL && a->diag->cost_ms * 20 > (double)period)
		period = (int64_t)(a->diag->cost_ms * 20);
	if (now - a->diag_built_ms < period)
		return false;
	return !diagnosis_matches(a->diag, sp) ||
	    console_data_version(a->console) != a->diag_data_version;
}

/*
 * Ask the worker for the diagnosis model of sp (superseding a build asked
 * before). A model of another window is dropped now, so the view says
 * "computing" rather than show the old window's figures; one of the same
 * window stays on screen until the new one arrives.
 */
static void
app_diag_request(struct app *a, const struct diagnosis_spec *sp)
{
	if (a->diag_window != a->window) {
		diagnosis_free(a->diag);
		a->diag = NULL;
	}
	a->diag_tried = *sp;
	a->diag_window = a->window;
	a->diag_built_ms = clk_wall_ms();
	a->diag_data_version = console_data_version(a->console);
	a->need_diag = false;
	a->diag_busy = true;
	a->need_draw = true;
	diag_worker_request(a->worker, sp);
}

/* Take the model the worker finished, if any; on failure keep the message. */
static void
app_diag_collect(struct app *a)
{
	struct diagnosis *d;
	char err[256];

	if (!a->diag_busy || diag_worker_take(a->worker, &d, err,
	    sizeof(err)) == 0)
		return;
	a->diag_busy = false;
	a->need_draw = true;
	diagnosis_free(a->diag);
	a->diag = d;
	if (d == NULL) {
		snprintf(a->diag_error, sizeof(a->diag_error), "%s", err);
		return;
	}
	a->diag_error[0] = '\0';
	/* Keep the selections in range of the new rows. */
	for (int p = PANE_SHAPES; p <= PANE_EXPLAIN; p++) {
		size_t n = panel_get((enum pane_id)p)->rows(a);
		size_t *sel = &app_top(a)->sel[p];

		if (*sel >= n)
			*sel = n > 0 ? n - 1 : 0;
	}
}

/* Draw everything from the state and the snapshot. */
static void
app_draw(const struct app *a)
{
	enum pane_id panes[PANE_COUNT];
	int n, y, avail, chart_h = 0, tables = 0, i;
	int focus_pane;

	erase();
	if (COLS < APP_MIN_COLS || LINES < APP_MIN_LINES) {
		mvaddstr(0, 0, "terminal too small");
		refresh();
		return;
	}
	if (a->help) {
		help_draw(a, LINES, COLS);
		refresh();
		return;
	}
	header_draw(a, 0, COLS);
	footer_draw(a, LINES - 1, COLS);
	if (a->snap == NULL) {
		refresh();
		return;
	}
	y = header_height();
	avail = LINES - y - 1;
	n = app_layout(app_top_c(a), panes, PANE_COUNT);
	for (i = 0; i < n; i++)
		if (panes[i] != PANE_CHART)
			tables++;
	focus_pane = app_top_c(a)->focus < n ? app_top_c(a)->focus : n - 1;
	if (panes[n - 1] == PANE_CHART) {
		chart_h = avail / 3;
		if (chart_h > 4 + SNAPSHOT_LINES)
			chart_h = 4 + SNAPSHOT_LINES;
		if (chart_h < 4)
			chart_h = avail >= 14 ? 4 : 0;
		if (tables == 0)
			chart_h = avail;
	}
	for (i = 0; i < n; i++) {
		const struct panel *p = panel_get(panes[i]);
		int h;

		if (panes[i] == PANE_CHART)
			h = chart_h;
		else {
			int left = avail - chart_h;

			h = left / tables + (i == 0 ? left % tables : 0);
		}
		if (h > 0)
			p->draw(p, a, y, 0, h, COLS, i == focus_pane);
		y += h;
	}
	refresh();
}

/* Rows of a page of the focused pane, for PgUp/PgDn. */
static size_t
app_page(void)
{
	return LINES > 20 ? (size_t)(LINES / 3) : 5;
}

/* Move the selection of the focused pane by delta rows (clamped). */
static void
app_move(struct app *a, long delta)
{
	enum pane_id p = app_focused(a);
	size_t n, *sel;

	if (p == PANE_COUNT)
		return;
	n = panel_get(p)->rows(a);
	sel = &app_top(a)->sel[p];
	if (n == 0) {
		*sel = 0;
		return;
	}
	if (delta < 0 && (size_t)-delta > *sel)
		*sel = 0;
	else if (delta > 0 && *sel + (size_t)delta >= n)
		*sel = n - 1;
	else
		*sel = (size_t)((long)*sel + delta);
}

/* Move the focus to the next (dir 1) or previous focusable pane. */
static void
app_cycle_focus(struct app *a, int dir)
{
	enum pane_id panes[PANE_COUNT];
	int n = app_layout(app_top_c(a), panes, PANE_COUNT);
	struct app_level *l = app_top(a);

	for (int k = 0; k < n; k++) {
		l->focus = (l->focus + dir + n) % n;
		if (panel_get(panes[l->focus])->focusable)
			return;
	}
}

/* Pop one level; the level below is refreshed. */
static void
app_back(struct app *a)
{
	if (a->depth <= 1)
		return;
	a->depth--;
	a->need_refresh = true;
}

/* Apply the `/` prompt's text as a new level. */
static void
app_apply_filter(struct app *a)
{
	struct view_filter f = app_top_c(a)->filter;
	char msg[128];

	a->prompt = false;
	if (a->prompt_len == 0)
		return;
	if (app_filter_parse(a->prompt_text, &f, msg, sizeof(msg)) != 0) {
		snprintf(a->message, sizeof(a->message), "%s", msg);
		return;
	}
	if (!app_push(a)) {
		snprintf(a->message, sizeof(a->message), "too many levels");
		return;
	}
	app_top(a)->filter = f;
	app_top(a)->detail_id = 0;
	a->need_refresh = true;
}

/* A key while the `/` prompt is open. */
static void
app_prompt_key(struct app *a, int ch)
{
	switch (ch) {
	case '\n': case '\r': case KEY_ENTER:
		app_apply_filter(a);
		break;
	case 27:
		a->prompt = false;
		break;
	case KEY_BACKSPACE: case 127: case 8:
		if (a->prompt_len > 0)
			a->prompt_text[--a->prompt_len] = '\0';
		break;
	default:
		if (ch >= 0x20 && ch < 0x7f &&
		    a->prompt_len + 1 < sizeof(a->prompt_text)) {
			a->prompt_text[a->prompt_len++] = (char)ch;
			a->prompt_text[a->prompt_len] = '\0';
		}
		break;
	}
}

/* Cycle the sort key of the focused table; re-sort the model. */
static void
app_sort(struct app *a)
{
	enum pane_id p = app_focused(a);
	struct app_selection sel;

	app_remember(a, &sel);
	if (p == PANE_UPSTREAMS)
		a->sort_up = (a->sort_up + 1) % SORT_UP_COUNT;
	else if (p == PANE_CAUSES)
		a->sort_cause = (a->sort_cause + 1) % SORT_CAUSE_COUNT;
	else
		return;
	if (a->snap != NULL) {
		snapshot_sort_upstreams(a->snap, a->sort_up);
		snapshot_sort_causes(a->snap, a->sort_cause);
		app_restore(a, &sel);
	}
}

/*
 * Show view v at the current level: first back out of a request or an
 * explanation shown over it, so the view applies to what was being looked
 * at (with its filter).
 */
static void
app_set_view(struct app *a, enum diag_view v)
{
	while (a->depth > 1 && (app_top_c(a)->detail_id > 0 ||
	    app_top_c(a)->view == DIAG_VIEW_EXPLAIN))
		a->depth--;
	if (app_top_c(a)->detail_id > 0 || app_top_c(a)->view ==
	    DIAG_VIEW_EXPLAIN) {
		app_top(a)->detail_id = 0;
		app_top(a)->filter.upstream[0] = '\0';
	}
	app_top(a)->view = v;
	app_top(a)->focus = 0;
	a->need_refresh = true;
}

/*
 * True when the terminal is gone (hung up, closed): getch then fails at
 * once, every time, and the loop would spin instead of waiting for keys.
 */
static bool
app_terminal_gone(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	if (poll(&p, 1, 0) < 0)
		return false;
	return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* Handle one key: change state, set need_refresh / need_draw. */
static void
app_key(struct app *a, int ch)
{
	enum pane_id p;

	if (ch == ERR)
		return;
	a->need_draw = true;
	if (ch == KEY_RESIZE)
		return;
	a->message[0] = '\0';
	if (a->prompt) {
		app_prompt_key(a, ch);
		return;
	}
	if (a->help) {
		a->help = false;
		return;
	}
	switch (ch) {
	case 'q': case 'Q': a->quit = true; break;
	case '?': case KEY_F(1): a->help = true; break;
	case KEY_UP: case 'k': app_move(a, -1); break;
	case KEY_DOWN: case 'j': app_move(a, 1); break;
	case KEY_PPAGE: app_move(a, -(long)app_page()); break;
	case KEY_NPAGE: case ' ': app_move(a, (long)app_page()); break;
	case KEY_HOME: case 'g': app_move(a, -1000000); break;
	case KEY_END: case 'G': app_move(a, 1000000); break;
	case '\t': app_cycle_focus(a, 1); break;
	case KEY_BTAB: app_cycle_focus(a, -1); break;
	case '\n': case '\r': case KEY_ENTER: case KEY_RIGHT: case 'l':
		p = app_focused(a);
		if (p != PANE_COUNT && panel_get(p)->enter(a,
		    app_top_c(a)->sel[p]) == 0)
			a->need_refresh = true;
		break;
	case KEY_BACKSPACE: case 127: case 8: case KEY_LEFT: case 'h': case 27:
		app_back(a);
		break;
	case '/':
		a->prompt = true;
		a->prompt_len = 0;
		a->prompt_text[0] = '\0';
		break;
	case 's': app_sort(a); break;
	case 'v':
		app_set_view(a, (app_top_c(a)->view + 1) % DIAG_VIEW_EXPLAIN);
		break;
	case '1': case '2': case '3': case '4':
		app_set_view(a, (enum diag_view)(ch - '1'));
		break;
	case 'e':
		if (app_push_explain(a, app_selected_upstream(a)) != 0)
			snprintf(a->message, sizeof(a->message), "e: select an "
			    "upstream to explain (a row of Upstreams, Breaker, "
			    "Retries or Shapes)");
		else
			a->need_refresh = true;
		break;
	case 'w':
		a->window = (a->window + 1) % WINDOW_COUNT;
		a->need_refresh = true;
		break;
	case 'c':
		a->chart_by = a->chart_by == CONSOLE_SPLIT_CAUSE ?
		    CONSOLE_SPLIT_STATUS : a->chart_by == CONSOLE_SPLIT_STATUS ?
		    CONSOLE_SPLIT_UPSTREAM : CONSOLE_SPLIT_CAUSE;
		a->need_refresh = true;
		break;
	case 'p':
		a->paused = !a->paused;
		if (!a->paused)
			a->need_refresh = true;
		break;
	case 'r':
		a->need_refresh = true;
		a->need_diag = true;
		break;
	default:
		a->need_draw = false;
		break;
	}
}

/* The window to start with: the configured one, else 1h or all. */
static enum window_id
app_first_window(struct app *a)
{
	int64_t first, last;
	char err[256];

	if (a->cfg.window_given)
		return a->cfg.window;
	if (console_begin(a->console, err, sizeof(err)) != 0)
		return WINDOW_1H;
	if (console_time_span(a->console, &first, &last, err,
	    sizeof(err)) != 0)
		last = -1;
	console_end(a->console);
	if (last >= 0 && last < clk_wall_ms() - 3600000)
		return WINDOW_ALL;
	return WINDOW_1H;
}

/* Milliseconds getch may wait: until the next refresh check. */
static int
app_wait_ms(const struct app *a)
{
	int64_t due = a->refreshed_ms + (int64_t)(a->cfg.refresh_s * 1000) -
	    clk_wall_ms();

	if (a->diag_busy)
		return APP_DIAG_POLL_MS;	/* to show the model soon */
	if (a->paused)
		return 1000;
	if (due < 50)
		due = 50;
	if (due > 1000)
		due = 1000;
	return (int)due;
}

/* See tui.h. */
int
tui_run(struct store *s, const struct tui_config *cfg, char *err,
    size_t errlen)
{
	struct sigaction sa, old_int, old_term, old_hup;
	struct app *a = gw_calloc(1, sizeof(*a));
	SCREEN *screen;
	const char *term = getenv("TERM");

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (console_new(s, &a->console, err, errlen) != 0) {
		free(a);
		return -1;
	}
	if (diag_worker_new_on(s, cfg->worker_store, NULL, NULL,
	    &a->worker, err, errlen) != 0) {
		console_free(a->console);
		free(a);
		return -1;
	}
	a->cfg = *cfg;
	a->store = s;
	if (a->cfg.refresh_s < 0.1)
		a->cfg.refresh_s = 0.1;
	a->depth = 1;
	a->stack[0].filter.cause = GW_CAUSE_ANY;
	a->stack[0].filter.status = -1;
	a->chart_by = CONSOLE_SPLIT_CAUSE;
	a->window = app_first_window(a);
	a->need_refresh = true;

	/*
	 * newterm, not initscr: initscr exits the process when the terminal
	 * is unknown, which would kill a `tail --tui` or `capture --tui`
	 * worker mid-batch and print to where stderr was sent meanwhile.
	 */
	if ((screen = newterm(NULL, stdout, stdin)) == NULL) {
		char safe_term[64];

		safe_text(safe_term, sizeof(safe_term), term != NULL ? term : "",
		    term != NULL ? strlen(term) : 0);
		snprintf(err, errlen, "cannot start the terminal (TERM=%s)",
		    safe_term);
		diag_worker_free(a->worker);
		console_free(a->console);
		free(a);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);	/* the terminal went away */
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	theme_init(&a->theme, cfg->no_color);

	while (!a->quit && atomic_load(&app_stop) == 0) {
		struct diagnosis_spec sp;

		if (app_refresh_due(a, clk_wall_ms()))
			app_refresh(a);
		app_diag_collect(a);
		if (app_diag_spec(a, &sp) && app_diag_due(a, &sp,
		    clk_wall_ms()))
			app_diag_request(a, &sp);
		if (a->need_draw) {
			app_draw(a);
			a->need_draw = false;
		}
		timeout(app_wait_ms(a));
		int ch = getch();
		if (ch == ERR && app_terminal_gone())
			break;
		app_key(a, ch);
	}
	/* A build still running is cut short: quitting does not wait it out. */
	diag_worker_free(a->worker);
	endwin();
	delscreen(screen);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	snapshot_free(a->snap);
	diagnosis_free(a->diag);
	console_free(a->console);
	free(a);
	return 0;
}
