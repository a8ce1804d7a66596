/*
 * rollup.c - per-minute counts, aggregated in memory and upserted once
 * per batch.
 *
 * rollup_minute and rollup_attempt_minute hold, per (minute, source,
 * upstream, status, cause), how many requests (with their summed time and
 * bytes) or attempts there were. A batch adds +1 per new row and, when the
 * join changes a cause, -1 under the old key and +1 under the new; those
 * deltas are summed in a hash map (core/hashtab.h, keyed: minutes and
 * statuses come from logs) and written with one INSERT ... ON CONFLICT DO
 * UPDATE per key, in the order of the tables' keys (rollup_map_sort: each
 * upsert lands next to the one before; 200k production lines, writer
 * instructions -10M), at the end of the batch,
 * inside its transaction. A key whose count drops to zero is deleted, so
 * a report from rollups shows the same groups as one from the raw tables.
 * No triggers: per-row triggers would double the cost of every insert.
 *
 * In front of the map's keyed hash, ROLLUP_FRONT direct-mapped slots hold
 * the entries last used by a cheap unkeyed hash of the key: consecutive
 * requests fall mostly into a few thousand groups (minutes x upstreams x
 * statuses, or latency buckets), and a hit there skips the SipHash (4% of
 * the writer's instructions) and the probe of a map that holds a whole
 * transaction's keys. Keys that collide there only evict each other.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/floordiv.h"
#include "store/latency.h"
#include "store/store_int.h"

#include "core/grow.h"

#define ROLLUP_MAP_INIT 128	/* initial entries */

/* The UTC minute of ts_ms, rounding down also before 1970. */
int64_t
rollup_minute_of(int64_t ts_ms)
{
	return floor_div(ts_ms, 60000);
}

/*
 * Hash of a rollup key: its five fields packed in 16 bytes (ids and
 * minutes past 32 bits only collide; equality is checked on the whole
 * key), half what hashing the struct costs, under the map's key.
 */
static uint64_t
rollup_hash(const struct rollup_map *m, const struct rollup_key *k)
{
	uint64_t w[2] = {
		(uint64_t)k->minute << 32 | (uint32_t)k->status << 16 |
		    (uint16_t)k->cause,
		(uint64_t)k->source_id << 32 | (uint32_t)k->upstream_id,
	};

	return hashtab_hash(&m->index, w, sizeof(w));
}

/* The front slot of a key: a multiply-xor of its fields. */
static inline size_t
rollup_front_slot(const struct rollup_key *k)
{
	uint64_t h = (uint64_t)k->minute * UINT64_C(0x9e3779b97f4a7c15);

	h = (h ^ (uint64_t)k->upstream_id) * UINT64_C(0x9e3779b97f4a7c15);
	h = (h ^ ((uint64_t)(uint32_t)k->status << 32 | (uint32_t)k->cause)) *
	    UINT64_C(0x9e3779b97f4a7c15);
	h = (h ^ (uint64_t)k->source_id) * UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(h >> 52) & (ROLLUP_FRONT - 1);
}

_Static_assert(ROLLUP_FRONT == 4096, "rollup_front_slot takes 12 bits");

/* True when two keys are the same group. */
static bool
rollup_key_eq(const struct rollup_key *a, const struct rollup_key *b)
{
	return a->minute == b->minute && a->source_id == b->source_id &&
	    a->upstream_id == b->upstream_id && a->status == b->status &&
	    a->cause == b->cause;
}

/* Free a map's memory. */
void
rollup_map_free(struct rollup_map *m)
{
	free(m->v);
	hashtab_free(&m->index);
	memset(m, 0, sizeof(*m));
}

/* Forget every delta, keeping the memory. */
void
rollup_map_clear(struct rollup_map *m)
{
	memset(m->front, 0, sizeof(m->front));
	if (m->n > 0)
		hashtab_clear(&m->index);
	m->n = 0;
}

/* Add the deltas to e. */
static inline void
rollup_entry_add(struct rollup_entry *e, int64_t count, int64_t request_ms,
    int64_t bytes)
{
	e->count += count;
	if (request_ms >= 0) {
		e->request_ms_sum += count * request_ms;
		e->request_ms_n += count;
	}
	if (bytes >= 0)
		e->bytes_sum += count * bytes;
}

/* rollup_add() of a key its front slot (slot) did not name: the map. */
static __attribute__((noinline)) int
rollup_add_map(struct rollup_map *m, const struct rollup_key *k,
    size_t slot, int64_t count, int64_t request_ms, int64_t bytes)
{
	struct rollup_entry *e = NULL;
	struct hashtab_pos pos;
	uintptr_t i;
	uint64_t h;

	if (m->v == NULL)
		hashtab_init(&m->index, 0);	/* a zeroed map: its key */
	h = rollup_hash(m, k);
	hashtab_first(&m->index, h, &pos);
	while (hashtab_next(&m->index, &pos, &i))
		if (rollup_key_eq(&m->v[i].key, k)) {
			e = &m->v[i];
			break;
		}
	if (e == NULL) {
		if (grow_array((void **)&m->v, &m->cap, m->n, sizeof(*m->v),
		    ROLLUP_MAP_INIT) != 0 ||
		    hashtab_add(&m->index, h, m->n) != HASHTAB_OK)
			return -1;
		e = &m->v[m->n++];
		memset(e, 0, sizeof(*e));
		e->key = *k;
	}
	if (e - m->v < UINT32_MAX)
		m->front[slot] = (uint32_t)(e - m->v) + 1;
	rollup_entry_add(e, count, request_ms, bytes);
	return 0;
}

