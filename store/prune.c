/*
 * prune.c - retention: old rows removed in small transactions.
 *
 * A step (store_prune_step) is one BEGIN IMMEDIATE ... COMMIT that does
 * the first of these that has work:
 *   1. requests older than the raw cutoff, the max_rows oldest (through
 *      request_runs, schema/013), with their attempts (by runs of
 *      consecutive request ids, a range each) and the
 *      error-log lines joined to it (by the error ids the request and its
 *      attempts hold); then the rejected lines of each source up to the
 *      last line removed (rejects_source_line, schema 007): a reject has
 *      no time of its own and goes with the rows around it;
 *   2. error-log lines older than the cutoff that no remaining request
 *      owns: never joined, or arrived after their request was pruned
 *      (gateway_errors_time). Their times are the gateway's wall clock,
 *      so the cutoff is moved by the smallest UTC offset stored: a line
 *      goes only when it is old in every zone the logs were written in;
 *   3. rejects of sources last read before the cutoff (files of
 *      nothing but bad lines);
 *   4. rollup minutes older than the rollup cutoff, a few at a time.
 * With a size cap, pages in use above it make step 1 take the oldest
 * requests whatever their age, and, when no request is left, step 4 the
 * oldest rollup minutes.
 *
 * Only rows go: sources (their positions), capture statistics and the
 * cause table stay. Rollups are not changed by removing the raw rows
 * they count, so reports from rollups read the same before and after.
 * store_meta keeps how far each kind was pruned (schema 007) for the
 * readers' "partly pruned" notes.
 *
 * Interned strings (paths, hosts, shapes) go once no kept row
 * uses them. Each step first reads the rows written since the last one,
 * in id order (store_meta mark_request_id, mark_error_id; PRUNE_MARK_FACTOR
 * times as far as it removes), and notes on every string they name the
 * latest event time it was seen at (schema 007's last_ms, at most an hour
 * stale); only rows already read that way are ever removed, and how far
 * raw rows are gone is only raised, and rollups only pruned, once every
 * row is read. A string whose time lies more than an hour, the logs' UTC
 * offsets and the longest request before the pruning point is then used by
 * no kept row; a sweep, in a step that has read every row and at most once
 * every policy strings_every_ms (a sweep that removes some makes the
 * writers refill their caches), removes those. store_prune_strings() is
 * the exact, full-scan variant for `gatewatch prune`. Either raises
 * store_meta's intern_epoch; every writer compares that at the start of
 * its transactions (prune_epoch_check, from store_begin) and empties its
 * caches when it changed, so no cached id of a removed string is ever
 * written again.
 *
 * Request blocks (schema/015, store/blocks.c): on a database with any,
 * each step reads requests through requests_all (store/requests_vt.c) and
 * removes the same requests, in the same order and steps, as it would
 * were they all rows: a row is deleted, a block's request taken out of
 * its block, which is written again with the requests it keeps (deleted
 * when none is left; blocks_take). The marks read the blocks' requests
 * too (a block names its host and shape by id, its path as text), and so
 * does the exact sweep. Without blocks every statement reads the requests
 * table alone, as it did before them. A block that does not decode or
 * disagrees with its row fails the step, which removes nothing.
 *
 * held_ms, the time a step holds the write lock, ends when its commit is
 * done: our WAL hook notes that moment, then checkpoints as SQLite's
 * autocheckpoint would (1000 pages) with the lock already free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "store/prune.h"
#include "store/store_int.h"

/* A step prunes max_rows / this + 1 rollup minutes. */
#define PRUNE_ROLLUP_DIVISOR	16
/* When no UTC offset is known, error-log times may be as far back as UTC-12. */
#define PRUNE_TZ_WORST_MIN	(-12 * 60)
/*
 * Strings: one last seen (marked) this long before the pruning point,
 * plus the spread of local times (prune_strings_gc), is used by no kept
 * row: marks are at most an hour stale; a minute of slack.
 */
#define PRUNE_STRING_MARGIN_MS	(3660 * INT64_C(1000))
/* Size cap: prune down to this share of it, so freed pages take the
   next writes and the file stays under the cap. */
#define PRUNE_CAP_LOW_PCT	90

/* The interned kinds marked, in the column order of STMT_PRUNE_MARK_*. */
#define PRUNE_KINDS	3	/* paths, hosts, shapes (clients are inline) */
/* Slots of the memo of touched strings, per kind (power of two). */
#define PRUNE_MEMO	4096
/* Marks go this many times as far as a step's removals. */
#define PRUNE_MARK_FACTOR	4
/* A string's time is rewritten when it is this much older. */
#define PRUNE_TOUCH_STALE_MS	3600000

/* A string id seen at an event time (marking). */
struct prune_touch {
	int64_t id, ms;
};

/* What pruning remembers between steps; owned by struct store. */
struct prune_state {
	int64_t epoch;		/* intern_epoch our caches belong to */
	bool epoch_known;
	int64_t pruned_since_gc;	/* rows removed since strings were */
	bool gc_pending;	/* the last string sweep hit its limit */
	bool gc_done;		/* a sweep ran, at gc_last_ms (monotonic) */
	bool hooked;		/* prune_wal_hook installed */
	int64_t committed_us;		/* when the last commit was done */
	bool commit_seen;
	int64_t gc_last_ms;
	int64_t mark_req, mark_err;	/* rows marked up to these ids */
	bool blocks;		/* this step's database has request blocks */
	/* The time last written for a few string ids, to skip touches
	   that would change nothing (direct-mapped, per kind). */
	struct prune_touch memo[PRUNE_KINDS][PRUNE_MEMO];
};


