/*
 * test_block.c - store/block.c: rows in, the same rows out (every type,
 * integer extremes and wrapping deltas, empty and long texts, texts with
 * NUL bytes, blobs, runs of NULL), full blocks by rows and by bytes, a row
 * too big for any block, refusal of every damaged block (each cut,
 * each flipped byte of a small one, forged headers), finished blocks
 * kept apart from the encoder (block_enc_swap_out), and integers in a
 * column's fixed section (method 3).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "store/block.h"

#define NCOL 6

static void
check_same(const struct block_val *a, const struct block_val *b)
{
	assert_int_equal(a->type, b->type);
	if (a->type == BLOCK_INT)
		assert_true(a->i == b->i);
	if (a->type == BLOCK_TEXT || a->type == BLOCK_BLOB) {
		assert_int_equal(a->n, b->n);
		if (a->n > 0)
			assert_memory_equal(a->p, b->p, a->n);
	}
}

/* Encode nrow rows of rows[], decode, compare; the block in *blob. */
static void
round_trip(const struct block_val *rows, int nrow, int ncol)
{
	struct block_enc e;
	struct block_dec d;
	const uint8_t *p;
	size_t n;

	assert_int_equal(block_enc_init(&e, ncol, 1), 0);
	for (int r = 0; r < nrow; r++)
		assert_int_equal(block_enc_row(&e, rows + (size_t)r * ncol), 0);
	assert_int_equal(block_enc_finish(&e, &p, &n), 0);
	block_dec_init(&d);
	assert_int_equal(block_decode(&d, p, n, ncol), 0);
	assert_int_equal(d.nrow, nrow);
	for (int r = 0; r < nrow; r++)
		for (int c = 0; c < ncol; c++)
			check_same(&rows[(size_t)r * ncol + c],
			    &block_dec_row(&d, r)[c]);
	/* a column alone, then the others as they are asked for (the
	 * readers' requests_all): the same values */
	for (int c = 0; c < ncol; c++) {
		assert_int_equal(block_decode_cols(&d, p, n, ncol,
		    (uint64_t)1 << c), 0);
		assert_int_equal(d.done, (uint64_t)1 << c);
		for (int k = ncol - 1; k >= 0; k--)
			assert_int_equal(block_decode_more(&d,
			    (uint64_t)1 << k), 0);
		for (int r = 0; r < nrow; r++)
			for (int k = 0; k < ncol; k++)
				check_same(&rows[(size_t)r * ncol + k],
				    &block_dec_row(&d, r)[k]);
	}
	/* the wrong number of columns is refused */
	assert_int_equal(block_decode(&d, p, n, ncol + 1), -1);
	block_dec_free(&d);
	block_enc_free(&e);
}

#define I(v) {.type = BLOCK_INT, .i = (v)}
#define T(s) {.type = BLOCK_TEXT, .p = (s), .n = sizeof(s) - 1}
#define B(s) {.type = BLOCK_BLOB, .p = (s), .n = sizeof(s) - 1}
#define N {.type = BLOCK_NULL}

static void
test_block_round_trip_edges(void **state)
{
	static const struct block_val rows[][NCOL] = {
		{I(1), I(1765000000000), T("/a"), N, B("\x89\x0c\xbd\x80"), I(200)},
		{I(2), I(1765000000001), T(""), N, T("not-hex-id"), I(502)},
		{I(INT64_MAX), I(INT64_MIN), T("2001:db8::1"), I(0), N, I(-1)},
		{I(INT64_MIN), I(INT64_MAX), T("HTTP/9.9"), I(-1), B(""), N},
		{I(-5), I(0), T("a\0b"), T("x"), B("\0\0\0"), I(0)},
		{N, N, N, N, N, N},
		{N, N, N, N, N, N},
		{I(3), I(1765000000000), T("/a"), I(4294967295), T("U"), I(200)},
	};

	(void)state;
	round_trip(&rows[0][0], (int)(sizeof(rows) / sizeof(rows[0])), NCOL);
	/* one row, one column */
	round_trip(&rows[2][0], 1, 1);
}

