/*
 * metrics_rows.c - grouped reads for the Prometheus exporter; see
 * metrics_rows.h. The statements are store/stmt.c's STMT_METRICS_*; the
 * exporter runs each about once a second on its own connection.
 */
#include <string.h>

#include "store/metrics_rows.h"
#include "store/store_int.h"

int
store_metrics_marks(struct store *s, int64_t *request_id, int64_t *reject_id,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_METRICS_MARKS, err, errlen);

	if (st == NULL)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*request_id = sqlite3_column_int64(st, 0);
		*reject_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "metrics marks");
	return 0;
}

/* Text column i, "-" when NULL. */
static const char *
col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t != NULL ? t : "-";
}

/* The cause named by text column i (unknown when not a cause name). */
static enum gw_cause
col_cause(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	enum gw_cause c;

	if (t == NULL || !cause_from_name(t, strlen(t), &c))
		return GW_CAUSE_UNKNOWN;
	return c;
}

/* Which of the grouped reads a statement feeds. */
enum metrics_read { READ_REQUESTS, READ_ATTEMPTS, READ_REJECTS, READ_SOURCES };

/* Statement id: bind a and b (when it takes them), feed rows. */
static int
metrics_read(struct store *s, enum store_stmt_id id, enum metrics_read what,
    int64_t a, int64_t b, const struct store_metrics_fns *fn, void *ctx,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, stop = 0;

	if ((st = store_stmt(s, id, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		switch (what) {
		case READ_REQUESTS:
			stop = fn->request(ctx, col_text(st, 0),
			    sqlite3_column_int(st, 1), col_cause(st, 2),
			    sqlite3_column_int64(st, 3));
			break;
		case READ_ATTEMPTS:
			stop = fn->attempt(ctx, col_text(st, 0),
			    col_cause(st, 1), sqlite3_column_type(st, 2) ==
			    SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2),
			    sqlite3_column_int64(st, 3));
			break;
		case READ_REJECTS:
			stop = fn->reject(ctx, col_text(st, 0),
			    col_text(st, 1), sqlite3_column_int64(st, 2));
			break;
		case READ_SOURCES:
			stop = fn->source(ctx, sqlite3_column_int64(st, 0),
			    col_text(st, 1), sqlite3_column_int64(st, 2));
			break;
		}
	}
	if (stop != 0) {
		sqlite3_reset(st);
		return store_fail(err, errlen, "stopped");
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "metrics read");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_metrics_requests(struct store *s, int64_t from, int64_t to,
    const struct store_metrics_fns *fn, void *ctx, char *err, size_t errlen)
{
	if (to <= from)
		return 0;
	/* One read transaction: both groupings see the same rows. */
	sqlite3_stmt *st = store_stmt(s, STMT_READ_BEGIN, err, errlen);

	if (st == NULL || store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	int rc = metrics_read(s, STMT_METRICS_REQUESTS, READ_REQUESTS, from, to,
	    fn, ctx, err, errlen);
	if (rc == 0)
		rc = metrics_read(s, STMT_METRICS_ATTEMPTS, READ_ATTEMPTS, from,
		    to, fn, ctx, err, errlen);
	if ((st = store_stmt(s, STMT_COMMIT, NULL, 0)) != NULL)
		store_stmt_run(s, st, NULL, 0);
	return rc;
}

int
store_metrics_rejects(struct store *s, int64_t from, int64_t to,
    const struct store_metrics_fns *fn, void *ctx, char *err, size_t errlen)
{
	if (to <= from)
		return 0;
	return metrics_read(s, STMT_METRICS_REJECTS, READ_REJECTS, from, to, fn,
	    ctx, err, errlen);
}

int
store_metrics_sources(struct store *s, int64_t since_ms,
    const struct store_metrics_fns *fn, void *ctx, char *err, size_t errlen)
{
	return metrics_read(s, STMT_METRICS_SOURCES, READ_SOURCES, since_ms, 0,
	    fn, ctx, err, errlen);
}