/* A source and the last of its lines removed in this step. */
struct prune_mark {
	int64_t source_id, line_no;
};
struct prune_marks {
	struct prune_mark *v;
	size_t n, cap;
	bool oom;
};

/*
 * Statement id (stmt.c), reset and unbound, with the prune state
 * allocated; NULL on error.
 */
static sqlite3_stmt *
prune_stmt(struct store *s, enum store_stmt_id id, char *err, size_t errlen)
{
	if (s->prune == NULL && (s->prune = gw_calloc(1, sizeof(*s->prune))) ==
	    NULL) {
		store_fail(err, errlen, "out of memory");
		return NULL;
	}
	return store_stmt_fresh(s, id, err, errlen);
}

/* See store_int.h. */
void
prune_free(struct store *s)
{
	free(s->prune);
	s->prune = NULL;
}

/* One integer from a one-row statement; *null set when it was NULL. */
static int
prune_int(struct store *s, sqlite3_stmt *st, int64_t *v, bool *null,
    char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		if (null != NULL)
			*null = sqlite3_column_type(st, 0) == SQLITE_NULL;
		*v = sqlite3_column_int64(st, 0);
	} else if (null != NULL)
		*null = true;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "prune");
	return 0;
}

/* store_meta's key into *v; *found says whether it exists. */
static int
prune_meta_get(struct store *s, const char *key, int64_t *v, bool *found,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, STMT_META_GET, err, errlen);
	bool null;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (prune_int(s, st, v, &null, err, errlen) != 0)
		return -1;
	*found = !null;
	return 0;
}

/* Raise store_meta's key to v (never lowers it). */
static int
prune_meta_raise(struct store *s, const char *key, int64_t v, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, STMT_META_SET, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return store_stmt_run(s, st, err, errlen);
}

/* Strings were removed: raise intern_epoch, so writers empty caches. */
static int
prune_epoch_bump(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, STMT_PRUNE_EPOCH_BUMP, err, errlen);

	if (st == NULL)
		return -1;
	return store_stmt_run(s, st, err, errlen);
}

/* Remember that line_no of source_id was removed (keeps the highest). */
static void
prune_mark(struct prune_marks *m, int64_t source_id, int64_t line_no)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].source_id == source_id) {
			if (line_no > m->v[i].line_no)
				m->v[i].line_no = line_no;
			return;
		}
	}
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 8;
		struct prune_mark *nv = gw_realloc(m->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			m->oom = true;
			return;
		}
		m->v = nv;
		m->cap = ncap;
	}
	m->v[m->n].source_id = source_id;
	m->v[m->n].line_no = line_no;
	m->n++;
}

/* Order ids ascending (qsort). */
static int
prune_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Append id to a list; false when out of memory. */
static bool
prune_id_add(struct id_list *l, int64_t id)
{
	return id_list_add(l, id) == 0;
}

/* Delete error-log line id (joined to a request being removed). */
static int
prune_error(struct store *s, int64_t id, struct prune_marks *m,
    struct store_prune_result *r, char *err, size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, STMT_PRUNE_ERROR_ID, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		prune_mark(m, sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1));
		r->errors++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "prune errors");
	return 0;
}

/*
 * After requests below cutoff went: request_runs (schema/013) no longer
 * reaches above the largest id kept, and loses the runs below cutoff
 * whose rows are all gone. With blocks, the runs of the seconds sec_lo..
 * sec_hi (those of the requests removed: a run loses its last request
 * only in a step that removes one of its) left with no request, rows or
 * blocks'. 0 or -1.
 */
