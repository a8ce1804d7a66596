/*
 * test_store_fixture.h - helpers shared by the store tests (test_store*.c):
 * a fresh database file per test, sources, and batches built by hand.
 */
#ifndef GW_TEST_STORE_FIXTURE_H
#define GW_TEST_STORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/batch.h"
#include "store/store.h"

/* 2026-11-25T10:15:00Z */
#define T0 1795601700000LL

struct fx {
	char path[64];
	struct store *s;
	struct gw_batch b;
	char err[256];
};

/* A fresh database in /tmp; removed by fx_free. */
static inline void
fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/gw-test-store-XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	unlink(f->path);
	assert_int_equal(store_open(f->path, &f->s, f->err, sizeof(f->err)),
	    0);
	assert_int_equal(batch_init(&f->b), 0);
}

static inline void
fx_unlink(const char *path)
{
	char p[80];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static inline void
fx_free(struct fx *f)
{
	store_close(f->s);
	batch_destroy(&f->b);
	fx_unlink(f->path);
}

/* A new source without identity (always new). */
static inline int64_t
fx_source(struct fx *f, const char *path, const char *kind)
{
	struct store_source_info si = {.path = path, .kind = kind};
	int64_t id;
	uint64_t off, line;

	assert_int_equal(store_source_open(f->s, &si, &id, &off, &line, NULL, 0,
	    f->err, sizeof(f->err)), 0);
	return id;
}

/* Arena copy of s, NULL stays NULL. */
static inline const char *
fx_str(struct fx *f, const char *s)
{
	return s != NULL ? arena_strndup(f->b.arena, s, strlen(s)) : NULL;
}

/*
 * Add a request: upstreams is "addr status cause, addr status cause" with
 * cause a number (enum gw_cause), or NULL for no attempts.
 */
static inline struct gw_event *
fx_event(struct fx *f, int64_t ts_ms, int tz_min, const char *client,
    const char *method, const char *path, const char *query, int status,
    int request_ms, enum gw_cause cause, const char *attempts)
{
	struct gw_event *e = batch_add_event(&f->b);

	assert_non_null(e);
	e->ts_ms = ts_ms;
	e->tz_min = tz_min;
	e->tz_known = true;
	e->client = fx_str(f, client);
	e->method = fx_str(f, method);
	e->host = fx_str(f, "api.example.com");
	e->path = fx_str(f, path);
	e->query = fx_str(f, query);
	e->protocol = fx_str(f, "HTTP/1.1");
	e->shape = fx_str(f, path);
	e->status = status;
	e->bytes = 100;
	e->request_ms = request_ms;
	e->cause = cause;
	e->line_no = f->b.n_events;
	e->offset = f->b.n_events * 100;
	if (attempts == NULL)
		return e;
	e->attempts = arena_alloc(f->b.arena,
	    GW_ATTEMPTS_MAX * sizeof(*e->attempts));
	const char *p = attempts;
	while (*p != '\0') {
		char addr[64];
		int st, c, n;

		assert_int_equal(sscanf(p, "%63s %d %d%n", addr, &st, &c, &n),
		    3);
		struct gw_attempt *a = &e->attempts[e->n_attempts++];
		memset(a, 0, sizeof(*a));
		a->addr = fx_str(f, addr);
		a->status = st;
		a->connect_ms = 1;
		a->header_ms = st >= 500 ? -1 : 2;
		a->response_ms = 3;
		a->cause = cause_from_id(c);
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return e;
}

/* Add an error-log line. */
static inline struct gw_gateway_error *
fx_error(struct fx *f, int64_t local_ms, const char *client,
    const char *method, const char *path, const char *query,
    const char *upstream, enum gw_cause cause)
{
	struct gw_gateway_error *e = batch_add_error(&f->b);

	assert_non_null(e);
	e->local_ms = local_ms;
	e->level = 3;
	e->conn = 567;
	e->cause = cause;
	e->message = fx_str(f, "something failed");
	e->client = fx_str(f, client);
	e->server = fx_str(f, "api.example.com");
	e->method = fx_str(f, method);
	e->path = fx_str(f, path);
	e->query = fx_str(f, query);
	e->upstream = fx_str(f, upstream);
	e->host = fx_str(f, "api.example.com");
	e->line_no = f->b.n_errors;
	return e;
}

/* Write the batch for source src and clear it. */
static inline void
fx_write(struct fx *f, int64_t src)
{
	f->b.source_id = src;
	f->b.position += 1000;
	f->b.line_no += 10;
	if (store_write_batch(f->s, &f->b, f->err, sizeof(f->err)) != 0)
		fail_msg("write: %s", f->err);
	batch_clear(&f->b);
}

/* One integer from SQL run on a second connection (what a reader sees). */
static inline int64_t
fx_int(struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -999;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Text of one value from SQL (static buffer; "(null)" for NULL). */
static inline const char *
fx_text(struct fx *f, const char *sql)
{
	static char buf[256];
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(buf, sizeof(buf), "(none)");
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(buf, sizeof(buf), "%s", t != NULL ? (const char *)t :
		    "(null)");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

/*
 * request_runs (schema/013) says where every request is: each request is
 * in exactly one run, of its own second (floor(ts_ms / 1000)); runs do
 * not overlap and none reaches above the largest id (SQLite gives such
 * ids out again).
 */
static inline void
fx_check_runs(struct fx *f)
{
	assert_int_equal(fx_int(f, "SELECT count(*) FROM requests r WHERE"
	    " (SELECT count(*) FROM request_runs k"
	    " WHERE r.id BETWEEN k.first_id AND k.last_id) <> 1"), 0);
	assert_int_equal(fx_int(f, "SELECT count(*) FROM requests r"
	    " JOIN request_runs k ON r.id BETWEEN k.first_id AND k.last_id"
	    " WHERE k.sec <> (r.ts_ms - (((r.ts_ms % 1000) + 1000)"
	    " % 1000)) / 1000"), 0);
	assert_int_equal(fx_int(f, "SELECT count(*) FROM request_runs a"
	    " JOIN request_runs b ON (a.sec <> b.sec"
	    " OR a.first_id <> b.first_id) AND a.first_id <= b.last_id"
	    " AND b.first_id <= a.last_id"), 0);
	assert_int_equal(fx_int(f, "SELECT count(*) FROM request_runs"
	    " WHERE first_id > last_id OR last_id >"
	    " (SELECT coalesce(max(id), 0) FROM requests)"), 0);
}

/*
 * The rollups equal the raw tables: every group of rollup_minute and
 * rollup_attempt_minute matches an aggregate over requests / attempts.
 */
static inline void
fx_check_rollups(struct fx *f)
{
	/* Rows in one and not the other, both ways. */
	const char *req =
	    "SELECT count(*) FROM ("
	    " SELECT r.ts_ms / 60000 AS minute, r.source_id, r.upstream_id,"
	    "  r.status, r.cause, count(*) AS requests,"
	    "  coalesce(sum(r.request_ms), 0) AS ms,"
	    "  count(r.request_ms) AS msn, coalesce(sum(r.bytes), 0) AS b"
	    " FROM requests r GROUP BY 1, 2, 3, 4, 5"
	    " EXCEPT SELECT minute, source_id, upstream_id, status, cause,"
	    "  requests, request_ms_sum, request_ms_n, bytes_sum"
	    " FROM rollup_minute)";
	const char *req2 =
	    "SELECT count(*) FROM ("
	    " SELECT minute, source_id, upstream_id, status, cause,"
	    "  requests, request_ms_sum, request_ms_n, bytes_sum"
	    " FROM rollup_minute EXCEPT"
	    " SELECT r.ts_ms / 60000 AS minute, r.source_id, r.upstream_id,"
	    "  r.status, r.cause, count(*) AS requests,"
	    "  coalesce(sum(r.request_ms), 0) AS ms,"
	    "  count(r.request_ms) AS msn, coalesce(sum(r.bytes), 0) AS b"
	    " FROM requests r GROUP BY 1, 2, 3, 4, 5)";
	const char *att =
	    "SELECT count(*) FROM ("
	    " SELECT r.ts_ms / 60000, r.source_id, a.upstream_id,"
	    "  coalesce(a.status, -1), a.cause, count(*)"
	    " FROM attempts_all a JOIN requests r ON r.id = a.request_id"
	    " GROUP BY 1, 2, 3, 4, 5"
	    " EXCEPT SELECT minute, source_id, upstream_id, status, cause,"
	    "  attempts FROM rollup_attempt_minute)";
	const char *att2 =
	    "SELECT count(*) FROM ("
	    " SELECT minute, source_id, upstream_id, status, cause,"
	    "  attempts FROM rollup_attempt_minute EXCEPT"
	    " SELECT r.ts_ms / 60000, r.source_id, a.upstream_id,"
	    "  coalesce(a.status, -1), a.cause, count(*)"
	    " FROM attempts_all a JOIN requests r ON r.id = a.request_id"
	    " GROUP BY 1, 2, 3, 4, 5)";

	assert_int_equal(fx_int(f, req), 0);
	assert_int_equal(fx_int(f, req2), 0);
	assert_int_equal(fx_int(f, att), 0);
	assert_int_equal(fx_int(f, att2), 0);
	fx_check_runs(f);
}

#endif
