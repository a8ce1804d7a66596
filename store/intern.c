/*
 * intern.c - repeated strings stored once, looked up from memory.
 *
 * upstreams, hosts, paths, shapes and methods each live in a table (id,
 * name). A batch names the same values again and again, so each table has a
 * cache in front: a hash map (core/hashtab.h) from string to id whose
 * entries (id, length, string) are copied into an arena; a hit never
 * touches a B-tree.
 *
 * On a miss: upstreams, hosts and methods (a few values) have a UNIQUE
 * index on name: an INSERT ... ON CONFLICT DO NOTHING and, when the string
 * was already stored, a SELECT. paths and shapes grow with the traffic's
 * variety (hundreds of thousands per million lines): a UNIQUE index on
 * their text cost every new one an insert at a random place of a B-tree
 * three times the size of an index of 8-byte keys, and most of the
 * pages written per batch. They are found by hash instead (schema 006), a
 * key made with SipHash-1-3 (core/hashkey.h) under a key kept in the
 * database (table name_hash_key, random per database; intern_name_key): a
 * SELECT by hash and name, then an INSERT when new (we hold the write
 * lock, so no one can add it between the two; the name stays unique).
 * The keys are tables of their own, path_keys and shape_keys (schema
 * 017; an index on hash before), so a transaction's new names go into
 * the table in id order, appended, and into the keys in key order
 * (intern_flush_table).
 *
 * The caches hash with hashtab_hash (keyed, a key per table from
 * getrandom()): the strings come from logs, which anyone can write into,
 * and an unkeyed hash (FNV) lets crafted input pile entries onto one probe
 * chain. store_hash is the same hash under the store's own key.
 *
 * A new name of paths or shapes skips the SELECT: each keeps a key set,
 * a fingerprint of the key of every name it holds (intern_keyset), and a
 * name whose fingerprint is absent is certainly not stored. At production
 * cardinality most misses of the cache are new names (400,000 paths in a
 * million lines), and the SELECT was a probe at a random place of the
 * hash index. The set is loaded on first use inside a write transaction
 * (the index, scanned), kept up to date with our own INSERTs, and trusted
 * only while no one else may have inserted: we hold the write lock for the
 * whole batch, and at each batch's start (intern_keys_begin) PRAGMA
 * data_version tells whether another connection committed since our last
 * look; if so, the rows it added (ids past the highest we know: SQLite
 * gives max + 1, and ids of removed names only come back after a prune,
 * which bumps intern_epoch and empties the sets) are read into the set.
 * A rollback, a prune and a bumped intern_epoch empty the sets with the
 * caches (intern_clear_all); they reload on next use. A set that would
 * pass INTERN_KEYSET_BYTES turns into as many bytes of bits, a bit per
 * name (KEYSET_BITS): no longer exact, a set bit sends the name to the
 * SELECT, but 4 million paths still leave four in five new names to skip
 * it. Out of memory a set is dropped for good and every miss SELECTs, as
 * before.
 *
 * In front of each cache's map, INTERN_FRONT direct-mapped slots hold the
 * entries last found or added with a cheap unkeyed hash of the name (the
 * slot is its top bits; the whole is compared before the entry is
 * touched): a
 * batch names the same methods, hosts, upstreams and shapes again and
 * again, and a hit there costs a multiply per 8 bytes and a compare where
 * the keyed hash of the map cost ~200 instructions (4 lookups a request,
 * 14% of the writer's instructions). Crafted names that collide there
 * only evict each other: a miss goes to the map, as before. Paths and
 * shapes have INTERN_FRONT_HASHED slots (512 KiB each, fixed): 1M
 * production lines name 40,000 shapes, and 2,048 slots answered 47% of
 * their lookups, 32,768 slots 81%. Those slots, their entries and the
 * map's slots were cache misses, most of intern_id's time, so the writer
 * works out a shape's length and hashes some requests ahead and asks the
 * CPU for what the lookup will read (intern_hint_of,
 * intern_prefetch_entry; write.c): 1M production lines, writer samples
 * in interning 324-418 -> ~190 (load 5-7). A hint's map hash is under
 * the map's key, which never changes: crafted names cost what they did.
 *
 * Methods, hosts and upstreams (a few names, looked up three times a
 * request, ~100% front hits) have INTERN_SHORT short slots before their
 * front: a name of at most 32 bytes is held whole there, as four words
 * and its length, and found with two multiplies and five compares, no
 * entry read and no memcmp (intern_short_words).
 *
 * Memory is bounded: a cache whose slots and strings reach
 * INTERN_CACHE_BYTES is emptied and refills from the hot values. A
 * rolled-back batch empties all caches, since ids learnt inside it may no
 * longer exist.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hashkey.h"
#include "store/store_int.h"

/*
 * Slots + entries per table: about 65,000 paths of 40 bytes (slots are
 * 16 bytes, at most half full; an entry is 16 bytes and the string,
 * rounded to 16).
 * Paths and shapes may each fill theirs. A stored name the cache lost
 * costs a SELECT at a random place of the hash index and the table,
 * mostly past SQLite's cache on a large database: 3M
 * production-cardinality lines, 4 -> 6 MiB: page cache misses 618,556 ->
 * 456,728 (6 MiB more of SQLite's cache: 490,501), peak RSS 55.1 -> 59.4
 * MiB (with ingest's batches of 16,384 records).
 */
#define INTERN_CACHE_BYTES	(6u << 20)
#define INTERN_CACHE_INIT	512	/* initial values (1,024 slots) */

