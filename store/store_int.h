/*
 * store_int.h - what the files of store/ share; nobody outside store/
 * includes it.
 *
 *   db.c      open, pragmas, migrations, transactions, error text
 *   stmt.c    every SQL statement of store/: the named ones, prepared
 *             once per handle, and the builder of varying ones
 *   intern.c  string -> id cache in front of the lookup tables; the
 *             store's keyed hash
 *   inline.c  client addresses stored in the row itself
 *   source.c  store_source_open: find or create an input
 *   write.c   store_write_batch: rows of a batch in one transaction
 *   rollup.c  per-minute counts aggregated in memory, upserted per batch
 *   join.c    error-log lines joined to requests and attempts
 *   report.c  the counting rule (count_stmt); grouped figures, totals
 *   console.c the console's reads; diag_query.c analyze/'s;
 *             metrics_rows.c the exporter's; capture_stats.c captures'
 *   prune.c   retention: old rows removed in small transactions
 *   checkpoint.c  WAL checkpoints on a thread of their own (ingest)
 */
#ifndef GW_STORE_INT_H
#define GW_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "core/arena.h"
#include "core/textbuf.h"
#include "core/hashtab.h"
#include "store/block.h"
#include "store/store.h"

/*
 * Named statements: every statement of fixed text in store/, named after
 * the file that runs it; their SQL is the table in stmt.c (its top says
 * how statements are handled in store/).
 */
enum store_stmt_id {
	STMT_BEGIN,		/* BEGIN IMMEDIATE: every write transaction */
	STMT_COMMIT,
	STMT_ROLLBACK,		/* prepared before every BEGIN (out of memory
				 * must not leave a transaction open) */
	STMT_READ_BEGIN,	/* BEGIN: a read that sees one snapshot */
	STMT_READ_DATA_VERSION,	/* store_reads_blocks() */
	STMT_READ_HAS_BLOCKS,
	STMT_DB_USER_VERSION,
	STMT_SOURCE_FIND,
	STMT_SOURCE_INSERT,
	STMT_SOURCE_REOPEN,
	STMT_SOURCE_POSITION,
	STMT_SOURCE_REWIND,
	STMT_SOURCE_ORIGIN_FIND,
	STMT_SOURCE_ORIGIN_COUNT,
	STMT_SOURCE_ORIGIN_INSERT,
	STMT_META_GET,
	STMT_META_SET,		/* raises a value, never lowers it */
	STMT_META_SET_MIN,
	STMT_REQUEST_INSERT_AUTO,
	STMT_REQUEST_INSERT_AUTO_N,
	STMT_REQUEST_INSERT,
	STMT_BLOCKS_NEXT_ID,
	STMT_BLOCKS_INSERT,
	STMT_BLOCKS_LAST,
	STMT_BLOCKS_HAS_ROW,
	STMT_BLOCKS_OF_ID,
	STMT_BLOCKS_DELETE,
	STMT_BLOCKS_REPLACE,
	STMT_REQUEST_INSERT_N,
	STMT_REQUEST_INSERT_IDS_N,
	STMT_ATTEMPT_INSERT,
	STMT_ATTEMPT_INSERT_N,
	STMT_ERROR_INSERT,
	STMT_ERROR_ID_FLOOR,
	STMT_REJECT_INSERT,
	STMT_REJECT_SEEN,
	STMT_REJECT_COUNT,
	STMT_REJECT_TOTALS,
	STMT_INTERN_SELECT_UPSTREAM,	/* in enum store_intern_id's order */
	STMT_INTERN_SELECT_HOST,
	STMT_INTERN_SELECT_PATH,
	STMT_INTERN_SELECT_SHAPE,
	STMT_INTERN_SELECT_METHOD,
	STMT_INTERN_INSERT_UPSTREAM,	/* likewise */
	STMT_INTERN_INSERT_HOST,
	STMT_INTERN_INSERT_PATH,
	STMT_INTERN_INSERT_SHAPE,
	STMT_INTERN_INSERT_METHOD,
	STMT_INTERN_NAME_KEY,
	STMT_INTERN_KEYS_PATH,		/* paths, then shapes */
	STMT_INTERN_KEYS_SHAPE,
	STMT_INTERN_KEYS_ALL_PATH,	/* likewise */
	STMT_INTERN_KEYS_ALL_SHAPE,
	STMT_INTERN_DATA_VERSION,
	STMT_INTERN_INSERT_ID_PATH,	/* paths, then shapes */
	STMT_INTERN_INSERT_ID_SHAPE,
	STMT_INTERN_INSERT_IDS_PATH,	/* likewise, INTERN_PENDING_ROWS */
	STMT_INTERN_INSERT_IDS_SHAPE,
	STMT_INTERN_INSERT_KEY_PATH,	/* paths' keys, then shapes' */
	STMT_INTERN_INSERT_KEY_SHAPE,
	STMT_INTERN_INSERT_KEYS_PATH,	/* likewise, INTERN_PENDING_ROWS */
	STMT_INTERN_INSERT_KEYS_SHAPE,
	STMT_INTERN_SELECT_INDEXED_PATH, /* before INTERN_KEYS_SCHEMA: */
	STMT_INTERN_SELECT_INDEXED_SHAPE, /* paths' index, then shapes' */
	STMT_INTERN_KEYS_INDEXED_PATH,	/* likewise */
	STMT_INTERN_KEYS_INDEXED_SHAPE,
	STMT_ROLLUP_UPSERT,
	STMT_ROLLUP_UPSERT_N,
	STMT_ROLLUP_PRUNE,
	STMT_ROLLUP_ATTEMPT_UPSERT,
	STMT_ROLLUP_ATTEMPT_UPSERT_N,
	STMT_ROLLUP_ATTEMPT_PRUNE,
	STMT_RUNS_PUT,
	STMT_RUNS_BEFORE,
	STMT_LATENCY_UPSERT,
	STMT_LATENCY_UPSERT_N,
	STMT_JOIN_ATTEMPT_FIND,
	STMT_JOIN_ATTEMPT_FIND_TRUNCATED,
	STMT_JOIN_REQUEST_FIND,
	STMT_JOIN_BARE_FIND,
	STMT_JOIN_BARE_ATTEMPT,
	STMT_JOIN_ERRORS_FOR_REQUEST,
	STMT_JOIN_ERRORS_SINCE,
	STMT_JOIN_ERROR_GET,
	STMT_JOIN_ATTEMPT_SET,
	STMT_JOIN_INLINE_SET,
	STMT_JOIN_REQUEST_SET_CAUSE,
	STMT_JOIN_REQUEST_SET_ERROR,
	STMT_JOIN_ERROR_SET,
	STMT_REPORT_TOTALS,
	STMT_REPORT_ERROR_GROUPS,
	STMT_CONSOLE_DATA_VERSION,
	STMT_CONSOLE_SPAN,
	STMT_CONSOLE_SOURCES,
	STMT_CONSOLE_UPSTREAM_ID,
	STMT_CONSOLE_UPSTREAM_NAME,
	STMT_CONSOLE_HAS_CAPTURE_STATS,
	STMT_CONSOLE_LATENCY,
	STMT_CONSOLE_CAUSES,
	STMT_CONSOLE_CAUSE_ATTEMPTS,
	STMT_CONSOLE_SERIES_MINUTE_UPSTREAM,	/* _UPSTREAM, _CAUSE, _STATUS */
	STMT_CONSOLE_SERIES_MINUTE_CAUSE,	/* follow each other */
	STMT_CONSOLE_SERIES_MINUTE_STATUS,
	STMT_CONSOLE_SERIES_RAW_UPSTREAM,
	STMT_CONSOLE_SERIES_RAW_CAUSE,
	STMT_CONSOLE_SERIES_RAW_STATUS,
	STMT_CONSOLE_SPLITS_MINUTE,
	STMT_CONSOLE_SPLITS_RAW,
	STMT_CONSOLE_FAILING_MINUTES,
	STMT_CONSOLE_FAILURES,
	STMT_CONSOLE_REQUEST,
	STMT_CONSOLE_ATTEMPTS,
	STMT_DIAG_SHAPE_COUNTS,
	STMT_DIAG_SHAPE_COUNTS_ALL,
	STMT_DIAG_ATTEMPT_STREAM,
	STMT_DIAG_UPSTREAM_NAMES,
	STMT_DIAG_METHOD_NAMES,
	STMT_DIAG_PATH_NAMES,
	STMT_DIAG_SHAPE_NAMES,
	STMT_DIAG_PATH_ID,
	STMT_DIAG_RETRY_GROUPS,
	STMT_DIAG_TOTALS,
	STMT_DIAG_UPSTREAM_CAUSES,
	STMT_DIAG_EXAMPLE_CAUSE,
	STMT_DIAG_EXAMPLE_SHAPE,
	STMT_CAPTURE_STATS_PUT,
	STMT_CAPTURE_STATS_GET,
	STMT_CAPTURE_STATS_ALL,
	STMT_CAPTURE_PORTS_CLEAR,
	STMT_CAPTURE_PORTS_PUT,
	STMT_CAPTURE_PORTS_GET,
	STMT_METRICS_MARKS,
	STMT_METRICS_REQUESTS,
	STMT_METRICS_ATTEMPTS,
	STMT_METRICS_REJECTS,
	STMT_METRICS_SOURCES,
	STMT_PRUNE_PAGES,
	STMT_PRUNE_FREE_PAGES,
	STMT_PRUNE_PAGE_SIZE,
	STMT_PRUNE_NEWEST,
	STMT_PRUNE_REQUESTS,
	STMT_PRUNE_REQUESTS_ALL,
	STMT_PRUNE_REQUEST_ID,
	STMT_PRUNE_RUNS_ABOVE,
	STMT_PRUNE_RUNS_CUT,
	STMT_PRUNE_RUNS_EMPTY,
	STMT_PRUNE_RUNS_ABOVE_ALL,
	STMT_PRUNE_RUNS_CUT_ALL,
	STMT_PRUNE_RUNS_EMPTY_ALL,
	STMT_PRUNE_RUN_DELETE,
	STMT_PRUNE_ATTEMPTS,
	STMT_PRUNE_ERROR_ID,
	STMT_PRUNE_ERRORS_OLD,
	STMT_PRUNE_REJECTS_UPTO,
	STMT_PRUNE_REJECTS_STALE,
	STMT_PRUNE_REJECT_HIGH,
	STMT_PRUNE_ROLLUP_OLDEST,
	STMT_PRUNE_ROLLUP_REQ,
	STMT_PRUNE_ROLLUP_ATT,
	STMT_PRUNE_ROLLUP_LAT,
	STMT_PRUNE_ANY_REQUEST,
	STMT_PRUNE_ANY_REQUEST_ALL,
	STMT_PRUNE_HAS_BLOCKS,
	STMT_PRUNE_AUTO_VACUUM,
	STMT_PRUNE_INCREMENTAL_VACUUM,
	STMT_PRUNE_MARK_REQ,
	STMT_PRUNE_MARK_REQ_ALL,
	STMT_PRUNE_MARK_ERR,
	STMT_PRUNE_TOUCH_PATH,		/* _PATH, _HOST, _SHAPE follow */
	STMT_PRUNE_TOUCH_HOST,		/* each other (prune.c's kinds) */
	STMT_PRUNE_TOUCH_SHAPE,
	STMT_PRUNE_GC_PATH,
	STMT_PRUNE_GC_HOST,
	STMT_PRUNE_GC_SHAPE,
	STMT_PRUNE_STRINGS_PATH,
	STMT_PRUNE_STRINGS_HOST,
	STMT_PRUNE_STRINGS_SHAPE,
	STMT_PRUNE_STRINGS_HOST_ALL,	/* _HOST_ALL, _SHAPE_ALL: as the */
	STMT_PRUNE_STRINGS_SHAPE_ALL,	/* two above, blocks too */
	STMT_PRUNE_EPOCH_BUMP,
	STMT_COUNT
};

