/*
 * block.c - the column-wise, compressed encoding of many rows (block.h).
 *
 * Why: one SQLite row per request costs the writer a B-tree cell of 26
 * columns and the entries of its indexes; rows that nothing will ever
 * update can instead be stored thousands to one value, written once
 * (schema/015, store/blocks.c). This file only turns rows into bytes and
 * back.
 *
 * Layout of a block (all varints are LEB128, at most 10 bytes):
 *   method   1 byte: 0 the rest is the raw form, 1 it is one zstd frame
 *   raw_len  varint: bytes of the raw form (<= BLOCK_MAX_RAW)
 *   payload
 * The raw form:
 *   nrow, ncol               varints (1..BLOCK_MAX_ROWS, 1..MAX_COLUMNS)
 *   then for each column, its rows top to bottom:
 *     tags_len, tags         runs of (type byte, varint count), counts
 *                            summing to nrow
 *     vals_len, vals         one value per row that is not NULL:
 *                            BLOCK_INT: zigzag varint of the difference
 *                            from the column's previous integer (0 before
 *                            the first), wrapping in 64 bits;
 *                            TEXT / BLOB: varint length, the bytes.
 * Values of one column lie together, so an id or a time stamp that grows
 * by little costs a byte before compression, a status that repeats almost
 * nothing after it, and a repeated path is found by zstd's window.
 *
 * Method 2 (written since session 8; methods 0 and 1 are still read):
 *   method   1 byte: 2
 *   raw_len  varint: bytes of the raw form
 *   plen     varint: bytes of its packed part, the first ones
 *   zlen     varint: bytes of the zstd frame of the packed part, or 0
 *            when that part follows as it is (it did not compress)
 *   payload  the packed part (zlen bytes of zstd, or plen plain), then
 *            the stored part: raw_len - plen bytes as they are
 * and its raw form:
 *   nrow, ncol, stored       varints; stored: bit c set when column c
 *                            is in the stored part (none beyond ncol)
 *   the sections (tags_len, tags, vals_len, vals as above) of the
 *   columns not stored, in column order: they end the packed part
 *   exactly; then those of the stored columns, in column order.
 * A column whose values look random to a byte histogram (a request id's
 * 16 bytes: block_enc_stored) is stored, not fed to zstd, which found
 * nothing in it and spent a tenth of its time looking.
 *
 * Method 3 (since session 10) is method 2 with a fixed section beside a
 * column's runs and values, for the runs of tag BLOCK_TAG_U32 (4): an
 * integer of 0..2^32-1 as 4 bytes, little-endian, read as a BLOCK_INT
 * that the column's deltas skip (the next BLOCK_INT is a delta from the
 * one before it). Its raw form:
 *   nrow, ncol, stored, fixed  varints; fixed: bit c set when column c
 *                            has a fixed section (none beyond ncol)
 *   the sections of the packed columns, then of the stored ones (as in
 *   method 2), then for each column in fixed, in column order:
 *     fixed_len, fixed         4 bytes a tag-4 value, top to bottom
 * The fixed sections are in the stored part (after the zstd frame).
 * Client addresses are so written: a zigzag delta between two random
 * addresses is a 5-byte varint for zstd to find nothing in, and deltas
 * hide an address seen before; the IPv6 texts of the same column stay
 * among its values, in the frame. The encoder writes method 2 when no
 * column has a fixed section, so such a block reads in older builds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "store/block.h"

#define BLOCK_METHOD_RAW	0
#define BLOCK_METHOD_ZSTD	1
#define BLOCK_METHOD_SPLIT	2
#define BLOCK_METHOD_FIXED	3
#define VARINT_MAX		BLOCK_VARINT_MAX
/* block.h's bounds of a column's and the header's bytes. */
#define COL_SLACK		BLOCK_COL_SLACK
#define HEAD_SLACK		BLOCK_HEAD_SLACK
/*
 * zstd's hash table at levels of its fast strategy (1 and below): 2^12
 * entries (16 KiB) instead of the 2^14 that level 1 takes for a packed
 * part of ~250 KB, which miss the first-level cache on every lookup
 * (1M production lines, compression alone: 157 -> 133 ns a request, blocks
 * 46.98 -> 47.65 B a request; 2^13: 142 ns, 47.19 B).
 */
