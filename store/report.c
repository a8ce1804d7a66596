/*
 * report.c - grouped figures for the report command and the console, and
 * the counting rule they share.
 *
 * The counting rule, written once here (count_sources[], count_stmt()):
 * requests are counted by their own final upstream, status and cause;
 * attempts by the attempt's own. The two sets of groups are put together
 * with UNION ALL and summed per key tuple, which gives full-outer-join
 * semantics: an upstream that only ever got retried away from shows up
 * with requests = 0. Groups are formed on ids and numbers; names are
 * looked up only for the rows that come out. store_report() asks it for
 * any keys; the console's upstream table (console.c) for the upstream key
 * with the per-status measures; tests/unit/test_count_rule.c holds the
 * two to the same numbers on a generated log.
 *
 * The statement is written by stmt.c's builder from the keys and from
 * which filters are set (their values are bound, never written in), so
 * each shape is prepared once per handle.
 *
 * Source of the counts: the per-minute rollups, unless a key or a bound
 * needs raw rows (grouping by path, or since/until not on a whole minute);
 * then requests and attempts themselves, attempts taking path, source and
 * minute from their request. Both give the same figures: the rollups are
 * kept in the same transactions as the rows.
 *
 * Once raw rows were pruned (store/prune.h) the two differ before the
 * pruning point: a report whose range reaches there is answered from the
 * rollups, with bounds off the minute widened to whole minutes; only one
 * that needs raw rows by nature (by path) still reads them, and
 * store_report_coverage() says it covers only what is left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/prune.h"
#include "store/store_int.h"

static const char *const report_key_names[REPORT_KEY_COUNT] = {
	[REPORT_KEY_UPSTREAM] = "upstream",
	[REPORT_KEY_CAUSE] = "cause",
	[REPORT_KEY_STATUS] = "status",
	[REPORT_KEY_PATH] = "path",
	[REPORT_KEY_SOURCE] = "source",
	[REPORT_KEY_MINUTE] = "minute",
	[REPORT_KEY_WHO] = "who",
};

/*
 * The rows the rule counts, by [raw][attempts]: where they are, how many
 * requests or attempts one row stands for, the row's own upstream,
 * status and cause (the keys of those names, and the filters), its other
 * keys, its time bounds, and the request time (requests only).
 */
struct count_source {
	const char *from;
	const char *n;
	const char *upstream, *status, *cause;
	const char *source, *minute, *path;	/* path NULL: not kept */
	const char *since, *until;
	const char *ms_sum, *ms_n;		/* NULL for attempts */
	const char *where;			/* which rows count; NULL all */
};

#define COUNT_RAW_MINUTE \
	"((r.ts_ms - (((r.ts_ms % 60000) + 60000) % 60000)) / 60000)"

/*
 * The path of a raw row: requests_all's path_key, its paths.id, or for a
 * request of a block (schema/015: path_id NULL) the id paths has for its
 * text (looked up once per distinct text of a block), and for a path no
 * row names (never interned) an id of requests_all's own below 0
 * (gw_path_name() its text), or when it holds too many the text itself:
 * a path both in rows and in blocks is one group, grouped as an integer.
 * Which id a path has depends on what was stored and pruned, so paths of
 * equal counts are ordered by their text (count_order_key) to come out
 * the same with blocks and without.
 */
#define COUNT_RAW_PATH "r.path_key"

#define RUNS_SINCE "k.sec >= :t0 / 1000 - 1 AND r.ts_ms >= :t0"
#define RUNS_UNTIL "k.sec <= :t1 / 1000 + 1 AND r.ts_ms < :t1"

static const struct count_source count_sources[2][2] = {
	[0][0] = {" FROM rollup_minute x", "x.requests", "x.upstream_id",
	    "x.status", "x.cause", "x.source_id", "x.minute", NULL,
	    "x.minute >= :m0", "x.minute < :m1",
	    "x.request_ms_sum", "x.request_ms_n", NULL},
	[0][1] = {" FROM rollup_attempt_minute x", "x.attempts",
	    "x.upstream_id", "x.status", "x.cause", "x.source_id",
	    "x.minute", NULL, "x.minute >= :m0", "x.minute < :m1",
	    NULL, NULL, NULL},
	/* raw rows by time through request_runs (schema/013) */
	[1][0] = {" FROM" RUNS_FROM, "1", "r.upstream_id", "r.status",
	    "r.cause", "r.source_id", COUNT_RAW_MINUTE, COUNT_RAW_PATH,
	    RUNS_SINCE, RUNS_UNTIL,
	    "r.request_ms", "r.request_ms IS NOT NULL", NULL},
	/* attempts inline or not (schema/012, ATT_JOIN in store_int.h) */
	[1][1] = {" FROM" RUNS_FROM ATT_JOIN, "1", ATT_UPSTREAM,
	    "coalesce(" ATT_STATUS ", -1)", ATT_CAUSE,
	    "r.source_id", COUNT_RAW_MINUTE, COUNT_RAW_PATH,
	    RUNS_SINCE, RUNS_UNTIL, NULL, NULL, ATT_ANY},
};

