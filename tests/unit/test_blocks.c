/*
 * test_blocks.c - plain requests in blocks (schema/015: store/blocks.c,
 * store/requests_vt.c): the same batches written with blocks and without
 * give the same requests, every column of every one, read through
 * requests_all (the path of a request in a block as its text, of a row
 * through paths), whole, by id range as the readers by time read it
 * (request_runs), by one id and by ids above one. Edges: NULL columns,
 * IPv6 and unparsable clients, request ids not 32 lowercase hex digits,
 * protocols stored as text, huge and negative values, times before 1970,
 * failed and retried requests (rows) between plain ones (blocks), blocks
 * full at BLOCK_MAX_ROWS, and a real production-cardinality ingest.
 */
#include "tests/unit/test_store_fixture.h"

#include "store/metrics_rows.h"
#include "store/prune.h"
#include "store/store_int.h"

/* Every column of requests_all, the path resolved. */
#define ALL_COLUMNS \
	"SELECT id, source_id, line_no, ts_ms, tz_min, local_end_ms, client," \
	" method_id, host_id, coalesce((SELECT name FROM paths" \
	" WHERE id = r.path_id), r.path), query, shape_id, protocol, status," \
	" bytes, request_ms, request_id, upstream_id, n_attempts, cause," \
	" error_id, a_status, a_connect_ms, a_header_ms, a_response_ms," \
	" a_cause, a_error_id FROM requests_all r "

/* Step a and b together: the same rows, value by value; rows compared. */
static int64_t
same_rows(sqlite3 *da, sqlite3 *db, const char *sql)
{
	sqlite3_stmt *a, *b;
	int64_t n = 0;
	int ra, rb;

	if (sqlite3_prepare_v2(da, sql, -1, &a, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(da));
	if (sqlite3_prepare_v2(db, sql, -1, &b, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	for (;;) {
		ra = sqlite3_step(a);
		rb = sqlite3_step(b);
		if (ra != rb)
			fail_msg("%s: row %lld: %d against %d (%s)", sql,
			    (long long)n, ra, rb, sqlite3_errmsg(db));
		if (ra != SQLITE_ROW)
			break;
		for (int i = 0; i < sqlite3_column_count(a); i++) {
			int ta = sqlite3_column_type(a, i);
			int na, nb;

			if (ta != sqlite3_column_type(b, i))
				fail_msg("%s: row %lld col %d: type %d against %d",
				    sql, (long long)n, i, ta,
				    sqlite3_column_type(b, i));
			if (ta == SQLITE_INTEGER) {
				if (sqlite3_column_int64(a, i) !=
				    sqlite3_column_int64(b, i))
					fail_msg("%s: row %lld col %d: %lld"
					    " against %lld", sql, (long long)n,
					    i, (long long)sqlite3_column_int64(
					    a, i), (long long)
					    sqlite3_column_int64(b, i));
				continue;
			}
			if (ta == SQLITE_NULL)
				continue;
			const void *pa = ta == SQLITE_BLOB ?
			    sqlite3_column_blob(a, i) :
			    (const void *)sqlite3_column_text(a, i);
			const void *pb = ta == SQLITE_BLOB ?
			    sqlite3_column_blob(b, i) :
			    (const void *)sqlite3_column_text(b, i);
			na = sqlite3_column_bytes(a, i);
			nb = sqlite3_column_bytes(b, i);
			assert_int_equal(na, nb);
			if (na > 0)
				assert_memory_equal(pa, pb, (size_t)na);
		}
		n++;
	}
	if (ra != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(da));
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return n;
}

/* One integer from SQL on the store's own connection. */
static int64_t
one(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(s->db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The batches of the edge test, into f. */
static void
edge_batches(struct fx *f, int64_t src)
{
	struct gw_event *e;

	for (int k = 0; k < 3; k++) {
		e = fx_event(f, T0 + k, 0, "10.0.0.1", "GET", "/a", NULL, 200,
		    5, GW_CAUSE_OK, "10.1.0.1:80 200 0");
		e->request_id = fx_str(f, "890cbd8013c7ac376c72307b7b0739d7");
		e = fx_event(f, T0 + 10 + k, -300, "2001:db8::17", "POST",
		    "/b/ü", "x=1&y=", 201, -1, GW_CAUSE_OK, NULL);
		e->request_id = fx_str(f, "890CBD8013C7AC376C72307B7B0739D7");
		e->protocol = fx_str(f, "SPDY/3");
		e->bytes = INT64_MAX;
		/* failed, and retried: rows between blocks' requests */
		fx_event(f, T0 + 20 + k, 60, "10.0.0.2", "GET", "/c", NULL,
		    502, 7, GW_CAUSE_UPSTREAM_5XX, "10.1.0.1:80 502 0");
		fx_event(f, T0 + 30 + k, 0, "10.0.0.3", "GET", "/a", NULL,
		    200, 9, GW_CAUSE_OK,
		    "10.1.0.1:80 502 0, 10.1.0.2:80 200 0");
		e = fx_event(f, -86400000LL * 400 + k, 840, NULL, NULL, NULL,
		    NULL, 0, -1, GW_CAUSE_OK, "- -1 0");
		e->protocol = NULL;
		e->bytes = -1;
		e->request_id = fx_str(f, "req-42");
		e->attempts[0].connect_ms = -1;
		e->attempts[0].header_ms = -1;
		e->attempts[0].response_ms = -1;
		e = fx_event(f, INT64_MAX / 4, 0, "unix:", "PURGE",
		    "/d?", "", 499, INT32_MAX, GW_CAUSE_OK, NULL);
		e->shape = NULL;
		e->host = NULL;
		e->protocol = fx_str(f, "HTTP/2");
		fx_write(f, src);
	}
	/* more than one block's rows in one batch; random request ids (a
	 * block's stored part, block.c) */
	for (int i = 0; i < BLOCK_MAX_ROWS + 10; i++) {
		uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		char path[32], rid[40];

		snprintf(path, sizeof(path), "/items/%d", i % 977);
		e = fx_event(f, T0 + 1000 + i * 3, 0, i % 2 ? "10.2.0.1" :
		    "10.2.0.2", "GET", path, i % 3 ? "q=1" : NULL, 200, i,
		    GW_CAUSE_OK, "10.1.0.1:80 200 0");
		snprintf(rid, sizeof(rid), "%016llx%016llx",
		    (unsigned long long)x, (unsigned long long)(x ^ x >> 29) *
		    0xbf58476d1ce4e5b9ULL);
		e->request_id = fx_str(f, rid);
	}
	fx_write(f, src);
}

static void
test_blocks_same_requests(void **state)
{
	struct fx a, b;
	int64_t n;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	edge_batches(&a, fx_source(&a, "/var/log/a.log", "file"));
	edge_batches(&b, fx_source(&b, "/var/log/a.log", "file"));
	/* b holds blocks: the small batches' merged into one, the big
	 * batch's full one and its rest; a none */
	assert_int_equal(one(a.s, "SELECT count(*) FROM request_blocks"), 0);
	assert_int_equal(one(b.s, "SELECT count(*) FROM request_blocks"), 3);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), 6);
	assert_int_equal(one(b.s, "SELECT max(n) FROM request_blocks"),
	    BLOCK_MAX_ROWS);
	n = same_rows(a.s->db, b.s->db, ALL_COLUMNS "ORDER BY id");
	assert_int_equal(n, 3 * 6 + BLOCK_MAX_ROWS + 10);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"), n);
	/* ids in order without ORDER BY; rowid is the id */
	same_rows(a.s->db, b.s->db, "SELECT rowid, id FROM requests_all");
	/* by runs, as readers by time read */
	same_rows(a.s->db, b.s->db, "SELECT k.sec, r.id, r.ts_ms, r.client"
	    " FROM request_runs k CROSS JOIN requests_all r"
	    " ON r.id BETWEEN k.first_id AND k.last_id ORDER BY k.sec, r.id");
	same_rows(a.s->db, b.s->db, "SELECT k.sec, count(*), max(r.bytes), sum(r.line_no)"
	    " FROM request_runs k CROSS JOIN requests_all r"
	    " ON r.id BETWEEN k.first_id AND k.last_id"
	    " WHERE k.sec BETWEEN 1795601700 AND 1795601705 GROUP BY 1");
	/* one id, ids above one, odd bounds */
	for (int id = -1; id <= 30; id++) {
		char sql[768];

		snprintf(sql, sizeof(sql), ALL_COLUMNS "WHERE r.id = %d", id);
		same_rows(a.s->db, b.s->db, sql);
		snprintf(sql, sizeof(sql), "SELECT id, coalesce((SELECT name"
		    " FROM paths WHERE id = path_id), path) FROM requests_all"
		    " WHERE id > %d ORDER BY id LIMIT 7", id * 150);
		same_rows(a.s->db, b.s->db, sql);
	}
	same_rows(a.s->db, b.s->db, "SELECT id FROM requests_all"
	    " WHERE id >= 2.5 AND id < 9.5");
	same_rows(a.s->db, b.s->db, "SELECT id FROM requests_all"
	    " WHERE id <= 'x' AND id > 4000");
	same_rows(a.s->db, b.s->db, "SELECT id FROM requests_all"
	    " WHERE id = NULL OR id >= 'x'");
	same_rows(a.s->db, b.s->db, "SELECT id FROM requests_all"
	    " WHERE id BETWEEN 9223372036854775807 AND -1");
	same_rows(a.s->db, b.s->db, "SELECT id FROM requests_all"
	    " WHERE id > 9223372036854775807 OR id < -9223372036854775808");
	/* rollups and runs alike */
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_attempt_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	same_rows(a.s->db, b.s->db, "SELECT * FROM request_runs ORDER BY 1, 2");
	fx_free(&a);
	fx_free(&b);
}

/* Requests whose path_key is not their path's id, or for a path no row
 * interned an id below 0 of its text (gw_path_name). */
#define PATH_KEY_WRONG \
	"SELECT count(*) FROM requests_all r WHERE CASE WHEN r.path_key < 0" \
	" THEN gw_path_name(r.path_key) ELSE r.path_key END IS NOT" \
	" coalesce(r.path_id, (SELECT id FROM paths WHERE name = r.path)," \
	" r.path)"

/*
 * requests_all's hidden path_key, which report --by path groups by: a
 * block's request gives the id paths has for its text, or when no row
 * interned it an id below 0 of that text, one per text, which
 * gw_path_name() turns back; also after a path is interned since a block
 * was read (the block kept between statements).
 */
static void
test_blocks_path_key(void **state)
{
	struct fx b;
	int64_t src;

	(void)state;
	fx_init(&b);
	store_set_blocks(b.s, true);
	src = fx_source(&b, "/var/log/a.log", "file");
	edge_batches(&b, src);
	assert_int_equal(one(b.s, PATH_KEY_WRONG), 0);
	/* "/a" of a retried row: blocks' requests of it by id */
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE path_id IS NULL AND path = '/a' AND path_key ="
	    " (SELECT id FROM paths WHERE name = '/a')"), 3);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE path_id IS NULL AND typeof(path_key) = 'integer'"
	    " AND path_key < 0"), 6 + BLOCK_MAX_ROWS + 10);
	/* "/b/ü", "/d?", "/items/N": an id per text */
	assert_int_equal(one(b.s, "SELECT count(DISTINCT path_key) FROM"
	    " requests_all WHERE path_key < 0"), 2 + 977);
	assert_int_equal(one(b.s, "SELECT count(*) FROM (SELECT path FROM"
	    " requests_all WHERE path_key < 0 GROUP BY path HAVING"
	    " count(DISTINCT path_key) > 1)"), 0);
	assert_int_equal(one(b.s, "SELECT gw_path_name(5) IS NULL AND"
	    " gw_path_name(-1000000) IS NULL AND gw_path_name('x') IS NULL"),
	    1);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE path IS NULL AND path_id IS NULL AND path_key IS NULL"),
	    3);
	/* not in SELECT * */
	assert_int_equal(one(b.s, "SELECT count(*) FROM pragma_table_info("
	    "'requests_all') WHERE name = 'path_key'"), 0);
	/* a failed request interns "/items/5": its blocks' requests now
	 * give the id */
	fx_event(&b, T0 + 100000, 0, "10.0.0.9", "GET", "/items/5", NULL,
	    502, 7, GW_CAUSE_UPSTREAM_5XX, "10.1.0.1:80 502 0");
	fx_write(&b, src);
	assert_int_equal(one(b.s, PATH_KEY_WRONG), 0);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE path_id IS NULL AND path = '/items/5' AND path_key > 0"),
	    (BLOCK_MAX_ROWS + 10) / 977 + 1);
	/*
	 * The database changes while a statement reads: a second statement
	 * keeps the ids (the first may hold them), the next alone forgets
	 * them; path_key is right throughout, also of the last block kept
	 * decoded between statements.
	 */
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(b.s->db, "SELECT path_key"
		    " FROM requests_all", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		fx_event(&b, T0 + 200000, 0, "10.0.0.9", "GET", "/items/6",
		    NULL, 502, 7, GW_CAUSE_UPSTREAM_5XX, "10.1.0.1:80 502 0");
		fx_write(&b, src);
		assert_int_equal(one(b.s, PATH_KEY_WRONG " AND r.id >= (SELECT"
		    " max(first_id) FROM request_blocks)"), 0);
		sqlite3_finalize(st);
		assert_true(one(b.s, "SELECT count(*) FROM requests_all"
		    " WHERE path_key < 0 AND id <= (SELECT min(last_id) FROM"
		    " request_blocks)") > 0);
		assert_int_equal(one(b.s, PATH_KEY_WRONG " AND r.id >= (SELECT"
		    " max(first_id) FROM request_blocks)"), 0);
		assert_int_equal(one(b.s, PATH_KEY_WRONG), 0);
	}
	fx_free(&b);
}

