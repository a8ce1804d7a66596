/*
 * test_safe.c - core/safe.c: nothing from a log may steer the terminal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/safe.h"

static void
check(const char *in, size_t len, const char *want)
{
	char buf[256];
	assert_string_equal(safe_text(buf, sizeof(buf), in, len), want);
}

static void
test_escapes(void **state)
{
	(void)state;
	check("/plain/path?a=1", 15, "/plain/path?a=1");
	check("\x1b[2J/x", 6, "\\x1b[2J/x");
	check("a\\b", 3, "a\\x5cb");
	check("nul\0byte", 8, "nul\\x00byte");
	check("del\x7f", 4, "del\\x7f");
	check("caf\xc3\xa9", 5, "caf\xc3\xa9");		/* valid UTF-8 kept */
	check("bad\xc3", 4, "bad\\xc3");		/* cut sequence */
	check("\xc0\xaf", 2, "\\xc0\\xaf");		/* overlong */
	check("\xc2\x9b" "31m", 5, "\\xc2\\x9b31m");	/* C1 CSI */
	check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");	/* surrogate */
}

static void
test_cut_whole(void **state)
{
	(void)state;
	char buf[6];
	/* Never half an escape nor half a character. */
	assert_string_equal(safe_text(buf, sizeof(buf), "ab\x1b", 3), "ab");
	assert_string_equal(safe_text(buf, sizeof(buf), "abcd\xc3\xa9", 6), "abcd");
	assert_int_equal(safe_width("caf\xc3\xa9"), 4);
	assert_int_equal(safe_width("\x01"), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_cut_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