static int
prune_runs(struct store *s, int64_t cutoff, int64_t sec_lo, int64_t sec_hi,
    char *err, size_t errlen)
{
	static const enum store_stmt_id rows[] = {STMT_PRUNE_RUNS_ABOVE,
	    STMT_PRUNE_RUNS_CUT, STMT_PRUNE_RUNS_EMPTY};
	static const enum store_stmt_id all[] = {STMT_PRUNE_RUNS_ABOVE_ALL,
	    STMT_PRUNE_RUNS_CUT_ALL};
	struct id_list secs = {0}, firsts = {0};
	sqlite3_stmt *st;
	int rc, ret = -1;

	if (!s->prune->blocks) {
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			if ((st = prune_stmt(s, rows[i], err, errlen)) == NULL)
				return -1;
			if (rows[i] == STMT_PRUNE_RUNS_EMPTY)
				sqlite3_bind_int64(st, 1, runs_sec_of(cutoff) + 1);
			if (store_stmt_run(s, st, err, errlen) != 0)
				return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if ((st = prune_stmt(s, all[i], err, errlen)) == NULL ||
		    store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	if ((st = prune_stmt(s, STMT_PRUNE_RUNS_EMPTY_ALL, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, sec_lo);
	sqlite3_bind_int64(st, 2, sec_hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!prune_id_add(&secs, sqlite3_column_int64(st, 0)) ||
		    !prune_id_add(&firsts, sqlite3_column_int64(st, 1))) {
			sqlite3_reset(st);
			store_fail(err, errlen, "out of memory");
			goto out;
		}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "prune runs");
		goto out;
	}
	for (size_t i = 0; i < secs.n; i++) {
		if ((st = prune_stmt(s, STMT_PRUNE_RUN_DELETE, err,
		    errlen)) == NULL)
			goto out;
		sqlite3_bind_int64(st, 1, secs.v[i]);
		sqlite3_bind_int64(st, 2, firsts.v[i]);
		if (store_stmt_run(s, st, err, errlen) != 0)
			goto out;
	}
	ret = 0;
out:
	id_list_free(&secs);
	id_list_free(&firsts);
	return ret;
}

/* What step 1 removes besides requests, from rows and blocks alike. */
struct prune_taken {
	struct id_list reqs;		/* rows' ids: their attempts go */
	struct id_list errs;		/* error-log lines joined to them */
	struct prune_marks *m;
	struct store_prune_result *r;
	bool oom;
};

/* A request row removed: STMT_PRUNE_REQUESTS' columns (RETURNING). */
static void
prune_took_row(struct prune_taken *t, sqlite3_stmt *st)
{
	prune_mark(t->m, sqlite3_column_int64(st, 1),
	    sqlite3_column_int64(st, 2));
	if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
	    !prune_id_add(&t->errs, sqlite3_column_int64(st, 3)))
		t->oom = true;
	if (!prune_id_add(&t->reqs, sqlite3_column_int64(st, 4)))
		t->oom = true;
	/* its lone attempt, inline (schema/012) */
	if (sqlite3_column_int(st, 5) != 0) {
		t->r->attempts++;
		if (sqlite3_column_type(st, 6) != SQLITE_NULL &&
		    !prune_id_add(&t->errs, sqlite3_column_int64(st, 6)))
			t->oom = true;
	}
}

/*
 * blocks_taken_fn: a request taken out of its block, as prune_took_row
 * for a row. A block's request has no attempts of its own table and, as
 * written, no error-log line; a forged one's are removed with it.
 */
static void
prune_took_block_row(void *ctx, const struct block_val *row)
{
	struct prune_taken *t = ctx;

	prune_mark(t->m, row[BC_SOURCE_ID].i, row[BC_LINE_NO].i);
	if (row[BC_ERROR_ID].type == BLOCK_INT &&
	    !prune_id_add(&t->errs, row[BC_ERROR_ID].i))
		t->oom = true;
	if (row[BC_A_CAUSE].type != BLOCK_NULL) {
		t->r->attempts++;
		if (row[BC_A_ERROR_ID].type == BLOCK_INT &&
		    !prune_id_add(&t->errs, row[BC_A_ERROR_ID].i))
			t->oom = true;
	}
}

/*
 * Step 1 on a database with request blocks: the same requests as on rows
 * alone (the max_rows oldest below cutoff, marked, in the same order),
 * found through requests_all; each is deleted as a row when it is one,
 * else taken out of its block (blocks_take: the block written again with
 * the requests it keeps, a block wholly older deleted). Removing the same
 * requests in the same steps as a database without blocks keeps
 * raw_pruned_before_ms, the size cap's order and so every reader's
 * answer the same. A block that does not decode, or disagrees with what
 * requests_all read, fails the step (rolled back, nothing removed).
 */
static int
prune_requests_all(struct store *s, int64_t cutoff, int max_rows,
    struct prune_taken *t, int *n, int64_t *newest, int64_t *oldest,
    char *err, size_t errlen)
{
	struct id_list ids = {0}, blk = {0};
	sqlite3_stmt *st;
	int rc, ret = -1;
	bool oom = false;

	if ((st = prune_stmt(s, STMT_PRUNE_REQUESTS_ALL, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int(st, 2, max_rows);
	sqlite3_bind_int64(st, 3, s->prune->mark_req);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 1);

		if (*n == 0 || ts > *newest)
			*newest = ts;
		if (*n == 0 || ts < *oldest)
			*oldest = ts;
		(*n)++;
		if (!prune_id_add(&ids, sqlite3_column_int64(st, 0)))
			oom = true;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "prune requests");
		goto out;
	}
	if (oom) {
		store_fail(err, errlen, "out of memory");
		goto out;
	}
	if (ids.n > 1)
		qsort(ids.v, ids.n, sizeof(*ids.v), prune_id_cmp);
	for (size_t i = 0; i < ids.n; i++) {
		bool row = false;

		if (i > 0 && ids.v[i] == ids.v[i - 1])
			continue;
		if ((st = prune_stmt(s, STMT_PRUNE_REQUEST_ID, err,
		    errlen)) == NULL)
			goto out;
		sqlite3_bind_int64(st, 1, ids.v[i]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			prune_took_row(t, st);
			row = true;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			store_fail_db(s, err, errlen, "prune requests");
			goto out;
		}
		if (!row && !prune_id_add(&blk, ids.v[i])) {
			store_fail(err, errlen, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0, used; i < blk.n; i += used)
		if (blocks_take(s, blk.v + i, blk.n - i, &used,
		    prune_took_block_row, t, err, errlen) != 0)
			goto out;
	ret = 0;
out:
	id_list_free(&ids);
	id_list_free(&blk);
	return ret;
}

/*
 * Step 1: the oldest requests below cutoff, with their attempts and
 * joined error lines. *n gets how many requests went, *newest the
 * highest event time among them.
 */
static int
prune_requests(struct store *s, int64_t cutoff, int max_rows,
    struct prune_marks *m, struct store_prune_result *r, int *n,
    int64_t *newest, char *err, size_t errlen)
{
	struct prune_taken t = {.m = m, .r = r};
	sqlite3_stmt *st;
	int64_t oldest = 0;
	int rc, ret = -1;

	*n = 0;
	if (s->prune->blocks) {
		if (prune_requests_all(s, cutoff, max_rows, &t, n, newest,
		    &oldest, err, errlen) != 0)
			goto out;
	} else {
		if ((st = prune_stmt(s, STMT_PRUNE_REQUESTS, err,
		    errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, cutoff);
		sqlite3_bind_int(st, 2, max_rows);
		sqlite3_bind_int64(st, 3, s->prune->mark_req);
		/* RETURNING: every row is deleted by the first step. */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t ts = sqlite3_column_int64(st, 0);

			if (*n == 0 || ts > *newest)
				*newest = ts;
			(*n)++;
			prune_took_row(&t, st);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			store_fail_db(s, err, errlen, "prune requests");
			goto out;
		}
	}
	r->requests += *n;
	if (*n > 0 && prune_runs(s, cutoff, runs_sec_of(oldest),
	    runs_sec_of(*newest), err, errlen) != 0)
		goto out;
	/*
	 * Attempts by runs of consecutive request ids, one range each:
	 * the oldest requests of a followed log are mostly consecutive, and
	 * a range costs a third of the lookups one by one.
	 */
	if (t.reqs.n > 1)
		qsort(t.reqs.v, t.reqs.n, sizeof(*t.reqs.v), prune_id_cmp);
	for (size_t i = 0, j; i < t.reqs.n; i = j) {
		for (j = i + 1; j < t.reqs.n &&
		    t.reqs.v[j] == t.reqs.v[j - 1] + 1; j++)
			;
		if ((st = prune_stmt(s, STMT_PRUNE_ATTEMPTS, err, errlen)) == NULL)
			goto out;
		sqlite3_bind_int64(st, 1, t.reqs.v[i]);
		sqlite3_bind_int64(st, 2, t.reqs.v[j - 1]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			r->attempts++;
			if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
			    !prune_id_add(&t.errs, sqlite3_column_int64(st, 0)))
				t.oom = true;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			store_fail_db(s, err, errlen, "prune attempts");
			goto out;
		}
	}
	for (size_t i = 0; i < t.errs.n; i++)
		if (prune_error(s, t.errs.v[i], m, r, err, errlen) != 0)
			goto out;
	if (t.oom || m->oom) {
		store_fail(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
out:
	id_list_free(&t.reqs);
	id_list_free(&t.errs);
	return ret;
}

/* Rejects of each marked source up to its last line removed. */
static int
prune_rejects_marked(struct store *s, const struct prune_marks *m,
    int max_rows, struct store_prune_result *r, bool *more, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < m->n; i++) {
		sqlite3_stmt *st = prune_stmt(s, STMT_PRUNE_REJECTS_UPTO, err, errlen);
		int n;

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, m->v[i].source_id);
		sqlite3_bind_int64(st, 2, m->v[i].line_no);
		sqlite3_bind_int(st, 3, max_rows);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
		n = sqlite3_changes(s->db);
		r->rejects += n;
		if (n >= max_rows)
			*more = true;
	}
	return 0;
}

/* Step 2: error-log lines below cutoff (local time) no request owns. */
static int
prune_errors_old(struct store *s, int64_t cutoff_local, int max_rows,
    struct prune_marks *m, struct store_prune_result *r, int *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, STMT_PRUNE_ERRORS_OLD, err, errlen);
	int rc;

	*n = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, cutoff_local);
	sqlite3_bind_int(st, 2, max_rows);
	sqlite3_bind_int64(st, 3, s->prune->mark_err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		prune_mark(m, sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1));
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "prune errors");
	r->errors += *n;
	if (m->oom)
		return store_fail(err, errlen, "out of memory");
	return 0;
}