/* Statements of varying shape kept per handle (stmt.c, store_sql_stmt). */
#define STORE_SHAPED_MAX 16
struct store_shaped {
	char *sql;		/* its text: the key; NULL = empty slot */
	sqlite3_stmt *st;
	uint64_t used;		/* shaped_clock when last handed out */
};

/* SQL text being built from the code's fragments (stmt.c). */
struct store_sql {
	struct textbuf t;	/* the SQL text; t.oom: an append failed */
};

/*
 * Rows per multi-row INSERT of requests and attempts (see write.c): each
 * statement opens a cursor on the table and each index, so 8 rows a
 * statement cost 15% more writer time than 48. Requests, with their lone
 * attempt inline (schema/012), have 24 columns and the id the writer gives
 * (schema/015, one parameter for all): 40 rows keep a statement under the
 * 999 parameters of SQLite before 3.32.
 */
#define STORE_INSERT_ROWS 48
#define STORE_REQUEST_ROWS 40
#define STORE_REQUEST_COLUMNS 24
/*
 * Requests that are rows among blocks' (write.c), whose ids do not follow
 * each other: each names its own, 25 parameters, 32 rows a statement.
 */
#define STORE_ROW_QUEUE 32
#define STORE_ATTEMPT_COLUMNS 9

/*
 * The id of the path whose text is ?1, through its key (schema 017:
 * path_keys): a block's request names its path by text (diag_query.c,
 * requests_vt.c).
 */
#define PATH_ID_BY_NAME_SQL \
	"SELECT p.id FROM path_keys k JOIN paths p ON p.id = k.id" \
	" WHERE k.hash = gw_name_hash(?1) AND p.name = ?1"

