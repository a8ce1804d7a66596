/*
 * blocks.c - the writer's side of request_blocks (schema/015): plain
 * requests encoded into the current block (block.c), which goes in as one
 * row when it is full and when the transaction commits (or a join may
 * read it: blocks_flush), so a block may span the batches of one
 * transaction and the batches' positions and rows commit together.
 * A rollback forgets the block being built, as it forgets the batches.
 *
 * A transaction of few plain requests (tail's, a batch every few hundred
 * ms) would leave a small block each: a block of fewer than BLOCKS_SMALL requests is
 * instead merged into the last stored block when the two fit in one and
 * its ids come after that block's (decoded, encoded again with these
 * rows, written over it), so a block grows to BLOCK_MAX_ROWS before a new
 * one starts.
 *
 * The rows are encoded and each full block finished (laid out and
 * compressed: a third of the writer's instructions) on a helper thread,
 * the "zip" (below); the writer inserts the finished blocks in id order,
 * inside the batch's transaction, and the last, partial one of a batch
 * as before. Without the thread (it could not start) the writer encodes
 * and finishes every block itself.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/quiet_thread.h"
#include "store/block.h"
#include "store/store_int.h"

/* zstd level 1 (prod1m, user CPU of ingest / bytes a request): level 3
 * 2.01 s / 62.9 B, 1 1.80 s / 63.4 B, -1 1.74 s / 67.3 B, -5 1.69 s /
 * 69.3 B (loaded machine: a rough guide). Compression alone of the
 * packed part (request ids stored beside it, block.c), 1M lines, ns /
 * bytes a request: level 1 157 / 47.0, with a 2^13 hash table 142 /
 * 47.2, 2^12 (block.c's BLOCK_HASH_LOG) 133 / 47.7. */
#define BLOCKS_LEVEL	1
#define BLOCKS_SMALL	(BLOCK_MAX_ROWS / 4)

/* What a merge needs, made on first use (blocks_merge). */
struct blocks_merge {
	struct block_dec old, add;
	struct block_enc enc;
};

/*
 * The zip: the writer puts each plain request (its event and the ids
 * it gave: struct blocks_item) into a chunk of ZIP_CHUNK
 * and hands full chunks over into a queue of ZIP_QUEUE (it fills the next
 * while the zip encodes those queued, and waits only when all are
 * queued); the zip lays out each request's columns (client, request id
 * and protocol in their inline forms: a fifth of the writer's
 * instructions when it did so itself), encodes them into its encoder and
 * finishes (lays out, compresses) each full block into a slot, where it
 * waits in `done`, in id order, for the writer to insert it (at its next
 * hand-over). The current block stays open across the batches of a
 * transaction: blocks_flush (at the commit, or before a join that may
 * read plain requests) has the zip finish it and takes it back to merge
 * or insert. The events and their texts are the batch's: at the batch's
 * end blocks_release waits until the zip has read them all (encoded:
 * `consumed` reaches `handed`), not for the block to be finished; or,
 * behind store_sink_async, the writer goes on to the next batch and the
 * pipeline keeps this one until blocks_read says the zip read it.
 * With two chunks and the block finished at every batch's end, the
 * writer waited for the zip 0.28-0.49 s of a 1M production-line ingest
 * (1,300-1,700 waits, 2-core machine at load 2.4-3.0); with a queue of
 * ZIP_QUEUE chunks (a batch's plain requests) 0.03-0.16 s (50-80 waits,
 * load 5.8-6.0). A finished block waits in one of ZIP_SLOTS slots,
 * which takes its bytes from the encoder (block_enc_swap_out): the zip
 * waits for a free slot while the writer has not yet inserted the others
 * (it does at each hand-over and before it sleeps). Once the queue let
 * the zip run behind and catch up, it waited 0.5-1.1 s with two
 * finished blocks pending at most, 3-96 ms with three (load 5.5-6).
 * Those were three encoders of ~1.25 MiB each (resident: columns, layout,
 * zstd context); one encoder and three slots (~0.2 MiB each) hold as
 * many finished blocks (1M production lines: peak RSS 56.3 -> 54.1 MiB).
 * The mutex guards `done` and `n_done`, `queued`, `work`, `handed`,
 * `consumed`, `skip` and `failed`; the encoder and the chunk being worked
 * on are the zip's alone, a slot in `done` the writer's to read, the
 * chunk being filled (`fill`) the writer's.
 */
