/*
 * arena.c - bump allocator; see arena.h.
 *
 * A singly linked list of blocks; allocation bumps within the head block and
 * pushes a new block when it is full. Reset frees every block but the first
 * (oldest) one, so a steady stream of batches reuses the same memory and the
 * arena never grows past the size of the largest batch.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"

#define ARENA_BLOCK (64 * 1024)

struct arena_block {
	struct arena_block *next;	/* older block */
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_block *head;
	size_t total;
};

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b = gw_malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(void)
{
	struct arena *a = gw_calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->head = block_new(ARENA_BLOCK);
	if (a->head == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	struct arena_block *b = a->head;
	while (b != NULL) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

/*
 * What arena_alloc() does not do inline: the overflow of n, a test's fault
 * (core/alloc.h: every arena allocation is a fault point, so a test
 * reaches the NULL path of each caller, not only of the block push) and a
 * new block. Kept apart so the common case stays a few instructions.
 */
static __attribute__((noinline)) void *
arena_alloc_slow(struct arena *a, size_t n, size_t need)
{
	if (need < n || gw_fault_check())
		return NULL;
	struct arena_block *b = a->head;
	if (b->size - b->used < need) {
		size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		struct arena_block *nb = block_new(size);
		if (nb == NULL)
			return NULL;
		nb->next = b;
		a->head = nb;
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->total += need;
	return p;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	size_t need = (n + align - 1) & ~(align - 1);
	struct arena_block *b = a->head;

	if (__builtin_expect(need < n || gw_fault_countdown != 0 ||
	    b->size - b->used < need, 0))
		return arena_alloc_slow(a, n, need);
	void *p = b->data + b->used;
	b->used += need;
	a->total += need;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
arena_reset(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b->next != NULL) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	b->used = 0;
	a->head = b;
	a->total = 0;
}

size_t
arena_used(const struct arena *a)
{
	return a->total;
}
