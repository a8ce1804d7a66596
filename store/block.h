/*
 * block.h - many rows of one table in one compressed value (issue 11).
 *
 * A block holds up to BLOCK_MAX_ROWS rows of BLOCK_MAX_COLUMNS or fewer
 * columns, each value NULL, an integer, a text or a blob (SQLite's types
 * without REAL). It is written column by column, then compressed with
 * zstd; see block.c for the layout. A stored block is external input to
 * the decoder: every length, count and varint is checked, and a block
 * that does not decode exactly is refused, never read past.
 *
 * Ownership: an encoder or decoder is a caller's struct, set up by *_init
 * and emptied by *_free; what *_finish and block_decode hand back points
 * into it and lives until its next call.
 */
#ifndef GW_STORE_BLOCK_H
#define GW_STORE_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BLOCK_MAX_ROWS		4096
#define BLOCK_MAX_COLUMNS	32
/* Bytes of one block before compression, and so of one row at most. */
#define BLOCK_MAX_RAW		(8u << 20)

enum block_type {
	BLOCK_NULL = 0,
	BLOCK_INT = 1,
	BLOCK_TEXT = 2,
	BLOCK_BLOB = 3,
};

/*
 * A run's tag besides the types above (method 3 blocks, block.c): an
 * integer of 0..2^32-1 written as 4 bytes, little-endian, in the
 * column's own fixed section, not as a delta among its values
 * (block_enc_u32); it reads back as a BLOCK_INT and leaves the column's
 * delta base as it was.
 */
#define BLOCK_TAG_U32	4

/* One value: i for BLOCK_INT, p and n (not NUL-terminated) otherwise. */
struct block_val {
	int64_t i;
	const char *p;
	uint32_t n;
	uint8_t type;
};

struct block_buf {
	uint8_t *p;
	size_t n, cap;
};

struct block_col {
	struct block_buf tags;	/* runs: a type byte, a varint count */
	struct block_buf vals;	/* varints (zigzag deltas), lengths + bytes */
	struct block_buf fixed;	/* BLOCK_TAG_U32's values, 4 bytes each */
	int64_t prev;		/* the column's last integer, for the delta */
	uint32_t start;		/* the row the open run of tag starts at */
	uint8_t tag;
};

struct block_enc {
	int ncol, nrow;
	size_t raw;		/* bytes of the block as it stands */
	size_t row_bytes;	/* texts' bytes of the row being added
				   (block_enc_begin), what it announced */
	size_t row_room;
	bool bad;		/* a row added by value did not fit */
	uint64_t u32_cols;	/* block_enc_u32_cols */
	struct block_col col[BLOCK_MAX_COLUMNS];
	struct block_buf out;	/* the finished block */
	struct block_buf flat;	/* its columns side by side, uncompressed */
	void *cctx;		/* ZSTD_CCtx, kept between blocks */
	int level;
};

/* Start an encoder of rows of ncol columns, compressed at zstd level. */
int block_enc_init(struct block_enc *e, int ncol, int level);
void block_enc_free(struct block_enc *e);
/* Forget the rows added (keeps memory). */
void block_enc_reset(struct block_enc *e);
/*
 * Columns (bit c: column c) that may hold block_enc_u32()'s values, room
 * taken for one in every row; block_enc_row() writes an integer of
 * 0..2^32-1 in them as block_enc_u32() does, so a block of rows read back
 * and written again (merged, pruned) keeps the form the by-value writer
 * chose. 0, or -1 out of memory (then as before).
 */
int block_enc_u32_cols(struct block_enc *e, uint64_t cols);

/*
 * Add a row of e->ncol values. 0 added; 1 the block is full (rows or
 * bytes: finish it and add the row to the next one; a row alone in an
 * empty block is never refused as full, but see -1); -1 the row alone
 * exceeds BLOCK_MAX_RAW, or out of memory. The encoder is unchanged
 * unless 0.
 */
int block_enc_row(struct block_enc *e, const struct block_val *row);

/*
 * Would row (ncol values) go into an empty encoder of ncol columns, i.e.
 * is it not refused with -1 for its size or a type (out of memory aside)?
 */
bool block_row_fits(const struct block_val *row, int ncol);
/*
 * A bound for block_row_fits() without the row: true when every row of
 * ncol values whose texts and blobs hold bytes bytes in all would fit
 * (false does not mean it would not).
 */
static inline bool block_row_fits_bytes(int ncol, size_t bytes);

