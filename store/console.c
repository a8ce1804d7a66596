/*
 * console.c - the console's reads: tables, charts and request lists.
 *
 * Every statement is listed below by name (enum store_stmt_id) with its
 * SQL, prepared on first use and kept for the life of the reader. Filters
 * are part of each statement as "(:param IS NULL OR column = :param)"
 * terms, so one statement serves every filter; they are cheap because the
 * rollups are read by their primary key, which starts with the minute.
 *
 * Counting follows store/report.c exactly: requests under their own final
 * upstream, status and cause (rollup_minute); attempts under theirs
 * (rollup_attempt_minute); the two sets summed per group, so an upstream
 * that was only ever retried away from has a row with requests 0. The
 * tests compare both ways of counting on the same data.
 *
 * Percentiles come from rollup_latency_minute (latency.c): the buckets of
 * the window are summed and the percentile is read off the cumulative
 * counts (the middle of the bucket it falls in).
 *
 * A refresh needs its series split three ways (upstream sparklines, cause
 * trends, the chart): console_series_splits() reads the rows once and
 * sums all three in C - also the raw rows of the per-5-second view, where
 * a GROUP BY per split used to sort the window's rows three times.
 *
 * The lists of failing requests read raw rows newest first through
 * request_runs (schema/013, a second's rows sorted at a time); first the
 * rollups say from which minute on there are
 * at least `limit` of them, so the scan covers only those minutes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/capture_stats.h"
#include "core/cause.h"
#include "store/console.h"
#include "core/grow.h"
#include "store/latency.h"
#include "store/prune.h"
#include "store/store_int.h"

struct console {
	struct store *s;
	int64_t gateway_mask;	/* bit c set: cause c is the gateway's */
};

/* See console.h. */
struct console_filter
console_filter_all(void)
{
	struct console_filter f = {
		.since_ms = INT64_MIN, .until_ms = INT64_MAX,
		.cause = GW_CAUSE_ANY, .status = -1,
	};
	return f;
}

/* See console.h. */
int
console_status_slot(int status)
{
	switch (status) {
	case 500: return 0;
	case 502: return 1;
	case 503: return 2;
	case 504: return 3;
	default: return -1;
	}
}

/* See console.h. */
int
console_new(struct store *s, struct console **out, char *err, size_t errlen)
{
	struct console *c = gw_calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return store_fail(err, errlen, "out of memory");
	c->s = s;
	for (enum gw_cause i = GW_CAUSE_OK; i < GW_CAUSE_COUNT; i++)
		if (cause_who(i) == GW_WHO_GATEWAY)
			c->gateway_mask |= (int64_t)1 << i;
	*out = c;
	return 0;
}

/* See console.h. */
void
console_free(struct console *c)
{
	free(c);
}

/* The statement id (stmt.c), reset and unbound; NULL on error. */
static sqlite3_stmt *
console_stmt(struct console *c, enum store_stmt_id id, char *err,
    size_t errlen)
{
	return store_stmt_fresh(c->s, id, err, errlen);
}

/* The minute holding ms, rounded down; for open bounds the extremes. */
static int64_t
console_minute_floor(int64_t ms)
{
	if (ms == INT64_MIN)
		return INT64_MIN / 60000 - 1;
	if (ms == INT64_MAX)
		return INT64_MAX / 60000 + 1;
	return rollup_minute_of(ms);
}

/* The first minute not in [.., ms): ms rounded up to a minute. */
static int64_t
console_minute_ceil(int64_t ms)
{
	int64_t m = console_minute_floor(ms);

	if (ms != INT64_MAX && ms != INT64_MIN && m * 60000 != ms)
		m++;
	return m;
}

/*
 * Bind what f says to every filter parameter st has. The upstream name is
 * turned into its id (-1, matching nothing, when it is unknown).
 */
