/*
 * stmt.c - the store's SQL statements: one convention for all of store/.
 *
 * 1. Every statement of fixed text is a named entry of one table,
 *    stmt_sql[] below, named by enum store_stmt_id (store_int.h) after
 *    the file that runs it (STMT_CONSOLE_*, STMT_PRUNE_*, ...). It is
 *    prepared on first use with SQLITE_PREPARE_PERSISTENT and kept in
 *    the handle (struct store) until store_close(): one cache per handle,
 *    never one per module. store_stmt() hands it back reset with its
 *    bindings as the last caller left them, for callers that bind every
 *    parameter each time (the write path: clearing 900 bindings per
 *    multi-row insert would cost it); store_stmt_fresh() also clears them
 *    (all NULL), for readers that bind by name only what a filter sets.
 *    store_stmt_hot() skips even the reset, for a lookup per row whose
 *    every use resets the statement right after stepping it (intern.c:
 *    the reset of a reset statement cost ingest 0.5% of its instructions).
 * 2. A statement whose shape varies (the report's keys and filters) is
 *    written by the small builder below (struct store_sql): it appends
 *    only SQL text from the code - column expressions, key templates,
 *    positions - and never a value: every value is a bound parameter.
 *    Its text is therefore its shape, and store_sql_stmt() caches the
 *    prepared statement by that text (STORE_SHAPED_MAX per handle, the
 *    least recently used replaced), so a console refreshing the same
 *    view prepares it once.
 * 3. Whoever steps a statement resets it when done (store_stmt_run does
 *    for statements without rows; a reader resets after its last row or
 *    when it stops early), so no cached statement keeps a read open;
 *    store_stmt_reset_all() resets every one (the console's end of read).
 * Outside the convention, on purpose: the schema migrations and the
 * connection's PRAGMAs at open (db.c) are scripts run by sqlite3_exec,
 * and PRAGMA user_version = N is text because PRAGMA takes no parameter
 * (N is the migration count, not input). VACUUM likewise (prune.c).
 *
 * Join parameters: ?1 client, ?2 path, ?3 the error's local_ms, ?4 the
 * longest request stored (bounds the index range), ?5 method, ?6 query,
 * ?7 upstream, ?8 and ?9 a range of ts_ms (the truncated lookup), ?10
 * the minute sought (JOIN_MINUTE).
 * An error at local time t belongs to a request whose local end e and
 * duration d satisfy e - d - 2000 <= t <= e + 2000 (2 s of slack for the
 * error log's whole seconds and clock steps). Candidates are ordered by
 * whether t falls inside the request, then by distance to its end
 * (JOIN_NEAREST's columns, join.c keeps the first).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store_int.h"

/*
 * The first key of requests_join (schema/016), word for word: the minute
 * of a request's local end, -1 for a request longer than ten minutes.
 * A request that error t belongs to has the key -1 or a minute of
 * t - 2000 .. t + min(?4, 600000) + 2000, where a request of at most ten
 * minutes and at most the longest stored (?4) ends: join.c seeks each of
 * those (two to twelve) in turn as ?10. An IN list of them (a recursive
 * WITH) and an ORDER BY ... LIMIT 1 made SQLite open and drop three
 * temporary tables per lookup, zeroing their pages: 53% of the writer's
 * instructions on a Caddy log with its error lines.
 */
#define JOIN_MINUTE \
	" (CASE WHEN r.request_ms > 600000 THEN -1" \
	" ELSE r.local_end_ms / 60000 END) "
#define JOIN_WINDOW \
	JOIN_MINUTE "= ?10 AND" \
	" r.client = ?1 AND r.path_id IS ?2" \
	" AND r.local_end_ms BETWEEN ?3 - 2000 AND ?3 + ?4 + 2000" \
	" AND r.method_id IS ?5 AND r.query IS ?6" \
	" AND ?3 >= r.local_end_ms - coalesce(r.request_ms, 0) - 2000 "
/*
 * JOIN_WINDOW over requests_all (store/requests_vt.c), where a request of
 * a block has its path as text (path_id NULL): the same paths match.
 */
#define JOIN_WINDOW_ALL \
	" r.client = ?1 AND (CASE WHEN r.path_id IS NOT NULL THEN" \
	" r.path_id = ?2 WHEN r.path IS NOT NULL THEN" \
	" r.path = (SELECT name FROM paths WHERE id = ?2) ELSE ?2 IS NULL END)" \
	" AND r.local_end_ms BETWEEN ?3 - 2000 AND ?3 + ?4 + 2000" \
	" AND r.method_id IS ?5 AND r.query IS ?6" \
	" AND ?3 >= r.local_end_ms - coalesce(r.request_ms, 0) - 2000 "
/* The condition of the partial index requests_join, word for word. */
#define JOIN_JOINABLE " (r.cause <> 0 OR r.n_attempts > 1) "
/*
 * The order of candidates (join.c: JOIN_COL_*), the first wins: whether
 * t falls outside the request, its distance to the end, the request's id
 * (then its attempt's seq). Columns, not an ORDER BY: see JOIN_MINUTE.
 */
#define JOIN_NEAREST \
	" (?3 < r.local_end_ms - coalesce(r.request_ms, 0) - 1000" \
	"  OR ?3 > r.local_end_ms), abs(r.local_end_ms - ?3) "
#define JOIN_REQUEST_COLUMNS \
	" r.id, r.ts_ms, r.source_id, r.upstream_id, r.status, r.cause," \
	" r.request_ms, r.bytes, r.n_attempts," JOIN_NEAREST

/*
 * Multi-row VALUES lists: STORE_REQUEST_ROWS and STORE_INSERT_ROWS tuples
 * of anonymous '?'. A request's id (given by the writer, schema/015) is
 * ?1 + its place in the statement: the writer sends 40 at once only when
 * their ids follow each other (the _AUTO statements leave the ids to
 * SQLite when its next rowids are the same, write.c), and 40 requests bind 961 parameters, under
 * the 999 that SQLite before 3.32 allows.
 */
#define ROWS8(t) t "," t "," t "," t "," t "," t "," t "," t
#define ROWS40(t) ROWS8(t) "," ROWS8(t) "," ROWS8(t) "," ROWS8(t) "," \
	ROWS8(t)
#define ROWS48(t) ROWS40(t) "," ROWS8(t)
#define ROWS32(t) ROWS8(t) "," ROWS8(t) "," ROWS8(t) "," ROWS8(t)
_Static_assert(STORE_ROW_QUEUE == 32, "ROWS32 writes 32 tuples");
_Static_assert(STORE_ROW_QUEUE * (1 + STORE_REQUEST_COLUMNS) <= 999,
    "SQLITE_MAX_VARIABLE_NUMBER before 3.32");
_Static_assert(STORE_INSERT_ROWS == 48, "ROWS48 writes 48 tuples");
_Static_assert(STORE_REQUEST_ROWS == 40, "REQUEST_TUPLES40 writes 40 tuples");
_Static_assert(1 + STORE_REQUEST_ROWS * STORE_REQUEST_COLUMNS <= 999,
    "SQLITE_MAX_VARIABLE_NUMBER before 3.32");
_Static_assert(STORE_INSERT_ROWS * STORE_ATTEMPT_COLUMNS <= 999,
    "SQLITE_MAX_VARIABLE_NUMBER before 3.32");
