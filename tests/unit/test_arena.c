/*
 * test_arena.c - core/arena.c: arena_shrink gives back the end of the
 * last allocation only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/arena.h"

static void
test_shrink_last(void **state)
{
	struct arena *a = arena_new();
	char *p, *q, *r;

	(void)state;
	assert_non_null(a);
	p = arena_alloc(a, 16);
	q = arena_alloc(a, 1000);
	assert_non_null(p);
	assert_non_null(q);
	assert_int_equal(arena_used(a), 16 + 1008);
	arena_shrink(a, q, 1000, 40);
	assert_int_equal(arena_used(a), 16 + 48);
	/* the next allocation starts after the bytes kept */
	r = arena_alloc(a, 8);
	assert_ptr_equal(r, q + 48);
	/* not the last allocation: nothing given back */
	arena_shrink(a, q, 48, 0);
	assert_int_equal(arena_used(a), 16 + 48 + 16);
	/* keep more than asked, or a pointer of another block: nothing */
	arena_shrink(a, r, 8, 9);
	arena_shrink(a, p + 1, 16, 0);
	assert_int_equal(arena_used(a), 16 + 48 + 16);
	/* all of it */
	arena_shrink(a, r, 8, 0);
	assert_int_equal(arena_used(a), 16 + 48);
	assert_ptr_equal(arena_alloc(a, 1), r);
	arena_free(a);
}

static void
test_shrink_big_block(void **state)
{
	struct arena *a = arena_new();
	char *p;

	(void)state;
	assert_non_null(a);
	/* bigger than a block: a block of its own, shrunk all the same */
	p = arena_alloc(a, 200000);
	assert_non_null(p);
	memset(p, 1, 200000);
	arena_shrink(a, p, 200000, 100);
	assert_int_equal(arena_used(a), 112);
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shrink_last),
		cmocka_unit_test(test_shrink_big_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
