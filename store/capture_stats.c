/*
 * capture_stats.c - the capture_stats table; see capture_stats.h.
 *
 * The tables are created by schema/004_capture.sql and
 * 010_capture_ports.sql (the per-port rows); their statements are
 * store/stmt.c's STMT_CAPTURE_*. A capture writes one row at its end.
 */
#include <string.h>

#include "store/capture_stats.h"
#include "store/store_int.h"

/* Columns read_stats() reads (STMT_CAPTURE_STATS_GET, _ALL); then path,
   source_id. */
#define CAPTURE_STATS_NCOLUMNS	15

/* Read the CAPTURE_STATS_COLUMNS of the current row into cs. */
static void
read_stats(sqlite3_stmt *st, struct store_capture_stats *cs);

/* Bind v at i, NULL when negative. */
static void
bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* Replace the per-port rows of source_id by those of cs. 0 or -1. */
static int
ports_put(struct store *s, int64_t source_id,
    const struct store_capture_stats *cs, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = store_stmt(s, STMT_CAPTURE_PORTS_CLEAR, err, errlen)) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(st, 1, source_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "capture_ports");
	for (int i = 0; i < cs->n_ports && i < STORE_CAPTURE_PORTS_MAX; i++) {
		const struct store_capture_port *p = &cs->ports[i];

		if ((st = store_stmt(s, STMT_CAPTURE_PORTS_PUT, err,
		    errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, source_id);
		sqlite3_bind_int(st, 2, p->port);
		sqlite3_bind_int64(st, 3, p->requests);
		sqlite3_bind_int64(st, 4, p->failed);
		sqlite3_bind_int64(st, 5, p->failed_tied);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail_db(s, err, errlen, "capture_ports");
	}
	return 0;
}

/* Read the per-port rows of source_id into cs. 0 or -1. */
static int
ports_get(struct store *s, int64_t source_id, struct store_capture_stats *cs,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	cs->n_ports = 0;
	if ((st = store_stmt(s, STMT_CAPTURE_PORTS_GET, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, source_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    cs->n_ports < STORE_CAPTURE_PORTS_MAX) {
		struct store_capture_port *p = &cs->ports[cs->n_ports++];

		p->port = sqlite3_column_int(st, 0);
		p->requests = sqlite3_column_int64(st, 1);
		p->failed = sqlite3_column_int64(st, 2);
		p->failed_tied = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "capture_ports");
	return 0;
}

/* See capture_stats.h. */
int
store_capture_stats_put(struct store *s, int64_t source_id,
    const struct store_capture_stats *cs, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = store_stmt(s, STMT_CAPTURE_STATS_PUT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, cs->packets);
	sqlite3_bind_int64(st, 3, cs->bytes);
	bind_opt(st, 4, cs->received);
	bind_opt(st, 5, cs->dropped);
	bind_opt(st, 6, cs->if_dropped);
	sqlite3_bind_int64(st, 7, cs->flows);
	sqlite3_bind_int64(st, 8, cs->evicted);
	sqlite3_bind_int64(st, 9, cs->gaps);
	sqlite3_bind_int64(st, 10, cs->gap_bytes);
	sqlite3_bind_int64(st, 11, cs->exchanges);
	sqlite3_bind_int64(st, 12, cs->conn_failures);
	sqlite3_bind_int64(st, 13, cs->incomplete);
	bind_opt(st, 14, cs->downstream_failed);
	bind_opt(st, 15, cs->downstream_failed_tied);
	sqlite3_bind_int64(st, 16, cs->requests_dropped);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "capture_stats");
	return ports_put(s, source_id, cs, err, errlen);
}

/* Column i, -1 when NULL. */
static int64_t
col_opt(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, i);
}

/* See capture_stats.h. */
int
store_capture_stats_get(struct store *s, int64_t source_id,
    struct store_capture_stats *cs, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	memset(cs, 0, sizeof(*cs));
	if ((st = store_stmt(s, STMT_CAPTURE_STATS_GET, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, source_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_stats(st, cs);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ports_get(s, source_id, cs, err, errlen) == 0 ? 1 : -1;
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "capture_stats");
	return 0;
}

static void
read_stats(sqlite3_stmt *st, struct store_capture_stats *cs)
{
	int64_t *f[] = {
		&cs->packets, &cs->bytes, &cs->received, &cs->dropped,
		&cs->if_dropped, &cs->flows, &cs->evicted, &cs->gaps,
		&cs->gap_bytes, &cs->exchanges, &cs->conn_failures,
		&cs->incomplete, &cs->downstream_failed,
		&cs->downstream_failed_tied, &cs->requests_dropped,
	};
	_Static_assert(sizeof(f) / sizeof(f[0]) == CAPTURE_STATS_NCOLUMNS,
	    "one pointer per column of CAPTURE_STATS_COLUMNS");
	for (int i = 0; i < (int)(sizeof(f) / sizeof(f[0])); i++)
		*f[i] = col_opt(st, i);
}

/* See capture_stats.h. */
int
store_capture_stats_each(struct store *s, store_capture_stats_fn fn,
    void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct store_capture_stats cs;
	int rc;

	if ((st = store_stmt(s, STMT_CAPTURE_STATS_ALL, err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *path = sqlite3_column_text(st,
		    CAPTURE_STATS_NCOLUMNS);
		memset(&cs, 0, sizeof(cs));
		read_stats(st, &cs);
		if (ports_get(s, sqlite3_column_int64(st,
		    CAPTURE_STATS_NCOLUMNS + 1), &cs, err,
		    errlen) != 0) {
			sqlite3_reset(st);
			return -1;
		}
		fn(ctx, path ? (const char *)path : "-", &cs);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "capture_stats");
	return 0;
}
