/*
 * latency.c - per-minute histograms of upstream response times.
 *
 * A percentile cannot be summed from counts, so for p50/p99 the store keeps
 * a histogram: rollup_latency_minute (schema/002_latency.sql) counts, per
 * minute and upstream, the attempts whose $upstream_response_time fell in
 * each bucket of a log scale with four buckets per power of two (about 19%
 * wide; times under 7 ms exact). A batch gathers its counts in dense
 * histograms per (minute, upstream) (struct latency_map; the pairs past
 * LATENCY_HISTS in a rollup map, the same hash map rollup.c uses, with the
 * bucket in the status field) and upserts them once per key, in key
 * order, inside the batch's transaction. The join never changes a time,
 * so unlike the other rollups this one only ever grows.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
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

/* The table slot of a (minute, upstream) pair: a multiply-xor. */
static inline size_t
latency_hist_slot(int64_t minute, int64_t upstream_id)
{
	uint64_t h = (uint64_t)minute * UINT64_C(0x9e3779b97f4a7c15);

	h = (h ^ (uint64_t)upstream_id) * UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(h >> 40) & (LATENCY_HIST_SLOTS - 1);
}

_Static_assert(LATENCY_HIST_SLOTS >= 2 * LATENCY_HISTS &&
    (LATENCY_HIST_SLOTS & (LATENCY_HIST_SLOTS - 1)) == 0 &&
    LATENCY_HISTS < UINT16_MAX, "a half-empty table of uint16 indexes");

/* Add count to the map's key (minute, upstream, bucket); 0 or -1. */
static int
latency_add_map(struct latency_map *l, int64_t minute, int64_t upstream_id,
    int bucket, int64_t count)
{
	struct rollup_key k;
	size_t before = l->m.n;

	memset(&k, 0, sizeof(k));
	k.minute = minute;
	k.upstream_id = upstream_id;
	k.status = bucket;
	if (rollup_add(&l->m, &k, count, -1, -1) != 0)
		return -1;
	l->n += l->m.n - before;
	return 0;
}

/*
 * The histogram of (minute, upstream): found, else a new one while there
 * is room; NULL when there is none (out of room or memory: the map's).
 */
static struct latency_hist *
latency_hist_of(struct latency_map *l, int64_t minute, int64_t upstream_id)
{
	size_t i = latency_hist_slot(minute, upstream_id);
	struct latency_hist *h;

	for (; l->slot[i] != 0; i = (i + 1) & (LATENCY_HIST_SLOTS - 1)) {
		h = &l->h[l->slot[i] - 1];
		if (h->minute == minute && h->upstream_id == upstream_id)
			return h;
	}
	if (l->nh == LATENCY_HISTS)
		return NULL;
	if (l->h == NULL &&
	    (l->h = gw_zeroed(LATENCY_HISTS, sizeof(*l->h))) == NULL)
		return NULL;
	h = &l->h[l->nh++];
	h->minute = minute;
	h->upstream_id = upstream_id;
	l->slot[i] = (uint16_t)l->nh;
	return h;
}

/*
 * See latency.h. A key of a batch comes back only every ~1,400 requests
 * of production traffic and the writer's other memory evicts it meanwhile:
 * counted in a dense histogram per (minute, upstream) instead (~50 of them
 * a minute), its cache line comes back every ~100 requests.
 */
int
latency_add(struct latency_map *l, int64_t minute, int64_t upstream_id,
    int response_ms)
{
	struct latency_hist *h;
	uint32_t *c;
	int b;

	if (response_ms < 0)
		return 0;
	b = latency_bucket(response_ms);
	if ((h = latency_hist_of(l, minute, upstream_id)) == NULL)
		return latency_add_map(l, minute, upstream_id, b, 1);
	c = &h->count[b];
	if (*c == 0)
		l->n++;
	if (++*c < UINT32_MAX)
		return 0;
	*c = 0;		/* full: into the map, still counted once in n */
	l->n--;
	return latency_add_map(l, minute, upstream_id, b, UINT32_MAX);
}

/* See store_int.h. */
void
latency_map_clear(struct latency_map *l)
{
	for (int i = 0; i < l->nh; i++)
		memset(l->h[i].count, 0, sizeof(l->h[i].count));
	l->nh = 0;
	memset(l->slot, 0, sizeof(l->slot));
	rollup_map_clear(&l->m);
	l->n = 0;
}

