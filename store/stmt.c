/*
 * stmt.c - the store's named SQL statements.
 *
 * Every statement the writer runs more than once is listed here by name
 * (enum store_stmt_id in store_int.h), prepared on first use with
 * SQLITE_PREPARE_PERSISTENT and kept for the life of the connection; callers
 * get it back reset, and bind every parameter each time. Only the report builds SQL
 * at run time (its shape depends on the keys asked for).
 *
 * Join parameters: ?1 client, ?2 path, ?3 the error's local_ms, ?4 the
 * longest request stored (bounds the index range), ?5 method, ?6 query,
 * ?7 upstream, ?8 and ?9 a range of ts_ms (the truncated lookup).
 * An error at local time t belongs to a request whose local end e and
 * duration d satisfy e - d - 2000 <= t <= e + 2000 (2 s of slack for the
 * error log's whole seconds and clock steps). Candidates are ordered by
 * whether t falls inside the request, then by distance to its end.
 */
#include <stddef.h>

#include "store/store_int.h"

#define JOIN_WINDOW \
	" r.client = ?1 AND r.path_id IS ?2" \
	" AND r.local_end_ms BETWEEN ?3 - 2000 AND ?3 + ?4 + 2000" \
	" AND r.method_id IS ?5 AND r.query IS ?6" \
	" AND ?3 >= r.local_end_ms - coalesce(r.request_ms, 0) - 2000 "
/* The condition of the partial index requests_join, word for word. */
#define JOIN_JOINABLE " (r.cause <> 0 OR r.n_attempts > 1) "
#define JOIN_NEAREST \
	" (?3 < r.local_end_ms - coalesce(r.request_ms, 0) - 1000" \
	"  OR ?3 > r.local_end_ms), abs(r.local_end_ms - ?3), r.id "
#define JOIN_REQUEST_COLUMNS \
	" r.id, r.ts_ms, r.source_id, r.upstream_id, r.status, r.cause," \
	" r.request_ms, r.bytes, r.n_attempts "

/*
 * Multi-row VALUES lists: STORE_INSERT_ROWS tuples of anonymous '?'.
 * 48 requests bind 912 parameters, under the 999 that SQLite before
 * 3.32 allows.
 */
#define ROWS8(t) t "," t "," t "," t "," t "," t "," t "," t
#define ROWS48(t) ROWS8(t) "," ROWS8(t) "," ROWS8(t) "," ROWS8(t) "," \
	ROWS8(t) "," ROWS8(t)
_Static_assert(STORE_INSERT_ROWS == 48, "ROWS48 writes 48 tuples");
_Static_assert(STORE_INSERT_ROWS * STORE_REQUEST_COLUMNS <= 999,
    "SQLITE_MAX_VARIABLE_NUMBER before 3.32");
#define REQUEST_TUPLE "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define ATTEMPT_TUPLE "(?,?,?,?,?,?,?,?,?)"
#define REQUEST_INSERT_INTO \
	"INSERT INTO requests (source_id, line_no, ts_ms, tz_min," \
	" client, method_id, host_id, path_id, query," \
	" shape_id, protocol, status, bytes, request_ms, request_id," \
	" upstream_id, n_attempts, cause) VALUES "