/*
 * The raw rows alone, for a database whose request_blocks is empty
 * (store_reads_blocks): the table read directly, not through the virtual
 * table, which costs twice as much per row (stmt.c, V_RUNS_FROM_ROWS).
 */
static const struct count_source count_rows_only[2] = {
	[0] = {" FROM" RUNS_FROM_ROWS, "1", "r.upstream_id", "r.status",
	    "r.cause", "r.source_id", COUNT_RAW_MINUTE, "r.path_id",
	    RUNS_SINCE, RUNS_UNTIL,
	    "r.request_ms", "r.request_ms IS NOT NULL", NULL},
	[1] = {" FROM" RUNS_FROM_ROWS ATT_JOIN, "1", ATT_UPSTREAM,
	    "coalesce(" ATT_STATUS ", -1)", ATT_CAUSE,
	    "r.source_id", COUNT_RAW_MINUTE, "r.path_id",
	    RUNS_SINCE, RUNS_UNTIL, NULL, NULL, ATT_ANY},
};

/* How each key is shown; '@' stands for its value. */
static const char *const report_key_names_sql[REPORT_KEY_COUNT] = {
	[REPORT_KEY_UPSTREAM] = "(SELECT name FROM upstreams WHERE id = @)",
	[REPORT_KEY_CAUSE] = "(SELECT name FROM causes WHERE id = @)",
	[REPORT_KEY_STATUS] =
	    "CASE WHEN @ IS NULL OR @ < 0 THEN '-' ELSE CAST(@ AS TEXT) END",
	/* a path no row interned: requests_all's own id, or a text
	 * (COUNT_RAW_PATH) */
	[REPORT_KEY_PATH] = "CASE WHEN typeof(@) = 'text' THEN @ WHEN @ < 0"
	    " THEN gw_path_name(@) ELSE (SELECT name FROM paths WHERE id = @)"
	    " END",
	/* char(64) is '@', which this template uses for the value */
	[REPORT_KEY_SOURCE] = "(SELECT coalesce(p.path, s.path) ||"
	    " coalesce(' ' || char(64) || s.origin, '')"
	    " FROM sources s LEFT JOIN sources p ON p.id = s.parent_id"
	    " WHERE s.id = @)",
	[REPORT_KEY_MINUTE] =
	    "strftime('%Y-%m-%dT%H:%MZ', @ * 60, 'unixepoch')",
	[REPORT_KEY_WHO] = "@",
};

/* See store.h. */
const char *
report_key_name(enum report_key k)
{
	if ((unsigned)k >= REPORT_KEY_COUNT)
		return "?";
	return report_key_names[k];
}

/* See store.h. */
int
report_key_from_name(const char *s, size_t len)
{
	for (int i = 0; i < REPORT_KEY_COUNT; i++)
		if (strlen(report_key_names[i]) == len &&
		    memcmp(report_key_names[i], s, len) == 0)
			return i;
	return -1;
}

/* True when the report needs raw rows rather than rollups. */
static bool
report_needs_raw(const struct report_query *rq)
{
	for (int i = 0; i < rq->n_keys; i++)
		if (rq->keys[i] == REPORT_KEY_PATH)
			return true;
	if (rq->since_ms != INT64_MIN && rq->since_ms % 60000 != 0)
		return true;
	if (rq->until_ms != INT64_MAX && rq->until_ms % 60000 != 0)
		return true;
	return false;
}

