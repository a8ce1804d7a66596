/*
 * rollupbench.c - what the rollup and latency upserts of a commit cost:
 * the writer's own code (rollup_add, latency_add, rollup_flush through
 * store_commit) with nothing else in the transactions.
 *
 *   rollupbench [-m MINUTES] [-u UPSTREAMS] [-c COMMITS] DB
 *
 * Opens (creates) DB through store_open (the current schema and the
 * writer's pragmas), then for each of MINUTES minutes (default 17, as 1M
 * production lines span) runs COMMITS transactions (default 2: a
 * commit cuts each minute of a busy log about once, STORE_TXN_MIN), each
 * adding one request and one attempt under about 80% of the minute's
 * keys: UPSTREAMS upstreams (default 51) x 28 latency buckets, x 5
 * statuses for the request and attempt rollups, chosen from a fixed seed.
 * Every commit upserts each key it touched (rollup.c): a minute's key is
 * written by about 0.8 x COMMITS commits. Prints the commits, the keys
 * upserted, the rows stored, this thread's CPU seconds in the commits and
 * the CPU per upsert; valgrind --tool=callgrind gives its instructions.
 * Used by the notes on issue 11; DB should not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "store/latency.h"
#include "store/store_int.h"

#define BENCH_BUCKETS	28
#define BENCH_STATUSES	5

/* xorshift64*: the same keys every run. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* This thread's CPU time, seconds. */
static double
cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One row of each table from a query's first column. */
static long long
count_of(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
main(int argc, char **argv)
{
	long minutes = 17, upstreams = 51, commits = 2, txns = 0;
	long long keys = 0;
	uint64_t seed = 42;
	double cpu = 0;
	struct store *s;
	char err[256];
	int c;

	while ((c = getopt(argc, argv, "m:u:c:")) != -1) {
		if (c == 'm')
			minutes = strtol(optarg, NULL, 10);
		else if (c == 'u')
			upstreams = strtol(optarg, NULL, 10);
		else if (c == 'c')
			commits = strtol(optarg, NULL, 10);
		else
			goto usage;
	}
	if (optind + 1 != argc || minutes < 1 || minutes > 100000 ||
	    upstreams < 1 || upstreams > 10000 || commits < 1 ||
	    commits > 1000)
		goto usage;
	store_library_init();
	if (store_open(argv[optind], &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "rollupbench: %s\n", err);
		return 1;
	}
	for (long m = 0; m < minutes; m++) {
		for (long j = 0; j < commits; j++) {
			double t0 = cpu_s();

			if (store_begin(s, err, sizeof(err)) != 0)
				goto fail;
			for (long u = 1; u <= upstreams; u++) {
				for (int b = 0; b < BENCH_BUCKETS; b++) {
					struct rollup_key k = {
					    .minute = 29000000 + m,
					    .source_id = 1, .upstream_id = u,
					    .status = 200 + b % BENCH_STATUSES,
					    .cause = GW_CAUSE_OK};

					if (rnd(&seed) % 10 >= 8)
						continue;
					if (latency_add(&s->latency, k.minute,
					    u, (int)latency_bucket_lo(b)) != 0 ||
					    (b < BENCH_STATUSES &&
					    (rollup_add(&s->rollup_req, &k, 1,
					    b, 100) != 0 ||
					    rollup_add(&s->rollup_att, &k, 1, -1,
					    -1) != 0))) {
						snprintf(err, sizeof(err),
						    "out of memory");
						goto fail;
					}
					keys += 1 + (b < BENCH_STATUSES) * 2;
				}
			}
			if (store_commit(s, err, sizeof(err)) != 0)
				goto fail;
			cpu += cpu_s() - t0;
			txns++;
		}
	}
	long long rows = count_of(s, "SELECT (SELECT count(*) FROM"
	    " rollup_latency_minute) + (SELECT count(*) FROM rollup_minute) +"
	    " (SELECT count(*) FROM rollup_attempt_minute)");
	store_close(s);
	printf("rollupbench: %ld commits, %lld keys upserted, %lld rows,"
	    " %.3f s CPU, %.0f ns an upsert\n", txns, keys, rows, cpu,
	    keys > 0 ? cpu / (double)keys * 1e9 : 0.0);
	return 0;
fail:
	fprintf(stderr, "rollupbench: %s\n", err);
	store_rollback(s);
	store_close(s);
	return 1;
usage:
	fprintf(stderr, "usage: rollupbench [-m MINUTES] [-u UPSTREAMS]"
	    " [-c COMMITS] DB\n");
	return 2;
}