#define ZIP_CHUNK	256
#define ZIP_QUEUE	64
#define ZIP_SLOTS	3

/* The texts of a request a block holds (blocks_item). */
enum { BT_CLIENT, BT_PATH, BT_QUERY, BT_PROTOCOL, BT_REQUEST_ID, BT_COUNT };

/*
 * A request handed over: what the writer gave. Its texts' lengths are
 * the event's (event_strlen), read again by the zip: 64 bytes an item,
 * not 104 with them (ZIP_QUEUE x ZIP_CHUNK of them, 640 KiB less).
 */
struct blocks_item {
	struct blocks_req r;
};

/* A finished block waiting for the writer to insert it. */
struct zip_slot {
	struct block_buf buf;		/* its bytes (block_enc_swap_out) */
	int64_t first, last;		/* its ids */
	int nrow;
	bool partial;			/* finished by blocks_flush, not full */
};

struct blocks_zip {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct blocks_item *chunk[ZIP_QUEUE];	/* ZIP_CHUNK requests each */
	int n[ZIP_QUEUE];		/* requests in each */
	bool fin[ZIP_QUEUE];		/* the zip finishes its block after */
	int fill;			/* the writer's chunk */
	int work;			/* the oldest queued (the zip's) */
	int queued;			/* chunks handed over, not yet read */
	uint64_t handed, consumed;	/* requests handed over, read */
	int64_t top;			/* the last id handed since the last
					   blocks_flush (the writer's), or 0 */
	bool skip;			/* read nothing: dropping (rollback) */
	bool failed;			/* out of memory in the zip */
	struct block_enc enc;		/* the open block (rows: enc.nrow) */
	int64_t first, last;		/* its ids */
	struct zip_slot slot[ZIP_SLOTS];
	int head;			/* the oldest finished slot */
	int n_done;			/* slots head.. (a ring) finished */
};

/* An encoder of request blocks (its clients' addresses as 4 bytes). */
static int
blocks_enc_init(struct block_enc *e)
{
	if (block_enc_init(e, BLOCK_REQUEST_COLUMNS, BLOCKS_LEVEL) != 0)
		return -1;
	if (block_enc_u32_cols(e, BLOCK_REQUEST_U32_COLS) != 0) {
		block_enc_free(e);
		return -1;
	}
	return 0;
}

/* The length of text t whose event carries len, 0 for NULL. */
static inline size_t
blocks_len(const char *t, uint16_t len)
{
	return t != NULL ? event_strlen(t, len) : 0;
}

/* How a request's client, request id and protocol are stored (inline.c's
 * forms, as a row of requests holds them: write.c's write_bind_request),
 * its texts' lengths, and the bytes of its texts and blobs in a block. */
struct blocks_forms {
	size_t len[BT_COUNT];	/* 0 when NULL */
	int64_t v4;		/* >= 0: the client as this integer */
	int protocol;		/* >= 0: the protocol as this code */
	bool rid_blob;		/* the request id as the bytes of rid */
	uint8_t rid[STORE_RID_BYTES];
	size_t bytes;
};

/*
 * The lengths of ev's texts into f->len, as the event carries them
 * (event_strlen); true when they are few enough bytes for any row to fit
 * in a block (block.h's bound).
 */
