/*
 * test_query.c - parse/query.c: query strings to parameter shapes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "parse/query.h"

/* Shape of NUL-terminated q, checked against want. */
static void
check(struct arena *a, const char *q, const char *want)
{
	char *got = query_shape(q, strlen(q), a);

	assert_non_null(got);
	assert_string_equal(got, want);
}

static void
test_empty(void **state)
{
	struct arena *a = *state;

	check(a, "", "");
	check(a, "&&", "");
}

static void
test_kinds_and_sort(void **state)
{
	struct arena *a = *state;

	check(a, "userName=bob&age=&id=7",
	    "age=<empty>&id=<number>&userName=<text>");
	check(a, "b=1.5&a=-3&c=+2", "a=<number>&b=<number>&c=<number>");
	check(a, "a=1.2.3&b=.&c=-&d=.5&e=7.", "a=<text>&b=<text>&c=<text>"
	    "&d=<number>&e=<number>");
	check(a, "flag&x=abc", "flag=<empty>&x=<text>");
	/* byte order: upper case before lower case, prefix first */
	check(a, "b=1&B=1&ab=1&a=1", "B=<number>&a=<number>&ab=<number>"
	    "&b=<number>");
	/* keys as written: userName and username differ */
	check(a, "username=a&userName=b", "userName=<text>&username=<text>");
}

static void
test_duplicates_kept(void **state)
{
	struct arena *a = *state;

	check(a, "id=1&id=x&id=", "id=<number>&id=<text>&id=<empty>");
	check(a, "tag=a&x=1&tag=2", "tag=<text>&tag=<number>&x=<number>");
}

static void
test_decoding(void **state)
{
	struct arena *a = *state;

	check(a, "user%5Fname=x", "user_name=<text>");
	check(a, "first+name=x", "first name=<text>");
	/* malformed or NUL escapes stay as written; values are not decoded */
	check(a, "a%zz=1&b%=2&c%00=3", "a%zz=<number>&b%=<number>"
	    "&c%00=<number>");
	check(a, "v=%31", "v=<text>");
	check(a, "=5", "=<number>");
}

static void
test_caps(void **state)
{
	struct arena *a = *state;
	char q[4096], want[4096], key[80];
	size_t i;

	/* key cut at 64 bytes */
	memset(key, 'k', 70);
	key[70] = '\0';
	snprintf(q, sizeof(q), "%s=1", key);
	memset(want, 'k', 64);
	snprintf(want + 64, sizeof(want) - 64, "=<number>");
	check(a, q, want);

	/* at most 32 keys, then "&..." */
	q[0] = want[0] = '\0';
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "%sk%02zu=1", i ? "&" : "", i);
		strcat(q, key);
		if (i < 32) {
			snprintf(key, sizeof(key), "%sk%02zu=<number>",
			    i ? "&" : "", i);
			strcat(want, key);
		}
	}
	strcat(want, "&...");
	check(a, q, want);
}

static void
test_not_nul_terminated(void **state)
{
	struct arena *a = *state;
	const char q[] = "b=2&a=1XXXX";
	char *got = query_shape(q, 7, a);

	assert_string_equal(got, "a=<number>&b=<number>");
}

static int
setup(void **state)
{
	*state = arena_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kinds_and_sort, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_decoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_nul_terminated, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
