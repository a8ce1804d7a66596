/*
 * blockzip.c - what finishing a block costs (store/block.c's layout and
 * zstd), apart from the rest of ingest: every block of an existing
 * database is decoded, its rows added to an encoder again (not timed),
 * and finished ROUNDS times (timed, the thread's CPU, the fastest round
 * kept).
 *
 *   blockzip DB [LEVEL] [ROUNDS] [MINMATCH TARGETLEN LITERALS]
 *
 * LEVEL: zstd's (default 1, ingest's, with block.c's hashLog and
 * targetLength). MINMATCH, TARGETLEN: zstd's parameters of those names,
 * set over the level's (0: block.c's; TARGETLEN -1: 0);
 * LITERALS: 1 Huffman-coded, 2 stored as they are, 0 the level's choice
 * (ZSTD_c_literalCompressionMode). 1M production lines, load 5, bytes a
 * request and zstd's instructions a request (callgrind,
 * --toggle-collect=ZSTD_compress2): level 1 48.10 B 1659; 1 6 2 1 48.04 B
 * 1579; 1 7 2 1 48.72 B 1509; -1 52.27 B 1342; -2 52.90 B 1179; literals
 * stored 53.09 B, a fifth less time. Session 10 (method 3's blocks,
 * block.c's BLOCK_TARGET_LEN): targetLength 0 45.45 B, 1672 instructions
 * a request to finish; 1 51.46 B 1337; 2 52.13 B 1205; 3 52.61 B 1116;
 * 4 53.45 B 1037 (the former default: blockzip DB 1 3 0 -1).
 *
 * Prints blocks, requests, ns of CPU a request to finish and bytes a
 * request of the finished blocks; a database written by an older build
 * is read too (its blocks come out in this build's format: clients'
 * addresses as 4 bytes, method 3, as ingest writes them).
 */
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_c_literalCompressionMode */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>
#include <zstd.h>

#include "store/block.h"
#include "store/store_int.h"

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	int level = argc > 2 ? atoi(argv[2]) : 1;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	int min_match = argc > 4 ? atoi(argv[4]) : 0;
	int target_len = argc > 5 ? atoi(argv[5]) : 0;
	int literals = argc > 6 ? atoi(argv[6]) : 0;
	struct block_dec d;
	struct block_enc e;
	sqlite3 *db;
	sqlite3_stmt *st;
	double ns = 0;
	long long blocks = 0, rows = 0, bytes = 0;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: blockzip DB [LEVEL] [ROUNDS]"
		    " [MINMATCH TARGETLEN LITERALS]\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "SELECT data FROM"
	    " request_blocks", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "blockzip: %s: %s\n", argv[1],
		    sqlite3_errmsg(db));
		return 1;
	}
	block_dec_init(&d);
	if (block_enc_init(&e, BLOCK_REQUEST_COLUMNS, level) != 0 ||
	    block_enc_u32_cols(&e, BLOCK_REQUEST_U32_COLS) != 0) {
		fprintf(stderr, "blockzip: out of memory\n");
		return 1;
	}
	if ((min_match > 0 && ZSTD_isError(ZSTD_CCtx_setParameter(e.cctx,
	    ZSTD_c_minMatch, min_match))) || (target_len != 0 &&
	    ZSTD_isError(ZSTD_CCtx_setParameter(e.cctx, ZSTD_c_targetLength,
	    target_len < 0 ? 0 : target_len))) || (literals > 0 &&
	    ZSTD_isError(ZSTD_CCtx_setParameter(e.cctx,
	    ZSTD_c_literalCompressionMode, literals)))) {
		fprintf(stderr, "blockzip: a zstd parameter out of range\n");
		return 2;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const uint8_t *p;
		double best = 0;
		size_t n = 0;

		if (block_decode(&d, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0),
		    BLOCK_REQUEST_COLUMNS) != 0) {
			fprintf(stderr, "blockzip: a block does not decode\n");
			return 1;
		}
		block_enc_reset(&e);
		for (int r = 0; r < d.nrow; r++)
			if (block_enc_row(&e, block_dec_row(&d, r)) != 0) {
				fprintf(stderr, "blockzip: a row is refused\n");
				return 1;
			}
		for (int k = 0; k < rounds; k++) {
			double t0 = cpu_now(), t;

			if (block_enc_finish(&e, &p, &n) != 0) {
				fprintf(stderr, "blockzip: out of memory\n");
				return 1;
			}
			t = cpu_now() - t0;
			if (k == 0 || t < best)
				best = t;
		}
		ns += best * 1e9;
		blocks++;
		rows += d.nrow;
		bytes += (long long)n;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	block_enc_free(&e);
	block_dec_free(&d);
	if (rows == 0) {
		printf("no blocks\n");
		return 0;
	}
	if (min_match > 0 || target_len != 0 || literals > 0)
		printf("minmatch %d targetlen %d literals %d, ", min_match,
		    target_len, literals);
	printf("level %d: %lld blocks, %lld requests, %.1f ns a request to"
	    " finish, %.2f B a request\n", level, blocks, rows,
	    ns / (double)rows, (double)bytes / (double)rows);
	return 0;
}
