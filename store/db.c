/*
 * db.c - opening the database: pragmas, migrations, transactions.
 *
 * The schema is the list of schema/NNN_*.sql files the Makefile embeds as
 * gw_schema_sql[] (file-name order, NULL-terminated). PRAGMA user_version
 * counts the files applied; on open every missing file is applied in order,
 * each in its own BEGIN IMMEDIATE transaction together with the new
 * user_version, so two processes opening an old database at once cannot
 * both upgrade it, and a failed upgrade leaves the previous version intact.
 * A database newer than the files we carry is refused rather than guessed
 * at. A new database takes them all in one transaction, as one script
 * made from them at build time (schema/flatten.c; db_migrate).
 *
 * Pragmas: 16 KiB pages (new databases only); WAL so readers (report, console) never block the writer and the
 * writer never blocks them; synchronous=NORMAL (a power loss may drop the
 * last transactions but never corrupts; store_set_bulk() trades even that
 * for speed); a busy handler polling every millisecond (up to 10 s) because
 * another connection may hold the write lock for a batch or a prune step; a large page cache and in-memory temporaries. Foreign
 * keys stay off: the schema declares them for readers, the writer checks
 * a batch's source once instead of every row.
 *
 * The schema files and the pragmas of a new connection are scripts, run
 * by sqlite3_exec (db_exec); PRAGMA user_version = N is written out, as
 * PRAGMA takes no parameter. Every other statement is a named one of
 * stmt.c's table (its top says how).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/safe.h"
#include "store/store_int.h"

/* Virtual-machine steps between two calls of a progress handler. */
#define STORE_PROGRESS_STEPS 4000

extern const char *const gw_schema_sql[];
extern const char *const gw_schema_names[];
/* what the files leave, one script (schema/flatten.c); NULL: none */
extern const char *const gw_schema_final_sql;
extern const int gw_schema_final_version;

/* How long a writer waits for another one's transaction, ms. */
#define STORE_BUSY_TIMEOUT_MS 10000

/* Fill err from a printf format; always returns -1. */
int
store_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Fill err with what failed and SQLite's message; always returns -1. */
int
store_fail_db(struct store *s, char *err, size_t errlen, const char *what)
{
	return store_fail(err, errlen, "%s: %s", what,
	    s != NULL && s->db != NULL ? sqlite3_errmsg(s->db) : "no database");
}

