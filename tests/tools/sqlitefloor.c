/*
 * sqlitefloor.c - what a row-per-request SQLite store can reach on this
 * machine: the writer's own statements with nothing in front of them.
 *
 *   sqlitefloor [-n ROWS] [-b ROWS_PER_TXN] [-p PATHS] [-J] DB
 *
 * Opens (creates) DB through store_open (the current schema and the
 * writer's pragmas), then inserts ROWS requests of the current row shape
 * (store/write.c's 24 columns, its lone attempt inline) through the very
 * multi-row INSERT the writer uses (STMT_REQUEST_INSERT_AUTO_N, 40 rows a
 * statement), ROWS_PER_TXN rows a transaction (default 8192, tail's
 * batch). No parsing, no interning, no rollups, no join: ids are drawn at
 * production cardinality (genlog -P: ~725k clients, 400k paths, 20 hosts,
 * 50 upstreams, 5% 5xx, 2% retried) from a fixed seed. With -p PATHS, as
 * many new names (rounded down to 40s) go into paths as the writer
 * inserts certainly-new ones (ids given, 40 rows an INSERT, with their
 * hash), spread over the run, so the cost of new names shows apart. -J: the same INSERT without its OR FAIL (the default ABORT,
 * which opens a statement journal per statement: what that cost).
 * ROWS is rounded up to a multiple of 40. Prints rows/s (wall),
 * user and system CPU seconds (the whole process: it is one thread), and
 * bytes per request on disk. Used by the notes on issue 11; DB should
 * not exist (a fresh database, as `make bench` ingests into).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/hashkey.h"
#include "store/store_int.h"

/* xorshift64*: the same rows every run. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Run one statement of the store's table; exits on failure. */
static void
run(struct store *s, enum store_stmt_id id)
{
	char err[256];
	sqlite3_stmt *st = store_stmt(s, id, err, sizeof(err));

	if (st == NULL || store_stmt_run(s, st, err, sizeof(err)) != 0) {
		fprintf(stderr, "sqlitefloor: %s\n", err);
		exit(1);
	}
}

/* Bind the 24 columns of request row i at base + 1... */
static void
bind_row(sqlite3_stmt *st, int base, uint64_t i, uint64_t *seed)
{
	uint64_t r = rnd(seed), r2 = rnd(seed);
	int status = r % 100 < 5 ? 502 : 200;
	int retried = r % 100 >= 98;
	uint8_t rid[16];

	memcpy(rid, &r, 8);
	memcpy(rid + 8, &r2, 8);
	sqlite3_bind_int64(st, base + 1, 1);			/* source */
	sqlite3_bind_int64(st, base + 2, (int64_t)i + 1);	/* line_no */
	sqlite3_bind_int64(st, base + 3, 1795601700000LL + (int64_t)i * 3);
	sqlite3_bind_int(st, base + 4, 60);
	sqlite3_bind_int64(st, base + 5, (int64_t)(r2 % 725000) + 167772160);
	sqlite3_bind_int64(st, base + 6, 1 + (int64_t)(r >> 8) % 5);
	sqlite3_bind_int64(st, base + 7, 1 + (int64_t)(r >> 16) % 20);
	sqlite3_bind_int64(st, base + 8, 1 + (int64_t)(r2 >> 20) % 400000);
	if ((r >> 24) % 4 == 0)
		sqlite3_bind_text(st, base + 9, "page=2&sort=asc", -1,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, base + 9);
	sqlite3_bind_int64(st, base + 10, 1 + (int64_t)(r >> 32) % 2000);
	sqlite3_bind_int(st, base + 11, 1);
	sqlite3_bind_int(st, base + 12, retried ? 200 : status);
	sqlite3_bind_int64(st, base + 13, (int64_t)(r >> 40) % 50000);
	sqlite3_bind_int64(st, base + 14, (int64_t)(r >> 44) % 900);
	sqlite3_bind_blob(st, base + 15, rid, sizeof(rid), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, base + 16, 1 + (int64_t)(r >> 48) % 50);
	sqlite3_bind_int(st, base + 17, retried ? 2 : 1);
	sqlite3_bind_int(st, base + 18, status == 502 ? 3 : 0);
	if (!retried) {
		sqlite3_bind_int(st, base + 19, status);
		sqlite3_bind_int(st, base + 20, 1);
		sqlite3_bind_int(st, base + 21, 5);
		sqlite3_bind_int(st, base + 22, (int)((r >> 44) % 900));
		sqlite3_bind_int(st, base + 23, status == 502 ? 3 : 0);
	} else
		for (int c = 19; c <= 23; c++)
			sqlite3_bind_null(st, base + c);
	sqlite3_bind_null(st, base + 24);
}

