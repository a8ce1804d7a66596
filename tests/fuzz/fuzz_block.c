/*
 * fuzz_block.c - store/block.c's decoder on any bytes: a stored block is
 * external input (a database file may be damaged or forged). The first
 * byte chooses the number of columns (1..BLOCK_MAX_COLUMNS), the rest is
 * the block (its top bit: the rows are written again with their 32-bit
 * integers as 4 bytes, block_enc_u32_cols). What decodes must keep its
 * promises: rows within limits, every text inside the decoded block; and
 * encoding the decoded rows again must give rows that decode the same.
 * Seeds: blocks the encoder wrote (none are needed: the raw method is
 * easy to reach).
 */
#include "store/block.h"
#include "tests/fuzz/fuzz.h"

static void
check_rows(const struct block_dec *d)
{
	const char *lo = (const char *)d->raw;

	if (d->nrow < 1 || d->nrow > BLOCK_MAX_ROWS)
		abort();
	for (int r = 0; r < d->nrow; r++)
		for (int c = 0; c < d->ncol; c++) {
			const struct block_val *v = &block_dec_row(d, r)[c];

			if (v->type > BLOCK_BLOB)
				abort();
			if (v->type >= BLOCK_TEXT && v->n > 0 &&
			    (v->p < lo || v->p + v->n > lo + d->raw_cap))
				abort();
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct block_dec d, d2;
	struct block_enc e;
	const uint8_t *p;
	size_t n;
	int ncol;

	if (size < 1)
		return 0;
	ncol = 1 + data[0] % BLOCK_MAX_COLUMNS;
	block_dec_init(&d);
	block_dec_init(&d2);
	if (block_decode(&d, data + 1, size - 1, ncol) == 0) {
		check_rows(&d);
		if (block_enc_init(&e, ncol, 1) == 0) {
			/* the first byte's top bit: written again with
			 * every column's 32-bit integers in fixed sections
			 * (method 3) */
			int ok = (data[0] & 0x80) == 0 ||
			    block_enc_u32_cols(&e, UINT64_MAX) == 0;

			for (int r = 0; r < d.nrow && ok; r++)
				ok = block_enc_row(&e, block_dec_row(&d, r)) ==
				    0;
			if (ok && block_enc_finish(&e, &p, &n) == 0) {
				if (block_decode(&d2, p, n, ncol) != 0 ||
				    d2.nrow != d.nrow)
					abort();
				for (int r = 0; r < d.nrow; r++)
					for (int c = 0; c < ncol; c++) {
						const struct block_val *a =
						    &block_dec_row(&d, r)[c];
						const struct block_val *b =
						    &block_dec_row(&d2, r)[c];

						if (a->type != b->type ||
						    a->i != b->i ||
						    a->n != b->n || (a->n > 0 &&
						    memcmp(a->p, b->p, a->n)))
							abort();
					}
			}
			block_enc_free(&e);
		}
	}
	block_dec_free(&d);
	block_dec_free(&d2);
	return 0;
}