/* The schema version whose paths and shapes keep their keys in tables of
 * their own (schema/017); before it, in an index on hash. */
#define INTERN_KEYS_SCHEMA 17

/* New names of a hashed table inserted per statement (intern.c). */
#define INTERN_PENDING_ROWS 40

/* The lookup tables of interned strings (STMT_INTERN_* follow the order). */
enum store_intern_id {
	INTERN_UPSTREAM,
	INTERN_HOST,
	INTERN_PATH,
	INTERN_SHAPE,
	INTERN_METHOD,
	INTERN_COUNT
};

/* One string -> id cache: core/hashtab.h over entries in an arena. */
/* Direct-mapped slots in front of an intern cache's map (intern.c): few
 * for the tables of a few names, more for paths and shapes. */
#define INTERN_FRONT		2048
#define INTERN_FRONT_HASHED	32768

struct intern_front {
	const struct intern_entry *e;	/* NULL: empty */
	uint64_t h;			/* the cheap hash of its name */
};

/* Slots of names of at most 32 bytes held whole (intern.c), in front of
 * the front of the tables of a few names; a slot is a cache line. */
#define INTERN_SHORT		1024
#define INTERN_SHORT_LEN	32

struct intern_short {
	uint64_t w[4];		/* the name's bytes (intern_short_words) */
	int64_t id;
	uint64_t len1;		/* its length + 1; 0: empty */
	uint64_t pad[2];
};

struct intern_cache {
	struct hashtab map;	/* values: struct intern_entry * */
	struct arena *strings;
	/* entries of map by a cheap hash of their name: front_mask + 1
	 * slots (a power of two), NULL before intern_init */
	struct intern_front *front;
	size_t front_mask;
	/* INTERN_SHORT slots, or NULL (paths and shapes) */
	struct intern_short *shorts;
	int64_t front_hits;	/* lookups the front answered (tests) */
	int64_t short_hits;	/* lookups the short slots answered */
};

/*
 * The keys (paths.hash) of every name stored in a hashed table, as 32-bit
 * fingerprints (intern.c): a name whose key is absent is new.
 */
enum intern_keyset_state {
	KEYSET_UNLOADED,	/* loaded on first use in a transaction */
	KEYSET_LOADED,		/* holds every stored name's fingerprint */
	KEYSET_BITS,		/* past its budget: a bit per name, set by
				   every stored one (and others) */
	KEYSET_OFF,		/* out of memory: every miss SELECTs */
};
struct intern_keyset {
	uint32_t *slots;	/* 0 empty; cap a power of two (bits:
				   cap * 32 of them) */
	size_t cap, n;
	int64_t max_id;		/* rows with id <= this are in */
	enum intern_keyset_state state;
	uint64_t mix[2];	/* key of the slot hash, random */
	size_t budget;		/* bytes of slots; 0: INTERN_KEYSET_BYTES */
	int64_t skipped;	/* SELECTs saved (tests, figures) */
};
/*
 * New names of a hashed table queued for the whole transaction, then
 * inserted in key order (intern.c): at most this many, or this many bytes
 * of names, before they go in early.
 */
#define INTERN_PENDING_MAX	(64 * 1024)
#define INTERN_PENDING_BYTES	(4u << 20)

/* New names given their ids, to be inserted (intern.c). */
struct intern_pending_row {
	const char *name;
	size_t len;
	int64_t id, key;
};
struct intern_pending {
	struct arena *names;	/* copies of the names */
	int n, cap;
	struct intern_pending_row *v;
	int32_t *slots;		/* index + 1 of v by key, 0 empty; 2 * cap */
};

/* Key and sums of one per-minute rollup row. */
struct rollup_key {
	int64_t minute, source_id, upstream_id;
	int status;
	enum gw_cause cause;
};
struct rollup_entry {
	struct rollup_key key;
	int64_t count;		/* requests or attempts */
	int64_t request_ms_sum, request_ms_n, bytes_sum;
};
/* Deltas to the rollup rows, gathered over one batch: entries in the
 * order their keys first came, found through a hash map of their indexes.
 * All zero is an empty map. */
#define ROLLUP_FRONT	4096	/* direct-mapped slots (rollup.c) */
#define ROLLUP_FLUSH_ROWS 32	/* keys upserted per statement */
struct rollup_map {
	struct rollup_entry *v;
	size_t cap, n;
	struct hashtab index;	/* key -> index into v */
	uint32_t front[ROLLUP_FRONT];	/* index + 1 by a cheap hash, 0 none */
};

/*
 * The latency histograms of a batch (latency.c): per (minute, upstream),
 * up to LATENCY_HISTS dense arrays of bucket counts, found through a small
 * open-addressed table; the pairs past them go to the rollup map m. n is
 * how many (minute, upstream, bucket) keys both hold.
 */
#define LATENCY_HISTS		256
#define LATENCY_HIST_SLOTS	512	/* 2 * LATENCY_HISTS, a power of 2 */
#define LATENCY_HIST_BUCKETS	128	/* LATENCY_BUCKETS (latency.h) */
struct latency_hist {
	int64_t minute, upstream_id;
	uint32_t count[LATENCY_HIST_BUCKETS];
};
struct latency_map {
	struct rollup_map m;
	size_t n;
	struct latency_hist *h;		/* LATENCY_HISTS, NULL until used */
	int nh;				/* of them in use */
	uint16_t slot[LATENCY_HIST_SLOTS];	/* index + 1 into h, 0 none */
};

/* A growable list of row ids. */
struct id_list {
	int64_t *v;
	size_t n, cap;
};

/*
 * A client address as stored inline (inline.c): a canonical dotted-quad
 * IPv4 address as its integer, anything else as its text.
 */
struct store_client {
	const char *text;	/* as logged; NULL: not logged */
	int64_t v4;		/* >= 0: stored as this integer; -1: as text */
};

/* A client as SQL text, whichever way it is stored (col: a column name). */
#define STORE_CLIENT_TEXT(col) \
	" CASE typeof(" col ") WHEN 'integer' THEN printf('%d.%d.%d.%d'," \
	" " col " >> 24, (" col " >> 16) & 255, (" col " >> 8) & 255," \
	" " col " & 255) ELSE " col " END "

/*
 * A request id as stored (inline.c, schema/012): 32 lowercase hex digits
 * as their 16 bytes, anything else as its text.
 */
#define STORE_RID_HEX	32
#define STORE_RID_BYTES	16
struct store_rid {
	const char *text;	/* as logged; NULL: not logged */
	bool is_blob;		/* stored as blob */
	uint8_t blob[STORE_RID_BYTES];
};
/* A request id as SQL text, whichever way it is stored. */
#define STORE_REQUEST_ID_TEXT(col) \
	" CASE typeof(" col ") WHEN 'blob' THEN lower(hex(" col "))" \
	" ELSE " col " END "