static int
console_bind_filter(struct console *c, sqlite3_stmt *st,
    const struct console_filter *f, char *err, size_t errlen)
{
	int i;

	store_bind_int64(st, ":m0", console_minute_floor(f->since_ms));
	store_bind_int64(st, ":m1", console_minute_ceil(f->until_ms));
	store_bind_int64(st, ":t0", f->since_ms);
	store_bind_int64(st, ":t1", f->until_ms);
	store_bind_int64(st, ":cause", f->cause);
	store_bind_int64(st, ":status", f->status);
	store_bind_int64(st, ":gw", c->gateway_mask);
	if (store_bind_text(st, ":path", f->path) != 0)
		return store_fail(err, errlen, "out of memory");
	if ((i = sqlite3_bind_parameter_index(st, ":up")) > 0 &&
	    f->upstream != NULL) {
		int64_t id;

		if (console_upstream_id(c, f->upstream, &id, err, errlen) != 0)
			return -1;
		sqlite3_bind_int64(st, i, id);
	}
	return 0;
}

/* See console.h. */
int
console_begin(struct console *c, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	/* the end prepared first: out of memory must not leave the read
	 * open with console_end() unable to compile its COMMIT */
	if (console_stmt(c, STMT_COMMIT, err, errlen) == NULL ||
	    (st = console_stmt(c, STMT_READ_BEGIN, err, errlen)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail_db(c->s, err, errlen, "begin");
	sqlite3_reset(st);
	return 0;
}

/* See console.h. */
void
console_end(struct console *c)
{
	sqlite3_stmt *st;

	/* Reset every statement so none keeps the read open. */
	store_stmt_reset_all(c->s);
	if ((st = console_stmt(c, STMT_COMMIT, NULL, 0)) != NULL) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	store_rollback_txn(c->s);
}

/* See console.h. */
int64_t
console_data_version(struct console *c)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_DATA_VERSION, NULL, 0);
	int64_t v = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	return v;
}

/* See console.h. */
int
console_time_span(struct console *c, int64_t *first_ms, int64_t *last_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_SPAN, err, errlen);

	*first_ms = *last_ms = -1;
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail_db(c->s, err, errlen, "time span");
	if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
		*first_ms = sqlite3_column_int64(st, 0);
		*last_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return 0;
}

/* See console.h. */
int
console_pruned_before(struct console *c, int64_t *raw_ms, int64_t *rollup_ms,
    char *err, size_t errlen)
{
	return store_pruned_before(c->s, raw_ms, rollup_ms, err, errlen);
}

/* See console.h. */
int
console_upstream_id(struct console *c, const char *name, int64_t *id,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_UPSTREAM_ID, err, errlen);
	int rc;

	*id = -1;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(c->s, err, errlen, "upstream");
	return 0;
}

/*
 * The name of upstream id, a copy; "-" when there is no such upstream;
 * NULL out of memory (the statement, the step or the copy: never "-").
 */
static char *
console_upstream_name(struct console *c, int64_t id)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_UPSTREAM_NAME, NULL, 0);
	const char *t = "-";
	char *r = NULL;
	int rc;

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		t = (const char *)sqlite3_column_text(st, 0);
	if ((rc == SQLITE_ROW || rc == SQLITE_DONE) && t != NULL)
		r = gw_strdup(t);
	sqlite3_reset(st);
	return r;
}

/* True when the capture_stats table exists (a capture ran). */
static bool
console_has_capture_stats(struct console *c)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_HAS_CAPTURE_STATS, NULL, 0);
	bool has;

	if (st == NULL)
		return false;
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return has;
}

/* See console.h. */
int
console_sources(struct console *c, size_t max,
    struct console_source **rows, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_SOURCES, err, errlen);
	struct console_source *v = NULL;
	size_t k = 0, cap = 0;
	bool oom = false;
	int rc;

	*rows = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	store_bind_int64(st, ":limit", (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct console_source *r;

		if (grow_array((void **)&v, &cap, k, sizeof(*v), 16) != 0) {
			oom = true;
			break;
		}
		r = &v[k++];
		r->id = sqlite3_column_int64(st, 0);
		r->path = store_col_dup(st, 1, &oom);
		r->kind = store_col_dup(st, 2, &oom);
		r->position = sqlite3_column_int64(st, 3);
		r->line_no = sqlite3_column_int64(st, 4);
		r->last_seen_ms = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < k && !oom; i++) {
		struct store_capture_stats cs;

		v[i].dropped = -1;
		v[i].n_ports = 0;
		/*
		 * Only captures have a row. The table is created on first
		 * use, which would be a write: ask only when it exists.
		 */
		if (strncmp(v[i].kind != NULL ? v[i].kind : "", "pcap", 4) !=
		    0 || !console_has_capture_stats(c) ||
		    store_capture_stats_get(c->s, v[i].id, &cs, NULL, 0) != 1)
			continue;
		v[i].dropped = (cs.dropped > 0 ? cs.dropped : 0) +
		    (cs.if_dropped > 0 ? cs.if_dropped : 0);
		for (int p = 0; p < cs.n_ports && p < CONSOLE_PORTS_MAX; p++) {
			v[i].ports[p].port = cs.ports[p].port;
			v[i].ports[p].requests = cs.ports[p].requests;
			v[i].ports[p].failed = cs.ports[p].failed;
			v[i].ports[p].failed_tied = cs.ports[p].failed_tied;
			v[i].n_ports = p + 1;
		}
	}
	if (oom || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
		console_sources_free(v, k);
		return oom ? store_fail(err, errlen, "out of memory") :
		    store_fail_db(c->s, err, errlen, "sources");
	}
	*rows = v;
	*n = k;
	return 0;
}