static bool
blocks_texts(const struct gw_event *ev, struct blocks_forms *f)
{
	f->len[BT_CLIENT] = blocks_len(ev->client, ev->client_len);
	f->len[BT_PATH] = blocks_len(ev->path, ev->path_len);
	f->len[BT_QUERY] = blocks_len(ev->query, ev->query_len);
	f->len[BT_PROTOCOL] = blocks_len(ev->protocol, ev->protocol_len);
	f->len[BT_REQUEST_ID] = blocks_len(ev->request_id,
	    ev->request_id_len);
	return block_row_fits_bytes(BLOCK_REQUEST_COLUMNS, f->len[BT_CLIENT] +
	    f->len[BT_PATH] + f->len[BT_QUERY] + f->len[BT_PROTOCOL] +
	    f->len[BT_REQUEST_ID]);
}

/* The forms of request it (f's lengths set: blocks_texts) into f. */
static void
blocks_item_forms(const struct blocks_item *it, struct blocks_forms *f)
{
	const struct gw_event *ev = it->r.ev;
	const size_t *len = f->len;
	struct store_client c;

	f->bytes = len[BT_PATH] + len[BT_QUERY];
	inline_client_event(&c, ev);	/* event_fill's reading, mostly */
	f->v4 = c.v4;
	if (ev->client != NULL && f->v4 < 0)
		f->bytes += len[BT_CLIENT];
	f->protocol = -1;
	if (ev->protocol != NULL && (f->protocol = inline_protocol_code(
	    ev->protocol, len[BT_PROTOCOL])) < 0)
		f->bytes += len[BT_PROTOCOL];
	f->rid_blob = ev->request_id != NULL && inline_rid_blob(
	    ev->request_id, len[BT_REQUEST_ID], f->rid);
	f->bytes += f->rid_blob ? STORE_RID_BYTES : len[BT_REQUEST_ID];
}

/* An integer where negative means "not logged" (NULL). */
static inline void
enc_opt(struct block_enc *e, int c, int64_t i)
{
	if (i >= 0)
		block_enc_int(e, c, i);
	else
		block_enc_null(e, c);
}

/* An interned id, 0 meaning NULL. */
static inline void
enc_id(struct block_enc *e, int c, int64_t id)
{
	if (id != 0)
		block_enc_int(e, c, id);
	else
		block_enc_null(e, c);
}

/* Text t of n bytes (a block's row is under BLOCK_MAX_RAW), or NULL. */
static inline void
enc_text(struct block_enc *e, int c, const char *t, size_t n)
{
	if (t != NULL)
		block_enc_bytes(e, c, BLOCK_TEXT, t, (uint32_t)n);
	else
		block_enc_null(e, c);
}

/*
 * Request it (its lengths and forms f set) into e, column by column as a
 * row of requests holds them (write.c's write_bind_request): 0, 1 the
 * block is full, -1 the request is too big for any block (e unchanged
 * then), -2 out of memory (e must be reset).
 */
static int
blocks_item_enc(const struct blocks_item *it, const struct blocks_forms *f,
    struct block_enc *e)
{
	const struct blocks_req *r = &it->r;
	const struct gw_event *ev = r->ev;
	const struct gw_attempt *a = r->inl;
	int rc;

