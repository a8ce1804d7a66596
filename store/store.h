/*
 * store.h - gatewatch's SQLite database: schema, writes, joins, reports.
 *
 * One struct store per open database. Writes come as batches (core/batch.h):
 * store_write_batch() stores a batch's requests, attempts, gateway errors and
 * rejects, updates the per-minute rollups, joins error-log lines to their
 * requests, and records the source position - all in one transaction, so a
 * crash leaves either the whole batch with its position or neither.
 *
 * Readers (report, console) ask for grouped figures with store_report(); they
 * never write SQL of their own.
 *
 * SQL inside store/ follows one convention (store/stmt.c, at its top):
 * every statement of fixed text is a named entry of one table, prepared
 * once per struct store and kept until store_close(); a statement whose
 * shape varies (the report's keys and filters) is written by one builder
 * that binds every value and never writes one into the text, and is
 * cached per struct store by that text. So a struct store is used by one
 * thread at a time, as SQLite's connection is. The counting rule of the
 * report and the console - requests by their final upstream, status and
 * cause, attempts by their own - is written once, in store/report.c.
 */
#ifndef GW_STORE_H
#define GW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/cause.h"

struct store;

/*
 * Process-wide SQLite settings: call once at start, before any thread is
 * made and any store opened (later calls change nothing). Turns off
 * SQLite's memory statistics, whose global mutex every allocation takes
 * (5% of the writer's time). Optional: a store works without it.
 */
void store_library_init(void);

/*
 * Open (creating if needed) the database at path, switch it to WAL and bring
 * its schema to the newest version (schema/NNN_*.sql applied in order by
 * PRAGMA user_version). A database already at the newest version is
 * only read on open (never the write lock), so a reader opening it does
 * not wait for a writer's transaction. Returns 0, or -1 with err filled.
 * Free with store_close().
 */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *s);

/*
 * Open another connection to the database s is open on, for code that
 * reads it on a thread of its own (a connection serves one thread here),
 * such as the console's diagnosis worker: the caller hands the handle, not
 * a path beside it. s may be in use on its thread meanwhile (only what was
 * fixed when it was opened is read) and may be closed before the new one.
 * The connection is opened as store_open() opens one (read-write: opening
 * checks the schema version and switches to WAL). 0, or -1 with err filled.
 */
int store_open_reader(const struct store *s, struct store **out, char *err,
    size_t errlen);

/*
 * How a database file is made. A new database is created 0600, or 0640
 * and owned by group when group >= 0; its -wal and -shm files (SQLite) and
 * side files (store_side_file) take its mode and group. A path that is a
 * symlink is refused. See store/dbfile.c.
 */
struct store_open_opts {
	int64_t group;		/* gid for a new database; -1 none */
	int schema_upto;	/* apply the schema files up to this version
				   only; 0 all (tests of an upgrade) */
	bool no_upgrade;	/* a database of an older schema is refused
				   (err names it), not upgraded: for a
				   command that promises to write nothing */
};

/* store_open() with options (o NULL: the defaults). */
int store_open_with(const char *path, const struct store_open_opts *o,
    struct store **out, char *err, size_t errlen);

/*
 * Open (creating if needed) the side file db+suffix ("gatewatch.db" +
 * ".tail.log") for appending, never through a symlink, created with the
 * database's mode (read and write bits of owner and group only) and group.
 * Returns the descriptor, or -1 with err filled.
 */
int store_side_file(const char *db, const char *suffix, char *err,
    size_t errlen);

/*
 * Have fn(ctx) called every few thousand steps of this connection's
 * statements; when it returns non-zero the running statement stops
 * (its call fails as interrupted). For a reader that must give up a long
 * query early, such as the console's diagnosis worker. fn NULL removes it.
 */
void store_set_progress(struct store *s, int (*fn)(void *), void *ctx);

/*
 * How often this connection found the write lock taken by another one
 * (a pruner, another writer) and the longest it waited for it, ms.
 */
void store_lock_waits(struct store *s, int64_t *waits, int64_t *max_ms);