/* Run a one-parameter DELETE; *changes gets the rows it removed. */
static int
prune_delete(struct store *s, enum store_stmt_id id, int64_t a, int64_t b,
    int *changes, char *err, size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, id, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	*changes = sqlite3_changes(s->db);
	return 0;
}

/*
 * Step 4: rollup minutes below upto_minute, at most `minutes` of them
 * from the oldest. *did says whether any went; *more whether older than
 * upto_minute remain.
 */
static int
prune_rollups(struct store *s, int64_t upto_minute, int64_t minutes,
    struct store_prune_result *r, bool *did, bool *more, char *err,
    size_t errlen)
{
	static const enum store_stmt_id del[] = {STMT_PRUNE_ROLLUP_REQ,
	    STMT_PRUNE_ROLLUP_ATT, STMT_PRUNE_ROLLUP_LAT};
	sqlite3_stmt *st;
	int64_t oldest, upto;
	bool none;

	*did = false;
	if ((st = prune_stmt(s, STMT_PRUNE_ROLLUP_OLDEST, err, errlen)) == NULL ||
	    prune_int(s, st, &oldest, &none, err, errlen) != 0)
		return -1;
	if (none || oldest >= upto_minute)
		return 0;
	upto = oldest + minutes < upto_minute ? oldest + minutes : upto_minute;
	for (size_t i = 0; i < sizeof(del) / sizeof(del[0]); i++) {
		int n;

		if (prune_delete(s, del[i], upto, 0, &n, err, errlen) != 0)
			return -1;
		r->rollup_rows += n;
	}
	*did = true;
	/* Minutes are sparse: none left below the cutoff is done too. */
	if ((st = prune_stmt(s, STMT_PRUNE_ROLLUP_OLDEST, err, errlen)) == NULL ||
	    prune_int(s, st, &oldest, &none, err, errlen) != 0)
		return -1;
	*more = !none && oldest < upto_minute;
	if (!*more)
		upto = upto_minute;
	/* Raw rows of those minutes went before their rollups did. */
	if (upto < INT64_MAX / 60000 &&
	    (prune_meta_raise(s, "rollup_pruned_before_ms", upto * 60000, err,
	    errlen) != 0 || prune_meta_raise(s, "raw_pruned_before_ms",
	    upto * 60000, err, errlen) != 0))
		return -1;
	return 0;
}

