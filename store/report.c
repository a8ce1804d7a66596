/*
 * report.c - grouped figures for the report command and the console.
 *
 * A report is one SELECT built from the keys asked for. Requests and
 * attempts are counted apart - requests by their own final upstream,
 * status and cause, attempts by the attempt's - and the two sets of groups
 * are put together with UNION ALL and summed per key tuple, which gives
 * full-outer-join semantics: an upstream that only ever got retried away
 * from shows up with requests = 0. Groups are formed on ids and numbers;
 * names are looked up only for the rows that come out.
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
#include <stdarg.h>
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

/* How each key is read from each kind of row, and shown. */
struct report_key_sql {
	const char *rollup;	/* column of rollup_minute / _attempt_minute */
	const char *raw_req;	/* requests r */
	const char *raw_att;	/* attempts a JOIN requests r */
	const char *name;	/* text of the key; '@' stands for its value */
};

#define REPORT_RAW_MINUTE \
	"((r.ts_ms - (((r.ts_ms % 60000) + 60000) % 60000)) / 60000)"

static const struct report_key_sql report_keys[REPORT_KEY_COUNT] = {
	[REPORT_KEY_UPSTREAM] = {"x.upstream_id", "r.upstream_id",
	    "a.upstream_id", "(SELECT name FROM upstreams WHERE id = @)"},
	[REPORT_KEY_CAUSE] = {"x.cause", "r.cause", "a.cause",
	    "(SELECT name FROM causes WHERE id = @)"},
	[REPORT_KEY_STATUS] = {"x.status", "r.status", "coalesce(a.status, -1)",
	    "CASE WHEN @ IS NULL OR @ < 0 THEN '-' ELSE CAST(@ AS TEXT) END"},
	[REPORT_KEY_PATH] = {NULL, "r.path_id", "r.path_id",
	    "(SELECT name FROM paths WHERE id = @)"},
	[REPORT_KEY_SOURCE] = {"x.source_id", "r.source_id", "r.source_id",
	    /* char(64) is '@', which this template uses for the value */
	    "(SELECT coalesce(p.path, s.path) ||"
	    " coalesce(' ' || char(64) || s.origin, '')"
	    " FROM sources s LEFT JOIN sources p ON p.id = s.parent_id"
	    " WHERE s.id = @)"},
	[REPORT_KEY_MINUTE] = {"x.minute", REPORT_RAW_MINUTE,
	    REPORT_RAW_MINUTE,
	    "strftime('%Y-%m-%dT%H:%MZ', @ * 60, 'unixepoch')"},
	/* Gateway-made failures apart from the upstreams' own. */
	[REPORT_KEY_WHO] = {"(SELECT who FROM causes WHERE id = x.cause)",
	    "(SELECT who FROM causes WHERE id = r.cause)",
	    "(SELECT who FROM causes WHERE id = a.cause)", "@"},
};

/* Totals in one statement; each part is an index or rollup read. */
static const char report_totals_sql[] =
    "SELECT (SELECT coalesce(sum(requests), 0) FROM rollup_minute),"
    " (SELECT coalesce(sum(attempts), 0) FROM rollup_attempt_minute),"
    " (SELECT count(*) FROM gateway_errors),"
    " (SELECT count(*) FROM gateway_errors WHERE request_id IS NULL),"
    " (SELECT coalesce(sum(rejected), 0) FROM reject_counts),"
    " (SELECT min(ts_ms) FROM requests),"
    " (SELECT max(ts_ms) FROM requests)";

/* Error-log lines by upstream and cause (store_error_groups). */
static const char report_error_groups_sql[] =
    "SELECT coalesce(u.name, '-'), e.cause, count(*),"
    " sum(e.request_id IS NULL), min(e.local_ms), max(e.local_ms)"
    " FROM gateway_errors e LEFT JOIN upstreams u ON u.id = e.upstream_id"
    " WHERE e.local_ms >= ?1 AND e.local_ms < ?2"
    " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2";