#define ATTEMPT_INSERT_INTO \
	"INSERT INTO attempts (request_id, seq, grp, upstream_id, status," \
	" connect_ms, header_ms, response_ms, cause) VALUES "

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",

	[STMT_SOURCE_FIND] =
	    "SELECT id, fingerprint, position, line_no FROM sources"
	    " WHERE kind = ?1 AND length(fingerprint) >= ?2"
	    " ORDER BY last_seen_ms DESC, id DESC",
	[STMT_SOURCE_INSERT] =
	    "INSERT INTO sources (path, kind, format, dev, ino, fingerprint,"
	    " first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?7)",
	[STMT_SOURCE_REOPEN] =
	    "UPDATE sources SET path = ?2, format = ?3, dev = ?4, ino = ?5,"
	    " fingerprint = CASE WHEN length(?6) > length(fingerprint)"
	    " THEN ?6 ELSE fingerprint END, last_seen_ms = ?7 WHERE id = ?1",
	[STMT_SOURCE_POSITION] =
	    "UPDATE sources SET position = ?2, line_no = ?3,"
	    " last_seen_ms = ?4 WHERE id = ?1",

	[STMT_META_GET] = "SELECT value FROM store_meta WHERE key = ?1",
	[STMT_META_SET] =
	    "INSERT INTO store_meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    " value = max(value, excluded.value)",
	[STMT_META_SET_MIN] =
	    "INSERT INTO store_meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    " value = min(value, excluded.value)",

	[STMT_REQUEST_INSERT] = REQUEST_INSERT_INTO REQUEST_TUPLE,
	[STMT_REQUEST_INSERT_N] = REQUEST_INSERT_INTO ROWS48(REQUEST_TUPLE),
	[STMT_ATTEMPT_INSERT] = ATTEMPT_INSERT_INTO ATTEMPT_TUPLE,
	[STMT_ATTEMPT_INSERT_N] = ATTEMPT_INSERT_INTO ROWS48(ATTEMPT_TUPLE),
	[STMT_ERROR_INSERT] =
	    "INSERT INTO gateway_errors (source_id, line_no, local_ms, level,"
	    " conn, cause, message, client, server, method_id, path_id,"
	    " query, upstream_id, host_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[STMT_REJECT_INSERT] =
	    "INSERT INTO rejects (source_id, line_no, offset, reason, raw)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",

	[STMT_ROLLUP_UPSERT] =
	    "INSERT INTO rollup_minute (minute, source_id, upstream_id,"
	    " status, cause, requests, request_ms_sum, request_ms_n,"
	    " bytes_sum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT (minute, source_id, upstream_id, status, cause)"
	    " DO UPDATE SET requests = requests + excluded.requests,"
	    " request_ms_sum = request_ms_sum + excluded.request_ms_sum,"
	    " request_ms_n = request_ms_n + excluded.request_ms_n,"
	    " bytes_sum = bytes_sum + excluded.bytes_sum",
	[STMT_ROLLUP_PRUNE] =
	    "DELETE FROM rollup_minute WHERE minute = ?1 AND source_id = ?2"
	    " AND upstream_id = ?3 AND status = ?4 AND cause = ?5"
	    " AND requests <= 0",
	[STMT_ROLLUP_ATTEMPT_UPSERT] =
	    "INSERT INTO rollup_attempt_minute (minute, source_id,"
	    " upstream_id, status, cause, attempts) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6) ON CONFLICT (minute, source_id, upstream_id, status,"
	    " cause) DO UPDATE SET attempts = attempts + excluded.attempts",
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
	    "SELECT" JOIN_REQUEST_COLUMNS ", a.seq, a.status, a.cause"
	    " FROM requests r JOIN attempts a ON a.request_id = r.id"
	    " WHERE" JOIN_WINDOW " AND" JOIN_JOINABLE
	    " AND a.upstream_id = ?7 AND a.error_id IS NULL"
	    " AND (a.status >= 500 OR a.status = 9 OR a.cause <> 0)"
	    " ORDER BY" JOIN_NEAREST ", a.seq LIMIT 1",
	/*
	 * ... except upstream_truncated: the body broke after a 2xx header,
	 * so the request looked fine. Those few are found by time: ?8..?9
	 * is the window of local ends as a range of ts_ms, widened by the
	 * spread of the stored requests' UTC offsets (schema/005).
	 */
	[STMT_JOIN_ATTEMPT_FIND_TRUNCATED] =
	    "SELECT" JOIN_REQUEST_COLUMNS ", a.seq, a.status, a.cause"
	    " FROM requests r INDEXED BY requests_ts"
	    " JOIN attempts a ON a.request_id = r.id"
	    " WHERE r.ts_ms BETWEEN ?8 AND ?9 AND" JOIN_WINDOW
	    " AND a.upstream_id = ?7 AND a.error_id IS NULL"
	    " ORDER BY" JOIN_NEAREST ", a.seq LIMIT 1",
	/*
	 * An error naming an upstream for a request whose log named none
	 * (Caddy's access log): a failed request without attempts.
	 */
	[STMT_JOIN_BARE_FIND] =
	    "SELECT" JOIN_REQUEST_COLUMNS
	    " FROM requests r WHERE" JOIN_WINDOW " AND" JOIN_JOINABLE
	    " AND r.n_attempts = 0 AND r.error_id IS NULL"
	    " ORDER BY" JOIN_NEAREST " LIMIT 1",
	[STMT_JOIN_BARE_ATTEMPT] =
	    "INSERT INTO attempts (request_id, seq, grp, upstream_id, status,"
	    " cause, error_id) VALUES (?1, 0, 0, ?2, ?3, ?4, ?5)",
	[STMT_JOIN_BARE_REQUEST] =
	    "UPDATE requests SET n_attempts = 1, upstream_id = ?2 WHERE id = ?1",
	/* Errors naming no upstream (rate limiting, auth): failed requests. */
	[STMT_JOIN_REQUEST_FIND] =
	    "SELECT" JOIN_REQUEST_COLUMNS
	    " FROM requests r WHERE" JOIN_WINDOW " AND" JOIN_JOINABLE
	    " AND r.error_id IS NULL"
	    " ORDER BY" JOIN_NEAREST " LIMIT 1",
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
	[STMT_JOIN_REQUEST_SET_CAUSE] =
	    "UPDATE requests SET cause = ?2 WHERE id = ?1",
	[STMT_JOIN_REQUEST_SET_ERROR] =
	    "UPDATE requests SET error_id = ?2 WHERE id = ?1",
	[STMT_JOIN_ERROR_SET] =
	    "UPDATE gateway_errors SET request_id = ?2 WHERE id = ?1",
};

/*
 * The statement named id, ready to bind: prepared once, then reset and
 * on every later call (bindings are kept: bind them all). NULL with err filled when SQLite refuses it.
 */
sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt_id id, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->stmt[id];

	if (st != NULL) {
		sqlite3_reset(st);
		return st;
	}
	if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		store_fail_db(s, err, errlen, "prepare");
		return NULL;
	}
	s->stmt[id] = st;
	return st;
}

/* Finalize every prepared statement (before closing the connection). */
void
store_stmt_finalize_all(struct store *s)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
}

/* Step st to its end (rows are ignored), then reset it; 0 or -1. */
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
