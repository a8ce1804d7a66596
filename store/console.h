/*
 * console.h - the figures the console (tui/) shows, read from the store.
 *
 * A struct console is a reader on an open store with its statements
 * prepared once. A refresh of the console is console_begin(), a few of the
 * calls below, console_end(): one read transaction, so the header, tables
 * and charts of one screen agree with each other, and it is never held
 * between refreshes, so a writer's WAL can be checkpointed.
 *
 * Tables and charts come from the per-minute rollups (and the latency
 * histograms of schema 002); raw rows are read only for the lists of
 * failing requests, with a limit, through the time index. The counts follow
 * store_report()'s definitions exactly (requests by the upstream of their
 * final answer, attempts by their own upstream and cause), so for the same
 * window and filter the console and `gatewatch report` show the same
 * numbers.
 *
 * Every string returned is a copy owned by the row it is in, freed by the
 * matching *_free(); text from logs is returned as stored (unescaped): the
 * caller escapes it before it reaches a terminal.
 */
#ifndef GW_CONSOLE_H
#define GW_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct console;

/*
 * What to count. The window is [since_ms, until_ms); for the tables and
 * charts (rollups) it is taken in whole minutes, the minute of since_ms
 * included and that of until_ms excluded unless until_ms is not on a
 * minute (then included): give minute-aligned bounds to match a report.
 * INT64_MIN / INT64_MAX leave a side open.
 */
struct console_filter {
	int64_t since_ms, until_ms;
	const char *upstream;	/* exact name, NULL = any */
	enum gw_cause cause;	/* GW_CAUSE_ANY = any */
	int status;		/* final (or attempt) status, -1 = any */
	const char *path;	/* substring of the path, NULL = any; applies
				   to the request lists only (rollups have no
				   path) */
};

/* A filter that lets everything through. */
struct console_filter console_filter_all(void);

/* Counts of one group, as store_report() defines them. */
struct console_counts {
	int64_t requests;	/* requests whose final answer came from here */
	int64_t errors_5xx;	/* of those, final status 500-599 */
	int64_t failed;		/* of those, cause != ok */
	int64_t status_5xx[4];	/* of errors_5xx: 500, 502, 503, 504 */
	int64_t gateway_5xx;	/* of errors_5xx: a cause the gateway made
				   (cause_who() == GW_WHO_GATEWAY) */
	int64_t attempts;	/* attempts sent to this group */
	int64_t failed_attempts;	/* of those, cause != ok */
	int64_t request_ms_sum, request_ms_n;
};

/* Index of a status in console_counts.status_5xx, or -1. */
int console_status_slot(int status);

/*
 * Open a reader on s (which stays owned by the caller and must outlive
 * it). 0, or -1 with err filled. Free with console_free().
 */
int console_new(struct store *s, struct console **out, char *err,
    size_t errlen);
void console_free(struct console *c);

/* Start and end one consistent read (one refresh). */
int console_begin(struct console *c, char *err, size_t errlen);
void console_end(struct console *c);

/*
 * A number that changes whenever another connection commits to the
 * database (PRAGMA data_version): when it has not, a refresh would show
 * the same figures. -1 on error.
 */
int64_t console_data_version(struct console *c);

/*
 * First and last request time in the whole database, -1 when empty; the
 * first is the oldest rollup minute's start when raw rows were pruned.
 */
int console_time_span(struct console *c, int64_t *first_ms, int64_t *last_ms,
    char *err, size_t errlen);

/*
 * How far pruning went (store/prune.h): raw rows with event time below
 * *raw_ms and rollups below *rollup_ms are gone; INT64_MIN never pruned.
 * A window starting below *raw_ms has its tables and charts from the
 * rollups as always, but its request lists only from *raw_ms on.
 */
int console_pruned_before(struct console *c, int64_t *raw_ms,
    int64_t *rollup_ms, char *err, size_t errlen);

/* One input the database was fed from. */
#define CONSOLE_PORTS_MAX	4

struct console_source {
	int64_t id;
	char *path, *kind;
	int64_t position, line_no;	/* read and stored so far */
	int64_t last_seen_ms;		/* wall clock of its last batch */
	int64_t dropped;		/* packets a capture lost (kernel and
					   interface), -1 not a capture */
	/* gateway-host mode (capture --listen): per gateway port, the
	   failed client requests and those tied to an upstream attempt;
	   the first CONSOLE_PORTS_MAX ports, n_ports 0 when none */
	struct console_port {
		int port;
		int64_t requests, failed, failed_tied;
	} ports[CONSOLE_PORTS_MAX];
	int n_ports;
};

/* Up to max sources, the most recently written first. */
int console_sources(struct console *c, size_t max,
    struct console_source **rows, size_t *n, char *err, size_t errlen);