/* A growing SQL text; a failed append marks it bad. */
struct report_sql {
	char *buf;
	size_t len, cap;
	bool bad;
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

/* Append printf-formatted text to q. */
static void
report_sql_add(struct report_sql *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
report_sql_add(struct report_sql *q, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (q->bad)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(q->buf + q->len, q->cap - q->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			q->bad = true;
			return;
		}
		if ((size_t)n < q->cap - q->len)
			break;
		size_t ncap = (q->cap + (size_t)n + 1) * 2;
		char *nb = gw_realloc(q->buf, ncap);
		if (nb == NULL) {
			q->bad = true;
			return;
		}
		q->buf = nb;
		q->cap = ncap;
	}
	q->len += (size_t)n;
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

/*
 * One half of the UNION: the groups of requests (attempts false) or of
 * attempts, with filters. Columns: k0..kN-1 then the seven measures.
 */
static void
report_sql_half(struct report_sql *q, const struct report_query *rq,
    bool raw, bool attempts)
{
	const char *col[REPORT_KEYS_MAX];
	const char *p_up, *p_cause, *p_status;
	int i;

	for (i = 0; i < rq->n_keys; i++) {
		const struct report_key_sql *k = &report_keys[rq->keys[i]];

		col[i] = !raw ? k->rollup : attempts ? k->raw_att : k->raw_req;
	}
	if (!raw) {
		p_up = "x.upstream_id";
		p_cause = "x.cause";
		p_status = "x.status";
	} else if (attempts) {
		p_up = "a.upstream_id";
		p_cause = "a.cause";
		p_status = "coalesce(a.status, -1)";
	} else {
		p_up = "r.upstream_id";
		p_cause = "r.cause";
		p_status = "r.status";
	}

	report_sql_add(q, "SELECT ");
	for (i = 0; i < rq->n_keys; i++)
		report_sql_add(q, "%s, ", col[i]);
	if (!raw && !attempts)
		report_sql_add(q, "sum(x.requests),"
		    " sum(CASE WHEN x.status BETWEEN 500 AND 599"
		    " THEN x.requests ELSE 0 END),"
		    " sum(CASE WHEN x.cause <> 0 THEN x.requests ELSE 0 END),"
		    " 0, 0, sum(x.request_ms_sum), sum(x.request_ms_n)"
		    " FROM rollup_minute x");
	else if (!raw)
		report_sql_add(q, "0, 0, 0, sum(x.attempts),"
		    " sum(CASE WHEN x.cause <> 0 THEN x.attempts ELSE 0 END),"
		    " 0, 0 FROM rollup_attempt_minute x");
	else if (!attempts)
		report_sql_add(q, "count(*), sum(r.status BETWEEN 500 AND 599),"
		    " sum(r.cause <> 0), 0, 0, sum(r.request_ms),"
		    " count(r.request_ms) FROM requests r");
	else
		report_sql_add(q, "0, 0, 0, count(*), sum(a.cause <> 0), 0, 0"
		    " FROM attempts a JOIN requests r ON r.id = a.request_id");

	report_sql_add(q, " WHERE 1");
	if (rq->since_ms != INT64_MIN)
		report_sql_add(q, raw ? " AND r.ts_ms >= :since" :
		    " AND x.minute >= :since / 60000");
	if (rq->until_ms != INT64_MAX)
		report_sql_add(q, raw ? " AND r.ts_ms < :until" :
		    " AND x.minute < :until / 60000");
	if (rq->upstream != NULL)
		report_sql_add(q, " AND %s = (SELECT id FROM upstreams"
		    " WHERE name = :upstream)", p_up);
	if (rq->cause != GW_CAUSE_ANY)
		report_sql_add(q, " AND %s = :cause", p_cause);
	if (rq->status >= 0)
		report_sql_add(q, " AND %s = :status", p_status);
	if (rq->n_keys > 0) {
		report_sql_add(q, " GROUP BY ");
		for (i = 0; i < rq->n_keys; i++)
			report_sql_add(q, "%s%d", i ? ", " : "", i + 1);
	}
}

/* Build the whole report statement into q; raw: count raw rows. */
static void
report_sql_build(struct report_sql *q, const struct report_query *rq,
    bool raw)
{
	int i;

	report_sql_add(q, "WITH g(");
	for (i = 0; i < rq->n_keys; i++)
		report_sql_add(q, "k%d, ", i);
	report_sql_add(q, "requests, e5xx, failed, attempts, fatt, ms_sum,"
	    " ms_n) AS (");
	report_sql_half(q, rq, raw, false);
	report_sql_add(q, " UNION ALL ");
	report_sql_half(q, rq, raw, true);
	report_sql_add(q, ") SELECT ");
	for (i = 0; i < rq->n_keys; i++) {
		for (const char *p = report_keys[rq->keys[i]].name; *p; p++) {
			if (*p == '@')
				report_sql_add(q, "k%d", i);
			else
				report_sql_add(q, "%c", *p);
		}
		report_sql_add(q, ", ");
	}
	report_sql_add(q, "coalesce(sum(requests), 0), coalesce(sum(e5xx), 0),"
	    " coalesce(sum(failed), 0) AS f, coalesce(sum(attempts), 0),"
	    " coalesce(sum(fatt), 0), coalesce(sum(ms_sum), 0),"
	    " coalesce(sum(ms_n), 0) FROM g");
	if (rq->n_keys > 0) {
		report_sql_add(q, " GROUP BY ");
		for (i = 0; i < rq->n_keys; i++)
			report_sql_add(q, "%sk%d", i ? ", " : "", i);
	}
	report_sql_add(q, " ORDER BY f DESC, %d DESC", rq->n_keys + 1);
	for (i = 0; i < rq->n_keys; i++)
		report_sql_add(q, ", k%d", i);
	report_sql_add(q, " LIMIT :limit");
}

/* Bind a named parameter if the statement has it. */
static void
report_bind_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
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
		r->requests = sqlite3_column_int64(st, n_keys);
		r->errors_5xx = sqlite3_column_int64(st, n_keys + 1);
		r->failed = sqlite3_column_int64(st, n_keys + 2);
		r->attempts = sqlite3_column_int64(st, n_keys + 3);
		r->failed_attempts = sqlite3_column_int64(st, n_keys + 4);
		ms_sum = sqlite3_column_int64(st, n_keys + 5);
		ms_n = sqlite3_column_int64(st, n_keys + 6);
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
	struct report_sql q = {0};
	struct report_coverage cov;
	struct report_query rounded;
	sqlite3_stmt *st = NULL;
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
	report_sql_build(&q, rq, cov.raw);
	if (q.bad) {
		free(q.buf);
		return store_fail(err, errlen, "out of memory");
	}
	if (sqlite3_prepare_v2(s->db, q.buf, -1, &st, NULL) != SQLITE_OK) {
		store_fail_db(s, err, errlen, "report");
		free(q.buf);
		return -1;
	}
	free(q.buf);
	report_bind_int64(st, ":since", rq->since_ms);
	report_bind_int64(st, ":until", rq->until_ms);
	report_bind_int64(st, ":cause", rq->cause);
	report_bind_int64(st, ":status", rq->status);
	report_bind_int64(st, ":limit", rq->limit > 0 ? (int64_t)rq->limit : -1);
	if (rq->upstream != NULL)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
		    ":upstream"), rq->upstream, -1, SQLITE_STATIC);
	rc = report_collect(s, st, rq->n_keys, rows, n_rows, err, errlen);
	sqlite3_finalize(st);
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
	if (sqlite3_prepare_v2(s->db, report_totals_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail_db(s, err, errlen, "totals");
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
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* See store.h. */
int
store_error_groups(struct store *s, int64_t since_ms, int64_t until_ms,
    store_error_group_fn fn, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, report_error_groups_sql, -1, &st, NULL)
	    != SQLITE_OK)
		return store_fail_db(s, err, errlen, "error groups");
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
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "error groups");
	return 0;
}
