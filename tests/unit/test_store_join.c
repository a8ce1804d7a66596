/*
 * test_store_join.c - error-log lines joined to requests: both arrival
 * orders, retries, several errors per request, time zones, misses, and
 * the rollups kept equal to the raw rows through cause changes.
 */
#include "tests/unit/test_store_fixture.h"

#include "store/store_int.h"

/* Cause name of attempt seq of request id. */
static const char *
attempt_cause(struct fx *f, int64_t id, int seq)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT cause FROM attempt_view"
	    " WHERE request_id = %lld AND seq = %d", (long long)id, seq);
	return fx_text(f, sql);
}

/* Cause name of request id. */
static const char *
request_cause(struct fx *f, int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT cause FROM request_view"
	    " WHERE id = %lld", (long long)id);
	return fx_text(f, sql);
}

/* Add the 502 request of the basic case. */
static void
add_502(struct fx *f)
{
	fx_event(f, T0 + 5000, 0, "10.1.2.3", "GET", "/v1/users", "id=7",
	    502, 3, GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
}

/* Add the refused-connect error of the basic case. */
static void
add_refused(struct fx *f)
{
	fx_error(f, T0 + 5000 - 500, "10.1.2.3", "GET", "/v1/users", "id=7",
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
}

/* Common assertions of the basic case. */
static void
check_basic_joined(struct fx *f)
{
	assert_string_equal(request_cause(f, 1), "upstream_refused");
	assert_string_equal(attempt_cause(f, 1, 0), "upstream_refused");
	assert_int_equal(fx_int(f, "SELECT request_id FROM gateway_errors"), 1);
	assert_int_equal(fx_int(f, "SELECT error_id FROM attempts_all"), 1);
	fx_check_rollups(f);
}

/* Request batch first, error batch later (other source). */
static void
test_join_request_first(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	add_502(&f);
	fx_write(&f, acc);
	assert_string_equal(request_cause(&f, 1), "unknown");
	fx_check_rollups(&f);
	add_refused(&f);
	fx_write(&f, errlog);
	check_basic_joined(&f);
	fx_free(&f);
}

/* Error batch first: the request finds its error when it arrives. */
static void
test_join_error_first(void **state)
{
	struct fx f;
	struct store_totals t;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	add_refused(&f);
	fx_write(&f, errlog);
	assert_int_equal(fx_int(&f, "SELECT request_id FROM gateway_errors"),
	    -1);
	add_502(&f);
	fx_write(&f, acc);
	check_basic_joined(&f);
	assert_int_equal(store_totals(f.s, &t, f.err, sizeof(f.err)), 0);
	assert_int_equal(t.gateway_errors, 1);
	assert_int_equal(t.joined_errors, 1);
	fx_free(&f);
}

/* Both in one batch. */
static void
test_join_same_batch(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "mixed.log", "nginx_access");
	add_refused(&f);
	add_502(&f);
	fx_write(&f, acc);
	check_basic_joined(&f);
	fx_free(&f);
}

/*
 * "502, 200": the first attempt was refused, the retry answered. The
 * attempt gets the cause, the request stays ok - both orders.
 */
static void
test_join_retry_502_200(void **state)
{
	for (int order = 0; order < 2; order++) {
		struct fx f;

		fx_init(&f);
		int64_t acc = fx_source(&f, "access.log", "nginx_access");
		int64_t errlog = fx_source(&f, "error.log", "nginx_error");
		for (int step = 0; step < 2; step++) {
			if (step == order) {
				fx_event(&f, T0 + 5000, 0, "10.1.2.3", "GET",
				    "/v1/users", NULL, 200, 40, GW_CAUSE_OK,
				    "10.0.0.5:8080 502 1, 10.0.0.6:8080 200 0");
				fx_write(&f, acc);
			} else {
				fx_error(&f, T0 + 4000, "10.1.2.3", "GET",
				    "/v1/users", NULL, "10.0.0.5:8080",
				    GW_CAUSE_UPSTREAM_REFUSED);
				fx_write(&f, errlog);
			}
		}
		assert_string_equal(attempt_cause(&f, 1, 0),
		    "upstream_refused");
		assert_string_equal(attempt_cause(&f, 1, 1), "ok");
		assert_string_equal(request_cause(&f, 1), "ok");
		assert_int_equal(fx_int(&f, "SELECT request_id FROM"
		    " gateway_errors"), 1);
		fx_check_rollups(&f);
		fx_free(&f);
	}
}

/*
 * Two failed attempts, two errors: each error takes one attempt, in
 * order; the request takes the cause of the last.
 */
static void
test_join_two_errors_two_attempts(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	/* Same upstream twice (listed twice in the group), then another. */
	fx_event(&f, T0 + 9000, 0, "10.1.2.3", "POST", "/v1/orders", NULL,
	    504, 8000, GW_CAUSE_UNKNOWN,
	    "10.0.0.5:8080 502 1, 10.0.0.5:8080 504 1");
	fx_write(&f, acc);
	fx_error(&f, T0 + 1000, "10.1.2.3", "POST", "/v1/orders", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_RESET);
	fx_error(&f, T0 + 9000, "10.1.2.3", "POST", "/v1/orders", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_READ_TIMEOUT);
	fx_write(&f, errlog);
	assert_string_equal(attempt_cause(&f, 1, 0), "upstream_reset");
	assert_string_equal(attempt_cause(&f, 1, 1), "upstream_read_timeout");
	assert_string_equal(request_cause(&f, 1), "upstream_read_timeout");
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id = 1"), 2);
	assert_string_equal(fx_text(&f, "SELECT group_concat(error_id) FROM"
	    " (SELECT error_id FROM attempts_all ORDER BY seq)"), "1,2");
	fx_check_rollups(&f);
	fx_free(&f);
}

/*
 * The access log is in +0100; the error log writes local wall-clock time.
 * The error at local 11:15:04.5 belongs to the request that ended at
 * 10:15:05Z; one written as 10:15:04.5 (an hour off) does not.
 */
static void
test_join_timezone(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	fx_event(&f, T0 + 5000, 60, "10.1.2.3", "GET", "/v1/users", NULL,
	    502, 3, GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_write(&f, acc);
	/* Written as UTC: an hour before the request's local end - no. */
	fx_error(&f, T0 + 4500, "10.1.2.3", "GET", "/v1/users", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_RESET);
	fx_write(&f, errlog);
	assert_string_equal(request_cause(&f, 1), "unknown");
	/* Local time: yes. */
	fx_error(&f, T0 + 3600000 + 4500, "10.1.2.3", "GET", "/v1/users",
	    NULL, "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_write(&f, errlog);
	assert_string_equal(request_cause(&f, 1), "upstream_refused");
	assert_int_equal(fx_int(&f, "SELECT request_id FROM gateway_errors"
	    " WHERE id = 2"), 1);
	assert_int_equal(fx_int(&f, "SELECT request_id FROM gateway_errors"
	    " WHERE id = 1"), -1);
	fx_check_rollups(&f);
	fx_free(&f);
}

/* Errors that match nothing stay unjoined and are counted. */
static void
test_join_no_match_stays_unjoined(void **state)
{
	struct fx f;
	struct store_totals t;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	add_502(&f);
	fx_write(&f, acc);
	/* Other client; other path; other query; too late; other upstream;
	 * no client at all. */
	fx_error(&f, T0 + 4500, "10.9.9.9", "GET", "/v1/users", "id=7",
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(&f, T0 + 4500, "10.1.2.3", "GET", "/v1/other", "id=7",
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(&f, T0 + 4500, "10.1.2.3", "GET", "/v1/users", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(&f, T0 + 5000 + 2001, "10.1.2.3", "GET", "/v1/users", "id=7",
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(&f, T0 + 4500, "10.1.2.3", "GET", "/v1/users", "id=7",
	    "10.0.0.7:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(&f, T0 + 4500, NULL, NULL, NULL, NULL, NULL,
	    GW_CAUSE_RATE_LIMITED);
	fx_write(&f, errlog);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NULL"), 6);
	assert_string_equal(request_cause(&f, 1), "unknown");
	assert_int_equal(store_totals(f.s, &t, f.err, sizeof(f.err)), 0);
	assert_int_equal(t.gateway_errors, 6);
	assert_int_equal(t.joined_errors, 0);
	/* A later request, still no match: they stay. */
	fx_event(&f, T0 + 60000, 0, "10.1.2.3", "GET", "/v1/users", "id=7",
	    502, 3, GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_write(&f, acc);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NULL"), 6);
	fx_check_rollups(&f);
	fx_free(&f);
}

/*
 * Errors naming no upstream join the request itself: a rate-limited 503
 * with no attempts takes rate_limited; a 200 near it is not preferred.
 */
static void
test_join_no_upstream(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	fx_error(&f, T0 + 5000, "10.1.2.3", "GET", "/api", NULL, NULL,
	    GW_CAUSE_RATE_LIMITED);
	fx_write(&f, errlog);
	fx_event(&f, T0 + 5000, 0, "10.1.2.3", "GET", "/api", NULL, 200, 1,
	    GW_CAUSE_OK, "10.0.0.5:8080 200 0");
	fx_event(&f, T0 + 5400, 0, "10.1.2.3", "GET", "/api", NULL, 503, 0,
	    GW_CAUSE_UNKNOWN, NULL);
	fx_write(&f, acc);
	assert_string_equal(request_cause(&f, 1), "ok");
	assert_string_equal(request_cause(&f, 2), "rate_limited");
	assert_int_equal(fx_int(&f, "SELECT error_id FROM requests"
	    " WHERE id = 2"), 1);
	assert_int_equal(fx_int(&f, "SELECT request_id FROM gateway_errors"),
	    2);
	fx_check_rollups(&f);
	fx_free(&f);
}

/* upstream_truncated turns a 200 whose only attempt looked fine. */
static void
test_join_truncated(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	fx_event(&f, T0 + 5000, 0, "10.1.2.3", "GET", "/big", NULL, 200, 900,
	    GW_CAUSE_OK, "10.0.0.5:8080 200 0");
	fx_write(&f, acc);
	fx_error(&f, T0 + 4900, "10.1.2.3", "GET", "/big", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_TRUNCATED);
	fx_write(&f, errlog);
	assert_string_equal(request_cause(&f, 1), "upstream_truncated");
	assert_string_equal(attempt_cause(&f, 1, 0), "upstream_truncated");
	fx_check_rollups(&f);
	fx_free(&f);
}

/*
 * upstream_truncated the other way round (error first), and for requests
 * logged at UTC offsets other than the first one stored: the lookup by
 * ts_ms is widened by the offsets seen, by this batch or earlier ones.
 */
static void
test_join_truncated_offsets(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	/* Request 1 at UTC+2, its error (local time) stored before it. */
	fx_error(&f, T0 + 120 * 60000 + 4900, "10.1.2.3", "GET", "/big",
	    NULL, "10.0.0.5:8080", GW_CAUSE_UPSTREAM_TRUNCATED);
	fx_write(&f, errlog);
	fx_event(&f, T0 + 5000, 120, "10.1.2.3", "GET", "/big", NULL, 200,
	    900, GW_CAUSE_OK, "10.0.0.5:8080 200 0");
	fx_write(&f, acc);
	assert_string_equal(request_cause(&f, 1), "upstream_truncated");
	/* Request 2 at UTC-5, in a later batch; its error after it. */
	fx_event(&f, T0 + 9000, -300, "10.1.2.4", "GET", "/big", NULL, 200,
	    900, GW_CAUSE_OK, "10.0.0.5:8080 200 0");
	fx_write(&f, acc);
	fx_error(&f, T0 - 300 * 60000 + 9000, "10.1.2.4", "GET", "/big",
	    NULL, "10.0.0.5:8080", GW_CAUSE_UPSTREAM_TRUNCATED);
	fx_write(&f, errlog);
	assert_string_equal(request_cause(&f, 2), "upstream_truncated");
	assert_string_equal(attempt_cause(&f, 2, 0), "upstream_truncated");
	fx_check_rollups(&f);
	fx_free(&f);
}

/* Two requests could take the error: the nearer in time wins. */
static void
test_join_nearest(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	fx_event(&f, T0 + 3000, 0, "10.1.2.3", "GET", "/x", NULL, 502, 1,
	    GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_event(&f, T0 + 4000, 0, "10.1.2.3", "GET", "/x", NULL, 502, 1,
	    GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_write(&f, acc);
	fx_error(&f, T0 + 4000, "10.1.2.3", "GET", "/x", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_RESET);
	fx_error(&f, T0 + 3000, "10.1.2.3", "GET", "/x", NULL,
	    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_write(&f, errlog);
	assert_string_equal(request_cause(&f, 1), "upstream_refused");
	assert_string_equal(request_cause(&f, 2), "upstream_reset");
	fx_check_rollups(&f);
	fx_free(&f);
}

/*
 * Many requests and errors in mixed batches: rollups stay equal to the
 * raw rows, and every error found its request.
 */
static void
test_join_rollups_many(void **state)
{
	struct fx f;
	struct store_totals t;
	char client[32];

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	for (int b = 0; b < 6; b++) {
		for (int i = 0; i < 50; i++) {
			int n = b * 50 + i;

			/* Error n explains request n - 50. */
			snprintf(client, sizeof(client), "10.2.0.%d",
			    (b % 2 ? n - 50 : n) % 20);
			if (b % 2 == 0)
				fx_event(&f, T0 + n * 1000, 0, client, "GET",
				    "/m", NULL, n % 3 ? 502 : 200, 10,
				    n % 3 ? GW_CAUSE_UNKNOWN : GW_CAUSE_OK,
				    n % 3 ? "10.0.0.1:80 502 1" :
				    "10.0.0.1:80 502 1, 10.0.0.2:80 200 0");
			else
				fx_error(&f, T0 + (n - 50) * 1000, client, "GET",
				    "/m", NULL, "10.0.0.1:80",
				    (n % 2) ? GW_CAUSE_UPSTREAM_RESET :
				    GW_CAUSE_UPSTREAM_REFUSED);
		}
		fx_write(&f, b % 2 == 0 ? acc : errlog);
		fx_check_rollups(&f);
	}
	assert_int_equal(store_totals(f.s, &t, f.err, sizeof(f.err)), 0);
	assert_int_equal(t.gateway_errors, 150);
	assert_int_equal(t.joined_errors, 150);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"
	    " WHERE cause = 1"), 0);
	fx_free(&f);
}

/*
 * Joins that move requests of many groups to another cause: the deltas
 * (-1 under the old key, +1 under the new, each in its minute) are more
 * than ROLLUP_FLUSH_ROWS keys, upserted many a statement, and the rows
 * they empty are deleted after; rollups equal the raw rows.
 */
static void
test_join_rollups_many_keys(void **state)
{
	int n = ROLLUP_FLUSH_ROWS * 2 + 5;
	char client[32];
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	for (int i = 0; i < n; i++) {
		snprintf(client, sizeof(client), "10.3.0.%d", i);
		fx_event(&f, T0 + (int64_t)i * 60000, 0, client, "GET", "/m",
		    NULL, 502, 10 + i, GW_CAUSE_UNKNOWN, "10.0.0.1:80 502 1");
	}
	fx_write(&f, acc);
	fx_check_rollups(&f);
	for (int i = 0; i < n; i++) {
		snprintf(client, sizeof(client), "10.3.0.%d", i);
		fx_error(&f, T0 + (int64_t)i * 60000, client, "GET", "/m",
		    NULL, "10.0.0.1:80", i % 2 ? GW_CAUSE_UPSTREAM_RESET :
		    GW_CAUSE_UPSTREAM_REFUSED);
	}
	fx_write(&f, errlog);
	assert_string_equal(request_cause(&f, 1), "upstream_refused");
	assert_string_equal(request_cause(&f, n), "upstream_refused");
	fx_check_rollups(&f);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rollup_minute"),
	    n);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rollup_minute"
	    " WHERE cause = 1"), 0);
	fx_free(&f);
}

/*
 * A request whose log named no upstream (Caddy's access log) and an error
 * naming one: the error becomes the request's attempt, in either order, and
 * the request moves from upstream "-" to it in the rollups.
 */
static void
test_join_bare_request(void **state)
{
	for (int order = 0; order < 2; order++) {
		struct fx f;

		fx_init(&f);
		int64_t acc = fx_source(&f, "access.log", "caddy_access");
		int64_t errlog = fx_source(&f, "caddy.log", "caddy_runtime");
		for (int step = 0; step < 2; step++) {
			if ((step == 0) == (order == 0)) {
				fx_event(&f, T0 + 5000, 0, "10.1.2.3", "GET", "/c",
				    NULL, 502, 3, GW_CAUSE_UNKNOWN, NULL);
				fx_write(&f, acc);
			} else {
				fx_error(&f, T0 + 4998, "10.1.2.3", "GET", "/c",
				    NULL, "10.0.0.9:9000",
				    GW_CAUSE_UPSTREAM_REFUSED);
				fx_write(&f, errlog);
			}
		}
		assert_string_equal(request_cause(&f, 1), "upstream_refused");
		assert_string_equal(attempt_cause(&f, 1, 0), "upstream_refused");
		assert_int_equal(fx_int(&f, "SELECT n_attempts FROM requests"), 1);
		assert_string_equal(fx_text(&f, "SELECT upstream FROM request_view"),
		    "10.0.0.9:9000");
		assert_int_equal(fx_int(&f, "SELECT count(request_id) FROM"
		    " gateway_errors"), 1);
		fx_check_rollups(&f);
		fx_free(&f);
	}
}

/* Run SQL on a second connection (schema changes a test needs). */
static void
exec_sql(struct fx *f, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/*
 * A batch that joined an older error and then failed is rolled back, the
 * join with it: when the batch is written again, its request must still
 * find that error (the filter of clients with unjoined errors must not
 * keep the undone join).
 */
static void
test_join_after_rollback(void **state)
{
	struct fx f;

	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	add_refused(&f);
	fx_write(&f, errlog);

	/* Fail the access batch at its rollups, after the join ran. */
	exec_sql(&f, "CREATE TRIGGER fail_599 BEFORE INSERT ON rollup_minute"
	    " WHEN NEW.status = 599 BEGIN SELECT RAISE(ABORT, 'injected');"
	    " END");
	add_502(&f);
	fx_event(&f, T0 + 6000, 0, "10.9.9.9", "GET", "/x", NULL, 599, 3,
	    GW_CAUSE_UNKNOWN, NULL);
	f.b.source_id = acc;
	f.b.position = 1000;
	f.b.line_no = 2;
	assert_int_equal(store_write_batch(f.s, &f.b, f.err, sizeof(f.err)),
	    -1);
	batch_clear(&f.b);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM requests"), 0);
	assert_int_equal(fx_int(&f, "SELECT request_id FROM gateway_errors"),
	    -1);
	exec_sql(&f, "DROP TRIGGER fail_599");

	/* The same lines again, without the failing one. */
	add_502(&f);
	fx_write(&f, acc);
	check_basic_joined(&f);
	fx_free(&f);
}

/* Rows of table in one database and not the other, both ways. */
static int64_t
tables_differ(struct fx *a, struct fx *b, const char *table)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char sql[512];
	int64_t n = -1;

	assert_int_equal(sqlite3_open(a->path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS b", b->path);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM (SELECT *"
	    " FROM main.%s EXCEPT SELECT * FROM b.%s)) + (SELECT count(*) FROM"
	    " (SELECT * FROM b.%s EXCEPT SELECT * FROM main.%s))", table, table,
	    table, table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * Ingest's held transaction sums the rollup and latency deltas of its
 * batches and writes them at its commit: a request of one batch joined by
 * an error line of the next (-1 under its old cause, +1 under the new)
 * and more keys than a map may hold (ROLLUP_HOLD_MAX: written early) end
 * as the rows say, as a store committing each batch writes them.
 */
static void
test_join_rollups_held(void **state)
{
	struct fx f, ref;

	(void)state;
	fx_init(&f);
	fx_init(&ref);
	assert_int_equal(store_set_ingest(f.s, f.err, sizeof(f.err)), 0);
	for (int k = 0; k < 2; k++) {
		struct fx *x = k == 0 ? &f : &ref;
		int64_t acc = fx_source(x, "access.log", "nginx_access");
		int64_t errlog = fx_source(x, "error.log", "nginx_error");

		add_502(x);
		fx_event(x, T0 + 5100, 0, "10.1.2.4", "GET", "/v1/users",
		    NULL, 200, 4, GW_CAUSE_OK, "10.0.0.5:8080 200 1");
		fx_write(x, acc);
		if (x == &f) {
			/* held: the deltas wait in memory */
			assert_int_equal(fx_int(x, "SELECT count(*) FROM"
			    " rollup_minute"), 0);
			assert_true(f.s->rollup_req.n > 0);
			assert_true(f.s->latency.n > 0);
		}
		add_refused(x);
		fx_write(x, errlog);
		assert_int_equal(store_end_batches(x->s, x->err,
		    sizeof(x->err)), 0);
		assert_string_equal(request_cause(x, 1), "upstream_refused");
		fx_check_rollups(x);
		/* a key a minute: past what a map holds (compared with the
		 * store committing each batch below: fx_check_rollups joins
		 * a view, quadratic in the rows) */
		for (int i = 0; i < ROLLUP_HOLD_MAX + 10; i++)
			fx_event(x, T0 + (int64_t)(i + 1) * 60000, 0,
			    "10.1.2.5", "GET", "/m", NULL, 200, i % 7,
			    GW_CAUSE_OK, "10.0.0.6:8080 200 0");
		fx_write(x, acc);
		if (x == &f)
			assert_true(f.s->rollup_req.n < ROLLUP_HOLD_MAX &&
			    f.s->rollup_att.n < ROLLUP_HOLD_MAX &&
			    f.s->latency.n < ROLLUP_HOLD_MAX);
		assert_int_equal(store_end_batches(x->s, x->err,
		    sizeof(x->err)), 0);
	}
	const char *t[] = {"rollup_minute", "rollup_attempt_minute",
	    "rollup_latency_minute"};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(tables_differ(&f, &ref, t[i]), 0);
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM rollup_minute"),
	    ROLLUP_HOLD_MAX + 10 + 2);
	fx_free(&ref);
	fx_free(&f);
}

/*
 * requests_join is keyed by the minute of a request's local end, -1 for a
 * request longer than ten minutes (schema/016); the join looks up the
 * minutes a request an error can belong to may end in. Each request
 * here ends near a minute's edge or lasts long, its error comes later at
 * the far end of the window it may take, and each one joins.
 */
static void
test_join_minute_edges(void **state)
{
	/* end (ms past T0's minute), tz, request_ms, error - end (ms) */
	static const struct {
		int64_t end;
		int tz;
		int request_ms;
		int64_t err;
	} c[] = {
		{60000 + 500, 0, 1, -1500},	/* error a minute before */
		{60000 - 1000, 0, 1, 2000},	/* error a minute after */
		{120000 + 100, 60, 59000, -60900},	/* two minutes before */
		{180000 + 100, 0, 60001, -62000},	/* a 60 s timeout */
		{900000 + 100, 0, 600000, -601999},	/* as long as the CASE */
		{1800000 - 10, 0, 600001, -601990},	/* one ms longer: -1 */
		{2400000, 0, 3600000, -3601999},	/* an hour, at its start */
		{3000000 + 1, -90, -1, -1999},	/* time not logged */
		{7 * 3600000LL, 0, 3 * 3600000, -3 * 3600000 - 1000},
	};
	const int n = (int)(sizeof(c) / sizeof(c[0]));
	int64_t m0 = T0 - T0 % 60000;
	char client[32];
	struct fx f;

	(void)state;
	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	/* one at a time: the minutes looked up end at the longest request
	 * stored so far (59 s for the third) */
	for (int i = 0; i < n; i++) {
		snprintf(client, sizeof(client), "10.9.0.%d", i + 1);
		/* ts_ms is UTC: local end - tz */
		fx_event(&f, m0 + c[i].end - (int64_t)c[i].tz * 60000,
		    c[i].tz, client, "GET", "/e", NULL, 502, c[i].request_ms,
		    GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
		fx_write(&f, acc);
		fx_error(&f, m0 + c[i].end + c[i].err, client, "GET", "/e",
		    NULL, "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
		fx_write(&f, errlog);
	}
	for (int i = 0; i < n; i++)
		assert_string_equal(request_cause(&f, i + 1),
		    "upstream_refused");
	assert_int_equal(fx_int(&f, "SELECT count(*) FROM gateway_errors"
	    " WHERE request_id IS NOT NULL"), n);
	/* the window's edge: 1 ms past it, no request takes the error */
	fx_event(&f, m0 + 9000000, 0, "10.9.1.1", "GET", "/e", NULL, 502,
	    600000, GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_event(&f, m0 + 9600000, 0, "10.9.1.2", "GET", "/e", NULL, 502,
	    1000, GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
	fx_write(&f, acc);
	fx_error(&f, m0 + 9000000 - 600000 - 2001, "10.9.1.1", "GET", "/e",
	    NULL, "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_error(&f, m0 + 9600000 - 1000 - 2001, "10.9.1.2", "GET", "/e",
	    NULL, "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
	fx_write(&f, errlog);
	assert_string_equal(request_cause(&f, n + 1), "unknown");
	assert_string_equal(request_cause(&f, n + 2), "unknown");
	fx_check_rollups(&f);
	fx_free(&f);
}

/*
 * The join's lookups seek requests_join by minute, client and path
 * (schema/016): on main they sought by client first, an index whose
 * inserts land at random places.
 */
static void
test_join_index_by_minute(void **state)
{
	static const enum store_stmt_id finds[] = {
		STMT_JOIN_ATTEMPT_FIND, STMT_JOIN_BARE_FIND,
		STMT_JOIN_REQUEST_FIND,
	};
	struct fx f;

	(void)state;
	fx_init(&f);
	assert_string_equal(fx_text(&f, "SELECT group_concat(coalesce(name,"
	    " '<expr>'), ',') FROM pragma_index_xinfo('requests_join')"
	    " WHERE key"), "<expr>,client,path_id,local_end_ms");
	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		sqlite3_stmt *st = store_stmt(f.s, finds[i], f.err,
		    sizeof(f.err)), *plan;
		char sql[8192], found[512] = "";

		assert_non_null(st);
		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
		    sqlite3_sql(st));
		assert_int_equal(sqlite3_prepare_v2(f.s->db, sql, -1,
		    &plan, NULL), SQLITE_OK);
		while (sqlite3_step(plan) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(plan,
			    3);
			if (d != NULL && strstr(d, "requests_join") != NULL)
				snprintf(found, sizeof(found), "%s", d);
		}
		sqlite3_finalize(plan);
		assert_non_null(strstr(found, "requests_join (<expr>=? AND"
		    " client=? AND path_id=? AND local_end_ms>? AND"
		    " local_end_ms<?)"));
	}
	fx_free(&f);
}

/*
 * A lookup opens no temporary table: an IN list of minutes (a recursive
 * WITH) and ORDER BY ... LIMIT 1 each made SQLite create and drop one
 * per lookup, zeroing its pages (53% of the writer's instructions on a
 * Caddy log with its error lines). The minutes are sought one by one and
 * the nearest candidate kept in C (join.c, join_find).
 */
static void
test_join_find_no_temp_tables(void **state)
{
	static const enum store_stmt_id finds[] = {
		STMT_JOIN_ATTEMPT_FIND, STMT_JOIN_ATTEMPT_FIND_TRUNCATED,
		STMT_JOIN_BARE_FIND, STMT_JOIN_REQUEST_FIND,
	};
	struct fx f;

	(void)state;
	fx_init(&f);
	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		sqlite3_stmt *st = store_stmt(f.s, finds[i], f.err,
		    sizeof(f.err)), *plan;
		char sql[8192];
		int opens = 0;

		assert_non_null(st);
		snprintf(sql, sizeof(sql), "EXPLAIN %s", sqlite3_sql(st));
		assert_int_equal(sqlite3_prepare_v2(f.s->db, sql, -1,
		    &plan, NULL), SQLITE_OK);
		while (sqlite3_step(plan) == SQLITE_ROW) {
			const char *op = (const char *)sqlite3_column_text(plan,
			    1);
			if (strcmp(op, "OpenEphemeral") == 0 ||
			    strcmp(op, "SorterOpen") == 0 ||
			    strcmp(op, "OpenAutoindex") == 0)
				opens++;
		}
		sqlite3_finalize(plan);
		assert_int_equal(opens, 0);
	}
	fx_free(&f);
}

/*
 * The nearest request wins across the minutes sought: each pair below
 * has one request in the minute before an edge and one after it, and
 * the error takes the nearer whichever minute is sought first. Times
 * before the epoch too, whose minute keys (SQLite's division truncates)
 * run -2, -1, 0: -1 also files requests longer than ten minutes, and is
 * sought once.
 */
static void
test_join_nearest_across_minutes(void **state)
{
	/* local ends of the two requests, the error's time, which wins */
	static const struct {
		int64_t a, b, err;
		int wins;	/* 1: a, 2: b */
	} c[] = {
		{-300, 500, 100, 2},	/* b inside, a past */
		{-300, 500, -400, 1},	/* both inside, a nearer */
		{-300, 200, -100, 2},	/* as near, b inside */
	};
	static const int64_t bases[] = { 60000 * 27000000LL, 0, -60000 };
	struct fx f;
	char client[32];
	int64_t id = 0;

	(void)state;
	fx_init(&f);
	int64_t acc = fx_source(&f, "access.log", "nginx_access");
	int64_t errlog = fx_source(&f, "error.log", "nginx_error");
	for (size_t k = 0; k < sizeof(bases) / sizeof(bases[0]); k++) {
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			int64_t m = bases[k];

			snprintf(client, sizeof(client), "10.8.%zu.%zu", k, i);
			fx_event(&f, m + c[i].a, 0, client, "GET", "/n", NULL,
			    502, 1000, GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
			fx_event(&f, m + c[i].b, 0, client, "GET", "/n", NULL,
			    502, 1000, GW_CAUSE_UNKNOWN, "10.0.0.5:8080 502 1");
			fx_write(&f, acc);
			fx_error(&f, m + c[i].err, client, "GET", "/n", NULL,
			    "10.0.0.5:8080", GW_CAUSE_UPSTREAM_REFUSED);
			fx_write(&f, errlog);
			assert_string_equal(request_cause(&f, id + c[i].wins),
			    "upstream_refused");
			assert_string_equal(request_cause(&f,
			    id + 3 - c[i].wins), "unknown");
			id += 2;
		}
	}
	/* no fx_check_rollups: its SQL truncates negative minutes, the
	 * store floors them (rollup_minute_of) */
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_request_first),
		cmocka_unit_test(test_join_error_first),
		cmocka_unit_test(test_join_same_batch),
		cmocka_unit_test(test_join_retry_502_200),
		cmocka_unit_test(test_join_two_errors_two_attempts),
		cmocka_unit_test(test_join_timezone),
		cmocka_unit_test(test_join_no_match_stays_unjoined),
		cmocka_unit_test(test_join_no_upstream),
		cmocka_unit_test(test_join_truncated),
		cmocka_unit_test(test_join_truncated_offsets),
		cmocka_unit_test(test_join_bare_request),
		cmocka_unit_test(test_join_nearest),
		cmocka_unit_test(test_join_rollups_many),
		cmocka_unit_test(test_join_rollups_many_keys),
		cmocka_unit_test(test_join_after_rollback),
		cmocka_unit_test(test_join_rollups_held),
		cmocka_unit_test(test_join_minute_edges),
		cmocka_unit_test(test_join_index_by_minute),
		cmocka_unit_test(test_join_find_no_temp_tables),
		cmocka_unit_test(test_join_nearest_across_minutes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
