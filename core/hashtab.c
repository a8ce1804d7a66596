/*
 * hashtab.c - the one hash table; see hashtab.h for the design.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hashkey.h"
#include "core/hashtab.h"

#define HASHTAB_FIRST	16	/* slots of a table's first allocation */

/* Largest slot count whose bytes a size_t holds with room to spare. */
#define HASHTAB_CAP_MAX	((size_t)1 << (sizeof(size_t) * 8 - 6))

/* See hashtab.h. */
void
hashtab_init(struct hashtab *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->key[0] = hashkey_seed();
	t->key[1] = hashkey_seed();
}

/* See hashtab.h. */
void
hashtab_free(struct hashtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = 0;
	t->n = 0;
}

/* See hashtab.h. */
void
hashtab_clear(struct hashtab *t)
{
	if (t->slots != NULL)
		memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->n = 0;
}

/* See hashtab.h. */
size_t
hashtab_bytes(const struct hashtab *t)
{
	return t->cap * sizeof(*t->slots);
}

/*
 * Move every value into ncap slots (a power of two > 2 * n). The slots are
 * written zero (gw_zeroed), not calloc'd: a probe reads a slot before it
 * writes one, so each page of a large table faulted twice (25% of the
 * ingest writer's page faults), and a table at most half full touches
 * all its pages anyway.
 */
static enum hashtab_result
hashtab_rehash(struct hashtab *t, size_t ncap)
{
	struct hashtab_slot *ns;
	size_t mask = ncap - 1;

	if (ncap > HASHTAB_CAP_MAX ||
	    (ns = gw_zeroed(ncap, sizeof(*ns))) == NULL)
		return HASHTAB_NOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (t->slots[i].hash == 0)
			continue;
		for (j = t->slots[i].hash & mask; ns[j].hash != 0;
		    j = (j + 1) & mask)
			;
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return HASHTAB_OK;
}

/* See hashtab.h. */
enum hashtab_result
hashtab_reserve(struct hashtab *t, size_t n)
{
	size_t ncap = t->cap != 0 ? t->cap : HASHTAB_FIRST;

	if (n > HASHTAB_CAP_MAX / 2)
		return HASHTAB_NOMEM;
	while (n * 2 > ncap)
		ncap <<= 1;
	if (ncap == t->cap)
		return HASHTAB_OK;
	return hashtab_rehash(t, ncap);
}

/* See hashtab.h. */
enum hashtab_result
hashtab_add(struct hashtab *t, uint64_t h, uintptr_t val)
{
	size_t i, mask;

	if (t->max != 0 && t->n >= t->max)
		return HASHTAB_FULL;
	if (hashtab_will_grow(t) && hashtab_rehash(t, t->cap != 0 ?
	    t->cap * 2 : HASHTAB_FIRST) != HASHTAB_OK)
		return HASHTAB_NOMEM;
	h = hashtab_stored(h);
	mask = t->cap - 1;
	for (i = h & mask; t->slots[i].hash != 0; i = (i + 1) & mask)
		;
	t->slots[i].hash = h;
	t->slots[i].val = val;
	t->n++;
	return HASHTAB_OK;
}

/*
 * Empty slot i and shift back the values after it that probing would no
 * longer reach: each one whose home slot is not cyclically within (i, j]
 * moves into the hole, which moves to where it was.
 */
static void
hashtab_delete_slot(struct hashtab *t, size_t i)
{
	size_t mask = t->cap - 1, j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (t->slots[j].hash == 0)
			break;
		home = t->slots[j].hash & mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		i = j;
	}
	t->slots[i].hash = 0;
	t->slots[i].val = 0;
	t->n--;
}

/* See hashtab.h. */
bool
hashtab_remove(struct hashtab *t, uint64_t h, uintptr_t val)
{
	struct hashtab_pos pos;
	uintptr_t v;

	hashtab_first(t, h, &pos);
	while (hashtab_next(t, &pos, &v)) {
		if (v == val) {
			hashtab_delete_slot(t, pos.found);
			return true;
		}
	}
	return false;
}

/* See hashtab.h. */
void
hashtab_remove_at(struct hashtab *t, const struct hashtab_pos *pos)
{
	if (pos->found < t->cap && t->slots[pos->found].hash != 0)
		hashtab_delete_slot(t, pos->found);
}

/*
 * See hashtab.h. The values of one home slot all sit in the run of full
 * slots that starts at or before it: count them from each occupied slot's
 * home to the end of its run (quadratic in the longest run; diagnostics).
 */
size_t
hashtab_most_per_home(const struct hashtab *t)
{
	size_t most = 0, mask = t->cap - 1;

	for (size_t i = 0; i < t->cap; i++) {
		size_t home, n = 0;

		if (t->slots[i].hash == 0)
			continue;
		home = t->slots[i].hash & mask;
		for (size_t j = home; t->slots[j].hash != 0; j = (j + 1) & mask)
			if ((t->slots[j].hash & mask) == home)
				n++;
		if (n > most)
			most = n;
	}
	return most;
}