/* A protocol as SQL text: codes 0-5 (inline.c's inline_protocols[]). */
#define STORE_PROTOCOLS 6
#define STORE_PROTOCOL_TEXT(col) \
	" CASE typeof(" col ") WHEN 'integer' THEN CASE " col \
	" WHEN 0 THEN 'HTTP/1.0' WHEN 1 THEN 'HTTP/1.1' WHEN 2 THEN 'HTTP/2.0'" \
	" WHEN 3 THEN 'HTTP/3.0' WHEN 4 THEN 'HTTP/2' WHEN 5 THEN 'HTTP/3' END" \
	" ELSE " col " END "

/*
 * The attempts of request r (schema/012), in a query over "requests r"
 * followed by ATT_JOIN: its lone attempt inline in the row (r.a_cause
 * IS NOT NULL) or its rows t of the attempts table, never both. ATT_ANY
 * keeps the rows that are an attempt (the LEFT JOIN also yields requests
 * without any); the ATT_* columns are the attempt's, as attempts_all
 * (the view for sqlite3 users) has them. A join with that view would
 * make SQLite materialise it whole, hence these. Within one request the
 * table's rows come in seq order; sort by t.seq (NULL for the inline one,
 * which is alone) to keep that order without a sort.
 */
#define ATT_JOIN \
	" LEFT JOIN attempts t ON t.request_id = r.id AND r.a_cause IS NULL "
#define ATT_ANY " (r.a_cause IS NOT NULL OR t.request_id IS NOT NULL) "
#define ATT_COL(tcol, rcol) \
	" (CASE WHEN r.a_cause IS NULL THEN t." tcol " ELSE r." rcol " END) "
#define ATT_SEQ " coalesce(t.seq, 0) "
#define ATT_UPSTREAM ATT_COL("upstream_id", "upstream_id")
#define ATT_STATUS ATT_COL("status", "a_status")
#define ATT_CONNECT ATT_COL("connect_ms", "a_connect_ms")
#define ATT_HEADER ATT_COL("header_ms", "a_header_ms")
#define ATT_RESPONSE ATT_COL("response_ms", "a_response_ms")
#define ATT_CAUSE " coalesce(r.a_cause, t.cause) "
#define ATT_ERROR ATT_COL("error_id", "a_error_id")

/* A new request whose client has unjoined errors: look for them. */
struct join_probe {
	struct store_client client;
	int64_t path_id, method_id;		/* 0 = NULL */
	int64_t local_end_ms, request_ms;	/* request_ms 0 when not logged */
	const char *query;			/* in the batch arena */
};

/* Counts of unjoined errors by hash of client id: which requests to probe. */
#define STORE_ERR_FILTER_SIZE 65536

/*
 * Requests by time through request_runs (schema/013), in place of the
 * index requests_ts: "FROM" RUNS_FROM gives the rows r of the runs k,
 * each request once; RUNS_SECS(t0, t1) keeps the runs that may hold a
 * ts_ms in t0..t1 (SQL expressions; a second of slack either side), to
 * be ANDed with the exact condition on r.ts_ms. In time order: ORDER BY
 * k.sec first, then r.ts_ms (SQLite then sorts one second at a time).
 * NOT INDEXED keeps r read by rowid range: with an equality on other
 * columns (the join's client and path) SQLite preferred to build an
 * automatic index over every request, for each lookup (60 ms a line on
 * 1M requests, instead of 1).
 */
#define RUNS_FROM_ROWS \
	" request_runs k CROSS JOIN requests r NOT INDEXED" \
	" ON r.id BETWEEN k.first_id AND k.last_id "
/*
 * The readers' RUNS_FROM reads every request, rows and blocks
 * (requests_all, store/requests_vt.c, schema/015), by the same id ranges:
 * the virtual table takes r.id BETWEEN as its bounds and offers no other
 * index, so NOT INDEXED is not needed (nor allowed). RUNS_FROM_ROWS, the
 * table alone, is prune's on a database without blocks (prune.c), and
 * the readers' while request_blocks is empty (stmt.c's ROWS variants,
 * store_reads_blocks).
 */
#define RUNS_FROM \
	" request_runs k CROSS JOIN requests_all r" \
	" ON r.id BETWEEN k.first_id AND k.last_id "
#define RUNS_SECS(t0, t1) \
	" k.sec BETWEEN (" t0 ") / 1000 - 1 AND (" t1 ") / 1000 + 1 "
/* min(ts_ms) or max(ts_ms) of requests: in the runs of the first (last)
 * second that still has a row (from: RUNS_FROM or RUNS_FROM_ROWS, r2 the
 * same table). */
#define RUNS_TS_END_OF(agg, dir, from, r2) \
	" (SELECT " agg "(r.ts_ms) FROM" from "WHERE k.sec =" \
	" (SELECT k2.sec FROM request_runs k2 WHERE EXISTS (SELECT 1" \
	" FROM" r2 \
	" WHERE r2.id BETWEEN k2.first_id AND k2.last_id)" \
	" ORDER BY k2.sec " dir " LIMIT 1)) "
#define RUNS_TS_END(agg, dir) \
	RUNS_TS_END_OF(agg, dir, RUNS_FROM, " requests_all r2")
#define RUNS_MIN_TS RUNS_TS_END("min", "ASC")
#define RUNS_MAX_TS RUNS_TS_END("max", "DESC")
/* The same over the rows alone (a database without blocks). */
#define RUNS_TS_END_ROWS(agg, dir) \
	RUNS_TS_END_OF(agg, dir, RUNS_FROM_ROWS, " requests r2 NOT INDEXED")
#define RUNS_MIN_TS_ROWS RUNS_TS_END_ROWS("min", "ASC")
#define RUNS_MAX_TS_ROWS RUNS_TS_END_ROWS("max", "DESC")

/*
 * The run of request ids the writer extends (runs.c, schema/013): ids
 * first..last of second sec. have: there is one; dirty: its last was
 * moved by this transaction and request_runs does not say so yet.
 */
struct request_run {
	int64_t sec, first, last;
	bool have, dirty;
};