/* Append the key k of rows of src to q. */
static void
count_key(struct store_sql *q, const struct count_source *src,
    enum report_key k)
{
	switch (k) {
	case REPORT_KEY_UPSTREAM:
		store_sql_add(q, src->upstream);
		break;
	case REPORT_KEY_CAUSE:
		store_sql_add(q, src->cause);
		break;
	case REPORT_KEY_STATUS:
		store_sql_add(q, src->status);
		break;
	case REPORT_KEY_PATH:
		store_sql_add(q, src->path != NULL ? src->path : "NULL");
		break;
	case REPORT_KEY_SOURCE:
		store_sql_add(q, src->source);
		break;
	case REPORT_KEY_MINUTE:
		store_sql_add(q, src->minute);
		break;
	case REPORT_KEY_WHO:
		/* Gateway-made failures apart from the upstreams' own. */
		store_sql_add(q, "(SELECT who FROM causes WHERE id = ");
		store_sql_add(q, src->cause);
		store_sql_add(q, ")");
		break;
	case REPORT_KEY_COUNT:
		break;
	}
}

/*
 * Append ", " (unless first), then "sum(CASE WHEN <col><cond> THEN n ELSE
 * 0 END)" for src's rows (col NULL: "sum(n)"), or "0" when the measure is
 * not of src's kind.
 */
static void
count_sum(struct store_sql *q, const struct count_source *src, bool mine,
    const char *col, const char *cond, bool first)
{
	if (!first)
		store_sql_add(q, ", ");
	if (!mine) {
		store_sql_add(q, "0");
		return;
	}
	if (col == NULL) {
		store_sql_add(q, "sum(");
		store_sql_add(q, src->n);
		store_sql_add(q, ")");
		return;
	}
	store_sql_add(q, "sum(CASE WHEN ");
	store_sql_add(q, col);
	store_sql_add(q, cond);
	store_sql_add(q, " THEN ");
	store_sql_add(q, src->n);
	store_sql_add(q, " ELSE 0 END)");
}

/*
 * Append the measures of src's rows to q, in enum count_column's order:
 * requests measures for requests, attempts measures for attempts, 0 for
 * the other kind's.
 */
static void
count_measures(struct store_sql *q, const struct count_source *src,
    bool by_status)
{
	static const char *const slot[4] = {" = 500", " = 502", " = 503",
	    " = 504"};
	bool req = src->ms_sum != NULL, att = !req;

	count_sum(q, src, req, NULL, NULL, true);
	count_sum(q, src, req, src->status, " BETWEEN 500 AND 599", false);
	count_sum(q, src, req, src->cause, " <> 0", false);
	count_sum(q, src, att, NULL, NULL, false);
	count_sum(q, src, att, src->cause, " <> 0", false);
	if (req) {
		store_sql_add(q, ", sum(");
		store_sql_add(q, src->ms_sum);
		store_sql_add(q, "), sum(");
		store_sql_add(q, src->ms_n);
		store_sql_add(q, ")");
	} else
		store_sql_add(q, ", 0, 0");
	if (!by_status)
		return;
	for (int i = 0; i < 4; i++)
		count_sum(q, src, req, src->status, slot[i], false);
	/* A 5xx whose cause is the gateway's: bit cause of :gw set. */
	if (!req) {
		store_sql_add(q, ", 0");
		return;
	}
	store_sql_add(q, ", sum(CASE WHEN ");
	store_sql_add(q, src->status);
	store_sql_add(q, " BETWEEN 500 AND 599 AND ((1 << ");
	store_sql_add(q, src->cause);
	store_sql_add(q, ") & :gw) <> 0 THEN ");
	store_sql_add(q, src->n);
	store_sql_add(q, " ELSE 0 END)");
}

/* Append the filter terms cq sets, on src's columns, to q. */
static void
count_filters(struct store_sql *q, const struct count_source *src,
    const struct count_query *cq)
{
	store_sql_add(q, " WHERE 1");
	if (src->where != NULL) {
		store_sql_add(q, " AND ");
		store_sql_add(q, src->where);
	}
	if (cq->since_ms != INT64_MIN) {
		store_sql_add(q, " AND ");
		store_sql_add(q, src->since);
	}
	if (cq->until_ms != INT64_MAX) {
		store_sql_add(q, " AND ");
		store_sql_add(q, src->until);
	}
	if (cq->upstream != NULL) {
		store_sql_add(q, " AND ");
		store_sql_add(q, src->upstream);
		store_sql_add(q, " = (SELECT id FROM upstreams"
		    " WHERE name = :upstream)");
	}
	if (cq->cause != GW_CAUSE_ANY) {
		store_sql_add(q, " AND ");
		store_sql_add(q, src->cause);
		store_sql_add(q, " = :cause");
	}
	if (cq->status >= 0) {
		store_sql_add(q, " AND ");
		store_sql_add(q, src->status);
		store_sql_add(q, " = :status");
	}
}