/*
 * A row added value by value, without a struct block_val row (the
 * writer's block encoder lays out requests so): block_enc_begin() with
 * the bytes the row's texts and blobs hold in all, answered as
 * block_enc_row() answers (0, 1 full, -1 too big: the encoder unchanged
 * unless 0); after 0, each of the e->ncol columns once, in any order,
 * by block_enc_int(), block_enc_null() or block_enc_bytes(); then
 * block_enc_end(): 0, or -1 when the texts held more bytes than
 * announced or memory ran out (the encoder must then be reset: the row
 * is half written).
 */
static inline int block_enc_begin(struct block_enc *e, size_t bytes);
static inline void block_enc_int(struct block_enc *e, int c, int64_t v);
static inline void block_enc_null(struct block_enc *e, int c);
/* v as 4 bytes (BLOCK_TAG_U32) in a column of block_enc_u32_cols() (in
 * another, as block_enc_int): for values whose deltas are as large as
 * they are (client addresses); read back as block_enc_int's */
static inline void block_enc_u32(struct block_enc *e, int c, uint32_t v);
/* type BLOCK_TEXT or BLOCK_BLOB, p[0..n) */
static inline void block_enc_bytes(struct block_enc *e, int c, uint8_t type,
    const void *p, uint32_t n);
static inline int block_enc_end(struct block_enc *e);

/* The block of the rows added, in *p / *n (owned by e); 0 or -1 (memory). */
int block_enc_finish(struct block_enc *e, const uint8_t **p, size_t *n);
/*
 * Trade e's output buffer (the block block_enc_finish() just gave) for *b:
 * the block's bytes stay in *b (b->p, b->n), and e, once reset, finishes
 * the next block into b's old buffer (grown as needed; b may be empty).
 */
void block_enc_swap_out(struct block_enc *e, struct block_buf *b);

struct block_dec {
	int ncol, nrow;
	struct block_val *v;	/* nrow * ncol values, row after row */
	size_t v_cap;
	uint8_t *raw;		/* the decompressed block; texts point here */
	size_t raw_cap, raw_n;
	void *dctx;		/* ZSTD_DCtx */
	uint64_t done;		/* columns decoded (block_decode_cols) */
	uint8_t tag_max;	/* the last tag the block's method knows */
	uint32_t fix[BLOCK_MAX_COLUMNS];	/* each column's fixed section
						   in raw, and its bytes */
	uint32_t fix_n[BLOCK_MAX_COLUMNS];
	uint32_t sec[BLOCK_MAX_COLUMNS];	/* where each column's sections
						   start in raw */
};

void block_dec_init(struct block_dec *d);
void block_dec_free(struct block_dec *d);

/*
 * Decode the block p[0..n) whose rows must have ncol columns. 0, and the
 * rows in d->v; -1 not a well-formed block (or out of memory), d empty.
 */
int block_decode(struct block_dec *d, const void *p, size_t n, int ncol);
/*
 * block_decode() of the columns in cols only (bit c: column c): a reader
 * that uses few of them (requests_vt.c) skips the others' values, which
 * stay unset in d->v and must not be read. The block's frame and every
 * column's section lengths are checked all the same.
 */
int block_decode_cols(struct block_dec *d, const void *p, size_t n,
    int ncol, uint64_t cols);
/*
 * Decode the columns in cols not decoded yet of the block d holds (after
 * block_decode_cols): 0, or -1 when one does not decode (d then empty).
 */
int block_decode_more(struct block_dec *d, uint64_t cols);

/* Row r's values (r < d->nrow). */
static inline const struct block_val *
block_dec_row(const struct block_dec *d, int r)
{
	return d->v + (size_t)r * (size_t)d->ncol;
}

/* The inline part of adding by value (see block_enc_begin above). */
#define BLOCK_VARINT_MAX	10
/* Upper bound of a column's bytes beyond its runs and values (three
 * lengths, one open run) and of the block's header (block.c). */
#define BLOCK_COL_SLACK		(4 * BLOCK_VARINT_MAX + 1)
#define BLOCK_HEAD_SLACK	(4 * BLOCK_VARINT_MAX + 1)
/* Bytes a row of ncol values adds to e->raw besides its texts' bytes
 * (an integer's varint and a run closed, block.c's val_room() of each). */
#define BLOCK_ROW_ROOM(ncol)	((size_t)(ncol) * (2 * BLOCK_VARINT_MAX + 1))

/* See above: BLOCK_ROW_ROOM of ncol values, bytes of them texts. */
static inline bool
block_row_fits_bytes(int ncol, size_t bytes)
{
	size_t room;

	if (ncol < 1 || ncol > BLOCK_MAX_COLUMNS)
		return false;
	room = BLOCK_MAX_RAW - (BLOCK_HEAD_SLACK + (size_t)ncol *
	    BLOCK_COL_SLACK);
	return bytes <= room && BLOCK_ROW_ROOM(ncol) <= room - bytes;
}