/*
 * Checkpoints the connection's checkpointer thread ran (store_set_ingest)
 * and times its writer found the WAL started over; 0 and 0 without one.
 */
void store_checkpoints(struct store *s, int64_t *runs, int64_t *restarts);

/*
 * The writing is done (ingest's last commit): have the checkpointer
 * thread copy what the WAL still holds now, while the caller frees its
 * memory and closes, instead of the close copying and syncing it alone
 * at the end. Nothing without a checkpointer; never waits.
 */
void store_checkpoint_rest(struct store *s);

/* Schema version of the open database (PRAGMA user_version). */
int store_schema_version(struct store *s);

/*
 * The schema version the database had when store_open() upgraded it (an
 * older gatewatch wrote it; > 0), or 0 when it was current or new: a
 * reader says so (cli_note_upgrade), as the upgrade wrote to it.
 */
int store_upgraded_from(const struct store *s);

/*
 * Bulk mode: synchronous=OFF while true (a crash of the machine, not of
 * gatewatch, may then lose or damage recent batches); NORMAL otherwise.
 * Returns 0, or -1 with err filled.
 */
int store_set_bulk(struct store *s, bool bulk, char *err, size_t errlen);

/*
 * A connection that writes in large batches (ingest): a thread with a
 * connection of its own checkpoints the WAL (until store_close(), which
 * stops it), and store_write_batch() keeps its transaction open for the
 * next batches, committing once it took enough records (more as the
 * hashed tables grow: store/db.c); store_end_batches() commits what it
 * holds. Every batch's rows and position still commit together. 0 or -1.
 */
int store_set_ingest(struct store *s, char *err, size_t errlen);

/*
 * Store plain requests in blocks (schema/015, store/blocks.c) from the
 * next batch on (off when a store is opened). Every reader of store/
 * reads them (requests_all), prune included; plain sqlite3's views do
 * not (store_query's do). The front end's default: cli_blocks_from_env.
 */
void store_set_blocks(struct store *s, bool on);

/*
 * Commit the transaction store_write_batch() holds open, if any (call
 * when no batch is in flight: after pipeline_sync). 0, or -1 with err
 * filled (the held batches are then rolled back).
 */
int store_end_batches(struct store *s, char *err, size_t errlen);

/*
 * Requests and rejects of the batches store_write_batch() took that are
 * committed, since s was opened: what a summary may call stored. A batch
 * in a held transaction counts once it commits; one rolled back (a write
 * failed: disk full, I/O error) never does. Call from the thread that
 * writes, or after pipeline_sync().
 */
void store_committed(const struct store *s, int64_t *requests,
    int64_t *rejects);

/* What identifies an input, so re-reading it resumes instead of doubling. */
struct store_source_info {
	const char *path;	/* as given; "-" for stdin */
	const char *kind;	/* "nginx_access", "nginx_error", ... */
	const char *format;	/* format name or log_format text, may be NULL */
	uint64_t dev, ino;	/* 0,0 when unknown (stdin) */
	const unsigned char *fingerprint;	/* first bytes of the content */
	size_t fingerprint_len;	/* 0 = no identity: always a new source */
};

/* Fingerprints: callers hand at most the first STORE_FINGERPRINT_LEN
 * bytes; fewer than STORE_FINGERPRINT_MIN identify nothing. */
#define STORE_FINGERPRINT_LEN	1024
#define STORE_FINGERPRINT_MIN	64

/*
 * Find or create the source for info. A source with the same fingerprint
 * (same first bytes, compared over the shorter of the two, at least 64
 * bytes) is the same input whatever kind it was detected as before (a
 * packet capture never matches a log): its stored position is returned so
 * the caller resumes there, and its kind becomes info->kind. kind_was
 * (kind_was_len bytes, may be NULL) gets the kind it had when that was
 * another, else "". A new source starts at 0.
 */
int store_source_open(struct store *s, const struct store_source_info *info,
    int64_t *source_id, uint64_t *resume_offset, uint64_t *resume_line,
    char *kind_was, size_t kind_was_len, char *err, size_t errlen);

/*
 * Find the source for info as store_source_open() would, without creating
 * one: 1 with its id and position, 0 when no stored source matches, -1
 * with err filled.
 */