/* See console.h. */
void
console_sources_free(struct console_source *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].path);
		free(rows[i].kind);
	}
	free(rows);
}

/* The row of upstream id in v[0..n), or NULL. */
static struct console_upstream *
console_find_upstream(struct console_upstream *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

/* The time at fraction q of a histogram of `total` counts, -1 none. */
static int64_t
console_percentile(const int64_t *hist, int64_t total, double q)
{
	int64_t want, cum = 0;

	if (total <= 0)
		return -1;
	want = (int64_t)((double)total * q + 0.999999);
	if (want < 1)
		want = 1;
	for (int b = 0; b < LATENCY_BUCKETS; b++) {
		cum += hist[b];
		if (cum >= want) {
			int64_t lo = latency_bucket_lo(b);
			int64_t hi = latency_bucket_hi(b);

			return hi - lo <= 1 ? lo : (lo + hi) / 2;
		}
	}
	return -1;
}

/*
 * Fill p50/p99 of the rows from the latency histograms of the window: the
 * rows come in minute order; each is added to its upstream's histogram.
 */
static int
console_latency(struct console *c, const struct console_filter *f,
    struct console_upstream *v, size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_LATENCY, err, errlen);
	int64_t (*hist)[LATENCY_BUCKETS];
	struct console_upstream *row = NULL;
	size_t ri = 0;
	int rc;

	if (st == NULL || console_bind_filter(c, st, f, err, errlen) != 0)
		return -1;
	if ((hist = gw_calloc(n ? n : 1, sizeof(*hist))) == NULL)
		return store_fail(err, errlen, "out of memory");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t up = sqlite3_column_int64(st, 0);
		int b = sqlite3_column_int(st, 1);

		/* Consecutive rows mostly share the upstream of the last. */
		if (row == NULL || row->id != up) {
			row = console_find_upstream(v, n, up);
			if (row == NULL)
				continue;
			ri = (size_t)(row - v);
		}
		if (b >= 0 && b < LATENCY_BUCKETS) {
			int64_t k = sqlite3_column_int64(st, 2);

			hist[ri][b] += k;
			row->timed += k;
		}
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		v[i].p50_ms = console_percentile(hist[i], v[i].timed, 0.50);
		v[i].p99_ms = console_percentile(hist[i], v[i].timed, 0.99);
	}
	free(hist);
	if (rc != SQLITE_DONE)
		return store_fail_db(c->s, err, errlen, "latency");
	return 0;
}

/* See console.h. */
int
console_upstreams(struct console *c, const struct console_filter *f,
    struct console_upstream **rows, size_t *n, char *err, size_t errlen)
{
	struct count_query q = {.n_keys = 1, .keys = {REPORT_KEY_UPSTREAM},
	    .by_status = true, .since_ms = f->since_ms,
	    .until_ms = f->until_ms, .upstream = f->upstream,
	    .cause = f->cause,
	    .status = f->status < 0 ? -1 : f->status,
	    .gateway_mask = c->gateway_mask};
	sqlite3_stmt *st;
	struct console_upstream *v = NULL;
	size_t k = 0, cap = 0;
	bool oom = false;
	int rc;