/*
 * See above: the bound block_enc_row() takes, with the texts' bytes
 * given (val_room() of any value is 2 * BLOCK_VARINT_MAX + 1 and its
 * bytes). Room for the bytes is taken by block_enc_bytes(), so a row
 * that runs out of memory half way leaves the encoder bad.
 */
static inline int
block_enc_begin(struct block_enc *e, size_t bytes)
{
	if (e->bad)
		return -1;
	if (e->nrow >= BLOCK_MAX_ROWS)
		return 1;
	if (bytes > BLOCK_MAX_RAW || BLOCK_ROW_ROOM(e->ncol) + bytes >
	    BLOCK_MAX_RAW - e->raw)
		return e->nrow > 0 ? 1 : -1;
	e->row_bytes = 0;
	e->row_room = bytes;
	return 0;
}

static inline int
block_enc_end(struct block_enc *e)
{
	if (e->bad)
		return -1;
	e->raw += BLOCK_ROW_ROOM(e->ncol) + e->row_bytes;
	e->nrow++;
	return 0;
}

/* Write v at p (room for BLOCK_VARINT_MAX assumed); bytes written. */
static inline size_t
block_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	if (__builtin_expect(v < 0x80, 1)) {
		p[0] = (uint8_t)v;
		return 1;
	}
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* A value of type in row nrow of column k: its run goes on, or the run
 * before is closed (room for it is kept: block_enc_init). */
static inline void
block_col_tag(struct block_col *k, uint8_t type, int nrow)
{
	if (k->tag != type) {
		if ((uint32_t)nrow > k->start) {
			k->tags.p[k->tags.n++] = k->tag;
			k->tags.n += block_varint_put(k->tags.p + k->tags.n,
			    (uint32_t)nrow - k->start);
		}
		k->tag = type;
		k->start = (uint32_t)nrow;
	}
}

static inline void
block_enc_int(struct block_enc *e, int c, int64_t v)
{
	struct block_col *k = &e->col[c];
	uint64_t d = (uint64_t)v - (uint64_t)k->prev;

	block_col_tag(k, BLOCK_INT, e->nrow);
	/* zigzag: 0, -1, 1, -2 ... as 0, 1, 2, 3 ... */
	k->vals.n += block_varint_put(k->vals.p + k->vals.n,
	    d << 1 ^ (0 - (d >> 63)));
	k->prev = v;
}

static inline void
block_enc_null(struct block_enc *e, int c)
{
	block_col_tag(&e->col[c], BLOCK_NULL, e->nrow);
}

static inline void
block_enc_u32(struct block_enc *e, int c, uint32_t v)
{
	struct block_col *k = &e->col[c];
	uint8_t *p;

	if (!((e->u32_cols >> c) & 1)) {	/* no room taken for it */
		block_enc_int(e, c, v);
		return;
	}
	block_col_tag(k, BLOCK_TAG_U32, e->nrow);
	/* room for every row's (block_enc_u32_cols) */
	p = k->fixed.p + k->fixed.n;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	k->fixed.n += 4;
}

/* Room in column k's values for a text of n bytes and then an integer
 * in each row the block may still take; false out of memory. */
bool block_col_grow(struct block_enc *e, struct block_col *k, uint32_t n);

static inline bool
block_col_room(struct block_enc *e, struct block_col *k, uint32_t n)
{
	size_t left = (size_t)(BLOCK_MAX_ROWS - e->nrow - 1);

	return k->vals.cap - k->vals.n >= BLOCK_VARINT_MAX * (left + 1) +
	    (size_t)n || block_col_grow(e, k, n);
}

static inline void
block_enc_bytes(struct block_enc *e, int c, uint8_t type, const void *p,
    uint32_t n)
{
	struct block_col *k = &e->col[c];

	e->row_bytes += n;
	if (e->row_bytes > e->row_room || !block_col_room(e, k, n)) {
		e->bad = true;
		/* the column still gets its value, so the block's shape
		 * stays whole until it is reset */
		block_col_tag(k, BLOCK_NULL, e->nrow);
		return;
	}
	block_col_tag(k, type, e->nrow);
	k->vals.n += block_varint_put(k->vals.p + k->vals.n, n);
	if (n > 0) {
		memcpy(k->vals.p + k->vals.n, p, n);
		k->vals.n += n;
	}
}

#endif