#define REQUEST_TUPLE_AUTO "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define REQUEST_TUPLE(k) "(?1+" #k ",?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
/* a request with its own id (STMT_REQUEST_INSERT_IDS_N) */
#define REQUEST_TUPLE_ID "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
/* ids ?1 + 0 .. ?1 + 39 */
#define REQUEST_TUPLES10(d) REQUEST_TUPLE(d##0) "," REQUEST_TUPLE(d##1) "," \
	REQUEST_TUPLE(d##2) "," REQUEST_TUPLE(d##3) "," REQUEST_TUPLE(d##4) \
	"," REQUEST_TUPLE(d##5) "," REQUEST_TUPLE(d##6) "," REQUEST_TUPLE(d##7) \
	"," REQUEST_TUPLE(d##8) "," REQUEST_TUPLE(d##9)
#define REQUEST_TUPLES40 REQUEST_TUPLE(0) "," REQUEST_TUPLE(1) "," \
	REQUEST_TUPLE(2) "," REQUEST_TUPLE(3) "," REQUEST_TUPLE(4) "," \
	REQUEST_TUPLE(5) "," REQUEST_TUPLE(6) "," REQUEST_TUPLE(7) "," \
	REQUEST_TUPLE(8) "," REQUEST_TUPLE(9) "," REQUEST_TUPLES10(1) "," \
	REQUEST_TUPLES10(2) "," REQUEST_TUPLES10(3)
#define ATTEMPT_TUPLE "(?,?,?,?,?,?,?,?,?)"
/*
 * The rollup upserts (rollup.c, latency.c): one key, or ROLLUP_FLUSH_ROWS
 * keys of a map (all different) through one statement.
 */
#define ROLLUP_INTO \
	"INSERT INTO rollup_minute (minute, source_id, upstream_id," \
	" status, cause, requests, request_ms_sum, request_ms_n," \
	" bytes_sum)"
#define ROLLUP_SUM \
	" ON CONFLICT (minute, source_id, upstream_id, status, cause)" \
	" DO UPDATE SET requests = requests + excluded.requests," \
	" request_ms_sum = request_ms_sum + excluded.request_ms_sum," \
	" request_ms_n = request_ms_n + excluded.request_ms_n," \
	" bytes_sum = bytes_sum + excluded.bytes_sum"
#define ROLLUP_ATTEMPT_INTO \
	"INSERT INTO rollup_attempt_minute (minute, source_id," \
	" upstream_id, status, cause, attempts)"
#define ROLLUP_ATTEMPT_SUM \
	" ON CONFLICT (minute, source_id, upstream_id, status," \
	" cause) DO UPDATE SET attempts = attempts + excluded.attempts"
#define LATENCY_INTO \
	"INSERT INTO rollup_latency_minute (minute, upstream_id, bucket," \
	" attempts)"
#define LATENCY_SUM \
	" ON CONFLICT (minute, upstream_id, bucket)" \
	" DO UPDATE SET attempts = attempts + excluded.attempts"
_Static_assert(ROLLUP_FLUSH_ROWS == 32, "ROWS32 writes 32 tuples");
/*
 * OR FAIL, not the default ABORT: a statement that may abort half-way
 * through several rows opens a statement journal, and each page it
 * changes that the transaction had already changed is copied there first
 * (in memory, temp_store, in 1 KiB chunks: a malloc each). With FAIL the
 * rows before a failing one stay, but any failure rolls the whole batch
 * back (write.c), so nothing else differs. The writer's instructions
 * fell 11.5% (callgrind, 200k production-cardinality lines); the floor's
 * CPU 1.24-1.36 -> 1.00 s per 1M rows (tests/tools/sqlitefloor -J).
 */
#define REQUEST_INSERT_INTO_AUTO \
	"INSERT OR FAIL INTO requests (source_id, line_no, ts_ms, tz_min," \
	" client, method_id, host_id, path_id, query," \
	" shape_id, protocol, status, bytes, request_ms, request_id," \
	" upstream_id, n_attempts, cause, a_status, a_connect_ms," \
	" a_header_ms, a_response_ms, a_cause, a_error_id) VALUES "
#define REQUEST_INSERT_INTO \
	"INSERT OR FAIL INTO requests (id, source_id, line_no, ts_ms, tz_min," \
	" client, method_id, host_id, path_id, query," \
	" shape_id, protocol, status, bytes, request_ms, request_id," \
	" upstream_id, n_attempts, cause, a_status, a_connect_ms," \
	" a_header_ms, a_response_ms, a_cause, a_error_id) VALUES "
#define ATTEMPT_INSERT_INTO \
	"INSERT OR FAIL INTO attempts (request_id, seq, grp, upstream_id," \
	" status, connect_ms, header_ms, response_ms, cause) VALUES "


/* The console's filter terms: x is a rollup row (console.c binds them). */
#define WINDOW_X " x.minute >= :m0 AND x.minute < :m1 "
#define FILTER_X \
	" AND (:up IS NULL OR x.upstream_id = :up)" \
	" AND (:cause < 0 OR x.cause = :cause)" \
	" AND (:status < 0 OR x.status = :status) "
#define IS_5XX(col) " (" col " BETWEEN 500 AND 599) "
/*
 * Readers of requests come in two variants, V: ALL reads every request,
 * rows and blocks (requests_all, schema/015, store/requests_vt.c), ROWS
 * the table alone, as before blocks; stmt_get() takes ROWS while
 * request_blocks is empty (store_reads_blocks), as it is unless
 * GW_INGEST_BLOCKS=1 wrote it: a virtual table's scan costs 2x the
 * table's (report --by retry on 1M rows 0.36 -> 0.76 s, explain 0.93 ->
 * 1.73 s). A request of a block has its path as text (r.path, NULL for
 * a row), where a row has path_id.
 */
#define V_RUNS_FROM_ALL RUNS_FROM
#define V_RUNS_FROM_ROWS RUNS_FROM_ROWS
#define V_REQUESTS_ALL " requests_all r"
#define V_REQUESTS_ROWS " requests r"
#define V_MIN_TS_ALL RUNS_MIN_TS
#define V_MIN_TS_ROWS RUNS_MIN_TS_ROWS
#define V_MAX_TS_ALL RUNS_MAX_TS
#define V_MAX_TS_ROWS RUNS_MAX_TS_ROWS
/* r's path text: a block's, or p.name (p joined by r.path_id) */
#define V_PATH_NAME_ALL "coalesce(r.path, p.name)"
#define V_PATH_NAME_ROWS "p.name"
/* r's path id; for a block's request whose path no row interned, its text
 * (requests_all's path_key, or its own id below 0 for that text) */
#define V_PATH_KEY_ALL \
	"CASE WHEN r.path_key < 0 THEN r.path ELSE r.path_key END"
#define V_PATH_KEY_ROWS "r.path_id"
#define SERIES_MINUTE(col) \
	"SELECT (x.minute - :base / 60000) / :stepm, " col ", sum(x.requests)," \
	" sum(CASE WHEN" IS_5XX("x.status") "THEN x.requests ELSE 0 END)" \
	" FROM rollup_minute x WHERE" WINDOW_X FILTER_X " GROUP BY 1, 2"
#define SERIES_RAW(V, col) \
	"SELECT (r.ts_ms - :base) / :step, " col ", count(*)," \
	" sum(" IS_5XX("r.status") ") FROM" V_RUNS_FROM_##V \
	" WHERE" RUNS_SECS(":t0", ":t1") "AND r.ts_ms >= :t0" \
	" AND r.ts_ms < :t1" \
	" AND (:up IS NULL OR r.upstream_id = :up)" \
	" AND (:cause < 0 OR r.cause = :cause)" \
	" AND (:status < 0 OR r.status = :status) GROUP BY 1, 2"
#define CONSOLE_REQUEST_COLUMNS(V, from) \
	"SELECT r.id, r.ts_ms," STORE_CLIENT_TEXT("r.client") ", m.name," \
	" h.name, " V_PATH_NAME_##V ", r.query," \
	" u.name, s.path || coalesce(' @' || s.origin, ''), r.line_no, r.status, coalesce(r.request_ms, -1)," \
	" r.cause, r.n_attempts, (SELECT message FROM gateway_errors" \
	" WHERE id = r.error_id) FROM" from \
	" LEFT JOIN methods m ON m.id = r.method_id" \
	" LEFT JOIN hosts h ON h.id = r.host_id" \
	" LEFT JOIN paths p ON p.id = r.path_id" \
	" LEFT JOIN upstreams u ON u.id = r.upstream_id" \
	" LEFT JOIN sources s ON s.id = r.source_id"

/*
 * diag_query.c's. Index use: shape counts read every request of the
 * window, through request_runs when a bound is given, as a plain table
 * scan when not (the "_ALL" variant); the attempt stream walks
 * request_runs in time order (schema/013); retry groups, cause
 * counts and examples only look at requests that failed or were retried,
 * through the partial index requests_trouble_ts (schema/003), whose
 * condition DIAG_TROUBLE repeats word for word.
 */
#define DIAG_TROUBLE " (r.cause <> 0 OR r.n_attempts > 1) "
#define DIAG_WINDOW " r.ts_ms >= ?1 AND r.ts_ms < ?2 "
#define DIAG_UPSTREAM_ID " (SELECT id FROM upstreams WHERE name = ?3) "
#define DIAG_GATEWAY_CAUSES " (SELECT id FROM causes WHERE who = 'gateway') "
/* The inline attempt of r (schema/012) is of the upstream and cause ?4. */
#define DIAG_INLINE_MATCH \
	" (r.a_cause = ?4 AND r.upstream_id =" DIAG_UPSTREAM_ID ") "
/* Every request of the window as ids; summed in C (see diag_shape_counts). */
#define DIAG_SHAPE_SQL(V, from, ts) \
	"SELECT coalesce(r.method_id, 0), coalesce(" V_PATH_KEY_##V ", 0)," \
	" r.upstream_id, coalesce(r.shape_id, 0)," \
	" r.status BETWEEN 500 AND 599, r.cause" \
	" FROM" from "WHERE " ts \
	" AND (?3 IS NULL OR r.upstream_id =" DIAG_UPSTREAM_ID ")"
/* An interned-name table, id -> name. */
#define DIAG_NAMES_SQL(t) "SELECT id, name FROM " t " ORDER BY id"
/* Columns of an example request; e is the error line joined to it. */
#define DIAG_EXAMPLE_COLUMNS \
	" r.id, r.ts_ms, m.name, p.name, r.query," \
	STORE_REQUEST_ID_TEXT("r.request_id") ", e.message," \
	" r.status, r.cause, r.n_attempts "

/* The readers' statements over requests, in both variants (V_*). */
#define REPORT_TOTALS_SQL(V) \
	"SELECT (SELECT coalesce(sum(requests), 0) FROM rollup_minute)," \
	" (SELECT coalesce(sum(attempts), 0) FROM rollup_attempt_minute)," \
	" (SELECT count(*) FROM gateway_errors)," \
	" (SELECT count(*) FROM gateway_errors WHERE request_id IS NULL)," \
	" (SELECT coalesce(sum(rejected), 0) FROM reject_counts)," \
	V_MIN_TS_##V "," V_MAX_TS_##V
/* Rollups outlive pruned raw rows: they start the span then. */
#define CONSOLE_SPAN_SQL(V) \
	"SELECT min(coalesce(" V_MIN_TS_##V "," \
	" 9223372036854775807), coalesce((SELECT min(minute) * 60000" \
	" FROM rollup_minute), 9223372036854775807))," \
	V_MAX_TS_##V
#define CONSOLE_SPLITS_RAW_SQL(V) \
	"SELECT r.ts_ms, r.upstream_id, r.cause, r.status, 1" \
	" FROM" V_RUNS_FROM_##V "WHERE" RUNS_SECS(":t0", ":t1") \
	"AND r.ts_ms >= :t0 AND r.ts_ms < :t1" \
	" AND (:up IS NULL OR r.upstream_id = :up)" \
	" AND (:cause < 0 OR r.cause = :cause)" \
	" AND (:status < 0 OR r.status = :status)" \
	/* lines are made in the order keys first appear, by time */ \
	" ORDER BY k.sec, r.ts_ms, r.id"
#define CONSOLE_FAILURES_SQL(V) \
	CONSOLE_REQUEST_COLUMNS(V, V_RUNS_FROM_##V) \
	" WHERE" RUNS_SECS(":t0", ":t1") \
	"AND r.ts_ms >= :t0 AND r.ts_ms < :t1" \
	" AND (:up IS NULL OR r.upstream_id = :up)" \
	" AND (:cause < 0 OR r.cause = :cause)" \
	" AND (CASE WHEN :status < 0 THEN" IS_5XX("r.status") \
	" OR r.cause <> 0 ELSE r.status = :status END)" \
	" AND (:path IS NULL OR instr(" V_PATH_NAME_##V ", :path) > 0)" \
	" ORDER BY k.sec DESC, r.ts_ms DESC, r.id DESC LIMIT :limit"
#define CONSOLE_REQUEST_SQL(V) \
	CONSOLE_REQUEST_COLUMNS(V, V_REQUESTS_##V) " WHERE r.id = :id"
#define CONSOLE_ATTEMPTS_SQL(V) \
	"SELECT u.name, coalesce(" ATT_STATUS ", -1)," \
	" coalesce(" ATT_CONNECT ", -1), coalesce(" ATT_HEADER ", -1)," \
	" coalesce(" ATT_RESPONSE ", -1)," ATT_CAUSE ", e.message" \
	" FROM" V_REQUESTS_##V ATT_JOIN \
	" JOIN upstreams u ON u.id =" ATT_UPSTREAM \
	" LEFT JOIN gateway_errors e ON e.id =" ATT_ERROR \
	" WHERE r.id = :id AND" ATT_ANY " ORDER BY t.seq"
#define DIAG_SHAPE_COUNTS_SQL(V) \
	DIAG_SHAPE_SQL(V, V_RUNS_FROM_##V, \
	    RUNS_SECS("?1", "?2") "AND" DIAG_WINDOW)
#define DIAG_SHAPE_COUNTS_ALL_SQL(V) \
	DIAG_SHAPE_SQL(V, V_REQUESTS_##V " ", \
	    "+r.ts_ms >= ?1 AND +r.ts_ms < ?2")
#define DIAG_ATTEMPT_STREAM_SQL(V) \
	"SELECT r.ts_ms, r.id," ATT_UPSTREAM "," ATT_SEQ "," \
	" coalesce(" ATT_STATUS ", -1)," ATT_CAUSE \
	" FROM" V_RUNS_FROM_##V ATT_JOIN \
	" WHERE" RUNS_SECS("?1", "?2") "AND" DIAG_WINDOW " AND" ATT_ANY \
	" AND (?3 IS NULL OR" ATT_UPSTREAM "=" DIAG_UPSTREAM_ID ")" \
	" ORDER BY k.sec, r.ts_ms, r.id, t.seq"
/* The window's requests and the mean time of its plain ones (of
 * upstream ?3) in one scan of them (two scans took twice as long). */
#define DIAG_TOTALS_SQL(V) \
	"SELECT t.n, (SELECT count(*) FROM requests r WHERE" DIAG_TROUBLE \
	"  AND r.n_attempts > 1 AND" DIAG_WINDOW "), t.ms" \
	" FROM (SELECT count(*) AS n, avg(CASE WHEN r.n_attempts = 1" \
	"  AND r.cause = 0 AND (?3 IS NULL OR r.upstream_id =" \
	DIAG_UPSTREAM_ID ") THEN r.request_ms END) AS ms" \
	" FROM" V_RUNS_FROM_##V "WHERE" RUNS_SECS("?1", "?2") "AND" \
	DIAG_WINDOW ") t"
/*
 * metrics_rows.c's: the high marks, requests and attempts by id range.
 * Over every request: requests_all and the last id of the blocks; over
 * the rows alone, the views (the same counts).
 */
/* The last block's last_id (blocks do not overlap): one seek, not a read
 * of every block's row once a second. */
#define METRICS_MARKS_SQL_ALL \
	"SELECT max((SELECT coalesce(max(id), 0) FROM requests)," \
	" coalesce((SELECT last_id FROM request_blocks" \
	" ORDER BY first_id DESC LIMIT 1), 0))," \
	" (SELECT coalesce(max(id), 0) FROM rejects)"
#define METRICS_MARKS_SQL_ROWS \
	"SELECT (SELECT coalesce(max(id), 0) FROM requests)," \
	" (SELECT coalesce(max(id), 0) FROM rejects)"
#define METRICS_REQUESTS_SQL_ALL \
	"SELECT u.name, r.status, c.name, count(*) FROM requests_all r" \
	" JOIN causes c ON c.id = r.cause" \
	" JOIN upstreams u ON u.id = r.upstream_id" \
	" WHERE r.id > ?1 AND r.id <= ?2 GROUP BY 1, 2, 3"
#define METRICS_REQUESTS_SQL_ROWS \
	"SELECT upstream, status, cause, count(*) FROM request_view" \
	" WHERE id > ?1 AND id <= ?2 GROUP BY 1, 2, 3"
#define METRICS_ATTEMPTS_SQL_ALL \
	"SELECT u.name, c.name, a.response_ms, count(*) FROM (" \
	" SELECT r.upstream_id, r.a_cause AS cause," \
	"  r.a_response_ms AS response_ms FROM requests_all r" \
	"  WHERE r.id > ?1 AND r.id <= ?2 AND r.a_cause IS NOT NULL" \
	" UNION ALL SELECT upstream_id, cause, response_ms FROM attempts" \
	"  WHERE request_id > ?1 AND request_id <= ?2) a" \
	" JOIN upstreams u ON u.id = a.upstream_id" \
	" JOIN causes c ON c.id = a.cause GROUP BY 1, 2, 3"
#define METRICS_ATTEMPTS_SQL_ROWS \
	"SELECT upstream, cause, response_ms, count(*) FROM attempt_view" \
	" WHERE request_id > ?1 AND request_id <= ?2 GROUP BY 1, 2, 3"

/* capture_stats.c's: the columns read_stats() reads, in its order. */
#define CAPTURE_STATS_COLUMNS \
	"packets, bytes, received, dropped, if_dropped, flows, " \
	"evicted, gaps, gap_bytes, exchanges, conn_failures, incomplete, " \
	"downstream_failed, downstream_failed_tied, requests_dropped"

/* prune.c's: a string's time, and strings no kept row used since ?1. */
#define PRUNE_TOUCH(table) \
	"UPDATE " table " SET last_ms = ?2 WHERE id = ?1" \
	" AND (last_ms IS NULL OR last_ms < ?2 - 3600000)" /* TOUCH_STALE */
#define PRUNE_GC(table) \
	"DELETE FROM " table " WHERE id IN (SELECT id FROM " table \
	" WHERE last_ms < ?1 LIMIT ?2)"

/* intern.c's: hashed tables are found by hash in their keys (schema 017),
 * then by id and name (paths, shapes). */
#define INTERN_SELECT(t) "SELECT id FROM " t " WHERE name = ?1"
#define INTERN_SELECT_HASHED(t, k) \
	"SELECT t.id FROM " k " k JOIN " t " t ON t.id = k.id" \
	" WHERE k.hash = ?2 AND t.name = ?1"
#define INTERN_INSERT(t) \
	"INSERT INTO " t " (name) VALUES (?1) ON CONFLICT (name) DO NOTHING"
#define INTERN_INSERT_HASHED(t) "INSERT INTO " t " (name, hash) VALUES (?1, ?2)"
#define INTERN_INSERT_ID(t) "INSERT OR FAIL INTO " t " (name, hash) VALUES "
#define NAME_TUPLE "(?,?)"
#define INTERN_INSERT_KEY(k) "INSERT OR FAIL INTO " k " (hash, id) VALUES "
#define KEY_TUPLE "(?,?)"
_Static_assert(INTERN_PENDING_ROWS == 40, "STMT_INTERN_INSERT_IDS_*: ROWS40");

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",

	[STMT_SOURCE_FIND] =
	    "SELECT id, fingerprint, position, line_no, kind FROM sources"
	    " WHERE length(fingerprint) >= ?2"
	    " AND (kind LIKE 'pcap%') = (?1 LIKE 'pcap%')"
	    " ORDER BY last_seen_ms DESC, id DESC",
	[STMT_SOURCE_INSERT] =
	    "INSERT INTO sources (path, kind, format, dev, ino, fingerprint,"
	    " first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?7)",
	[STMT_SOURCE_REOPEN] =
	    "UPDATE sources SET path = ?2, format = ?3, dev = ?4, ino = ?5,"
	    " kind = ?8,"
	    " fingerprint = CASE WHEN length(?6) > length(fingerprint)"
	    " THEN ?6 ELSE fingerprint END, last_seen_ms = ?7 WHERE id = ?1",
	[STMT_SOURCE_POSITION] =
	    "UPDATE sources SET position = ?2, line_no = ?3,"
	    " last_seen_ms = ?4, rewind_offset = ?5, rewind_line = ?6"
	    " WHERE id = ?1",
	/* source.c: a join held across a restart (schema 015) */
	[STMT_SOURCE_REWIND] =
	    "SELECT rewind_offset, rewind_line, position FROM sources"
	    " WHERE id = ?1 AND rewind_offset IS NOT NULL",

	[STMT_META_GET] = "SELECT value FROM store_meta WHERE key = ?1",
	[STMT_META_SET] =
	    "INSERT INTO store_meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    " value = max(value, excluded.value)",
	[STMT_META_SET_MIN] =
	    "INSERT INTO store_meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    " value = min(value, excluded.value)",

	/* ids left to SQLite when they are its next rowids (write.c) */
	[STMT_REQUEST_INSERT_AUTO] = REQUEST_INSERT_INTO_AUTO
	    REQUEST_TUPLE_AUTO,
	[STMT_REQUEST_INSERT_AUTO_N] = REQUEST_INSERT_INTO_AUTO
	    ROWS40(REQUEST_TUPLE_AUTO),
	[STMT_REQUEST_INSERT] = REQUEST_INSERT_INTO REQUEST_TUPLE(0),
	[STMT_REQUEST_INSERT_N] = REQUEST_INSERT_INTO REQUEST_TUPLES40,
	[STMT_REQUEST_INSERT_IDS_N] = REQUEST_INSERT_INTO
	    ROWS32(REQUEST_TUPLE_ID),
	/*
	 * blocks.c: ids go on after the largest of rows and blocks, and
	 * of the ids pruning read (it removes no request above that mark).
	 * The last block's last_id, blocks do not overlap (as prune's
	 * PRUNE_MAX_ID_ALL): one seek. max(last_id) read every block's
	 * row at every batch, a cost that grew with the database (9M
	 * production lines: 73,000 pages read back per 600,000 lines).
	 */
	[STMT_BLOCKS_NEXT_ID] =
	    "SELECT (SELECT coalesce(max(id), 0) FROM requests),"
	    " coalesce((SELECT last_id FROM request_blocks"
	    " ORDER BY first_id DESC LIMIT 1), 0),"
	    " (SELECT coalesce(max(value), 0) FROM store_meta"
	    "  WHERE key = 'mark_request_id')",
	[STMT_BLOCKS_INSERT] =
	    "INSERT INTO request_blocks (first_id, last_id, n, data)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[STMT_BLOCKS_LAST] =
	    "SELECT first_id, last_id, n, data FROM request_blocks"
	    " ORDER BY first_id DESC LIMIT 1",
	[STMT_BLOCKS_HAS_ROW] = "SELECT 1 FROM requests WHERE id = ?1",
	[STMT_BLOCKS_OF_ID] =
	    "SELECT first_id, last_id, n, data FROM request_blocks"
	    " WHERE first_id <= ?1 ORDER BY first_id DESC LIMIT 1",
	[STMT_BLOCKS_DELETE] = "DELETE FROM request_blocks WHERE first_id = ?1",
	[STMT_BLOCKS_REPLACE] =
	    "UPDATE request_blocks SET last_id = ?2, n = ?3, data = ?4"
	    " WHERE first_id = ?1",
	[STMT_ATTEMPT_INSERT] = ATTEMPT_INSERT_INTO ATTEMPT_TUPLE,
	[STMT_ATTEMPT_INSERT_N] = ATTEMPT_INSERT_INTO ROWS48(ATTEMPT_TUPLE),
	/* ?15: the id, NULL for SQLite's next rowid (write_errors) */
	[STMT_ERROR_INSERT] =
	    "INSERT INTO gateway_errors (source_id, line_no, local_ms, level,"
	    " conn, cause, message, client, server, method_id, path_id,"
	    " query, upstream_id, host_id, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	/* the largest id kept, and pruning's mark (prune.c) */
	[STMT_ERROR_ID_FLOOR] =
	    "SELECT (SELECT coalesce(max(id), 0) FROM gateway_errors),"
	    " (SELECT coalesce(max(value), 0) FROM store_meta"
	    "  WHERE key = 'mark_error_id')",
	/* the id past the largest kept and the largest pruning removed
	 * (store_meta reject_id_high, STMT_PRUNE_REJECT_HIGH): never one
	 * given before */
	[STMT_REJECT_INSERT] =
	    "INSERT INTO rejects (id, source_id, line_no, offset, reason, raw)"
	    " VALUES (max(coalesce((SELECT max(id) FROM rejects), 0),"
	    " coalesce((SELECT value FROM store_meta"
	    " WHERE key = 'reject_id_high'), 0)) + 1, ?1, ?2, ?3, ?4, ?5)",

	[STMT_ROLLUP_UPSERT] = ROLLUP_INTO
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)" ROLLUP_SUM,
	[STMT_ROLLUP_UPSERT_N] = ROLLUP_INTO
	    " VALUES " ROWS32("(?,?,?,?,?,?,?,?,?)") ROLLUP_SUM,
	[STMT_ROLLUP_PRUNE] =
	    "DELETE FROM rollup_minute WHERE minute = ?1 AND source_id = ?2"
	    " AND upstream_id = ?3 AND status = ?4 AND cause = ?5"
	    " AND requests <= 0",
	[STMT_ROLLUP_ATTEMPT_UPSERT] = ROLLUP_ATTEMPT_INTO
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)" ROLLUP_ATTEMPT_SUM,
	[STMT_ROLLUP_ATTEMPT_UPSERT_N] = ROLLUP_ATTEMPT_INTO
	    " VALUES " ROWS32("(?,?,?,?,?,?)") ROLLUP_ATTEMPT_SUM,
	[STMT_ROLLUP_ATTEMPT_PRUNE] =
	    "DELETE FROM rollup_attempt_minute WHERE minute = ?1"
	    " AND source_id = ?2 AND upstream_id = ?3 AND status = ?4"
	    " AND cause = ?5 AND attempts <= 0",

	/* ?7 upstream, ?8 any attempt will do (upstream_truncated). */
	/*
	 * Only requests that failed or were retried are in requests_join
	 * (a partial index: indexing every request made ingest three times
	 * slower), and only those can own an error naming an upstream...
	 */
	[STMT_JOIN_ATTEMPT_FIND] =
	    "SELECT" JOIN_REQUEST_COLUMNS "," ATT_SEQ "," ATT_STATUS ","
	    ATT_CAUSE " FROM requests r" ATT_JOIN
	    " WHERE" JOIN_WINDOW " AND" JOIN_JOINABLE " AND" ATT_ANY
	    " AND" ATT_UPSTREAM "= ?7 AND" ATT_ERROR "IS NULL"
	    " AND (" ATT_STATUS ">= 500 OR" ATT_STATUS "= 9 OR" ATT_CAUSE
	    "<> 0)",
	/*
	 * ... except upstream_truncated: the body broke after a 2xx header,
	 * so the request looked fine. Those few are found by time: ?8..?9
	 * is the window of local ends as a range of ts_ms, widened by the
	 * spread of the stored requests' UTC offsets (schema/005).
	 */
	/* Plain requests too: those of blocks (schema/015) through
	 * requests_all; join.c moves the one found into the rows first. */
	[STMT_JOIN_ATTEMPT_FIND_TRUNCATED] =
	    "SELECT" JOIN_REQUEST_COLUMNS "," ATT_SEQ "," ATT_STATUS ","
	    ATT_CAUSE " FROM request_runs k CROSS JOIN requests_all r"
	    " ON r.id BETWEEN k.first_id AND k.last_id" ATT_JOIN
	    " WHERE" RUNS_SECS("?8", "?9") "AND r.ts_ms BETWEEN ?8 AND ?9"
	    " AND" JOIN_WINDOW_ALL " AND" ATT_ANY
	    " AND" ATT_UPSTREAM "= ?7 AND" ATT_ERROR "IS NULL",
	/*
	 * An error naming an upstream for a request whose log named none
	 * (Caddy's access log): a failed request without attempts.
	 */
	[STMT_JOIN_BARE_FIND] =
	    "SELECT" JOIN_REQUEST_COLUMNS
	    " FROM requests r WHERE" JOIN_WINDOW " AND" JOIN_JOINABLE
	    " AND r.n_attempts = 0 AND r.error_id IS NULL",
	/*
	 * Its one attempt, inline in the row (schema/012), to upstream ?2,
	 * which becomes the request's.
	 */
	[STMT_JOIN_BARE_ATTEMPT] =
	    "UPDATE requests SET n_attempts = 1, upstream_id = ?2,"
	    " a_status = ?3, a_connect_ms = NULL, a_header_ms = NULL,"
	    " a_response_ms = NULL, a_cause = ?4, a_error_id = ?5"
	    " WHERE id = ?1",
	/* Errors naming no upstream (rate limiting, auth): failed requests. */
	[STMT_JOIN_REQUEST_FIND] =
	    "SELECT" JOIN_REQUEST_COLUMNS
	    " FROM requests r WHERE" JOIN_WINDOW " AND" JOIN_JOINABLE
	    " AND r.error_id IS NULL",
	/* ?3 the request's local end, ?4 its duration. */
	[STMT_JOIN_ERRORS_FOR_REQUEST] =
	    "SELECT id FROM gateway_errors"
	    " WHERE client = ?1 AND path_id IS ?2 AND request_id IS NULL"
	    " AND local_ms BETWEEN ?3 - ?4 - 2000 AND ?3 + 2000"
	    " AND method_id IS ?5 AND query IS ?6",
	[STMT_JOIN_ERRORS_SINCE] =
	    "SELECT id, client FROM gateway_errors WHERE id > ?1"
	    " AND request_id IS NULL AND client IS NOT NULL",
	[STMT_JOIN_ERROR_GET] =
	    "SELECT client, path_id, local_ms, method_id, query,"
	    " upstream_id, cause FROM gateway_errors"
	    " WHERE id = ?1 AND request_id IS NULL",
	[STMT_JOIN_ATTEMPT_SET] =
	    "UPDATE attempts SET cause = ?3, error_id = ?4"
	    " WHERE request_id = ?1 AND seq = ?2",
	/* The same for an attempt inline in its request (schema/012). */
	[STMT_JOIN_INLINE_SET] =
	    "UPDATE requests SET a_cause = ?3, a_error_id = ?4"
	    " WHERE id = ?1 AND ?2 = 0 AND a_cause IS NOT NULL",
	[STMT_JOIN_REQUEST_SET_CAUSE] =
	    "UPDATE requests SET cause = ?2 WHERE id = ?1",
	[STMT_JOIN_REQUEST_SET_ERROR] =
	    "UPDATE requests SET error_id = ?2 WHERE id = ?1",
	[STMT_JOIN_ERROR_SET] =
	    "UPDATE gateway_errors SET request_id = ?2 WHERE id = ?1",

	/* db.c */
	[STMT_DB_USER_VERSION] = "PRAGMA user_version",
	[STMT_READ_BEGIN] = "BEGIN",
	/* store_reads_blocks() */
	[STMT_READ_DATA_VERSION] = "PRAGMA data_version",
	[STMT_READ_HAS_BLOCKS] = "SELECT EXISTS (SELECT 1 FROM request_blocks)",

	/* intern.c: one SELECT and one INSERT per table of names. */
	[STMT_INTERN_SELECT_UPSTREAM] = INTERN_SELECT("upstreams"),
	[STMT_INTERN_SELECT_HOST] = INTERN_SELECT("hosts"),
	[STMT_INTERN_SELECT_PATH] =
	    INTERN_SELECT_HASHED("paths", "path_keys"),
	[STMT_INTERN_SELECT_SHAPE] =
	    INTERN_SELECT_HASHED("shapes", "shape_keys"),
	[STMT_INTERN_SELECT_METHOD] = INTERN_SELECT("methods"),
	[STMT_INTERN_INSERT_UPSTREAM] = INTERN_INSERT("upstreams"),
	[STMT_INTERN_INSERT_HOST] = INTERN_INSERT("hosts"),
	[STMT_INTERN_INSERT_PATH] = INTERN_INSERT_HASHED("paths"),
	[STMT_INTERN_INSERT_SHAPE] = INTERN_INSERT_HASHED("shapes"),
	[STMT_INTERN_INSERT_METHOD] = INTERN_INSERT("methods"),
	[STMT_INTERN_NAME_KEY] = "SELECT k0, k1 FROM name_hash_key",
	/* The key sets: names stored past the highest id known (a range of
	   rowids), or all of them (path_keys holds hash and id: a third of
	   the table's pages). */
	[STMT_INTERN_KEYS_PATH] = "SELECT id, hash FROM paths WHERE id > ?1",
	[STMT_INTERN_KEYS_SHAPE] = "SELECT id, hash FROM shapes WHERE id > ?1",
	[STMT_INTERN_KEYS_ALL_PATH] =
	    "SELECT id, hash FROM path_keys",
	[STMT_INTERN_KEYS_ALL_SHAPE] =
	    "SELECT id, hash FROM shape_keys",
	[STMT_INTERN_DATA_VERSION] = "PRAGMA data_version",
	/* New names, appended: SQLite's next rowids are the ids intern.c
	   gave them (it checks); then their keys (schema 017). OR FAIL: no
	   statement journal, see REQUEST_INSERT_INTO. */
	[STMT_INTERN_INSERT_ID_PATH] = INTERN_INSERT_ID("paths") NAME_TUPLE,
	[STMT_INTERN_INSERT_ID_SHAPE] = INTERN_INSERT_ID("shapes") NAME_TUPLE,
	[STMT_INTERN_INSERT_IDS_PATH] =
	    INTERN_INSERT_ID("paths") ROWS40(NAME_TUPLE),
	[STMT_INTERN_INSERT_IDS_SHAPE] =
	    INTERN_INSERT_ID("shapes") ROWS40(NAME_TUPLE),
	[STMT_INTERN_INSERT_KEY_PATH] =
	    INTERN_INSERT_KEY("path_keys") KEY_TUPLE,
	[STMT_INTERN_INSERT_KEY_SHAPE] =
	    INTERN_INSERT_KEY("shape_keys") KEY_TUPLE,
	[STMT_INTERN_INSERT_KEYS_PATH] =
	    INTERN_INSERT_KEY("path_keys") ROWS40(KEY_TUPLE),
	[STMT_INTERN_INSERT_KEYS_SHAPE] =
	    INTERN_INSERT_KEY("shape_keys") ROWS40(KEY_TUPLE),
	/* A database before schema 017 (a test's, upgraded on its next
	   open): the keys are an index on hash, kept by SQLite. */
	[STMT_INTERN_SELECT_INDEXED_PATH] =
	    "SELECT id FROM paths WHERE hash = ?2 AND name = ?1",
	[STMT_INTERN_SELECT_INDEXED_SHAPE] =
	    "SELECT id FROM shapes WHERE hash = ?2 AND name = ?1",
	[STMT_INTERN_KEYS_INDEXED_PATH] =
	    "SELECT id, hash FROM paths INDEXED BY paths_hash",
	[STMT_INTERN_KEYS_INDEXED_SHAPE] =
	    "SELECT id, hash FROM shapes INDEXED BY shapes_hash",

	/* source.c: the child sources of a parent, by origin (schema 009). */
	[STMT_SOURCE_ORIGIN_FIND] =
	    "SELECT id FROM sources WHERE parent_id = ?1 AND origin = ?2",
	[STMT_SOURCE_ORIGIN_COUNT] =
	    "SELECT count(*) FROM sources WHERE parent_id = ?1",
	[STMT_SOURCE_ORIGIN_INSERT] =
	    "INSERT INTO sources (path, kind, format, parent_id, origin,"
	    " first_seen_ms, last_seen_ms)"
	    " SELECT path, kind, format, id, ?2, ?3, ?3 FROM sources"
	    " WHERE id = ?1",

	/* reject.c */
	[STMT_REJECT_SEEN] =
	    "SELECT coalesce(sum(rejected), 0) FROM reject_counts"
	    " WHERE source_id = ?1",
	[STMT_REJECT_COUNT] =
	    "INSERT INTO reject_counts (source_id, reason, rejected, kept)"
	    " VALUES (?1, ?2, 1, ?3) ON CONFLICT (source_id, reason)"
	    " DO UPDATE SET rejected = rejected + 1,"
	    " kept = kept + excluded.kept",
	[STMT_REJECT_TOTALS] =
	    "SELECT coalesce(sum(rejected), 0), coalesce(sum(kept), 0)"
	    " FROM reject_counts WHERE source_id = ?1 OR ?1 = 0",

	/* latency.c */
	/* runs.c */
	[STMT_RUNS_PUT] =
	    "INSERT INTO request_runs (sec, first_id, last_id)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (sec, first_id)"
	    " DO UPDATE SET last_id = excluded.last_id",
	[STMT_RUNS_BEFORE] =
	    "SELECT first_id FROM request_runs WHERE sec = ?1"
	    " AND last_id = ?2",

	[STMT_LATENCY_UPSERT] = LATENCY_INTO " VALUES (?1, ?2, ?3, ?4)"
	    LATENCY_SUM,
	[STMT_LATENCY_UPSERT_N] = LATENCY_INTO " VALUES "
	    ROWS32("(?,?,?,?)") LATENCY_SUM,

	/* report.c: totals in one statement, each part an index or rollup read. */
	[STMT_REPORT_TOTALS] = REPORT_TOTALS_SQL(ALL),
	/* Error-log lines by upstream and cause (store_error_groups). */
	[STMT_REPORT_ERROR_GROUPS] =
	    "SELECT coalesce(u.name, '-'), e.cause, count(*),"
	    " sum(e.request_id IS NULL), min(e.local_ms), max(e.local_ms)"
	    " FROM gateway_errors e"
	    " LEFT JOIN upstreams u ON u.id = e.upstream_id"
	    " WHERE e.local_ms >= ?1 AND e.local_ms < ?2"
	    " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",

	/*
	 * console.c. Filters are part of each statement as
	 * "(:param IS NULL OR column = :param)" terms, so one statement
	 * serves every filter; they are cheap because the rollups are read
	 * by their primary key, which starts with the minute. The upstream
	 * table is the counting rule's (report.c, store_sql_stmt).
	 */
	[STMT_CONSOLE_DATA_VERSION] = "PRAGMA data_version",
	/* Two index seeks. */
	/* Rollups outlive pruned raw rows: they start the span then. */
	[STMT_CONSOLE_SPAN] = CONSOLE_SPAN_SQL(ALL),
	[STMT_CONSOLE_SOURCES] =
	    "SELECT id, path, kind, position, line_no, last_seen_ms"
	    " FROM sources WHERE parent_id IS NULL"	/* not a host's (009) */
	    " ORDER BY last_seen_ms DESC, id DESC LIMIT :limit",
	[STMT_CONSOLE_UPSTREAM_ID] =
	    "SELECT id FROM upstreams WHERE name = :name",
	[STMT_CONSOLE_UPSTREAM_NAME] =
	    "SELECT name FROM upstreams WHERE id = :id",
	[STMT_CONSOLE_HAS_CAPTURE_STATS] =
	    "SELECT 1 FROM sqlite_master"
	    " WHERE type = 'table' AND name = 'capture_stats'",
	/* Summed in C: a GROUP BY would sort every row of the window. */
	[STMT_CONSOLE_LATENCY] =
	    "SELECT x.upstream_id, x.bucket, x.attempts"
	    " FROM rollup_latency_minute x WHERE" WINDOW_X
	    " AND (:up IS NULL OR x.upstream_id = :up)",
	/* Summed per (cause, upstream) in C: a GROUP BY would sort them. */
	[STMT_CONSOLE_CAUSES] =
	    "SELECT x.cause, x.upstream_id, x.requests,"
	    " CASE WHEN" IS_5XX("x.status") "THEN x.requests ELSE 0 END"
	    " FROM rollup_minute x WHERE" WINDOW_X FILTER_X " AND x.cause <> 0",
	[STMT_CONSOLE_CAUSE_ATTEMPTS] =
	    "SELECT x.cause, x.upstream_id, x.attempts, 0"
	    " FROM rollup_attempt_minute x WHERE" WINDOW_X FILTER_X
	    " AND x.cause <> 0",
	[STMT_CONSOLE_SERIES_MINUTE_UPSTREAM] = SERIES_MINUTE("x.upstream_id"),
	[STMT_CONSOLE_SERIES_MINUTE_CAUSE] = SERIES_MINUTE("x.cause"),
	[STMT_CONSOLE_SERIES_MINUTE_STATUS] = SERIES_MINUTE("x.status"),
	[STMT_CONSOLE_SERIES_RAW_UPSTREAM] = SERIES_RAW(ALL, "r.upstream_id"),
	[STMT_CONSOLE_SERIES_RAW_CAUSE] = SERIES_RAW(ALL, "r.cause"),
	[STMT_CONSOLE_SERIES_RAW_STATUS] = SERIES_RAW(ALL, "r.status"),
	/*
	 * Every split at once: the rows as they are, summed in C (a GROUP BY
	 * on other columns than the key's would sort them all first).
	 */
	[STMT_CONSOLE_SPLITS_MINUTE] =
	    "SELECT x.minute * 60000, x.upstream_id, x.cause, x.status,"
	    " x.requests FROM rollup_minute x WHERE" WINDOW_X FILTER_X,
	[STMT_CONSOLE_SPLITS_RAW] = CONSOLE_SPLITS_RAW_SQL(ALL),
	/* Minutes with failing requests under the filter, newest first. */
	[STMT_CONSOLE_FAILING_MINUTES] =
	    "SELECT x.minute, sum(x.requests) FROM rollup_minute x"
	    " WHERE" WINDOW_X FILTER_X
	    " AND (CASE WHEN :status < 0 THEN" IS_5XX("x.status")
	    " OR x.cause <> 0 ELSE 1 END)"
	    " GROUP BY x.minute ORDER BY x.minute DESC",
	[STMT_CONSOLE_FAILURES] = CONSOLE_FAILURES_SQL(ALL),
	[STMT_CONSOLE_REQUEST] = CONSOLE_REQUEST_SQL(ALL),
	[STMT_CONSOLE_ATTEMPTS] = CONSOLE_ATTEMPTS_SQL(ALL),

	/* diag_query.c */
	[STMT_DIAG_SHAPE_COUNTS] = DIAG_SHAPE_COUNTS_SQL(ALL),
	[STMT_DIAG_SHAPE_COUNTS_ALL] = DIAG_SHAPE_COUNTS_ALL_SQL(ALL),
	[STMT_DIAG_ATTEMPT_STREAM] = DIAG_ATTEMPT_STREAM_SQL(ALL),
	[STMT_DIAG_UPSTREAM_NAMES] = DIAG_NAMES_SQL("upstreams"),
	[STMT_DIAG_METHOD_NAMES] = DIAG_NAMES_SQL("methods"),
	[STMT_DIAG_PATH_NAMES] = DIAG_NAMES_SQL("paths"),
	[STMT_DIAG_SHAPE_NAMES] = DIAG_NAMES_SQL("shapes"),
	/* a path's id from its text (a block's request): paths' keys */
	[STMT_DIAG_PATH_ID] = PATH_ID_BY_NAME_SQL,
	/*
	 * x: retried requests with the seq of their first failing attempt;
	 * then grouped by that attempt's upstream and cause, and the final
	 * upstream.
	 */
	/* Retried requests keep all their attempts in the attempts table
	 * (only a lone attempt is inline, schema/012). */
	[STMT_DIAG_RETRY_GROUPS] =
	    "WITH x AS (SELECT r.id, r.cause, r.upstream_id AS final_uid,"
	    "  r.n_attempts, r.request_ms,"
	    "  (SELECT min(b.seq) FROM attempts b WHERE b.request_id = r.id"
	    "   AND b.cause <> 0) AS first_seq"
	    " FROM requests r WHERE" DIAG_TROUBLE "AND r.n_attempts > 1"
	    " AND" DIAG_WINDOW ")"
	    " SELECT fu.name, lu.name, a.cause, count(*), sum(x.cause = 0),"
	    "  sum((SELECT coalesce(sum(coalesce(c.response_ms, c.connect_ms,"
	    "   0)), 0) FROM attempts c WHERE c.request_id = x.id"
	    "   AND c.seq < x.n_attempts - 1)),"
	    "  coalesce(sum(x.request_ms), 0), count(x.request_ms)"
	    " FROM x JOIN attempts a ON a.request_id = x.id"
	    "  AND a.seq = x.first_seq"
	    " JOIN upstreams fu ON fu.id = a.upstream_id"
	    " JOIN upstreams lu ON lu.id = x.final_uid"
	    " WHERE (?3 IS NULL OR a.upstream_id =" DIAG_UPSTREAM_ID ")"
	    " GROUP BY a.upstream_id, x.final_uid, a.cause",
	[STMT_DIAG_TOTALS] = DIAG_TOTALS_SQL(ALL),
	/* Failed attempts to the upstream, then attempt-less requests. */
	[STMT_DIAG_UPSTREAM_CAUSES] =
	    "SELECT cause, sum(n), sum(fin), sum(msg), min(t0), max(t1) FROM ("
	    " SELECT" ATT_CAUSE "AS cause, count(*) AS n,"
	    "  sum(" ATT_SEQ "= r.n_attempts - 1) AS fin,"
	    "  count(coalesce(" ATT_ERROR ", CASE WHEN" ATT_SEQ
	    "= r.n_attempts - 1 THEN r.error_id END)) AS msg,"
	    "  min(r.ts_ms) AS t0, max(r.ts_ms) AS t1"
	    " FROM requests r" ATT_JOIN
	    " WHERE" DIAG_TROUBLE "AND" DIAG_WINDOW " AND" ATT_ANY
	    " AND" ATT_UPSTREAM "=" DIAG_UPSTREAM_ID " AND" ATT_CAUSE "<> 0"
	    " GROUP BY 1"
	    " UNION ALL"
	    " SELECT r.cause, count(*), count(*), count(r.error_id),"
	    "  min(r.ts_ms), max(r.ts_ms)"
	    " FROM requests r WHERE" DIAG_TROUBLE "AND" DIAG_WINDOW
	    " AND r.n_attempts = 0 AND r.cause <> 0"
	    " AND r.upstream_id =" DIAG_UPSTREAM_ID
	    " GROUP BY r.cause)"
	    " GROUP BY cause ORDER BY 2 DESC, 1",
	/* ?4 cause. */
	[STMT_DIAG_EXAMPLE_CAUSE] =
	    "SELECT" DIAG_EXAMPLE_COLUMNS
	    " FROM requests r INDEXED BY requests_trouble_ts"
	    " LEFT JOIN attempts t ON t.request_id = r.id"
	    "  AND r.a_cause IS NULL"
	    "  AND t.upstream_id =" DIAG_UPSTREAM_ID " AND t.cause = ?4"
	    " LEFT JOIN gateway_errors e ON e.id = coalesce(CASE"
	    "  WHEN t.seq IS NOT NULL THEN t.error_id WHEN" DIAG_INLINE_MATCH
	    "  THEN r.a_error_id END, r.error_id)"
	    " LEFT JOIN methods m ON m.id = r.method_id"
	    " LEFT JOIN paths p ON p.id = r.path_id"
	    " WHERE" DIAG_TROUBLE "AND" DIAG_WINDOW
	    " AND (t.seq IS NOT NULL OR" DIAG_INLINE_MATCH
	    "  OR (r.n_attempts = 0 AND r.cause = ?4"
	    "  AND r.upstream_id =" DIAG_UPSTREAM_ID "))"
	    " ORDER BY r.ts_ms DESC, t.seq LIMIT 1",
	/* ?4 shape ('' = none), ?5 method ('' = none), ?6 limit. */
	[STMT_DIAG_EXAMPLE_SHAPE] =
	    "SELECT" DIAG_EXAMPLE_COLUMNS
	    " FROM requests r INDEXED BY requests_trouble_ts"
	    " LEFT JOIN attempts la ON la.request_id = r.id"
	    "  AND la.seq = r.n_attempts - 1"
	    " LEFT JOIN gateway_errors e ON e.id = coalesce(CASE WHEN"
	    "  r.a_cause IS NULL THEN la.error_id ELSE r.a_error_id END,"
	    "  r.error_id)"
	    " LEFT JOIN methods m ON m.id = r.method_id"
	    " LEFT JOIN paths p ON p.id = r.path_id"
	    " WHERE" DIAG_TROUBLE "AND" DIAG_WINDOW
	    " AND r.upstream_id =" DIAG_UPSTREAM_ID
	    " AND (r.shape_id IS (SELECT id FROM shapes WHERE name = ?4)"
	    "  OR (?4 = '' AND r.shape_id IS NULL))"
	    " AND (r.method_id IS (SELECT id FROM methods WHERE name = ?5)"
	    "  OR (?5 = '' AND r.method_id IS NULL))"
	    " AND r.status BETWEEN 500 AND 599"
	    " AND r.cause NOT IN" DIAG_GATEWAY_CAUSES
	    " ORDER BY r.ts_ms DESC LIMIT ?6",

	/* capture_stats.c (schema/004_capture.sql, 010_capture_ports.sql) */
	[STMT_CAPTURE_STATS_PUT] =
	    "INSERT OR REPLACE INTO capture_stats (source_id, packets, bytes, "
	    "received, dropped, if_dropped, flows, evicted, gaps, gap_bytes, "
	    "exchanges, conn_failures, incomplete, downstream_failed, "
	    "downstream_failed_tied, requests_dropped) "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[STMT_CAPTURE_STATS_GET] =
	    "SELECT " CAPTURE_STATS_COLUMNS " FROM capture_stats "
	    "WHERE source_id = ?",
	[STMT_CAPTURE_STATS_ALL] =
	    "SELECT " CAPTURE_STATS_COLUMNS ", s.path, c.source_id FROM "
	    "capture_stats c "
	    "JOIN sources s ON s.id = c.source_id ORDER BY c.source_id",
	[STMT_CAPTURE_PORTS_CLEAR] =
	    "DELETE FROM capture_ports WHERE source_id = ?",
	[STMT_CAPTURE_PORTS_PUT] =
	    "INSERT INTO capture_ports (source_id, port, requests, failed, "
	    "failed_tied) VALUES (?,?,?,?,?)",
	[STMT_CAPTURE_PORTS_GET] =
	    "SELECT port, requests, failed, failed_tied FROM capture_ports "
	    "WHERE source_id = ? ORDER BY port",

	/* metrics_rows.c: the exporter's grouped reads. */
	[STMT_METRICS_MARKS] = METRICS_MARKS_SQL_ALL,
	[STMT_METRICS_REQUESTS] = METRICS_REQUESTS_SQL_ALL,
	[STMT_METRICS_ATTEMPTS] = METRICS_ATTEMPTS_SQL_ALL,
	[STMT_METRICS_REJECTS] =
	    "SELECT s.path, r.reason, count(*) FROM rejects r"
	    " JOIN sources s ON s.id = r.source_id"
	    " WHERE r.id > ?1 AND r.id <= ?2 GROUP BY 1, 2",
	[STMT_METRICS_SOURCES] =
	    "SELECT id, path, line_no FROM sources WHERE last_seen_ms >= ?1"
	    " AND kind NOT LIKE 'pcap%'",

	/* prune.c (BEGIN IMMEDIATE, COMMIT and store_meta are the writer's) */
	[STMT_PRUNE_PAGES] = "PRAGMA page_count",
	[STMT_PRUNE_FREE_PAGES] = "PRAGMA freelist_count",
	[STMT_PRUNE_PAGE_SIZE] = "PRAGMA page_size",
	[STMT_PRUNE_NEWEST] = "SELECT" RUNS_MAX_TS,
	/*
	 * ?1 cutoff, ?2 rows: the oldest first, through request_runs, in the
	 * order requests_ts gave them (ts_ms, id).
	 */
	/* ?3: only rows whose strings were marked (mark_request_id). */
	[STMT_PRUNE_REQUESTS] =
	    "DELETE FROM requests WHERE id IN (SELECT r.id FROM" RUNS_FROM_ROWS
	    " WHERE k.sec <= ?1 / 1000 + 1 AND r.ts_ms < ?1 AND r.id <= ?3"
	    " ORDER BY k.sec, r.ts_ms, r.id LIMIT ?2)"
	    " RETURNING ts_ms, source_id, line_no, error_id, id,"
	    " a_cause IS NOT NULL, a_error_id",
	/*
	 * The same on a database with request blocks (prune.c): the ids and
	 * times of those requests, rows and blocks, through requests_all.
	 * +r.id: the mark is no bound for requests_all (it takes the first
	 * upper bound offered, and the mark's would read from each run's
	 * first id to the mark).
	 */
	[STMT_PRUNE_REQUESTS_ALL] =
	    "SELECT r.id, r.ts_ms FROM" RUNS_FROM
	    " WHERE k.sec <= ?1 / 1000 + 1 AND r.ts_ms < ?1 AND +r.id <= ?3"
	    " ORDER BY k.sec, r.ts_ms, r.id LIMIT ?2",
	/* One of them, when it is a row: STMT_PRUNE_REQUESTS' columns. */
	[STMT_PRUNE_REQUEST_ID] =
	    "DELETE FROM requests WHERE id = ?1"
	    " RETURNING ts_ms, source_id, line_no, error_id, id,"
	    " a_cause IS NOT NULL, a_error_id",
	/*
	 * Runs after a prune: none may reach above the largest id kept
	 * (SQLite gives a deleted largest id out again), and the runs of the
	 * pruned seconds (up to ?1) whose rows are all gone go.
	 */
	[STMT_PRUNE_RUNS_ABOVE] =
	    "DELETE FROM request_runs"
	    " WHERE first_id > (SELECT coalesce(max(id), 0) FROM requests)",
	[STMT_PRUNE_RUNS_CUT] =
	    "UPDATE request_runs SET last_id = (SELECT max(id) FROM requests)"
	    " WHERE last_id > (SELECT max(id) FROM requests)",
	[STMT_PRUNE_RUNS_EMPTY] =
	    "DELETE FROM request_runs WHERE sec <= ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM requests r NOT INDEXED WHERE r.id BETWEEN"
	    " request_runs.first_id AND request_runs.last_id)",
	/* The same with blocks: the largest id kept may be a block's (the
	 * last block's last_id: blocks do not overlap), and a run's requests
	 * may be in blocks. */
#define PRUNE_MAX_ID_ALL \
	" max(coalesce((SELECT max(id) FROM requests), 0)," \
	" coalesce((SELECT last_id FROM request_blocks" \
	" ORDER BY first_id DESC LIMIT 1), 0)) "
	[STMT_PRUNE_RUNS_ABOVE_ALL] =
	    "DELETE FROM request_runs WHERE first_id >" PRUNE_MAX_ID_ALL,
	[STMT_PRUNE_RUNS_CUT_ALL] =
	    "UPDATE request_runs SET last_id =" PRUNE_MAX_ID_ALL
	    " WHERE last_id >" PRUNE_MAX_ID_ALL,
	/*
	 * The runs of seconds ?1..?2 left without a request: one join, so
	 * one cursor of requests_all reads them all, each block decoded
	 * once (a NOT EXISTS on requests_all, as _EMPTY has on requests,
	 * opened a cursor, so decoded a block, for every run: minutes a
	 * step on 300k requests in blocks).
	 */
	[STMT_PRUNE_RUNS_EMPTY_ALL] =
	    "SELECT k.sec, k.first_id FROM request_runs k"
	    " LEFT JOIN requests_all r ON r.id BETWEEN k.first_id AND k.last_id"
	    " WHERE k.sec BETWEEN ?1 AND ?2 GROUP BY k.sec, k.first_id"
	    " HAVING count(r.id) = 0",
	[STMT_PRUNE_RUN_DELETE] =
	    "DELETE FROM request_runs WHERE sec = ?1 AND first_id = ?2",
	[STMT_PRUNE_ATTEMPTS] =
	    "DELETE FROM attempts WHERE request_id BETWEEN ?1 AND ?2"
	    " RETURNING error_id",
	[STMT_PRUNE_ERROR_ID] =
	    "DELETE FROM gateway_errors WHERE id = ?1"
	    " RETURNING source_id, line_no",
	/* ?1 cutoff in the error log's local time, ?2 rows. */
	[STMT_PRUNE_ERRORS_OLD] =
	    "DELETE FROM gateway_errors WHERE id IN (SELECT e.id"
	    " FROM gateway_errors e WHERE e.local_ms < ?1"
	    " AND (e.request_id IS NULL OR NOT EXISTS (SELECT 1 FROM"
	    " requests r WHERE r.id = e.request_id)) AND e.id <= ?3"
	    " ORDER BY e.local_ms LIMIT ?2) RETURNING source_id, line_no",
	[STMT_PRUNE_REJECTS_UPTO] =
	    "DELETE FROM rejects WHERE id IN (SELECT id FROM rejects"
	    " WHERE source_id = ?1 AND line_no <= ?2 LIMIT ?3)",
	[STMT_PRUNE_REJECTS_STALE] =
	    "DELETE FROM rejects WHERE id IN (SELECT id FROM rejects"
	    " WHERE source_id IN (SELECT id FROM sources"
	    " WHERE last_seen_ms < ?1) LIMIT ?2)",
	/* before a step deletes any: the largest reject id given, so the
	 * next ones follow it (STMT_REJECT_INSERT); no write when unchanged */
	[STMT_PRUNE_REJECT_HIGH] =
	    "INSERT INTO store_meta (key, value) SELECT 'reject_id_high',"
	    " max(id) FROM rejects WHERE true HAVING max(id) IS NOT NULL"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
	    " WHERE excluded.value > value",
	/* min() of one column skips NULLs, that of several values does
	 * not: an empty table (no attempt rollups) must not hide the rest */
	[STMT_PRUNE_ROLLUP_OLDEST] =
	    "SELECT min(m) FROM (SELECT min(minute) AS m FROM rollup_minute"
	    " UNION ALL SELECT min(minute) FROM rollup_attempt_minute"
	    " UNION ALL SELECT min(minute) FROM rollup_latency_minute)",
	[STMT_PRUNE_ROLLUP_REQ] = "DELETE FROM rollup_minute WHERE minute < ?1",
	[STMT_PRUNE_ROLLUP_ATT] =
	    "DELETE FROM rollup_attempt_minute WHERE minute < ?1",
	[STMT_PRUNE_ROLLUP_LAT] =
	    "DELETE FROM rollup_latency_minute WHERE minute < ?1",
	[STMT_PRUNE_ANY_REQUEST] =
	    "SELECT count(*) FROM (SELECT 1 FROM requests LIMIT 1)",
	[STMT_PRUNE_ANY_REQUEST_ALL] =
	    "SELECT (SELECT count(*) FROM (SELECT 1 FROM requests LIMIT 1))"
	    " + (SELECT count(*) FROM (SELECT 1 FROM request_blocks LIMIT 1))",
	[STMT_PRUNE_HAS_BLOCKS] =
	    "SELECT count(*) FROM (SELECT 1 FROM request_blocks LIMIT 1)",
	[STMT_PRUNE_AUTO_VACUUM] = "PRAGMA auto_vacuum",
	[STMT_PRUNE_INCREMENTAL_VACUUM] = "PRAGMA incremental_vacuum",
	/* New rows, in id order: the strings they name and their time. */
	[STMT_PRUNE_MARK_REQ] =
	    "SELECT id, ts_ms, path_id, host_id, shape_id"
	    " FROM requests WHERE id > ?1 ORDER BY id LIMIT ?2",
	/* With blocks: theirs too (hosts and shapes by id; a block's path
	 * is its text, path_id NULL). */
	[STMT_PRUNE_MARK_REQ_ALL] =
	    "SELECT id, ts_ms, path_id, host_id, shape_id"
	    " FROM requests_all WHERE id > ?1 ORDER BY id LIMIT ?2",
	[STMT_PRUNE_MARK_ERR] =
	    "SELECT id, local_ms, path_id, host_id, NULL"
	    " FROM gateway_errors WHERE id > ?1 ORDER BY id LIMIT ?2",
	[STMT_PRUNE_TOUCH_PATH] = PRUNE_TOUCH("paths"),
	[STMT_PRUNE_TOUCH_HOST] = PRUNE_TOUCH("hosts"),
	[STMT_PRUNE_TOUCH_SHAPE] = PRUNE_TOUCH("shapes"),
	[STMT_PRUNE_GC_PATH] = PRUNE_GC("paths"),
	[STMT_PRUNE_GC_HOST] = PRUNE_GC("hosts"),
	[STMT_PRUNE_GC_SHAPE] = PRUNE_GC("shapes"),
	/* Strings not used by any row (store_prune_strings: a full scan). */
	[STMT_PRUNE_STRINGS_PATH] =
	    "DELETE FROM paths WHERE id NOT IN (SELECT path_id FROM requests"
	    " WHERE path_id IS NOT NULL UNION SELECT path_id FROM"
	    " gateway_errors WHERE path_id IS NOT NULL)",
	[STMT_PRUNE_STRINGS_HOST] =
	    "DELETE FROM hosts WHERE id NOT IN (SELECT host_id FROM requests"
	    " WHERE host_id IS NOT NULL UNION SELECT host_id FROM"
	    " gateway_errors WHERE host_id IS NOT NULL)",
	[STMT_PRUNE_STRINGS_SHAPE] =
	    "DELETE FROM shapes WHERE id NOT IN (SELECT shape_id FROM requests"
	    " WHERE shape_id IS NOT NULL)",
	/* With blocks: the hosts and shapes blocks name count too. */
	[STMT_PRUNE_STRINGS_HOST_ALL] =
	    "DELETE FROM hosts WHERE id NOT IN (SELECT host_id FROM"
	    " requests_all WHERE host_id IS NOT NULL UNION SELECT host_id"
	    " FROM gateway_errors WHERE host_id IS NOT NULL)",
	[STMT_PRUNE_STRINGS_SHAPE_ALL] =
	    "DELETE FROM shapes WHERE id NOT IN (SELECT shape_id FROM"
	    " requests_all WHERE shape_id IS NOT NULL)",
	/* Removed strings' ids may be given out again: writers forget them. */
	[STMT_PRUNE_EPOCH_BUMP] =
	    "INSERT INTO store_meta (key, value) VALUES ('intern_epoch', 1)"
	    " ON CONFLICT (key) DO UPDATE SET value = value + 1",
};

/*
 * The readers' statements over the rows alone (the ROWS variants, see
 * V_RUNS_FROM_ROWS): taken in place of stmt_sql's while request_blocks is
 * empty. A statement listed here has both; stmt_get() chooses.
 */
static const char *const stmt_sql_rows[STMT_COUNT] = {
	[STMT_REPORT_TOTALS] = REPORT_TOTALS_SQL(ROWS),
	[STMT_CONSOLE_SPAN] = CONSOLE_SPAN_SQL(ROWS),
	[STMT_CONSOLE_SERIES_RAW_UPSTREAM] = SERIES_RAW(ROWS, "r.upstream_id"),
	[STMT_CONSOLE_SERIES_RAW_CAUSE] = SERIES_RAW(ROWS, "r.cause"),
	[STMT_CONSOLE_SERIES_RAW_STATUS] = SERIES_RAW(ROWS, "r.status"),
	[STMT_CONSOLE_SPLITS_RAW] = CONSOLE_SPLITS_RAW_SQL(ROWS),
	[STMT_CONSOLE_FAILURES] = CONSOLE_FAILURES_SQL(ROWS),
	[STMT_CONSOLE_REQUEST] = CONSOLE_REQUEST_SQL(ROWS),
	[STMT_CONSOLE_ATTEMPTS] = CONSOLE_ATTEMPTS_SQL(ROWS),
	[STMT_DIAG_SHAPE_COUNTS] = DIAG_SHAPE_COUNTS_SQL(ROWS),
	[STMT_DIAG_SHAPE_COUNTS_ALL] = DIAG_SHAPE_COUNTS_ALL_SQL(ROWS),
	[STMT_DIAG_ATTEMPT_STREAM] = DIAG_ATTEMPT_STREAM_SQL(ROWS),
	[STMT_DIAG_TOTALS] = DIAG_TOTALS_SQL(ROWS),
	[STMT_METRICS_MARKS] = METRICS_MARKS_SQL_ROWS,
	[STMT_METRICS_REQUESTS] = METRICS_REQUESTS_SQL_ROWS,
	[STMT_METRICS_ATTEMPTS] = METRICS_ATTEMPTS_SQL_ROWS,
};

/* Reset st; clear its bindings too when fresh. */
static sqlite3_stmt *
stmt_ready(sqlite3_stmt *st, bool fresh)
{
	sqlite3_reset(st);
	if (fresh)
		sqlite3_clear_bindings(st);
	return st;
}

/* See store_int.h. */
bool
store_reads_blocks(struct store *s)
{
	sqlite3_stmt *st;
	int64_t dv = -1, changes = sqlite3_total_changes64(s->db);
	int seen = 1;

	if ((st = store_stmt(s, STMT_READ_DATA_VERSION, NULL, 0)) != NULL &&
	    sqlite3_step(st) == SQLITE_ROW)
		dv = sqlite3_column_int64(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	if (dv >= 0 && s->blocks_seen >= 0 && dv == s->blocks_dv &&
	    changes == s->blocks_changes)
		return s->blocks_seen != 0;
	/* when the check fails, every request (the variant always right) */
	if ((st = store_stmt(s, STMT_READ_HAS_BLOCKS, NULL, 0)) != NULL) {
		if (sqlite3_step(st) == SQLITE_ROW)
			seen = sqlite3_column_int(st, 0) != 0;
		sqlite3_reset(st);
	}
	s->blocks_seen = dv >= 0 && st != NULL ? seen : -1;
	s->blocks_dv = dv;
	s->blocks_changes = changes;
	return seen != 0;
}

/*
 * The named statement, prepared on first use (see the top of the file);
 * of a reader with two variants, the one store_reads_blocks() says.
 */
static sqlite3_stmt *
stmt_get(struct store *s, enum store_stmt_id id, bool fresh, char *err,
    size_t errlen)
{
	bool rows = stmt_sql_rows[id] != NULL && !store_reads_blocks(s);
	sqlite3_stmt **slot = rows ? &s->stmt_rows[id] : &s->stmt[id];
	sqlite3_stmt *st = *slot;

	if (st != NULL)
		return stmt_ready(st, fresh);
	if (sqlite3_prepare_v3(s->db, rows ? stmt_sql_rows[id] : stmt_sql[id],
	    -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		store_fail_db(s, err, errlen, "prepare");
		return NULL;
	}
	*slot = st;
	return st;
}

/* See store_int.h. */
sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt_id id, char *err, size_t errlen)
{
	return stmt_get(s, id, false, err, errlen);
}

/* See store_int.h. */
sqlite3_stmt *
store_stmt_fresh(struct store *s, enum store_stmt_id id, char *err,
    size_t errlen)
{
	return stmt_get(s, id, true, err, errlen);
}

/* See store_int.h. */
void
store_stmt_reset_all(struct store *s)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		if (s->stmt[i] != NULL)
			sqlite3_reset(s->stmt[i]);
		if (s->stmt_rows[i] != NULL)
			sqlite3_reset(s->stmt_rows[i]);
	}
	for (int i = 0; i < STORE_SHAPED_MAX; i++)
		if (s->shaped[i].st != NULL)
			sqlite3_reset(s->shaped[i].st);
}

/* See store_int.h. */
void
store_stmt_finalize_all(struct store *s)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		sqlite3_finalize(s->stmt_rows[i]);
		s->stmt[i] = s->stmt_rows[i] = NULL;
	}
	for (int i = 0; i < STORE_SHAPED_MAX; i++) {
		sqlite3_finalize(s->shaped[i].st);
		free(s->shaped[i].sql);
		memset(&s->shaped[i], 0, sizeof(s->shaped[i]));
	}
}