	if ((rc = block_enc_begin(e, f->bytes)) != 0)
		return rc;
	block_enc_int(e, BC_ID, r->id);
	block_enc_int(e, BC_SOURCE_ID, r->source_id);
	block_enc_int(e, BC_LINE_NO, (int64_t)ev->line_no);
	block_enc_int(e, BC_TS_MS, ev->ts_ms);
	block_enc_int(e, BC_TZ_MIN, ev->tz_min);
	if (f->v4 >= 0)	/* an address: 4 bytes (block.c, method 3) */
		block_enc_u32(e, BC_CLIENT, (uint32_t)f->v4);
	else
		enc_text(e, BC_CLIENT, ev->client, f->len[BT_CLIENT]);
	enc_id(e, BC_METHOD_ID, r->method);
	enc_id(e, BC_HOST_ID, r->host);
	enc_text(e, BC_PATH, ev->path, f->len[BT_PATH]);
	enc_text(e, BC_QUERY, ev->query, f->len[BT_QUERY]);
	enc_id(e, BC_SHAPE_ID, r->shape);
	if (f->protocol >= 0)
		block_enc_int(e, BC_PROTOCOL, f->protocol);
	else
		enc_text(e, BC_PROTOCOL, ev->protocol, f->len[BT_PROTOCOL]);
	block_enc_int(e, BC_STATUS, ev->status);
	enc_opt(e, BC_BYTES, ev->bytes);
	enc_opt(e, BC_REQUEST_MS, ev->request_ms);
	if (f->rid_blob)
		block_enc_bytes(e, BC_REQUEST_ID, BLOCK_BLOB, f->rid,
		    STORE_RID_BYTES);
	else
		enc_text(e, BC_REQUEST_ID, ev->request_id,
		    f->len[BT_REQUEST_ID]);
	block_enc_int(e, BC_UPSTREAM_ID, r->up);
	block_enc_int(e, BC_N_ATTEMPTS, ev->n_attempts);
	block_enc_int(e, BC_CAUSE, (int64_t)ev->cause);
	block_enc_null(e, BC_ERROR_ID);
	if (a != NULL) {
		enc_opt(e, BC_A_STATUS, a->status);
		enc_opt(e, BC_A_CONNECT_MS, a->connect_ms);
		enc_opt(e, BC_A_HEADER_MS, a->header_ms);
		enc_opt(e, BC_A_RESPONSE_MS, a->response_ms);
		block_enc_int(e, BC_A_CAUSE, (int64_t)a->cause);
	} else
		for (int c = BC_A_STATUS; c <= BC_A_CAUSE; c++)
			block_enc_null(e, c);
	block_enc_null(e, BC_A_ERROR_ID);
	return block_enc_end(e) == 0 ? 0 : -2;
}

/*
 * The zip: finish its open block into the next slot, which waits for the
 * writer (partial: ended by blocks_flush, not full), and start the next
 * block; waits for the slot while every one holds a block. 0, -1 out of
 * memory or stopping.
 */
static int
zip_done(struct blocks_zip *z, bool partial)
{
	const uint8_t *p;
	size_t n;
	struct zip_slot *sl;

	if (block_enc_finish(&z->enc, &p, &n) != 0)
		return -1;
	pthread_mutex_lock(&z->mu);
	while (z->n_done == ZIP_SLOTS && !z->stop)
		pthread_cond_wait(&z->cv, &z->mu);
	if (z->stop) {
		pthread_mutex_unlock(&z->mu);
		return -1;
	}
	sl = &z->slot[(z->head + z->n_done) % ZIP_SLOTS];
	block_enc_swap_out(&z->enc, &sl->buf);
	sl->first = z->first;
	sl->last = z->last;
	sl->nrow = z->enc.nrow;
	sl->partial = partial;
	z->n_done++;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	block_enc_reset(&z->enc);
	return 0;
}

/* The zip: finish its open block, if any (blocks_flush); 0 or -1. */
static int
zip_finish(struct blocks_zip *z)
{
	return z->enc.nrow > 0 ? zip_done(z, true) : 0;
}

/* The zip: request it into the open block, which is finished when full;
 * 0 or -1 (out of memory, or stopping). */
static int
zip_add(struct blocks_zip *z, const struct blocks_item *it)
{
	struct blocks_forms f;
	struct block_enc *e = &z->enc;
	int rc;

	(void)blocks_texts(it->r.ev, &f);
	blocks_item_forms(it, &f);
	if ((rc = blocks_item_enc(it, &f, e)) == 1) {
		if (zip_done(z, false) != 0)
			return -1;
		rc = blocks_item_enc(it, &f, e);
	}
	if (rc != 0)
		return -1;
	if (e->nrow == 1)
		z->first = it->r.id;
	z->last = it->r.id;
	return 0;
}