#define BLOCK_HASH_LOG		12
/*
 * And its targetLength at 2: the fast strategy then looks for a match
 * every third byte after a miss, not every second, and leaves literals
 * as they are, not Huffman-coded (zstd 1.5: a fast level with a
 * targetLength is what its negative levels are). 1M production lines'
 * blocks (method 3), blockzip at load 12, ns and bytes a request to
 * finish: targetLength 0 123-126 ns 45.45 B (block_enc_finish's
 * instructions 1672 a request), 1 98-106 ns 51.46 B (1337), 2 93-94 ns
 * 52.13 B (1205), 3 88-90 ns 52.61 B (1116), 4 53.45 B (1037).
 */
#define BLOCK_TARGET_LEN	2

#define varint_put		block_varint_put

/* Read a varint from [*p, end); false when cut short or over 64 bits. */
static bool
varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t acc = 0;

	for (int i = 0; i < VARINT_MAX; i++) {
		uint8_t b;

		if (*p >= end)
			return false;
		b = *(*p)++;
		if (i == VARINT_MAX - 1 && b > 1)
			return false;
		acc |= (uint64_t)(b & 0x7f) << (7 * i);
		if (b < 0x80) {
			*v = acc;
			return true;
		}
	}
	return false;
}

static uint64_t
zigzag(uint64_t d)
{
	return (d >> 63) != 0 ? ~(d << 1) : d << 1;
}

static uint64_t
unzigzag(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

/* Room for more bytes in b, grown by doubling; 0 or -1. */
static int
buf_grow(struct block_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (more > BLOCK_MAX_RAW * 2 - b->n)
		return -1;
	cap = b->cap != 0 ? b->cap : 256;
	while (cap - b->n < more)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static inline int
buf_reserve(struct block_buf *b, size_t more)
{
	return b->cap - b->n >= more ? 0 : buf_grow(b, more);
}

static void
buf_put(struct block_buf *b, const void *p, size_t n)
{
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
buf_varint(struct block_buf *b, uint64_t v)
{
	b->n += varint_put(b->p + b->n, v);
}

/* See block.h. */
int
block_enc_init(struct block_enc *e, int ncol, int level)
{
	memset(e, 0, sizeof(*e));
	if (ncol < 1 || ncol > BLOCK_MAX_COLUMNS)
		return -1;
	e->ncol = ncol;
	e->level = level;
	if ((e->cctx = ZSTD_createCCtx()) == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx,
	    ZSTD_c_compressionLevel, level)) || (level <= 1 &&
	    (ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_hashLog,
	    BLOCK_HASH_LOG)) || ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx,
	    ZSTD_c_targetLength, BLOCK_TARGET_LEN))))) {
		ZSTD_freeCCtx(e->cctx);
		e->cctx = NULL;
		return -1;
	}
	/* an integer (or NULL) for every row, in values and runs: ~85 KiB a
	 * column, taken once (block_enc_row) */
	for (int c = 0; c < ncol; c++)
		if (buf_reserve(&e->col[c].tags, (size_t)BLOCK_MAX_ROWS *
		    (1 + VARINT_MAX)) != 0 || buf_reserve(&e->col[c].vals,
		    (size_t)BLOCK_MAX_ROWS * VARINT_MAX) != 0) {
			block_enc_free(e);
			return -1;
		}
	block_enc_reset(e);
	return 0;
}

