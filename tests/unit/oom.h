/*
 * oom.h - what the out-of-memory tests (tests/unit/test_oom_*.c) share.
 *
 * The fault itself is core/alloc.h's (gw_fault_install: the nth allocation
 * of the library fails, optionally every one after). This adds:
 *   - oom_sqlite_hook(): SQLite's allocations go through the same countdown
 *     (sqlite3_config(SQLITE_CONFIG_MALLOC) around SQLite's own allocator),
 *     so a store operation can fail inside SQLite as well as in our code;
 *   - OOM_N_MAX, the bound of a walk: an operation that still reaches the
 *     fault after that many allocations fails the test (it would loop).
 *
 * A walk (see core/alloc.h): for n = 1, 2, ... arm the fault, run the
 * operation, disarm; when nothing failed the walk is over and the result
 * must be the reference; otherwise the result must be "out of memory" (or,
 * when the code absorbed the failure, exactly the reference), nothing may
 * leak (LSan in make check's sanitizer pass) and the object must work
 * again without the fault. Both modes are walked: a single failure and a
 * persistent one.
 */
#ifndef GW_TEST_OOM_H
#define GW_TEST_OOM_H

#include <sqlite3.h>
#include <string.h>

#include "core/alloc.h"

#define OOM_N_MAX 20000

static sqlite3_mem_methods oom_sqlite_real;

static inline void *
oom_sqlite_malloc(int n)
{
	return gw_fault_check() ? NULL : oom_sqlite_real.xMalloc(n);
}

static inline void *
oom_sqlite_realloc(void *p, int n)
{
	return gw_fault_check() ? NULL : oom_sqlite_real.xRealloc(p, n);
}

/* Route SQLite's allocations through the fault countdown; call before any
 * connection is opened. Fails the test when SQLite refuses. */
static inline void
oom_sqlite_hook(void)
{
	sqlite3_mem_methods m;

	if (oom_sqlite_real.xMalloc != NULL)
		return;
	assert_int_equal(sqlite3_shutdown(), SQLITE_OK);
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC,
	    &oom_sqlite_real), SQLITE_OK);
	m = oom_sqlite_real;
	m.xMalloc = oom_sqlite_malloc;
	m.xRealloc = oom_sqlite_realloc;
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
	/* no lookaside: every allocation of a statement is a real one */
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0),
	    SQLITE_OK);
	assert_int_equal(sqlite3_initialize(), SQLITE_OK);
}

/* Fail the test showing the first line where a and b differ. */
static inline void
oom_fail_diff(const char *what, const char *a, const char *b)
{
	size_t i = 0;

	while (a[i] != '\0' && a[i] == b[i])
		i++;
	while (i > 0 && a[i - 1] != '\n')
		i--;
	fail_msg("%s:\n  got  %.*s\n  want %.*s", what,
	    (int)strcspn(a + i, "\n"), a + i, (int)strcspn(b + i, "\n"),
	    b + i);
}

#endif
