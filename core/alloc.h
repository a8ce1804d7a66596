/*
 * alloc.h - the library's allocator, with fault injection for the tests.
 *
 * Every malloc/calloc/realloc/strdup/strndup of the library (core/ capture/
 * parse/ store/ analyze/ tui/ metrics/) goes through gw_malloc() and its
 * siblings, so a test can make the Nth allocation fail, as SQLite's fault
 * simulation does (sqlite3_test_control FAULT_INSTALL), and prove that the
 * out-of-memory path of every operation is taken cleanly. Memory is freed
 * with plain free(); only the failure is simulated, never the allocator.
 *
 * The cost outside the tests is one thread-local load and a branch that is
 * never taken, per allocation (the hot path allocates from the arena, so
 * that is per block, not per field); callgrind on ingest measured it, see
 * README "Tests". The fault state is the one piece of mutable global state
 * besides the signal flag: thread-local, zero unless a test arms it, so a
 * worker thread never sees another thread's fault.
 *
 * Using it in a test (tests/unit/test_oom*.c, tests/unit/oom.h):
 *
 *	for (long n = 1;; n++) {
 *		gw_fault_install(n, false);	// the nth allocation fails
 *		rc = operation(...);
 *		unsigned long hit = gw_fault_uninstall();
 *		if (hit == 0)
 *			break;			// it ran without reaching n
 *		assert rc is "out of memory", nothing leaked, nothing partial
 *		assert the module still works
 *	}
 *
 * persistent = true makes every allocation after the nth fail too (SQLite's
 * "persistent" mode): a caller that retries or falls back cannot succeed by
 * accident. Every arena_alloc() counts as an allocation as well (so each
 * caller's NULL path is reached, not only the block push); PCRE2 allocates
 * through gw_malloc (a general context, parse/logformat.c); the tests route
 * SQLite's allocations to the same countdown with oom_sqlite_hook()
 * (tests/unit/oom.h). Allocations of other libraries (json-c, zlib,
 * libpcap, http-parser keeps none) are not counted.
 */
#ifndef GW_ALLOC_H
#define GW_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Allocations left before the one that fails; 0 when no fault is armed.
 * Read only through the functions below. */
extern _Thread_local long gw_fault_countdown;

/* The slow path, when a fault is armed: true when this allocation fails. */
bool gw_fault_fail(void);

/*
 * Arm a fault in the calling thread: the nth allocation from now (n >= 1)
 * returns NULL; with persistent, every one after it as well. Replaces any
 * fault already armed and resets the count of failures.
 */
void gw_fault_install(long n, bool persistent);

/* Disarm; returns how many allocations failed since gw_fault_install(). */
unsigned long gw_fault_uninstall(void);

/* Allocations failed so far under the armed fault (it stays armed). */
unsigned long gw_fault_failures(void);

/*
 * Hold the fault (nesting) around code that must not see it: a library
 * that crashes on allocation failure (PCRE2 10.42's JIT compiler, see
 * parse/logformat.c). Allocations inside neither fail nor count, as
 * SQLite's sqlite3BeginBenignMalloc() regions.
 */
void gw_fault_hold(void);
void gw_fault_release(void);

static inline bool
gw_fault_check(void)
{
	return __builtin_expect(gw_fault_countdown != 0, 0) && gw_fault_fail();
}

static inline void *
gw_malloc(size_t n)
{
	return gw_fault_check() ? NULL : malloc(n);
}

static inline void *
gw_calloc(size_t n, size_t sz)
{
	return gw_fault_check() ? NULL : calloc(n, sz);
}

/*
 * As gw_calloc(), the bytes zeroed by writing them: for a table probed at
 * random, read before it is written. calloc's fresh pages read as the
 * kernel's zero page, and the first write after a read faults again to
 * copy it, flushing the TLB of every core running another of our threads
 * (an interrupt to each). Written first, a page faults once. (The asm
 * keeps the compiler from making malloc + memset a calloc.)
 */
static inline void *
gw_zeroed(size_t n, size_t sz)
{
	void *p;

	if (sz != 0 && n > (size_t)-1 / sz)
		return NULL;
	if ((p = gw_malloc(n * sz)) == NULL)
		return NULL;
	__asm__ volatile("" : : "r"(p) : "memory");
	return memset(p, 0, n * sz);
}

/* As realloc(): on failure p is untouched and still owned by the caller. */
static inline void *
gw_realloc(void *p, size_t n)
{
	return gw_fault_check() ? NULL : realloc(p, n);
}

static inline char *
gw_strdup(const char *s)
{
	return gw_fault_check() ? NULL : strdup(s);
}

static inline char *
gw_strndup(const char *s, size_t n)
{
	return gw_fault_check() ? NULL : strndup(s, n);
}

#endif
