/*
 * blocks.c - the writer's side of request_blocks (schema/015): plain
 * requests encoded into the current block (block.c), which goes in as one
 * row when it is full and at the end of each batch, inside the batch's
 * transaction (so the batch's position and its rows commit together).
 * A rollback forgets the block being built, as it forgets the batch.
 *
 * A batch of few plain requests (tail's, every few hundred ms) would leave
 * a small block each: a block of fewer than BLOCKS_SMALL requests is
 * instead merged into the last stored block when the two fit in one and
 * its ids come after that block's (decoded, encoded again with these
 * rows, written over it), so a block grows to BLOCK_MAX_ROWS before a new
 * one starts.
 */
#include <stdlib.h>
#include <string.h>

#include "store/block.h"
#include "store/store_int.h"

/* zstd level 1 (prod1m, user CPU of ingest / bytes a request): level 3
 * 2.01 s / 62.9 B, 1 1.80 s / 63.4 B, -1 1.74 s / 67.3 B, -5 1.69 s /
 * 69.3 B (loaded machine: a rough guide). */
#define BLOCKS_LEVEL	1
#define BLOCKS_SMALL	(BLOCK_MAX_ROWS / 4)

/* What a merge needs, made on first use (blocks_merge). */
struct blocks_merge {
	struct block_dec old, add;
	struct block_enc enc;
};

/* See store_int.h. */
int
blocks_next_id(struct store *s, int64_t *id, bool *given, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_BLOCKS_NEXT_ID, err, errlen);
	int64_t rows = 0, blocks = 0;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rows = sqlite3_column_int64(st, 0);
		blocks = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "next request id");
	/* a database's largest id (external input) may leave none after it */
	if ((rows > blocks ? rows : blocks) == INT64_MAX)
		return store_fail(err, errlen, "no request id left after %lld",
		    (long long)INT64_MAX);
	*id = (rows > blocks ? rows : blocks) + 1;
	/*
	 * SQLite's own next rowid is the same (max + 1) unless blocks hold
	 * ids: an INSERT that names its rowid costs a seek to check it is
	 * free (+6% writer instructions on 200k production lines).
	 */
	*given = s->blocks || blocks > rows;
	return 0;
}

static struct blocks_merge *blocks_merge_get(struct store *s);

/*
 * Merge the finished block p[0..n) (s->blk's rows) into the last stored
 * block when they fit together and its ids come after that block's:
 * 1 merged, 0 not (stored as a block of its own then), -1 error.
 */
