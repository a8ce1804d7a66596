/*
 * textbuf.c - a growable NUL-terminated text; see textbuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/textbuf.h"

/* See textbuf.h. Capacity doubles from 256, so appends are O(1)
 * amortised; a size that would overflow is out of memory. */
void
textbuf_add(struct textbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap - b->len <= n) {
			if (cap > ((size_t)-1) / 2) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		if ((p = gw_realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* See textbuf.h. */
void
textbuf_str(struct textbuf *b, const char *s)
{
	textbuf_add(b, s, strlen(s));
}

/* See textbuf.h. */
void
textbuf_free(struct textbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