/* See block.h. */
void
block_enc_free(struct block_enc *e)
{
	for (int c = 0; c < BLOCK_MAX_COLUMNS; c++) {
		free(e->col[c].tags.p);
		free(e->col[c].vals.p);
		free(e->col[c].fixed.p);
	}
	free(e->out.p);
	free(e->flat.p);
	ZSTD_freeCCtx(e->cctx);
	memset(e, 0, sizeof(*e));
}

/* See block.h. */
void
block_enc_reset(struct block_enc *e)
{
	e->nrow = 0;
	e->bad = false;
	e->row_bytes = e->row_room = 0;
	e->raw = HEAD_SLACK + (size_t)e->ncol * COL_SLACK;
	for (int c = 0; c < e->ncol; c++) {
		struct block_col *k = &e->col[c];

		k->tags.n = k->vals.n = k->fixed.n = 0;
		k->prev = 0;
		k->start = 0;
		k->tag = BLOCK_NULL;
	}
}

/* See block.h. */
int
block_enc_u32_cols(struct block_enc *e, uint64_t cols)
{
	for (int c = 0; c < e->ncol; c++)
		if (((cols >> c) & 1) && buf_reserve(&e->col[c].fixed,
		    (size_t)BLOCK_MAX_ROWS * 4) != 0)
			return -1;
	e->u32_cols = cols & (e->ncol < 64 ? ((uint64_t)1 << e->ncol) - 1 :
	    UINT64_MAX);
	return 0;
}

/* At most the bytes value v adds to its column: a value, and a run of
 * the previous tag closed (a type byte and a count). */
static inline size_t
val_room(const struct block_val *v)
{
	return (v->type >= BLOCK_TEXT ? VARINT_MAX + (size_t)v->n :
	    VARINT_MAX) + 1 + VARINT_MAX;
}

/* See block.h: as block_enc_row() decides for an empty encoder. */
bool
block_row_fits(const struct block_val *row, int ncol)
{
	size_t add = 0;

	if (ncol < 1 || ncol > BLOCK_MAX_COLUMNS)
		return false;
	for (int c = 0; c < ncol; c++) {
		if (row[c].type > BLOCK_BLOB || (row[c].type >= BLOCK_TEXT &&
		    row[c].n > BLOCK_MAX_RAW))
			return false;
		add += val_room(&row[c]);
	}
	return add <= BLOCK_MAX_RAW - (HEAD_SLACK + (size_t)ncol * COL_SLACK);
}

/*
 * See block.h. Room: every column keeps enough for one integer (or NULL)
 * in each row the block may still take, in its values and in its runs
 * (block_enc_init), so only a text or blob has to ask for more before
 * anything is written; that keeps a refused row from changing the
 * encoder. e->raw counts each row's bound, not its exact bytes: a block
 * may end short of BLOCK_MAX_RAW, never past it (rows end it first for
 * rows of the usual size).
 */
int
block_enc_row(struct block_enc *e, const struct block_val *row)
{
	size_t add = 0, left = (size_t)(BLOCK_MAX_ROWS - e->nrow - 1);

	if (e->nrow >= BLOCK_MAX_ROWS)
		return 1;
	for (int c = 0; c < e->ncol; c++) {
		if (row[c].type > BLOCK_BLOB || (row[c].type >= BLOCK_TEXT &&
		    row[c].n > BLOCK_MAX_RAW))
			return -1;
		add += val_room(&row[c]);
	}
	if (add > BLOCK_MAX_RAW - e->raw)
		return e->nrow > 0 ? 1 : -1;
	for (int c = 0; c < e->ncol; c++)
		if (row[c].type >= BLOCK_TEXT && buf_reserve(&e->col[c].vals,
		    VARINT_MAX + (size_t)row[c].n + left * VARINT_MAX) != 0)
			return -1;
	for (int c = 0; c < e->ncol; c++) {
		struct block_col *k = &e->col[c];
		const struct block_val *v = &row[c];

		if (v->type == BLOCK_INT && ((e->u32_cols >> c) & 1) &&
		    v->i >= 0 && v->i <= (int64_t)UINT32_MAX) {
			block_enc_u32(e, c, (uint32_t)v->i);
			continue;
		}
		block_col_tag(k, v->type, e->nrow);
		switch (v->type) {
		case BLOCK_INT:
			buf_varint(&k->vals, zigzag((uint64_t)v->i -
			    (uint64_t)k->prev));
			k->prev = v->i;
			break;
		case BLOCK_TEXT:
		case BLOCK_BLOB:
			buf_varint(&k->vals, v->n);
			if (v->n > 0)
				buf_put(&k->vals, v->p, v->n);
			break;
		default:
			break;
		}
	}
	e->raw += add;
	e->nrow++;
	return 0;
}