	*rows = NULL;
	*n = 0;
	if ((st = count_stmt(c->s, &q, err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct console_upstream *r;

		if (grow_array((void **)&v, &cap, k, sizeof(*v), 16) != 0) {
			oom = true;
			break;
		}
		r = &v[k++];
		/* Columns: the name, the measures, the id (count_stmt). */
		r->id = sqlite3_column_int64(st, 1 + COUNT_DETAILED);
		r->c.requests = sqlite3_column_int64(st, 1 + COUNT_REQUESTS);
		r->c.errors_5xx = sqlite3_column_int64(st, 1 + COUNT_5XX);
		r->c.failed = sqlite3_column_int64(st, 1 + COUNT_FAILED);
		for (int j = 0; j < 4; j++)
			r->c.status_5xx[j] = sqlite3_column_int64(st,
			    1 + COUNT_S500 + j);
		r->c.gateway_5xx = sqlite3_column_int64(st,
		    1 + COUNT_GATEWAY_5XX);
		r->c.attempts = sqlite3_column_int64(st, 1 + COUNT_ATTEMPTS);
		r->c.failed_attempts = sqlite3_column_int64(st,
		    1 + COUNT_FAILED_ATTEMPTS);
		r->c.request_ms_sum = sqlite3_column_int64(st,
		    1 + COUNT_MS_SUM);
		r->c.request_ms_n = sqlite3_column_int64(st, 1 + COUNT_MS_N);
		r->p50_ms = r->p99_ms = -1;
		if ((r->name = store_col_dup(st, 0, &oom)) == NULL &&
		    !oom)
			oom = (r->name = gw_strdup("-")) == NULL;
	}
	sqlite3_reset(st);
	if (oom || rc != SQLITE_DONE) {
		console_upstreams_free(v, k);
		return oom ? store_fail(err, errlen, "out of memory") :
		    store_fail_db(c->s, err, errlen, "upstreams");
	}
	if (console_latency(c, f, v, k, err, errlen) != 0) {
		console_upstreams_free(v, k);
		return -1;
	}
	*rows = v;
	*n = k;
	return 0;
}

/* See console.h. */
void
console_upstreams_free(struct console_upstream *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
}

/*
 * Per cause, the counts of one upstream and the best upstream so far;
 * cause c's row is found or added in v.
 */
struct console_cause_acc {
	int64_t best_requests, best_attempts;
};

/* Add one (cause id, upstream) group to the cause rows (ok: none). */
static int
console_cause_add(struct console_cause **v, size_t *k, size_t *cap,
    struct console_cause_acc *acc, int id, int64_t up, int64_t requests,
    int64_t e5, int64_t attempts)
{
	struct console_cause *r = NULL;
	struct console_cause_acc *a;
	enum gw_cause cause;

	if (id <= GW_CAUSE_OK || id >= GW_CAUSE_COUNT)
		return 0;	/* ok, or an id that names no cause */
	cause = cause_from_id(id);
	for (size_t i = 0; i < *k; i++)
		if ((*v)[i].cause == cause)
			r = &(*v)[i];
	if (r == NULL) {
		if (grow_array((void **)v, cap, *k, sizeof(**v), 16) != 0)
			return -1;
		r = &(*v)[(*k)++];
		r->cause = cause;
	}
	a = &acc[cause];
	r->requests += requests;
	r->errors_5xx += e5;
	r->attempts += attempts;
	/* Most requests wins; attempts decide only among no requests. */
	if (requests > a->best_requests || (a->best_requests == 0 &&
	    requests == 0 && attempts > a->best_attempts)) {
		a->best_requests = requests;
		a->best_attempts = attempts;
		r->top_upstream_id = up;
		r->top_upstream_count = requests > 0 ? requests : attempts;
	}
	return 0;
}

/* Counts of one (cause, upstream) group, summed from rollup rows. */
struct console_cause_group {
	int cause_id;		/* as stored: checked by console_cause_add() */
	int64_t up, requests, e5, attempts;
};

/*
 * Add a rollup row to its (cause, upstream) group in *g (of *ng, *cap);
 * *last is the index of the group of the previous row. 0 or -1 (OOM).
 */
static int
console_cause_group_add(struct console_cause_group **g, size_t *ng,
    size_t *cap, size_t *last, int cause_id, int64_t up, int64_t requests,
    int64_t e5, int64_t attempts)
{
	struct console_cause_group *x = NULL;

	if (*last < *ng && (*g)[*last].cause_id == cause_id &&
	    (*g)[*last].up == up)
		x = &(*g)[*last];
	for (size_t i = 0; x == NULL && i < *ng; i++)
		if ((*g)[i].cause_id == cause_id && (*g)[i].up == up) {
			x = &(*g)[i];
			*last = i;
		}
	if (x == NULL) {
		if (grow_array((void **)g, cap, *ng, sizeof(**g), 16) != 0)
			return -1;
		*last = (*ng)++;
		x = &(*g)[*last];
		x->cause_id = cause_id;
		x->up = up;
	}
	x->requests += requests;
	x->e5 += e5;
	x->attempts += attempts;
	return 0;
}

/* Order groups by cause, then upstream (as a GROUP BY gave them). */
static int
console_cause_group_cmp(const void *pa, const void *pb)
{
	const struct console_cause_group *a = pa, *b = pb;

	if (a->cause_id != b->cause_id)
		return a->cause_id < b->cause_id ? -1 : 1;
	return a->up < b->up ? -1 : a->up > b->up;
}

/* See console.h. */
int
console_causes(struct console *c, const struct console_filter *f,
    struct console_cause **rows, size_t *n, char *err, size_t errlen)
{
	struct console_cause_acc acc[GW_CAUSE_COUNT];
	struct console_cause_group *g = NULL;
	struct console_cause *v = NULL;
	size_t k = 0, cap = 0, ng = 0, gcap = 0, last = SIZE_MAX;
	sqlite3_stmt *st;
	bool oom = false;
	int rc = SQLITE_DONE;

	*rows = NULL;
	*n = 0;
	memset(acc, 0, sizeof(acc));
	for (int pass = 0; pass < 2 && rc == SQLITE_DONE && !oom; pass++) {
		st = console_stmt(c, pass == 0 ? STMT_CONSOLE_CAUSES : STMT_CONSOLE_CAUSE_ATTEMPTS,
		    err, errlen);
		if (st == NULL || console_bind_filter(c, st, f, err, errlen) != 0)
			goto fail;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t a = sqlite3_column_int64(st, 2);

			if (console_cause_group_add(&g, &ng, &gcap, &last,
			    sqlite3_column_int(st, 0),
			    sqlite3_column_int64(st, 1), pass == 0 ? a : 0,
			    sqlite3_column_int64(st, 3), pass == 0 ? 0 : a) != 0) {
				oom = true;
				break;
			}
		}
		sqlite3_reset(st);
	}
	/* Requests first, then attempts; ties go to the lowest upstream id. */
	if (ng > 0)
		qsort(g, ng, sizeof(*g), console_cause_group_cmp);
	for (int pass = 0; pass < 2 && !oom && rc == SQLITE_DONE; pass++)
		for (size_t i = 0; i < ng && !oom; i++)
			oom = console_cause_add(&v, &k, &cap, acc, g[i].cause_id,
			    g[i].up, pass == 0 ? g[i].requests : 0,
			    pass == 0 ? g[i].e5 : 0,
			    pass == 0 ? 0 : g[i].attempts) != 0;
	free(g);
	g = NULL;
	if (oom) {
		store_fail(err, errlen, "out of memory");
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(c->s, err, errlen, "causes");
		goto fail;
	}
	for (size_t i = 0; i < k; i++) {
		if (v[i].top_upstream_id == 0)
			continue;
		if ((v[i].top_upstream = console_upstream_name(c,
		    v[i].top_upstream_id)) == NULL) {
			store_fail(err, errlen, "out of memory");
			goto fail;
		}
	}
	*rows = v;
	*n = k;
	return 0;
fail:
	free(g);	/* the second pass's statement may fail after the first */
	console_causes_free(v, k);
	return -1;
}

/* See console.h. */
void
console_causes_free(struct console_cause *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].top_upstream);
	free(rows);
}