/* Run SQL text that returns no rows we need; 0 or -1. */
static int
db_exec(struct store *s, const char *sql, const char *what, char *err,
    size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(err, errlen, "%s: %s", what,
		    msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Run named statement id, which returns no rows we need; 0 or -1. */
static int
db_run(struct store *s, enum store_stmt_id id, const char *what, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, id, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		store_fail_db(s, err, errlen, what);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Read PRAGMA user_version into *v; 0 or -1. */
static int
db_user_version(struct store *s, int *v, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DB_USER_VERSION, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "user_version");
	return 0;
}

static int db_temp_memory(struct store *s, char *err, size_t errlen);

/* Number of schema files this build carries. */
static int
db_schema_count(void)
{
	int n = 0;

	while (gw_schema_sql[n] != NULL)
		n++;
	return n;
}

/*
 * Does the final script (gw_schema_final_sql) stand for the files a
 * database at version v lacks? Only for a new database (fresh, v 0)
 * brought to the latest version, and only a script made from the files
 * this build carries.
 */
static bool
db_final_applies(bool fresh, int v, int target, int known)
{
	return fresh && v == 0 && target == known &&
	    gw_schema_final_sql != NULL && gw_schema_final_version == known;
}

/*
 * Apply the schema files the database lacks (up to version upto when it is
 * > 0), one transaction each; refuse a database newer than this build. The
 * version is read first outside any transaction: a database already at
 * the target (every reader's case) is left without ever taking the write
 * lock, so opening it never waits for a writer's batch. Only an older one
 * is upgraded under BEGIN IMMEDIATE, which reads the version again, as
 * another process may have upgraded it meanwhile; with no_upgrade it is
 * refused instead. 0 or -1.
 */
static int
db_migrate(struct store *s, const char *path, int upto, bool no_upgrade,
    char *err, size_t errlen)
{
	int known = db_schema_count();
	int target = upto > 0 && upto < known ? upto : known;
	char sql[64], shown[256];
	int v, first = -1;
	bool fresh, all, in_txn = false;

	safe_text(shown, sizeof(shown), path, strlen(path));
	if (db_user_version(s, &v, err, errlen) != 0)
		return -1;
	if (v > known)
		return store_fail(err, errlen, "%s: database schema version "
		    "%d is newer than this gatewatch knows (%d); use a newer "
		    "gatewatch", shown, v, known);
	if (v < 0)
		return store_fail(err, errlen, "%s: bad schema version %d",
		    shown, v);
	if (v >= target)
		return 0;
	if (no_upgrade && v == 0)
		return store_fail(err, errlen, "%s: not a gatewatch database "
		    "(no schema; 'gatewatch ingest -d %s' makes one)", shown,
		    shown);
	if (no_upgrade)
		return store_fail(err, errlen, "%s: database schema version "
		    "%d is older than this gatewatch's (%d); not upgraded, as "
		    "this command writes nothing (any other command, e.g. "
		    "'gatewatch report -d %s', upgrades it)", shown, v, target,
		    shown);
	/*
	 * A new database (version 0: no table of ours) takes every file in
	 * one transaction, its temporaries (statement journals of the
	 * ALTER TABLEs) in memory, as its tables are empty: no commit and
	 * no temporary file between two files. Failing, it is left at
	 * version 0, as one transaction a file would leave it at the one
	 * before; another process upgrading it meanwhile is seen below.
	 * Brought to the latest version, it takes instead the one script of
	 * what the files leave (db_final_applies): each object parsed once,
	 * not the whole schema again at each ALTER TABLE (a 3-line ingest
	 * into a new database: 75.3M -> 27.6M instructions, CPU 17-19 ->
	 * 12 ms).
	 */
	fresh = v == 0;
	if (fresh && db_temp_memory(s, err, errlen) != 0)
		return -1;
	for (;;) {
		if (!in_txn && db_run(s, STMT_BEGIN, "begin migration", err,
		    errlen) != 0)
			return -1;
		in_txn = true;
		if (db_user_version(s, &v, err, errlen) != 0)
			goto fail;
		if (fresh && first < 0 && v > 0) {
			/* another process made it meanwhile: the files it
			   lacks one by one, temporaries in files */
			store_rollback_txn(s);
			in_txn = fresh = false;
			if (db_exec(s, "PRAGMA temp_store = FILE", "temp_store",
			    err, errlen) != 0)
				return -1;
			continue;
		}
		if (v > known) {
			store_fail(err, errlen, "%s: database schema version "
			    "%d is newer than this gatewatch knows (%d); use a "
			    "newer gatewatch", shown, v, known);
			goto fail;
		}
		if (v >= target || v < 0)
			break;
		if (first < 0)
			first = v;
		all = db_final_applies(fresh, v, target, known);
		if (db_exec(s, all ? gw_schema_final_sql : gw_schema_sql[v],
		    all ? "schema" : gw_schema_names[v], err, errlen) != 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    all ? known : v + 1);
		if (db_exec(s, sql, "user_version", err, errlen) != 0)
			goto fail;
		if (fresh)
			continue;
		if (db_run(s, STMT_COMMIT, "commit migration", err, errlen) !=
		    0)
			goto fail;
		in_txn = false;
	}
	if (v < 0) {
		store_fail(err, errlen, "%s: bad schema version %d", shown, v);
		goto fail;
	}
	s->upgraded_from = first > 0 ? first : 0;	/* 0: a new database */
	return db_run(s, STMT_COMMIT, "commit migration", err, errlen);
fail:
	store_rollback_txn(s);
	return -1;
}

/*
 * Busy handler: wait for another connection's write transaction in steps
 * of 1 ms, up to STORE_BUSY_TIMEOUT_MS. SQLite's own (busy_timeout)
 * sleeps ever longer, up to 100 ms a time: beside a pruner that holds the
 * lock for a few ms and then leaves it free as long, a writer could sleep
 * through the gaps and wait many times the pruner's step.
 */
static int
db_busy(void *ctx, int n)
{
	struct timespec ts = {0, 1000000};
	struct store *s = ctx;

	if (n == 0)
		s->lock_waits++;
	if (n + 1 > s->lock_wait_max_ms)
		s->lock_wait_max_ms = n + 1;
	if (n >= STORE_BUSY_TIMEOUT_MS)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/* See store.h. */
void
store_lock_waits(struct store *s, int64_t *waits, int64_t *max_ms)
{
	*waits = s->lock_waits;
	*max_ms = s->lock_wait_max_ms;
}

/* Switch to WAL and set the connection's pragmas; 0 or -1. */
static int
db_pragmas(struct store *s, char *err, size_t errlen)
{
	sqlite3_busy_handler(s->db, db_busy, s);
	/*
	 * 16 KiB pages for a new database (an existing one keeps its own):
	 * fewer pages to write, look up and checkpoint per row; ingest takes
	 * 10% less time, and the console's and explain's queries no more.
	 */
	if (db_exec(s, "PRAGMA page_size = 16384", "page_size", err,
	    errlen) != 0)
		return -1;
	/* An in-memory database answers "memory"; that is fine too. */
	if (db_exec(s, "PRAGMA journal_mode = WAL", "journal_mode", err,
	    errlen) != 0)
		return -1;
	return db_exec(s,
	    "PRAGMA synchronous = NORMAL;"
	    /* MEMORY once migrated (db_temp_memory) */
	    "PRAGMA temp_store = FILE;"
	    /*
	     * 14 MiB: appends need little, but the hash indexes of paths and
	     * shapes take inserts at random places; while they fit, a batch
	     * neither reads their pages back nor spills them early (1M
	     * production-cardinality lines: CPU 6.3 -> 5.8 s, sys 1.3 ->
	     * 0.6 s). Past that the names go in sorted by key (intern.c),
	     * each page once a transaction, and 2 MiB less cache costs 1M
	     * lines ~5% more CPU; the 2 MiB pay for that queue within
	     * ingest's 64 MiB. Reads lean on the OS cache.
	     */
	    "PRAGMA cache_size = -14336;"
	    "PRAGMA foreign_keys = OFF;",
	    "pragmas", err, errlen);
}

/*
 * Temporaries in memory, after the migrations: theirs go to files, as
 * an upgrade sorts and copies whole tables (schema/016 builds an index
 * over every failed request: 2M of them took peak RSS to 151 MB with
 * temporaries in memory, 37 MB in files); the pragma cannot change
 * inside their transactions. 0 or -1.
 */
static int
db_temp_memory(struct store *s, char *err, size_t errlen)
{
	return db_exec(s, "PRAGMA temp_store = MEMORY", "temp_store", err,
	    errlen);
}

/* See store.h. */
void
store_library_init(void)
{
	/* SQLITE_MISUSE once SQLite is initialised: then nothing changes. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* See store.h. */
int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	return store_open_with(path, NULL, out, err, errlen);
}

/* See store.h. */
int
store_open_with(const char *path, const struct store_open_opts *o,
    struct store **out, char *err, size_t errlen)
{
	char real[PATH_MAX];
	struct store *s;
	int rc;

	*out = NULL;
	if (dbfile_prepare(path, o != NULL ? o->group : -1, real, sizeof(real),
	    err, errlen) != 0)
		return -1;
	if ((s = gw_calloc(1, sizeof(*s))) == NULL)
		return store_fail(err, errlen, "out of memory");
	s->blocks_seen = -1;	/* not checked yet (store_reads_blocks) */
	s->ckpt_fd[0] = s->ckpt_fd[1] = -1;
	if ((s->path = gw_strdup(real)) == NULL) {
		free(s);
		return store_fail(err, errlen, "out of memory");
	}
	rc = sqlite3_open_v2(real, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	if (rc != SQLITE_OK) {
		store_fail(err, errlen, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (intern_init(s) != 0 || join_filter_init(s) != 0) {
		store_fail(err, errlen, "out of memory");
		goto fail;
	}
	if (inline_register(s->db) != 0 || intern_register(s) != 0 ||
	    requests_vt_register(s->db) != 0) {
		store_fail_db(s, err, errlen, "register functions");
		goto fail;
	}
	/*
	 * no_upgrade: a database not of the current schema (another
	 * program's, an empty file) is refused before the pragmas, which
	 * would switch it to WAL; reading the version writes nothing.
	 */
	if (o != NULL && o->no_upgrade) {
		sqlite3_busy_handler(s->db, db_busy, s);
		if (db_migrate(s, path, o->schema_upto, true, err, errlen) != 0)
			goto fail;
	}
	if (db_pragmas(s, err, errlen) != 0 ||
	    db_migrate(s, path, o != NULL ? o->schema_upto : 0,
	    o != NULL && o->no_upgrade, err, errlen) != 0 ||
	    db_temp_memory(s, err, errlen) != 0 ||
	    intern_load_key(s, err, errlen) != 0 ||
	    db_user_version(s, &s->schema_version, err, errlen) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

/* See store.h. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	/* the memory first: a checkpoint asked for at the end
	   (store_checkpoint_rest) runs meanwhile, ckpt_stop waits for it */
	store_stmt_finalize_all(s);
	prune_free(s);
	blocks_free(s);
	intern_free(s);
	join_filter_free(s);
	rollup_map_free(&s->rollup_req);
	rollup_map_free(&s->rollup_att);
	latency_map_free(&s->latency);
	id_list_free(&s->new_errors);
	id_list_free(&s->candidates);
	free(s->probes);
	ckpt_stop(s);
	sqlite3_close(s->db);
	ckpt_close_files(s);
	free(s->path);
	free(s);
}

/* See store.h. */
int
store_open_reader(const struct store *s, struct store **out, char *err,
    size_t errlen)
{
	return store_open_with(s->path, NULL, out, err, errlen);
}

/* See store.h. */
int
store_upgraded_from(const struct store *s)
{
	return s->upgraded_from;
}

/* See store.h. */
int
store_schema_version(struct store *s)
{
	int v = -1;

	if (db_user_version(s, &v, NULL, 0) != 0)
		return -1;
	return v;
}

/* See store.h. */
int
store_set_bulk(struct store *s, bool bulk, char *err, size_t errlen)
{
	return db_exec(s, bulk ? "PRAGMA synchronous = OFF" :
	    "PRAGMA synchronous = NORMAL", "synchronous", err, errlen);
}

/*
 * See store.h. Checkpoints run on a thread of their own (checkpoint.c),
 * every CKPT_EVERY frames, the WAL starting over at CKPT_CAP; the writer
 * only waits, at CKPT_CAP, for the checkpoint of its last commit. 1M
 * production lines: the end phase, main alone after the writer's last
 * commit (the close copying the whole database), 157-170 -> 62-65 ms at
 * load 2; 10M: the writer's CPU 9.7-9.9 -> 8.6-8.7 s, its twelve
 * checkpoints of 8192 frames moved to that thread (1.0 s), the waits for
 * the WAL to start over 0.3-0.7 s in all. If that thread cannot start,
 * the writer checkpoints itself every 8192 pages (128 MiB), not SQLite's
 * 1000: once the random indexes outgrow the cache an ingest commit writes
 * ~2000 pages, so every commit checkpointed, copying to the database
 * again pages the next commits rewrite anyway (3M production lines: sys
 * 4.6 -> 3.9 s). Only for ingest: tail's small commits would wait for a
 * checkpoint of up to 128 MiB at once. The WAL goes when the last
 * connection closes.
 */
int
store_set_ingest(struct store *s, char *err, size_t errlen)
{
	s->hold = true;
	if (ckpt_start(s, CKPT_EVERY, CKPT_CAP, NULL, 0) == 0)
		return 0;
	return db_exec(s, "PRAGMA wal_autocheckpoint = 8192",
	    "wal_autocheckpoint", err, errlen);
}

/*
 * Records the held transaction should take before it commits. Each commit
 * writes every page its transaction dirtied, and a transaction's new
 * names land all over the hash indexes: once those outgrow the page cache
 * a commit costs about their size, whatever it holds, so a fixed cadence
 * makes ingest quadratic (10M production lines: 305 commits each writing
 * the 40 MB paths_hash). Commits made rarer as the tables grow keep the
 * cost per record flat, up to STORE_TXN_MAX. The names are one measure;
 * the pages the last commit wrote are the other, whatever index grew
 * (requests_join's clients before schema/016, with request blocks: 4M
 * production lines wrote 900 pages, 14 MiB, per 32,768 records, 440
 * bytes a record for a database of 60): STORE_TXN_PER_PAGE records a
 * page keeps that under 256 bytes. A record per name stored (not per
 * eight) halved the pages 10M lines wrote (105,601 -> 51,455) but not
 * ingest's CPU (user 17.2 -> 16.9 s, sys 2.8 -> 3.1 s), and took peak
 * RSS from 60.7 to 62.3 MiB: not taken.
 *
 * The floor, STORE_TXN_MIN, rules at 1M and 10M production lines (17
 * minutes of log at 1M): each commit upserts every rollup and latency
 * key its minutes touched (a minute cut by a commit is written twice)
 * and rewrites most of paths_hash and shapes_hash. 32,768 -> 65,536: 1M
 * lines 32 -> 17 commits, latency upserts 60,130 -> 42,194, WAL pages
 * 6,774 -> 5,427, writer instructions 4.50G -> 4.27G (-5.3%); 10M lines
 * 266 -> 154 commits, WAL pages 106k -> 81k, peak RSS 62.4 -> 62.3 MiB.
 * 131,072 took 10M lines' peak RSS to 63.9 MiB (more new names held
 * per transaction), 98,304 to 63.6 MiB.
 */
int64_t
store_txn_target(const struct store *s)
{
	int64_t names = s->keys[INTERN_PATH].max_id +
	    s->keys[INTERN_SHAPE].max_id;
	int64_t t = names / 8;

	if (s->txn_pages > t / STORE_TXN_PER_PAGE)
		t = s->txn_pages > STORE_TXN_MAX / STORE_TXN_PER_PAGE ?
		    STORE_TXN_MAX : s->txn_pages * STORE_TXN_PER_PAGE;

	return t < STORE_TXN_MIN ? STORE_TXN_MIN : t > STORE_TXN_MAX ?
	    STORE_TXN_MAX : t;
}

/* See store.h. */
int
store_end_batches(struct store *s, char *err, size_t errlen)
{
	if (!s->txn_open)
		return 0;
	s->txn_open = false;
	if (store_commit(s, err, errlen) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

/* See store_int.h: after a batch, commit unless the transaction holds. */
int
store_batch_done(struct store *s, int64_t records, char *err,
    size_t errlen)
{
	if (!s->hold)
		return store_commit(s, err, errlen);
	s->txn_open = true;
	s->txn_records += records;
	if (s->txn_records < store_txn_target(s))
		return 0;
	s->txn_open = false;
	return store_commit(s, err, errlen);
}

/*
 * Inside the write transaction: has another process upgraded the schema
 * since we read the name-hash key (a newer gatewatch opened the database
 * while this one runs, e.g. a long `tail`)? Its migrations may have
 * changed what we cache: the key paths and shapes are hashed under (a
 * name hashed with a stale key is not found, stored again, and hidden
 * from every later writer), the ids behind the caches. A schema this
 * build knows: read the key again and empty the caches and key sets (they
 * reload on next use). A newer one: refuse, before anything is written;
 * this build cannot write its rows. PRAGMA user_version reads the
 * database header, already in the page cache: no cost worth a
 * data_version test first. 0, or -1 with err filled.
 */
static int
db_schema_check(struct store *s, char *err, size_t errlen)
{
	int v;

	if (db_user_version(s, &v, err, errlen) != 0)
		return -1;
	if (v == s->schema_version)
		return 0;
	if (v < s->schema_version || v > db_schema_count())
		return store_fail(err, errlen, "%s: the database was changed "
		    "to schema version %d by another program while this "
		    "gatewatch (schema %d) had it open; nothing more is "
		    "written: run this command again with the gatewatch that "
		    "upgraded it", s->path != NULL ? s->path : "database", v,
		    s->schema_version);
	if (intern_load_key(s, err, errlen) != 0)
		return -1;
	intern_clear_all(s);
	s->schema_version = v;
	return 0;
}

/*
 * Start the write transaction of a batch (takes the write lock now); the
 * schema is checked (db_schema_check), the intern caches are emptied if
 * pruning removed strings meanwhile, and the key sets take the names
 * other writers stored meanwhile.
 */
int
store_begin(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	/* a held transaction (store_set_ingest) ends before another */
	if (s->txn_open && store_end_batches(s, err, errlen) != 0)
		return -1;
	s->txn_records = 0;
	ckpt_before_begin(s);
	/* ROLLBACK prepared before the transaction opens: out of memory
	 * must not leave store_rollback() unable to compile it */
	if (store_stmt(s, STMT_ROLLBACK, err, errlen) == NULL ||
	    (st = store_stmt(s, STMT_BEGIN, err, errlen)) == NULL ||
	    store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	if (db_schema_check(s, err, errlen) != 0 ||
	    prune_epoch_check(s, err, errlen) != 0 ||
	    intern_keys_begin(s, err, errlen) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

/*
 * Commit the batch transaction, with the open request block and the new
 * names still queued (blocks.c, intern.c); 0 or -1 (the caller then
 * rolls back).
 */
int
store_commit(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	int pages = 0, hi = 0;

	/* the zip finishes the open block while the rollups and names go in */
	if (blocks_flush_start(s, err, errlen) != 0 ||
	    rollup_flush(s, err, errlen) != 0 ||
	    intern_flush(s, err, errlen) != 0 ||
	    blocks_flush(s, err, errlen) != 0 ||
	    (st = store_stmt(s, STMT_COMMIT, err, errlen)) == NULL ||
	    store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	/* pages written since the last look: this transaction's */
	if (sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &hi,
	    1) == SQLITE_OK)
		s->txn_pages = pages;
	s->committed_requests += s->txn_requests;
	s->committed_rejects += s->txn_rejects;
	s->txn_requests = s->txn_rejects = 0;
	return 0;
}

/* See store.h. */
void
store_committed(const struct store *s, int64_t *requests, int64_t *rejects)
{
	*requests = s->committed_requests;
	*rejects = s->committed_rejects;
}

/* See store_int.h. */
void
store_rollback_txn(struct store *s)
{
	sqlite3_stmt *st;

	if (sqlite3_get_autocommit(s->db))
		return;
	if ((st = store_stmt(s, STMT_ROLLBACK, NULL, 0)) != NULL) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	/* Not even ROLLBACK could be prepared (out of memory): the text. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Undo the batch transaction, if one is open, and forget what memory
 * learnt inside it (interned ids may have been rolled back, joins undone
 * that the error filter had already taken off its counts, a longest
 * request time whose store_meta row was not written).
 */
void
store_rollback(struct store *s)
{
	store_rollback_txn(s);
	s->txn_open = false;
	s->txn_records = 0;
	s->txn_requests = s->txn_rejects = 0;
	intern_clear_all(s);
	rollup_map_clear(&s->rollup_req);
	rollup_map_clear(&s->rollup_att);
	latency_map_clear(&s->latency);
	s->dash_upstream = 0;
	runs_forget(s);
	blocks_forget(s);
	s->max_request_ms = 0;	/* re-read from store_meta by the next batch */
	s->tz_known = false;	/* likewise */
	join_filter_reset(s);
	s->new_errors.n = 0;
	s->candidates.n = 0;
	s->n_probes = 0;
}

/* See store.h. */
void
store_set_progress(struct store *s, int (*fn)(void *), void *ctx)
{
	sqlite3_progress_handler(s->db, STORE_PROGRESS_STEPS, fn, ctx);
}

/* See store_int.h. */
char *
store_col_dup(sqlite3_stmt *st, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *r;

	if (t == NULL)
		return NULL;
	if ((r = gw_strdup((const char *)t)) == NULL)
		*oom = true;
	return r;
}
