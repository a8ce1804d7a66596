/*
 * store_int.h - what the files of store/ share; nobody outside store/
 * includes it.
 *
 *   db.c      open, pragmas, migrations, transactions, error text
 *   stmt.c    the named SQL statements, prepared once and reused
 *   intern.c  string -> id cache in front of the lookup tables; the
 *             store's keyed hash
 *   inline.c  client addresses stored in the row itself
 *   source.c  store_source_open: find or create an input
 *   write.c   store_write_batch: rows of a batch in one transaction
 *   rollup.c  per-minute counts aggregated in memory, upserted per batch
 *   join.c    error-log lines joined to requests and attempts
 *   report.c  grouped figures and totals
 *   prune.c   retention: old rows removed in small transactions
 */
#ifndef GW_STORE_INT_H
#define GW_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core/arena.h"
#include "core/hashtab.h"
#include "store/store.h"

/* Named statements; their SQL is in stmt.c. */
enum store_stmt_id {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_SOURCE_FIND,
	STMT_SOURCE_INSERT,
	STMT_SOURCE_REOPEN,
	STMT_SOURCE_POSITION,
	STMT_META_GET,
	STMT_META_SET,
	STMT_META_SET_MIN,
	STMT_REQUEST_INSERT,
	STMT_REQUEST_INSERT_N,
	STMT_ATTEMPT_INSERT,
	STMT_ATTEMPT_INSERT_N,
	STMT_ERROR_INSERT,
	STMT_REJECT_INSERT,
	STMT_ROLLUP_UPSERT,
	STMT_ROLLUP_PRUNE,
	STMT_ROLLUP_ATTEMPT_UPSERT,
	STMT_ROLLUP_ATTEMPT_PRUNE,
	STMT_JOIN_ATTEMPT_FIND,
	STMT_JOIN_ATTEMPT_FIND_TRUNCATED,
	STMT_JOIN_REQUEST_FIND,
	STMT_JOIN_BARE_FIND,
	STMT_JOIN_BARE_ATTEMPT,
	STMT_JOIN_BARE_REQUEST,
	STMT_JOIN_ERRORS_FOR_REQUEST,
	STMT_JOIN_ERRORS_SINCE,
	STMT_JOIN_ERROR_GET,
	STMT_JOIN_ATTEMPT_SET,
	STMT_JOIN_REQUEST_SET_CAUSE,
	STMT_JOIN_REQUEST_SET_ERROR,
	STMT_JOIN_ERROR_SET,
	STMT_COUNT
};

/*
 * Rows per multi-row INSERT of requests and attempts (see write.c): each
 * statement opens a cursor on the table and each index, so 8 rows a
 * statement cost 15% more writer time than 48.
 */
#define STORE_INSERT_ROWS 48
#define STORE_REQUEST_COLUMNS 18
#define STORE_ATTEMPT_COLUMNS 9

/* The lookup tables of interned strings. */
enum store_intern_id {
	INTERN_UPSTREAM,
	INTERN_HOST,
	INTERN_PATH,
	INTERN_SHAPE,
	INTERN_METHOD,
	INTERN_COUNT
};

/* One string -> id cache: core/hashtab.h over entries in an arena. */
struct intern_cache {
	struct hashtab map;	/* values: struct intern_entry * */
	struct arena *strings;
	sqlite3_stmt *insert, *select;
};

/* Key and sums of one per-minute rollup row. */
struct rollup_key {
	int64_t minute, source_id, upstream_id;
	int status, cause;
};
struct rollup_entry {
	struct rollup_key key;
	int64_t count;		/* requests or attempts */
	int64_t request_ms_sum, request_ms_n, bytes_sum;
};
/* Deltas to the rollup rows, gathered over one batch: entries in the
 * order their keys first came, found through a hash map of their indexes.
 * All zero is an empty map. */