static void *
blocks_zip_main(void *arg)
{
	struct blocks_zip *z = arg;

	quiet_thread_name("gw-zip");
	pthread_mutex_lock(&z->mu);
	for (;;) {
		while (!z->stop && z->queued == 0)
			pthread_cond_wait(&z->cv, &z->mu);
		if (z->stop)
			break;
		int w = z->work;
		const struct blocks_item *items = z->chunk[w];
		int n = z->n[w];
		bool skip = z->failed || z->skip, finish = z->fin[w];
		bool failed = false;
		pthread_mutex_unlock(&z->mu);
		for (int r = 0; r < n && !skip && !failed; r++)
			failed = zip_add(z, &items[r]) != 0;
		if (finish && !skip && !failed)
			failed = zip_finish(z) != 0;
		pthread_mutex_lock(&z->mu);
		z->failed |= failed;
		z->consumed += (uint64_t)n;
		z->work = (w + 1) % ZIP_QUEUE;
		z->queued--;
		pthread_cond_broadcast(&z->cv);
	}
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

static void
zip_free_parts(struct blocks_zip *z)
{
	block_enc_free(&z->enc);	/* zeroed, or started */
	for (int i = 0; i < ZIP_SLOTS; i++)
		free(z->slot[i].buf.p);
	for (int c = 0; c < ZIP_QUEUE; c++)
		free(z->chunk[c]);
}

/* The zip, started on first use; NULL when it cannot be (then blocks are
 * encoded and finished on the writer). */
static struct blocks_zip *
blocks_zip_get(struct store *s)
{
	struct blocks_zip *z = s->blk_zip;

	if (z != NULL || s->blk_zip_failed)
		return z;
	s->blk_zip_failed = true;	/* until it works */
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	for (int c = 0; c < ZIP_QUEUE; c++)
		if ((z->chunk[c] = calloc(ZIP_CHUNK,
		    sizeof(*z->chunk[c]))) == NULL)
			goto fail;
	if (blocks_enc_init(&z->enc) != 0)
		goto fail;
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	if (pthread_create(&z->thread, NULL, blocks_zip_main, z) != 0) {
		pthread_mutex_destroy(&z->mu);
		pthread_cond_destroy(&z->cv);
		goto fail;
	}
	s->blk_zip = z;
	s->blk_zip_failed = false;
	return z;
fail:
	zip_free_parts(z);
	free(z);
	return NULL;
}

static int blocks_insert(struct store *s, int64_t first, int64_t last,
    int nrow, const uint8_t *p, size_t n, char *err, size_t errlen);
static int blocks_merge(struct store *s, int64_t first, int64_t last,
    int nrow, const uint8_t *p, size_t n, char *err, size_t errlen);

/* Insert the blocks the zip finished, oldest first; 0 or -1. */
static int
zip_insert_done(struct store *s, struct blocks_zip *z, char *err,
    size_t errlen)
{
	for (;;) {
		const struct zip_slot *sl;
		int rc;

		pthread_mutex_lock(&z->mu);
		sl = z->n_done > 0 ? &z->slot[z->head] : NULL;
		pthread_mutex_unlock(&z->mu);
		if (sl == NULL)
			return 0;
		/* a finished slot is the writer's to read; a small last
		 * block of a batch merged as blocks_flush_sync() merges */
		rc = 0;
		if (sl->partial && sl->nrow < BLOCKS_SMALL)
			rc = blocks_merge(s, sl->first, sl->last, sl->nrow,
			    sl->buf.p, sl->buf.n, err, errlen);
		if (rc == 0)
			rc = blocks_insert(s, sl->first, sl->last, sl->nrow,
			    sl->buf.p, sl->buf.n, err, errlen);
		else
			rc = rc < 0 ? -1 : 0;
		pthread_mutex_lock(&z->mu);
		z->head = (z->head + 1) % ZIP_SLOTS;
		z->n_done--;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
		if (rc != 0)
			return -1;
	}
}

/* Wait until the zip has encoded every row handed over, inserting the
 * blocks it finishes meanwhile; 0 or -1. */
static int
zip_wait_idle(struct store *s, struct blocks_zip *z, char *err,
    size_t errlen)
{
	bool failed;

	for (;;) {
		bool idle;

		if (zip_insert_done(s, z, err, errlen) != 0)
			return -1;
		pthread_mutex_lock(&z->mu);
		if (z->queued > 0 && z->n_done == 0)
			pthread_cond_wait(&z->cv, &z->mu);
		idle = z->queued == 0 && z->n_done == 0;
		failed = z->failed;
		pthread_mutex_unlock(&z->mu);
		if (idle)
			break;
	}
	if (failed)
		return store_fail(err, errlen, "out of memory");
	return 0;
}

/* Hand the writer's chunk over, and with finish have the zip finish its
 * current block after it; then wait for a chunk to fill while every one
 * is queued, inserting the blocks the zip finishes (as at every hand-
 * over); 0 or -1. */
static int
zip_submit(struct store *s, struct blocks_zip *z, bool finish, char *err,
    size_t errlen)
{
	bool full, failed;

	pthread_mutex_lock(&z->mu);
	z->fin[z->fill] = finish;
	z->handed += (uint64_t)z->n[z->fill];
	z->queued++;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	z->fill = (z->fill + 1) % ZIP_QUEUE;
	for (;;) {
		if (zip_insert_done(s, z, err, errlen) != 0)
			return -1;
		pthread_mutex_lock(&z->mu);
		if (z->queued == ZIP_QUEUE && z->n_done == 0)
			pthread_cond_wait(&z->cv, &z->mu);
		full = z->queued == ZIP_QUEUE;
		failed = z->failed;
		pthread_mutex_unlock(&z->mu);
		if (!full)
			break;
	}
	z->n[z->fill] = 0;
	if (failed)
		return store_fail(err, errlen, "out of memory");
	return 0;
}

/* Drop everything handed over and finished (a rollback): waits for the
 * zip to pass over what is queued, freeing the slots it may wait for. */
static void
zip_drop(struct blocks_zip *z)
{
	pthread_mutex_lock(&z->mu);
	z->skip = true;
	for (;;) {
		z->n_done = 0;
		pthread_cond_broadcast(&z->cv);
		if (z->queued == 0)
			break;
		pthread_cond_wait(&z->cv, &z->mu);
	}
	/* the zip idle (nothing queued): its encoder may be reset here */
	block_enc_reset(&z->enc);
	z->n[z->fill] = 0;
	z->top = 0;
	z->skip = false;
	z->failed = false;
	pthread_mutex_unlock(&z->mu);
}

/* See store_int.h. */
int
blocks_next_id(struct store *s, int64_t *id, bool *given, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_BLOCKS_NEXT_ID, err, errlen);
	int64_t rows = 0, blocks = 0, pruned = 0, top;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rows = sqlite3_column_int64(st, 0);
		blocks = sqlite3_column_int64(st, 1);
		pruned = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "next request id");
	/*
	 * Never an id given before: pruning may have removed the newest
	 * requests (a size cap, a cutoff past them all), but never one above
	 * its mark (prune.c), which stores, metrics and the console's marks
	 * go by.
	 */
	top = rows > blocks ? rows : blocks;
	if (pruned > top)
		top = pruned;
	/* the open block's requests, stored at blocks_flush */
	if (s->blk_zip != NULL && s->blk_zip->top > top)
		top = s->blk_zip->top;
	if (s->blk != NULL && s->blk->nrow > 0 && s->blk_last > top)
		top = s->blk_last;
	/* a database's largest id (external input) may leave none after it */
	if (top == INT64_MAX)
		return store_fail(err, errlen, "no request id left after %lld",
		    (long long)INT64_MAX);
	*id = top + 1;
	/*
	 * SQLite's own next rowid is the same (max + 1) unless blocks or
	 * pruning's mark hold larger ids: an INSERT that names its rowid costs
	 * a seek to check it is free (+6% writer instructions on 200k
	 * production lines).
	 */
	*given = s->blocks || blocks > rows || pruned > rows;
	return 0;
}

