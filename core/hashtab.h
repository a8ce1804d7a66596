/*
 * hashtab.h - the one hash table: an index from a keyed 64-bit hash to
 * the caller's value (an index into its array, or a pointer to its entry).
 *
 * Open addressing with linear probing over 16-byte slots {hash, value},
 * at most half full, doubled when it would pass that (O(1) amortised, the
 * old slots freed), deletion by shifting the following run back (no
 * tombstones, so a table that churns - TCP flows, pending requests - does
 * not slow down). Why not chaining: a cache line holds four slots and a
 * probe compares the stored hash before it touches the entry, so a hit
 * costs one miss in the slots and one in the entry (a chain costs a miss
 * per link), no node is allocated per value, and values that are array
 * indexes need no pointer at all. Measured with callgrind on the hottest
 * users against the tables they replaced (store/intern.c's 32-byte
 * inline slots on a 200,000-line production-cardinality ingest,
 * capture/tcp.c's chains on a 20,000-connection capture): the probing
 * costs about what theirs did; what grew is hashing keys that were
 * hashed unkeyed before (rollup keys), about 1% of the instructions.
 *
 * The table never sees keys: the caller hashes its key with
 * hashtab_hash() (core/hashkey.c's SipHash-1-3 under this table's random
 * key, so keys from logs and packets cannot be aimed at one run
 * of slots), walks the values stored under that hash with
 * hashtab_first()/hashtab_next() and compares its own keys. Several
 * values may share a key (a multimap: wire_join's pending requests).
 *
 * Bounded: a table holds at most `max` values (its budget, set by the
 * caller; 0 = only what memory allows); hashtab_add() says HASHTAB_FULL
 * past it and HASHTAB_NOMEM when memory runs out, leaving the table as it
 * was. Iteration (hashtab_each) is in slot order, which depends on the
 * seed: users whose output order matters keep their own order.
 *
 * Embedded, not allocated: struct hashtab lives in its user's struct;
 * hashtab_init() allocates nothing, hashtab_free() frees the slots.
 */
#ifndef GW_HASHTAB_H
#define GW_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hashkey.h"

/* One slot; hash 0 marks it empty (stored hashes have the top bit set). */
struct hashtab_slot {
	uint64_t hash;
	uintptr_t val;
};

struct hashtab {
	struct hashtab_slot *slots;
	size_t cap;		/* slots: 0 or a power of two */
	size_t n;		/* values held */
	size_t max;		/* budget: most values held (0: no limit) */
	uint64_t key[2];	/* of hashtab_hash(), random per table */
};

/* hashtab_add()'s answer. */
enum hashtab_result {
	HASHTAB_OK = 0,
	HASHTAB_FULL = 1,	/* the budget is reached: nothing added */
	HASHTAB_NOMEM = -1,	/* out of memory: nothing added */
};

/* A walk over the values stored under one hash. */
struct hashtab_pos {
	uint64_t hash;		/* as stored */
	size_t i;		/* next slot to look at */
	size_t found;		/* slot of the last value returned */
};

/* An empty table of at most max values (0: no limit), with a fresh random
 * key. Allocates nothing; never fails. */
void hashtab_init(struct hashtab *t, size_t max);

/* Free the slots; t is empty (and usable) after. */
void hashtab_free(struct hashtab *t);

/* Forget every value, keeping the slots. */
void hashtab_clear(struct hashtab *t);

/* Make room for n values without growing again; HASHTAB_OK or
 * HASHTAB_NOMEM (then t is unchanged). */
enum hashtab_result hashtab_reserve(struct hashtab *t, size_t n);

/* The keyed hash of n bytes at p under t's key (inline: it is on every
 * look-up). */
static inline uint64_t
hashtab_hash(const struct hashtab *t, const void *p, size_t n)
{
	return hashkey_siphash(t->key, p, n);
}

/* Add val under hash h (another value under the same key is not looked
 * for: look it up first when keys are unique). */
enum hashtab_result hashtab_add(struct hashtab *t, uint64_t h, uintptr_t val);

/* Remove the value val stored under hash h; false when there is none. */
bool hashtab_remove(struct hashtab *t, uint64_t h, uintptr_t val);

/* Remove the value hashtab_next() last returned through pos; a walk must
 * start over after it (values may have moved back). */
void hashtab_remove_at(struct hashtab *t, const struct hashtab_pos *pos);

/* The most values whose hashes share one home slot (what a chained table
 * would call its longest chain): walks the table, for tests and
 * diagnostics. */
size_t hashtab_most_per_home(const struct hashtab *t);

/* Bytes of memory the slots take. */
size_t hashtab_bytes(const struct hashtab *t);

/* True when the next hashtab_add() doubles the slots (for callers that
 * budget bytes: the slots then take twice hashtab_bytes()). */
static inline bool
hashtab_will_grow(const struct hashtab *t)
{
	return (t->n + 1) * 2 > t->cap;
}

/* The form a hash is stored in: never 0. */
static inline uint64_t
hashtab_stored(uint64_t h)
{
	return h | (uint64_t)1 << 63;
}

/* Start a walk over the values stored under hash h. */
static inline void
hashtab_first(const struct hashtab *t, uint64_t h, struct hashtab_pos *pos)
{
	pos->hash = hashtab_stored(h);
	pos->i = t->cap != 0 ? (size_t)pos->hash & (t->cap - 1) : 0;
	pos->found = (size_t)-1;
}

/* The next value stored under the walk's hash in *val: true, or false
 * when there is no other. */
static inline bool
hashtab_next(const struct hashtab *t, struct hashtab_pos *pos, uintptr_t *val)
{
	if (t->cap == 0)
		return false;
	for (size_t mask = t->cap - 1; t->slots[pos->i].hash != 0;
	    pos->i = (pos->i + 1) & mask) {
		if (t->slots[pos->i].hash == pos->hash) {
			*val = t->slots[pos->i].val;
			pos->found = pos->i;
			pos->i = (pos->i + 1) & mask;
			return true;
		}
	}
	return false;
}

/* Replace the value hashtab_next() last returned through pos with val
 * (same hash). */
static inline void
hashtab_set_at(struct hashtab *t, const struct hashtab_pos *pos, uintptr_t val)
{
	t->slots[pos->found].val = val;
}

/* Every value in slot order: start with *i = 0; true and the next value in
 * *val, or false at the end. The table must not change during the walk. */
static inline bool
hashtab_each(const struct hashtab *t, size_t *i, uintptr_t *val)
{
	for (; *i < t->cap; (*i)++) {
		if (t->slots[*i].hash != 0) {
			*val = t->slots[(*i)++].val;
			return true;
		}
	}
	return false;
}

#endif
