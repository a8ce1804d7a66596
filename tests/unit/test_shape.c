/*
 * test_shape.c - the shape test (analyze/shape.c): a route with too few
 * requests is not flagged, a clearly worse shape is, two bad shapes of one
 * route are both found, gateway-made 5xx never count, and the difference
 * is named right (key spelling, value kind, extra and missing keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/shape.h"

#define UP "10.0.0.5:8080"
#define BAD_CASE "age=<number>&userName=<text>"
#define BAD_EMPTY "age=<empty>&username=<text>"
#define GOOD "age=<number>&username=<text>"

/* Run the test with defaults. */
static struct shape_finding *
find(struct shape_set *set, size_t *n)
{
	struct shape_config cfg = shape_config_default();
	struct shape_finding *f;

	assert_int_equal(shape_set_find(set, &cfg, &f, n), 0);
	return f;
}

static void
test_too_few_not_flagged(void **state)
{
	struct shape_set *set = shape_set_new();
	struct shape_finding *f;
	size_t n;

	(void)state;
	/* Every bad request failed, but there are only 5 of them. */
	assert_int_equal(shape_set_add(set, "GET", "/small", UP, BAD_CASE, 5,
	    5, 0), 0);
	assert_int_equal(shape_set_add(set, "GET", "/small", UP, GOOD, 500, 0,
	    0), 0);
	/* Enough bad ones, but only 10 siblings to compare with. */
	assert_int_equal(shape_set_add(set, "GET", "/few", UP, BAD_CASE, 100,
	    100, 0), 0);
	assert_int_equal(shape_set_add(set, "GET", "/few", UP, GOOD, 10, 0,
	    0), 0);
	/* A lone shape has no siblings at all. */
	assert_int_equal(shape_set_add(set, "GET", "/alone", UP, BAD_CASE, 100,
	    100, 0), 0);
	f = find(set, &n);
	assert_int_equal(n, 0);
	shape_findings_free(f, n);
	shape_set_free(set);
}

static void
test_noise_not_flagged(void **state)
{
	struct shape_set *set = shape_set_new();
	struct shape_finding *f;
	size_t n;

	(void)state;
	/* 6% against 5%: not beyond doubt. */
	shape_set_add(set, "GET", "/n", UP, BAD_CASE, 1000, 60, 0);
	shape_set_add(set, "GET", "/n", UP, GOOD, 1000, 50, 0);
	/* Gateway-made 5xx are not the shape's: all 100 rate limited. */
	shape_set_add(set, "GET", "/g", UP, BAD_CASE, 100, 0, 100);
	shape_set_add(set, "GET", "/g", UP, GOOD, 100, 0, 0);
	f = find(set, &n);
	assert_int_equal(n, 0);
	shape_findings_free(f, n);
	shape_set_free(set);
}

