/*
 * blocks.c - the writer's side of request_blocks (schema/015): plain
 * requests encoded into the current block (block.c), which goes in as one
 * row when it is full and at the end of each batch, inside the batch's
 * transaction (so the batch's position and its rows commit together).
 * A rollback forgets the block being built, as it forgets the batch.
 */
#include <stdlib.h>

#include "store/block.h"
#include "store/store_int.h"

/* zstd level 1 (prod1m, user CPU of ingest / bytes a request): level 3
 * 2.01 s / 62.9 B, 1 1.80 s / 63.4 B, -1 1.74 s / 67.3 B, -5 1.69 s /
 * 69.3 B (loaded machine: a rough guide). */
#define BLOCKS_LEVEL	1

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
	*id = (rows > blocks ? rows : blocks) + 1;
	/*
	 * SQLite's own next rowid is the same (max + 1) unless blocks hold
	 * ids: an INSERT that names its rowid costs a seek to check it is
	 * free (+6% writer instructions on 200k production lines).
	 */
	*given = s->blocks || blocks > rows;
	return 0;
}

/* See store_int.h. */
int
blocks_flush(struct store *s, char *err, size_t errlen)
{
	struct block_enc *e = s->blk;
	const uint8_t *p;
	size_t n;
	sqlite3_stmt *st;

	if (e == NULL || e->nrow == 0)
		return 0;
	if (block_enc_finish(e, &p, &n) != 0)
		return store_fail(err, errlen, "out of memory");
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
}
