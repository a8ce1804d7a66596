/*
 * arena.h - a bump allocator for per-batch memory.
 *
 * Everything a batch of events points at (strings, attempt arrays) is taken
 * from one arena and released at once by arena_reset() after the batch is
 * stored, so the hot path does no per-field malloc/free. Blocks are kept for
 * reuse across resets; a request bigger than a block gets a block of its own.
 */
#ifndef GW_ARENA_H
#define GW_ARENA_H

#include <stddef.h>

struct arena;

/* A new, empty arena; NULL when out of memory. Free with arena_free(). */
struct arena *arena_new(void);
void arena_free(struct arena *a);

/* n bytes aligned for any type; NULL only when out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/*
 * Give back the end of p, the last allocation made from a (n bytes asked),
 * keeping its first keep <= n bytes: a caller that reserved a bound and
 * used less. Nothing happens when p is not the last allocation.
 */
void arena_shrink(struct arena *a, void *p, size_t n, size_t keep);
/* A NUL-terminated copy of the n bytes at s; NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* Forget every allocation; keeps the blocks (up to a bound) for reuse. */
void arena_reset(struct arena *a);

/* Bytes currently handed out (for tests and memory accounting). */
size_t arena_used(const struct arena *a);

#endif