/* Many rows of varied values (a reproducible generator). */
static void
test_block_round_trip_many(void **state)
{
	static struct block_val rows[BLOCK_MAX_ROWS][NCOL];
	static char text[BLOCK_MAX_ROWS][40];
	uint64_t x = 88172645463325252ULL;

	(void)state;
	for (int r = 0; r < BLOCK_MAX_ROWS; r++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		rows[r][0] = (struct block_val){.type = BLOCK_INT, .i = r * 3};
		rows[r][1] = (struct block_val){.type = BLOCK_INT,
		    .i = (int64_t)x};
		snprintf(text[r], sizeof(text[r]), "/api/v1/items/%llu",
		    (unsigned long long)(x % 100000));
		rows[r][2] = (struct block_val){.type = BLOCK_TEXT,
		    .p = text[r], .n = (uint32_t)strlen(text[r])};
		rows[r][3] = (struct block_val){.type = (uint8_t)(x % 4),
		    .i = (int64_t)(x >> 40), .p = text[r], .n = 3};
		rows[r][4] = (struct block_val){.type = BLOCK_NULL};
		rows[r][5] = (struct block_val){.type = BLOCK_INT,
		    .i = x % 7 == 0 ? 502 : 200};
	}
	round_trip(&rows[0][0], BLOCK_MAX_ROWS, NCOL);
}

/*
 * Blocks taken out of the encoder by block_enc_swap_out stay whole while
 * it finishes more, into the buffers it was given back (store/blocks.c's
 * zip keeps three finished blocks so, with one encoder).
 */
static void
test_block_swap_out(void **state)
{
	struct block_buf held[3] = {{0}};
	struct block_enc e;
	struct block_dec d;

	(void)state;
	assert_int_equal(block_enc_init(&e, 2, 1), 0);
	block_dec_init(&d);
	for (int round = 0; round < 4; round++)
		for (int k = 0; k < 3; k++) {
			int nrow = 10 + 100 * k + round;
			const uint8_t *p;
			size_t n;

			block_enc_reset(&e);
			for (int r = 0; r < nrow; r++) {
				char t[32];
				int tn = snprintf(t, sizeof(t), "/r%d/k%d/%d",
				    round, k, r);
				struct block_val row[2] = {
					{.type = BLOCK_INT, .i = r * 7 + k},
					{.type = BLOCK_TEXT, .p = t,
					    .n = (uint32_t)tn},
				};

				assert_int_equal(block_enc_row(&e, row), 0);
			}
			assert_int_equal(block_enc_finish(&e, &p, &n), 0);
			block_enc_swap_out(&e, &held[k]);
			assert_ptr_equal(held[k].p, p);
			assert_int_equal(held[k].n, n);
			assert_int_equal(e.out.n, 0);
		}
	/* every block of the last round, finished before the others went
	 * out, still holds its rows */
	for (int k = 0; k < 3; k++) {
		int nrow = 10 + 100 * k + 3;

		assert_int_equal(block_decode(&d, held[k].p, held[k].n, 2), 0);
		assert_int_equal(d.nrow, nrow);
		for (int r = 0; r < nrow; r++) {
			char t[32];
			int tn = snprintf(t, sizeof(t), "/r3/k%d/%d", k, r);

			assert_true(block_dec_row(&d, r)[0].i == r * 7 + k);
			assert_int_equal(block_dec_row(&d, r)[1].n, tn);
			assert_memory_equal(block_dec_row(&d, r)[1].p, t,
			    (size_t)tn);
		}
		free(held[k].p);
	}
	block_dec_free(&d);
	block_enc_free(&e);
}

/* Full by rows, by bytes; a row bigger than any block is refused. */
static void
test_block_full(void **state)
{
	struct block_val row[2] = {I(7), T("x")};
	struct block_enc e;
	char *big = malloc(BLOCK_MAX_RAW / 3);
	int rc = 0, n = 0;

	(void)state;
	assert_non_null(big);
	memset(big, 'p', BLOCK_MAX_RAW / 3);
	assert_int_equal(block_enc_init(&e, 2, 1), 0);
	while ((rc = block_enc_row(&e, row)) == 0)
		n++;
	assert_int_equal(rc, 1);
	assert_int_equal(n, BLOCK_MAX_ROWS);
	block_enc_reset(&e);
	row[1].p = big;
	row[1].n = BLOCK_MAX_RAW / 3;
	n = 0;
	while ((rc = block_enc_row(&e, row)) == 0)
		n++;
	assert_int_equal(rc, 1);
	assert_int_equal(n, 2);
	block_enc_reset(&e);
	row[1].n = BLOCK_MAX_RAW;	/* alone, too big */
	assert_int_equal(block_enc_row(&e, row), -1);
	assert_int_equal(e.nrow, 0);
	/* an empty block then still takes a normal row */
	row[1].n = 3;
	assert_int_equal(block_enc_row(&e, row), 0);
	block_enc_free(&e);
	free(big);
}

/* Row rows[r] added value by value (block_enc_begin ...); as
 * block_enc_row() answers. */