static struct blocks_merge *blocks_merge_get(struct store *s);

/*
 * Merge the finished block p[0..n) (nrow requests, ids first..last) into
 * the last stored block when they fit together and its ids come after
 * that block's: 1 merged, 0 not (stored as a block of its own then), -1
 * error.
 */
static int
blocks_merge(struct store *s, int64_t first_id, int64_t last_id, int nrow,
    const uint8_t *p, size_t n, char *err, size_t errlen)
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
	rc = sqlite3_column_int64(st, 2) <= BLOCK_MAX_ROWS - nrow &&
	    last < first_id && sqlite3_column_blob(st, 3) != NULL &&
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
	sqlite3_bind_int64(st, 2, last_id);
	sqlite3_bind_int(st, 3, m->enc.nrow);
	sqlite3_bind_blob(st, 4, q, (int)qn, SQLITE_STATIC);
	if (store_stmt_run(s, st, err, errlen) != 0)
		return -1;
	return 1;
}

/* Finish s->blk (first..last in s->blk_first, s->blk_last) and insert
 * it, or merge it into the last stored block when small; 0 or -1. */
static int
blocks_flush_sync(struct store *s, char *err, size_t errlen)
{
	struct block_enc *e = s->blk;
	const uint8_t *p;
	size_t n;
	int rc;

	if (e == NULL || e->nrow == 0)
		return 0;
	if (block_enc_finish(e, &p, &n) != 0)
		return store_fail(err, errlen, "out of memory");
	if (e->nrow < BLOCKS_SMALL &&
	    (rc = blocks_merge(s, s->blk_first, s->blk_last, e->nrow, p, n,
	    err, errlen)) != 0) {
		if (rc < 0)
			return -1;
		block_enc_reset(e);
		return 0;
	}
	if (blocks_insert(s, s->blk_first, s->blk_last, e->nrow, p, n, err,
	    errlen) != 0)
		return -1;
	block_enc_reset(e);
	return 0;
}