/* The line of key in s, added (with zeroed points) when new; NULL OOM. */
static struct console_line *
console_series_line(struct console_series *s, size_t *cap, int64_t key)
{
	struct console_line *l;

	for (size_t i = 0; i < s->n_lines; i++)
		if (s->lines[i].key == key)
			return &s->lines[i];
	if (grow_array((void **)&s->lines, cap, s->n_lines,
	    sizeof(*s->lines), 16) != 0)
		return NULL;
	l = &s->lines[s->n_lines++];
	l->key = key;
	l->requests = gw_calloc((size_t)s->n_points, sizeof(int64_t));
	l->errors_5xx = gw_calloc((size_t)s->n_points, sizeof(int64_t));
	if (l->requests == NULL || l->errors_5xx == NULL)
		return NULL;
	return l;
}

/* Name the lines of s after their keys. */
static int
console_series_names(struct console *c, struct console_series *s)
{
	char buf[16];

	for (size_t i = 0; i < s->n_lines; i++) {
		struct console_line *l = &s->lines[i];

		switch (s->by) {
		case CONSOLE_SPLIT_UPSTREAM:
			l->name = console_upstream_name(c, l->key);
			break;
		case CONSOLE_SPLIT_CAUSE:
			l->name = gw_strdup(cause_name(cause_from_id(l->key)));
			break;
		default:
			snprintf(buf, sizeof(buf), "%lld", (long long)l->key);
			l->name = gw_strdup(buf);
			break;
		}
		if (l->name == NULL)
			return -1;
	}
	return 0;
}