/*
 * Writers with blocks and without take turns on one database: ids stay
 * one sequence (rows after blocks name their ids, SQLite's next rowid
 * would give a block's id again), every request is there once.
 */
static void
test_blocks_turns(void **state)
{
	struct fx f;
	int64_t src;

	(void)state;
	fx_init(&f);
	src = fx_source(&f, "/var/log/a.log", "file");
	for (int turn = 0; turn < 4; turn++) {
		store_set_blocks(f.s, turn % 2 == 0);
		for (int i = 0; i < 100; i++)
			fx_event(&f, T0 + turn * 1000 + i, 0, "10.0.0.1", "GET",
			    "/a", NULL, i % 10 ? 200 : 502, 5, i % 10 ?
			    GW_CAUSE_OK : GW_CAUSE_UPSTREAM_5XX,
			    i % 10 ? "10.1.0.1:80 200 0" : "10.1.0.1:80 502 0");
		fx_write(&f, src);
	}
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests_all"), 400);
	assert_int_equal(one(f.s, "SELECT count(DISTINCT id) FROM"
	    " requests_all"), 400);
	assert_int_equal(one(f.s, "SELECT min(id) FROM requests_all"), 1);
	assert_int_equal(one(f.s, "SELECT max(id) FROM requests_all"), 400);
	assert_int_equal(one(f.s, "SELECT sum(ts_ms - 1795601700000)"
	    " FROM requests_all"), (0 + 1000 + 2000 + 3000) * 100 +
	    4 * (99 * 100 / 2));
	/* turns 0 and 2 in blocks (but their failed requests) */
	assert_int_equal(one(f.s, "SELECT sum(n) FROM request_blocks"), 180);
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests"), 220);
	fx_free(&f);
}

/*
 * A database of schema 14 with rows upgrades on open to 15 (an empty
 * request_blocks) and on; a writer with blocks then goes on after its ids.
 */