/* See store_int.h. */
int
store_stmt_run(struct store *s, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "write");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* See store_int.h. */
void
store_bind_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

/* See store_int.h. */
int
store_bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0 && v != NULL)
		return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) ==
		    SQLITE_OK ? 0 : -1;
	if (i > 0)
		sqlite3_bind_null(st, i);
	return 0;
}

/* See store_int.h. */
void
store_sql_add(struct store_sql *q, const char *text)
{
	textbuf_str(&q->t, text);
}

/* See store_int.h. */
void
store_sql_num(struct store_sql *q, int n)
{
	char buf[16];
	size_t len = 0;
	unsigned u = n < 0 ? 0u - (unsigned)n : (unsigned)n;

	do
		buf[sizeof(buf) - ++len] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (n < 0)
		buf[sizeof(buf) - ++len] = '-';
	textbuf_add(&q->t, buf + sizeof(buf) - len, len);
}

/* See store_int.h. */
void
store_sql_free(struct store_sql *q)
{
	textbuf_free(&q->t);
}

/* See store_int.h. */
sqlite3_stmt *
store_sql_stmt(struct store *s, struct store_sql *q, char *err,
    size_t errlen)
{
	struct store_shaped *e, *lru = &s->shaped[0];
	sqlite3_stmt *st;

	if (q->t.oom || q->t.p == NULL) {
		store_sql_free(q);
		store_fail(err, errlen, "out of memory");
		return NULL;
	}
	s->shaped_clock++;
	for (int i = 0; i < STORE_SHAPED_MAX; i++) {
		e = &s->shaped[i];
		if (e->sql != NULL && strcmp(e->sql, q->t.p) == 0) {
			e->used = s->shaped_clock;
			store_sql_free(q);
			return stmt_ready(e->st, true);
		}
		if (e->used < lru->used)
			lru = e;
	}
	if (sqlite3_prepare_v3(s->db, q->t.p, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK) {
		store_fail_db(s, err, errlen, "prepare");
		store_sql_free(q);
		return NULL;
	}
	sqlite3_finalize(lru->st);
	free(lru->sql);
	lru->st = st;
	lru->sql = q->t.p;	/* the cache keeps the text as its key */
	lru->used = s->shaped_clock;
	memset(q, 0, sizeof(*q));
	return st;
}
