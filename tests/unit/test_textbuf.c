/*
 * test_textbuf.c - core/textbuf.c: appends (text, bytes with NUL, growth
 * past many doublings) and out of memory (sticky, nothing half-added,
 * freed cleanly).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/textbuf.h"

static void
test_append(void **state)
{
	struct textbuf b = { 0 };

	(void)state;
	textbuf_str(&b, "SELECT ");
	textbuf_add(&b, "a\0b", 3);
	textbuf_str(&b, " FROM t");
	assert_false(b.oom);
	assert_int_equal(b.len, 17);
	assert_memory_equal(b.p, "SELECT a\0b FROM t", 18);
	assert_int_equal(b.p[b.len], '\0');
	textbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void
test_growth(void **state)
{
	struct textbuf b = { 0 };
	char piece[8];

	(void)state;
	for (int i = 0; i < 100000; i++) {
		snprintf(piece, sizeof(piece), "%05d,", i % 100000);
		textbuf_str(&b, piece);
	}
	assert_false(b.oom);
	assert_int_equal(b.len, 600000);
	assert_true(b.cap > b.len);
	assert_memory_equal(b.p + 6 * 12345, "12345,", 6);
	assert_int_equal(strlen(b.p), b.len);
	textbuf_free(&b);
}

/* The nth allocation failing: sticky, what was added before is kept. */
static void
test_out_of_memory(void **state)
{
	struct textbuf b = { 0 };
	char big[300];

	(void)state;
	memset(big, 'x', sizeof(big));
	textbuf_str(&b, "kept");
	gw_fault_install(1, false);
	textbuf_add(&b, big, sizeof(big));	/* needs to grow: fails */
	assert_int_equal(gw_fault_uninstall(), 1);
	assert_true(b.oom);
	assert_string_equal(b.p, "kept");
	textbuf_str(&b, "dropped");		/* sticky */
	assert_string_equal(b.p, "kept");
	textbuf_free(&b);
	assert_false(b.oom);
	textbuf_add(&b, big, sizeof(big));	/* usable again */
	assert_false(b.oom);
	assert_int_equal(b.len, sizeof(big));
	textbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
