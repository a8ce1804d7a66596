/*
 * runs.c - request_runs (schema/013): where each second's requests are.
 *
 * The writer notes every request id it inserts with the second of its
 * ts_ms. Consecutive ids of one second extend the current run, kept in
 * memory; anything else starts a new one, and the old one is written
 * first if it moved since it was last written. runs_flush() writes the
 * current run before the batch commits, so request_runs always covers
 * every committed row. A log in time order writes one row per second
 * and batch; one out of order writes more, never a wrong one.
 *
 * Why extending a run across batches is safe: the next batch's first id
 * is last + 1 only when no other writer inserted in between and the
 * rows at the top were not pruned; any id below it that pruning removed
 * is below a kept row's and is never given out again (SQLite reuses
 * only ids above the largest one). A rollback forgets the run, as its
 * ids will be given out again; the next row then looks for the stored
 * run of its second that ends right before it (as does the first row a
 * handle writes), so a rolled-back and retried batch leaves the same
 * runs as one that went through, and a log ingested in several runs of
 * gatewatch one run per second.
 */
#include "core/floordiv.h"
#include "store/store_int.h"

/* See store_int.h. */
int64_t
runs_sec_of(int64_t ts_ms)
{
	return floor_div(ts_ms, 1000);
}

/* Write run r (insert it, or move its last id). */
static int
runs_put(struct store *s, const struct request_run *r, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_RUNS_PUT, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->sec);
	sqlite3_bind_int64(st, 2, r->first);
	sqlite3_bind_int64(st, 3, r->last);
	return store_stmt_run(s, st, err, errlen);
}

/* See store_int.h. */
int
runs_note(struct store *s, int64_t id, int64_t sec, char *err,
    size_t errlen)
{
	struct request_run *r = &s->run;

	if (r->have && r->sec == sec && id == r->last + 1) {
		r->last = id;
		r->dirty = true;
		return 0;
	}
	if (r->have && r->dirty && runs_put(s, r, err, errlen) != 0)
		return -1;
	if (!r->have) {
		/* a stored run of sec that ends right before id */
		sqlite3_stmt *st = store_stmt(s, STMT_RUNS_BEFORE, err, errlen);
		int rc;

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, sec);
		sqlite3_bind_int64(st, 2, id - 1);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			r->sec = sec;
			r->first = sqlite3_column_int64(st, 0);
			r->last = id;
			r->have = r->dirty = true;
		}
		sqlite3_reset(st);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_DONE)
			return store_fail_db(s, err, errlen, "request runs");
	}
	r->sec = sec;
	r->first = r->last = id;
	r->have = r->dirty = true;
	return 0;
}

/* See store_int.h. */
int
runs_flush(struct store *s, char *err, size_t errlen)
{
	struct request_run *r = &s->run;

	if (!r->have || !r->dirty)
		return 0;
	if (runs_put(s, r, err, errlen) != 0)
		return -1;
	r->dirty = false;
	return 0;
}

/* See store_int.h. */
void
runs_forget(struct store *s)
{
	s->run.have = s->run.dirty = false;
}
