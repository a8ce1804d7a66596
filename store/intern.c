/*
 * intern.c - repeated strings stored once, looked up from memory.
 *
 * upstreams, hosts, paths, shapes and methods each live in a table (id,
 * name). A batch names the same values again and again, so each table has a
 * cache in front: an open-addressing hash map from string to id whose
 * strings are copied into an arena; a hit never touches a B-tree.
 *
 * On a miss: upstreams, hosts and methods (a few values) have a UNIQUE
 * index on name: an INSERT ... ON CONFLICT DO NOTHING and, when the string
 * was already stored, a SELECT. paths and shapes grow with the traffic's
 * variety (hundreds of thousands per million lines): a UNIQUE index on
 * their text cost every new one an insert at a random place of a B-tree
 * three times the size of an index of 8-byte keys, and most of the
 * pages written per batch. They have an index on hash (schema 006) instead,
 * a key made with SipHash under a key kept in the database (table
 * name_hash_key, random per database; intern_name_key): a SELECT by hash
 * and name, then
 * an INSERT when new (we hold the write lock, so no one can add it between
 * the two; the name stays unique).
 *
 * The hash is SipHash-1-3 under a key drawn from getrandom() per process:
 * the strings come from logs, which anyone can write into, and an unkeyed
 * hash (FNV) lets crafted input pile entries onto one probe chain.
 *
 * Memory is bounded: a cache whose slots and strings reach
 * INTERN_CACHE_BYTES is emptied and refills from the hot values. A
 * rolled-back batch empties all caches, since ids learnt inside it may no
 * longer exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/alloc.h"
#include "store/store_int.h"

/*
 * Slots + strings per table: about 40,000 paths of 40 bytes (slots are
 * 32 bytes, at most half full). Paths and shapes may each fill theirs:
 * ingest of 1M production-cardinality lines peaks at 57 MiB RSS with
 * 4 MiB, at 64.5 MiB with 8 MiB.
 */
#define INTERN_CACHE_BYTES	(4u << 20)
#define INTERN_CACHE_INIT	1024	/* initial slots, power of two */

/* Tables whose names are found through an index on their hash. */
static const bool intern_hashed[INTERN_COUNT] = {
	[INTERN_PATH] = true,
	[INTERN_SHAPE] = true,
};

static const char *const intern_table[INTERN_COUNT] = {
	[INTERN_UPSTREAM] = "upstreams",
	[INTERN_HOST] = "hosts",
	[INTERN_PATH] = "paths",
	[INTERN_SHAPE] = "shapes",
	[INTERN_METHOD] = "methods",
};

#define INTERN_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define INTERN_SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = INTERN_ROTL(v1, 13); v1 ^= v0;			\
	v0 = INTERN_ROTL(v0, 32);					\
	v2 += v3; v3 = INTERN_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = INTERN_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = INTERN_ROTL(v1, 17); v1 ^= v2;			\
	v2 = INTERN_ROTL(v2, 32);					\
} while (0)

/* SipHash-1-3 of the n bytes at p under key k. */
static uint64_t
intern_siphash(const uint64_t k[2], const unsigned char *p, size_t n)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, tail = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, p + i, 8);	/* little-endian hosts; any order is a hash */
		v3 ^= m;
		INTERN_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	INTERN_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	INTERN_SIPROUND(v0, v1, v2, v3);
	INTERN_SIPROUND(v0, v1, v2, v3);
	INTERN_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* A secret key: getrandom(), else time and addresses. */
static void
intern_seed(uint64_t key[2])
{
	struct timespec ts;

	if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) ==
	    (ssize_t)(2 * sizeof(key[0])))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^
	    (uint64_t)(uintptr_t)key;
	key[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts;
}

/* See store_int.h. */
uint64_t
store_hash(const struct store *s, const void *p, size_t n)
{
	return intern_siphash(s->hash_key, p, n);
}

/* Bytes the cache holds: its slots and its strings. */
static size_t
intern_bytes(const struct intern_cache *c)
{
	return c->cap * sizeof(*c->slots) + arena_used(c->strings);
}

/* Allocate every cache; 0 or -1 when out of memory. */
int
intern_init(struct store *s)
{
	intern_seed(s->hash_key);
	intern_seed(s->name_key);	/* for a new database; see intern_load_key */
	for (int i = 0; i < INTERN_COUNT; i++) {
		struct intern_cache *c = &s->intern[i];

		c->cap = INTERN_CACHE_INIT;
		c->slots = gw_calloc(c->cap, sizeof(*c->slots));
		c->strings = arena_new();
		if (c->slots == NULL || c->strings == NULL)
			return -1;
	}
	return 0;
}

/* Free the caches. */
void
intern_free(struct store *s)
{
	for (int i = 0; i < INTERN_COUNT; i++) {
		struct intern_cache *c = &s->intern[i];

		free(c->slots);
		arena_free(c->strings);
		memset(c, 0, sizeof(*c));
	}
}