static int
blocks_merge(struct store *s, const uint8_t *p, size_t n, char *err,
    size_t errlen)
{
	struct blocks_merge *m = s->blk_merge;
	sqlite3_stmt *st = store_stmt(s, STMT_BLOCKS_LAST, err, errlen);
	int64_t first, last;
	const uint8_t *q;
	size_t qn;
	int rc;

	if (st == NULL)
		return -1;
	if (m == NULL && (m = blocks_merge_get(s)) == NULL)
		return store_fail(err, errlen, "out of memory");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 :
		    store_fail_db(s, err, errlen, "last block");
	}
	first = sqlite3_column_int64(st, 0);
	last = sqlite3_column_int64(st, 1);
	/* a damaged block stays as it is: no merge (n is the file's: not
	 * added to, it may be any integer) */
	rc = sqlite3_column_int64(st, 2) <= BLOCK_MAX_ROWS - s->blk->nrow &&
	    last < s->blk_first && sqlite3_column_blob(st, 3) != NULL &&
	    block_decode(&m->old, sqlite3_column_blob(st, 3),
	    (size_t)sqlite3_column_bytes(st, 3), BLOCK_REQUEST_COLUMNS) == 0;
	sqlite3_reset(st);
	if (!rc || block_decode(&m->add, p, n, BLOCK_REQUEST_COLUMNS) != 0)
		return 0;
	block_enc_reset(&m->enc);
	for (int r = 0; r < m->old.nrow; r++)
		if (block_enc_row(&m->enc, block_dec_row(&m->old, r)) != 0)
			return 0;
	for (int r = 0; r < m->add.nrow; r++)
		if (block_enc_row(&m->enc, block_dec_row(&m->add, r)) != 0)
			return 0;
	if (block_enc_finish(&m->enc, &q, &qn) != 0)
		return store_fail(err, errlen, "out of memory");
	if ((st = store_stmt(s, STMT_BLOCKS_REPLACE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, s->blk_last);
	sqlite3_bind_int(st, 3, m->enc.nrow);
	sqlite3_bind_blob(st, 4, q, (int)qn, SQLITE_STATIC);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	return 1;
}

/* See store_int.h. */
int
blocks_flush(struct store *s, char *err, size_t errlen)
{
	struct block_enc *e = s->blk;
	const uint8_t *p;
	size_t n;
	sqlite3_stmt *st;
	int rc;

	if (e == NULL || e->nrow == 0)
		return 0;
	if (block_enc_finish(e, &p, &n) != 0)
		return store_fail(err, errlen, "out of memory");
	if (e->nrow < BLOCKS_SMALL &&
	    (rc = blocks_merge(s, p, n, err, errlen)) != 0) {
		if (rc < 0)
			return -1;
		block_enc_reset(e);
		return 0;
	}
	if ((st = store_stmt(s, STMT_BLOCKS_INSERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, s->blk_first);
	sqlite3_bind_int64(st, 2, s->blk_last);
	sqlite3_bind_int(st, 3, e->nrow);
	sqlite3_bind_blob(st, 4, p, (int)n, SQLITE_STATIC);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	block_enc_reset(e);
	return 0;
}

/* See store_int.h. */
int
blocks_add(struct store *s, const struct block_val *row, char *err,
    size_t errlen)
{
	int rc;

	if (s->blk == NULL) {
		if ((s->blk = malloc(sizeof(*s->blk))) == NULL)
			return -1;
		if (block_enc_init(s->blk, BLOCK_REQUEST_COLUMNS,
		    BLOCKS_LEVEL) != 0) {
			free(s->blk);
			s->blk = NULL;
			return -1;
		}
	}
	if ((rc = block_enc_row(s->blk, row)) == 1) {
		if (blocks_flush(s, err, errlen) != 0)
			return -2;
		rc = block_enc_row(s->blk, row);
	}
	if (rc != 0)
		return -1;	/* too big for a block: a row instead */
	if (s->blk->nrow == 1)
		s->blk_first = row[BC_ID].i;
	s->blk_last = row[BC_ID].i;
	return 0;
}

/* The merge's decoder and encoder, made on first use. */
static struct blocks_merge *
blocks_merge_get(struct store *s)
{
	struct blocks_merge *m = s->blk_merge;

	if (m != NULL)
		return m;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (block_enc_init(&m->enc, BLOCK_REQUEST_COLUMNS, BLOCKS_LEVEL) != 0) {
		free(m);
		return NULL;
	}
	block_dec_init(&m->old);
	block_dec_init(&m->add);
	s->blk_merge = m;
	return m;
}

/* Bind block value v at parameter i of st. */
static void
blocks_bind(sqlite3_stmt *st, int i, const struct block_val *v)
{
	switch (v->type) {
	case BLOCK_INT:
		sqlite3_bind_int64(st, i, v->i);
		break;
	case BLOCK_TEXT:
		sqlite3_bind_text(st, i, v->n > 0 ? v->p : "", (int)v->n,
		    SQLITE_TRANSIENT);
		break;
	case BLOCK_BLOB:
		sqlite3_bind_blob(st, i, v->n > 0 ? v->p : "", (int)v->n,
		    SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_bind_null(st, i);
	}
}

/* Insert request row (a block's, BLOCK_REQUEST_COLUMNS values) into
 * requests, its path interned; 0 or -1. */
static int
blocks_insert_row(struct store *s, const struct block_val *row, char *err,
    size_t errlen)
{
	const struct block_val *pv = &row[BC_PATH];
	int64_t path_id = 0;
	sqlite3_stmt *st;
	int p = 2;

	if (pv->type == BLOCK_TEXT) {
		char *path = malloc((size_t)pv->n + 1);
		int rc;

		if (path == NULL)
			return store_fail(err, errlen, "out of memory");
		memcpy(path, pv->n > 0 ? pv->p : "", pv->n);
		path[pv->n] = '\0';
		rc = intern_id(s, INTERN_PATH, path, &path_id, err, errlen);
		free(path);
		if (rc != 0)
			return -1;
	}
	if ((st = store_stmt(s, STMT_REQUEST_INSERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, row[BC_ID].i);
	/* REQUEST_INSERT_INTO's columns: the block's but error_id (NULL
	 * when written), path_id for the path */
	for (int c = BC_SOURCE_ID; c < BLOCK_REQUEST_COLUMNS; c++) {
		if (c == BC_ERROR_ID)
			continue;
		if (c == BC_PATH) {
			if (path_id != 0)
				sqlite3_bind_int64(st, p, path_id);
			else
				sqlite3_bind_null(st, p);
		} else
			blocks_bind(st, p, &row[c]);
		p++;
	}
	return store_stmt_run(s, st, err, errlen);
}

/* See store_int.h. */
int
blocks_promote(struct store *s, int64_t id, char *err, size_t errlen)
{
	struct blocks_merge *m;
	sqlite3_stmt *st;
	int64_t first, last;
	int rc, at = -1;

	if ((st = store_stmt(s, STMT_BLOCKS_HAS_ROW, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, "request row");
	if ((m = blocks_merge_get(s)) == NULL)
		return store_fail(err, errlen, "out of memory");
	if ((st = store_stmt(s, STMT_BLOCKS_OF_ID, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 :
		    store_fail_db(s, err, errlen, "request block");
	}
	first = sqlite3_column_int64(st, 0);
	last = sqlite3_column_int64(st, 1);
	rc = last >= id && sqlite3_column_blob(st, 3) != NULL ?
	    block_decode(&m->old, sqlite3_column_blob(st, 3),
	    (size_t)sqlite3_column_bytes(st, 3), BLOCK_REQUEST_COLUMNS) : 1;
	sqlite3_reset(st);
	if (rc < 0)
		return store_fail(err, errlen, "request block %lld: damaged",
		    (long long)first);
	if (rc > 0)
		return 0;
	for (int r = 0; r < m->old.nrow && at < 0; r++)
		if (block_dec_row(&m->old, r)[BC_ID].i == id)
			at = r;
	if (at < 0)
		return 0;
	if (blocks_insert_row(s, block_dec_row(&m->old, at), err, errlen) != 0)
		return -1;
	/* the block without it: written again, under its new first id */
	if ((st = store_stmt(s, STMT_BLOCKS_DELETE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	if (m->old.nrow == 1)
		return 0;
	block_enc_reset(&m->enc);
	for (int r = 0; r < m->old.nrow; r++)
		if (r != at && block_enc_row(&m->enc,
		    block_dec_row(&m->old, r)) != 0)
			return store_fail(err, errlen, "request block %lld",
			    (long long)first);
	{
		const uint8_t *q;
		size_t qn;

		if (block_enc_finish(&m->enc, &q, &qn) != 0)
			return store_fail(err, errlen, "out of memory");
		if ((st = store_stmt(s, STMT_BLOCKS_INSERT, err,
		    errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, block_dec_row(&m->old,
		    at == 0 ? 1 : 0)[BC_ID].i);
		sqlite3_bind_int64(st, 2, block_dec_row(&m->old,
		    at == m->old.nrow - 1 ? at - 1 : m->old.nrow - 1)[BC_ID].i);
		sqlite3_bind_int(st, 3, m->enc.nrow);
		sqlite3_bind_blob(st, 4, q, (int)qn, SQLITE_STATIC);
		return store_stmt_run(s, st, err, errlen);
	}
}

/*
 * Whether decoded block d agrees with its row (first_id, last_id, n): ids
 * integers, ascending, from first to last, n of them (as requests_all
 * checks: a forged file may say otherwise).
 */
static bool
blocks_agree(const struct block_dec *d, int64_t first, int64_t last,
    int64_t n)
{
	if (d->nrow < 1 || n != d->nrow)
		return false;
	for (int r = 0; r < d->nrow; r++) {
		const struct block_val *id = &block_dec_row(d, r)[BC_ID];

		if (id->type != BLOCK_INT || (r > 0 &&
		    id->i <= block_dec_row(d, r - 1)[BC_ID].i))
			return false;
	}
	return block_dec_row(d, 0)[BC_ID].i == first &&
	    block_dec_row(d, d->nrow - 1)[BC_ID].i == last;
}

/* Write m->enc's rows as a block of ids first..last; 0 or -1. */
static int
blocks_put(struct store *s, struct blocks_merge *m, int64_t first,
    int64_t last, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const uint8_t *q;
	size_t qn;

	if (block_enc_finish(&m->enc, &q, &qn) != 0)
		return store_fail(err, errlen, "out of memory");
	if ((st = store_stmt(s, STMT_BLOCKS_INSERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_int(st, 3, m->enc.nrow);
	sqlite3_bind_blob(st, 4, q, (int)qn, SQLITE_STATIC);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	block_enc_reset(&m->enc);
	return 0;
}

/*
 * See store_int.h. The block is decoded, checked as requests_all checks
 * it, and its rows not taken are encoded again, in id order: one block,
 * or more should the encoder's bound (it counts each value's largest
 * size) find them too many bytes for one, each under its own first id,
 * so blocks still do not overlap. Every id asked for is found first, so
 * a block that disagrees is refused before anything is written.
 */
int
blocks_take(struct store *s, const int64_t *ids, size_t n, size_t *used,
    blocks_taken_fn *fn, void *ctx, char *err, size_t errlen)
{
	struct blocks_merge *m;
	sqlite3_stmt *st;
	int64_t first, last, stored, kfirst = 0, klast = 0;
	size_t j = 0;
	int rc;

	*used = 0;
	if (n == 0)
		return 0;
	if ((m = blocks_merge_get(s)) == NULL)
		return store_fail(err, errlen, "out of memory");
	if ((st = store_stmt(s, STMT_BLOCKS_OF_ID, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ids[0]);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? store_fail(err, errlen,
		    "request %lld: in no row and no block", (long long)ids[0]) :
		    store_fail_db(s, err, errlen, "request block");
	}
	first = sqlite3_column_int64(st, 0);
	last = sqlite3_column_int64(st, 1);
	stored = sqlite3_column_int64(st, 2);
	rc = sqlite3_column_blob(st, 3) != NULL ? block_decode(&m->old,
	    sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
	    BLOCK_REQUEST_COLUMNS) : -1;
	sqlite3_reset(st);
	if (rc != 0 || !blocks_agree(&m->old, first, last, stored))
		return store_fail(err, errlen, "request block %lld: damaged",
		    (long long)first);
	/* every id asked for that the block's range holds is one of its */
	for (int r = 0; r < m->old.nrow && j < n; r++) {
		int64_t id = block_dec_row(&m->old, r)[BC_ID].i;

		if (ids[j] < id)
			break;
		if (ids[j] == id)
			j++;
	}
	if (j == 0 || (j < n && ids[j] <= last))
		return store_fail(err, errlen, "request %lld: not in request "
		    "block %lld", (long long)ids[j < n ? j : 0],
		    (long long)first);
	if ((st = store_stmt(s, STMT_BLOCKS_DELETE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	block_enc_reset(&m->enc);
	for (int r = 0, k = 0; r < m->old.nrow; r++) {
		const struct block_val *row = block_dec_row(&m->old, r);

		if ((size_t)k < j && ids[k] == row[BC_ID].i) {
			fn(ctx, row);
			k++;
			continue;
		}
		if ((rc = block_enc_row(&m->enc, row)) == 1) {
			if (blocks_put(s, m, kfirst, klast, err, errlen) != 0)
				return -1;
			rc = block_enc_row(&m->enc, row);
		}
		if (rc != 0)
			return store_fail(err, errlen, "request block %lld: "
			    "cannot be written again", (long long)first);
		if (m->enc.nrow == 1)
			kfirst = row[BC_ID].i;
		klast = row[BC_ID].i;
	}
	if (m->enc.nrow > 0 && blocks_put(s, m, kfirst, klast, err,
	    errlen) != 0)
		return -1;
	*used = j;
	return 0;
}

/* See store.h. */
void
store_set_blocks(struct store *s, bool on)
{
	s->blocks = on;
}

/* See store_int.h. */
void
blocks_forget(struct store *s)
{
	if (s->blk != NULL)
		block_enc_reset(s->blk);
}

/* See store_int.h. */
void
blocks_free(struct store *s)
{
	if (s->blk != NULL) {
		block_enc_free(s->blk);
		free(s->blk);
		s->blk = NULL;
	}
	if (s->blk_merge != NULL) {
		block_enc_free(&s->blk_merge->enc);
		block_dec_free(&s->blk_merge->old);
		block_dec_free(&s->blk_merge->add);
		free(s->blk_merge);
		s->blk_merge = NULL;
	}
}