static void
test_blocks_upgrade_014(void **state)
{
	struct store_open_opts o = {.group = -1, .schema_upto = 14};
	struct fx f;
	int64_t src;

	(void)state;
	memset(&f, 0, sizeof(f));
	snprintf(f.path, sizeof(f.path), "/tmp/gw-test-blocks-014-XXXXXX");
	int fd = mkstemp(f.path);
	assert_true(fd >= 0);
	close(fd);
	unlink(f.path);
	assert_int_equal(store_open_with(f.path, &o, &f.s, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(store_schema_version(f.s), 14);
	assert_int_equal(batch_init(&f.b), 0);
	src = fx_source(&f, "/var/log/a.log", "file");
	assert_int_equal(one(f.s, "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'request_blocks'"), 0);
	/* 50 rows as the writer of schema 14 left them (one second) */
	assert_int_equal(sqlite3_exec(f.s->db, "INSERT INTO upstreams"
	    " (id, name) VALUES (1, '10.1.0.1:80');"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < 50) INSERT INTO requests (id, source_id, line_no,"
	    " ts_ms, tz_min, client, status, upstream_id, n_attempts, cause,"
	    " a_status, a_cause) SELECT i, 1, i, 1795601700000 + i, 0,"
	    " 167772161, 200, 1, 1, 0, 200, 0 FROM n;"
	    "INSERT INTO request_runs (sec, first_id, last_id)"
	    " VALUES (1795601700, 1, 50);", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(src, 1);
	store_close(f.s);
	assert_int_equal(store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
	/* 15 and every later one */
	assert_true(store_schema_version(f.s) >= 15);
	assert_int_equal(one(f.s, "SELECT count(*) FROM request_blocks"), 0);
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests"), 50);
	store_set_blocks(f.s, true);
	for (int i = 0; i < 50; i++)
		fx_event(&f, T0 + 100 + i, 0, "10.0.0.1", "GET", "/a", NULL,
		    200, 5, GW_CAUSE_OK, "10.1.0.1:80 200 0");
	fx_write(&f, src);
	assert_int_equal(one(f.s, "SELECT first_id || '-' || last_id || '/' || n"
	    " = '51-100/50' FROM request_blocks"), 1);
	assert_int_equal(one(f.s, "SELECT count(DISTINCT id) FROM"
	    " requests_all"), 100);
	/* the runs cover every request once, rows and blocks */
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests_all r WHERE"
	    " (SELECT count(*) FROM request_runs k"
	    " WHERE r.id BETWEEN k.first_id AND k.last_id) <> 1"), 0);
	assert_int_equal(one(f.s, "SELECT max(last_id) FROM request_runs"),
	    100);
	fx_free(&f);
}

/*
 * Small batches (tail's) merge into the last block until it is full, and
 * the requests are those of the same batches without blocks; a block
 * whose ids are not all below the new ones is left alone.
 */
static void
test_blocks_small_batches(void **state)
{
	struct fx a, b;
	int64_t sa, sb;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	sa = fx_source(&a, "/var/log/a.log", "file");
	sb = fx_source(&b, "/var/log/a.log", "file");
	for (int k = 0; k < 700; k++)
		for (struct fx *f = &a; f != NULL; f = f == &a ? &b : NULL) {
			for (int i = 0; i < 7; i++) {
				char path[24];

				snprintf(path, sizeof(path), "/p/%d", k * 7 + i);
				fx_event(f, T0 + k * 100 + i, 0, "10.0.0.1",
				    "GET", path, NULL, i == 3 ? 502 : 200, 5,
				    i == 3 ? GW_CAUSE_UPSTREAM_5XX :
				    GW_CAUSE_OK, i == 3 ? "10.1.0.1:80 502 0" :
				    "10.1.0.1:80 200 0");
			}
			fx_write(f, f == &a ? sa : sb);
		}
	/* 4200 plain requests, 6 a batch: 682 batches merged into one block
	 * (4092: 6 more would not fit), the rest in a second */
	assert_int_equal(one(b.s, "SELECT count(*) FROM request_blocks"), 2);
	assert_int_equal(one(b.s, "SELECT max(n) FROM request_blocks"),
	    BLOCK_MAX_ROWS / 6 * 6);
	assert_int_equal(one(b.s, "SELECT sum(n) FROM request_blocks"), 4200);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 4900);
	same_rows(a.s->db, b.s->db, "SELECT * FROM request_runs ORDER BY 1, 2");
	fx_free(&a);
	fx_free(&b);
}

/*
 * An upstream_truncated error-log line joins a plain request written
 * earlier (the only join that can reach one): the request moves out of
 * its block into the rows and is joined exactly as without blocks: every
 * column of every request, the error lines, the rollups. Requests first
 * and last in their block, and one in the middle.
 */
static void
test_blocks_truncated_join(void **state)
{
	struct fx a, b;
	int64_t acc[2], errlog[2];

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	for (int k = 0; k < 2; k++) {
		struct fx *f = k == 0 ? &a : &b;

		acc[k] = fx_source(f, "access.log", "nginx_access");
		errlog[k] = fx_source(f, "error.log", "nginx_error");
		for (int i = 0; i < 30; i++) {
			char client[24];

			snprintf(client, sizeof(client), "10.0.0.%d", i);
			fx_event(f, T0 + 5000 + i * 10, 0, client, "GET",
			    "/dl", NULL, 200, 900, GW_CAUSE_OK,
			    "10.1.0.1:80 200 0");
		}
		fx_write(f, acc[k]);
		/* the first, the last and one in the middle */
		fx_error(f, T0 + 4900, "10.0.0.0", "GET", "/dl", NULL,
		    "10.1.0.1:80", GW_CAUSE_UPSTREAM_TRUNCATED);
		fx_error(f, T0 + 4900 + 290, "10.0.0.29", "GET", "/dl", NULL,
		    "10.1.0.1:80", GW_CAUSE_UPSTREAM_TRUNCATED);
		fx_error(f, T0 + 4900 + 150, "10.0.0.15", "GET", "/dl", NULL,
		    "10.1.0.1:80", GW_CAUSE_UPSTREAM_TRUNCATED);
		fx_write(f, errlog[k]);
	}
	assert_int_equal(one(a.s, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NOT NULL"), 3);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), 3);
	assert_int_equal(one(b.s, "SELECT sum(n) FROM request_blocks"), 27);
	assert_int_equal(one(b.s, "SELECT min(first_id) || '-' ||"
	    " max(last_id) = '2-29' FROM request_blocks"), 1);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 30);
	same_rows(a.s->db, b.s->db, "SELECT * FROM gateway_errors ORDER BY id");
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_attempt_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	same_rows(a.s->db, b.s->db, "SELECT id, name FROM paths ORDER BY id");
	fx_free(&a);
	fx_free(&b);
}

/*
 * Caddy's shape: a client with an error line in every batch (a hot one)
 * and many requests that succeeded. Only an error of an earlier batch
 * makes a request of the client a row (its probe finds only those): the
 * error of its own batch is matched against every stored request anyway.
 * Batch 1 brings an error and the request it explains (no upstream in the
 * access line: the error becomes its attempt) with 20 plain requests of
 * the client: 1 row (20 before). Batch 2 an error alone, batch 3 its
 * request and one plain one of the client: both rows, the error joined.
 * The same requests, errors, rollups and paths as without blocks.
 */
static void
test_blocks_hot_client(void **state)
{
	struct fx a, b;
	int64_t src[2];

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	for (int k = 0; k < 2; k++) {
		struct fx *f = k == 0 ? &a : &b;

		src[k] = fx_source(f, "caddy.log", "caddy");
		fx_error(f, T0 + 100, "10.0.0.7", "GET", "/pay", NULL,
		    "10.1.0.1:80", GW_CAUSE_UPSTREAM_REFUSED);
		for (int i = 0; i < 20; i++)
			fx_event(f, T0 + i * 10, 0, "10.0.0.7", "GET", "/a",
			    NULL, 200, 5, GW_CAUSE_OK, NULL);
		fx_event(f, T0 + 105, 0, "10.0.0.7", "GET", "/pay", NULL,
		    502, 10, GW_CAUSE_UNKNOWN, NULL);
		fx_write(f, src[k]);
		fx_error(f, T0 + 5000, "10.0.0.8", "GET", "/pay", NULL,
		    "10.1.0.1:80", GW_CAUSE_UPSTREAM_REFUSED);
		fx_write(f, src[k]);
		fx_event(f, T0 + 5005, 0, "10.0.0.8", "GET", "/pay", NULL,
		    502, 10, GW_CAUSE_UNKNOWN, NULL);
		fx_event(f, T0 + 5010, 0, "10.0.0.8", "GET", "/b", NULL,
		    200, 5, GW_CAUSE_OK, NULL);
		fx_write(f, src[k]);
	}
	assert_int_equal(one(a.s, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NOT NULL"), 2);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), 3);
	assert_int_equal(one(b.s, "SELECT sum(n) FROM request_blocks"), 20);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 23);
	same_rows(a.s->db, b.s->db, "SELECT * FROM gateway_errors ORDER BY id");
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_attempt_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	same_rows(a.s->db, b.s->db, "SELECT id, name FROM paths ORDER BY id");
	fx_free(&a);
	fx_free(&b);
}

/* A damaged block is an error of the read, not a crash or a wrong row. */
static void
test_blocks_damaged(void **state)
{
	struct fx f;
	sqlite3_stmt *st;
	int rc;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	edge_batches(&f, fx_source(&f, "/var/log/a.log", "file"));
	assert_int_equal(sqlite3_exec(f.s->db, "UPDATE request_blocks SET"
	    " data = substr(data, 1, length(data) - 3)"
	    " WHERE first_id = (SELECT max(first_id) FROM request_blocks)",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(f.s->db, "SELECT count(*)"
	    " FROM requests_all", -1, &st, NULL), SQLITE_OK);
	rc = sqlite3_step(st);
	assert_int_equal(rc, SQLITE_CORRUPT);
	sqlite3_finalize(st);
	fx_free(&f);
}

/*
 * requests_all by one id given as a real (id = 5.0 is id 5 in SQL): the
 * id is both bounds, each taken from the value as a bound of its side
 * (the real's lower bound alone as both missed it).
 */
static void
test_blocks_real_id(void **state)
{
	struct fx a, b;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	edge_batches(&a, fx_source(&a, "/var/log/a.log", "file"));
	edge_batches(&b, fx_source(&b, "/var/log/a.log", "file"));
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE id = 5.0"), 1);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE id = 3000.0"), 1);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE id = 5.5"), 0);
	same_rows(a.s->db, b.s->db, ALL_COLUMNS "WHERE r.id = 3.0");
	/* reals near the integers' end still bound: an id above 9.2e18
	 * (a row's, moved there) is above 9.205e18 */
	assert_int_equal(sqlite3_exec(b.s->db, "UPDATE requests SET id ="
	    " 9210000000000000000 WHERE id = (SELECT max(id) FROM requests)",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE id > 9.205e18"), 1);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE id = 9.21e18"), 1);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"
	    " WHERE id < -9.205e18 OR id > 9.3e18"), 0);
	same_rows(a.s->db, b.s->db, ALL_COLUMNS "WHERE r.id IN (4.0, 7,"
	    " 4100.0, 2.5)");
	fx_free(&a);
	fx_free(&b);
}

/*
 * A plain request goes into a block exactly when its row fits in one
 * (block_row_fits on its stored forms: an IPv4 client and HTTP/1.1 as
 * integers, the request id as 16 bytes), whether the writer lays it out
 * itself or hands it to the encoder thread: a path of the most bytes that
 * fit goes into a block, one byte more makes a row. Both read back as
 * they do without blocks.
 */
static void
test_blocks_big_row(void **state)
{
	/* 26 columns: 41 bytes of slack each and 41 for the block, 21 of
	 * room each (block.c); the request id's blob takes 16 more */
	size_t fit = BLOCK_MAX_RAW - 41 - 26 * 41 - 26 * 21 - 16;
	char *path = malloc(fit + 2);
	struct fx a, b;

	(void)state;
	assert_non_null(path);
	path[0] = '/';
	memset(path + 1, 'p', fit);
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	for (int k = 0; k < 2; k++) {
		struct fx *f = k == 0 ? &a : &b;
		int64_t src = fx_source(f, "/var/log/a.log", "file");

		for (size_t len = fit; len <= fit + 1; len++) {
			struct gw_event *e;

			path[len] = '\0';
			e = fx_event(f, T0, 0, "10.0.0.1", "GET", path, NULL,
			    200, 5, GW_CAUSE_OK, "10.1.0.1:80 200 0");
			e->shape = NULL;
			e->request_id = fx_str(f,
			    "890cbd8013c7ac376c72307b7b0739d7");
			path[len] = 'p';
			fx_event(f, T0 + 1, 0, "10.0.0.2", "GET", "/a", NULL,
			    200, 5, GW_CAUSE_OK, "10.1.0.1:80 200 0");
		}
		fx_write(f, src);
	}
	/* the second big one alone is a row */
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), 1);
	assert_int_equal(one(b.s, "SELECT id FROM requests"), 3);
	assert_int_equal(one(b.s, "SELECT sum(n) FROM request_blocks"), 3);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 4);
	fx_free(&a);
	fx_free(&b);
	free(path);
}

/*
 * Rows among blocks' requests (failed ones between plain ones) go in
 * STORE_ROW_QUEUE at once, the rest of a batch one by one: 2.5 queues'
 * worth in one batch and a few in the next read back as without blocks,
 * each under its own id.
 */
static void
test_blocks_rows_queued(void **state)
{
	int n = STORE_ROW_QUEUE * 5 / 2;
	struct fx a, b;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	for (int k = 0; k < 2; k++) {
		struct fx *f = k == 0 ? &a : &b;
		int64_t src = fx_source(f, "/var/log/a.log", "file");

		for (int batch = 0; batch < 2; batch++) {
			for (int i = 0; i < (batch == 0 ? n : 3); i++) {
				char path[32];

				snprintf(path, sizeof(path), "/r/%d", i);
				fx_event(f, T0 + i, 0, "10.0.0.1", "GET", "/a",
				    NULL, 200, 5, GW_CAUSE_OK,
				    "10.1.0.1:80 200 0");
				fx_event(f, T0 + i, 0, "10.0.0.2", "POST", path,
				    "x=1", 502, 7, GW_CAUSE_UPSTREAM_5XX,
				    i % 3 ? "10.1.0.1:80 502 0" :
				    "10.1.0.1:80 502 0, 10.1.0.2:80 502 0");
			}
			fx_write(f, src);
		}
	}
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), n + 3);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"
	    " WHERE id % 2 = 1"), 0);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 2 * (n + 3));
	assert_int_equal(same_rows(a.s->db, b.s->db, "SELECT * FROM attempts"
	    " ORDER BY request_id, seq"), one(a.s, "SELECT count(*)"
	    " FROM attempts"));
	fx_free(&a);
	fx_free(&b);
}

/* n plain requests (one inline attempt each) from T0 + at ms, into f. */
static void
plain_batch(struct fx *f, int n, int at)
{
	for (int i = 0; i < n; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/p/%d", (at + i) % 613);
		fx_event(f, T0 + at + i, 0, i % 2 ? "10.3.0.1" : "10.3.0.2",
		    "GET", path, NULL, 200, i, GW_CAUSE_OK,
		    "10.1.0.1:80 200 0");
	}
}

/*
 * A block spans the batches of one transaction (store_set_ingest): the
 * zip's open block is finished and inserted when the transaction commits,
 * not at each batch's end, so three batches of 1,500 plain requests make
 * a full block and its rest (main: three blocks of 1,500, each batch's
 * last block inserted at its end, too many rows to merge), and no block
 * but the full one is in request_blocks before the commit. The ids of the later batches
 * follow those of the open block; the requests are those written without
 * blocks.
 */
static void
test_blocks_span_batches(void **state)
{
	struct fx a, b;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	for (int k = 0; k < 2; k++) {
		struct fx *f = k == 0 ? &a : &b;
		int64_t src = fx_source(f, "/var/log/a.log", "file");

		assert_int_equal(store_set_ingest(f->s, f->err,
		    sizeof(f->err)), 0);
		for (int batch = 0; batch < 3; batch++) {
			plain_batch(f, 1500, batch * 1500);
			fx_write(f, src);
			/* held: no block inserted but the full one */
			assert_int_equal(one(f->s, "SELECT count(*) FROM"
			    " request_blocks"), k == 1 && batch == 2);
		}
		assert_int_equal(store_end_batches(f->s, f->err,
		    sizeof(f->err)), 0);
	}
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), 0);
	assert_int_equal(one(b.s, "SELECT group_concat(first_id || '-' ||"
	    " last_id || '/' || n, ' ') = '1-4096/4096 4097-4500/404'"
	    " FROM (SELECT * FROM request_blocks ORDER BY first_id)"), 1);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 4500);
	same_rows(a.s->db, b.s->db, "SELECT * FROM request_runs ORDER BY 1, 2");
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	fx_free(&a);
	fx_free(&b);
}