/* Empty one cache, keeping its memory. */
static void
intern_clear(struct intern_cache *c)
{
	if (c->slots == NULL)
		return;
	memset(c->slots, 0, c->cap * sizeof(*c->slots));
	c->n = 0;
	arena_reset(c->strings);
}

/* Empty every cache (after a rollback). */
void
intern_clear_all(struct store *s)
{
	for (int i = 0; i < INTERN_COUNT; i++)
		intern_clear(&s->intern[i]);
}

/* Double the slots of c; 0 or -1 (then c is left as it was). */
static int
intern_grow(struct intern_cache *c)
{
	size_t ncap = c->cap * 2, mask = ncap - 1;
	struct intern_slot *ns = gw_calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < c->cap; i++) {
		size_t j;

		if (c->slots[i].str == NULL)
			continue;
		for (j = c->slots[i].hash & mask; ns[j].str != NULL;
		    j = (j + 1) & mask)
			;
		ns[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = ns;
	c->cap = ncap;
	return 0;
}

/* STMT_INTERN_SELECT_* and _INSERT_* follow enum store_intern_id. */
_Static_assert(STMT_INTERN_SELECT_METHOD - STMT_INTERN_SELECT_UPSTREAM ==
    INTERN_METHOD && STMT_INTERN_INSERT_METHOD - STMT_INTERN_INSERT_UPSTREAM
    == INTERN_METHOD && INTERN_METHOD == INTERN_COUNT - 1 &&
    STMT_INTERN_SELECT_SHAPE - STMT_INTERN_SELECT_UPSTREAM == INTERN_SHAPE &&
    STMT_INTERN_SELECT_PATH - STMT_INTERN_SELECT_UPSTREAM == INTERN_PATH &&
    STMT_INTERN_SELECT_HOST - STMT_INTERN_SELECT_UPSTREAM == INTERN_HOST,
    "intern statements in table order");

/* The statement of table t among those starting at first. */
static enum store_stmt_id
intern_stmt(enum store_stmt_id first, enum store_intern_id t)
{
	return (enum store_stmt_id)((int)first + (int)t);
}

/* Step select (bound) for an id: 1 found, 0 not, -1 error. */
static int
intern_select(struct store *s, enum store_intern_id t, sqlite3_stmt *st,
    int64_t *id, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail_db(s, err, errlen, intern_table[t]);
}

#define INTERN_SKELETON_MAX 1024	/* longer names: plain hash */

/*
 * The indexed key of a name in paths or shapes (paths.hash): 64 bits, high
 * half the keyed hash of the name with its last run of digits cut out
 * (its "route"), low half the number that run spells. Ids of one route
 * that follow each other (new orders, log line numbers, ...) then land next
 * to each other in the index, as they did in a UNIQUE index on the text:
 * a batch of them dirties a few pages, not one page each (bench/tail.sh's
 * every path is new and sequential: twice the CPU and 5 s commit delays
 * with a plain hash). Random ids cost what a plain hash costs. A run longer
 * than 9 digits or with a leading zero (two texts, one number), or no run,
 * or a long name: the high half from the whole name's hash and the low
 * half its low 31 bits with bit 31 set, so it never equals a number's key
 * (< 10^9 < 2^30). Equal keys of different names are told apart by name.
 */
static int64_t
intern_name_key(const struct store *s, const char *p, size_t n)
{
	size_t end = n, start;
	uint64_t hi, lo = 0;
	char buf[INTERN_SKELETON_MAX + 1];

	while (end > 0 && (p[end - 1] < '0' || p[end - 1] > '9'))
		end--;
	for (start = end; start > 0 && p[start - 1] >= '0' &&
	    p[start - 1] <= '9'; start--)
		;
	if (end > start && end - start <= 9 && (p[start] != '0' ||
	    end - start == 1) && n - (end - start) < INTERN_SKELETON_MAX) {
		memcpy(buf, p, start);
		buf[start] = '#';
		memcpy(buf + start + 1, p + end, n - end);
		hi = intern_siphash(s->name_key, (const unsigned char *)buf,
		    n - (end - start) + 1) >> 32;
		for (size_t i = start; i < end; i++)
			lo = lo * 10 + (uint64_t)(p[i] - '0');
	} else {
		uint64_t h = intern_siphash(s->name_key,
		    (const unsigned char *)p, n);

		hi = h >> 32;
		lo = (h & 0x7fffffffu) | 0x80000000u;
	}
	return (int64_t)(hi << 32 | lo);
}

/*
 * The id of str in table t from the database, inserting it when new. With
 * a UNIQUE name the INSERT comes first: during an ingest most misses are
 * new strings, so that is one index probe; an existing one (evicted from
 * the cache, or stored by an earlier run) costs the SELECT as well. A
 * hashed table is looked up first (a small index), then inserted into.
 */
static int
intern_lookup_db(struct store *s, enum store_intern_id t, const char *str,
    size_t len, int64_t *id, char *err, size_t errlen)
{
	enum store_stmt_id sel = intern_stmt(STMT_INTERN_SELECT_UPSTREAM, t);
	enum store_stmt_id ins = intern_stmt(STMT_INTERN_INSERT_UPSTREAM, t);
	sqlite3_stmt *select, *insert;
	int rc;

	if (intern_hashed[t]) {
		int64_t h = intern_name_key(s, str, len);

		if ((select = store_stmt_hot(s, sel, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_text(select, 1, str, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(select, 2, h);
		if ((rc = intern_select(s, t, select, id, err, errlen)) != 0)
			return rc < 0 ? -1 : 0;
		if ((insert = store_stmt_hot(s, ins, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_text(insert, 1, str, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(insert, 2, h);
		rc = sqlite3_step(insert);
		sqlite3_reset(insert);
		if (rc != SQLITE_DONE)
			return store_fail_db(s, err, errlen, intern_table[t]);
		*id = sqlite3_last_insert_rowid(s->db);
		return 0;
	}
	if ((insert = store_stmt_hot(s, ins, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(insert, 1, str, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(insert);
	sqlite3_reset(insert);
	if (rc != SQLITE_DONE)
		return store_fail_db(s, err, errlen, intern_table[t]);
	if (sqlite3_changes(s->db) == 1) {
		*id = sqlite3_last_insert_rowid(s->db);
		return 0;
	}
	if ((select = store_stmt_hot(s, sel, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(select, 1, str, (int)len, SQLITE_STATIC);
	if ((rc = intern_select(s, t, select, id, err, errlen)) == 1)
		return 0;
	if (rc == 0)
		store_fail(err, errlen, "%s: a stored name vanished",
		    intern_table[t]);
	return -1;
}

/*
 * Read the database's name-hash key (table name_hash_key, written by
 * migration 006) into s->name_key; 0 or -1. Call after migrating.
 */
int
intern_load_key(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_INTERN_NAME_KEY, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->name_key[0] = (uint64_t)sqlite3_column_int64(st, 0);
		s->name_key[1] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return store_fail(err, errlen, "name_hash_key: no key");
	return store_fail_db(s, err, errlen, "name_hash_key");
}

/* gw_name_hash(text): intern_name_key() under the store's (user data) key. */
static void
intern_sql_name_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct store *s = sqlite3_user_data(ctx);
	const char *t = (const char *)sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int64(ctx, intern_name_key(s, t != NULL ? t : "",
	    (size_t)sqlite3_value_bytes(argv[0])));
}

/* gw_name_key(i): half i of the key a new database gets. */
static void
intern_sql_name_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct store *s = sqlite3_user_data(ctx);

	(void)argc;
	sqlite3_result_int64(ctx,
	    (int64_t)s->name_key[sqlite3_value_int(argv[0]) != 0]);
}

/* gw_name_hash() and gw_name_key() for migration 006; 0 or -1. */
int
intern_register(struct store *s)
{
	if (sqlite3_create_function(s->db, "gw_name_hash", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, s, intern_sql_name_hash, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_create_function(s->db, "gw_name_key", 1, SQLITE_UTF8, s,
	    intern_sql_name_key, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/*
 * The id of str in table t (inserted when new); str NULL gives id 0, which
 * callers store as NULL. Must run inside the batch transaction.
 */
int
intern_id(struct store *s, enum store_intern_id t, const char *str,
    int64_t *id, char *err, size_t errlen)
{
	struct intern_cache *c = &s->intern[t];
	size_t len, mask, i;
	uint64_t h;

	if (str == NULL) {
		*id = 0;
		return 0;
	}
	len = strlen(str);
	h = intern_siphash(s->hash_key, (const unsigned char *)str, len);
	mask = c->cap - 1;
	for (i = h & mask; c->slots[i].str != NULL; i = (i + 1) & mask) {
		if (c->slots[i].hash == h && c->slots[i].len == len &&
		    memcmp(c->slots[i].str, str, len) == 0) {
			*id = c->slots[i].id;
			return 0;
		}
	}
	if (intern_lookup_db(s, t, str, len, id, err, errlen) != 0)
		return -1;

	/* Remember it; a full cache starts over, a crowded one grows. */
	if (intern_bytes(c) + len + 1 > INTERN_CACHE_BYTES)
		intern_clear(c);
	if ((c->n + 1) * 2 > c->cap &&
	    (intern_bytes(c) + c->cap * sizeof(*c->slots) > INTERN_CACHE_BYTES ||
	    intern_grow(c) != 0))
		intern_clear(c);	/* doubling the slots would pass the budget */
	mask = c->cap - 1;
	for (i = h & mask; c->slots[i].str != NULL; i = (i + 1) & mask)
		;
	if ((c->slots[i].str = arena_strndup(c->strings, str, len)) == NULL)
		return 0;	/* correct, just uncached */
	c->slots[i].hash = h;
	c->slots[i].len = len;
	c->slots[i].id = *id;
	c->n++;
	return 0;
}
