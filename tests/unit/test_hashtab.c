/*
 * test_hashtab.c - core/hashtab.c and core/hashkey.c: the one hash table
 * (insert, find, delete, growth, iteration, budget, out of memory) and its
 * keyed hash (SipHash-1-3 against reference values; keys built to share
 * one bucket under an unkeyed hash spread under the keyed one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include "core/alloc.h"
#include "core/hashkey.h"
#include "core/hashtab.h"

/* The value under key s (values are indexes into keys[] plus one), 0 if
 * none. */
static uintptr_t
find(const struct hashtab *t, char (*keys)[16], const char *s)
{
	struct hashtab_pos pos;
	uintptr_t v;

	hashtab_first(t, hashtab_hash(t, s, strlen(s)), &pos);
	while (hashtab_next(t, &pos, &v))
		if (strcmp(keys[v - 1], s) == 0)
			return v;
	return 0;
}

/*
 * Python 3.11's hash() of bytes is SipHash-1-3 with the key zero under
 * PYTHONHASHSEED=0: `PYTHONHASHSEED=0 python3 -c 'print(hex(hash(b"a")
 * & (2**64-1)))'`. paths.hash in every database depends on these values.
 */
static void
test_siphash_reference(void **state)
{
	const uint64_t k[2] = {0, 0};
	const char *p = "/api/v1/orders/12345?x=1";

	(void)state;
	assert_int_equal(hashkey_siphash(k, "a", 1), 0x407448d2b89b1813ULL);
	assert_int_equal(hashkey_siphash(k, "abcdefgh", 8),
	    0x3f7b849c0b8e35eaULL);
	assert_int_equal(hashkey_siphash(k, p, strlen(p)),
	    0x278bc53cb386ba2dULL);
	/* Another key, another hash. */
	assert_int_not_equal(hashkey_bytes(1, "a", 1), hashkey_bytes(2, "a", 1));
}

/* Insert 20,000 keys, find each, delete every other, find the rest. */
static void
test_insert_find_delete(void **state)
{
	enum { N = 20000 };
	char (*keys)[16] = calloc(N, sizeof(*keys));
	struct hashtab t;

	(void)state;
	assert_non_null(keys);
	hashtab_init(&t, 0);
	assert_null(t.slots);
	assert_int_equal(find(&t, keys, "x"), 0);	/* empty, no slots */
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		assert_int_equal(hashtab_add(&t, hashtab_hash(&t, keys[i],
		    strlen(keys[i])), (uintptr_t)i + 1), HASHTAB_OK);
	}
	assert_int_equal(t.n, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(find(&t, keys, keys[i]), (uintptr_t)i + 1);
	assert_int_equal(find(&t, keys, "k20000"), 0);
	for (int i = 0; i < N; i += 2)
		assert_true(hashtab_remove(&t, hashtab_hash(&t, keys[i],
		    strlen(keys[i])), (uintptr_t)i + 1));
	assert_false(hashtab_remove(&t, hashtab_hash(&t, keys[0],
	    strlen(keys[0])), 1));
	assert_int_equal(t.n, N / 2);
	for (int i = 0; i < N; i++)
		assert_int_equal(find(&t, keys, keys[i]),
		    i % 2 ? (uintptr_t)i + 1 : 0);
	hashtab_free(&t);
	free(keys);
}

/* Growth: slots double, stay at most twice the values rounded up, every
 * value is found after each doubling. */
static void
test_grow(void **state)
{
	struct hashtab t;
	size_t grew = 0, last = 0;

	(void)state;
	hashtab_init(&t, 0);
	for (uintptr_t i = 1; i <= 100000; i++) {
		assert_int_equal(hashtab_add(&t, hashtab_hash(&t, &i,
		    sizeof(i)), i), HASHTAB_OK);
		assert_true(t.cap >= 2 * t.n);
		assert_true(t.cap <= 4 * t.n || t.cap == 16);
		if (t.cap != last) {
			grew++;
			last = t.cap;
			for (uintptr_t j = 1; j <= i; j += 97) {
				struct hashtab_pos pos;
				uintptr_t v;
				bool found = false;

				hashtab_first(&t, hashtab_hash(&t, &j,
				    sizeof(j)), &pos);
				while (!found && hashtab_next(&t, &pos, &v))
					found = v == j;
				assert_true(found);
			}
		}
	}
	/* 16 -> 262,144 slots: 15 allocations for 100,000 adds. */
	assert_int_equal(grew, 15);
	assert_int_equal(t.cap, 262144);
	assert_int_equal(hashtab_bytes(&t), 262144 * sizeof(struct hashtab_slot));
	/* reserve: room without growing again. */
	assert_int_equal(hashtab_reserve(&t, 200000), HASHTAB_OK);
	assert_int_equal(t.cap, 524288);
	assert_int_equal(t.n, 100000);
	hashtab_free(&t);
}