/* One half of the UNION: the groups of src's rows, filtered. */
static void
count_half(struct store_sql *q, const struct count_source *src,
    const struct count_query *cq)
{
	store_sql_add(q, "SELECT ");
	for (int i = 0; i < cq->n_keys; i++) {
		count_key(q, src, cq->keys[i]);
		store_sql_add(q, ", ");
	}
	count_measures(q, src, cq->by_status);
	store_sql_add(q, src->from);
	count_filters(q, src, cq);
	for (int i = 0; i < cq->n_keys; i++) {
		store_sql_add(q, i ? ", " : " GROUP BY ");
		store_sql_num(q, i + 1);
	}
}

/* Path names where no request is of a block (only interned ids). */
#define REPORT_PATH_ROWS_SQL "(SELECT name FROM paths WHERE id = @)"

/* Append key i's template, with "k<i>" for each '@', to q. */
static void
count_key_name(struct store_sql *q, const struct count_query *cq, int i)
{
	enum report_key k = cq->keys[i];
	char frag[320];
	size_t n = 0;

	for (const char *p = k == REPORT_KEY_PATH && !cq->blocks ?
	    REPORT_PATH_ROWS_SQL : report_key_names_sql[k]; ; p++) {
		if (*p == '@' || *p == '\0' || n == sizeof(frag) - 1) {
			frag[n] = '\0';
			store_sql_add(q, frag);
			n = 0;
		}
		if (*p == '\0')
			break;
		if (*p == '@') {
			store_sql_add(q, "k");
			store_sql_num(q, i);
		} else
			frag[n++] = *p;
	}
}

/*
 * Key i as an ORDER BY term after sep: its id (k<i>), but a path by its
 * text (the result's column i + 1): a path is an interned id in a row
 * and text in a block, and which ids a path has depends on what was
 * stored and pruned, so equal counts come out in one order either way.
 */
static void
count_order_key(struct store_sql *q, const struct count_query *cq, int i,
    const char *sep)
{
	store_sql_add(q, sep);
	if (cq->keys[i] == REPORT_KEY_PATH) {
		store_sql_num(q, i + 1);
		return;
	}
	store_sql_add(q, "k");
	store_sql_num(q, i);
}

/* The whole statement of cq (see count_stmt). */
static void
count_sql(struct store_sql *q, const struct count_query *cq)
{
	static const char *const measures[COUNT_DETAILED] = {
		"requests", "e5xx", "failed", "attempts", "fatt", "ms_sum",
		"ms_n", "s500", "s502", "s503", "s504", "gw5xx",
	};
	int n_measures = cq->by_status ? COUNT_DETAILED : COUNT_BASIC;
	const struct count_source *src = !cq->raw ? count_sources[0] :
	    cq->blocks ? count_sources[1] : count_rows_only;
	int i;

	store_sql_add(q, "WITH g(");
	for (i = 0; i < cq->n_keys; i++) {
		store_sql_add(q, "k");
		store_sql_num(q, i);
		store_sql_add(q, ", ");
	}
	for (i = 0; i < n_measures; i++) {
		store_sql_add(q, i ? ", " : "");
		store_sql_add(q, measures[i]);
	}
	store_sql_add(q, ") AS (");
	count_half(q, &src[0], cq);
	store_sql_add(q, " UNION ALL ");
	count_half(q, &src[1], cq);
	store_sql_add(q, ")");
	store_sql_add(q, " SELECT ");
	for (i = 0; i < cq->n_keys; i++) {
		count_key_name(q, cq, i);
		store_sql_add(q, ", ");
	}
	for (i = 0; i < n_measures; i++) {
		store_sql_add(q, i ? ", coalesce(sum(" : "coalesce(sum(");
		store_sql_add(q, measures[i]);
		store_sql_add(q, "), 0)");
		if (i == COUNT_FAILED)
			store_sql_add(q, " AS f");
	}
	for (i = 0; i < cq->n_keys; i++) {
		store_sql_add(q, ", k");
		store_sql_num(q, i);
	}
	store_sql_add(q, " FROM g");
	for (i = 0; i < cq->n_keys; i++) {
		store_sql_add(q, i ? ", k" : " GROUP BY k");
		store_sql_num(q, i);
	}
	if (cq->by_failed) {
		/* Failed, then requests, descending. */
		store_sql_add(q, " ORDER BY f DESC, ");
		store_sql_num(q, cq->n_keys + COUNT_REQUESTS + 1);
		store_sql_add(q, " DESC");
		for (i = 0; i < cq->n_keys; i++)
			count_order_key(q, cq, i, ", ");
		store_sql_add(q, " LIMIT :limit");
		return;
	}
	for (i = 0; i < cq->n_keys; i++)
		count_order_key(q, cq, i, i ? ", " : " ORDER BY ");
}