/* See block.h. */
bool
block_col_grow(struct block_enc *e, struct block_col *k, uint32_t n)
{
	size_t left = (size_t)(BLOCK_MAX_ROWS - e->nrow - 1);

	return buf_reserve(&k->vals, VARINT_MAX + (size_t)n +
	    left * VARINT_MAX) == 0;
}

/*
 * Whether column k's values go to the stored part: they are enough bytes
 * to matter and a histogram of STORED_SAMPLE of them, from four places
 * in the column, says at least STORED_BITS bits of information a byte (order
 * 0), i.e. Huffman coding would save less than an eighth of them, and
 * zstd's matches find nothing either (a request id's random bytes: 7.8
 * bits; 7.6 as sampled). A column a little below stays packed: client
 * addresses (6.7 bits), durations (6.4, and zstd matches them against
 * the attempt's, the same). A first look at STORED_PEEK bytes leaves
 * out at once the columns of few byte values (most: an integer column
 * of small deltas holds a handful), so the histogram and its logarithms
 * are spent on one or two columns a block.
 */
#define STORED_MIN	2048
#define STORED_PEEK	256
#define STORED_SAMPLE	1024
#define STORED_BITS	7.0

static bool
block_col_stored(const struct block_col *k)
{
	const uint8_t *v = k->vals.p;
	size_t n = k->vals.n, step;
	uint32_t h[256];
	uint64_t seen[4] = {0};
	double sum = 0;
	int distinct = 0;

	if (n < STORED_MIN)
		return false;
	/* samples are runs of bytes from four places (a byte every so
	 * many could fall on the same field of every row) */
	step = n / 4;
	/* STORED_PEEK bytes: random ones show ~160 values in 256, a
	 * column of small integers or of text far fewer */
	for (size_t w = 0; w < 4; w++)
		for (size_t i = 0; i < STORED_PEEK / 4; i++) {
			uint8_t b = v[w * step + i];

			seen[b >> 6] |= (uint64_t)1 << (b & 63);
		}
	for (int w = 0; w < 4; w++)
		distinct += __builtin_popcountll(seen[w]);
	if (distinct < 128)
		return false;
	memset(h, 0, sizeof(h));
	for (size_t w = 0; w < 4; w++)
		for (size_t i = 0; i < STORED_SAMPLE / 4; i++)
			h[v[w * step + i]]++;
	for (int b = 0; b < 256; b++)
		if (h[b] > 1)
			sum += h[b] * log2(h[b]);
	/* H = log2(n) - sum(h log2 h) / n */
	return log2((double)STORED_SAMPLE) - sum / STORED_SAMPLE >=
	    STORED_BITS;
}

/* Column k's sections onto f (room there taken). */
static void
flat_column(struct block_buf *f, const struct block_col *k, int nrow)
{
	uint8_t run[1 + VARINT_MAX];
	size_t rn = 0;

	if ((uint32_t)nrow > k->start) {
		run[0] = k->tag;
		rn = 1 + varint_put(run + 1, (uint32_t)nrow - k->start);
	}
	buf_varint(f, k->tags.n + rn);
	if (k->tags.n > 0)
		buf_put(f, k->tags.p, k->tags.n);
	buf_put(f, run, rn);
	buf_varint(f, k->vals.n);
	if (k->vals.n > 0)
		buf_put(f, k->vals.p, k->vals.n);
}