int store_source_find(struct store *s, const struct store_source_info *info,
    int64_t *source_id, uint64_t *position, uint64_t *line_no, char *err,
    size_t errlen);

/*
 * The rewind point of source source_id (schema 015, core/batch.h's
 * held_bytes): the byte offset and the lines before the first chunk of a
 * partial record still held when its last batch was stored. 1 with them
 * (offset is then before the stored position), 0 when none, -1 with err.
 */
int store_source_rewind(struct store *s, int64_t source_id, uint64_t *offset,
    uint64_t *line_no, char *err, size_t errlen);

/*
 * Store batch b (b->source_id, b->position, b->line_no set by the caller) in
 * one transaction; see the file comment (and store_set_ingest: then the
 * transaction may hold several batches). Returns 0 or -1 with err filled,
 * in which case nothing of the batch was stored (nor of the batches held
 * with it).
 */
int store_write_batch(struct store *s, struct gw_batch *b, char *err,
    size_t errlen);

/* Fits gw_sink_fn; ctx is the struct store. */
int store_sink(void *ctx, struct gw_batch *b, char *err, size_t errlen);

/*
 * Fit cli/pipeline.h's pipeline_new_async (ctx is the struct store):
 * store_sink_async() is store_sink(), but returns while the block encoder
 * may still read b's plain requests: b stays as it is until
 * store_sink_read(ctx, *mark, ...) returns 0. store_sink_read(): with a
 * mark > 0, 1 while the encoder reads the batch of that mark, 0 once not
 * (wait: waits for 0; any thread but the writer's, which the encoder may
 * wait for); with mark 0, on the writer's thread between batches: waits
 * until it reads no batch, 0, or -1 with err filled and the held
 * transaction rolled back (as a failed store_write_batch).
 */
int store_sink_async(void *ctx, struct gw_batch *b, uint64_t *mark,
    char *err, size_t errlen);
int store_sink_read(void *ctx, uint64_t mark, bool wait, char *err,
    size_t errlen);

/* Grouping keys of a report. */
enum report_key {
	REPORT_KEY_UPSTREAM,
	REPORT_KEY_CAUSE,
	REPORT_KEY_STATUS,
	REPORT_KEY_PATH,
	REPORT_KEY_SOURCE,
	REPORT_KEY_MINUTE,
	REPORT_KEY_WHO,		/* who failed: upstream, network, gateway... */
	REPORT_KEY_COUNT
};

/* "upstream", ...; and back: -1 when the name is none of them. */
const char *report_key_name(enum report_key k);
int report_key_from_name(const char *s, size_t len);

#define REPORT_KEYS_MAX 7

struct report_query {
	int64_t since_ms;	/* INT64_MIN = no lower bound */
	int64_t until_ms;	/* INT64_MAX = no upper bound (exclusive) */
	enum report_key keys[REPORT_KEYS_MAX];
	int n_keys;		/* 0 = one row for everything */
	const char *upstream;	/* optional filters: exact match, NULL = any */
	enum gw_cause cause;	/* GW_CAUSE_ANY = any (0 is ok: set it) */
	int status;		/* -1 = any */
	size_t limit;		/* 0 = no limit */
};

/*
 * One group of a report. For REPORT_KEY_UPSTREAM a request belongs to the
 * upstream whose answer was final (its last attempt), "-" when it reached
 * none; attempts are grouped by their own upstream, cause and status.
 */
struct report_row {
	char *key[REPORT_KEYS_MAX];	/* text of each key, same order as query */
	int64_t requests;	/* requests in the group */
	int64_t errors_5xx;	/* of those, final status 500-599 */
	int64_t failed;		/* of those, cause != ok */
	int64_t attempts;	/* upstream attempts in the group */
	int64_t failed_attempts;	/* of those, cause != ok */
	double request_ms_avg;	/* mean request time where known, -1 none */
};

/*
 * Run a report. Rows come sorted by failed, then requests, descending.
 * Uses the per-minute rollups unless a key or bound needs raw rows (path,
 * bounds not on a minute, where those were not pruned; see
 * store_report_coverage()). *rows is freed with store_report_free().
 */