struct rollup_map {
	struct rollup_entry *v;
	size_t cap, n;
	struct hashtab index;	/* key -> index into v */
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

/* A new request whose client has unjoined errors: look for them. */
struct join_probe {
	struct store_client client;
	int64_t path_id, method_id;		/* 0 = NULL */
	int64_t local_end_ms, request_ms;	/* request_ms 0 when not logged */
	const char *query;			/* in the batch arena */
};

/* Counts of unjoined errors by hash of client id: which requests to probe. */
#define STORE_ERR_FILTER_SIZE 65536

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	struct intern_cache intern[INTERN_COUNT];
	uint64_t hash_key[2];		/* store_hash's secret key */
	uint64_t name_key[2];		/* key of paths.hash, shapes.hash */
	struct rollup_map rollup_req, rollup_att;
	uint32_t *err_filter;		/* STORE_ERR_FILTER_SIZE counts */
	uint64_t err_filter_n;		/* their sum: 0, no slot to hash */
	int64_t err_filter_seen;	/* errors with id <= this are counted */
	int64_t max_request_ms;		/* longest request stored (meta) */
	bool tz_known;			/* some request stored: tz_lo..tz_hi */
	int tz_lo, tz_hi;		/* range of requests' tz_min (meta) */
	int64_t dash_upstream;		/* id of upstream '-', 0 unknown */
	struct id_list new_errors;	/* errors written by this batch */
	struct id_list candidates;	/* older errors new requests may own */
	struct join_probe *probes;	/* new requests to look errors up for */
	size_t n_probes, cap_probes;
	struct prune_state *prune;	/* prune.c's statements, NULL unused */
	int64_t lock_waits;		/* times the lock was busy (db_busy) */
	int64_t lock_wait_max_ms;	/* the longest wait, ms (1 ms polls) */
};

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
void store_rollback(struct store *s);

/* Named statement id, prepared on first use and reset; NULL on error. */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt_id id,
    char *err, size_t errlen);
void store_stmt_finalize_all(struct store *s);
/* Step a statement that returns no rows, then reset it; 0 or -1. */
int store_stmt_run(struct store *s, sqlite3_stmt *st, char *err,
    size_t errlen);

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
int intern_id(struct store *s, enum store_intern_id t, const char *str,
    int64_t *id, char *err, size_t errlen);

/* Inline values (inline.c). */
void inline_client(struct store_client *c, const char *text);
void inline_bind_client(sqlite3_stmt *st, int i, const struct store_client *c);
/* A 64-bit key of a client for the join filter (the integer, or a hash). */
uint64_t inline_client_key(const struct store *s, const struct store_client *c);
uint64_t inline_client_key_value(const struct store *s, sqlite3_value *v);
/* gw_client_key() for SQL (migration 006). */
int inline_register(sqlite3 *db);

/* Rollups (rollup.c). */
void rollup_map_free(struct rollup_map *m);
void rollup_map_clear(struct rollup_map *m);
int rollup_add(struct rollup_map *m, const struct rollup_key *k,
    int64_t count, int64_t request_ms, int64_t bytes);
int rollup_flush(struct store *s, char *err, size_t errlen);
int64_t rollup_minute_of(int64_t ts_ms);

/* Join (join.c). */
int join_filter_init(struct store *s);
void join_filter_free(struct store *s);
void join_filter_reset(struct store *s);
int join_filter_load(struct store *s, char *err, size_t errlen);
void join_filter_add(struct store *s, uint64_t client_key);
bool join_filter_has(const struct store *s, uint64_t client_key);
int join_probe_add(struct store *s, const struct join_probe *p);
int join_batch(struct store *s, char *err, size_t errlen);
int id_list_add(struct id_list *l, int64_t id);
void id_list_free(struct id_list *l);

/* Pruning (prune.c). */
void prune_free(struct store *s);
/*
 * Inside a write transaction: empty the intern caches when another
 * connection removed interned strings since our last look. 0 or -1.
 */
int prune_epoch_check(struct store *s, char *err, size_t errlen);

#endif