struct store {
	sqlite3 *db;
	char *path;			/* the file db is open on, resolved
					   (store_open_reader) */
	sqlite3_stmt *stmt[STMT_COUNT];	/* stmt.c: prepared on first use */
	sqlite3_stmt *stmt_rows[STMT_COUNT];	/* readers over rows alone */
	int blocks_seen;		/* store_reads_blocks: -1 not known */
	int64_t blocks_dv, blocks_changes;	/* data_version and total
						   changes it was seen at */
	struct store_shaped shaped[STORE_SHAPED_MAX];
	uint64_t shaped_clock;
	struct intern_cache intern[INTERN_COUNT];
	struct intern_keyset keys[INTERN_COUNT];	/* paths, shapes */
	struct intern_pending pending[INTERN_COUNT];	/* likewise */
	int64_t data_version;	/* PRAGMA data_version the sets match */
	uint64_t hash_key[2];		/* store_hash's secret key */
	uint64_t name_key[2];		/* key of paths.hash, shapes.hash */
	int upgraded_from;		/* user_version found on open when this
					   connection upgraded it, else 0 */
	int schema_version;		/* user_version name_key was read at
					   (db.c: checked at each begin) */
	struct rollup_map rollup_req, rollup_att;
	struct latency_map latency;	/* latency.c: histogram counts */
	uint32_t *err_filter;		/* STORE_ERR_FILTER_SIZE counts */
	uint64_t err_filter_n;		/* their sum: 0, no slot to hash */
	uint32_t *err_filter_new;	/* the counts of this batch's errors
					   among them (join_filter_has_older) */
	bool err_filter_new_used;	/* some err_filter_new count not 0 */
	int64_t err_filter_seen;	/* errors with id <= this are counted */
	int64_t max_request_ms;		/* longest request stored (meta) */
	bool tz_known;			/* some request stored: tz_lo..tz_hi */
	int tz_lo, tz_hi;		/* range of requests' tz_min (meta) */
	int64_t dash_upstream;		/* id of upstream '-', 0 unknown */
	struct request_run run;		/* runs.c: the writer's last run */
	bool blocks;			/* plain requests go to blocks */
	struct block_enc *blk;		/* blocks.c: the block being built */
	int64_t blk_first, blk_last;	/* its first and last request ids */
	struct blocks_merge *blk_merge;	/* blocks.c, for small blocks */
	struct blocks_zip *blk_zip;	/* blocks.c: finishes full blocks */
	bool blk_zip_failed;		/* its thread could not start */
	struct id_list new_errors;	/* errors written by this batch */
	struct id_list candidates;	/* older errors new requests may own */
	struct join_probe *probes;	/* new requests to look errors up for */
	size_t n_probes, cap_probes;
	struct prune_state *prune;	/* prune.c's statements, NULL unused */
	struct ckpt *ckpt;		/* checkpoint.c's thread, NULL none */
	/* its own descriptors of the database and the WAL, or -1: closed
	   only after this connection (ckpt_close_files) */
	int ckpt_fd[2];
	int64_t lock_waits;		/* times the lock was busy (db_busy) */
	int64_t lock_wait_max_ms;	/* the longest wait, ms (1 ms polls) */
	bool hold;			/* batches share a transaction
					   (store_set_ingest) */
	bool txn_open;			/* a held transaction is open */
	int64_t txn_records;		/* records in it */
	int64_t txn_pages;		/* pages the last commit wrote */
	int64_t txn_requests, txn_rejects;	/* batches' in the open
					   transaction, not committed yet */
	int64_t committed_requests, committed_rejects;	/* committed since
					   open (store_committed) */
};

/*
 * Records a held transaction takes (store_set_ingest): at least
 * STORE_TXN_MIN, more as the hashed tables grow (their names / 8) and as
 * the last commit wrote more pages (STORE_TXN_PER_PAGE records a page it
 * wrote), at most STORE_TXN_MAX, which keeps the write lock ~2 s at most.
 * store_txn_target() says how many, from s->keys and s->txn_pages.
 * STORE_TXN_MIN is about a minute of a busy log: each commit rewrites
 * the rollup rows of the minutes it touched and most pages of the name
 * hash indexes (db.c, store_txn_target).
 */
#define STORE_TXN_MIN		65536
#define STORE_TXN_MAX		262144
#define STORE_TXN_PER_PAGE	64
int64_t store_txn_target(const struct store *s);

/* Error text helpers (db.c). */
/*
 * Rejected lines (reject.c): a source keeps its first REJECT_KEEP_ALL,
 * then one in REJECT_SAMPLE_EVERY; reject_counts counts them all.
 * reject_keep(rank): keep the rank-th (1-based) reject of a source?
 * reject_write(): the batch's rejects, in its transaction; 0 or -1.
 */
#define REJECT_KEEP_ALL		1000
#define REJECT_SAMPLE_EVERY	1000
bool reject_keep(uint64_t rank);
int reject_write(struct store *s, const struct gw_batch *b, char *err,
    size_t errlen);

/*
 * Before SQLite opens path: create it 0600 (0640 and given to group when
 * group >= 0) if missing, refuse it when it is a symlink, and write to real
 * the path to give SQLite (its folder resolved; see dbfile.c). Returns 0,
 * or -1 with err filled.
 */
int dbfile_prepare(const char *path, int64_t group, char *real,
    size_t reallen, char *err, size_t errlen);

int store_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int store_fail_db(struct store *s, char *err, size_t errlen, const char *what);

/* A malloc'd copy of text column i (NULL stays NULL); *oom set on failure. */
char *store_col_dup(sqlite3_stmt *st, int i, bool *oom);

/* Transactions (db.c). */
int store_begin(struct store *s, char *err, size_t errlen);
int store_commit(struct store *s, char *err, size_t errlen);
/*
 * A batch of records went into the open transaction: commit it, unless
 * the store holds it for more (store_set_ingest). 0 or -1.
 */
int store_batch_done(struct store *s, int64_t records, char *err,
    size_t errlen);
void store_rollback(struct store *s);
/* ROLLBACK the open transaction, if any; nothing else (store_rollback). */
void store_rollback_txn(struct store *s);

/*
 * Statements (stmt.c; the convention is at its top). store_stmt(): the
 * named statement, prepared on first use, reset, bindings as last left:
 * bind every parameter. store_stmt_fresh(): the same with every binding
 * cleared to NULL. NULL with err filled when SQLite refuses it.
 */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt_id id,
    char *err, size_t errlen);
sqlite3_stmt *store_stmt_fresh(struct store *s, enum store_stmt_id id,
    char *err, size_t errlen);
/*
 * Whether request_blocks holds any request (schema/015): the readers
 * with two variants (stmt.c) read requests_all then, the table alone
 * when not. Checked again when PRAGMA data_version or this connection's
 * total changes moved since the last check (inside a read transaction,
 * the answer of its snapshot); true when the check fails.
 */
bool store_reads_blocks(struct store *s);
/* store_stmt() without the reset: for callers that reset after each use
 * (not for a reader with two variants, which store_stmt() chooses). */
static inline sqlite3_stmt *
store_stmt_hot(struct store *s, enum store_stmt_id id, char *err,
    size_t errlen)
{
	return s->stmt[id] != NULL ? s->stmt[id] :
	    store_stmt(s, id, err, errlen);
}
/* Reset every cached statement (no read stays open); finalize them all. */
void store_stmt_reset_all(struct store *s);
void store_stmt_finalize_all(struct store *s);
/* Step a statement that returns no rows, then reset it; 0 or -1. */
int store_stmt_run(struct store *s, sqlite3_stmt *st, char *err,
    size_t errlen);