/* hashtab_each sees every value once; clear forgets them all. */
static void
test_iterate_clear(void **state)
{
	enum { N = 5000 };
	static unsigned char seen[N + 1];
	struct hashtab t;
	size_t i = 0, count = 0;
	uintptr_t v;

	(void)state;
	hashtab_init(&t, 0);
	for (uintptr_t k = 1; k <= N; k++)
		assert_int_equal(hashtab_add(&t, hashtab_hash(&t, &k,
		    sizeof(k)), k), HASHTAB_OK);
	while (hashtab_each(&t, &i, &v)) {
		assert_true(v >= 1 && v <= N);
		assert_int_equal(seen[v], 0);
		seen[v] = 1;
		count++;
	}
	assert_int_equal(count, N);
	hashtab_clear(&t);
	assert_int_equal(t.n, 0);
	i = 0;
	assert_false(hashtab_each(&t, &i, &v));
	assert_int_equal(hashtab_add(&t, 42, 7), HASHTAB_OK);
	i = 0;
	assert_true(hashtab_each(&t, &i, &v));
	assert_int_equal(v, 7);
	hashtab_free(&t);
}

/*
 * Several values under one key, and hashes that share their low bits (one
 * home slot, a long run that wraps the end of the slots): removal from
 * the middle of the run keeps every other value reachable, checked
 * against a model after each of 3,000 random adds and removes.
 */
static void
test_multimap_and_shift(void **state)
{
	enum { KEYS = 16 };
	struct hashtab t;
	int model[KEYS][8];
	struct hashtab_pos pos;
	uintptr_t v;

	(void)state;
	memset(model, 0, sizeof(model));
	hashtab_init(&t, 0);
	assert_int_equal(hashtab_reserve(&t, 200), HASHTAB_OK);
	srand(15);
	for (int step = 0; step < 3000; step++) {
		int k = rand() % KEYS, x = rand() % 8;
		/* every key's home is one of the last two slots */
		uint64_t h = (uint64_t)k << 32 | (t.cap - 1 - (size_t)(k & 1));

		if (model[k][x]) {
			assert_true(hashtab_remove(&t, h,
			    (uintptr_t)(k * 8 + x + 1)));
			model[k][x] = 0;
		} else {
			assert_int_equal(hashtab_add(&t, h,
			    (uintptr_t)(k * 8 + x + 1)), HASHTAB_OK);
			model[k][x] = 1;
		}
		for (int kk = 0; kk < KEYS; kk++) {
			uint64_t hh = (uint64_t)kk << 32 |
			    (t.cap - 1 - (size_t)(kk & 1));
			int got[8] = {0};

			hashtab_first(&t, hh, &pos);
			while (hashtab_next(&t, &pos, &v)) {
				assert_int_equal((v - 1) / 8, kk);
				got[(v - 1) % 8]++;
			}
			for (int xx = 0; xx < 8; xx++)
				assert_int_equal(got[xx], model[kk][xx]);
		}
	}
	/* remove_at: the value a walk found. */
	{
		uint64_t h = 5;
		int n;

		assert_int_equal(hashtab_add(&t, h, 1001), HASHTAB_OK);
		assert_int_equal(hashtab_add(&t, h, 1002), HASHTAB_OK);
		hashtab_first(&t, h, &pos);
		while (hashtab_next(&t, &pos, &v) && v != 1001)
			;
		assert_int_equal(v, 1001);
		hashtab_remove_at(&t, &pos);
		n = 0;
		hashtab_first(&t, h, &pos);
		while (hashtab_next(&t, &pos, &v)) {
			assert_int_equal(v, 1002);
			n++;
		}
		assert_int_equal(n, 1);
	}
	hashtab_free(&t);
}

/* FNV-1a, the unkeyed hash the tables used. */
static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Probes a successful look-up of each value takes, summed. */
static size_t
probes(const struct hashtab *t)
{
	size_t sum = 0, mask = t->cap - 1;

	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].hash != 0)
			sum += ((i - (t->slots[i].hash & mask)) & mask) + 1;
	return sum;
}

/*
 * 1,000 paths chosen so that FNV-1a puts them all in one slot of a
 * 2,048-slot table (what a log writer can do to an unkeyed table): under
 * FNV a look-up walks ~500 slots; under the keyed hash each takes about
 * one probe.
 */
static void
test_adversarial_keys(void **state)
{
	enum { N = 1000 };
	static char keys[N][16];
	struct hashtab keyed, fnv;
	int n = 0;

	(void)state;
	for (unsigned long i = 0; n < N; i++) {
		char s[16];
		int len = snprintf(s, sizeof(s), "/u/%lx", i);

		if ((fnv1a(s, (size_t)len) & 2047) == 0)
			memcpy(keys[n++], s, sizeof(s));
	}
	hashtab_init(&keyed, 0);
	hashtab_init(&fnv, 0);
	for (int i = 0; i < N; i++) {
		size_t len = strlen(keys[i]);

		assert_int_equal(hashtab_add(&keyed, hashtab_hash(&keyed,
		    keys[i], len), (uintptr_t)i + 1), HASHTAB_OK);
		assert_int_equal(hashtab_add(&fnv, fnv1a(keys[i], len),
		    (uintptr_t)i + 1), HASHTAB_OK);
	}
	assert_int_equal(keyed.cap, 2048);
	assert_int_equal(fnv.cap, 2048);
	/* unkeyed: 1 + 2 + ... + 1000 probes */
	assert_int_equal(probes(&fnv), (size_t)N * (N + 1) / 2);
	assert_int_equal(hashtab_most_per_home(&fnv), N);
	/* keyed: linear probing at load 0.49 averages ~1.5 probes */
	assert_true(probes(&keyed) < 3 * N);
	assert_true(hashtab_most_per_home(&keyed) < 16);
	for (int i = 0; i < N; i++)
		assert_int_equal(find(&keyed, keys, keys[i]), (uintptr_t)i + 1);
	hashtab_free(&keyed);
	hashtab_free(&fnv);
}