/* Order touches by id, the latest time first (qsort). */
static int
prune_touch_cmp(const void *a, const void *b)
{
	const struct prune_touch *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->ms < y->ms) - (x->ms > y->ms);
}

/*
 * Mark the strings of up to max_rows rows after the cursor in store_meta
 * key (statement sel: id, time, then the PRUNE_KINDS string ids): each
 * distinct string gets the latest time it was seen at. *cursor gets the
 * new position, *caught_up whether no row is left after it.
 */
static int
prune_mark_rows(struct store *s, enum store_stmt_id sel, const char *key,
    int max_rows, int64_t *cursor, bool *caught_up, char *err,
    size_t errlen)
{
	static const enum store_stmt_id touch[PRUNE_KINDS] = {
	    STMT_PRUNE_TOUCH_PATH, STMT_PRUNE_TOUCH_HOST, STMT_PRUNE_TOUCH_SHAPE};
	struct prune_touch *v[PRUNE_KINDS] = {0};
	size_t n[PRUNE_KINDS] = {0};
	sqlite3_stmt *st;
	int64_t pos = 0, rows = 0;
	bool found;
	int rc, ret = -1;

	if (prune_meta_get(s, key, &pos, &found, err, errlen) != 0)
		return -1;
	if (!found)
		pos = 0;
	for (int k = 0; k < PRUNE_KINDS; k++)
		if ((v[k] = gw_malloc((size_t)max_rows * sizeof(*v[k]))) == NULL) {
			store_fail(err, errlen, "out of memory");
			goto out;
		}
	if ((st = prune_stmt(s, sel, err, errlen)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, pos);
	sqlite3_bind_int(st, 2, max_rows);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ms = sqlite3_column_int64(st, 1);

		pos = sqlite3_column_int64(st, 0);
		rows++;
		for (int k = 0; k < PRUNE_KINDS; k++) {
			if (sqlite3_column_type(st, 2 + k) == SQLITE_NULL)
				continue;
			v[k][n[k]].id = sqlite3_column_int64(st, 2 + k);
			v[k][n[k]++].ms = ms;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail_db(s, err, errlen, "prune marks");
		goto out;
	}
	for (int k = 0; k < PRUNE_KINDS; k++) {
		qsort(v[k], n[k], sizeof(*v[k]), prune_touch_cmp);
		for (size_t i = 0; i < n[k]; i++) {
			struct prune_touch *memo = &s->prune->memo[k][
			    (uint64_t)v[k][i].id & (PRUNE_MEMO - 1)];

			if (i > 0 && v[k][i].id == v[k][i - 1].id)
				continue;
			/* Written recently enough by us: nothing to do. */
			if (memo->id == v[k][i].id && memo->ms >=
			    v[k][i].ms - PRUNE_TOUCH_STALE_MS)
				continue;
			if ((st = prune_stmt(s, touch[k], err, errlen)) == NULL)
				goto out;
			sqlite3_bind_int64(st, 1, v[k][i].id);
			sqlite3_bind_int64(st, 2, v[k][i].ms);
			if (store_stmt_run(s, st, err, errlen) != 0)
				goto out;
			/* Now at least this recent (the UPDATE may have found
			   it recent enough already). */
			memo->id = v[k][i].id;
			memo->ms = v[k][i].ms;
		}
	}
	if (rows > 0 && prune_meta_raise(s, key, pos, err, errlen) != 0)
		goto out;
	*cursor = pos;
	*caught_up = rows < max_rows;
	ret = 0;
out:
	for (int k = 0; k < PRUNE_KINDS; k++)
		free(v[k]);
	return ret;
}

/*
 * Remove up to max_rows strings of each kind last seen well before the
 * pruning point; *more when a kind had more. Raises intern_epoch when
 * any went, so writers forget their cached ids.
 */
static int
prune_strings_gc(struct store *s, int max_rows, struct store_prune_result *r,
    bool *more, char *err, size_t errlen)
{
	static const enum store_stmt_id gc[PRUNE_KINDS] = {
	    STMT_PRUNE_GC_PATH, STMT_PRUNE_GC_HOST, STMT_PRUNE_GC_SHAPE};
	int64_t raw_gone, lo, longest, margin;
	bool found, tz_found, long_found;
	int total = 0;

	*more = false;
	if (prune_meta_get(s, "raw_pruned_before_ms", &raw_gone, &found, err,
	    errlen) != 0 ||
	    prune_meta_get(s, "tz_min_lo", &lo, &tz_found, err, errlen) != 0 ||
	    prune_meta_get(s, "max_request_ms", &longest, &long_found, err,
	    errlen) != 0)
		return -1;
	/*
	 * Kept requests are at or after raw_gone, their strings marked at
	 * most an hour before; kept error lines, in local time, up to the
	 * smallest UTC offset and the longest request earlier still.
	 */
	if (!tz_found)
		lo = PRUNE_TZ_WORST_MIN;
	if (!long_found || longest < 0)
		longest = 0;
	margin = PRUNE_STRING_MARGIN_MS + (lo < 0 ? -lo * 60000 : 0) + longest;
	if (!found || raw_gone < INT64_MIN + margin)
		return 0;
	for (int k = 0; k < PRUNE_KINDS; k++) {
		int n;

		/* As many as rows: with an id in every path, as many
		   strings come as rows. */
		int limit = max_rows;

		if (prune_delete(s, gc[k], raw_gone - margin, limit, &n, err,
		    errlen) != 0)
			return -1;
		total += n;
		if (n >= limit)
			*more = true;
	}
	r->strings += total;
	/* Ids of removed strings may be given out again: forget them. */
	if (total > 0)
		memset(s->prune->memo, 0, sizeof(s->prune->memo));
	if (total > 0 && prune_epoch_bump(s, err, errlen) != 0)
		return -1;
	return 0;
}

/* See prune.h. */
int
store_size(struct store *s, struct store_size *sz, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t pages = 0, free_pages = 0, page_size = 0;

	if ((st = prune_stmt(s, STMT_PRUNE_PAGES, err, errlen)) == NULL ||
	    prune_int(s, st, &pages, NULL, err, errlen) != 0 ||
	    (st = prune_stmt(s, STMT_PRUNE_FREE_PAGES, err, errlen)) == NULL ||
	    prune_int(s, st, &free_pages, NULL, err, errlen) != 0 ||
	    (st = prune_stmt(s, STMT_PRUNE_PAGE_SIZE, err, errlen)) == NULL ||
	    prune_int(s, st, &page_size, NULL, err, errlen) != 0)
		return -1;
	sz->page_size = page_size;
	sz->used_bytes = (pages - free_pages) * page_size;
	sz->free_bytes = free_pages * page_size;
	return 0;
}

/* The steps of store_prune_step() inside its transaction. */
static int
prune_step_txn(struct store *s, const struct store_prune_policy *p,
    int max_rows, bool caught_up, struct store_prune_result *r,
    struct prune_marks *m, char *err, size_t errlen)
{
	struct store_size sz;
	sqlite3_stmt *st;
	int64_t cut = p->raw_before_ms, newest = 0, lo, upto_minute;
	bool over = false, found, did;
	int n;

	if (p->max_bytes > 0) {
		if (store_size(s, &sz, err, errlen) != 0)
			return -1;
		over = sz.used_bytes > p->max_bytes / 100 * PRUNE_CAP_LOW_PCT;
	}
	if (over)
		cut = INT64_MAX;
	if (cut == INT64_MIN)
		goto rollups;

	/* 1. Requests, oldest first. */
	if (prune_requests(s, cut, max_rows, m, r, &n, &newest, err,
	    errlen) != 0)
		return -1;
	if (n > 0) {
		/*
		 * Below the newest removed, every request is gone - once
		 * every row is marked (only marked rows are removed).
		 */
		int64_t gone = n == max_rows || over ? newest : cut;

		if ((caught_up && prune_meta_raise(s, "raw_pruned_before_ms",
		    gone, err, errlen) != 0) ||
		    prune_rejects_marked(s, m, max_rows, r, &r->more, err,
		    errlen) != 0)
			return -1;
		r->capped = over;
		if (n == max_rows || over) {
			r->more = true;
			return 0;
		}
	}
	/*
	 * Over the cap, the rest waits until no request is left (some may
	 * wait for their strings to be marked). Left with every row marked,
	 * step 1 found none of them: no run names them (a damaged or forged
	 * file), and more steps would not find them either, so no more.
	 */
	if (over) {
		int64_t left = 0;

		if ((st = prune_stmt(s, s->prune->blocks ?
		    STMT_PRUNE_ANY_REQUEST_ALL : STMT_PRUNE_ANY_REQUEST, err,
		    errlen)) == NULL ||
		    prune_int(s, st, &left, NULL, err, errlen) != 0)
			return -1;
		if (left > 0) {
			r->more = !caught_up;
			return 0;
		}
	}

	/* 2. Error-log lines no request owns, old in every zone stored. */
	if (prune_meta_get(s, "tz_min_lo", &lo, &found, err, errlen) != 0)
		return -1;
	if (!found)
		lo = PRUNE_TZ_WORST_MIN;
	m->n = 0;
	if (prune_errors_old(s, cut == INT64_MAX ? INT64_MAX :
	    cut + lo * 60000 - 2000, max_rows, m, r, &n, err, errlen) != 0 ||
	    prune_rejects_marked(s, m, max_rows, r, &r->more, err, errlen) != 0)
		return -1;
	if (n > 0) {
		r->capped = over;
		if (n == max_rows || over) {
			r->more = true;
			return 0;
		}
	}

	/* 3. Rejects of sources last read before the cutoff. */
	if (prune_delete(s, STMT_PRUNE_REJECTS_STALE, cut, max_rows, &n, err,
	    errlen) != 0)
		return -1;
	r->rejects += n;
	if (n > 0) {
		r->capped = over;
		if (n == max_rows || over) {
			r->more = true;
			return 0;
		}
	}

rollups:
	/* 4. Rollup minutes, once the raw rows before them are gone (every
	   row marked); under the cap the oldest, whatever their age. */
	if (!caught_up)
		return 0;
	if (over)
		upto_minute = INT64_MAX / 60000;
	else if (p->rollup_before_ms == INT64_MIN)
		return 0;
	else
		upto_minute = rollup_minute_of(p->rollup_before_ms);
	if (prune_rollups(s, upto_minute, max_rows / PRUNE_ROLLUP_DIVISOR + 1,
	    r, &did, &r->more, err, errlen) != 0)
		return -1;
	if (did && over) {
		r->capped = true;
		r->more = true;
	}
	return 0;
}

/*
 * A step: mark the strings of new rows, remove what the policy says (only
 * rows already marked), and now and then the strings no kept row uses.
 */
static int
prune_step_marked(struct store *s, const struct store_prune_policy *p,
    int max_rows, struct store_prune_result *r, struct prune_marks *m,
    char *err, size_t errlen)
{
	struct prune_state *ps = s->prune;
	int64_t before = r->requests + r->errors, now_ms;
	bool caught_up = true, up_req = true, up_err = true, gc_more;

	/*
	 * No raw retention asked for: no row goes, nothing to mark. Marks
	 * go PRUNE_MARK_FACTOR times as far as removals, so they stay ahead
	 * of them even when rows come as fast as they go.
	 */
	bool marking = p->raw_before_ms != INT64_MIN || p->max_bytes > 0;

	if (marking) {
		if (prune_mark_rows(s, ps->blocks ? STMT_PRUNE_MARK_REQ_ALL :
		    STMT_PRUNE_MARK_REQ, "mark_request_id",
		    PRUNE_MARK_FACTOR * max_rows, &ps->mark_req, &up_req, err,
		    errlen) != 0 ||
		    prune_mark_rows(s, STMT_PRUNE_MARK_ERR, "mark_error_id",
		    PRUNE_MARK_FACTOR * max_rows, &ps->mark_err, &up_err, err,
		    errlen) != 0)
			return -1;
		caught_up = up_req && up_err;
	}
	if (prune_step_txn(s, p, max_rows, caught_up, r, m, err, errlen) != 0)
		return -1;
	ps->pruned_since_gc += r->requests + r->errors - before;
	now_ms = clk_mono_ms();
	bool gc_due = ps->gc_pending || (ps->pruned_since_gc > 0 &&
	    (!ps->gc_done || now_ms - ps->gc_last_ms >= p->strings_every_ms));
	/* A sweep needs every row marked: the rows written meanwhile. */
	if (gc_due && marking && !caught_up) {
		if (prune_mark_rows(s, ps->blocks ? STMT_PRUNE_MARK_REQ_ALL :
		    STMT_PRUNE_MARK_REQ, "mark_request_id",
		    PRUNE_MARK_FACTOR * max_rows, &ps->mark_req, &up_req, err,
		    errlen) != 0 ||
		    prune_mark_rows(s, STMT_PRUNE_MARK_ERR, "mark_error_id",
		    PRUNE_MARK_FACTOR * max_rows, &ps->mark_err, &up_err, err,
		    errlen) != 0)
			return -1;
		caught_up = up_req && up_err;
	}
	if (caught_up && gc_due) {
		if (prune_strings_gc(s, max_rows, r, &gc_more, err,
		    errlen) != 0)
			return -1;
		ps->gc_pending = gc_more;
		ps->pruned_since_gc = 0;
		ps->gc_done = true;
		ps->gc_last_ms = now_ms;
		if (gc_more)
			r->more = true;
	}
	if (!caught_up)
		r->more = true;
	return 0;
}

/*
 * A database made with auto_vacuum=incremental (by hand, before its
 * tables: gatewatch itself makes them without) gets its free pages
 * truncated off the file in each step, so it shrinks as rows go. Kept
 * for measuring it against free-list reuse (README, "Retention"): the
 * file then shrinks and grows again with every step, for more writes and
 * no smaller plateau.
 */
static int
prune_give_back(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t mode = 0;

	if ((st = prune_stmt(s, STMT_PRUNE_AUTO_VACUUM, err, errlen)) == NULL ||
	    prune_int(s, st, &mode, NULL, err, errlen) != 0)
		return -1;
	if (mode != 2)
		return 0;
	if ((st = prune_stmt(s, STMT_PRUNE_INCREMENTAL_VACUUM, err, errlen)) == NULL)
		return -1;
	return store_stmt_run(s, st, err, errlen);
}

/*
 * The connection's WAL hook: note when a commit is done (the write lock
 * is free again from then), then checkpoint as SQLite's own
 * autocheckpoint would (1000 pages). The time of a checkpoint is no time
 * a writer waits, so it does not count in held_ms.
 */
static int
prune_wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct store *s = ctx;

	s->prune->committed_us = clk_mono_us();
	s->prune->commit_seen = true;
	if (frames >= 1000)
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/*
 * Whether the database has request blocks (schema/015), noted in
 * s->prune->blocks inside the transaction (a writer with blocks on may
 * have added one since the last step). Without, every statement reads
 * the requests table alone, as before blocks (requests_all costs a
 * virtual table's steps per row); with, the requests, the marks and the
 * exact sweep read requests_all, and step 1 takes requests out of blocks.
 */
static int
prune_note_blocks(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t any = 0;

	if ((st = prune_stmt(s, STMT_PRUNE_HAS_BLOCKS, err, errlen)) == NULL ||
	    prune_int(s, st, &any, NULL, err, errlen) != 0)
		return -1;
	s->prune->blocks = any > 0;
	return 0;
}

/* The largest reject id given, kept before any is removed (reject ids
 * are never given twice: STMT_REJECT_INSERT); 0 or -1. */
static int
prune_reject_high(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, STMT_PRUNE_REJECT_HIGH, err, errlen);

	if (st == NULL)
		return -1;
	return store_stmt_run(s, st, err, errlen);
}

