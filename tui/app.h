/*
 * app.h - the console's state and its widgets, shared by the files of
 * tui/; nobody outside tui/ includes it.
 *
 * The state is a stack of levels: the overview at the bottom, one level
 * per drill-down or filter (Enter, `/`), popped by Backspace. Each level
 * says what is filtered and which row of each pane is selected. The
 * panes of a level follow from its filter and its view - the overview, or
 * one of the diagnosis views (diagnosis.h) - (panes.c: app_layout). Widgets
 * are struct panel: a draw function that reads the snapshot and the
 * state, and an enter function that drills in from a row - key handling
 * changes state only, drawing changes nothing.
 */
#ifndef GW_TUI_APP_H
#define GW_TUI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "store/console.h"
#include "tui/diagnosis.h"
#include "tui/snapshot.h"
#include "tui/theme.h"
#include "tui/tui.h"

enum pane_id {
	PANE_UPSTREAMS,
	PANE_CAUSES,
	PANE_FAILURES,
	PANE_DETAIL,
	PANE_CHART,
	PANE_SHAPES,		/* the diagnosis views (diagnosis_panes.c) */
	PANE_BREAKER,
	PANE_RETRIES,
	PANE_EXPLAIN,
	PANE_COUNT
};

#define APP_DEPTH_MAX 8
#define APP_FAILURES_MAX 200

/* One level of drill-down. */
struct app_level {
	struct view_filter filter;
	enum diag_view view;		/* overview or a diagnosis view */
	int64_t detail_id;		/* a request shown whole, 0 none */
	size_t sel[PANE_COUNT];		/* selected row of each pane */
	int focus;			/* index into the level's layout */
};

struct app {
	struct console *console;
	struct store *store;		/* the console's connection */
	struct tui_config cfg;
	struct theme theme;
	struct app_level stack[APP_DEPTH_MAX];
	int depth;			/* levels in use, >= 1 */
	enum window_id window;
	enum console_split chart_by;
	enum sort_upstreams sort_up;
	enum sort_causes sort_cause;
	bool paused, help, quit;
	bool prompt;			/* the `/` prompt is open */
	char prompt_text[256];
	size_t prompt_len;
	bool need_refresh, need_draw;
	struct snapshot *snap;
	char message[320];		/* shown in the header until a key */
	int64_t refreshed_ms;		/* wall clock of the last refresh */
	int64_t data_version;		/* PRAGMA data_version then */
	double refresh_cost_ms;		/* how long the last refresh took */
	/*
	 * The diagnosis model: built on demand, apart from the snapshot, on
	 * the worker's thread (diag_worker.h).
	 */
	struct diag_worker *worker;	/* builds them in the background */
	struct diagnosis *diag;		/* NULL until a view needs one */
	struct diagnosis_spec diag_tried;	/* the last build asked for */
	enum window_id diag_window;	/* the window it was asked in */
	int64_t diag_built_ms;		/* wall clock of that request */
	int64_t diag_data_version;	/* PRAGMA data_version then */
	bool need_diag;			/* rebuild now (view opened, `r`) */
	bool diag_busy;			/* a build asked for is running */
	char diag_error[256];		/* why the last build failed, "" */
};

/* The level on top. */
struct app_level *app_top(struct app *a);
const struct app_level *app_top_c(const struct app *a);

/* A pane: how it draws and what Enter on a row does. */
struct panel {
	enum pane_id id;
	const char *title;
	bool focusable;
	/* Draw into the rectangle (y, x, h, w) of stdscr. */
	void (*draw)(const struct panel *p, const struct app *a, int y, int x,
	    int h, int w, bool focus);
	/* Rows that can be selected. */
	size_t (*rows)(const struct app *a);
	/* Drill in from row; 0, or -1 when there is nothing to drill to. */
	int (*enter)(struct app *a, size_t row);
};

/* The panel of an id. */
const struct panel *panel_get(enum pane_id id);

/* The panes a level shows, top to bottom; returns how many. */
int app_layout(const struct app_level *l, enum pane_id *panes, int max);

/* Push a level copying the top one; false when the stack is full. */
bool app_push(struct app *a);

/* Drawing pieces (header.c, chart.c, help.c). */
void header_draw(const struct app *a, int y, int w);
int header_height(void);
void footer_draw(const struct app *a, int y, int w);
void help_draw(const struct app *a, int h, int w);

/* A pane title bar, highlighted when focused; extra on the right. */
void pane_title(const struct app *a, int y, int x, int w, const char *title,
    const char *extra, bool focus);

/* The pane where the chart is drawn. */
extern const struct panel chart_panel;

/* The panes in panes.c. */
extern const struct panel upstreams_panel, causes_panel, failures_panel,
    detail_panel;

/* The panes of the diagnosis views (diagnosis_panes.c). */
extern const struct panel shapes_panel, breaker_panel, retries_panel,
    explain_panel;

/*
 * The diagnosis model when it is the one the top level shows (its view,
 * and for explain its upstream), else NULL.
 */
const struct diagnosis *app_diag(const struct app *a, enum diag_view v);

/*
 * The upstream the focused row is about (an upstream, a shape's, a
 * breaker's, a retry group's first), else the level's filter; NULL none.
 */
const char *app_selected_upstream(const struct app *a);

/* Push a level that explains upstream name; 0, or -1 (stack full). */
int app_push_explain(struct app *a, const char *name);

/* Push a level showing request id whole; 0, or -1. */
int app_push_request(struct app *a, int64_t id);

/* A short label for cause c with who made it: "upstream_refused". */
enum theme_role cause_role(enum gw_cause cause);

/* The text of a level's filter, "" for none: "upstream=a cause=b". */
void app_filter_text(const struct view_filter *f, char *buf, size_t size);

/*
 * Parse the `/` prompt into f (added to what f holds): words key=value
 * with key upstream, cause, status or path; a bare word is a status
 * (three digits), a cause name, a path (starts with '/') or an upstream.
 * 0, or -1 with msg filled.
 */
int app_filter_parse(const char *text, struct view_filter *f, char *msg,
    size_t msglen);

#endif