/*
 * Key sets: 4-byte slots, at most 7/8 full (a miss walks ~30 slots, two
 * or three cache lines); 2 MiB per table holds 458,752 names, then
 * 16,777,216 bits. 1M production-cardinality lines store 399,294 paths:
 * at 3/4 full the set doubled to 4 MiB (6 MiB while copying) and took
 * ingest's peak RSS past 64 MiB; a 4 MiB budget would do that at 10M.
 * A slot is the top 32 bits of a keyed hash of the name's key (zero made
 * one): the slot a value starts its probe at is its own top bits, so the
 * set doubles without the keys. Two keys of one fingerprint (2^-32 per
 * probe) make a new name look stored: it is SELECTed, as every miss was.
 */
#define INTERN_KEYSET_BYTES	(2u << 20)
#define INTERN_KEYSET_INIT	4096	/* initial slots */

/* A cached name: its id and its bytes (NUL-terminated). */
struct intern_entry {
	int64_t id;
	size_t len;
	char str[];
};

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

/* See store_int.h. */
uint64_t
store_hash(const struct store *s, const void *p, size_t n)
{
	return hashkey_siphash(s->hash_key, p, n);
}

/* Bytes the cache holds: its slots and its entries. */
static size_t
intern_bytes(const struct intern_cache *c)
{
	return hashtab_bytes(&c->map) + arena_used(c->strings);
}

/* INTERN_SHORT empty short slots, a slot a cache line; NULL out of
 * memory. */
static struct intern_short *
intern_short_new(void)
{
	struct intern_short *v;

	_Static_assert(sizeof(*v) == 64, "a short slot is a cache line");
	if (gw_fault_check() || (v = aligned_alloc(64, INTERN_SHORT *
	    sizeof(*v))) == NULL)
		return NULL;
	return memset(v, 0, INTERN_SHORT * sizeof(*v));
}

/* Allocate every cache; 0 or -1 when out of memory. */
int
intern_init(struct store *s)
{
	s->hash_key[0] = hashkey_seed();
	s->hash_key[1] = hashkey_seed();
	/* for a new database; see intern_load_key */
	s->name_key[0] = hashkey_seed();
	s->name_key[1] = hashkey_seed();
	for (int i = 0; i < INTERN_COUNT; i++) {
		struct intern_cache *c = &s->intern[i];

		s->keys[i].mix[0] = hashkey_seed();
		s->keys[i].mix[1] = hashkey_seed();
		hashtab_init(&c->map, 0);
		c->strings = arena_new();
		c->front_mask = (intern_hashed[i] ? INTERN_FRONT_HASHED :
		    INTERN_FRONT) - 1;
		/* probed at random: written zero, not calloc'd */
		if ((c->front = gw_zeroed(c->front_mask + 1,
		    sizeof(*c->front))) == NULL)
			return -1;
		if (!intern_hashed[i] && (c->shorts = intern_short_new()) ==
		    NULL)
			return -1;
		if (intern_hashed[i] &&
		    (s->pending[i].names = arena_new()) == NULL)
			return -1;
		if (c->strings == NULL ||
		    hashtab_reserve(&c->map, INTERN_CACHE_INIT) != HASHTAB_OK)
			return -1;
	}
	return 0;
}

static void keyset_unload(struct intern_keyset *k);

/* Free the caches. */
void
intern_free(struct store *s)
{
	for (int i = 0; i < INTERN_COUNT; i++) {
		struct intern_cache *c = &s->intern[i];

		hashtab_free(&c->map);
		arena_free(c->strings);
		free(c->front);
		free(c->shorts);
		memset(c, 0, sizeof(*c));
		keyset_unload(&s->keys[i]);
		arena_free(s->pending[i].names);
		free(s->pending[i].v);
		free(s->pending[i].slots);
		memset(&s->pending[i], 0, sizeof(s->pending[i]));
	}
}

/* Empty one cache, keeping its memory. */
static void
intern_clear(struct intern_cache *c)
{
	if (c->front != NULL)
		memset(c->front, 0, (c->front_mask + 1) * sizeof(*c->front));
	if (c->shorts != NULL)
		memset(c->shorts, 0, INTERN_SHORT * sizeof(*c->shorts));
	if (c->strings == NULL)
		return;
	hashtab_clear(&c->map);
	arena_reset(c->strings);
}

/* Does the set answer (fingerprints or bits)? */
static bool
keyset_live(const struct intern_keyset *k)
{
	return k->state == KEYSET_LOADED || k->state == KEYSET_BITS;
}

/* Forget a key set's keys; a loaded one reloads on next use. */
static void
keyset_unload(struct intern_keyset *k)
{
	free(k->slots);
	k->slots = NULL;
	k->cap = k->n = 0;
	k->max_id = 0;
	if (keyset_live(k))
		k->state = KEYSET_UNLOADED;
}

/* Drop a key set for good (out of memory). */
static void
keyset_off(struct intern_keyset *k)
{
	keyset_unload(k);
	k->state = KEYSET_OFF;
}

/* The fingerprint of a name's key: never 0 (an empty slot). */
static uint32_t
keyset_fp(const struct intern_keyset *k, int64_t key)
{
	uint32_t fp = (uint32_t)(hashkey_siphash(k->mix, &key,
	    sizeof(key)) >> 32);

	return fp != 0 ? fp : 1;
}