/*
 * Add count rows (negative to take them away) under key k; request_ms and
 * bytes (-1 = not logged) are summed likewise. 0 or -1 when out of memory.
 * A key its front slot names (96% of 3M calls per 1M production lines)
 * is added to here, the rest tail-called to the map: this path saves no
 * register.
 */
int
rollup_add(struct rollup_map *m, const struct rollup_key *k, int64_t count,
    int64_t request_ms, int64_t bytes)
{
	size_t slot = rollup_front_slot(k);
	uint32_t f = m->front[slot];

	if (f != 0 && f <= m->n && rollup_key_eq(&m->v[f - 1].key, k)) {
		rollup_entry_add(&m->v[f - 1], count, request_ms, bytes);
		return 0;
	}
	return rollup_add_map(m, k, slot, count, request_ms, bytes);
}

/* qsort order of entries: their keys' order in the table's primary key. */
static int
rollup_entry_cmp(const void *a, const void *b)
{
	const struct rollup_key *x = &((const struct rollup_entry *)a)->key;
	const struct rollup_key *y = &((const struct rollup_entry *)b)->key;

	if (x->minute != y->minute)
		return x->minute < y->minute ? -1 : 1;
	if (x->source_id != y->source_id)
		return x->source_id < y->source_id ? -1 : 1;
	if (x->upstream_id != y->upstream_id)
		return x->upstream_id < y->upstream_id ? -1 : 1;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	return (x->cause > y->cause) - (x->cause < y->cause);
}

/* See store_int.h. */
void
rollup_map_sort(struct rollup_map *m)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), rollup_entry_cmp);
	memset(m->front, 0, sizeof(m->front));
	hashtab_clear(&m->index);
}

/* Bind the five key columns of a rollup statement at base + 1... */
static void
rollup_bind_key(sqlite3_stmt *st, int base, const struct rollup_key *k)
{
	sqlite3_bind_int64(st, base + 1, k->minute);
	sqlite3_bind_int64(st, base + 2, k->source_id);
	sqlite3_bind_int64(st, base + 3, k->upstream_id);
	sqlite3_bind_int(st, base + 4, k->status);
	sqlite3_bind_int(st, base + 5, k->cause);
}

/* Bind e's key and sums (6 or, requests, 9 columns) at base + 1... */
static void
rollup_bind_entry(sqlite3_stmt *st, int base, const struct rollup_entry *e,
    bool attempts)
{
	rollup_bind_key(st, base, &e->key);
	sqlite3_bind_int64(st, base + 6, e->count);
	if (!attempts) {
		sqlite3_bind_int64(st, base + 7, e->request_ms_sum);
		sqlite3_bind_int64(st, base + 8, e->request_ms_n);
		sqlite3_bind_int64(st, base + 9, e->bytes_sum);
	}
}

/*
 * Upsert the deltas of one map, ROLLUP_FLUSH_ROWS keys a statement (the
 * rest one by one: a statement's own cost was a third of the upsert);
 * then delete the rows a negative delta emptied.
 */
static int
rollup_flush_map(struct store *s, struct rollup_map *m, bool attempts,
    char *err, size_t errlen)
{
	enum store_stmt_id up = attempts ? STMT_ROLLUP_ATTEMPT_UPSERT :
	    STMT_ROLLUP_UPSERT;
	enum store_stmt_id up_n = attempts ? STMT_ROLLUP_ATTEMPT_UPSERT_N :
	    STMT_ROLLUP_UPSERT_N;
	enum store_stmt_id prune = attempts ? STMT_ROLLUP_ATTEMPT_PRUNE :
	    STMT_ROLLUP_PRUNE;
	int cols = attempts ? 6 : 9;
	size_t some[ROLLUP_FLUSH_ROWS];
	sqlite3_stmt *st;
	int k = 0;

	rollup_map_sort(m);
	for (size_t i = 0; i < m->n; i++) {
		const struct rollup_entry *e = &m->v[i];

		if ((e->count == 0 && e->request_ms_sum == 0 &&
		    e->request_ms_n == 0 && e->bytes_sum == 0))
			continue;
		some[k++] = i;
		if (k < ROLLUP_FLUSH_ROWS)
			continue;
		if ((st = store_stmt(s, up_n, err, errlen)) == NULL)
			return -1;
		for (int j = 0; j < k; j++)
			rollup_bind_entry(st, j * cols, &m->v[some[j]],
			    attempts);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
		k = 0;
	}
	for (int j = 0; j < k; j++) {
		if ((st = store_stmt(s, up, err, errlen)) == NULL)
			return -1;
		rollup_bind_entry(st, 0, &m->v[some[j]], attempts);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	}
	/* every key is upserted: the rows some emptied go */
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].count >= 0)
			continue;
		if ((st = store_stmt(s, prune, err, errlen)) == NULL)
			return -1;
		rollup_bind_key(st, 0, &m->v[i].key);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	}
	rollup_map_clear(m);
	return 0;
}

/* Write the rollup and latency deltas (inside the transaction, before
 * its commit); 0 or -1. */
int
rollup_flush(struct store *s, char *err, size_t errlen)
{
	if (rollup_flush_map(s, &s->rollup_req, false, err, errlen) != 0 ||
	    rollup_flush_map(s, &s->rollup_att, true, err, errlen) != 0 ||
	    latency_flush(s, &s->latency, err, errlen) != 0)
		return -1;
	return 0;
}