/* The first minute not before ms; for open bounds the extremes. */
static int64_t
count_minute_floor(int64_t ms)
{
	return ms == INT64_MIN ? INT64_MIN / 60000 - 1 : rollup_minute_of(ms);
}

/* The first minute not in [.., ms): ms rounded up to a minute. */
static int64_t
count_minute_ceil(int64_t ms)
{
	int64_t m;

	if (ms == INT64_MAX)
		return INT64_MAX / 60000 + 1;
	m = count_minute_floor(ms);
	return ms != INT64_MIN && m * 60000 != ms ? m + 1 : m;
}

/* See store_int.h. */
sqlite3_stmt *
count_stmt(struct store *s, const struct count_query *cq, char *err,
    size_t errlen)
{
	struct count_query c = *cq;
	struct store_sql q = {0};
	sqlite3_stmt *st;

	c.blocks = c.raw && store_reads_blocks(s);
	count_sql(&q, &c);
	if ((st = store_sql_stmt(s, &q, err, errlen)) == NULL)
		return NULL;
	store_bind_int64(st, ":m0", count_minute_floor(cq->since_ms));
	store_bind_int64(st, ":m1", count_minute_ceil(cq->until_ms));
	store_bind_int64(st, ":t0", cq->since_ms);
	store_bind_int64(st, ":t1", cq->until_ms);
	if (store_bind_text(st, ":upstream", cq->upstream) != 0) {
		sqlite3_reset(st);
		store_fail(err, errlen, "out of memory");
		return NULL;
	}
	store_bind_int64(st, ":cause", cq->cause);
	store_bind_int64(st, ":status", cq->status);
	store_bind_int64(st, ":gw", cq->gateway_mask);
	store_bind_int64(st, ":limit", cq->limit > 0 ? cq->limit : -1);
	return st;
}

/* Copy the rows of a stepped report statement into *rows. */
static int
report_collect(struct store *s, sqlite3_stmt *st, int n_keys,
    struct report_row **rows, size_t *n_rows, char *err, size_t errlen)
{
	struct report_row *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct report_row *r;
		int64_t ms_sum, ms_n;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct report_row *nv = gw_realloc(v, ncap * sizeof(*nv));

			if (nv == NULL)
				goto oom;
			v = nv;
			cap = ncap;
		}
		r = &v[n++];
		memset(r, 0, sizeof(*r));
		for (int i = 0; i < n_keys; i++) {
			const char *t = (const char *)sqlite3_column_text(st, i);

			if ((r->key[i] = gw_strdup(t != NULL ? t : "-")) == NULL)
				goto oom;
		}
		r->requests = sqlite3_column_int64(st, n_keys + COUNT_REQUESTS);
		r->errors_5xx = sqlite3_column_int64(st, n_keys + COUNT_5XX);
		r->failed = sqlite3_column_int64(st, n_keys + COUNT_FAILED);
		r->attempts = sqlite3_column_int64(st, n_keys + COUNT_ATTEMPTS);
		r->failed_attempts = sqlite3_column_int64(st,
		    n_keys + COUNT_FAILED_ATTEMPTS);
		ms_sum = sqlite3_column_int64(st, n_keys + COUNT_MS_SUM);
		ms_n = sqlite3_column_int64(st, n_keys + COUNT_MS_N);
		r->request_ms_avg = ms_n > 0 ? (double)ms_sum / (double)ms_n :
		    -1;
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "report");
		store_report_free(v, n);
		return -1;
	}
	*rows = v;
	*n_rows = n;
	return 0;
oom:
	store_report_free(v, n);
	return store_fail(err, errlen, "out of memory");
}

/* See store.h. */
int
store_report(struct store *s, const struct report_query *rq,
    struct report_row **rows, size_t *n_rows, char *err, size_t errlen)
{
	struct report_coverage cov;
	struct report_query rounded;
	struct count_query cq;
	sqlite3_stmt *st;
	int rc;

