/*
 * sql.c - store_query(): the user's own read-only SQL on a database.
 *
 * A database holds some requests as rows and, with schema/015, the rest
 * in compressed blocks that only the virtual table requests_all reads
 * (store/requests_vt.c, registered on every connection store/ opens).
 * Plain sqlite3 has no such table, so its request_view, attempts_all and
 * attempt_view show the rows alone. Here the connection gets TEMP views
 * of those names that read requests_all: the temp schema is searched
 * before main, so a query written against the documented views sees every
 * request, with a block's path from its text.
 *
 * The statements run with PRAGMA query_only and an authorizer that
 * refuses ATTACH and DETACH: nothing typed here writes to the database
 * or opens another file. Each result row goes to the caller's callback
 * as typed values; a statement's column names are handed over first, so
 * a statement with no rows still names its columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* The views of schema/012, reading requests_all. */
static const char sql_views[] =
    "CREATE TEMP VIEW request_view AS\n"
    "SELECT r.id, s.path AS source, r.line_no,\n"
    "  strftime('%Y-%m-%dT%H:%M:%fZ', r.ts_ms / 1000.0, 'unixepoch') AS time,\n"
    "  r.ts_ms, r.tz_min,\n"
    "  CASE typeof(r.client) WHEN 'integer' THEN printf('%d.%d.%d.%d',\n"
    "    r.client >> 24, (r.client >> 16) & 255, (r.client >> 8) & 255,\n"
    "    r.client & 255) ELSE r.client END AS client,\n"
    "  m.name AS method, h.name AS host,\n"
    "  coalesce(p.name, r.path) AS path, r.query, sh.name AS shape,\n"
    "  CASE typeof(r.protocol) WHEN 'integer' THEN CASE r.protocol\n"
    "    WHEN 0 THEN 'HTTP/1.0' WHEN 1 THEN 'HTTP/1.1' WHEN 2 THEN 'HTTP/2.0'\n"
    "    WHEN 3 THEN 'HTTP/3.0' WHEN 4 THEN 'HTTP/2' WHEN 5 THEN 'HTTP/3'\n"
    "    END ELSE r.protocol END AS protocol,\n"
    "  r.status, r.bytes, r.request_ms,\n"
    "  CASE typeof(r.request_id) WHEN 'blob' THEN lower(hex(r.request_id))\n"
    "    ELSE r.request_id END AS request_id,\n"
    "  u.name AS upstream, r.n_attempts, c.name AS cause, r.error_id\n"
    "FROM main.requests_all r\n"
    "JOIN main.sources s ON s.id = r.source_id\n"
    "JOIN main.causes c ON c.id = r.cause\n"
    "JOIN main.upstreams u ON u.id = r.upstream_id\n"
    "LEFT JOIN main.methods m ON m.id = r.method_id\n"
    "LEFT JOIN main.hosts h ON h.id = r.host_id\n"
    "LEFT JOIN main.paths p ON p.id = r.path_id\n"
    "LEFT JOIN main.shapes sh ON sh.id = r.shape_id;\n"
    "CREATE TEMP VIEW attempts_all AS\n"
    "SELECT r.id AS request_id, 0 AS seq, 0 AS grp, r.upstream_id,\n"
    "  r.a_status AS status, r.a_connect_ms AS connect_ms,\n"
    "  r.a_header_ms AS header_ms, r.a_response_ms AS response_ms,\n"
    "  r.a_cause AS cause, r.a_error_id AS error_id\n"
    "FROM main.requests_all r WHERE r.a_cause IS NOT NULL\n"
    "UNION ALL\n"
    "SELECT request_id, seq, grp, upstream_id, status, connect_ms,\n"
    "  header_ms, response_ms, cause, error_id\n"
    "FROM main.attempts;\n"
    "CREATE TEMP VIEW attempt_view AS\n"
    "SELECT a.request_id, a.seq, a.grp, u.name AS upstream, a.status,\n"
    "  a.connect_ms, a.header_ms, a.response_ms, c.name AS cause,\n"
    "  a.error_id\n"
    "FROM temp.attempts_all a\n"
    "JOIN main.upstreams u ON u.id = a.upstream_id\n"
    "JOIN main.causes c ON c.id = a.cause;\n";

/* Nothing typed may attach another file or detach main. */
static int
sql_authorize(void *ctx, int action, const char *a, const char *b,
    const char *c, const char *d)
{
	(void)ctx, (void)a, (void)b, (void)c, (void)d;
	if (action == SQLITE_ATTACH || action == SQLITE_DETACH)
		return SQLITE_DENY;
	return SQLITE_OK;
}