/* See store_int.h. */
void
latency_map_free(struct latency_map *l)
{
	rollup_map_free(&l->m);
	free(l->h);
	memset(l, 0, sizeof(*l));
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
latency_upsert(struct store *s, const struct rollup_entry *v, int n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (n == ROLLUP_FLUSH_ROWS) {
		if ((st = store_stmt(s, STMT_LATENCY_UPSERT_N, err, errlen)) ==
		    NULL)
			return -1;
		for (int j = 0; j < n; j++)
			latency_bind(st, j * 4, &v[j]);
		return store_stmt_run(s, st, err, errlen);
	}
	for (int j = 0; j < n; j++) {
		if ((st = store_stmt(s, STMT_LATENCY_UPSERT, err, errlen)) ==
		    NULL)
			return -1;
		latency_bind(st, 0, &v[j]);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Rows to upsert, ROLLUP_FLUSH_ROWS at a time, in the table's key order. */
struct latency_rows {
	struct rollup_entry v[ROLLUP_FLUSH_ROWS];	/* key and count */
	int n;
};

/* Queue the count of (minute, upstream, bucket); a full queue is upserted.
 * 0 or -1. */
static int
latency_row(struct store *s, struct latency_rows *r, int64_t minute,
    int64_t upstream_id, int bucket, int64_t count, char *err, size_t errlen)
{
	struct rollup_entry *e = &r->v[r->n++];

	e->key.minute = minute;
	e->key.upstream_id = upstream_id;
	e->key.status = bucket;
	e->count = count;
	if (r->n < ROLLUP_FLUSH_ROWS)
		return 0;
	r->n = 0;
	return latency_upsert(s, r->v, ROLLUP_FLUSH_ROWS, err, errlen);
}

/* qsort order of histograms: by minute, then upstream. */
static int
latency_hist_cmp(const void *a, const void *b)
{
	const struct latency_hist *x = *(const struct latency_hist *const *)a;
	const struct latency_hist *y = *(const struct latency_hist *const *)b;

	if (x->minute != y->minute)
		return x->minute < y->minute ? -1 : 1;
	return (x->upstream_id > y->upstream_id) -
	    (x->upstream_id < y->upstream_id);
}

/*
 * See latency.h. Upserts go in the table's key order: the histograms'
 * buckets by minute and upstream when they hold every count, else (pairs
 * past LATENCY_HISTS) their counts go into the map first, which sorts its
 * keys.
 */
int
latency_flush(struct store *s, struct latency_map *l, char *err,
    size_t errlen)
{
	const struct latency_hist *order[LATENCY_HISTS];
	struct rollup_map *m = &l->m;
	struct latency_rows r;
	int rc = 0;

	r.n = 0;
	if (m->n == 0) {
		for (int i = 0; i < l->nh; i++)
			order[i] = &l->h[i];
		if (l->nh > 1)
			qsort(order, (size_t)l->nh, sizeof(order[0]),
			    latency_hist_cmp);
		for (int i = 0; i < l->nh && rc == 0; i++)
			for (int b = 0; b < LATENCY_HIST_BUCKETS && rc == 0;
			    b++)
				if (order[i]->count[b] != 0)
					rc = latency_row(s, &r,
					    order[i]->minute,
					    order[i]->upstream_id, b,
					    order[i]->count[b], err, errlen);
		goto done;
	}
	for (int i = 0; i < l->nh; i++)
		for (int b = 0; b < LATENCY_HIST_BUCKETS; b++)
			if (l->h[i].count[b] != 0 &&
			    latency_add_map(l, l->h[i].minute,
			    l->h[i].upstream_id, b, l->h[i].count[b]) != 0) {
				latency_map_clear(l);
				return store_fail(err, errlen,
				    "out of memory");
			}
	rollup_map_sort(m);
	for (size_t i = 0; i < m->n && rc == 0; i++)
		if (m->v[i].count != 0)
			rc = latency_row(s, &r, m->v[i].key.minute,
			    m->v[i].key.upstream_id, m->v[i].key.status,
			    m->v[i].count, err, errlen);
done:
	if (rc == 0 && r.n > 0)
		rc = latency_upsert(s, r.v, r.n, err, errlen);
	latency_map_clear(l);
	return rc;
}