/* See prune.h. */
int
store_prune_step(struct store *s, const struct store_prune_policy *p,
    int max_rows, struct store_prune_result *r, char *err, size_t errlen)
{
	struct prune_marks m = {0};
	int64_t strings_before = r->strings;
	int64_t t0, t1;
	sqlite3_stmt *st;
	int rc;

	r->more = false;
	r->capped = false;
	if (max_rows < 1)
		max_rows = 1;
	if ((st = prune_stmt(s, STMT_BEGIN, err, errlen)) == NULL ||
	    store_stmt_run(s, st, err, errlen) != 0) {
		free(m.v);
		return -1;
	}
	t0 = clk_mono_us();
	if (!s->prune->hooked) {
		sqlite3_wal_hook(s->db, prune_wal_hook, s);
		s->prune->hooked = true;
	}
	s->prune->commit_seen = false;
	rc = prune_note_blocks(s, err, errlen);
	if (rc == 0)
		rc = prune_reject_high(s, err, errlen);
	if (rc == 0)
		rc = prune_step_marked(s, p, max_rows, r, &m, err, errlen);
	if (rc == 0)
		rc = prune_give_back(s, err, errlen);
	free(m.v);
	if (rc == 0 && ((st = prune_stmt(s, STMT_COMMIT, err, errlen)) == NULL ||
	    store_stmt_run(s, st, err, errlen) != 0))
		rc = -1;
	t1 = clk_mono_us();
	if (s->prune->commit_seen)
		t1 = s->prune->committed_us;
	r->held_ms = (double)(t1 - t0) / 1000.0;
	if (rc != 0) {
		/* Forget what this connection's caches learnt meanwhile. */
		store_rollback(s);
		memset(s->prune->memo, 0, sizeof(s->prune->memo));
		r->more = false;
	} else if (r->strings > strings_before) {
		intern_clear_all(s);
		s->dash_upstream = 0;
	}
	return rc;
}