int
main(int argc, char **argv)
{
	uint64_t rows = 1000000, per_txn = 8192, paths = 0, seed = 42;
	uint64_t key[2] = {1, 2}, done_paths = 0;
	sqlite3_stmt *abort_st = NULL;
	bool abort_mode = false;
	struct store *s;
	char err[256];
	int c;

	while ((c = getopt(argc, argv, "n:b:p:J")) != -1) {
		if (c == 'n')
			rows = strtoull(optarg, NULL, 10);
		else if (c == 'b')
			per_txn = strtoull(optarg, NULL, 10);
		else if (c == 'p')
			paths = strtoull(optarg, NULL, 10);
		else if (c == 'J')
			abort_mode = true;
		else
			goto usage;
	}
	if (optind + 1 != argc || per_txn < STORE_REQUEST_ROWS)
		goto usage;
	store_library_init();
	if (store_open(argv[optind], &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "sqlitefloor: %s\n", err);
		return 1;
	}
	if (abort_mode) {
		sqlite3_stmt *st = store_stmt(s, STMT_REQUEST_INSERT_AUTO_N, err,
		    sizeof(err));
		const char *sql = st != NULL ? sqlite3_sql(st) : NULL;
		const char *tail = sql != NULL ? strstr(sql, "OR FAIL ") : NULL;
		char *text;

		if (tail == NULL || (text = malloc(strlen(sql) + 1)) == NULL)
			goto fail;
		memcpy(text, sql, (size_t)(tail - sql));
		strcpy(text + (tail - sql), tail + strlen("OR FAIL "));
		if (sqlite3_prepare_v3(s->db, text, -1,
		    SQLITE_PREPARE_PERSISTENT, &abort_st, NULL) != SQLITE_OK) {
			snprintf(err, sizeof(err), "%s", sqlite3_errmsg(s->db));
			goto fail;
		}
		free(text);
	}
	int64_t t0 = clk_mono_us();
	uint64_t i = 0;
	while (i < rows) {
		run(s, STMT_BEGIN);
		for (uint64_t n = 0; n < per_txn && i < rows;
		    n += STORE_REQUEST_ROWS) {
			sqlite3_stmt *st = abort_st != NULL ? abort_st :
			    store_stmt(s, STMT_REQUEST_INSERT_AUTO_N, err,
			    sizeof(err));

			if (st == NULL)
				goto fail;
			for (int k = 0; k < STORE_REQUEST_ROWS; k++, i++)
				bind_row(st, k * STORE_REQUEST_COLUMNS, i,
				    &seed);
			if (store_stmt_run(s, st, err, sizeof(err)) != 0)
				goto fail;
			/* new names due by now, as the writer inserts them
			   (store/intern.c: ids given, 40 an INSERT) */
			for (; done_paths + INTERN_PENDING_ROWS <= paths * i /
			    rows; done_paths += INTERN_PENDING_ROWS) {
				st = store_stmt(s, STMT_INTERN_INSERT_IDS_PATH,
				    err, sizeof(err));
				if (st == NULL)
					goto fail;
				for (int k = 0; k < INTERN_PENDING_ROWS; k++) {
					char name[64];
					int len = snprintf(name, sizeof(name),
					    "/api/v1/items/%llu/detail",
					    (unsigned long long)(rnd(&seed) %
					    1000000000));

					sqlite3_bind_int64(st, k * 3 + 1,
					    (int64_t)(done_paths + k + 1));
					sqlite3_bind_text(st, k * 3 + 2, name,
					    len, SQLITE_TRANSIENT);
					sqlite3_bind_int64(st, k * 3 + 3,
					    (int64_t)hashkey_siphash(key, name,
					    (size_t)len));
				}
				if (store_stmt_run(s, st, err, sizeof(err)) != 0)
					goto fail;
			}
		}
		run(s, STMT_COMMIT);
	}
	int64_t t1 = clk_mono_us();
	sqlite3_finalize(abort_st);
	store_close(s);

	struct rusage ru;
	struct stat sb;
	char wal[4096];
	long long bytes = 0;

	getrusage(RUSAGE_SELF, &ru);
	if (stat(argv[optind], &sb) == 0)
		bytes += sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", argv[optind]);
	if (stat(wal, &sb) == 0)
		bytes += sb.st_size;
	printf("sqlitefloor%s: %llu rows (+%llu paths), %llu a transaction:"
	    " %.3f s, %.0f rows/s, user %.2f s, sys %.2f s, %lld bytes/row\n",
	    abort_mode ? " -J" : "",
	    (unsigned long long)i, (unsigned long long)done_paths,
	    (unsigned long long)per_txn, (double)(t1 - t0) / 1e6,
	    (double)i * 1e6 / (double)(t1 - t0 > 0 ? t1 - t0 : 1),
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    i > 0 ? bytes / (long long)i : 0);
	return 0;
fail:
	fprintf(stderr, "sqlitefloor: %s\n", err);
	sqlite3_finalize(abort_st);
	store_close(s);
	return 1;
usage:
	fprintf(stderr, "usage: sqlitefloor [-n ROWS] [-b ROWS_PER_TXN]"
	    " [-p PATHS] [-J] DB\n");
	return 2;
}
