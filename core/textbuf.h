/*
 * textbuf.h - a growable NUL-terminated text (SQL, patterns, what a
 * configuration file holds), built by appends.
 *
 * Out of memory is sticky: the append that fails sets oom, every later
 * one is dropped, and the caller checks oom once when done (so building
 * code needs no check per append). p stays NULL until the first append.
 */
#ifndef GW_TEXTBUF_H
#define GW_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *p;		/* NUL-terminated once anything was added */
	size_t len, cap;
	bool oom;		/* an append ran out of memory */
};

/* Append n bytes of s (not NUL-terminated; may contain NUL). */
void textbuf_add(struct textbuf *b, const char *s, size_t n);
/* Append NUL-terminated s. */
void textbuf_str(struct textbuf *b, const char *s);
/* Free the text; b is empty again (oom cleared). */
void textbuf_free(struct textbuf *b);

#endif