/*
 * Bind to a named parameter when st has it (text NULL binds NULL). Text is
 * copied, so binding can run out of memory: store_bind_text returns 0, or
 * -1 when it did (st must not run then: the parameter is unbound).
 */
void store_bind_int64(sqlite3_stmt *st, const char *name, int64_t v);
int store_bind_text(sqlite3_stmt *st, const char *name, const char *v);

/*
 * The builder of statements of varying shape: append SQL text written in
 * the code (never a value: values are bound parameters) or a number the
 * code chose (a column position). store_sql_stmt() takes q (emptied,
 * whatever happens) and gives the statement of its text, from the
 * handle's cache when that text was prepared before: reset, bindings
 * cleared. It stays valid while fewer than STORE_SHAPED_MAX other shapes
 * are asked for (step it to its end before building the next). NULL with
 * err filled on failure.
 */
void store_sql_add(struct store_sql *q, const char *text);
void store_sql_num(struct store_sql *q, int n);
void store_sql_free(struct store_sql *q);
sqlite3_stmt *store_sql_stmt(struct store *s, struct store_sql *q,
    char *err, size_t errlen);

/*
 * The counting rule (report.c): requests by their own final upstream,
 * status and cause, attempts by their own, summed per group of keys.
 * count_stmt() gives the statement of q, bound and ready to step (reset
 * it when done). Its columns: the keys' names (text), the measures of
 * enum count_column (COUNT_BASIC of them, COUNT_DETAILED with
 * by_status), then the keys' values (ids, numbers).
 */
enum count_column {
	COUNT_REQUESTS,		/* requests whose final answer is the group's */
	COUNT_5XX,		/* of those, final status 500-599 */
	COUNT_FAILED,		/* of those, a cause other than ok */
	COUNT_ATTEMPTS,		/* attempts of the group */
	COUNT_FAILED_ATTEMPTS,	/* of those, a cause other than ok */
	COUNT_MS_SUM,		/* requests' request_ms: sum */
	COUNT_MS_N,		/* and how many had one */
	COUNT_BASIC,
	COUNT_S500 = COUNT_BASIC, /* by_status: requests with status 500, */
	COUNT_S502,		/* 502, */
	COUNT_S503,		/* 503, */
	COUNT_S504,		/* 504, */
	COUNT_GATEWAY_5XX,	/* and a 5xx the gateway made (gateway_mask) */
	COUNT_DETAILED
};
struct count_query {
	int n_keys;
	enum report_key keys[REPORT_KEYS_MAX];
	bool raw;		/* count requests and attempts, not rollups */
	bool blocks;		/* raw: of blocks too (count_stmt sets it) */
	bool by_status;		/* the COUNT_S5xx and gateway measures */
	bool by_failed;		/* rows by failed, requests descending, at
				   most limit (<= 0: all); else by keys */
	int64_t since_ms, until_ms;	/* INT64_MIN / INT64_MAX: open; off
					   the minute widened on rollups */
	const char *upstream;	/* name; NULL: any */
	enum gw_cause cause;	/* GW_CAUSE_ANY: any */
	int status;		/* -1: any */
	int64_t gateway_mask;	/* by_status: bit c set, cause c the gateway's */
	int64_t limit;
};
sqlite3_stmt *count_stmt(struct store *s, const struct count_query *q,
    char *err, size_t errlen);

/*
 * The child source of parent for the host origin (schema 009): found, or
 * created inside the caller's transaction; parent itself when origin is
 * NULL or parent already has SOURCE_ORIGINS_MAX children (source.c).
 */
int source_origin_id(struct store *s, int64_t parent, const char *origin,
    int64_t *id, char *err, size_t errlen);

/*
 * The keyed hash (core/hashkey.h) of n bytes under the store's key, drawn
 * per process (intern.c): for every table hashed by values from logs.
 */
uint64_t store_hash(const struct store *s, const void *p, size_t n);

/* Interning (intern.c). */
int intern_init(struct store *s);
int intern_register(struct store *s);
int intern_load_key(struct store *s, char *err, size_t errlen);
void intern_free(struct store *s);
void intern_clear_all(struct store *s);
/* In a write transaction: catch the key sets up with other writers. */
int intern_keys_begin(struct store *s, char *err, size_t errlen);
/* Insert the names given ids but not yet stored; before COMMIT. 0 or -1. */
int intern_flush(struct store *s, char *err, size_t errlen);
/* Sort queued names by key, then by id for equal keys, when queued in
 * the order of their ids (intern_flush; tests). */
void intern_pending_sort(struct intern_pending_row *v, int n);
/* Tests: the key sets' budget in bytes (0: the default). */
void intern_keys_budget(struct store *s, size_t bytes);
int intern_id(struct store *s, enum store_intern_id t, const char *str,
    int64_t *id, char *err, size_t errlen);
/*
 * What intern_id() computes of a name before it looks: the length and
 * front hash of str, worked out some requests ahead by a caller that
 * asks the CPU for the memory the lookup will read (write.c).
 */
struct intern_hint {
	const char *str;	/* the name; NULL: no hint */
	size_t len;
	uint64_t fh;		/* intern_front_hash() */
	uint64_t h;		/* the map's hash, when keyed */
	bool keyed;
};
/* Fill h for str (NULL: no hint) and prefetch its front slot in t. */
void intern_hint_of(const struct store *s, enum store_intern_id t,
    const char *str, struct intern_hint *h);
/* Prefetch the entry that h's front slot names, if it is h's name's;
 * else hash the name for the map (keyed) and prefetch its slot there. */
void intern_prefetch_entry(const struct store *s, enum store_intern_id t,
    struct intern_hint *h);
/*
 * intern_hint_of() and intern_id() of a str whose length len an event
 * carries (core/event.h: 0 means not known, strlen).
 */
void intern_hint_of_len(const struct store *s, enum store_intern_id t,
    const char *str, uint16_t len, struct intern_hint *h);
/*
 * A name of at most INTERN_SHORT_LEN bytes as four words that, with its
 * length, tell it from every other: from 8 bytes on, word j the 8 bytes
 * at 8 * j (the last one ending at the name's end, overlapping the one
 * before), 0 past the end; 4-7 bytes, the first 4 and the last 4; 1-3,
 * the first, middle and last byte. Every byte is read inside the name.
 */
static inline void
intern_short_words(const char *p, size_t len, uint64_t w[4])
{
	uint32_t a, b;

	if (len >= 8) {
		size_t e = len - 8;	/* where the last word starts */

		memcpy(&w[0], p, 8);
		memcpy(&w[1], p + (e < 8 ? e : 8), 8);
		memcpy(&w[2], p + (e < 16 ? e : 16), 8);
		memcpy(&w[3], p + e, 8);
		w[1] &= -(uint64_t)(len > 8);
		w[2] &= -(uint64_t)(len > 16);
		w[3] &= -(uint64_t)(len > 24);
		return;
	}
	w[1] = w[2] = w[3] = 0;
	if (len >= 4) {
		memcpy(&a, p, 4);
		memcpy(&b, p + len - 4, 4);
		w[0] = (uint64_t)a | (uint64_t)b << 32;
	} else if (len > 0)
		w[0] = (uint64_t)(unsigned char)p[0] |
		    (uint64_t)(unsigned char)p[len / 2] << 8 |
		    (uint64_t)(unsigned char)p[len - 1] << 16;
	else
		w[0] = 0;
}