/* The slot fp's probe starts at: its top bits (cap a power of two). */
static size_t
keyset_home(const struct intern_keyset *k, uint32_t fp)
{
	return (size_t)(((uint64_t)fp * k->cap) >> 32);
}

/* Bit of fp in a set of bits: the cap * 32 bits' top ones of fp. */
static size_t
keyset_bit(const struct intern_keyset *k, uint32_t fp)
{
	return (size_t)(((uint64_t)fp * k->cap * 32) >> 32);
}

/* Set fp's bit (KEYSET_BITS). */
static void
keyset_set_bit(struct intern_keyset *k, uint32_t fp)
{
	size_t b = keyset_bit(k, fp);

	k->slots[b / 32] |= UINT32_C(1) << (b % 32);
}

/* Does the set hold fp (or, as bits, maybe)? */
static bool
keyset_has(const struct intern_keyset *k, uint32_t fp)
{
	size_t mask = k->cap - 1;

	if (k->cap == 0)
		return false;
	if (k->state == KEYSET_BITS) {
		size_t b = keyset_bit(k, fp);

		return (k->slots[b / 32] >> (b % 32)) & 1;
	}
	for (size_t i = keyset_home(k, fp);; i = (i + 1) & mask) {
		if (k->slots[i] == fp)
			return true;
		if (k->slots[i] == 0)
			return false;
	}
}

/* Put fp into slots of cap (which has room). */
static void
keyset_put(uint32_t *slots, size_t cap, uint32_t fp)
{
	size_t i = (size_t)(((uint64_t)fp * cap) >> 32);

	while (slots[i] != 0 && slots[i] != fp)
		i = (i + 1) & (cap - 1);
	slots[i] = fp;
}

#define KEYSET_WRAP_MAX	1024	/* see keyset_to_bits */

/*
 * Turn a full set of fingerprints into bits, in place: the word of fp is
 * its home slot (keyset_bit), at or before the slot it sits in, so a walk
 * up the slots only writes words already walked; the run at the start
 * that wrapped from the end is put aside first. 0, or -1 when that run
 * is longer than KEYSET_WRAP_MAX.
 */
static int
keyset_to_bits(struct intern_keyset *k)
{
	uint32_t wrap[KEYSET_WRAP_MAX];
	size_t nw = 0;

	for (size_t i = 0; i < k->cap && k->slots[i] != 0; i++)
		if (keyset_home(k, k->slots[i]) > i) {
			if (nw == KEYSET_WRAP_MAX)
				return -1;
			wrap[nw++] = k->slots[i];
		}
	k->state = KEYSET_BITS;
	for (size_t i = 0; i < k->cap; i++) {
		uint32_t fp = k->slots[i];

		k->slots[i] = 0;
		if (fp != 0 && keyset_home(k, fp) <= i)
			keyset_set_bit(k, fp);
	}
	for (size_t j = 0; j < nw; j++)
		keyset_set_bit(k, wrap[j]);
	return 0;
}

/*
 * Add fp; 0, or -1 out of memory. A set that would double past its
 * budget becomes bits.
 */
static int
keyset_add(struct intern_keyset *k, uint32_t fp)
{
	if (k->state == KEYSET_BITS) {
		keyset_set_bit(k, fp);
		k->n++;
		return 0;
	}
	if ((k->n + 1) * 8 > k->cap * 7) {
		size_t cap = k->cap != 0 ? k->cap * 2 : INTERN_KEYSET_INIT;
		uint32_t *slots;

		if (k->cap != 0 && cap * sizeof(*slots) > (k->budget != 0 ?
		    k->budget : INTERN_KEYSET_BYTES)) {
			if (keyset_to_bits(k) != 0)
				return -1;
			return keyset_add(k, fp);
		}
		if ((slots = gw_zeroed(cap, sizeof(*slots))) == NULL)
			return -1;
		for (size_t i = 0; i < k->cap; i++)
			if (k->slots[i] != 0)
				keyset_put(slots, cap, k->slots[i]);
		free(k->slots);
		k->slots = slots;
		k->cap = cap;
	}
	if (keyset_has(k, fp))
		return 0;
	keyset_put(k->slots, k->cap, fp);
	k->n++;
	return 0;
}

/* See store_int.h. */
void
intern_keys_budget(struct store *s, size_t bytes)
{
	for (int i = 0; i < INTERN_COUNT; i++)
		s->keys[i].budget = bytes;
}

/* Empty every cache and key set (after a rollback or a prune). */
void
intern_clear_all(struct store *s)
{
	for (int i = 0; i < INTERN_COUNT; i++) {
		intern_clear(&s->intern[i]);
		keyset_unload(&s->keys[i]);
		s->pending[i].n = 0;	/* never inserted */
		if (s->pending[i].names != NULL)
			arena_reset(s->pending[i].names);
	}
}

/* STMT_INTERN_SELECT_* and _INSERT_* follow enum store_intern_id. */
_Static_assert(STMT_INTERN_SELECT_METHOD - STMT_INTERN_SELECT_UPSTREAM ==
    INTERN_METHOD && STMT_INTERN_INSERT_METHOD - STMT_INTERN_INSERT_UPSTREAM
    == INTERN_METHOD && INTERN_METHOD == INTERN_COUNT - 1 &&
    STMT_INTERN_SELECT_SHAPE - STMT_INTERN_SELECT_UPSTREAM == INTERN_SHAPE &&
    STMT_INTERN_SELECT_PATH - STMT_INTERN_SELECT_UPSTREAM == INTERN_PATH &&
    STMT_INTERN_SELECT_HOST - STMT_INTERN_SELECT_UPSTREAM == INTERN_HOST,
    "intern statements in table order");
