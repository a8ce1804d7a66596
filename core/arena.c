/*
 * arena.c - bump allocator; see arena.h.
 *
 * A singly linked list of blocks; allocation bumps within the head block and
 * pushes a new block when it is full. Reset keeps the first (oldest) block as
 * the head and puts the other standard-size blocks on a spare list, up to
 * ARENA_SPARE_MAX bytes (larger blocks and the excess are freed), and a full
 * block is replaced from that list before malloc is asked. So a steady stream
 * of batches reuses the same memory: the arena never grows past the size of
 * its largest batch, and filling a batch costs no malloc, free or fresh
 * page. (Freeing them instead cost the parse thread of `ingest` about 10% of
 * its time: the writer thread freed each batch's blocks, and the parse
 * thread's next ones came back as zeroed pages, one fault every 4 KiB.)
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"

#define ARENA_BLOCK (64 * 1024)
/* Most bytes of spare blocks one arena keeps across resets. */
#define ARENA_SPARE_MAX (16 * 1024 * 1024)

struct arena_block {
	struct arena_block *next;	/* older block */
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_block *head;
	struct arena_block *spare;	/* free ARENA_BLOCK blocks, reused */
	size_t n_spare;
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

static void
block_list_free(struct arena_block *b)
{
	while (b != NULL) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	block_list_free(a->head);
	block_list_free(a->spare);
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
		struct arena_block *nb;

		if (size == ARENA_BLOCK && a->spare != NULL) {
			nb = a->spare;
			a->spare = nb->next;
			a->n_spare--;
			nb->used = 0;
		} else if ((nb = block_new(size)) == NULL)
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

void
arena_shrink(struct arena *a, void *p, size_t n, size_t keep)
{
	const size_t align = alignof(max_align_t);
	size_t need = (n + align - 1) & ~(align - 1);
	size_t kept = (keep + align - 1) & ~(align - 1);
	struct arena_block *b = a->head;

	if (keep > n || need < n || b->used < need ||
	    (unsigned char *)p != b->data + b->used - need)
		return;
	b->used -= need - kept;
	a->total -= need - kept;
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
		if (b->size == ARENA_BLOCK &&
		    (a->n_spare + 1) * ARENA_BLOCK <= ARENA_SPARE_MAX) {
			b->next = a->spare;
			a->spare = b;
			a->n_spare++;
		} else
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