/*
 * The short slot of a name's words and length: the top bits of two
 * products (independent multiplies) of its length, first 8 bytes and next
 * (or last) 8. Names that differ only past their 16th byte and before
 * their last 8 share a slot: they only evict each other.
 */
static inline size_t
intern_short_slot(const uint64_t w[4], size_t len)
{
	uint64_t h = ((w[0] ^ len) * UINT64_C(0x9e3779b97f4a7c15)) ^
	    (w[1] * UINT64_C(0xbf58476d1ce4e5b9));

	return (size_t)(h >> 54) & (INTERN_SHORT - 1);
}

/* Does short slot ss hold the name of words w and length len? */
static inline bool
intern_short_is(const struct intern_short *ss, const uint64_t w[4],
    size_t len)
{
	return ((ss->len1 ^ (len + 1)) | (ss->w[0] ^ w[0]) |
	    (ss->w[1] ^ w[1]) | (ss->w[2] ^ w[2]) | (ss->w[3] ^ w[3])) == 0;
}

int intern_id_len_slow(struct store *s, enum store_intern_id t,
    const char *str, uint16_t len, int64_t *id, char *err, size_t errlen);

/*
 * intern_id() of a str whose length len an event carries (0: not known):
 * a short name of a table of a few (methods, hosts, upstreams) its short
 * slot holds is answered here, inlined into the writer's loop (3 lookups
 * a request, ~98% of them such hits: the call, its saved registers and
 * the table's checks were ~45 of the ~80 instructions a lookup took);
 * anything else goes on to intern_id_len_slow.
 */
static inline __attribute__((always_inline)) int
intern_id_len(struct store *s, enum store_intern_id t, const char *str,
    uint16_t len, int64_t *id, char *err, size_t errlen)
{
	struct intern_cache *c = &s->intern[t];
	const struct intern_short *ss;
	uint64_t w[4];

	if (str == NULL || len == 0 || len > INTERN_SHORT_LEN ||
	    c->shorts == NULL)
		return intern_id_len_slow(s, t, str, len, id, err, errlen);
	intern_short_words(str, len, w);
	ss = &c->shorts[intern_short_slot(w, len)];
	if (!intern_short_is(ss, w, len))
		return intern_id_len_slow(s, t, str, len, id, err, errlen);
	c->short_hits++;
	*id = ss->id;
	return 0;
}
/* intern_id(), taking str's length and hash from h when h is str's. */
int intern_id_hinted(struct store *s, enum store_intern_id t,
    const char *str, const struct intern_hint *h, int64_t *id, char *err,
    size_t errlen);

/* Inline values (inline.c). */
void inline_client(struct store_client *c, const char *text);
/* inline_client() of ev's client, from its form when the event carries it
 * (event_fill), else read with its carried length: the writer's rows and
 * the block encoder (blocks_item_forms) alike. */
void inline_client_event(struct store_client *c, const struct gw_event *ev);
void inline_bind_client(sqlite3_stmt *st, int i, const struct store_client *c);
/* A 64-bit key of a client for the join filter (the integer, or a hash). */
uint64_t inline_client_key(const struct store *s, const struct store_client *c);
uint64_t inline_client_key_value(const struct store *s, sqlite3_value *v);
/* text's form; len its length as an event carries it (0: strlen). */
void inline_request_id(struct store_rid *r, const char *text, uint16_t len);
void inline_bind_request_id(sqlite3_stmt *st, int i, const struct store_rid *r);
void inline_bind_protocol(sqlite3_stmt *st, int i, const char *text);
/* The code protocol text is stored as (0..STORE_PROTOCOLS-1), or -1. */
int inline_protocol(const char *text);
/*
 * The same of a text whose length n is known (blocks.c): p[0..n) a
 * canonical dotted quad (its integer in *v), 32 lowercase hex digits (the
 * 16 bytes to out), a protocol's code or -1.
 */
bool inline_ipv4(const char *p, size_t n, int64_t *v);
bool inline_rid_blob(const char *p, size_t n, uint8_t out[STORE_RID_BYTES]);
int inline_protocol_code(const char *p, size_t n);
/* gw_client_key() (migration 006), gw_request_id(), gw_protocol() (012). */
int inline_register(sqlite3 *db);

/* Rollups (rollup.c). */
void rollup_map_free(struct rollup_map *m);
void rollup_map_clear(struct rollup_map *m);
/* Order m's entries by key (the tables' primary keys: latency's are
 * minute, upstream, bucket with source 0), ready to flush; m's lookups
 * are void until it is cleared. */
void rollup_map_sort(struct rollup_map *m);
int rollup_add(struct rollup_map *m, const struct rollup_key *k,
    int64_t count, int64_t request_ms, int64_t bytes);
int rollup_flush(struct store *s, char *err, size_t errlen);
/* Latency histograms (latency.c): free, or forget the counts keeping the
 * memory. */
void latency_map_free(struct latency_map *l);
void latency_map_clear(struct latency_map *l);
/*
 * The rollup and latency deltas of a held transaction (store_set_ingest)
 * are summed over its batches and written at its commit (store_commit),
 * or earlier when a map holds ROLLUP_HOLD_MAX keys (bounded memory): a
 * batch of 16,384 production-cardinality lines spans a minute or two,
 * and each of its ~2,000 keys' upserts was paid again by the next batch
 * (13% of the writer's instructions).
 */
#define ROLLUP_HOLD_MAX	4096
int64_t rollup_minute_of(int64_t ts_ms);

/*
 * Runs of request ids by second (runs.c, schema/013). runs_sec_of(): the
 * second of a ts_ms, rounded down. runs_note(): request id (ids ascending
 * within a transaction) of second sec was inserted.
 * runs_flush(): write the current run, in the batch's transaction.
 * runs_forget(): after a rollback (its ids will be given out again).
 */
int64_t runs_sec_of(int64_t ts_ms);
int runs_note(struct store *s, int64_t id, int64_t sec, char *err,
    size_t errlen);
int runs_flush(struct store *s, char *err, size_t errlen);
void runs_forget(struct store *s);

/*
 * The columns of a request in a block (schema/015): those of requests in
 * its order (local_end_ms, computed, aside), the path as text.
 */