	*rows = NULL;
	*n_rows = 0;
	if (rq->n_keys < 0 || rq->n_keys > REPORT_KEYS_MAX)
		return store_fail(err, errlen, "report: %d keys", rq->n_keys);
	for (int i = 0; i < rq->n_keys; i++)
		if ((unsigned)rq->keys[i] >= REPORT_KEY_COUNT)
			return store_fail(err, errlen, "report: bad key");
	if (rq->cause != GW_CAUSE_ANY &&
	    ((unsigned)rq->cause >= GW_CAUSE_COUNT))
		return store_fail(err, errlen, "unknown cause %d",
		    (int)rq->cause);

	if (store_report_coverage(s, rq, &cov, err, errlen) != 0)
		return -1;
	if (cov.rounded) {
		/* Over pruned raw rows: the rollups' whole minutes instead. */
		rounded = *rq;
		if (rounded.since_ms != INT64_MIN)
			rounded.since_ms = rollup_minute_of(rq->since_ms) * 60000;
		if (rounded.until_ms != INT64_MAX &&
		    rounded.until_ms % 60000 != 0)
			rounded.until_ms = (rollup_minute_of(rq->until_ms) + 1) *
			    60000;
		rq = &rounded;
	}
	cq = (struct count_query){.n_keys = rq->n_keys, .raw = cov.raw,
	    .by_failed = true, .since_ms = rq->since_ms,
	    .until_ms = rq->until_ms, .upstream = rq->upstream,
	    .cause = rq->cause, .status = rq->status < 0 ? -1 : rq->status,
	    .limit = rq->limit};
	memcpy(cq.keys, rq->keys, sizeof(cq.keys));
	if ((st = count_stmt(s, &cq, err, errlen)) == NULL)
		return -1;
	rc = report_collect(s, st, rq->n_keys, rows, n_rows, err, errlen);
	sqlite3_reset(st);
	return rc;
}

/* True when a key can only be counted from raw rows. */
static bool
report_raw_key(const struct report_query *rq)
{
	for (int i = 0; i < rq->n_keys; i++)
		if (rq->keys[i] == REPORT_KEY_PATH)
			return true;
	return false;
}

/* See store.h. */
int
store_report_coverage(struct store *s, const struct report_query *rq,
    struct report_coverage *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (store_pruned_before(s, &c->raw_pruned_before_ms,
	    &c->rollup_pruned_before_ms, err, errlen) != 0)
		return -1;
	c->raw = report_needs_raw(rq);
	c->raw_partial = c->raw_pruned_before_ms != INT64_MIN &&
	    rq->since_ms < c->raw_pruned_before_ms;
	c->rollup_partial = c->rollup_pruned_before_ms != INT64_MIN &&
	    rq->since_ms < c->rollup_pruned_before_ms;
	/* Only bounds off the minute asked for raw rows: use rollups. */
	if (c->raw && c->raw_partial && !report_raw_key(rq)) {
		c->raw = false;
		c->rounded = true;
	}
	return 0;
}

/* See store.h. */
void
store_report_free(struct report_row *rows, size_t n_rows)
{
	for (size_t i = 0; i < n_rows; i++)
		for (int k = 0; k < REPORT_KEYS_MAX; k++)
			free(rows[i].key[k]);
	free(rows);
}

/* See store.h. */
int
store_totals(struct store *s, struct store_totals *t, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((st = store_stmt(s, STMT_REPORT_TOTALS, err, errlen)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t->requests = sqlite3_column_int64(st, 0);
		t->attempts = sqlite3_column_int64(st, 1);
		t->gateway_errors = sqlite3_column_int64(st, 2);
		t->joined_errors = t->gateway_errors -
		    sqlite3_column_int64(st, 3);
		t->rejects = sqlite3_column_int64(st, 4);
		t->first_ms = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 5);
		t->last_ms = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 6);
	} else
		store_fail_db(s, err, errlen, "totals");
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* See store.h. */
int
store_error_groups(struct store *s, int64_t since_ms, int64_t until_ms,
    store_error_group_fn fn, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = store_stmt(s, STMT_REPORT_ERROR_GROUPS, err, errlen)) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_error_group g = {
			.upstream = (const char *)sqlite3_column_text(st, 0),
			.cause = cause_from_id(sqlite3_column_int(st, 1)),
			.lines = sqlite3_column_int64(st, 2),
			.unjoined = sqlite3_column_int64(st, 3),
			.first_ms = sqlite3_column_int64(st, 4),
			.last_ms = sqlite3_column_int64(st, 5),
		};
		if (g.upstream == NULL)
			g.upstream = "-";
		fn(ctx, &g);
	}
	if (rc != SQLITE_DONE)
		store_fail_db(s, err, errlen, "error groups");
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return 0;
}