/*
 * A failed batch rolls back the whole held transaction: the requests of
 * its earlier batches, waiting in the zip's open block, go with it, and
 * the next batch's ids start again after what is stored (none: 1), its
 * block holding its requests alone.
 */
static void
test_blocks_span_rollback(void **state)
{
	struct fx f;
	int64_t src;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	src = fx_source(&f, "/var/log/a.log", "file");
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	plain_batch(&f, 1500, 0);
	fx_write(&f, src);
	plain_batch(&f, 700, 1500);
	fx_write(&f, src);
	/* a batch of an unknown source fails, the transaction rolled back */
	plain_batch(&f, 300, 2200);
	f.b.source_id = src + 100;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	batch_clear(&f.b);
	plain_batch(&f, 1200, 5000);
	fx_write(&f, src);
	assert_int_equal(store_end_batches(f.s, f.err, sizeof(f.err)), 0);
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests_all"), 1200);
	assert_int_equal(one(f.s, "SELECT min(id) || '-' || max(id) = '1-1200'"
	    " FROM requests_all"), 1);
	assert_int_equal(one(f.s, "SELECT min(ts_ms) - 1795601700000"
	    " FROM requests_all"), 5000);
	assert_int_equal(one(f.s, "SELECT group_concat(first_id || '-' ||"
	    " last_id || '/' || n) = '1-1200/1200' FROM request_blocks"), 1);
	fx_free(&f);
}

/*
 * The join reads plain requests (an upstream_truncated error line finds
 * the request it cut short, in a block): with the requests in the zip's
 * open block, held from an earlier batch of the transaction, the block
 * goes in before the join, which finds and joins them as without blocks.
 */