static void
test_worse_shapes_flagged(void **state)
{
	struct shape_set *set = shape_set_new();
	struct shape_finding *f;
	size_t n;

	(void)state;
	/* Paths with ids are one route; rows add up. */
	for (int i = 0; i < 25; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/api/users/%d", 100 + i);
		shape_set_add(set, "GET", path, UP, BAD_CASE, 1, 1, 0);
		shape_set_add(set, "GET", path, UP, BAD_EMPTY, 2, 2, 0);
		shape_set_add(set, "GET", path, UP, GOOD, 2, 0, 0);
		shape_set_add(set, "GET", path, UP, "id=<number>", 1, 0, 0);
	}
	/* Another upstream on the same route is a group of its own. */
	shape_set_add(set, "GET", "/api/users/1", "10.0.0.6:8080", BAD_CASE,
	    50, 0, 0);
	shape_set_add(set, "GET", "/api/users/1", "10.0.0.6:8080", GOOD, 50, 0,
	    0);
	f = find(set, &n);
	assert_int_equal(n, 2);
	/* Worst first: 50 failures beyond the siblings' rate, then 25. */
	assert_string_equal(f[0].shape, BAD_EMPTY);
	assert_string_equal(f[1].shape, BAD_CASE);
	assert_string_equal(f[0].route, "/api/users/:id");
	assert_string_equal(f[0].method, "GET");
	assert_string_equal(f[0].upstream, UP);
	assert_int_equal(f[0].requests, 50);
	assert_int_equal(f[0].failed, 50);
	/* Siblings are the healthy shapes only. */
	assert_int_equal(f[0].sibling_requests, 75);
	assert_int_equal(f[0].sibling_failed, 0);
	assert_true(f[0].rate_low > f[0].sibling_high);

	/* age=<empty> against age=<number>: a value kind. */
	assert_string_equal(f[0].closest, GOOD);
	assert_int_equal(f[0].n_diffs, 1);
	assert_int_equal(f[0].diffs[0].kind, SHAPE_DIFF_VALUE_KIND);
	assert_string_equal(f[0].diffs[0].key, "age");
	assert_string_equal(f[0].diffs[0].value, "<empty>");
	assert_string_equal(f[0].diffs[0].other_value, "<number>");
	assert_non_null(strstr(f[0].difference, "age=<empty>"));

	/* userName against username: spelling, by case only. */
	assert_string_equal(f[1].closest, GOOD);
	assert_int_equal(f[1].n_diffs, 1);
	assert_int_equal(f[1].diffs[0].kind, SHAPE_DIFF_KEY_SPELLING);
	assert_string_equal(f[1].diffs[0].key, "userName");
	assert_string_equal(f[1].diffs[0].other_key, "username");
	assert_true(f[1].diffs[0].case_differs);
	assert_false(f[1].diffs[0].sep_differs);
	assert_non_null(strstr(f[1].difference, "only in case"));
	shape_findings_free(f, n);
	shape_set_free(set);
}

static void
test_diff_kinds(void **state)
{
	struct shape_diff *d;
	size_t n;

	(void)state;
	assert_int_equal(shape_diff("user_name=<text>", "userName=<text>", &d,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].kind, SHAPE_DIFF_KEY_SPELLING);
	assert_true(d[0].case_differs);
	assert_true(d[0].sep_differs);
	shape_diffs_free(d, n);

	assert_int_equal(shape_diff("debug=<text>&id=<number>", "id=<number>&"
	    "page=<number>", &d, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].kind, SHAPE_DIFF_KEY_EXTRA);
	assert_string_equal(d[0].key, "debug");
	assert_null(d[0].other_key);
	assert_int_equal(d[1].kind, SHAPE_DIFF_KEY_MISSING);
	assert_string_equal(d[1].other_key, "page");
	assert_null(d[1].key);
	shape_diffs_free(d, n);

	assert_int_equal(shape_diff("", "", &d, &n), 0);
	assert_int_equal(n, 0);
	shape_diffs_free(d, n);
	assert_int_equal(shape_diff("a=<text>&...", "a=<text>", &d, &n), 0);
	assert_int_equal(n, 0);
	shape_diffs_free(d, n);
}

static void
test_wilson(void **state)
{
	(void)state;
	/* 20 of 20 at 99%: about 0.751; 0 of 20: upper about 0.249. */
	assert_true(shape_wilson_low(20, 20, 2.576) > 0.75);
	assert_true(shape_wilson_low(20, 20, 2.576) < 0.76);
	assert_true(shape_wilson_high(0, 20, 2.576) > 0.24);
	assert_true(shape_wilson_high(0, 20, 2.576) < 0.25);
	assert_true(shape_wilson_low(0, 0, 2.576) == 0);
	assert_true(shape_wilson_high(0, 0, 2.576) == 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_too_few_not_flagged),
		cmocka_unit_test(test_noise_not_flagged),
		cmocka_unit_test(test_worse_shapes_flagged),
		cmocka_unit_test(test_diff_kinds),
		cmocka_unit_test(test_wilson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
