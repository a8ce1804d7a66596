/*
 * latency.c - per-minute histograms of upstream response times.
 *
 * A percentile cannot be summed from counts, so for p50/p99 the store keeps
 * a histogram: rollup_latency_minute (schema/002_latency.sql) counts, per
 * minute and upstream, the attempts whose $upstream_response_time fell in
 * each bucket of a log scale with four buckets per power of two (about 19%
 * wide; times under 7 ms exact). A batch gathers its counts in a rollup map
 * (the same hash map rollup.c uses, with the bucket in the
 * status field) and upserts them once per key, inside the batch's
 * transaction. The join never changes a time, so unlike the other rollups
 * this one only ever grows.
 */
#include <string.h>

#include "store/latency.h"

/* See latency.h. */
int
latency_bucket(int64_t ms)
{
	uint64_t v = ms < 0 ? 1 : (uint64_t)ms + 1;
	int e, b;

	if (v < 8)
		return (int)v - 1;
	e = 63 - __builtin_clzll(v);
	b = 4 * e + (int)((v >> (e - 2)) & 3);
	return b < LATENCY_BUCKETS ? b : LATENCY_BUCKETS - 1;
}

/* See latency.h. */
int64_t
latency_bucket_lo(int bucket)
{
	int e = bucket / 4, s = bucket % 4;

	if (bucket < 8)
		return bucket;
	return ((int64_t)(4 + s) << (e - 2)) - 1;
}

/* See latency.h. */
int64_t
latency_bucket_hi(int bucket)
{
	int e = bucket / 4, s = bucket % 4;

	if (bucket < 8)
		return bucket + 1;
	return ((int64_t)(5 + s) << (e - 2)) - 1;
}

/* See latency.h. */
int
latency_add(struct rollup_map *m, int64_t minute, int64_t upstream_id,
    int response_ms)
{
	struct rollup_key k;

	if (response_ms < 0)
		return 0;
	memset(&k, 0, sizeof(k));
	k.minute = minute;
	k.upstream_id = upstream_id;
	k.status = latency_bucket(response_ms);
	return rollup_add(m, &k, 1, -1, -1);
}

/* Bind e's minute, upstream, bucket and count at base + 1... */
static void
latency_bind(sqlite3_stmt *st, int base, const struct rollup_entry *e)
{
	sqlite3_bind_int64(st, base + 1, e->key.minute);
	sqlite3_bind_int64(st, base + 2, e->key.upstream_id);
	sqlite3_bind_int(st, base + 3, e->key.status);
	sqlite3_bind_int64(st, base + 4, e->count);
}

/* Upsert counts: ROLLUP_FLUSH_ROWS keys a statement, the rest one by one. */
static int
latency_upsert(struct store *s, const struct rollup_entry *const *v, int n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (n == ROLLUP_FLUSH_ROWS) {
		if ((st = store_stmt(s, STMT_LATENCY_UPSERT_N, err, errlen)) ==
		    NULL)
			return -1;
		for (int j = 0; j < n; j++)
			latency_bind(st, j * 4, v[j]);
		return store_stmt_run(s, st, err, errlen);
	}
	for (int j = 0; j < n; j++) {
		if ((st = store_stmt(s, STMT_LATENCY_UPSERT, err, errlen)) ==
		    NULL)
			return -1;
		latency_bind(st, 0, v[j]);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* See latency.h. */
int
latency_flush(struct store *s, struct rollup_map *m, char *err,
    size_t errlen)
{
	const struct rollup_entry *some[ROLLUP_FLUSH_ROWS];
	int k = 0, rc = 0;

	rollup_map_sort(m);
	for (size_t i = 0; i < m->n && rc == 0; i++) {
		if (m->v[i].count == 0)
			continue;
		some[k++] = &m->v[i];
		if (k == ROLLUP_FLUSH_ROWS) {
			rc = latency_upsert(s, some, k, err, errlen);
			k = 0;
		}
	}
	if (rc == 0 && k > 0)
		rc = latency_upsert(s, some, k, err, errlen);
	rollup_map_clear(m);
	return rc;
}
