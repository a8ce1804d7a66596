/*
 * safe.h - untrusted text (from logs and packets) made safe to show.
 */
#ifndef GW_SAFE_H
#define GW_SAFE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Escape len bytes of s into buf (size bytes, always NUL-terminated, cut on
 * a whole character): control bytes, DEL, backslash and invalid UTF-8 become
 * \xHH; valid UTF-8 is kept. Returns buf.
 */
char *safe_text(char *buf, size_t size, const char *s, size_t len);

/* The same, written to f, with no length limit. */
void safe_put(FILE *f, const char *s, size_t len);

/* Columns the escaped form of s takes (one per code point). */
size_t safe_width(const char *s);

#endif