int store_report(struct store *s, const struct report_query *q,
    struct report_row **rows, size_t *n_rows, char *err, size_t errlen);
void store_report_free(struct report_row *rows, size_t n_rows);

/*
 * Rejected lines of a source (source_id 0: of all), counted exactly, and
 * how many of them are kept in the rejects table (the first 1,000 of a
 * source, then 1 in 1,000; store/reject.c). 0, or -1 with err filled.
 */
int store_reject_counts(struct store *s, int64_t source_id,
    int64_t *rejected, int64_t *kept, char *err, size_t errlen);

/*
 * Gateway error-log lines grouped by the upstream they name and their
 * cause, for a database (or window) that holds no requests: an error log
 * read without its access log (Caddy logs only errors by default) still
 * says which upstream failed and why. Times are the error log's wall clock
 * (local_ms), compared with since/until as if UTC. fn is called once per
 * group, most lines first; the group's strings are valid during the call.
 */
struct store_error_group {
	const char *upstream;	/* "-" when the line named none */
	enum gw_cause cause;
	int64_t lines;		/* error-log lines in the group */
	int64_t unjoined;	/* of those, not joined to a request */
	int64_t first_ms, last_ms;	/* local_ms range */
};
typedef void (*store_error_group_fn)(void *ctx,
    const struct store_error_group *g);
int store_error_groups(struct store *s, int64_t since_ms, int64_t until_ms,
    store_error_group_fn fn, void *ctx, char *err, size_t errlen);

/*
 * How complete a report over q is once rows were pruned: what
 * store_report() reads for it, and whether q's range reaches where raw
 * rows or rollups were removed.
 */
struct report_coverage {
	int64_t raw_pruned_before_ms;	/* raw rows below are gone;
					   INT64_MIN never pruned */
	int64_t rollup_pruned_before_ms;	/* likewise for rollups */
	bool raw;		/* counted from raw rows (by path, or bounds
				   off the minute over unpruned rows) */
	bool raw_partial;	/* the range starts before raw_pruned_before:
				   raw rows there are gone (figures from
				   rollups unless raw) */
	bool rollup_partial;	/* it starts before rollup_pruned_before:
				   even the rollups there are gone */
	bool rounded;		/* bounds off the minute were widened to
				   whole minutes to count from rollups */
};
int store_report_coverage(struct store *s, const struct report_query *q,
    struct report_coverage *c, char *err, size_t errlen);

/* Totals since the database was created, for ingest summaries and tests. */
struct store_totals {
	int64_t requests, attempts, gateway_errors, joined_errors, rejects;
	int64_t first_ms, last_ms;	/* -1 when empty */
};
int store_totals(struct store *s, struct store_totals *t, char *err,
    size_t errlen);

/*
 * A user's own read-only SQL (`gatewatch sql`, store/sql.c). The
 * connection gets TEMP views request_view, attempts_all and attempt_view
 * that read requests_all, so requests kept in blocks (schema/015) are
 * seen as well; statements that would write, ATTACH or DETACH are
 * refused. For each statement fn is called once with vals NULL (its
 * column names), then once a row; the values live until fn returns. fn
 * returns 0 to go on, anything else to stop (store_query then returns -1
 * with err "stopped by its reader"). 0, or -1 with err filled (the
 * statement's own error, naming it).
 */
enum store_value_type {
	STORE_V_NULL, STORE_V_INT, STORE_V_REAL, STORE_V_TEXT, STORE_V_BLOB
};
struct store_value {
	enum store_value_type type;
	int64_t i;
	double r;
	const void *s;		/* TEXT (NUL-terminated), BLOB */
	size_t len;
};
typedef int (*store_query_fn)(void *ctx, size_t ncols,
    const char *const *names, const struct store_value *vals);
int store_query(struct store *s, const char *sql, store_query_fn fn,
    void *ctx, char *err, size_t errlen);

/* A real as SQLite's own text of it ("1.0", "1.0e+20": sqlite3's output). */
void store_real_text(char *buf, size_t size, double v);

#endif