/* The budget: the value past max is refused, the table unchanged; a
 * removal makes room again. */
static void
test_budget(void **state)
{
	struct hashtab t;

	(void)state;
	hashtab_init(&t, 100);
	for (uintptr_t i = 1; i <= 100; i++)
		assert_int_equal(hashtab_add(&t, hashtab_hash(&t, &i,
		    sizeof(i)), i), HASHTAB_OK);
	{
		uintptr_t i = 101;

		assert_int_equal(hashtab_add(&t, hashtab_hash(&t, &i,
		    sizeof(i)), i), HASHTAB_FULL);
	}
	assert_int_equal(t.n, 100);
	assert_int_equal(t.cap, 256);	/* never grown past the budget */
	{
		uintptr_t i = 50;

		assert_true(hashtab_remove(&t, hashtab_hash(&t, &i,
		    sizeof(i)), i));
		i = 101;
		assert_int_equal(hashtab_add(&t, hashtab_hash(&t, &i,
		    sizeof(i)), i), HASHTAB_OK);
	}
	assert_int_equal(t.n, 100);
	hashtab_free(&t);
}

/* Out of memory (a size no allocator can give): HASHTAB_NOMEM, the table
 * as it was and still working. */
static void
test_oom(void **state)
{
	struct hashtab t;
	struct hashtab_pos pos;
	uintptr_t v;

	(void)state;
	hashtab_init(&t, 0);
	assert_int_equal(hashtab_add(&t, 1, 11), HASHTAB_OK);
	assert_int_equal(hashtab_reserve(&t, SIZE_MAX / 4), HASHTAB_NOMEM);
	assert_int_equal(hashtab_reserve(&t, (size_t)1 << 60), HASHTAB_NOMEM);
	assert_int_equal(t.cap, 16);
	assert_int_equal(t.n, 1);
	hashtab_first(&t, 1, &pos);
	assert_true(hashtab_next(&t, &pos, &v));
	assert_int_equal(v, 11);
	assert_int_equal(hashtab_add(&t, 2, 12), HASHTAB_OK);
	assert_int_equal(t.n, 2);
	hashtab_free(&t);
	assert_int_equal(t.n, 0);
	assert_int_equal(hashtab_add(&t, 2, 12), HASHTAB_OK);	/* usable */
	hashtab_free(&t);
}

/* Minor page faults of this process so far. */
static long
minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * gw_zeroed: zeroed (also memory the allocator had handed out and got
 * back dirty), NULL when n * sz overflows; and a table's slots written
 * zero, not calloc'd, fault once a page as it grows, where a probe that
 * read a fresh calloc'd page before writing it faulted twice (the zero
 * page, then its copy). Without a sanitizer, whose allocator faults in
 * its own way.
 */
static void
test_zeroed_slots(void **state)
{
	struct hashtab t;
	unsigned char *p;
	long before, faults, pages = 0;

	(void)state;
	p = malloc(1 << 16);
	assert_non_null(p);
	memset(p, 0xff, 1 << 16);
	free(p);
	p = gw_zeroed(1 << 12, 16);
	assert_non_null(p);
	for (size_t i = 0; i < (1 << 16); i++)
		assert_int_equal(p[i], 0);
	free(p);
	assert_null(gw_zeroed(SIZE_MAX / 8, 16));
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return;
#endif
	hashtab_init(&t, 0);
	before = minor_faults();
	for (uint64_t i = 1; i <= (1u << 17); i++)
		assert_int_equal(hashtab_add(&t, hashtab_hash(&t, &i,
		    sizeof(i)), (uintptr_t)i), HASHTAB_OK);
	faults = minor_faults() - before;
	/* the slots of every size the table took, in pages */
	for (size_t cap = 16; cap <= t.cap; cap *= 2)
		pages += (long)(cap * sizeof(struct hashtab_slot) / 4096);
	assert_int_equal(t.cap, (size_t)1 << 18);
	assert_true(faults < pages * 3 / 2);
	hashtab_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_reference),
		cmocka_unit_test(test_insert_find_delete),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_iterate_clear),
		cmocka_unit_test(test_multimap_and_shift),
		cmocka_unit_test(test_adversarial_keys),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_zeroed_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
