/*
 * test_route.c - route normalisation (analyze/route.c): numeric, UUID and
 * long-hex segments become ":id", words stay, output is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/route.h"

/* The route of path as a string. */
static const char *
route(const char *path)
{
	static char buf[256];

	route_normalize(path, path != NULL ? strlen(path) : 0, buf,
	    sizeof(buf));
	return buf;
}

static void
test_numbers(void **state)
{
	(void)state;
	assert_string_equal(route("/api/users/17"), "/api/users/:id");
	assert_string_equal(route("/api/orders/1042/items"),
	    "/api/orders/:id/items");
	assert_string_equal(route("/a/1/b/2"), "/a/:id/b/:id");
	assert_string_equal(route("/0"), "/:id");
}

static void
test_uuid_and_hex(void **state)
{
	(void)state;
	assert_string_equal(route("/u/123e4567-e89b-12d3-a456-426614174000/x"),
	    "/u/:id/x");
	assert_string_equal(route("/u/123E4567-E89B-12D3-A456-426614174000"),
	    "/u/:id");
	assert_string_equal(route("/blob/9f86d081884c7d659a2feaa0c55ad015"),
	    "/blob/:id");
	assert_string_equal(route("/c/5f1d7a3b9c2e4d60"), "/c/:id");
	/* Too short for hex, or no digit: a word. */
	assert_string_equal(route("/c/deadbeef"), "/c/deadbeef");
	assert_string_equal(route("/c/abcdefabcdefabcdef"),
	    "/c/abcdefabcdefabcdef");
	/* Almost a UUID. */
	assert_string_equal(route("/u/123e4567-e89b-12d3-a456-42661417400z"),
	    "/u/123e4567-e89b-12d3-a456-42661417400z");
}

static void
test_words_stay(void **state)
{
	(void)state;
	assert_string_equal(route("/api/v1/users"), "/api/v1/users");
	assert_string_equal(route("/api/v2/search"), "/api/v2/search");
	assert_string_equal(route("/static/app.js"), "/static/app.js");
	assert_string_equal(route("/users/17.json"), "/users/17.json");
	assert_string_equal(route("/a//b/"), "/a//b/");
	assert_string_equal(route("/"), "/");
	assert_string_equal(route(""), "/");
	assert_string_equal(route(NULL), "/");
}

static void
test_segments(void **state)
{
	(void)state;
	assert_true(route_is_id_segment("123", 3));
	assert_false(route_is_id_segment("", 0));
	assert_false(route_is_id_segment("v1", 2));
	assert_false(route_is_id_segment("-1", 2));
}

static void
test_bounded(void **state)
{
	char small[8];
	size_t n;

	(void)state;
	n = route_normalize("/users/12345/orders", 19, small, sizeof(small));
	assert_int_equal(n, strlen("/users/:id/orders"));
	assert_string_equal(small, "/users/");
	n = route_normalize("/1", 2, small, 0);
	assert_int_equal(n, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_uuid_and_hex),
		cmocka_unit_test(test_words_stay),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