/*
 * See store_int.h. With the zip, it encodes the last rows handed over
 * and finishes the last, partial block too (its compression was 7% of
 * the writer's instructions, done here), while the writer waits; the
 * writer inserts the blocks, merging a small last one (zip_insert_done).
 */
int
blocks_flush(struct store *s, char *err, size_t errlen)
{
	struct blocks_zip *z = s->blk_zip;

	if (z == NULL)
		return blocks_flush_sync(s, err, errlen);
	/* the zip idle, its open block (enc.nrow) is stable to read */
	if (zip_wait_idle(s, z, err, errlen) != 0)
		return -1;
	if (z->n[z->fill] == 0 && z->enc.nrow == 0) {
		z->top = 0;
		return 0;
	}
	if (zip_submit(s, z, true, err, errlen) != 0 ||
	    zip_wait_idle(s, z, err, errlen) != 0)
		return -1;
	z->top = 0;
	return 0;
}

/* See store_int.h: the zip is asked to finish the open block after the
 * requests handed, if any were since the last blocks_flush. */
int
blocks_flush_start(struct store *s, char *err, size_t errlen)
{
	struct blocks_zip *z = s->blk_zip;

	if (z == NULL || z->top == 0)
		return 0;
	return zip_submit(s, z, true, err, errlen);
}

/*
 * See store_int.h. The last requests handed go over as a chunk of their
 * own (without wait: only that, the zip encoding them while the writer
 * ends the batch); the zip's open block stays open.
 */
int
blocks_release(struct store *s, bool wait, char *err, size_t errlen)
{
	struct blocks_zip *z = s->blk_zip;

	if (z == NULL)
		return 0;
	if (!wait)
		return z->n[z->fill] > 0 ? zip_submit(s, z, false, err,
		    errlen) : 0;
	if (z->n[z->fill] > 0 && zip_submit(s, z, false, err, errlen) != 0)
		return -1;
	return zip_wait_idle(s, z, err, errlen);
}