/* See console.h. */
int
console_series(struct console *c, const struct console_filter *f,
    enum console_split by, int64_t start_ms, int64_t step_ms, int n_points,
    struct console_series *out, char *err, size_t errlen)
{
	bool minute = start_ms % 60000 == 0 && step_ms % 60000 == 0;
	struct console_filter w = *f;
	enum store_stmt_id id;
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((unsigned)by >= CONSOLE_SPLIT_COUNT || step_ms <= 0 ||
	    n_points <= 0)
		return store_fail(err, errlen, "series: bad arguments");
	out->start_ms = start_ms;
	out->step_ms = step_ms;
	out->n_points = n_points;
	out->by = by;
	id = (minute ? STMT_CONSOLE_SERIES_MINUTE_UPSTREAM : STMT_CONSOLE_SERIES_RAW_UPSTREAM) +
	    (int)by;
	/* The points, cut to the filter's window. */
	w.since_ms = start_ms > f->since_ms ? start_ms : f->since_ms;
	w.until_ms = start_ms + step_ms * n_points;
	if (f->until_ms < w.until_ms)
		w.until_ms = f->until_ms;
	if ((st = console_stmt(c, id, err, errlen)) == NULL ||
	    console_bind_filter(c, st, &w, err, errlen) != 0)
		return -1;
	store_bind_int64(st, ":base", start_ms);
	store_bind_int64(st, ":step", step_ms);
	store_bind_int64(st, ":stepm", step_ms / 60000);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t p = sqlite3_column_int64(st, 0);
		struct console_line *l;

		if (p < 0 || p >= n_points)
			continue;
		if ((l = console_series_line(out, &cap,
		    sqlite3_column_int64(st, 1))) == NULL) {
			sqlite3_reset(st);
			console_series_free(out);
			return store_fail(err, errlen, "out of memory");
		}
		l->requests[p] += sqlite3_column_int64(st, 2);
		l->errors_5xx[p] += sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		console_series_free(out);
		return store_fail_db(c->s, err, errlen, "series");
	}
	if (console_series_names(c, out) != 0) {
		console_series_free(out);
		return store_fail(err, errlen, "out of memory");
	}
	return 0;
}