static int
add_by_value(struct block_enc *e, const struct block_val *row, int ncol)
{
	size_t bytes = 0;
	int rc;

	for (int c = 0; c < ncol; c++)
		if (row[c].type >= BLOCK_TEXT)
			bytes += row[c].n;
	if ((rc = block_enc_begin(e, bytes)) != 0)
		return rc;
	/* columns in any order: last to first */
	for (int c = ncol - 1; c >= 0; c--)
		switch (row[c].type) {
		case BLOCK_INT:
			block_enc_int(e, c, row[c].i);
			break;
		case BLOCK_NULL:
			block_enc_null(e, c);
			break;
		default:
			block_enc_bytes(e, c, row[c].type, row[c].p, row[c].n);
		}
	return block_enc_end(e);
}

/*
 * Rows added value by value (the writer's block encoder) make the very
 * block block_enc_row() makes of them, fill it at the same row, refuse a
 * row too big alone the same way (the encoder unchanged), and a row whose
 * texts hold more than announced leaves the encoder bad (-1) until reset.
 */
static void
test_block_by_value(void **state)
{
	static struct block_val rows[BLOCK_MAX_ROWS + 1][NCOL];
	static char text[BLOCK_MAX_ROWS + 1][24];
	struct block_enc a, b;
	const uint8_t *pa, *pb;
	size_t na, nb;
	uint64_t x = 88172645463325252ULL;
	int r;

	(void)state;
	for (r = 0; r <= BLOCK_MAX_ROWS; r++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(text[r], sizeof(text[r]), "/p/%llu",
		    (unsigned long long)(x % 1000));
		rows[r][0] = (struct block_val){.type = BLOCK_INT, .i = r};
		rows[r][1] = (struct block_val){.type = BLOCK_INT,
		    .i = (int64_t)x};
		rows[r][2] = (struct block_val){.type = BLOCK_TEXT,
		    .p = text[r], .n = (uint32_t)strlen(text[r])};
		rows[r][3] = (struct block_val){.type = (uint8_t)(x % 4),
		    .i = (int64_t)(x >> 40), .p = text[r], .n = 2};
		rows[r][4] = (struct block_val){.type = x % 3 ? BLOCK_BLOB :
		    BLOCK_NULL, .p = text[r], .n = 0};
		rows[r][5] = (struct block_val){.type = BLOCK_INT,
		    .i = INT64_MIN + (int64_t)(x % 3)};
	}
	assert_int_equal(block_enc_init(&a, NCOL, 1), 0);
	assert_int_equal(block_enc_init(&b, NCOL, 1), 0);
	for (r = 0; r < BLOCK_MAX_ROWS; r++) {
		assert_int_equal(block_enc_row(&a, rows[r]), 0);
		assert_int_equal(add_by_value(&b, rows[r], NCOL), 0);
	}
	assert_int_equal(block_enc_row(&a, rows[r]), 1);
	assert_int_equal(add_by_value(&b, rows[r], NCOL), 1);
	assert_int_equal(a.raw, b.raw);
	assert_int_equal(block_enc_finish(&a, &pa, &na), 0);
	assert_int_equal(block_enc_finish(&b, &pb, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(pa, pb, na);

	/* a row too big alone: -1, nothing changed; full by bytes: 1 */
	block_enc_reset(&b);
	assert_int_equal(block_enc_begin(&b, BLOCK_MAX_RAW), -1);
	assert_int_equal(b.nrow, 0);
	assert_int_equal(add_by_value(&b, rows[0], NCOL), 0);
	assert_int_equal(block_enc_begin(&b, BLOCK_MAX_RAW - 200), 1);
	assert_int_equal(b.nrow, 1);

	/* more bytes than announced: bad until reset */
	assert_int_equal(block_enc_begin(&b, 1), 0);
	for (int c = 0; c < NCOL; c++)
		block_enc_bytes(&b, c, BLOCK_TEXT, "ab", 2);
	assert_int_equal(block_enc_end(&b), -1);
	assert_int_equal(block_enc_begin(&b, 0), -1);
	block_enc_reset(&b);
	assert_int_equal(add_by_value(&b, rows[0], NCOL), 0);
	assert_int_equal(block_enc_finish(&b, &pb, &nb), 0);
	block_enc_free(&a);
	block_enc_free(&b);
}

/* LEB128 of v at p; bytes written. */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * The block of rows (nrow x ncol) as the encoder wrote it before method 2
 * (sessions 6-7): the raw form, columns in order, without a stored mask,
 * as one zstd frame (method 1), or as it is (method 0) when raw; its
 * bytes in out, their count returned.
 */
static size_t
v1_block(const struct block_val *rows, int nrow, int ncol, bool raw,
    uint8_t *out, size_t cap)
{
	static uint8_t flat[1 << 16], tags[1 << 14], vals[1 << 15];
	size_t f = 0, n = 0;

	f += put_varint(flat + f, (uint64_t)nrow);
	f += put_varint(flat + f, (uint64_t)ncol);
	for (int c = 0; c < ncol; c++) {
		size_t t = 0, v = 0;
		uint64_t prev = 0;

		for (int r = 0; r < nrow; ) {
			const struct block_val *x = &rows[(size_t)r * ncol + c];
			int run = 1;

			while (r + run < nrow &&
			    rows[(size_t)(r + run) * ncol + c].type == x->type)
				run++;
			tags[t++] = x->type;
			t += put_varint(tags + t, (uint64_t)run);
			for (int k = r; k < r + run; k++) {
				const struct block_val *y =
				    &rows[(size_t)k * ncol + c];
				uint64_t d;

				switch (y->type) {
				case BLOCK_INT:
					d = (uint64_t)y->i - prev;
					prev = (uint64_t)y->i;
					v += put_varint(vals + v, d << 1 ^
					    (0 - (d >> 63)));
					break;
				case BLOCK_TEXT:
				case BLOCK_BLOB:
					v += put_varint(vals + v, y->n);
					memcpy(vals + v, y->p, y->n);
					v += y->n;
					break;
				}
			}
			r += run;
		}
		f += put_varint(flat + f, t);
		memcpy(flat + f, tags, t);
		f += t;
		f += put_varint(flat + f, v);
		memcpy(flat + f, vals, v);
		f += v;
	}
	out[n++] = raw ? 0 : 1;
	n += put_varint(out + n, f);
	if (raw) {
		memcpy(out + n, flat, f);
		return n + f;
	}
	return n + ZSTD_compress(out + n, cap - n, flat, f, 1);
}

/*
 * Blocks of the format before method 2 (one frame of the whole raw form,
 * or the raw form as it is), as databases of sessions 6-7 hold them, read
 * the same rows: whole, column by column, and then merged with new rows
 * into a block of method 2.
 */
static void
test_block_old_format(void **state)
{
	static struct block_val rows[300][NCOL];
	static char text[300][40];
	static uint8_t blob[1 << 17];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	struct block_dec d;
	struct block_enc e;
	const uint8_t *p;
	size_t n, bn;

	(void)state;
	for (int r = 0; r < 300; r++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(text[r], sizeof(text[r]), "%016llx%016llx",
		    (unsigned long long)x, (unsigned long long)(x * 31));
		rows[r][0] = (struct block_val){.type = BLOCK_INT, .i = r};
		rows[r][1] = (struct block_val){.type = BLOCK_INT,
		    .i = (int64_t)x};
		rows[r][2] = (struct block_val){.type = BLOCK_TEXT,
		    .p = text[r], .n = 9};
		rows[r][3] = (struct block_val){.type = (uint8_t)(x % 4),
		    .i = -(int64_t)(x >> 50), .p = text[r] + 3, .n = 5};
		rows[r][4] = (struct block_val){.type = BLOCK_BLOB,
		    .p = text[r], .n = 16};
		rows[r][5] = (struct block_val){.type = BLOCK_NULL};
	}
	block_dec_init(&d);
	for (int raw = 0; raw < 2; raw++) {
		bn = v1_block(&rows[0][0], 300, NCOL, raw, blob, sizeof(blob));
		assert_int_equal(blob[0], raw ? 0 : 1);
		assert_int_equal(block_decode(&d, blob, bn, NCOL), 0);
		assert_int_equal(d.nrow, 300);
		for (int r = 0; r < 300; r++)
			for (int c = 0; c < NCOL; c++)
				check_same(&rows[r][c], &block_dec_row(&d, r)[c]);
		assert_int_equal(block_decode_cols(&d, blob, bn, NCOL, 4), 0);
		assert_int_equal(block_decode_more(&d, 0x3f), 0);
		for (int r = 0; r < 300; r++)
			for (int c = 0; c < NCOL; c++)
				check_same(&rows[r][c], &block_dec_row(&d, r)[c]);
		/* every cut refused */
		for (size_t cut = 0; cut < bn; cut += 7)
			assert_int_equal(block_decode(&d, blob, cut, NCOL), -1);
		/* merged (blocks.c re-encodes): method 2, the same rows */
		assert_int_equal(block_decode(&d, blob, bn, NCOL), 0);
		assert_int_equal(block_enc_init(&e, NCOL, 1), 0);
		for (int r = 0; r < d.nrow; r++)
			assert_int_equal(block_enc_row(&e, block_dec_row(&d, r)),
			    0);
		assert_int_equal(block_enc_finish(&e, &p, &n), 0);
		assert_int_equal(p[0], 2);
		assert_int_equal(block_decode(&d, p, n, NCOL), 0);
		for (int r = 0; r < 300; r++)
			for (int c = 0; c < NCOL; c++)
				check_same(&rows[r][c], &block_dec_row(&d, r)[c]);
		block_enc_free(&e);
	}
	block_dec_free(&d);
}

/*
 * Method 2's stored part: a column of random bytes is stored (not in the
 * zstd frame), a text column is not, and blocks forged around the split
 * are refused: the packed part longer than the raw form, a stored bit
 * beyond the columns, the packed columns not ending the packed part, a
 * stored part cut or too long; a packed part written as it is (zlen 0)
 * reads.
 */
static void
test_block_stored_part(void **state)
{
	static struct block_val rows[BLOCK_MAX_ROWS][2];
	static uint8_t rnd[BLOCK_MAX_ROWS][16];
	static uint8_t buf[1 << 20];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct block_enc e;
	struct block_dec d;
	const uint8_t *p, *q;
	uint64_t raw_len, plen, zlen;
	size_t n, head;

	(void)state;
	for (int r = 0; r < BLOCK_MAX_ROWS; r++) {
		for (int k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			rnd[r][k] = (uint8_t)(x >> 32);
		}
		rows[r][0] = (struct block_val){.type = BLOCK_TEXT,
		    .p = "/api/v1/items", .n = 13};
		rows[r][1] = (struct block_val){.type = BLOCK_BLOB,
		    .p = (const char *)rnd[r], .n = 16};
	}
	assert_int_equal(block_enc_init(&e, 2, 1), 0);
	for (int r = 0; r < BLOCK_MAX_ROWS; r++)
		assert_int_equal(block_enc_row(&e, rows[r]), 0);
	assert_int_equal(block_enc_finish(&e, &p, &n), 0);
	/* method 2; the stored part is column 1's sections, its random
	 * bytes as they are at the block's end */
	assert_int_equal(p[0], 2);
	q = p + 1;
	raw_len = plen = zlen = 0;
	for (uint64_t *v = &raw_len; v != NULL;
	    v = v == &raw_len ? &plen : v == &plen ? &zlen : NULL) {
		int sh = 0;

		do
			*v |= (uint64_t)(*q & 0x7f) << sh, sh += 7;
		while (*q++ & 0x80);
	}
	head = (size_t)(q - p);
	assert_true(zlen > 0 && zlen < plen);
	assert_true(raw_len - plen > (size_t)BLOCK_MAX_ROWS * 17);
	assert_int_equal(n, head + zlen + (raw_len - plen));
	assert_memory_equal(p + n - 16, rnd[BLOCK_MAX_ROWS - 1], 16);
	block_dec_init(&d);
	assert_int_equal(block_decode(&d, p, n, 2), 0);
	for (int r = 0; r < BLOCK_MAX_ROWS; r++) {
		check_same(&rows[r][0], &block_dec_row(&d, r)[0]);
		check_same(&rows[r][1], &block_dec_row(&d, r)[1]);
	}
	/* the stored part cut, or a byte too many */
	assert_int_equal(block_decode(&d, p, n - 1, 2), -1);
	memcpy(buf, p, n);
	buf[n] = 0;
	assert_int_equal(block_decode(&d, buf, n + 1, 2), -1);

	/* hand-made method 2 blocks of one column (x, then bad forms):
	 * raw form: nrow 1, ncol 1, stored s, tags (1: one INT), vals */
	{
		/* packed as it is: header, column 0 packed */
		static const uint8_t ok_plain[] = {2, 8, 8, 0,
		    1, 1, 0, 2, 1, 1, 1, 4};
		/* column 0 stored: header packed (3 bytes), column stored;
		 * and a byte too many */
		static const uint8_t ok_stored[] = {2, 8, 3, 0,
		    1, 1, 1, 2, 1, 1, 1, 4, 0};
		/* plen past raw_len */
		static const uint8_t plen_over[] = {2, 8, 9, 0,
		    1, 1, 0, 2, 1, 1, 1, 4};
		/* a stored bit beyond ncol */
		static const uint8_t bit_over[] = {2, 8, 8, 0,
		    1, 1, 2, 2, 1, 1, 1, 4};
		/* column 0 packed but the packed part ends after the header:
		 * the column lies in the stored part */
		static const uint8_t not_ended[] = {2, 8, 3, 0,
		    1, 1, 0, 2, 1, 1, 1, 4};
		/* plen 0 */
		static const uint8_t plen_zero[] = {2, 8, 0, 0,
		    1, 1, 0, 2, 1, 1, 1, 4};
		size_t sn = sizeof(ok_stored) - 1;

		assert_int_equal(block_decode(&d, ok_plain, sizeof(ok_plain),
		    1), 0);
		assert_int_equal(block_dec_row(&d, 0)[0].type, BLOCK_INT);
		assert_int_equal(block_dec_row(&d, 0)[0].i, 2);
		assert_int_equal(block_decode(&d, ok_stored, sn, 1), 0);
		assert_int_equal(block_dec_row(&d, 0)[0].i, 2);
		assert_int_equal(block_decode_cols(&d, ok_stored, sn, 1, 0), 0);
		assert_int_equal(block_decode_more(&d, 1), 0);
		assert_int_equal(block_dec_row(&d, 0)[0].i, 2);
		assert_int_equal(block_decode(&d, ok_stored, sn + 1, 1), -1);
		assert_int_equal(block_decode(&d, ok_stored, sn - 1, 1), -1);
		assert_int_equal(block_decode(&d, plen_over, sizeof(plen_over),
		    1), -1);
		assert_int_equal(block_decode(&d, bit_over, sizeof(bit_over),
		    1), -1);
		assert_int_equal(block_decode(&d, not_ended, sizeof(not_ended),
		    1), -1);
		assert_int_equal(block_decode(&d, plen_zero, sizeof(plen_zero),
		    1), -1);
	}
	block_dec_free(&d);
	block_enc_free(&e);
}

/*
 * Method 3: integers of 0..2^32-1 in a column of block_enc_u32_cols()
 * (clients' addresses) as 4 bytes in the column's fixed section, at the
 * block's end; block_enc_row() and block_enc_u32() make the same block,
 * the values read back as integers (the column's other integers keep
 * their deltas across them), a block without one is method 2; forged
 * fixed sections are refused: tag 4 in a method 2 block or in a column
 * without a fixed section, a section longer or shorter than its values,
 * a fixed bit beyond the columns, a fixed mask of none.
 */
static void
test_block_fixed_u32(void **state)
{
	static struct block_val rows[BLOCK_MAX_ROWS][3];
	static char text[BLOCK_MAX_ROWS][24];
	struct block_enc a, b;
	struct block_dec d;
	const uint8_t *pa, *pb;
	size_t na, nb;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	int64_t last = -1;

	(void)state;
	for (int r = 0; r < BLOCK_MAX_ROWS; r++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(text[r], sizeof(text[r]), "2001:db8::%x",
		    (unsigned)(x % 65536));
		rows[r][0] = (struct block_val){.type = BLOCK_INT, .i = r};
		/* addresses, a text now and then, integers out of 32 bits
		 * (a delta), NULL */
		switch (x % 8) {
		case 0:
			rows[r][1] = (struct block_val){.type = BLOCK_TEXT,
			    .p = text[r], .n = (uint32_t)strlen(text[r])};
			break;
		case 1:
			rows[r][1] = (struct block_val){.type = BLOCK_INT,
			    .i = -(int64_t)(x >> 40)};
			break;
		case 2:
			rows[r][1] = (struct block_val){.type = BLOCK_INT,
			    .i = (int64_t)UINT32_MAX + 1 + (int64_t)(x >> 50)};
			break;
		case 3:
			rows[r][1] = (struct block_val){.type = BLOCK_NULL};
			break;
		default:
			rows[r][1] = (struct block_val){.type = BLOCK_INT,
			    .i = r % 5 == 0 ? (int64_t)UINT32_MAX :
			    (int64_t)(uint32_t)(x >> 17)};
		}
		rows[r][2] = (struct block_val){.type = BLOCK_INT,
		    .i = (int64_t)(uint32_t)x};
	}
	assert_int_equal(block_enc_init(&a, 3, 1), 0);
	assert_int_equal(block_enc_init(&b, 3, 1), 0);
	assert_int_equal(block_enc_u32_cols(&a, 2), 0);
	assert_int_equal(block_enc_u32_cols(&b, 2), 0);
	for (int r = 0; r < BLOCK_MAX_ROWS; r++) {
		const struct block_val *v = rows[r];

		assert_int_equal(block_enc_row(&a, v), 0);
		assert_int_equal(block_enc_begin(&b, v[1].type == BLOCK_TEXT ?
		    v[1].n : 0), 0);
		block_enc_int(&b, 0, v[0].i);
		if (v[1].type == BLOCK_INT && v[1].i >= 0 &&
		    v[1].i <= (int64_t)UINT32_MAX)
			block_enc_u32(&b, 1, (uint32_t)v[1].i);
		else if (v[1].type == BLOCK_INT)
			block_enc_int(&b, 1, v[1].i);
		else if (v[1].type == BLOCK_TEXT)
			block_enc_bytes(&b, 1, BLOCK_TEXT, v[1].p, v[1].n);
		else
			block_enc_null(&b, 1);
		block_enc_int(&b, 2, v[2].i);
		assert_int_equal(block_enc_end(&b), 0);
		if (v[1].type == BLOCK_INT && v[1].i >= 0 &&
		    v[1].i <= (int64_t)UINT32_MAX)
			last = v[1].i;
	}
	assert_int_equal(block_enc_finish(&a, &pa, &na), 0);
	assert_int_equal(block_enc_finish(&b, &pb, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(pa, pb, na);
	/* method 3, the last address the block's last 4 bytes */
	assert_int_equal(pa[0], 3);
	assert_int_equal(pa[na - 4] | pa[na - 3] << 8 | pa[na - 2] << 16 |
	    (uint32_t)pa[na - 1] << 24, (uint32_t)last);
	block_dec_init(&d);
	assert_int_equal(block_decode(&d, pa, na, 3), 0);
	for (int r = 0; r < BLOCK_MAX_ROWS; r++)
		for (int c = 0; c < 3; c++)
			check_same(&rows[r][c], &block_dec_row(&d, r)[c]);
	assert_int_equal(block_decode_cols(&d, pa, na, 3, 1), 0);
	assert_int_equal(block_decode_more(&d, 6), 0);
	for (int r = 0; r < BLOCK_MAX_ROWS; r++)
		for (int c = 0; c < 3; c++)
			check_same(&rows[r][c], &block_dec_row(&d, r)[c]);
	/* every cut refused */
	for (size_t cut = 0; cut < na; cut += 97)
		assert_int_equal(block_decode(&d, pa, cut, 3), -1);
	/* a column without room for them: as block_enc_int, method 2 */
	block_enc_reset(&b);
	assert_int_equal(block_enc_begin(&b, 0), 0);
	block_enc_int(&b, 0, 5);
	block_enc_null(&b, 1);
	block_enc_u32(&b, 2, UINT32_MAX);
	assert_int_equal(block_enc_end(&b), 0);
	assert_int_equal(block_enc_finish(&b, &pb, &nb), 0);
	assert_int_equal(pb[0], 2);
	assert_int_equal(block_decode(&d, pb, nb, 3), 0);
	assert_true(block_dec_row(&d, 0)[2].i == (int64_t)UINT32_MAX);
	/* no address: method 2 */
	{
		struct block_val n3[3] = {{.type = BLOCK_INT, .i = 1},
		    {.type = BLOCK_NULL}, {.type = BLOCK_INT, .i = -1}};

		block_enc_reset(&a);
		assert_int_equal(block_enc_row(&a, n3), 0);
		assert_int_equal(block_enc_finish(&a, &pa, &na), 0);
		assert_int_equal(pa[0], 2);
	}

	/* hand-made blocks of one column, raw form: nrow 1, ncol 1,
	 * stored 0, fixed f; tags (tag, count 1), vals; fixed sections */
	{
		/* packed part as it is (zlen 0): 8 bytes; the fixed
		 * section 5 more: 7 = 0x07060504 */
		static const uint8_t ok[] = {3, 13, 8, 0,
		    1, 1, 0, 1, 2, 4, 1, 0, 4, 4, 5, 6, 7};
		/* tag 4 in method 2 */
		static const uint8_t m2[] = {2, 7, 7, 0,
		    1, 1, 0, 2, 4, 1, 0};
		/* tag 4, no fixed section (fixed 2: beyond ncol) */
		static const uint8_t beyond[] = {3, 13, 8, 0,
		    1, 1, 0, 2, 2, 4, 1, 0, 4, 4, 5, 6, 7};
		/* fixed mask of none */
		static const uint8_t none[] = {3, 8, 8, 0,
		    1, 1, 0, 0, 2, 4, 1, 0};
		/* fixed section of 5 bytes, one value */
		static const uint8_t longer[] = {3, 14, 8, 0,
		    1, 1, 0, 1, 2, 4, 1, 0, 5, 4, 5, 6, 7, 8};
		/* of 3 bytes */
		static const uint8_t shorter[] = {3, 12, 8, 0,
		    1, 1, 0, 1, 2, 4, 1, 0, 3, 4, 5, 6};
		/* its length past the end */
		static const uint8_t past[] = {3, 13, 8, 0,
		    1, 1, 0, 1, 2, 4, 1, 0, 5, 4, 5, 6, 7};

		assert_int_equal(block_decode(&d, ok, sizeof(ok), 1), 0);
		assert_int_equal(block_dec_row(&d, 0)[0].type, BLOCK_INT);
		assert_int_equal(block_dec_row(&d, 0)[0].i, 0x07060504);
		assert_int_equal(block_decode(&d, m2, sizeof(m2), 1), -1);
		assert_int_equal(block_decode(&d, beyond, sizeof(beyond), 1),
		    -1);
		assert_int_equal(block_decode(&d, none, sizeof(none), 1), -1);
		assert_int_equal(block_decode(&d, longer, sizeof(longer), 1),
		    -1);
		assert_int_equal(block_decode(&d, shorter, sizeof(shorter), 1),
		    -1);
		assert_int_equal(block_decode(&d, past, sizeof(past), 1), -1);
	}
	block_dec_free(&d);
	block_enc_free(&a);
	block_enc_free(&b);
}

/* Every cut and every single flipped byte of a block is refused or
 * decodes within bounds (ASan watches); forged headers are refused. */
static void
test_block_damaged(void **state)
{
	static const struct block_val rows[][3] = {
		{I(1), T("/x"), N}, {I(2), T("/y"), B("\x01")},
		{I(3), N, I(-9)},
	};
	struct block_enc e;
	struct block_dec d;
	const uint8_t *p;
	uint8_t *copy;
	size_t n;

	(void)state;
	assert_int_equal(block_enc_init(&e, 3, 1), 0);
	for (int r = 0; r < 3; r++)
		assert_int_equal(block_enc_row(&e, rows[r]), 0);
	assert_int_equal(block_enc_finish(&e, &p, &n), 0);
	copy = malloc(n);
	assert_non_null(copy);
	block_dec_init(&d);
	for (size_t cut = 0; cut < n; cut++) {
		memcpy(copy, p, cut);
		assert_int_equal(block_decode(&d, copy, cut, 3), -1);
	}
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			int whole;

			memcpy(copy, p, n);
			copy[i] ^= (uint8_t)(1u << bit);
			if ((whole = block_decode(&d, copy, n, 3)) == 0)
				assert_int_equal(d.nrow, 3);
			/* by columns, as read: refused just the same */
			if (block_decode_cols(&d, copy, n, 3, 0) == 0)
				assert_int_equal(block_decode_more(&d, 7),
				    whole);
			else
				assert_int_equal(whole, -1);
		}
	/* raw blocks: a count beyond the rows, a length past the end, a
	 * raw_len over the limit, an unknown method */
	{
		static const uint8_t over[] = {0, 7, 1, 1, 2, 1, 2, 1, 2};
		static const uint8_t past[] = {0, 8, 1, 1, 2, 2, 1, 2, 9, 'a'};
		static const uint8_t huge[] = {1, 0xff, 0xff, 0xff, 0x7f, 0};
		static const uint8_t odd[] = {9, 1, 0};
		static const uint8_t good[] = {0, 8, 1, 1, 2, 2, 1, 2, 1, 'a'};

		assert_int_equal(block_decode(&d, over, sizeof(over), 1), -1);
		assert_int_equal(block_decode(&d, past, sizeof(past), 1), -1);
		assert_int_equal(block_decode(&d, huge, sizeof(huge), 1), -1);
		assert_int_equal(block_decode(&d, odd, sizeof(odd), 1), -1);
		assert_int_equal(block_decode(&d, good, sizeof(good), 1), 0);
		assert_int_equal(block_dec_row(&d, 0)[0].type, BLOCK_TEXT);
		assert_int_equal(block_dec_row(&d, 0)[0].n, 1);
	}
	block_dec_free(&d);
	free(copy);
	block_enc_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_round_trip_edges),
		cmocka_unit_test(test_block_round_trip_many),
		cmocka_unit_test(test_block_full),
		cmocka_unit_test(test_block_swap_out),
		cmocka_unit_test(test_block_by_value),
		cmocka_unit_test(test_block_old_format),
		cmocka_unit_test(test_block_stored_part),
		cmocka_unit_test(test_block_fixed_u32),
		cmocka_unit_test(test_block_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
