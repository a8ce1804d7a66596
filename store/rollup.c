/*
 * rollup.c - per-minute counts, aggregated in memory and upserted once
 * per batch.
 *
 * rollup_minute and rollup_attempt_minute hold, per (minute, source,
 * upstream, status, cause), how many requests (with their summed time and
 * bytes) or attempts there were. A batch adds +1 per new row and, when the
 * join changes a cause, -1 under the old key and +1 under the new; those
 * deltas are summed in a hash map and written with one
 * INSERT ... ON CONFLICT DO UPDATE per key at the end of the batch, inside
 * its transaction. A key whose count drops to zero is deleted, so a report
 * from rollups shows the same groups as one from the raw tables. No
 * triggers: per-row triggers would double the cost of every insert.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store_int.h"

#define ROLLUP_MAP_INIT 256	/* initial slots, power of two */

/* The UTC minute of ts_ms, rounding down also before 1970. */
int64_t
rollup_minute_of(int64_t ts_ms)
{
	int64_t m = ts_ms / 60000;

	if (ts_ms % 60000 < 0)
		m--;
	return m;
}

/* Hash of a rollup key. */
static uint64_t
rollup_hash(const struct rollup_key *k)
{
	uint64_t h = (uint64_t)k->minute * 0x9E3779B97F4A7C15ULL;

	h ^= (uint64_t)k->source_id * 0xC2B2AE3D27D4EB4FULL;
	h ^= (uint64_t)k->upstream_id * 0x165667B19E3779F9ULL;
	h ^= (uint64_t)(uint32_t)k->status * 0x27D4EB2F165667C5ULL;
	h ^= (uint64_t)(uint32_t)k->cause * 0x85EBCA77C2B2AE63ULL;
	return h ^ (h >> 29);
}

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
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* Forget every delta, keeping the memory. */
void
rollup_map_clear(struct rollup_map *m)
{
	if (m->n > 0)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->n = 0;
}

/* Double the slots of m (or make the first ones); 0 or -1. */
static int
rollup_grow(struct rollup_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : ROLLUP_MAP_INIT, mask = ncap - 1;
	struct rollup_entry *ns = gw_calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slots[i].used)
			continue;
		for (j = rollup_hash(&m->slots[i].key) & mask; ns[j].used;
		    j = (j + 1) & mask)
			;
		ns[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

/*
 * Add count rows (negative to take them away) under key k; request_ms and
 * bytes (-1 = not logged) are summed likewise. 0 or -1 when out of memory.
 */
int
rollup_add(struct rollup_map *m, const struct rollup_key *k, int64_t count,
    int64_t request_ms, int64_t bytes)
{
	struct rollup_entry *e;
	size_t mask, i;

	if ((m->n + 1) * 2 > m->cap && rollup_grow(m) != 0)
		return -1;
	mask = m->cap - 1;
	for (i = rollup_hash(k) & mask; m->slots[i].used; i = (i + 1) & mask)
		if (rollup_key_eq(&m->slots[i].key, k))
			break;
	e = &m->slots[i];
	if (!e->used) {
		e->used = true;
		e->key = *k;
		m->n++;
	}
	e->count += count;
	if (request_ms >= 0) {
		e->request_ms_sum += count * request_ms;
		e->request_ms_n += count;
	}
	if (bytes >= 0)
		e->bytes_sum += count * bytes;
	return 0;
}

/* Bind the five key columns of a rollup statement. */
static void
rollup_bind_key(sqlite3_stmt *st, const struct rollup_key *k)
{
	sqlite3_bind_int64(st, 1, k->minute);
	sqlite3_bind_int64(st, 2, k->source_id);
	sqlite3_bind_int64(st, 3, k->upstream_id);
	sqlite3_bind_int(st, 4, k->status);
	sqlite3_bind_int(st, 5, k->cause);
}

/* Upsert the deltas of one map; delete rows a negative delta emptied. */
static int
rollup_flush_map(struct store *s, struct rollup_map *m, bool attempts,
    char *err, size_t errlen)
{
	enum store_stmt_id up = attempts ? STMT_ROLLUP_ATTEMPT_UPSERT :
	    STMT_ROLLUP_UPSERT;
	enum store_stmt_id prune = attempts ? STMT_ROLLUP_ATTEMPT_PRUNE :
	    STMT_ROLLUP_PRUNE;

	for (size_t i = 0; i < m->cap && m->n > 0; i++) {
		struct rollup_entry *e = &m->slots[i];
		sqlite3_stmt *st;

		if (!e->used || (e->count == 0 && e->request_ms_sum == 0 &&
		    e->request_ms_n == 0 && e->bytes_sum == 0))
			continue;
		if ((st = store_stmt(s, up, err, errlen)) == NULL)
			return -1;
		rollup_bind_key(st, &e->key);
		sqlite3_bind_int64(st, 6, e->count);
		if (!attempts) {
			sqlite3_bind_int64(st, 7, e->request_ms_sum);
			sqlite3_bind_int64(st, 8, e->request_ms_n);
			sqlite3_bind_int64(st, 9, e->bytes_sum);
		}
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
		if (e->count >= 0)
			continue;
		if ((st = store_stmt(s, prune, err, errlen)) == NULL)
			return -1;
		rollup_bind_key(st, &e->key);
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
	}
	rollup_map_clear(m);
	return 0;
}

/* Write the batch's rollup deltas (inside its transaction); 0 or -1. */
int
rollup_flush(struct store *s, char *err, size_t errlen)
{
	if (rollup_flush_map(s, &s->rollup_req, false, err, errlen) != 0 ||
	    rollup_flush_map(s, &s->rollup_att, true, err, errlen) != 0)
		return -1;
	return 0;
}