enum block_request_column {
	BC_ID, BC_SOURCE_ID, BC_LINE_NO, BC_TS_MS, BC_TZ_MIN, BC_CLIENT,
	BC_METHOD_ID, BC_HOST_ID, BC_PATH, BC_QUERY, BC_SHAPE_ID, BC_PROTOCOL,
	BC_STATUS, BC_BYTES, BC_REQUEST_MS, BC_REQUEST_ID, BC_UPSTREAM_ID,
	BC_N_ATTEMPTS, BC_CAUSE, BC_ERROR_ID, BC_A_STATUS, BC_A_CONNECT_MS,
	BC_A_HEADER_MS, BC_A_RESPONSE_MS, BC_A_CAUSE, BC_A_ERROR_ID,
	BLOCK_REQUEST_COLUMNS
};
/* The columns whose integers a block holds as 4 bytes (block.h's
 * block_enc_u32_cols): the client's IPv4 address. */
#define BLOCK_REQUEST_U32_COLS	((uint64_t)1 << BC_CLIENT)

/*
 * A plain request as the writer hands it to the current block: its event
 * (in the batch: read until blocks_release returns), the attempt stored
 * inline (NULL none) and what the writer gave it; blocks.c lays out the
 * columns (client, request id and protocol in their inline forms).
 */
struct blocks_req {
	const struct gw_event *ev;
	const struct gw_attempt *inl;
	int64_t id, source_id;
	int64_t method, host, shape, up;	/* interned ids, 0 = NULL */
};

/*
 * Blocks of plain requests (blocks.c). blocks_next_id(): the id after
 * every stored request's; *given: the writer must name the ids of the rows
 * it inserts (else SQLite's next rowid is that id). blocks_add(): request
 * r into the current block, which is written first when full; 0, -1 the
 * row cannot go into a block (store it as a row), -2 error (err filled).
 * blocks_release(): at a batch's end, hand the last requests over, and
 * with wait, wait until nothing of the batch is read any more (the
 * current block, encoded, stays open); 0 or -1.
 * blocks_flush(): write the current block, in the transaction: before it
 * commits (store_commit) and before anything reads plain requests;
 * blocks_flush_start() first has the block finished meanwhile.
 * blocks_forget(): after a rollback.
 */
int blocks_next_id(struct store *s, int64_t *id, bool *given, char *err,
    size_t errlen);
int blocks_add(struct store *s, const struct blocks_req *r, char *err,
    size_t errlen);
int blocks_release(struct store *s, bool wait, char *err, size_t errlen);
/*
 * blocks_mark(): what the zip must have read for every request handed so
 * far to be read (0: none ever was). blocks_read(): 1 while the zip has
 * not read up to mark (> 0), 0 once it has; with wait, waits for 0. Not
 * on the writer's thread with wait: the zip may wait for the writer to
 * insert the blocks it finished (blocks_release does both).
 */
uint64_t blocks_mark(const struct store *s);
int blocks_read(struct store *s, uint64_t mark, bool wait);
int blocks_flush_start(struct store *s, char *err, size_t errlen);
int blocks_flush(struct store *s, char *err, size_t errlen);
void blocks_forget(struct store *s);
/*
 * Request id, if it is in a block, moves out of it into a row of requests
 * (its path interned), so that the join can update it; 0 (also when it
 * is a row already, or nowhere) or -1 with err.
 */
int blocks_promote(struct store *s, int64_t id, char *err, size_t errlen);
/*
 * Prune (prune.c): take the requests ids[0..n) (ascending, ids[0] in a
 * block) out of the block that holds ids[0]; every one of them up to the
 * block's last id must be in it. Each request taken is handed to fn
 * (ctx, its BLOCK_REQUEST_COLUMNS values); the block is written again
 * with the rest, under the first id left (none left: deleted). *used
 * gets how many of ids were the block's. 0, or -1 with err (a damaged
 * block, or one that disagrees with the ids: nothing written then).
 */
typedef void blocks_taken_fn(void *ctx, const struct block_val *row);
int blocks_take(struct store *s, const int64_t *ids, size_t n, size_t *used,
    blocks_taken_fn *fn, void *ctx, char *err, size_t errlen);
void blocks_free(struct store *s);
/* The virtual table requests_all: every request, rows and blocks
 * (requests_vt.c). 0 or -1. */
int requests_vt_register(sqlite3 *db);

/* Join (join.c). */
int join_filter_init(struct store *s);
void join_filter_free(struct store *s);
void join_filter_reset(struct store *s);
int join_filter_load(struct store *s, char *err, size_t errlen);
void join_filter_add(struct store *s, uint64_t client_key);
void join_filter_add_new(struct store *s, uint64_t client_key);
void join_filter_batch_begin(struct store *s);
bool join_filter_empty(const struct store *s);
bool join_filter_has(const struct store *s, uint64_t client_key);
bool join_filter_has_older(const struct store *s, uint64_t client_key);
int join_probe_add(struct store *s, const struct join_probe *p);
int join_batch(struct store *s, char *err, size_t errlen);
/*
 * The causes once an error of cause ecause joins a stored request (status,
 * cause, n_attempts) through its attempt seq (astatus, acause), or with
 * seq -1 the request itself: *attempt (acause when seq is -1) and
 * *request. Pure; what cause_merge() makes of them (tests call it).
 */
void join_causes(int status, enum gw_cause cause, int n_attempts, int seq,
    int astatus, enum gw_cause acause, enum gw_cause ecause,
    enum gw_cause *attempt, enum gw_cause *request);
int id_list_add(struct id_list *l, int64_t id);
void id_list_free(struct id_list *l);

/*
 * WAL checkpoints on a thread with its own connection (checkpoint.c).
 * ckpt_start: start it and hand it this connection's checkpoints (its WAL
 * hook replaces the autocheckpoint); 0, or -1 with err filled when it
 * cannot start, nothing changed. ckpt_before_begin: before a write
 * transaction, lets a full WAL start over (may wait for the checkpoint
 * of the last commit). ckpt_stop: stop and free it (store_close, before
 * the connection closes); nothing when none runs.
 */
#define CKPT_EVERY	1024	/* frames the WAL grows by between two */
#define CKPT_CAP	8192	/* frames past which it starts over */
int ckpt_start(struct store *s, int every, int cap, char *err,
    size_t errlen);
void ckpt_before_begin(struct store *s);
void ckpt_stop(struct store *s);
/*
 * Close the files a stopped checkpointer had open for its writebacks,
 * after the store's connection closed: closing a descriptor of the
 * database drops every lock the process holds on it (POSIX), the
 * connection's SHARED lock too, which tells another process's closing
 * connection that it is not the last and must leave the WAL alone.
 */
void ckpt_close_files(struct store *s);
/* Writebacks of the WAL the checkpointer started (tests). */
int64_t ckpt_writebacks(struct store *s);

/* Pruning (prune.c). */
void prune_free(struct store *s);
/*
 * Inside a write transaction: empty the intern caches when another
 * connection removed interned strings since our last look. 0 or -1.
 */
int prune_epoch_check(struct store *s, char *err, size_t errlen);

#endif