_Static_assert(STMT_INTERN_KEYS_SHAPE - STMT_INTERN_KEYS_PATH ==
    INTERN_SHAPE - INTERN_PATH && STMT_INTERN_KEYS_ALL_SHAPE -
    STMT_INTERN_KEYS_ALL_PATH == INTERN_SHAPE - INTERN_PATH,
    "key set statements: paths, then shapes");
_Static_assert(STMT_INTERN_INSERT_ID_SHAPE - STMT_INTERN_INSERT_ID_PATH ==
    INTERN_SHAPE - INTERN_PATH && STMT_INTERN_INSERT_IDS_SHAPE -
    STMT_INTERN_INSERT_IDS_PATH == INTERN_SHAPE - INTERN_PATH,
    "queued insert statements: paths, then shapes");
_Static_assert(STMT_INTERN_INSERT_KEY_SHAPE - STMT_INTERN_INSERT_KEY_PATH ==
    INTERN_SHAPE - INTERN_PATH && STMT_INTERN_INSERT_KEYS_SHAPE -
    STMT_INTERN_INSERT_KEYS_PATH == INTERN_SHAPE - INTERN_PATH,
    "key insert statements: paths, then shapes");
_Static_assert(STMT_INTERN_SELECT_INDEXED_SHAPE -
    STMT_INTERN_SELECT_INDEXED_PATH == INTERN_SHAPE - INTERN_PATH &&
    STMT_INTERN_KEYS_INDEXED_SHAPE - STMT_INTERN_KEYS_INDEXED_PATH ==
    INTERN_SHAPE - INTERN_PATH, "indexed statements: paths, then shapes");

/* Are paths' and shapes' keys tables of their own (schema 017)? Before,
 * an index on hash, which SQLite keeps. */
static bool
intern_keys_table(const struct store *s)
{
	return s->schema_version >= INTERN_KEYS_SCHEMA;
}

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
		hi = hashkey_siphash(s->name_key, buf, n - (end - start) + 1) >>
		    32;
		for (size_t i = start; i < end; i++)
			lo = lo * 10 + (uint64_t)(p[i] - '0');
	} else {
		uint64_t h = hashkey_siphash(s->name_key, p, n);

		hi = h >> 32;
		lo = (h & 0x7fffffffu) | 0x80000000u;
	}
	return (int64_t)(hi << 32 | lo);
}

/* PRAGMA data_version into *v; 0 or -1. */
static int
intern_data_version(struct store *s, int64_t *v, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, STMT_INTERN_DATA_VERSION, err,
	    errlen);
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail_db(s, err, errlen, "data_version");
	return 0;
}

/*
 * Read into key set t the names of its table that statement id yields
 * (ids past k->max_id, or all); 0, or -1 on a database error. Out of
 * memory the set is dropped (KEYSET_OFF) and 0 returned.
 */
static int
intern_keys_read(struct store *s, enum store_intern_id t,
    enum store_stmt_id id, char *err, size_t errlen)
{
	struct intern_keyset *k = &s->keys[t];
	sqlite3_stmt *st = store_stmt(s, id, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, k->max_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t row = sqlite3_column_int64(st, 0);

		if (keyset_add(k, keyset_fp(k, sqlite3_column_int64(st,
		    1))) != 0) {
			keyset_off(k);
			sqlite3_reset(st);
			return 0;
		}
		if (row > k->max_id)
			k->max_id = row;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		keyset_unload(k);
		return store_fail_db(s, err, errlen, intern_table[t]);
	}
	return 0;
}

/* Load key set t (KEYSET_UNLOADED) inside a write transaction; 0 or -1. */
static int
intern_keys_load(struct store *s, enum store_intern_id t, char *err,
    size_t errlen)
{
	struct intern_keyset *k = &s->keys[t];
	bool synced = false;

	/* Another loaded set was caught up at this transaction's start:
	   s->data_version is the current one (we hold the write lock). */
	for (int i = 0; i < INTERN_COUNT; i++)
		synced |= keyset_live(&s->keys[i]);
	if (!synced && intern_data_version(s, &s->data_version, err,
	    errlen) != 0)
		return -1;
	keyset_unload(k);
	k->state = KEYSET_LOADED;
	return intern_keys_read(s, t, intern_stmt(intern_keys_table(s) ?
	    STMT_INTERN_KEYS_ALL_PATH : STMT_INTERN_KEYS_INDEXED_PATH,
	    (enum store_intern_id)(t - INTERN_PATH)), err, errlen);
}

/* See store_int.h: called by store_begin, after prune_epoch_check. */
int
intern_keys_begin(struct store *s, char *err, size_t errlen)
{
	bool loaded = false;
	int64_t v;

	for (int i = 0; i < INTERN_COUNT; i++)
		loaded |= keyset_live(&s->keys[i]);
	if (!loaded)
		return 0;
	if (intern_data_version(s, &v, err, errlen) != 0)
		return -1;
	if (v == s->data_version)
		return 0;
	for (int i = 0; i < INTERN_COUNT; i++)
		if (keyset_live(&s->keys[i]) &&
		    intern_keys_read(s, (enum store_intern_id)i,
		    intern_stmt(STMT_INTERN_KEYS_PATH,
		    (enum store_intern_id)(i - INTERN_PATH)), err,
		    errlen) != 0)
			return -1;
	s->data_version = v;
	return 0;
}