/* See block.h: method 2, or 3 with fixed sections (above). */
int
block_enc_finish(struct block_enc *e, const uint8_t **p, size_t *n)
{
	struct block_buf *f = &e->flat, *o = &e->out;
	uint64_t stored = 0, fixed = 0;
	size_t bound, plen, z;

	f->n = 0;
	if (buf_reserve(f, e->raw) != 0)
		return -1;
	for (int c = 0; c < e->ncol; c++) {
		if (block_col_stored(&e->col[c]))
			stored |= (uint64_t)1 << c;
		if (e->col[c].fixed.n > 0)
			fixed |= (uint64_t)1 << c;
	}
	buf_varint(f, (uint64_t)e->nrow);
	buf_varint(f, (uint64_t)e->ncol);
	buf_varint(f, stored);
	if (fixed != 0)
		buf_varint(f, fixed);
	for (int c = 0; c < e->ncol; c++)
		if (!((stored >> c) & 1))
			flat_column(f, &e->col[c], e->nrow);
	plen = f->n;
	for (int c = 0; c < e->ncol; c++)
		if ((stored >> c) & 1)
			flat_column(f, &e->col[c], e->nrow);
	for (int c = 0; c < e->ncol; c++)
		if ((fixed >> c) & 1) {
			buf_varint(f, e->col[c].fixed.n);
			buf_put(f, e->col[c].fixed.p, e->col[c].fixed.n);
		}
	bound = ZSTD_compressBound(plen);
	o->n = 0;
	if (buf_reserve(o, 1 + 3 * VARINT_MAX + (bound > plen ? bound :
	    plen) + (f->n - plen)) != 0)
		return -1;
	o->p[0] = fixed != 0 ? BLOCK_METHOD_FIXED : BLOCK_METHOD_SPLIT;
	o->n = 1;
	buf_varint(o, f->n);
	buf_varint(o, plen);
	/* the frame after zlen's varint, which takes 3 bytes for any frame
	 * under 2 MiB (and is moved otherwise) */
	z = ZSTD_compress2(e->cctx, o->p + o->n + 3, o->cap - o->n - 3,
	    f->p, plen);
	if (!ZSTD_isError(z) && z > 0 && z < plen) {
		uint8_t zv[VARINT_MAX];
		size_t zn = varint_put(zv, z);

		if (zn != 3)
			memmove(o->p + o->n + zn, o->p + o->n + 3, z);
		buf_put(o, zv, zn);
		o->n += z;
	} else {	/* incompressible: the packed part as it is */
		buf_varint(o, 0);
		buf_put(o, f->p, plen);
	}
	buf_put(o, f->p + plen, f->n - plen);
	*p = o->p;
	*n = o->n;
	return 0;
}

/* See block.h. */
void
block_enc_swap_out(struct block_enc *e, struct block_buf *b)
{
	struct block_buf t = e->out;

	e->out = *b;
	e->out.n = 0;
	*b = t;
}

/* See block.h. */
void
block_dec_init(struct block_dec *d)
{
	memset(d, 0, sizeof(*d));
}

/* See block.h. */
void
block_dec_free(struct block_dec *d)
{
	free(d->v);
	free(d->raw);
	ZSTD_freeDCtx(d->dctx);
	memset(d, 0, sizeof(*d));
}

/* Read a section's length and bounds from [*p, end) into [*s, *se). */
static bool
dec_section(const uint8_t **p, const uint8_t *end, const uint8_t **s,
    const uint8_t **se)
{
	uint64_t len;

	if (!varint_get(p, end, &len) || len > (uint64_t)(end - *p))
		return false;
	*s = *p;
	*se = *p + len;
	*p = *se;
	return true;
}