static void
test_blocks_span_join(void **state)
{
	struct fx a, b;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	for (int k = 0; k < 2; k++) {
		struct fx *f = k == 0 ? &a : &b;
		int64_t acc = fx_source(f, "access.log", "nginx_access");
		int64_t errlog = fx_source(f, "error.log", "nginx_error");

		assert_int_equal(store_set_ingest(f->s, f->err,
		    sizeof(f->err)), 0);
		for (int i = 0; i < 30; i++) {
			char client[24];

			snprintf(client, sizeof(client), "10.0.0.%d", i);
			fx_event(f, T0 + 5000 + i * 10, 0, client, "GET",
			    "/dl", NULL, 200, 900, GW_CAUSE_OK,
			    "10.1.0.1:80 200 0");
		}
		fx_write(f, acc);
		fx_error(f, T0 + 4900 + 150, "10.0.0.15", "GET", "/dl", NULL,
		    "10.1.0.1:80", GW_CAUSE_UPSTREAM_TRUNCATED);
		fx_write(f, errlog);
		assert_int_equal(store_end_batches(f->s, f->err,
		    sizeof(f->err)), 0);
	}
	assert_int_equal(one(a.s, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NOT NULL"), 1);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), 1);
	assert_int_equal(one(b.s, "SELECT sum(n) FROM request_blocks"), 29);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 30);
	same_rows(a.s->db, b.s->db, "SELECT * FROM gateway_errors ORDER BY id");
	same_rows(a.s->db, b.s->db, "SELECT * FROM rollup_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	fx_free(&a);
	fx_free(&b);
}

/*
 * store_sink_async (ingest's pipeline): it returns while the zip may
 * still read the batch; store_sink_read() with its mark says when the
 * batch is the caller's again (waiting, on another thread than the
 * writer's: here the test's, between batches), and with mark 0 waits
 * until it reads none. What is stored is what store_write_batch stores.
 */
static void
test_blocks_sink_async(void **state)
{
	struct fx a, b;
	uint64_t mark = 0, last = 0;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	int64_t sa = fx_source(&a, "/var/log/a.log", "file");
	int64_t sb = fx_source(&b, "/var/log/a.log", "file");
	assert_int_equal(store_set_ingest(a.s, a.err, sizeof(a.err)), 0);
	assert_int_equal(store_set_ingest(b.s, b.err, sizeof(b.err)), 0);
	for (int batch = 0; batch < 4; batch++) {
		plain_batch(&a, 2000 + batch * 7, batch * 3000);
		fx_write(&a, sa);
		plain_batch(&b, 2000 + batch * 7, batch * 3000);
		b.b.source_id = sb;
		b.b.position += 1000;
		b.b.line_no += 10;
		assert_int_equal(store_sink_async(b.s, &b.b, &mark, b.err,
		    sizeof(b.err)), 0);
		assert_true(mark > last);
		last = mark;
		assert_int_equal(store_sink_read(b.s, mark, true, NULL, 0), 0);
		assert_int_equal(store_sink_read(b.s, mark, false, NULL, 0),
		    0);
		batch_clear(&b.b);
	}
	assert_int_equal(store_sink_read(b.s, 0, true, b.err, sizeof(b.err)),
	    0);
	assert_int_equal(store_end_batches(a.s, a.err, sizeof(a.err)), 0);
	assert_int_equal(store_end_batches(b.s, b.err, sizeof(b.err)), 0);
	assert_int_equal(same_rows(a.s->db, b.s->db, ALL_COLUMNS
	    "ORDER BY id"), 4 * 2000 + 7 * 6);
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests"), 0);
	fx_free(&a);
	fx_free(&b);
}

/*
 * A database whose largest id is the largest integer (a hostile or
 * damaged file) leaves no id for the next request: the write fails with
 * a message, and nothing overflows (UBSan) or is stored.
 */
static void
test_blocks_ids_exhausted(void **state)
{
	struct fx f;
	int64_t src, n;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	src = fx_source(&f, "/var/log/a.log", "file");
	edge_batches(&f, src);
	n = one(f.s, "SELECT count(*) FROM requests_all");
	assert_int_equal(sqlite3_exec(f.s->db, "UPDATE requests SET"
	    " id = 9223372036854775807"
	    " WHERE id = (SELECT max(id) FROM requests)",
	    NULL, NULL, NULL), SQLITE_OK);
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/a", NULL, 200, 5,
	    GW_CAUSE_OK, "10.1.0.1:80 200 0");
	f.b.source_id = src;
	f.b.position += 1000;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	assert_non_null(strstr(f.err, "request id"));
	batch_clear(&f.b);
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests_all"), n);
	fx_free(&f);
}

/*
 * The writer's next request id comes from the last block (blocks do not
 * overlap) by one seek, whatever the number of blocks, and so does the
 * exporter's high mark: on main they read every block's row (max(last_id))
 * at every batch and every second, a cost that grew with the database.
 */
static void
test_blocks_next_id_seek(void **state)
{
	struct fx f;
	sqlite3_stmt *st;
	int64_t id = 0;
	bool given = false;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	assert_int_equal(sqlite3_exec(f.s->db, "WITH RECURSIVE k(v) AS"
	    " (VALUES (0) UNION ALL SELECT v + 1 FROM k WHERE v < 1999)"
	    " INSERT INTO request_blocks (first_id, last_id, n, data)"
	    " SELECT v * 10 + 1, v * 10 + 10, 10, x'00' FROM k", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_non_null(st = store_stmt(f.s, STMT_BLOCKS_NEXT_ID, f.err,
	    sizeof(f.err)));
	(void)sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
	assert_int_equal(blocks_next_id(f.s, &id, &given, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(id, 20001);
	assert_true(given);
	assert_in_range(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0),
	    1, 100);
	/* the exporter's high mark likewise, once a second */
	int64_t req = 0, rej = -1;
	assert_true(store_reads_blocks(f.s));
	assert_non_null(st = store_stmt(f.s, STMT_METRICS_MARKS, f.err,
	    sizeof(f.err)));
	(void)sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
	assert_int_equal(store_metrics_marks(f.s, &req, &rej, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(req, 20000);
	assert_int_equal(rej, 0);
	assert_in_range(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0),
	    1, 100);
	/* rows past the blocks: theirs */
	assert_int_equal(sqlite3_exec(f.s->db, "INSERT INTO requests (id,"
	    " source_id, line_no, ts_ms, tz_min, status, upstream_id,"
	    " n_attempts, cause) VALUES (30000, 1, 1, 0, 0, 200, 1, 0, 0)",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(blocks_next_id(f.s, &id, &given, f.err,
	    sizeof(f.err)), 0);
	assert_int_equal(id, 30001);
	fx_free(&f);
}

/*
 * Blocks whose first_id, last_id or n disagree with their requests, or
 * that overlap (a forged or damaged file): a read of requests_all fails
 * as on a damaged block, whichever way it reads (it gave ids twice, or
 * found an id by a scan and not by its value).
 */
static void
test_blocks_disagree(void **state)
{
	static const char *const damage[] = {
		"UPDATE request_blocks SET last_id = first_id + 5"
		" WHERE n = 4096",
		"UPDATE request_blocks SET n = n - 1 WHERE n = 4096",
		"INSERT INTO request_blocks (first_id, last_id, n, data)"
		" SELECT first_id + 1, last_id, n, data FROM request_blocks"
		" WHERE n = 4096",
		"INSERT INTO request_blocks (first_id, last_id, n, data)"
		" SELECT last_id + 100000, last_id + 104095, n, data FROM"
		" request_blocks WHERE n = 4096",
	};
	static const char *const reads[] = {
		"SELECT count(*) FROM requests_all",
		"SELECT count(*) FROM requests_all WHERE id >= 100",
		"SELECT count(*) FROM request_runs k CROSS JOIN requests_all r"
		" ON r.id BETWEEN k.first_id AND k.last_id",
	};

	(void)state;
	for (size_t d = 0; d < sizeof(damage) / sizeof(*damage); d++) {
		struct fx f;

		fx_init(&f);
		store_set_blocks(f.s, true);
		edge_batches(&f, fx_source(&f, "/var/log/a.log", "file"));
		assert_int_equal(one(f.s, "SELECT count(*) FROM request_blocks"
		    " WHERE n = 4096"), 1);
		assert_int_equal(sqlite3_exec(f.s->db, damage[d], NULL, NULL,
		    NULL), SQLITE_OK);
		for (size_t q = 0; q < sizeof(reads) / sizeof(*reads); q++) {
			sqlite3_stmt *st;
			int rc;

			/* a last_id lowered hides the block from a read
			 * that starts past it (not decoded, not checked);
			 * no run reaches a block of ids past every run */
			if ((d == 0 && q > 0) || (d == 3 && q == 2))
				continue;
			assert_int_equal(sqlite3_prepare_v2(f.s->db, reads[q],
			    -1, &st, NULL), SQLITE_OK);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_CORRUPT)
				fail_msg("%s, then %s: %d", damage[d], reads[q],
				    rc);
		}
		fx_free(&f);
	}
}

/*
 * A last block whose n is the largest integer (a forged file) is not
 * merged into (n + the new rows overflowed, wrapped below the limit, and
 * the merge went on): the new rows go into a block of their own.
 */
static void
test_blocks_merge_forged_n(void **state)
{
	struct fx f;
	int64_t src, blocks;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	src = fx_source(&f, "/var/log/a.log", "file");
	edge_batches(&f, src);
	blocks = one(f.s, "SELECT count(*) FROM request_blocks");
	assert_int_equal(sqlite3_exec(f.s->db, "UPDATE request_blocks SET"
	    " n = 9223372036854775807"
	    " WHERE first_id = (SELECT max(first_id) FROM request_blocks)",
	    NULL, NULL, NULL), SQLITE_OK);
	fx_event(&f, T0, 0, "10.0.0.1", "GET", "/a", NULL, 200, 5,
	    GW_CAUSE_OK, "10.1.0.1:80 200 0");
	fx_write(&f, src);
	assert_int_equal(one(f.s, "SELECT count(*) FROM request_blocks"),
	    blocks + 1);
	fx_free(&f);
}

/* Prune under p until it says there is no more (bounded): the sum. */
static void
prune_all(struct store *s, const struct store_prune_policy *p, int max_rows,
    struct store_prune_result *tot)
{
	char err[256];
	int steps = 0;

	do {
		if (store_prune_step(s, p, max_rows, tot, err,
		    sizeof(err)) != 0)
			fail_msg("prune: %s", err);
		if (++steps > 100000)
			fail_msg("prune: still more after %d steps", steps);
	} while (tot->more);
}

/* Every request of a and b, with their attempts, error lines, runs and
 * how far raw rows are pruned, the same. */
static void
same_requests(struct fx *a, struct fx *b)
{
	same_rows(a->s->db, b->s->db, ALL_COLUMNS "ORDER BY id");
	same_rows(a->s->db, b->s->db, "SELECT * FROM request_runs"
	    " ORDER BY 1, 2");
	same_rows(a->s->db, b->s->db, "SELECT * FROM attempts ORDER BY 1, 2");
	same_rows(a->s->db, b->s->db, "SELECT id, local_ms, request_id"
	    " FROM gateway_errors ORDER BY id");
	same_rows(a->s->db, b->s->db, "SELECT id FROM rejects ORDER BY id");
	same_rows(a->s->db, b->s->db, "SELECT key, value FROM store_meta"
	    " WHERE key LIKE '%pruned%' OR key LIKE 'mark%' ORDER BY key");
	same_rows(a->s->db, b->s->db, "SELECT * FROM rollup_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	/* every request in exactly one run of its second */
	assert_int_equal(one(b->s, "SELECT count(*) FROM requests_all r WHERE"
	    " (SELECT count(*) FROM request_runs k WHERE r.id BETWEEN"
	    " k.first_id AND k.last_id AND k.sec = (r.ts_ms - (((r.ts_ms %"
	    " 1000) + 1000) % 1000)) / 1000) <> 1"), 0);
}

/*
 * The prune test's requests: edge_batches (blocks, rows between them,
 * times before 1970 and far ahead), then three hours of batches, each
 * with a host of its own, failed requests joined to error-log lines and
 * a rejected line.
 */
static void
prune_batches(struct fx *f)
{
	int64_t src = fx_source(f, "/var/log/a.log", "file");
	int64_t elog = fx_source(f, "/var/log/error.log", "nginx_error");

	edge_batches(f, src);
	for (int h = 1; h <= 3; h++) {
		char host[32];

		snprintf(host, sizeof(host), "h%d.example", h);
		for (int i = 0; i < 700; i++) {
			char client[24], path[24];
			struct gw_event *e;
			bool bad = i % 50 == 7;

			snprintf(client, sizeof(client), "10.3.%d.%d", h, i % 200);
			snprintf(path, sizeof(path), "/h%d/%d", h, i % 90);
			e = fx_event(f, T0 + h * 3600000LL + i * 1000, 0, client,
			    "GET", path, NULL, bad ? 502 : 200, 5, bad ?
			    GW_CAUSE_UPSTREAM_5XX : GW_CAUSE_OK, bad ?
			    "10.1.0.1:80 502 0" : "10.1.0.1:80 200 0");
			e->host = fx_str(f, host);
			if (i % 100 == 0)
				e->shape = fx_str(f, host);
		}
		assert_int_equal(batch_add_reject(&f->b, 350, 35000,
		    "unparsed", "junk", 4), 0);
		fx_write(f, src);
		for (int i = 7; i < 700; i += 50) {
			char client[24];

			snprintf(client, sizeof(client), "10.3.%d.%d", h, i % 200);
			fx_error(f, T0 + h * 3600000LL + i * 1000 - 2, client,
			    "GET", "/x", NULL, "10.1.0.1:80",
			    GW_CAUSE_UPSTREAM_5XX);
		}
		fx_write(f, elog);
	}
}

/*
 * Prune on a database with blocks removes exactly what it removes on the
 * same requests stored as rows, step by step (max_rows small, so a block
 * is cut in several steps), at cutoffs before everything, inside the
 * full block, between blocks, inside an hour's block and after all but
 * the far future: the same requests (every column), runs, attempts,
 * error lines, rejects, "pruned before" and removal counts; no request
 * older than the cutoff is left; the hosts and shapes the exact sweep
 * keeps are the same. Fails on main (prune refused blocks).
 */
static void
test_blocks_prune_same(void **state)
{
	const int64_t cuts[] = {T0 - 1, T0 + 1000 + 3 * 1500,
	    T0 + 1000 + 3 * (BLOCK_MAX_ROWS + 4), T0 + 2 * 3600000LL + 350000,
	    INT64_MAX / 8};
	struct fx a, b;
	int64_t full;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	prune_batches(&a);
	prune_batches(&b);
	same_requests(&a, &b);
	full = one(b.s, "SELECT first_id FROM request_blocks WHERE n = 4096");
	assert_true(full > 0);
	for (size_t c = 0; c < sizeof(cuts) / sizeof(*cuts); c++) {
		struct store_prune_policy p = {cuts[c], INT64_MIN, 0, 0};
		struct store_prune_result ra = {0}, rb = {0};
		char err[256], sql[256];

		for (int step = 0; ; step++) {
			ra.more = rb.more = false;
			assert_int_equal(store_prune_step(a.s, &p, 300, &ra, err,
			    sizeof(err)), 0);
			assert_int_equal(store_prune_step(b.s, &p, 300, &rb, err,
			    sizeof(err)), 0);
			assert_int_equal(ra.more, rb.more);
			assert_int_equal(ra.requests, rb.requests);
			assert_int_equal(one(a.s, "SELECT sum(id) FROM requests"),
			    one(b.s, "SELECT sum(id) FROM requests_all"));
			if (!ra.more)
				break;
			assert_true(step < 1000);
		}
		assert_int_equal(ra.attempts, rb.attempts);
		assert_int_equal(ra.errors, rb.errors);
		assert_int_equal(ra.rejects, rb.rejects);
		same_requests(&a, &b);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests_all"
		    " WHERE ts_ms < %lld", (long long)cuts[c]);
		assert_int_equal(one(b.s, sql), 0);
		assert_int_equal(one(a.s, sql), 0);
		if (c == 1) {
			/* the full block cut: its rest under a new first id */
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM"
			    " request_blocks WHERE first_id = %lld",
			    (long long)full);
			assert_int_equal(one(b.s, sql), 0);
			snprintf(sql, sizeof(sql), "SELECT n FROM request_blocks"
			    " WHERE first_id > %lld ORDER BY first_id LIMIT 1",
			    (long long)full);
			assert_in_range(one(b.s, sql), 1, 4095);
		}
		assert_int_equal(store_prune_strings(a.s, &ra, err,
		    sizeof(err)), 0);
		assert_int_equal(store_prune_strings(b.s, &rb, err,
		    sizeof(err)), 0);
		same_rows(a.s->db, b.s->db, "SELECT id, name FROM hosts"
		    " ORDER BY id");
		same_rows(a.s->db, b.s->db, "SELECT id, name FROM shapes"
		    " ORDER BY id");
		same_requests(&a, &b);
	}
	/* only the far future is left, in a block and as rows */
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"), 3);
	assert_true(one(b.s, "SELECT count(*) FROM request_blocks") > 0);
	fx_free(&a);
	fx_free(&b);
}

/*
 * Under a size cap prune takes the oldest requests whatever their age:
 * with blocks the same ones, step by step, until none is left, then the
 * rollups; and it ends.
 */
static void
test_blocks_prune_cap(void **state)
{
	struct store_prune_policy p = {INT64_MIN, INT64_MIN, 1, 0};
	struct fx a, b;

	(void)state;
	fx_init(&a);
	fx_init(&b);
	store_set_blocks(b.s, true);
	prune_batches(&a);
	prune_batches(&b);
	for (int step = 0; ; step++) {
		struct store_prune_result ra = {0}, rb = {0};
		char err[256];

		assert_int_equal(store_prune_step(a.s, &p, 700, &ra, err,
		    sizeof(err)), 0);
		assert_int_equal(store_prune_step(b.s, &p, 700, &rb, err,
		    sizeof(err)), 0);
		assert_int_equal(ra.requests, rb.requests);
		assert_int_equal(ra.rollup_rows, rb.rollup_rows);
		assert_int_equal(ra.more, rb.more);
		if (step % 3 == 0)
			same_requests(&a, &b);
		if (!ra.more)
			break;
		assert_true(step < 1000);
	}
	assert_int_equal(one(b.s, "SELECT count(*) FROM requests_all"), 0);
	assert_int_equal(one(b.s, "SELECT count(*) FROM request_blocks"), 0);
	same_requests(&a, &b);
	fx_free(&a);
	fx_free(&b);
}

/*
 * The string sweeps keep what blocks name by id: a host and a shape
 * named by a failed request (a row) an hour before and since only by
 * plain requests (a block) are marked with the block's time, and stay
 * through the sweep of marks and the exact one; once the block's
 * requests are pruned too, both sweeps remove them. Fails on main
 * (prune refused; marks read rows only, and the sweeps removed them).
 */
static void
test_blocks_prune_strings(void **state)
{
	struct store_prune_policy p = {T0 + 5 * 3600000LL, INT64_MIN, 0, 0};
	struct store_prune_result r = {0};
	struct gw_event *e;
	struct fx f;
	int64_t src;
	char err[256];

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	src = fx_source(&f, "/var/log/a.log", "file");
	e = fx_event(&f, T0, 0, "10.0.0.1", "GET", "/a", NULL, 502, 5,
	    GW_CAUSE_UPSTREAM_5XX, "10.1.0.1:80 502 0");
	e->host = fx_str(&f, "kept.example");
	e->shape = fx_str(&f, "/kept/{id}");
	fx_write(&f, src);
	for (int i = 0; i < 100; i++) {
		e = fx_event(&f, T0 + 10 * 3600000LL + i, 0, "10.0.0.1", "GET",
		    "/a", NULL, 200, 5, GW_CAUSE_OK, "10.1.0.1:80 200 0");
		e->host = fx_str(&f, "kept.example");
		e->shape = fx_str(&f, "/kept/{id}");
	}
	fx_write(&f, src);
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests"), 1);
	assert_int_equal(one(f.s, "SELECT sum(n) FROM request_blocks"), 100);
	prune_all(f.s, &p, 1000, &r);
	assert_int_equal(r.requests, 1);
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests"), 0);
	assert_int_equal(one(f.s, "SELECT count(*) FROM hosts"
	    " WHERE name = 'kept.example'"), 1);
	assert_int_equal(one(f.s, "SELECT count(*) FROM shapes"
	    " WHERE name = '/kept/{id}'"), 1);
	assert_int_equal(store_prune_strings(f.s, &r, err, sizeof(err)), 0);
	assert_int_equal(one(f.s, "SELECT count(*) FROM hosts"
	    " WHERE name = 'kept.example'"), 1);
	assert_int_equal(one(f.s, "SELECT count(*) FROM shapes"
	    " WHERE name = '/kept/{id}'"), 1);
	/* the block's requests read back with their names */
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests_all r"
	    " JOIN hosts h ON h.id = r.host_id JOIN shapes s"
	    " ON s.id = r.shape_id"), 100);
	/* and once they are gone, so are the names */
	p.raw_before_ms = INT64_MAX / 8;
	prune_all(f.s, &p, 1000, &r);
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests_all"), 0);
	assert_int_equal(store_prune_strings(f.s, &r, err, sizeof(err)), 0);
	assert_int_equal(one(f.s, "SELECT count(*) FROM hosts"
	    " WHERE name = 'kept.example'"), 0);
	assert_int_equal(one(f.s, "SELECT count(*) FROM shapes"
	    " WHERE name = '/kept/{id}'"), 0);
	fx_free(&f);
}

/*
 * A damaged or forged block (cut short, first_id, last_id or n that
 * disagree with its requests, overlapping another, one past every run)
 * fails a prune step with a message, removes nothing (rolled back), and
 * says no more: prune stops, it neither crashes nor loops (a size cap
 * included, which looks for requests until none is left).
 */
static void
test_blocks_prune_damaged(void **state)
{
	static const char *const damage[] = {
		"UPDATE request_blocks SET data = substr(data, 1,"
		" length(data) - 3) WHERE n = 4096",
		"UPDATE request_blocks SET data = zeroblob(100) WHERE n = 4096",
		"UPDATE request_blocks SET last_id = first_id + 5"
		" WHERE n = 4096",
		"UPDATE request_blocks SET n = n - 1 WHERE n = 4096",
		"UPDATE request_blocks SET n = 9223372036854775807"
		" WHERE n = 4096",
		"UPDATE request_blocks SET first_id = first_id - 1"
		" WHERE n = 4096",
		"INSERT INTO request_blocks (first_id, last_id, n, data)"
		" SELECT first_id + 1, last_id, n, data FROM request_blocks"
		" WHERE n = 4096",
		"INSERT INTO request_blocks (first_id, last_id, n, data)"
		" SELECT last_id + 100000, last_id + 104095, n, data FROM"
		" request_blocks WHERE n = 4096",
	};
	const struct store_prune_policy pols[] = {
		{T0 + 1000 + 3 * 1500, INT64_MIN, 0, 0},
		{INT64_MIN, INT64_MIN, 1, 0},
	};

	(void)state;
	for (size_t d = 0; d < sizeof(damage) / sizeof(*damage); d++) {
		for (size_t q = 0; q < sizeof(pols) / sizeof(*pols); q++) {
			struct store_prune_result r = {0};
			struct fx f;
			int64_t rows, inblocks;
			char err[256] = "";
			int rc = 0, steps = 0;

			fx_init(&f);
			store_set_blocks(f.s, true);
			edge_batches(&f, fx_source(&f, "/var/log/a.log",
			    "file"));
			assert_int_equal(sqlite3_exec(f.s->db, damage[d], NULL,
			    NULL, NULL), SQLITE_OK);
			do {
				rows = one(f.s, "SELECT count(*) FROM requests");
				inblocks = one(f.s, "SELECT count(*) || sum(n) ||"
				    " sum(length(data)) FROM request_blocks");
				r.more = false;
				rc = store_prune_step(f.s, &pols[q], 500, &r, err,
				    sizeof(err));
				if (++steps > 1000)
					fail_msg("%s: prune loops", damage[d]);
			} while (rc == 0 && r.more);
			if (rc != 0) {
				assert_false(r.more);
				assert_true(err[0] != '\0');
				/* the failed step left what it found */
				assert_int_equal(one(f.s, "SELECT count(*)"
				    " FROM requests"), rows);
				assert_int_equal(one(f.s, "SELECT count(*) ||"
				    " sum(n) || sum(length(data)) FROM"
				    " request_blocks"), inblocks);
				assert_int_equal(store_prune_strings(f.s, &r,
				    err, sizeof(err)), -1);
			} else if (d < 7)
				fail_msg("%s: prune did not see the damage",
				    damage[d]);
			fx_free(&f);
		}
	}
}

/* Append varint v at b[*n]. */
static void
raw_varint(uint8_t *b, size_t *n, uint64_t v)
{
	while (v >= 0x80) {
		b[(*n)++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[(*n)++] = (uint8_t)v;
}

/*
 * A block of BLOCK_MAX_ROWS requests made by hand in block.c's raw form
 * (not compressed), each with a path of text_len bytes: ids 1.., times
 * T0 + id - 1 ms, status 200, cause 0, the rest NULL. malloc'd, *len set.
 */
static uint8_t *
raw_block(size_t text_len, size_t *len)
{
	size_t cap = (size_t)BLOCK_MAX_ROWS * (text_len + 64) + 4096, n = 0;
	uint8_t *raw = malloc(cap), *out;
	size_t o = 0;

	assert_non_null(raw);
	raw_varint(raw, &n, BLOCK_MAX_ROWS);
	raw_varint(raw, &n, BLOCK_REQUEST_COLUMNS);
	for (int c = 0; c < BLOCK_REQUEST_COLUMNS; c++) {
		uint8_t tags[16];
		size_t tn = 0, vn = 0;
		uint8_t *vals = malloc(cap);
		int type = c == BC_PATH ? BLOCK_TEXT : c == BC_ID ||
		    c == BC_TS_MS || c == BC_STATUS || c == BC_CAUSE ?
		    BLOCK_INT : BLOCK_NULL;

		assert_non_null(vals);
		tags[tn++] = (uint8_t)type;
		raw_varint(tags, &tn, BLOCK_MAX_ROWS);
		for (int r = 0; r < BLOCK_MAX_ROWS && type != BLOCK_NULL; r++) {
			if (type == BLOCK_TEXT) {
				raw_varint(vals, &vn, text_len);
				memset(vals + vn, 'a' + r % 26, text_len);
				vals[vn] = '/';
				vn += text_len;
			} else if (c == BC_STATUS)	/* zigzag deltas */
				raw_varint(vals, &vn, r == 0 ? 400 : 0);
			else if (c == BC_CAUSE)
				raw_varint(vals, &vn, 0);
			else if (c == BC_TS_MS)
				raw_varint(vals, &vn, r == 0 ?
				    (uint64_t)T0 * 2 : 2);
			else
				raw_varint(vals, &vn, 2);	/* ids 1, 2.. */
		}
		raw_varint(raw, &n, tn);
		memcpy(raw + n, tags, tn);
		n += tn;
		raw_varint(raw, &n, vn);
		memcpy(raw + n, vals, vn);
		n += vn;
		free(vals);
	}
	assert_true(n <= BLOCK_MAX_RAW);
	out = malloc(n + 16);
	assert_non_null(out);
	out[o++] = 0;	/* the raw form, not compressed */
	raw_varint(out, &o, n);
	memcpy(out + o, raw, n);
	free(raw);
	*len = o + n;
	return out;
}

/*
 * A block whose requests, all but the oldest 96, do not fit in one block
 * as the encoder counts (it reserves each value's largest size; a block
 * near BLOCK_MAX_RAW made elsewhere, a forged file): prune writes the
 * rest as two blocks that do not overlap, and every request kept reads
 * back whole.
 */
static void
test_blocks_prune_split(void **state)
{
	struct store_prune_policy p = {T0 + 96, INT64_MIN, 0, 0};
	struct store_prune_result r = {0};
	sqlite3_stmt *st;
	size_t len;
	uint8_t *blob = raw_block(1850, &len);
	struct fx f;

	(void)state;
	fx_init(&f);
	assert_int_equal(sqlite3_prepare_v2(f.s->db, "INSERT INTO"
	    " request_blocks (first_id, last_id, n, data) VALUES (1, ?1, ?1,"
	    " ?2)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int(st, 1, BLOCK_MAX_ROWS);
	sqlite3_bind_blob(st, 2, blob, (int)len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	free(blob);
	/* its runs: ids 1..4096 at T0 + 0..4095 ms, seconds 0..4 */
	for (int sec = 0; sec * 1000 < BLOCK_MAX_ROWS; sec++) {
		char sql[200];
		int last = (sec + 1) * 1000 < BLOCK_MAX_ROWS ? (sec + 1) * 1000 :
		    BLOCK_MAX_ROWS;

		snprintf(sql, sizeof(sql), "INSERT INTO request_runs VALUES"
		    " (%lld, %d, %d)", (long long)(T0 / 1000 + sec),
		    sec * 1000 + 1, last);
		assert_int_equal(sqlite3_exec(f.s->db, sql, NULL, NULL, NULL),
		    SQLITE_OK);
	}
	assert_int_equal(one(f.s, "SELECT count(*) FROM requests_all"),
	    BLOCK_MAX_ROWS);
	prune_all(f.s, &p, 1000, &r);
	assert_int_equal(r.requests, 96);
	assert_int_equal(one(f.s, "SELECT count(*) FROM request_blocks"), 2);
	assert_int_equal(one(f.s, "SELECT min(first_id) FROM request_blocks"),
	    97);
	assert_int_equal(one(f.s, "SELECT max(last_id) FROM request_blocks"),
	    BLOCK_MAX_ROWS);
	assert_int_equal(one(f.s, "SELECT sum(n) FROM request_blocks"),
	    BLOCK_MAX_ROWS - 96);
	assert_int_equal(one(f.s, "SELECT count(*) || ' ' || min(id) || ' ' ||"
	    " sum(length(path)) || ' ' || sum(ts_ms - 1795601700000) ="
	    " '4000 97 7400000 ' || (4095 * 4096 / 2 - 95 * 96 / 2)"
	    " FROM requests_all"), 1);
	fx_free(&f);
}

/*
 * Requests no run names (a forged file: request_runs emptied) cannot be
 * found by time: under a size cap, which prunes until no request is
 * left, prune stops once every row is marked instead of looking again
 * and again (it looped).
 */
static void
test_blocks_prune_unreachable(void **state)
{
	struct store_prune_policy p = {INT64_MIN, INT64_MIN, 1, 0};
	struct store_prune_result r = {0};
	struct fx f;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	edge_batches(&f, fx_source(&f, "/var/log/a.log", "file"));
	assert_int_equal(sqlite3_exec(f.s->db, "DELETE FROM request_runs",
	    NULL, NULL, NULL), SQLITE_OK);
	prune_all(f.s, &p, 500, &r);
	assert_int_equal(r.requests, 0);
	assert_true(one(f.s, "SELECT count(*) FROM requests_all") > 0);
	fx_free(&f);
}

/*
 * `gatewatch CMD -d DB ARGS` run twice, GW_INGEST_BLOCKS=0 and =1,
 * into two fresh databases: the same requests (requests_all), rollups,
 * names, attempts and runs, and at least expect_min_plain requests in
 * blocks. Returns the number of requests.
 */
static int64_t
run_both(const char *cmd_name, const char *args, int64_t expect_min_plain)
{
	const char *bin = getenv("GW_BIN");
	char dir[64] = "/tmp/gw-blocks-XXXXXX", cmd[4096], pa[96], pb[96];
	struct store *a, *b;
	char err[256];
	int64_t n;

	if (bin == NULL)
		bin = "build/gatewatch";
	assert_non_null(mkdtemp(dir));
	snprintf(pa, sizeof(pa), "%s/a.db", dir);
	snprintf(pb, sizeof(pb), "%s/b.db", dir);
	snprintf(cmd, sizeof(cmd), "GW_INGEST_BLOCKS=0 '%s' %s -q -d '%s' %s &&"
	    " GW_INGEST_BLOCKS=1 '%s' %s -q -d '%s' %s", bin, cmd_name, pa,
	    args, bin, cmd_name, pb, args);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_open(pa, &a, err, sizeof(err)), 0);
	assert_int_equal(store_open(pb, &b, err, sizeof(err)), 0);
	n = same_rows(a->db, b->db, ALL_COLUMNS "ORDER BY id");
	assert_true(one(b, "SELECT coalesce(sum(n), 0) FROM request_blocks") >=
	    expect_min_plain);
	same_rows(a->db, b->db, "SELECT * FROM rollup_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	same_rows(a->db, b->db, "SELECT * FROM rollup_attempt_minute"
	    " ORDER BY 1, 2, 3, 4, 5");
	/* paths by name: the plain requests' paths are not interned */
	same_rows(a->db, b->db, "SELECT id, source_id, line_no, local_ms,"
	    " level, conn, cause, message, client, server, method_id,"
	    " (SELECT name FROM paths WHERE id = path_id), query, upstream_id,"
	    " host_id, request_id FROM gateway_errors ORDER BY id");
	/* names get the same ids in the same order (reports list upstreams
	 * in id order): fails with the rows of a group of 40 requests
	 * inserted apart from the group's attempts */
	same_rows(a->db, b->db, "SELECT id, name FROM upstreams ORDER BY id");
	same_rows(a->db, b->db, "SELECT id, name FROM hosts ORDER BY id");
	same_rows(a->db, b->db, "SELECT id, name FROM methods ORDER BY id");
	same_rows(a->db, b->db, "SELECT id, name FROM shapes ORDER BY id");
	same_rows(a->db, b->db, "SELECT * FROM attempts ORDER BY 1, 2");
	same_rows(a->db, b->db, "SELECT count(*), sum(r.status)"
	    " FROM request_runs k CROSS JOIN requests_all r"
	    " ON r.id BETWEEN k.first_id AND k.last_id GROUP BY k.sec"
	    " ORDER BY k.sec");
	/* a capture's counters, per gateway port too */
	same_rows(a->db, b->db, "SELECT * FROM capture_stats ORDER BY 1");
	same_rows(a->db, b->db, "SELECT * FROM capture_ports ORDER BY 1, 2");
	store_close(a);
	store_close(b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return n;
}

/* Real ingests, with and without blocks: genlog's production profile,
 * and the demo access and error logs (the error-log join, bodies cut
 * short among them). */
static void
test_blocks_ingest(void **state)
{
	const char *tools = getenv("GW_TOOLS");
	char dir[64] = "/tmp/gw-blocks-gen-XXXXXX", log[96], cmd[1024];

	(void)state;
	if (tools == NULL)
		tools = "build/tools";
	/* a directory of its own: two runs of this test at once (plain and
	 * sanitizer builds, two checkouts) must not share the file */
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/gen.log", dir);
	snprintf(cmd, sizeof(cmd), "'%s/genlog' -P -H 0 30000 11 > '%s'",
	    tools, log);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_both("ingest", log, 24000), 30000);
	unlink(log);
	rmdir(dir);
	assert_int_equal(run_both("ingest", "tests/data/demo/access.log"
	    " tests/data/demo/error.log", 100), 285);
}

/*
 * Captures with and without blocks (GW_INGEST_BLOCKS=1 read by capture
 * too): gateway-host mode (mkpcap --pending: 3,000 client requests tied
 * to their upstream exchange, every tenth a 503 - a failure, so a row),
 * then every exchange of a keep-alive mix and of failed connections as
 * its own request. Each stores the same requests, counters and ports.
 */
static void
test_blocks_capture(void **state)
{
	const char *tools = getenv("GW_TOOLS");
	char dir[64] = "/tmp/gw-blocks-cap-XXXXXX", pcap[128], cmd[1024];
	char args[512];
	static const char *const scen[] = {"keepalive_mix", "refused",
	    "reset", "pipelining"};

	(void)state;
	if (tools == NULL)
		tools = "build/tools";
	assert_non_null(mkdtemp(dir));
	snprintf(pcap, sizeof(pcap), "%s/pending.pcap", dir);
	snprintf(cmd, sizeof(cmd), "'%s/mkpcap' --pending 3000 '%s'", tools,
	    pcap);
	assert_int_equal(system(cmd), 0);
	/* -Z root: a run as root keeps root (the folder is root's 0700) */
	snprintf(args, sizeof(args), "-Z root -r '%s' --listen 8080", pcap);
	assert_int_equal(run_both("capture", args, 2700), 3000);
	unlink(pcap);
	for (size_t i = 0; i < sizeof(scen) / sizeof(scen[0]); i++) {
		snprintf(pcap, sizeof(pcap), "%s/%s.pcap", dir, scen[i]);
		snprintf(cmd, sizeof(cmd), "'%s/mkpcap' %s '%s'", tools,
		    scen[i], pcap);
		assert_int_equal(system(cmd), 0);
		snprintf(args, sizeof(args), "-Z root -r '%s'", pcap);
		assert_true(run_both("capture", args, 0) > 0);
		unlink(pcap);
	}
	rmdir(dir);
}

/* Whether st reads the virtual table (every request) or the rows alone. */
static bool
reads_all(sqlite3_stmt *st)
{
	assert_non_null(st);
	return strstr(sqlite3_sql(st), "requests_all") != NULL;
}

/* Requests of report --by path (raw rows) summed, on s. */
static int64_t
report_requests(struct store *s)
{
	struct report_query q = {.since_ms = INT64_MIN, .until_ms = INT64_MAX,
	    .keys = {REPORT_KEY_PATH}, .n_keys = 1, .cause = GW_CAUSE_ANY,
	    .status = -1};
	struct report_row *rows;
	size_t n;
	int64_t sum = 0;
	char err[256];

	assert_int_equal(store_report(s, &q, &rows, &n, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++)
		sum += rows[i].requests;
	store_report_free(rows, n);
	return sum;
}

/*
 * The readers read the table alone while request_blocks is empty (the
 * virtual table made them twice as slow on a database without blocks),
 * every request once it holds some: written by another connection
 * (PRAGMA data_version moves) or by the reader's own (its total
 * changes do), between two reads of a long-lived reader (the console).
 */
static void
test_blocks_readers_choose(void **state)
{
	struct fx f;
	struct store *r;
	int64_t src;

	(void)state;
	fx_init(&f);
	src = fx_source(&f, "/var/log/a.log", "file");
	assert_int_equal(store_open(f.path, &r, f.err, sizeof(f.err)), 0);
	/* a database without blocks (none written yet, then rows only) */
	assert_false(reads_all(store_stmt(r, STMT_CONSOLE_FAILURES, f.err,
	    sizeof(f.err))));
	for (int i = 0; i < 50; i++)
		fx_event(&f, T0 + i, 0, "10.0.0.1", "GET", "/a", NULL, 200, 5,
		    GW_CAUSE_OK, "10.1.0.1:80 200 0");
	fx_write(&f, src);
	assert_int_equal(one(f.s, "SELECT count(*) FROM request_blocks"), 0);
	assert_false(reads_all(store_stmt(r, STMT_CONSOLE_FAILURES, f.err,
	    sizeof(f.err))));
	assert_false(reads_all(store_stmt(r, STMT_DIAG_TOTALS, f.err,
	    sizeof(f.err))));
	assert_false(reads_all(store_stmt(f.s, STMT_METRICS_REQUESTS, f.err,
	    sizeof(f.err))));
	assert_int_equal(report_requests(r), 50);
	/* blocks written by the other connection: the reader sees them */
	store_set_blocks(f.s, true);
	for (int i = 0; i < 50; i++)
		fx_event(&f, T0 + 100 + i, 0, "10.0.0.1", "GET", "/b", NULL,
		    200, 5, GW_CAUSE_OK, "10.1.0.1:80 200 0");
	fx_write(&f, src);
	assert_int_equal(one(f.s, "SELECT sum(n) FROM request_blocks"), 50);
	assert_true(reads_all(store_stmt(r, STMT_CONSOLE_FAILURES, f.err,
	    sizeof(f.err))));
	assert_true(reads_all(store_stmt(r, STMT_DIAG_TOTALS, f.err,
	    sizeof(f.err))));
	assert_int_equal(report_requests(r), 100);
	/* and by its own connection: the writer's handle reads them too */
	assert_true(reads_all(store_stmt(f.s, STMT_METRICS_REQUESTS, f.err,
	    sizeof(f.err))));
	assert_int_equal(report_requests(f.s), 100);
	/* blocks gone again (as prune through blocks will do): rows alone */
	assert_int_equal(sqlite3_exec(f.s->db, "DELETE FROM request_blocks",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_false(reads_all(store_stmt(r, STMT_CONSOLE_FAILURES, f.err,
	    sizeof(f.err))));
	assert_false(reads_all(store_stmt(f.s, STMT_CONSOLE_FAILURES, f.err,
	    sizeof(f.err))));
	assert_int_equal(report_requests(r), 50);
	store_close(r);
	fx_free(&f);
}

/*
 * Rewrite the block of request id on db with that request's request id
 * (16 random bytes: in the block's stored part) changed in its first
 * byte: the same first_id, last_id, n and length, only the database's
 * change tells them apart.
 */
static void
rewrite_same_size(sqlite3 *db, int64_t id)
{
	struct block_dec d;
	struct block_enc e;
	struct block_val *rows;
	sqlite3_stmt *st;
	const uint8_t *p;
	uint8_t rid[STORE_RID_BYTES];
	size_t n, len;
	int64_t first, at = -1;

	block_dec_init(&d);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT first_id, data FROM"
	    " request_blocks WHERE first_id <= ?1 ORDER BY first_id DESC"
	    " LIMIT 1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	first = sqlite3_column_int64(st, 0);
	len = (size_t)sqlite3_column_bytes(st, 1);
	assert_int_equal(block_decode(&d, sqlite3_column_blob(st, 1), len,
	    BLOCK_REQUEST_COLUMNS), 0);
	sqlite3_finalize(st);
	rows = test_malloc((size_t)d.nrow * BLOCK_REQUEST_COLUMNS *
	    sizeof(*rows));
	memcpy(rows, d.v, (size_t)d.nrow * BLOCK_REQUEST_COLUMNS *
	    sizeof(*rows));
	for (int r = 0; r < d.nrow; r++)
		if (rows[r * BLOCK_REQUEST_COLUMNS + BC_ID].i == id)
			at = r * BLOCK_REQUEST_COLUMNS + BC_REQUEST_ID;
	assert_true(at >= 0);
	assert_int_equal(rows[at].type, BLOCK_BLOB);
	assert_int_equal(rows[at].n, STORE_RID_BYTES);
	memcpy(rid, rows[at].p, sizeof(rid));
	rid[0] ^= 0x5a;
	rows[at].p = (const char *)rid;
	assert_int_equal(block_enc_init(&e, BLOCK_REQUEST_COLUMNS, 1), 0);
	assert_int_equal(block_enc_u32_cols(&e, BLOCK_REQUEST_U32_COLS), 0);
	for (int r = 0; r < d.nrow; r++)
		assert_int_equal(block_enc_row(&e,
		    &rows[r * BLOCK_REQUEST_COLUMNS]), 0);
	assert_int_equal(block_enc_finish(&e, &p, &n), 0);
	assert_int_equal(n, len);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE request_blocks"
	    " SET data = ?2 WHERE first_id = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_blob(st, 2, p, (int)n, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	block_enc_free(&e);
	block_dec_free(&d);
	test_free(rows);
}

/*
 * requests_all keeps the block it decoded last between statements: a
 * block rewritten since (by another connection, then by its own) is read
 * anew, though its bounds, count and size are the same.
 */
static void
test_blocks_kept_block_rewritten(void **state)
{
	struct fx f;
	struct store *r;
	int64_t was;

	(void)state;
	fx_init(&f);
	store_set_blocks(f.s, true);
	edge_batches(&f, fx_source(&f, "/var/log/a.log", "file"));
	assert_int_equal(store_open(f.path, &r, f.err, sizeof(f.err)), 0);
	was = one(r, "SELECT instr('0123456789ABCDEF', substr(hex(request_id),"
	    " 1, 1)) * 16 + instr('0123456789ABCDEF', substr(hex(request_id),"
	    " 2, 1)) - 17 FROM requests_all WHERE id = 3000");
	assert_true(was >= 0 && was < 256);
	rewrite_same_size(f.s->db, 3000);
	assert_int_equal(one(r, "SELECT instr('0123456789ABCDEF',"
	    " substr(hex(request_id), 1, 1)) * 16 + instr('0123456789ABCDEF',"
	    " substr(hex(request_id), 2, 1)) - 17 FROM requests_all"
	    " WHERE id = 3000"), was ^ 0x5a);
	rewrite_same_size(r->db, 3000);
	assert_int_equal(one(r, "SELECT instr('0123456789ABCDEF',"
	    " substr(hex(request_id), 1, 1)) * 16 + instr('0123456789ABCDEF',"
	    " substr(hex(request_id), 2, 1)) - 17 FROM requests_all"
	    " WHERE id = 3000"), was);
	store_close(r);
	fx_free(&f);
}

/* inline.c's readers as they were (a digit, a table load at a time):
 * the reference the faster ones must agree with. */
static bool
ref_ipv4(const char *p, size_t n, int64_t *v)
{
	int64_t acc = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned x = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= n || p[i] != '.')
				return false;
			start = ++i;
		}
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 3)
			x = x * 10 + (unsigned)(p[i++] - '0');
		if (i == start || x > 255 || (p[start] == '0' && i - start > 1))
			return false;
		acc = acc << 8 | x;
	}
	if (i != n)
		return false;
	*v = acc;
	return true;
}

static bool
ref_rid(const char *p, size_t n, uint8_t out[STORE_RID_BYTES])
{
	if (n != STORE_RID_HEX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' &&
		    p[i] <= 'f')))
			return false;
	for (size_t i = 0; i < STORE_RID_BYTES; i++) {
		unsigned hi = p[2 * i] <= '9' ? p[2 * i] - '0' :
		    p[2 * i] - 'a' + 10;
		unsigned lo = p[2 * i + 1] <= '9' ? p[2 * i + 1] - '0' :
		    p[2 * i + 1] - 'a' + 10;

		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/*
 * The block encoder's readers of a client address and a request id
 * (inline_ipv4, inline_rid_blob: a 16-byte copy, 8 digits in a word)
 * say what the plain ones said for every text: addresses near and past
 * every limit (leading zeros, 256, four digits, missing or extra parts,
 * NUL bytes, other characters), every byte value at every place of an
 * id.
 */
static void
test_blocks_inline_readers(void **state)
{
	static const char *const ip[] = {
		"0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.7",
		"192.168.100.200", "256.1.1.1", "1.2.3.256", "01.2.3.4",
		"1.02.3.4", "1.2.3.04", "1.2.3.00", "0.0.0.00", "1.2.3",
		"1.2.3.4.", "1.2.3.4.5", ".1.2.3.4", "1..2.3", "1.2.3.4 ",
		" 1.2.3.4", "1.2.3.1000", "1000.2.3.4", "1.2.3.a", "a.b.c.d",
		"1,2,3,4", "", "1", "999.999.999.999", "255.255.255.2555",
		"2001:db8::1", "unix:", "1.2.3.4\0", "12.34.56.78",
		"100.100.100.100", "9.99.199.249",
	};
	char buf[40];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (size_t i = 0; i < sizeof(ip) / sizeof(ip[0]); i++) {
		size_t n = strlen(ip[i]);
		int64_t a = -7, b = -7;
		bool ra = ref_ipv4(ip[i], n, &a), rb = inline_ipv4(ip[i], n,
		    &b);

		assert_int_equal(ra, rb);
		if (ra)
			assert_true(a == b);
	}
	/* with a NUL inside: the length decides */
	{
		int64_t v;

		assert_false(inline_ipv4("1.2.3.4\0", 8, &v));
		assert_false(inline_ipv4("1.2\0.3.4", 8, &v));
	}
	/* random dotted texts of digits, dots and a few others */
	for (int k = 0; k < 200000; k++) {
		static const char alpha[] = "0123456789.0123456789..a 5";
		size_t n;
		int64_t a = -7, b = -7;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = 5 + x % 13;
		for (size_t j = 0; j < n; j++)
			buf[j] = alpha[(x >> (4 + j * 3)) % (sizeof(alpha) - 1)];
		assert_int_equal(ref_ipv4(buf, n, &a), inline_ipv4(buf, n, &b));
		assert_true(a == b);
	}
	/* ids: every byte value at every place of a valid one */
	{
		static const char good[] = "890cbd8013c7ac376c72307b7b0739d7";
		uint8_t a[STORE_RID_BYTES], b[STORE_RID_BYTES];

		assert_true(inline_rid_blob(good, 32, b));
		assert_true(ref_rid(good, 32, a));
		assert_memory_equal(a, b, sizeof(a));
		assert_false(inline_rid_blob(good, 31, b));
		for (int at = 0; at < 32; at++)
			for (int c = 0; c < 256; c++) {
				bool ra, rb;

				memcpy(buf, good, 32);
				buf[at] = (char)c;
				ra = ref_rid(buf, 32, a);
				rb = inline_rid_blob(buf, 32, b);
				assert_int_equal(ra, rb);
				if (ra)
					assert_memory_equal(a, b, sizeof(a));
			}
		assert_true(inline_rid_blob("0123456789abcdef0123456789abcdef",
		    32, b));
		assert_int_equal(b[0], 0x01);
		assert_int_equal(b[7], 0xef);
		assert_false(inline_rid_blob("0123456789ABCDEF0123456789abcdef",
		    32, b));
	}
	assert_int_equal(inline_protocol_code("HTTP/1.1", 8), 1);
	assert_int_equal(inline_protocol_code("HTTP/2", 6), 4);
	assert_int_equal(inline_protocol_code("HTTP/1.2", 8), -1);
	assert_int_equal(inline_protocol_code("HTTP/1.1", 7), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_same_requests),
		cmocka_unit_test(test_blocks_path_key),
		cmocka_unit_test(test_blocks_turns),
		cmocka_unit_test(test_blocks_upgrade_014),
		cmocka_unit_test(test_blocks_small_batches),
		cmocka_unit_test(test_blocks_truncated_join),
		cmocka_unit_test(test_blocks_hot_client),
		cmocka_unit_test(test_blocks_damaged),
		cmocka_unit_test(test_blocks_ingest),
		cmocka_unit_test(test_blocks_capture),
		cmocka_unit_test(test_blocks_prune_same),
		cmocka_unit_test(test_blocks_prune_cap),
		cmocka_unit_test(test_blocks_prune_strings),
		cmocka_unit_test(test_blocks_prune_damaged),
		cmocka_unit_test(test_blocks_prune_unreachable),
		cmocka_unit_test(test_blocks_prune_split),
		cmocka_unit_test(test_blocks_real_id),
		cmocka_unit_test(test_blocks_ids_exhausted),
		cmocka_unit_test(test_blocks_big_row),
		cmocka_unit_test(test_blocks_rows_queued),
		cmocka_unit_test(test_blocks_span_batches),
		cmocka_unit_test(test_blocks_span_rollback),
		cmocka_unit_test(test_blocks_span_join),
		cmocka_unit_test(test_blocks_sink_async),
		cmocka_unit_test(test_blocks_next_id_seek),
		cmocka_unit_test(test_blocks_disagree),
		cmocka_unit_test(test_blocks_merge_forged_n),
		cmocka_unit_test(test_blocks_readers_choose),
		cmocka_unit_test(test_blocks_kept_block_rewritten),
		cmocka_unit_test(test_blocks_inline_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