/* Make the connection ready once: the views, then read-only. */
static int
sql_prepare_conn(struct store *s, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, "DROP VIEW IF EXISTS temp.attempt_view;"
	    "DROP VIEW IF EXISTS temp.attempts_all;"
	    "DROP VIEW IF EXISTS temp.request_view;", NULL, NULL, &msg) !=
	    SQLITE_OK || sqlite3_exec(s->db, sql_views, NULL, NULL, &msg) !=
	    SQLITE_OK || sqlite3_exec(s->db, "PRAGMA query_only = 1", NULL,
	    NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up the views: %s",
		    msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	sqlite3_set_authorizer(s->db, sql_authorize, NULL);
	return 0;
}

/* One row's values (or, vals NULL, only its column names) to fn. */
static int
sql_emit(sqlite3_stmt *st, int ncol, const char **names,
    struct store_value *vals, bool header, store_query_fn fn, void *ctx)
{
	for (int i = 0; i < ncol; i++) {
		struct store_value *v = &vals[i];
		memset(v, 0, sizeof(*v));
		if (header)
			continue;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v->type = STORE_V_INT;
			v->i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_FLOAT:
			v->type = STORE_V_REAL;
			v->r = sqlite3_column_double(st, i);
			break;
		case SQLITE_TEXT:
			v->type = STORE_V_TEXT;
			v->s = (const char *)sqlite3_column_text(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			break;
		case SQLITE_BLOB:
			v->type = STORE_V_BLOB;
			v->s = sqlite3_column_blob(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			break;
		default:
			v->type = STORE_V_NULL;
			break;
		}
	}
	return fn(ctx, (size_t)ncol, names, header ? NULL : vals);
}

/* See store.h. */
int
store_query(struct store *s, const char *sql, store_query_fn fn, void *ctx,
    char *err, size_t errlen)
{
	enum { MAX_COLS = 2000 };	/* SQLite's default column limit */
	const char *names[MAX_COLS];
	struct store_value *vals = NULL;
	const char *next = sql;
	int rc = -1;

	if (sql_prepare_conn(s, err, errlen) != 0)
		return -1;
	if ((vals = calloc(MAX_COLS, sizeof(*vals))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (*next != '\0') {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int prc = sqlite3_prepare_v2(s->db, next, -1, &st, &tail);
		if (prc == SQLITE_AUTH) {
			snprintf(err, errlen, "ATTACH and DETACH are refused "
			    "here (nothing opens another file)");
			goto out;
		}
		if (prc != SQLITE_OK) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
			goto out;
		}
		next = tail;
		if (st == NULL)		/* only spaces or a comment */
			continue;
		if (!sqlite3_stmt_readonly(st)) {
			snprintf(err, errlen, "only statements that read are "
			    "run here (SELECT, WITH, EXPLAIN, PRAGMA that "
			    "reads): \"%.60s\"", sqlite3_sql(st));
			sqlite3_finalize(st);
			goto out;
		}
		int ncol = sqlite3_column_count(st);
		if (ncol > MAX_COLS)
			ncol = MAX_COLS;
		for (int i = 0; i < ncol; i++) {
			names[i] = sqlite3_column_name(st, i);
			if (names[i] == NULL) {
				sqlite3_finalize(st);
				snprintf(err, errlen, "out of memory");
				goto out;
			}
		}
		int step = SQLITE_DONE, stop = 0;
		if (ncol > 0)
			stop = sql_emit(st, ncol, names, vals, true, fn, ctx);
		while (stop == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
			stop = sql_emit(st, ncol, names, vals, false, fn, ctx);
		if (stop == 0 && step != SQLITE_DONE) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
			sqlite3_finalize(st);
			goto out;
		}
		sqlite3_finalize(st);
		if (stop != 0) {
			snprintf(err, errlen, "stopped by its reader");
			goto out;
		}
	}
	rc = 0;
out:
	free(vals);
	sqlite3_set_authorizer(s->db, NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA query_only = 0", NULL, NULL, NULL);
	return rc;
}

/* See store.h. */
void
store_real_text(char *buf, size_t size, double v)
{
	if (size > (size_t)INT32_MAX)
		size = INT32_MAX;
	sqlite3_snprintf((int)size, buf, "%!.15g", v);
}
