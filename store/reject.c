/*
 * reject.c - rejected lines: every one counted, a bounded number kept.
 *
 * A rejected line is kept (up to GW_REJECT_RAW_MAX bytes) so nothing is
 * lost silently, but a file of garbage would then grow the database by
 * 4 KiB a line (100,000 lines: 110 MB). So a source keeps its first
 * REJECT_KEEP_ALL rejected lines, then one in REJECT_SAMPLE_EVERY (the
 * 2000th, 3000th, ...: evenly spread, reproducible), and counts them all
 * in reject_counts, by reason, in the batch's transaction. The rank of a
 * line among its source's rejects comes from reject_counts itself, read
 * once per batch (a batch is one source), so it carries across runs.
 */
#include <string.h>

#include "store/store_int.h"

/* See store_int.h. */
bool
reject_keep(uint64_t rank)
{
	return rank <= REJECT_KEEP_ALL || rank % REJECT_SAMPLE_EVERY == 0;
}

/* Run st once (bound by the caller) and reset it; 0 or -1 with err. */
static int
reject_step(struct store *s, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "rejects");
	return 0;
}

/* See store_int.h. */
int
reject_write(struct store *s, const struct gw_batch *b, char *err,
    size_t errlen)
{
	sqlite3_stmt *seen = NULL, *count = NULL, *ins;
	uint64_t rank = 0;
	int rc = -1;

	if (b->n_rejects == 0)
		return 0;
	if ((seen = store_stmt(s, STMT_REJECT_SEEN, err, errlen)) == NULL)
		goto out;
	sqlite3_bind_int64(seen, 1, b->source_id);
	if (sqlite3_step(seen) != SQLITE_ROW) {
		store_fail_db(s, err, errlen, "rejects");
		goto out;
	}
	rank = (uint64_t)sqlite3_column_int64(seen, 0);
	sqlite3_reset(seen);
	for (size_t i = 0; i < b->n_rejects; i++) {
		const struct gw_reject *r = &b->rejects[i];
		const char *reason = r->reason != NULL ? r->reason : "?";
		size_t len = r->raw_len;
		bool keep = reject_keep(++rank);

		if (keep) {
			if ((ins = store_stmt(s, STMT_REJECT_INSERT, err,
			    errlen)) == NULL)
				goto out;
			if (len > GW_REJECT_RAW_MAX)
				len = GW_REJECT_RAW_MAX;
			sqlite3_bind_int64(ins, 1, b->source_id);
			sqlite3_bind_int64(ins, 2, (int64_t)r->line_no);
			sqlite3_bind_int64(ins, 3, (int64_t)r->offset);
			sqlite3_bind_text(ins, 4, reason, -1, SQLITE_STATIC);
			sqlite3_bind_blob(ins, 5, r->raw != NULL ? r->raw : "",
			    (int)len, SQLITE_STATIC);
			if (store_stmt_run(s, ins, err, errlen) != 0)
				goto out;
		}
		if ((count = store_stmt(s, STMT_REJECT_COUNT, err,
		    errlen)) == NULL)
			goto out;
		sqlite3_bind_int64(count, 1, b->source_id);
		sqlite3_bind_text(count, 2, reason, -1, SQLITE_STATIC);
		sqlite3_bind_int(count, 3, keep ? 1 : 0);
		if (reject_step(s, count, err, errlen) != 0)
			goto out;
	}
	rc = 0;
out:
	if (seen != NULL)
		sqlite3_reset(seen);
	return rc;
}

/* See store.h. */
int
store_reject_counts(struct store *s, int64_t source_id, int64_t *rejected,
    int64_t *kept, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*rejected = *kept = 0;
	if ((st = store_stmt(s, STMT_REJECT_TOTALS, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, source_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*rejected = sqlite3_column_int64(st, 0);
		*kept = sqlite3_column_int64(st, 1);
	} else {
		store_fail_db(s, err, errlen, "reject counts");
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}