/* The slot of key among the 2 * cap of a queue (cap a power of two). */
static size_t
intern_pending_home(const struct intern_pending *p, int64_t key)
{
	return (size_t)(((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15)) >>
	    32) & (size_t)(p->cap * 2 - 1);
}

/* Index row i of the queue by its key (slots has room). */
static void
intern_pending_index(struct intern_pending *p, int i)
{
	size_t mask = (size_t)p->cap * 2 - 1;
	size_t j = intern_pending_home(p, p->v[i].key);

	while (p->slots[j] != 0)
		j = (j + 1) & mask;
	p->slots[j] = i + 1;
}

/* The id of a queued name (str, key): 1 found, 0 not queued. */
static int
intern_pending_find(const struct intern_pending *p, int64_t key,
    const char *str, size_t len, int64_t *id)
{
	size_t mask = (size_t)p->cap * 2 - 1;

	if (p->n == 0 || p->slots == NULL)
		return 0;
	for (size_t j = intern_pending_home(p, key); p->slots[j] != 0;
	    j = (j + 1) & mask) {
		const struct intern_pending_row *r = &p->v[p->slots[j] - 1];

		if (r->key == key && r->len == len &&
		    memcmp(r->name, str, len) == 0) {
			*id = r->id;
			return 1;
		}
	}
	return 0;
}

