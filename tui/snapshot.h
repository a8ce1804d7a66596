/*
 * snapshot.h - the console's model: everything one screen shows, read
 * from the store in one go.
 *
 * A refresh builds a new snapshot (snapshot_build) inside one read
 * transaction; the widgets then draw it and never query. Building knows
 * nothing of curses; drawing knows nothing of SQL.
 */
#ifndef GW_TUI_SNAPSHOT_H
#define GW_TUI_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/console.h"

/* The time windows `w` cycles through. */
enum window_id {
	WINDOW_5M,
	WINDOW_1H,
	WINDOW_24H,
	WINDOW_ALL,
	WINDOW_COUNT
};

/* "5m", "1h", "24h", "all"; and back (-1 when none). */
const char *window_name(enum window_id w);
int window_from_name(const char *s);

/* Points of every chart and sparkline series. */
#define SNAPSHOT_POINTS 60

/* What the user narrowed the view to (the `/` filter and drill-downs). */
struct view_filter {
	char upstream[256];	/* "" = any */
	enum gw_cause cause;	/* GW_CAUSE_ANY = any */
	int status;		/* -1 = any */
	char path[256];		/* substring, "" = any */
};

/* Health of an upstream from its recent 5xx rate. */
enum upstream_state { STATE_OK, STATE_DEGRADED, STATE_FAILING, STATE_IDLE };

const char *upstream_state_name(enum upstream_state s);

/* Thresholds of the states, as fractions of requests. */
struct snapshot_thresholds {
	double degraded;	/* 5xx rate at or above: degraded */
	double failing;		/* at or above: failing */
};

/* What to build. */
struct snapshot_spec {
	enum window_id window;
	struct view_filter filter;
	bool upstreams, causes, failures;	/* which tables to read */
	enum console_split chart_by;
	size_t failures_limit;
	int64_t detail_id;		/* a request to show whole, 0 none */
	struct snapshot_thresholds thresholds;
	int64_t now_ms;			/* wall clock */
};

/* A source with what its state looks like from here. */
struct snap_source {
	struct console_source src;
	const char *state;	/* "following", "caught up", "behind", "idle" */
};

struct snap_upstream {
	struct console_upstream u;
	double rate[SNAPSHOT_POINTS];	/* 5xx / requests, -1 no requests */
	double recent_rate;		/* over the last points with requests */
	enum upstream_state state;
	int onset;		/* point where it began failing, -1 none */
};

struct snap_cause {
	struct console_cause c;
	double trend[SNAPSHOT_POINTS];	/* requests with it per point */
};

/* One line of the over-time chart. */
struct snap_line {
	char name[64];
	int64_t key;
	int64_t errors_5xx;	/* in the window */
	double rate[SNAPSHOT_POINTS];	/* its 5xx / all requests */
};

#define SNAPSHOT_LINES 4

struct snapshot {
	struct snapshot_spec spec;
	int64_t built_ms;
	/* The window: [since, until), chart from start in steps. */
	int64_t since_ms, until_ms;
	bool anchored;		/* the data is older: window ends at it */
	int64_t first_ms, last_ms;	/* of the whole database, -1 empty */
	int64_t raw_pruned_ms;	/* raw rows before are gone, INT64_MIN none */
	int64_t start_ms, step_ms;
	int n_points;
	struct console_counts totals;
	double req_per_s;
	struct snap_source *sources;
	size_t n_sources;
	struct snap_upstream *upstreams;
	size_t n_upstreams;
	struct snap_cause *causes;
	size_t n_causes;
	double all_rate[SNAPSHOT_POINTS];	/* every 5xx / requests */
	struct snap_line lines[SNAPSHOT_LINES];
	int n_lines;
	struct console_request *failures;
	size_t n_failures;
	struct console_request *detail;	/* 0 or 1 row */
	size_t n_detail;
};

/*
 * Build a snapshot of spec from c (one read transaction, ended before
 * returning). 0, or -1 with err filled. Free with snapshot_free().
 */
int snapshot_build(struct console *c, const struct snapshot_spec *spec,
    struct snapshot **out, char *err, size_t errlen);
void snapshot_free(struct snapshot *s);

/* The window [since, until) and chart steps spec gives for data ending at
 * last_ms (-1 none) and starting at first_ms. */
void snapshot_window(const struct snapshot_spec *spec, int64_t first_ms,
    int64_t last_ms, struct snapshot *s);

/* Sort keys of the tables, in the order `s` cycles through them. */
enum sort_upstreams {
	SORT_UP_5XX, SORT_UP_RATE, SORT_UP_REQUESTS, SORT_UP_FAILED_ATT,
	SORT_UP_P99, SORT_UP_NAME, SORT_UP_COUNT
};
enum sort_causes {
	SORT_CAUSE_REQUESTS, SORT_CAUSE_ATTEMPTS, SORT_CAUSE_NAME,
	SORT_CAUSE_COUNT
};
const char *sort_upstreams_name(enum sort_upstreams k);
const char *sort_causes_name(enum sort_causes k);

/* Order the snapshot's tables (the model, not the drawing). */
void snapshot_sort_upstreams(struct snapshot *s, enum sort_upstreams k);
void snapshot_sort_causes(struct snapshot *s, enum sort_causes k);

#endif