/* Column c of the raw form at [*p, end) into d->v. */
static bool
dec_column(struct block_dec *d, int c, const uint8_t **p, const uint8_t *end)
{
	const uint8_t *t, *te, *v, *ve;
	const uint8_t *f = d->raw + d->fix[c], *fe = f + d->fix_n[c];
	uint64_t prev = 0;
	int r = 0;

	if (!dec_section(p, end, &t, &te) || !dec_section(p, end, &v, &ve))
		return false;
	while (t < te) {
		uint8_t tag = *t++;
		uint64_t count;

		if (tag > d->tag_max || !varint_get(&t, te, &count) ||
		    count == 0 || count > (uint64_t)(d->nrow - r))
			return false;
		for (uint64_t i = 0; i < count; i++, r++) {
			struct block_val *x = &d->v[(size_t)r * (size_t)d->ncol +
			    (size_t)c];
			uint64_t u;

			x->type = tag;
			x->i = 0;
			x->p = NULL;
			x->n = 0;
			if (tag == BLOCK_NULL)
				continue;
			if (tag == BLOCK_TAG_U32) {
				if (fe - f < 4)
					return false;
				x->type = BLOCK_INT;
				x->i = (int64_t)((uint32_t)f[0] |
				    (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16 |
				    (uint32_t)f[3] << 24);
				f += 4;
				continue;
			}
			if (!varint_get(&v, ve, &u))
				return false;
			if (tag == BLOCK_INT) {
				prev += unzigzag(u);
				x->i = (int64_t)prev;
				continue;
			}
			if (u > (uint64_t)(ve - v))
				return false;
			x->p = (const char *)v;
			x->n = (uint32_t)u;
			v += u;
		}
	}
	return r == d->nrow && v == ve && f == fe;
}

/* See block.h. */
int
block_decode(struct block_dec *d, const void *blob, size_t n, int ncol)
{
	return block_decode_cols(d, blob, n, ncol, UINT64_MAX);
}

/* See block.h. */
int
block_decode_more(struct block_dec *d, uint64_t cols)
{
	for (int c = 0; c < d->ncol; c++) {
		const uint8_t *q;

		if (!((cols >> c) & 1) || ((d->done >> c) & 1))
			continue;
		/* its sections were checked to lie inside raw */
		q = d->raw + d->sec[c];
		if (d->nrow <= 0 || !dec_column(d, c, &q, d->raw + d->raw_n)) {
			d->nrow = 0;
			d->done = 0;
			return -1;
		}
		d->done |= (uint64_t)1 << c;
	}
	return 0;
}

/* Decompress the zstd frame p[0..n) into d->raw[0..len): exactly len
 * bytes; false otherwise. */
static bool
dec_zstd(struct block_dec *d, const uint8_t *p, size_t n, size_t len)
{
	size_t z;

	if (d->dctx == NULL && (d->dctx = ZSTD_createDCtx()) == NULL)
		return false;
	z = ZSTD_decompressDCtx(d->dctx, d->raw, len, p, n);
	return !ZSTD_isError(z) && z == len;
}

/*
 * The raw form of block p[0..end) into d->raw (d->raw_n its bytes);
 * *plen: bytes of its packed part (all of it but for method 2), *split:
 * method 2's raw form (a stored mask after ncol). false: not a block.
 */
static bool
dec_raw(struct block_dec *d, const uint8_t *p, const uint8_t *end,
    size_t *plen, bool *split)
{
	uint64_t raw_len, pl, zl;
	uint8_t method = *p++;

	if (!varint_get(&p, end, &raw_len) || raw_len > BLOCK_MAX_RAW ||
	    raw_len == 0)
		return false;
	if (raw_len > d->raw_cap) {
		uint8_t *r = realloc(d->raw, raw_len);

		if (r == NULL)
			return false;
		d->raw = r;
		d->raw_cap = raw_len;
	}
	*split = method == BLOCK_METHOD_SPLIT ||
	    method == BLOCK_METHOD_FIXED;
	d->tag_max = method == BLOCK_METHOD_FIXED ? BLOCK_TAG_U32 :
	    BLOCK_BLOB;
	*plen = raw_len;
	d->raw_n = raw_len;
	switch (method) {
	case BLOCK_METHOD_RAW:
		if ((uint64_t)(end - p) != raw_len)
			return false;
		memcpy(d->raw, p, raw_len);
		return true;
	case BLOCK_METHOD_ZSTD:
		return dec_zstd(d, p, (size_t)(end - p), raw_len);
	case BLOCK_METHOD_SPLIT:
	case BLOCK_METHOD_FIXED:
		if (!varint_get(&p, end, &pl) || pl == 0 || pl > raw_len ||
		    !varint_get(&p, end, &zl))
			return false;
		if (zl == 0) {	/* the packed part as it is */
			if (pl > (uint64_t)(end - p))
				return false;
			memcpy(d->raw, p, pl);
			p += pl;
		} else {
			if (zl > (uint64_t)(end - p) ||
			    !dec_zstd(d, p, zl, pl))
				return false;
			p += zl;
		}
		if ((uint64_t)(end - p) != raw_len - pl)
			return false;
		if (raw_len > pl)
			memcpy(d->raw + pl, p, raw_len - pl);
		*plen = pl;
		return true;
	default:
		return false;
	}
}

/* See block.h. */
int
block_decode_cols(struct block_dec *d, const void *blob, size_t n, int ncol,
    uint64_t cols)
{
	const uint8_t *p = blob, *q, *qe, *s, *se;
	uint64_t nrow, nc, stored = 0, fixed = 0;
	size_t plen;
	bool split;

	d->nrow = 0;
	d->ncol = ncol;
	d->done = 0;
	if (n < 2 || ncol < 1 || ncol > BLOCK_MAX_COLUMNS ||
	    !dec_raw(d, p, p + n, &plen, &split))
		return -1;
	/* the header and the packed columns lie in the packed part */
	q = d->raw;
	qe = q + plen;
	if (!varint_get(&q, qe, &nrow) || nrow < 1 || nrow > BLOCK_MAX_ROWS ||
	    !varint_get(&q, qe, &nc) || nc != (uint64_t)ncol ||
	    (split && (!varint_get(&q, qe, &stored) ||
	    (stored >> ncol) != 0)) || (d->tag_max == BLOCK_TAG_U32 &&
	    (!varint_get(&q, qe, &fixed) || fixed == 0 ||
	    (fixed >> ncol) != 0)))
		return -1;
	if (nrow * nc > d->v_cap) {
		struct block_val *v = realloc(d->v, nrow * nc * sizeof(*v));

		if (v == NULL)
			return -1;
		d->v = v;
		d->v_cap = nrow * nc;
	}
	/* where each column's sections lie: the packed columns, then the
	 * stored ones, then the fixed sections (method 3) */
	for (int pass = 0; pass < 2; pass++) {
		for (int c = 0; c < ncol; c++) {
			if (((stored >> c) & 1) != (uint64_t)pass)
				continue;
			d->sec[c] = (uint32_t)(q - d->raw);
			if (!dec_section(&q, qe, &s, &se) ||
			    !dec_section(&q, qe, &s, &se))
				return -1;
		}
		if (pass == 0 && q != qe)
			return -1;
		qe = d->raw + d->raw_n;
	}
	for (int c = 0; c < ncol; c++) {
		d->fix[c] = d->fix_n[c] = 0;
		if (!((fixed >> c) & 1))
			continue;
		if (!dec_section(&q, qe, &s, &se))
			return -1;
		d->fix[c] = (uint32_t)(s - d->raw);
		d->fix_n[c] = (uint32_t)(se - s);
	}
	if (q != qe)
		return -1;
	d->nrow = (int)nrow;
	return block_decode_more(d, cols);
}