/* See store_int.h. */
uint64_t
blocks_mark(const struct store *s)
{
	return s->blk_zip != NULL ? s->blk_zip->handed : 0;
}

/* See store_int.h: the zip exists (a mark > 0 was handed), and its
 * counters are read under its mutex, on any thread. */
int
blocks_read(struct store *s, uint64_t mark, bool wait)
{
	struct blocks_zip *z = s->blk_zip;
	bool reads;

	pthread_mutex_lock(&z->mu);
	while (wait && z->consumed < mark)
		pthread_cond_wait(&z->cv, &z->mu);
	reads = z->consumed < mark;
	pthread_mutex_unlock(&z->mu);
	return reads;
}

/* Insert the block p[0..n) of nrow requests first..last; 0 or -1. */
static int
blocks_insert(struct store *s, int64_t first, int64_t last, int nrow,
    const uint8_t *p, size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_BLOCKS_INSERT, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_int(st, 3, nrow);
	sqlite3_bind_blob(st, 4, p, (int)n, SQLITE_STATIC);
	return store_stmt_run(s, st, err, errlen);
}

/*
 * See store_int.h. With the zip the writer only measures the request's
 * texts: the zip lays out its columns (blocks_item_row) and encodes them,
 * off the writer's thread. A request whose texts pass block.h's bound is
 * laid out here to decide (block_row_fits), as every one is without the
 * zip.
 */
int
blocks_add(struct store *s, const struct blocks_req *r, char *err,
    size_t errlen)
{
	struct blocks_zip *z = blocks_zip_get(s);
	struct blocks_forms f;
	struct blocks_item it;
	int rc;

	it.r = *r;
	if (z != NULL) {
		if (!blocks_texts(r->ev, &f)) {
			blocks_item_forms(&it, &f);
			if (!block_row_fits_bytes(BLOCK_REQUEST_COLUMNS,
			    f.bytes))
				return -1;	/* too big for a block: a row */
		}
		z->chunk[z->fill][z->n[z->fill]] = it;
		z->top = r->id;
		if (++z->n[z->fill] == ZIP_CHUNK &&
		    zip_submit(s, z, false, err, errlen) != 0)
			return -2;
		return 0;
	}
	if (s->blk == NULL) {
		if ((s->blk = malloc(sizeof(*s->blk))) == NULL)
			return -1;
		if (blocks_enc_init(s->blk) != 0) {
			free(s->blk);
			s->blk = NULL;
			return -1;
		}
	}
	(void)blocks_texts(r->ev, &f);
	blocks_item_forms(&it, &f);
	if ((rc = blocks_item_enc(&it, &f, s->blk)) == 1) {
		if (blocks_flush_sync(s, err, errlen) != 0)
			return -2;
		rc = blocks_item_enc(&it, &f, s->blk);
	}
	if (rc == -2)
		return store_fail(err, errlen, "out of memory");
	if (rc != 0)
		return -1;	/* too big for a block: a row instead */
	if (s->blk->nrow == 1)
		s->blk_first = r->id;
	s->blk_last = r->id;
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
	if (blocks_enc_init(&m->enc) != 0) {
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
	if (s->blk_zip != NULL)
		zip_drop(s->blk_zip);
	if (s->blk != NULL)
		block_enc_reset(s->blk);
}

/* See store_int.h. */
void
blocks_free(struct store *s)
{
	struct blocks_zip *z = s->blk_zip;

	if (z != NULL) {
		zip_drop(z);
		pthread_mutex_lock(&z->mu);
		z->stop = true;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
		pthread_join(z->thread, NULL);
		pthread_mutex_destroy(&z->mu);
		pthread_cond_destroy(&z->cv);
		zip_free_parts(z);
		free(z);
		s->blk_zip = NULL;
	}
	s->blk_zip_failed = false;
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