void console_sources_free(struct console_source *rows, size_t n);

/* One upstream ('-' for requests that reached none). */
struct console_upstream {
	int64_t id;
	char *name;
	struct console_counts c;
	int64_t timed;		/* attempts with a response time */
	int64_t p50_ms, p99_ms;	/* upstream response time, -1 unknown;
				   over all its attempts in the window (the
				   histograms are not split by cause) */
};

/*
 * Every upstream with requests or attempts in the window that match f,
 * in no particular order. *rows freed with console_upstreams_free().
 */
int console_upstreams(struct console *c, const struct console_filter *f,
    struct console_upstream **rows, size_t *n, char *err, size_t errlen);
void console_upstreams_free(struct console_upstream *rows, size_t n);

/* One cause other than ok. */
struct console_cause {
	enum gw_cause cause;
	int64_t requests;	/* requests that failed with it */
	int64_t errors_5xx;	/* of those, final status 5xx */
	int64_t attempts;	/* attempts that failed with it */
	int64_t top_upstream_id;	/* upstream with most of its requests
					   (or, with none, attempts); 0 none */
	char *top_upstream;
	int64_t top_upstream_count;
};

/* Every cause but ok seen in the window under f. */
int console_causes(struct console *c, const struct console_filter *f,
    struct console_cause **rows, size_t *n, char *err, size_t errlen);
void console_causes_free(struct console_cause *rows, size_t n);

/* What a chart is split by. */
enum console_split {
	CONSOLE_SPLIT_UPSTREAM,
	CONSOLE_SPLIT_CAUSE,
	CONSOLE_SPLIT_STATUS,
	CONSOLE_SPLIT_COUNT
};

/* The requests of one group of a split, point by point. */
struct console_line {
	int64_t key;		/* upstream id, cause or status */
	char *name;		/* upstream name, cause name or status text */
	int64_t *requests;	/* n_points counts */
	int64_t *errors_5xx;
};

/*
 * Counts per point of time: point i covers [start_ms + i * step_ms,
 * start_ms + (i + 1) * step_ms). Every group with requests is a line
 * (also cause ok and non-5xx statuses), so the sum of the lines is the
 * total per point.
 */
struct console_series {
	int64_t start_ms, step_ms;
	int n_points;
	enum console_split by;
	struct console_line *lines;
	size_t n_lines;
};

/*
 * Fill *out. From the rollups when start_ms and step_ms are whole minutes,
 * else from the raw rows (meant for short windows: the per-second view).
 * Free with console_series_free().
 */
int console_series(struct console *c, const struct console_filter *f,
    enum console_split by, int64_t start_ms, int64_t step_ms, int n_points,
    struct console_series *out, char *err, size_t errlen);
void console_series_free(struct console_series *s);

/*
 * The same as console_series() for every split at once: out[by] for each
 * enum console_split, from one read of the rollups (or one scan of the raw
 * rows through the time index), summed in memory - a refresh needs all
 * three and the rows are the same. Free each with console_series_free().
 */
int console_series_splits(struct console *c, const struct console_filter *f,
    int64_t start_ms, int64_t step_ms, int n_points,
    struct console_series out[CONSOLE_SPLIT_COUNT], char *err,
    size_t errlen);

/* One upstream attempt of a listed request. */
struct console_attempt {
	char *upstream;
	int status;		/* -1 none, 9 = nginx "009" */
	int connect_ms, header_ms, response_ms;	/* -1 not reached */
	enum gw_cause cause;
	char *error;		/* gateway error line joined to it, or NULL */
};

/* One request of a drill-down list. */
struct console_request {
	int64_t id, ts_ms;
	char *client, *method, *host, *path, *query, *upstream, *source;
	int64_t line_no;
	int status, request_ms;	/* request_ms -1 not logged */
	enum gw_cause cause;
	int n_attempts;
	struct console_attempt *attempts;
	char *error;		/* the gateway's error line for the request:
				   joined to it, else to its last attempt that
				   has one; NULL none */
};

/*
 * The most recent failing requests (final status 5xx or cause not ok;
 * with f->status set, those with that status) that match f, newest first,
 * at most limit. The rollups tell from which minute on enough of them
 * exist, so the raw scan stays short even in a long window.
 */
int console_failures(struct console *c, const struct console_filter *f,
    size_t limit, struct console_request **rows, size_t *n, char *err,
    size_t errlen);

/* One request by id, whatever it was; *n is 0 when it does not exist. */
int console_request(struct console *c, int64_t id,
    struct console_request **rows, size_t *n, char *err, size_t errlen);
void console_requests_free(struct console_request *rows, size_t n);

/* The upstream of a request list row or table row: exact name -> id. */
int console_upstream_id(struct console *c, const char *name, int64_t *id,
    char *err, size_t errlen);

#endif