/* qsort order of queued names: by key (the index's order), then id. */
static int
intern_pending_cmp(const void *a, const void *b)
{
	const struct intern_pending_row *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/*
 * See store_int.h. A radix sort on the key, 8 bits a pass (a pass where
 * every key has the same byte skipped), stable, so names of one key stay
 * in the order queued, which is their ids'. glibc's qsort (a merge sort
 * calling intern_pending_cmp) took 725 instructions a name. The second
 * array is as large as the queue (at most INTERN_PENDING_MAX rows, 2 MiB,
 * what glibc's merge sort took too); out of memory for it: qsort.
 */
void
intern_pending_sort(struct intern_pending_row *v, int n)
{
	struct intern_pending_row *tmp, *src = v, *dst;
	size_t count[256];

	if (n < 64 || (tmp = gw_calloc((size_t)n, sizeof(*v))) == NULL) {
		if (n > 1)
			qsort(v, (size_t)n, sizeof(v[0]), intern_pending_cmp);
		return;
	}
	dst = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		struct intern_pending_row *swap;
		size_t sum = 0;
		bool one = false;

		memset(count, 0, sizeof(count));
		/* the sign bit flipped: signed keys in order as unsigned */
		for (int i = 0; i < n; i++)
			count[(((uint64_t)src[i].key ^ UINT64_C(1) << 63) >>
			    shift) & 0xff]++;
		for (int d = 0; d < 256; d++) {
			size_t c = count[d];

			one |= c == (size_t)n;
			count[d] = sum;
			sum += c;
		}
		if (one)
			continue;
		for (int i = 0; i < n; i++)
			dst[count[(((uint64_t)src[i].key ^ UINT64_C(1) <<
			    63) >> shift) & 0xff]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != v)
		memcpy(v, src, (size_t)n * sizeof(*v));
	free(tmp);
}

/*
 * Insert rows v[0..n) of table t's queue, INTERN_PENDING_ROWS a
 * statement, the rest one by one: into the table (keys false: name and
 * hash) or into its keys (hash, id). The rows are given no id: SQLite's
 * next rowid (the highest + 1) appends each to the table without the
 * seek an explicit id costs to rule out a duplicate, and it is the id
 * intern_defer gave (the queue is in id order, its ids follow the highest
 * stored one, and we hold the write lock); checked at each statement's
 * end, a table out of step with the key set fails the batch. 0 or -1.
 */
static int
intern_insert_rows(struct store *s, enum store_intern_id t,
    const struct intern_pending_row *v, int n, bool keys, char *err,
    size_t errlen)
{
	enum store_intern_id rel = (enum store_intern_id)(t - INTERN_PATH);
	enum store_stmt_id one = keys ? STMT_INTERN_INSERT_KEY_PATH :
	    STMT_INTERN_INSERT_ID_PATH;
	enum store_stmt_id many = keys ? STMT_INTERN_INSERT_KEYS_PATH :
	    STMT_INTERN_INSERT_IDS_PATH;
	int full = n - n % INTERN_PENDING_ROWS;
	sqlite3_stmt *st = NULL;

	for (int i = 0; i < n; i++) {
		bool all = i < full;
		int base = all ? i % INTERN_PENDING_ROWS * 2 : 0;

		if ((!all || base == 0) && (st = store_stmt(s, intern_stmt(all ?
		    many : one, rel), err, errlen)) == NULL)
			return -1;
		if (keys) {
			sqlite3_bind_int64(st, base + 1, v[i].key);
			sqlite3_bind_int64(st, base + 2, v[i].id);
		} else {
			sqlite3_bind_text(st, base + 1, v[i].name,
			    (int)v[i].len, SQLITE_STATIC);
			sqlite3_bind_int64(st, base + 2, v[i].key);
		}
		if (all && i % INTERN_PENDING_ROWS != INTERN_PENDING_ROWS - 1)
			continue;
		if (store_stmt_run(s, st, err, errlen) != 0)
			return -1;
		if (!keys && sqlite3_last_insert_rowid(s->db) != v[i].id)
			return store_fail(err, errlen, "%s: new name given id"
			    " %lld, queued as %lld", intern_table[t],
			    (long long)sqlite3_last_insert_rowid(s->db),
			    (long long)v[i].id);
	}
	return 0;
}

/*
 * Insert the pending new names of table t: the rows in the order queued,
 * which is their ids' (each an append to the table), then their keys
 * (schema 017) in key order. A transaction's new names land all over
 * the keys; in key order each of their pages is read and dirtied once per
 * flush, where inserts in arrival order fetch and spill the same pages
 * again and again once the keys outgrow the page cache of 16 MiB (the
 * index was 40 MB at 10M production-cardinality lines when every path
 * was interned; with request blocks, 10M lines' path_keys are 5.7 MB).
 * 0 or -1.
 */
static int
intern_flush_table(struct store *s, enum store_intern_id t, char *err,
    size_t errlen)
{
	struct intern_pending *p = &s->pending[t];
	int n = p->n;

	p->n = 0;
	/* empty, v may be NULL: a first name past INTERN_PENDING_BYTES */
	if (n > 0) {
		if (intern_insert_rows(s, t, p->v, n, false, err, errlen) != 0)
			return -1;
		intern_pending_sort(p->v, n);
		if (intern_keys_table(s) && intern_insert_rows(s, t, p->v, n,
		    true, err, errlen) != 0)
			return -1;
	}
	arena_reset(p->names);
	if (p->slots != NULL)
		memset(p->slots, 0, (size_t)p->cap * 2 * sizeof(*p->slots));
	return 0;
}

/* See store_int.h: called by store_commit. */
int
intern_flush(struct store *s, char *err, size_t errlen)
{
	for (int i = 0; i < INTERN_COUNT; i++)
		if (s->pending[i].n > 0 &&
		    intern_flush_table(s, (enum store_intern_id)i, err,
		    errlen) != 0)
			return -1;
	return 0;
}

/*
 * A name of table t that is certainly new (key set): its id is the next
 * after every stored one (we hold the write lock; the set knows the
 * highest id), and its row is queued to go in with others through one
 * INSERT, before any SELECT of t and before COMMIT. 0 or -1.
 */
static int
intern_defer(struct store *s, enum store_intern_id t, const char *str,
    size_t len, int64_t key, uint32_t fp, int64_t *id, char *err,
    size_t errlen)
{
	struct intern_keyset *k = &s->keys[t];
	struct intern_pending *p = &s->pending[t];
	char *copy;

	/* a full queue goes in now (bounded memory), in key order too */
	if ((p->n == INTERN_PENDING_MAX ||
	    arena_used(p->names) + len + 1 > INTERN_PENDING_BYTES) &&
	    intern_flush_table(s, t, err, errlen) != 0)
		return -1;
	if (p->n == p->cap) {
		int cap = p->cap != 0 ? p->cap * 2 : 1024;
		struct intern_pending_row *v;
		int32_t *slots;

		if (cap > INTERN_PENDING_MAX)
			cap = INTERN_PENDING_MAX;
		if ((slots = gw_zeroed((size_t)cap * 2,
		    sizeof(*slots))) == NULL || (v = gw_realloc(p->v,
		    (size_t)cap * sizeof(*v))) == NULL) {
			free(slots);
			/* queue no more: in now, then one at a time */
			if (p->n > 0 && intern_flush_table(s, t, err,
			    errlen) != 0)
				return -1;
			if (p->cap == 0)
				return store_fail(err, errlen,
				    "out of memory");
		} else {
			p->v = v;
			free(p->slots);
			p->slots = slots;
			p->cap = cap;
			for (int i = 0; i < p->n; i++)
				intern_pending_index(p, i);
		}
	}
	if ((copy = arena_alloc(p->names, len + 1)) == NULL)
		return store_fail(err, errlen, "out of memory");
	memcpy(copy, str, len);
	copy[len] = '\0';
	*id = k->max_id + 1;
	if (keyset_add(k, fp) != 0)
		keyset_off(k);	/* the SELECTs from now on flush first */
	else
		k->max_id = *id;
	p->v[p->n].name = copy;
	p->v[p->n].len = len;
	p->v[p->n].id = *id;
	p->v[p->n].key = key;
	intern_pending_index(p, p->n++);
	return 0;
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
		struct intern_keyset *k = &s->keys[t];
		uint32_t fp = 0;

		if (k->state == KEYSET_UNLOADED &&
		    intern_keys_load(s, t, err, errlen) != 0)
			return -1;
		if (keyset_live(k) && !keyset_has(k, fp = keyset_fp(k, h))) {
			k->skipped++;	/* certainly new */
			return intern_defer(s, t, str, len, h, fp, id, err,
			    errlen);
		}
		/*
		 * Maybe stored (or a false positive of the set): a queued
		 * name is found in the queue, a stored one by the SELECT;
		 * neither, it is new and queued in turn. Without a set the
		 * SELECT must see the queue: it goes in first.
		 */
		if (keyset_live(k) && intern_pending_find(&s->pending[t], h,
		    str, len, id))
			return 0;
		if (!keyset_live(k) && s->pending[t].n > 0 &&
		    intern_flush_table(s, t, err, errlen) != 0)
			return -1;
		if (!intern_keys_table(s))
			sel = intern_stmt(STMT_INTERN_SELECT_INDEXED_PATH,
			    (enum store_intern_id)(t - INTERN_PATH));
		if ((select = store_stmt_hot(s, sel, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_text(select, 1, str, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(select, 2, h);
		if ((rc = intern_select(s, t, select, id, err, errlen)) != 0)
			return rc < 0 ? -1 : 0;
		if (keyset_live(k))
			return intern_defer(s, t, str, len, h, fp, id, err,
			    errlen);
		if ((insert = store_stmt_hot(s, ins, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_text(insert, 1, str, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(insert, 2, h);
		rc = sqlite3_step(insert);
		sqlite3_reset(insert);
		if (rc != SQLITE_DONE)
			return store_fail_db(s, err, errlen, intern_table[t]);
		*id = sqlite3_last_insert_rowid(s->db);
		if (intern_keys_table(s) && intern_insert_rows(s, t,
		    &(struct intern_pending_row){.id = *id, .key = h}, 1, true,
		    err, errlen) != 0)
			return -1;
		if (keyset_live(k)) {
			if (keyset_add(k, fp) != 0)
				keyset_off(k);
			else if (*id > k->max_id)
				k->max_id = *id;
		}
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

/* The cheap hash of a name; its front slot is its top bits. */
static inline uint64_t
intern_front_hash(const char *p, size_t len)
{
	uint64_t h = (uint64_t)len * UINT64_C(0x9e3779b97f4a7c15), w;
	size_t i = 0;

	/* a multiply carries a byte's difference only upwards: each word's
	 * top half is folded down before the next (names that differ in
	 * their eighth byte, 10.0.1.1:80 and 10.0.1.2:80, took one slot) */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w ^ (w >> 32)) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	if (i < len) {
		/* the last 8 bytes, shifted down to those not yet taken
		 * (a memcpy of len - i bytes was a call, and its bytes
		 * stored then loaded as a word stalled); shorter names
		 * byte by byte */
		if (len >= 8) {
			memcpy(&w, p + len - 8, 8);
			w >>= 8 * (8 - (len - i));
		} else {
			w = 0;
			for (size_t j = 0; j < len; j++)
				w |= (uint64_t)(unsigned char)p[j] << (8 * j);
		}
		h = (h ^ w ^ (w >> 32)) * UINT64_C(0x9e3779b97f4a7c15);
	}
	h ^= h >> 32;
	h *= UINT64_C(0xff51afd7ed558ccd);
	return h ^ (h >> 29);
}

_Static_assert((INTERN_FRONT & (INTERN_FRONT - 1)) == 0 &&
    (INTERN_FRONT_HASHED & (INTERN_FRONT_HASHED - 1)) == 0 &&
    INTERN_FRONT_HASHED <= (1 << 24), "INTERN_FRONT* powers of two,"
    " at most 24 bits of the hash");

_Static_assert(INTERN_SHORT == 1024, "intern_short_slot takes 10 bits");

/* See store_int.h. */
void
intern_hint_of(const struct store *s, enum store_intern_id t,
    const char *str, struct intern_hint *h)
{
	const struct intern_cache *c = &s->intern[t];

	h->str = str;
	h->keyed = false;
	if (str == NULL)
		return;
	h->len = strlen(str);
	h->fh = intern_front_hash(str, h->len);
	__builtin_prefetch(&c->front[(size_t)(h->fh >> 40) & c->front_mask]);
}

/* See store_int.h. */
void
intern_prefetch_entry(const struct store *s, enum store_intern_id t,
    struct intern_hint *h)
{
	const struct intern_cache *c = &s->intern[t];
	const struct intern_front *f;

	if (h->str == NULL)
		return;
	f = &c->front[(size_t)(h->fh >> 40) & c->front_mask];
	if (f->h == h->fh && f->e != NULL) {
		__builtin_prefetch(f->e);
		if (offsetof(struct intern_entry, str) + h->len >= 64)
			__builtin_prefetch((const char *)f->e + 64);
		return;
	}
	/* the map's key never changes: the hash holds until the lookup */
	h->h = hashtab_hash(&c->map, h->str, h->len);
	h->keyed = true;
	if (c->map.cap != 0)
		__builtin_prefetch(&c->map.slots[hashtab_stored(h->h) &
		    (c->map.cap - 1)]);
}

/* See store_int.h. */
void
intern_hint_of_len(const struct store *s, enum store_intern_id t,
    const char *str, uint16_t len, struct intern_hint *h)
{
	const struct intern_cache *c = &s->intern[t];

	if (str == NULL || len == 0) {
		intern_hint_of(s, t, str, h);
		return;
	}
	h->str = str;
	h->keyed = false;
	h->len = len;
	h->fh = intern_front_hash(str, len);
	__builtin_prefetch(&c->front[(size_t)(h->fh >> 40) & c->front_mask]);
}


/*
 * intern_id_hinted() past the short slots: the front, the map, then the
 * database; str's length is len. Inlined into intern_id_hinted() (shapes:
 * a call more cost them 33 instructions a lookup), called by the rest
 * (intern_id_cached).
 */
static inline __attribute__((always_inline)) int
intern_id_front(struct store *s, enum store_intern_id t, const char *str,
    size_t len, const struct intern_hint *hint, int64_t *id, char *err,
    size_t errlen)
{
	struct intern_cache *c = &s->intern[t];
	const struct intern_front *f;
	struct intern_entry *e;
	struct hashtab_pos pos;
	uintptr_t v;
	size_t slot;
	uint64_t h, fh;

	if (hint != NULL && hint->str == str)
		fh = hint->fh;
	else
		fh = intern_front_hash(str, len);
	slot = (size_t)(fh >> 40) & c->front_mask;
	f = &c->front[slot];
	if (f->h == fh && f->e != NULL && f->e->len == len &&
	    memcmp(f->e->str, str, len) == 0) {
		c->front_hits++;
		*id = f->e->id;
		return 0;
	}
	if (hint != NULL && hint->str == str && hint->keyed)
		h = hint->h;
	else
		h = hashtab_hash(&c->map, str, len);
	hashtab_first(&c->map, h, &pos);
	while (hashtab_next(&c->map, &pos, &v)) {
		e = (struct intern_entry *)v;
		if (e->len == len && memcmp(e->str, str, len) == 0) {
			c->front[slot].e = e;
			c->front[slot].h = fh;
			*id = e->id;
			return 0;
		}
	}
	if (intern_lookup_db(s, t, str, len, id, err, errlen) != 0)
		return -1;

	/* Remember it; a full cache starts over, a crowded one grows. */
	if (intern_bytes(c) + sizeof(*e) + len + 1 > INTERN_CACHE_BYTES)
		intern_clear(c);
	if (hashtab_will_grow(&c->map) &&
	    intern_bytes(c) + hashtab_bytes(&c->map) > INTERN_CACHE_BYTES)
		intern_clear(c);	/* doubling the slots would pass the budget */
	e = arena_alloc(c->strings, sizeof(*e) + len + 1);
	if (e == NULL)
		return 0;	/* correct, just uncached */
	e->id = *id;
	e->len = len;
	memcpy(e->str, str, len);
	e->str[len] = '\0';
	if (hashtab_add(&c->map, h, (uintptr_t)e) != HASHTAB_OK)
		intern_clear(c);	/* out of memory: correct, uncached */
	else {
		c->front[slot].e = e;
		c->front[slot].h = fh;
	}
	return 0;
}

/* intern_id_front(), not inlined: the short path tail-calls it. */
static __attribute__((noinline)) int
intern_id_cached(struct store *s, enum store_intern_id t, const char *str,
    size_t len, const struct intern_hint *hint, int64_t *id, char *err,
    size_t errlen)
{
	return intern_id_front(s, t, str, len, hint, id, err, errlen);
}

/*
 * A short name the short slot ss (its words sw) did not hold: looked up
 * past it, then held there.
 */
static __attribute__((noinline)) int
intern_id_short_miss(struct store *s, enum store_intern_id t,
    const char *str, size_t len, const struct intern_hint *hint,
    struct intern_short *ss, int64_t *id, char *err, size_t errlen)
{
	uint64_t sw[4];

	if (intern_id_cached(s, t, str, len, hint, id, err, errlen) != 0)
		return -1;
	intern_short_words(str, len, sw);
	memcpy(ss->w, sw, sizeof(sw));
	ss->id = *id;
	ss->len1 = len + 1;
	return 0;
}

/*
 * intern_id_hinted(), inlined into it, intern_id() and intern_id_len_slow()
 * (intern_id_len's hit is in store_int.h): a short name of a
 * table of a few (methods, hosts, upstreams) is compared whole in its
 * short slot, where the front's hash, entry and memcmp took ~60
 * instructions and a dependent load (3 lookups a request); anything else
 * goes on to the front (tail calls: the short path saves no register).
 */
static inline __attribute__((always_inline)) int
intern_id_at(struct store *s, enum store_intern_id t, const char *str,
    size_t len, const struct intern_hint *hint, int64_t *id, char *err,
    size_t errlen)
{
	struct intern_cache *c = &s->intern[t];
	struct intern_short *ss;
	uint64_t sw[4];

	if (str == NULL) {
		*id = 0;
		return 0;
	}
	if (len == 0)	/* not known (or empty: strlen says so) */
		len = hint != NULL && hint->str == str ? hint->len :
		    strlen(str);
	if (c->shorts == NULL || len > INTERN_SHORT_LEN)
		return intern_id_cached(s, t, str, len, hint, id, err, errlen);
	intern_short_words(str, len, sw);
	ss = &c->shorts[intern_short_slot(sw, len)];
	if (intern_short_is(ss, sw, len)) {
		c->short_hits++;
		*id = ss->id;
		return 0;
	}
	return intern_id_short_miss(s, t, str, len, hint, ss, id, err,
	    errlen);
}

/*
 * The id of str in table t (inserted when new); str NULL gives id 0, which
 * callers store as NULL. Must run inside the batch transaction.
 */
int
intern_id(struct store *s, enum store_intern_id t, const char *str,
    int64_t *id, char *err, size_t errlen)
{
	return intern_id_at(s, t, str, 0, NULL, id, err, errlen);
}

/* See store_int.h: intern_id_len() past a short slot's hit. */
int
intern_id_len_slow(struct store *s, enum store_intern_id t, const char *str,
    uint16_t len, int64_t *id, char *err, size_t errlen)
{
	return intern_id_at(s, t, str, len, NULL, id, err, errlen);
}

/* See store_int.h. */
int
intern_id_hinted(struct store *s, enum store_intern_id t, const char *str,
    const struct intern_hint *hint, int64_t *id, char *err, size_t errlen)
{
	if (str != NULL && hint != NULL && hint->str == str &&
	    s->intern[t].shorts == NULL)
		return intern_id_front(s, t, str, hint->len, hint, id, err,
		    errlen);
	return intern_id_at(s, t, str, 0, hint, id, err, errlen);
}
