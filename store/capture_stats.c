/*
 * capture_stats.c - the capture_stats table; see capture_stats.h.
 *
 * Its SQL lives here, beside the only code that uses it, and runs through
 * one-off prepared statements: a capture writes one row at its end.
 */
#include <string.h>

#include "capture_stats.h"
#include "store_int.h"

static const char capture_stats_create[] =
	"CREATE TABLE IF NOT EXISTS capture_stats (\n"
	"	source_id	INTEGER PRIMARY KEY REFERENCES sources(id),\n"
	"	packets		INTEGER NOT NULL,	-- read by gatewatch\n"
	"	bytes		INTEGER NOT NULL,\n"
	"	received	INTEGER,	-- kernel (live), NULL for files\n"
	"	dropped		INTEGER,	-- dropped by the kernel\n"
	"	if_dropped	INTEGER,	-- dropped by the interface\n"
	"	flows		INTEGER NOT NULL,	-- TCP connections\n"
	"	evicted		INTEGER NOT NULL,	-- flow table full\n"
	"	gaps		INTEGER NOT NULL,	-- byte ranges lost\n"
	"	gap_bytes	INTEGER NOT NULL,\n"
	"	exchanges	INTEGER NOT NULL,	-- request/response pairs\n"
	"	conn_failures	INTEGER NOT NULL,	-- refused, timed out\n"
	"	incomplete	INTEGER NOT NULL,	-- hit by a gap or the end\n"
	"	downstream_failed	INTEGER,	-- gateway mode, else NULL\n"
	"	downstream_failed_tied	INTEGER\n"
	")";

static const char capture_stats_put[] =
	"INSERT OR REPLACE INTO capture_stats (source_id, packets, bytes, "
	"received, dropped, if_dropped, flows, evicted, gaps, gap_bytes, "
	"exchanges, conn_failures, incomplete, downstream_failed, "
	"downstream_failed_tied) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static const char capture_stats_select[] =
	"SELECT packets, bytes, received, dropped, if_dropped, flows, "
	"evicted, gaps, gap_bytes, exchanges, conn_failures, incomplete, "
	"downstream_failed, downstream_failed_tied FROM capture_stats "
	"WHERE source_id = ?";

/* Bind v at i, NULL when negative. */
static void
bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* See capture_stats.h. */
int
store_capture_stats_put(struct store *s, int64_t source_id,
    const struct store_capture_stats *cs, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_exec(s->db, capture_stats_create, NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_fail_db(s, err, errlen, "capture_stats");
	if (sqlite3_prepare_v2(s->db, capture_stats_put, -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail_db(s, err, errlen, "capture_stats");
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
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "capture_stats");
	return 0;
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
	sqlite3_stmt *st = NULL;
	int rc;

	memset(cs, 0, sizeof(*cs));
	if (sqlite3_exec(s->db, capture_stats_create, NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_fail_db(s, err, errlen, "capture_stats");
	if (sqlite3_prepare_v2(s->db, capture_stats_select, -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail_db(s, err, errlen, "capture_stats");
	sqlite3_bind_int64(st, 1, source_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t *f[] = {
			&cs->packets, &cs->bytes, &cs->received, &cs->dropped,
			&cs->if_dropped, &cs->flows, &cs->evicted, &cs->gaps,
			&cs->gap_bytes, &cs->exchanges, &cs->conn_failures,
			&cs->incomplete, &cs->downstream_failed,
			&cs->downstream_failed_tied,
		};
		for (int i = 0; i < (int)(sizeof(f) / sizeof(f[0])); i++)
			*f[i] = col_opt(st, i);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "capture_stats");
	return 0;
}