/* See console.h. */
void
console_series_free(struct console_series *s)
{
	for (size_t i = 0; i < s->n_lines; i++) {
		free(s->lines[i].name);
		free(s->lines[i].requests);
		free(s->lines[i].errors_5xx);
	}
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

/*
 * The line of key in s; *last remembers its index for the next row (rows
 * come in runs of one key). NULL when out of memory.
 */
static struct console_line *
console_splits_line(struct console_series *s, size_t *cap, size_t *last,
    int64_t key)
{
	struct console_line *l;

	/* Lines move when the array grows: remember the index, not the row. */
	if (*last < s->n_lines && s->lines[*last].key == key)
		return &s->lines[*last];
	if ((l = console_series_line(s, cap, key)) == NULL)
		return NULL;
	*last = (size_t)(l - s->lines);
	return l;
}

/* See console.h. */
int
console_series_splits(struct console *c, const struct console_filter *f,
    int64_t start_ms, int64_t step_ms, int n_points,
    struct console_series out[CONSOLE_SPLIT_COUNT], char *err,
    size_t errlen)
{
	bool minute = start_ms % 60000 == 0 && step_ms % 60000 == 0;
	size_t last[CONSOLE_SPLIT_COUNT] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
	size_t cap[CONSOLE_SPLIT_COUNT] = {0};
	struct console_filter w = *f;
	int64_t end_ms = start_ms + step_ms * n_points;
	sqlite3_stmt *st;
	int rc, by;

	for (by = 0; by < CONSOLE_SPLIT_COUNT; by++) {
		memset(&out[by], 0, sizeof(out[by]));
		out[by].start_ms = start_ms;
		out[by].step_ms = step_ms;
		out[by].n_points = n_points;
		out[by].by = (enum console_split)by;
	}
	if (step_ms <= 0 || n_points <= 0)
		return store_fail(err, errlen, "series: bad arguments");
	w.since_ms = start_ms > f->since_ms ? start_ms : f->since_ms;
	w.until_ms = end_ms < f->until_ms ? end_ms : f->until_ms;
	if ((st = console_stmt(c, minute ? STMT_CONSOLE_SPLITS_MINUTE : STMT_CONSOLE_SPLITS_RAW,
	    err, errlen)) == NULL || console_bind_filter(c, st, &w, err,
	    errlen) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0);
		int64_t key[CONSOLE_SPLIT_COUNT];
		int64_t n = sqlite3_column_int64(st, 4);
		int status = sqlite3_column_int(st, 3);
		bool e5 = status >= 500 && status <= 599;
		int64_t p;

		if (t < start_ms || t >= end_ms)
			continue;
		p = (t - start_ms) / step_ms;
		key[CONSOLE_SPLIT_UPSTREAM] = sqlite3_column_int64(st, 1);
		key[CONSOLE_SPLIT_CAUSE] = sqlite3_column_int64(st, 2);
		key[CONSOLE_SPLIT_STATUS] = status;
		for (by = 0; by < CONSOLE_SPLIT_COUNT; by++) {
			struct console_line *l = console_splits_line(&out[by],
			    &cap[by], &last[by], key[by]);

			if (l == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			l->requests[p] += n;
			if (e5)
				l->errors_5xx[p] += n;
		}
		if (rc == SQLITE_NOMEM)
			break;
	}
	sqlite3_reset(st);
	for (by = 0; by < CONSOLE_SPLIT_COUNT && rc == SQLITE_DONE; by++)
		if (console_series_names(c, &out[by]) != 0)
			rc = SQLITE_NOMEM;
	if (rc != SQLITE_DONE) {
		for (by = 0; by < CONSOLE_SPLIT_COUNT; by++)
			console_series_free(&out[by]);
		return rc == SQLITE_NOMEM ? store_fail(err, errlen,
		    "out of memory") : store_fail_db(c->s, err, errlen,
		    "series");
	}
	return 0;
}

/* Read the attempts of request r. */
static int
console_request_attempts(struct console *c, struct console_request *r,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_ATTEMPTS, err, errlen);
	size_t cap = 0, k = 0;
	bool oom = false;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct console_attempt *a;

		if (grow_array((void **)&r->attempts, &cap, k,
		    sizeof(*r->attempts), 16) != 0) {
			oom = true;
			break;
		}
		a = &r->attempts[k++];
		r->n_attempts = (int)k;
		a->upstream = store_col_dup(st, 0, &oom);
		a->status = sqlite3_column_int(st, 1);
		a->connect_ms = sqlite3_column_int(st, 2);
		a->header_ms = sqlite3_column_int(st, 3);
		a->response_ms = sqlite3_column_int(st, 4);
		a->cause = cause_from_id(sqlite3_column_int(st, 5));
		a->error = store_col_dup(st, 6, &oom);
	}
	r->n_attempts = (int)k;
	sqlite3_reset(st);
	if (oom)
		return store_fail(err, errlen, "out of memory");
	if (rc != SQLITE_DONE)
		return store_fail_db(c->s, err, errlen, "attempts");
	return 0;
}

/* Copy the rows of a stepped request statement, with their attempts. */
static int
console_collect_requests(struct console *c, sqlite3_stmt *st,
    struct console_request **rows, size_t *n, char *err, size_t errlen)
{
	struct console_request *v = NULL;
	size_t k = 0, cap = 0;
	bool oom = false;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct console_request *r;