/*
 * Interned strings no row refers to (STMT_PRUNE_STRINGS_*: for each
 * table, the columns that refer to it). upstreams (rollups name them too)
 * and methods are few and stay.
 */
static const enum store_stmt_id prune_strings_stmt[] = {
	STMT_PRUNE_STRINGS_PATH, STMT_PRUNE_STRINGS_HOST,
	STMT_PRUNE_STRINGS_SHAPE,
};
/*
 * The same on a database with blocks: the hosts and shapes their
 * requests name by id count too (requests_all; a block's path is its
 * text, so paths are still those of rows and error lines).
 */
static const enum store_stmt_id prune_strings_all[] = {
	STMT_PRUNE_STRINGS_PATH, STMT_PRUNE_STRINGS_HOST_ALL,
	STMT_PRUNE_STRINGS_SHAPE_ALL,
};

/* See prune.h. */
int
store_prune_strings(struct store *s, struct store_prune_result *r,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n = 0;

	if ((st = prune_stmt(s, STMT_BEGIN, err, errlen)) == NULL ||
	    store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	if (prune_note_blocks(s, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof(prune_strings_stmt) /
	    sizeof(prune_strings_stmt[0]); i++) {
		if ((st = prune_stmt(s, s->prune->blocks ?
		    prune_strings_all[i] : prune_strings_stmt[i], err,
		    errlen)) == NULL || store_stmt_run(s, st, err, errlen) != 0)
			goto fail;
		n += sqlite3_changes(s->db);
	}
	if (n > 0 && prune_epoch_bump(s, err, errlen) != 0)
		goto fail;
	if ((st = prune_stmt(s, STMT_COMMIT, err, errlen)) == NULL ||
	    store_stmt_run(s, st, err, errlen) != 0)
		goto fail;
	/* Our own caches may hold removed ids too. */
	intern_clear_all(s);
	s->dash_upstream = 0;
	s->prune->epoch_known = false;
	r->strings += n;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* See store_int.h: called at the start of every write transaction. */
int
prune_epoch_check(struct store *s, char *err, size_t errlen)
{
	int64_t epoch = 0;
	bool found;

	if (prune_meta_get(s, "intern_epoch", &epoch, &found, err,
	    errlen) != 0)
		return -1;
	if (!found)
		epoch = 0;
	if (s->prune->epoch_known && s->prune->epoch != epoch) {
		intern_clear_all(s);
		s->dash_upstream = 0;
	}
	s->prune->epoch = epoch;
	s->prune->epoch_known = true;
	return 0;
}

/* See prune.h. */
int
store_prune_vacuum(struct store *s, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail_db(s, err, errlen, "vacuum");
	return 0;
}

/* See prune.h. */
int
store_newest_event_ms(struct store *s, int64_t now_ms, int64_t *ms,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = prune_stmt(s, STMT_PRUNE_NEWEST, err, errlen);
	int64_t v;
	bool none;

	if (st == NULL || prune_int(s, st, &v, &none, err, errlen) != 0)
		return -1;
	*ms = none || v > now_ms ? now_ms : v;
	return 0;
}

/* See prune.h. */
int
store_pruned_before(struct store *s, int64_t *raw_ms, int64_t *rollup_ms,
    char *err, size_t errlen)
{
	bool found;

	if (prune_meta_get(s, "raw_pruned_before_ms", raw_ms, &found, err,
	    errlen) != 0)
		return -1;
	if (!found)
		*raw_ms = INT64_MIN;
	if (prune_meta_get(s, "rollup_pruned_before_ms", rollup_ms, &found,
	    err, errlen) != 0)
		return -1;
	if (!found)
		*rollup_ms = INT64_MIN;
	return 0;
}