		if (grow_array((void **)&v, &cap, k, sizeof(*v), 16) != 0) {
			oom = true;
			break;
		}
		r = &v[k++];
		r->id = sqlite3_column_int64(st, 0);
		r->ts_ms = sqlite3_column_int64(st, 1);
		r->client = store_col_dup(st, 2, &oom);
		r->method = store_col_dup(st, 3, &oom);
		r->host = store_col_dup(st, 4, &oom);
		r->path = store_col_dup(st, 5, &oom);
		r->query = store_col_dup(st, 6, &oom);
		r->upstream = store_col_dup(st, 7, &oom);
		r->source = store_col_dup(st, 8, &oom);
		r->line_no = sqlite3_column_int64(st, 9);
		r->status = sqlite3_column_int(st, 10);
		r->request_ms = sqlite3_column_int(st, 11);
		r->cause = cause_from_id(sqlite3_column_int(st, 12));
		r->error = store_col_dup(st, 14, &oom);
	}
	sqlite3_reset(st);
	if (oom || rc != SQLITE_DONE) {
		console_requests_free(v, k);
		return oom ? store_fail(err, errlen, "out of memory") :
		    store_fail_db(c->s, err, errlen, "requests");
	}
	/* Attempts after the list is read: one statement at a time. */
	for (size_t i = 0; i < k; i++) {
		struct console_request *r = &v[i];

		if (console_request_attempts(c, r, err, errlen) != 0) {
			console_requests_free(v, k);
			return -1;
		}
		/* No error line of its own: its last attempt's that has one. */
		for (int j = r->n_attempts - 1; j >= 0 && r->error == NULL; j--)
			if (r->attempts[j].error != NULL &&
			    (r->error = gw_strdup(r->attempts[j].error)) == NULL) {
				console_requests_free(v, k);
				return store_fail(err, errlen, "out of memory");
			}
	}
	*rows = v;
	*n = k;
	return 0;
}

/*
 * The earliest minute from which on, newest first, the rollups count at
 * least limit failing requests under f; the window's start when fewer.
 */
static int
console_failing_since(struct console *c, const struct console_filter *f,
    size_t limit, int64_t *since_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_FAILING_MINUTES, err, errlen);
	int64_t sum = 0;
	int rc;

	*since_ms = f->since_ms;
	if (st == NULL || console_bind_filter(c, st, f, err, errlen) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sum += sqlite3_column_int64(st, 1);
		if (sum >= (int64_t)limit) {
			int64_t m = sqlite3_column_int64(st, 0) * 60000;

			if (m > *since_ms)
				*since_ms = m;
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(c->s, err, errlen, "failing minutes");
	return 0;
}

/* See console.h. */
int
console_failures(struct console *c, const struct console_filter *f,
    size_t limit, struct console_request **rows, size_t *n, char *err,
    size_t errlen)
{
	struct console_filter w = *f;
	sqlite3_stmt *st;

	*rows = NULL;
	*n = 0;
	if (limit == 0)
		return 0;
	/* A path filter is unknown to the rollups: scan the window. */
	if (f->path == NULL && console_failing_since(c, f, limit, &w.since_ms,
	    err, errlen) != 0)
		return -1;
	if ((st = console_stmt(c, STMT_CONSOLE_FAILURES, err, errlen)) == NULL ||
	    console_bind_filter(c, st, &w, err, errlen) != 0)
		return -1;
	store_bind_int64(st, ":limit", (int64_t)limit);
	return console_collect_requests(c, st, rows, n, err, errlen);
}

/* See console.h. */
int
console_request(struct console *c, int64_t id,
    struct console_request **rows, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = console_stmt(c, STMT_CONSOLE_REQUEST, err, errlen);

	*rows = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	store_bind_int64(st, ":id", id);
	return console_collect_requests(c, st, rows, n, err, errlen);
}

/* See console.h. */
void
console_requests_free(struct console_request *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct console_request *r = &rows[i];

		for (int j = 0; j < r->n_attempts; j++) {
			free(r->attempts[j].upstream);
			free(r->attempts[j].error);
		}
		free(r->attempts);
		free(r->client);
		free(r->method);
		free(r->host);
		free(r->path);
		free(r->query);
		free(r->upstream);
		free(r->source);
		free(r->error);
	}
	free(rows);
}
