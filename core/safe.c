/*
 * safe.c - untrusted text made safe for a terminal; see safe.h.
 *
 * Valid UTF-8 is kept as is; every other byte that could steer a terminal
 * (C0 and C1 controls, DEL, ESC, invalid or overlong UTF-8) and the
 * backslash itself become \xHH, so the output is unambiguous and an escape
 * sequence in a logged path can never reach the screen.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/safe.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) can drive terminals too. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return len;
}

char *
safe_text(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	if (size == 0)
		return buf;
	for (size_t i = 0; i < len;) {
		size_t l = utf8_len(u + i, len - i);
		bool plain = l > 1 || (l == 1 && u[i] >= 0x20 && u[i] < 0x7f &&
		    u[i] != '\\');
		if (plain) {
			if (o + l >= size)
				break;
			memcpy(buf + o, u + i, l);
			o += l;
			i += l;
		} else {
			if (o + 4 >= size)
				break;
			snprintf(buf + o, 5, "\\x%02x", u[i]);
			o += 4;
			i++;
		}
	}
	buf[o] = '\0';
	return buf;
}

void
safe_put(FILE *f, const char *s, size_t len)
{
	char buf[1024];

	while (len > 0) {
		/* Escape in chunks that end on a UTF-8 boundary. */
		size_t chunk = len < 200 ? len : 200;
		while (chunk < len && chunk > 0 &&
		    ((unsigned char)s[chunk] & 0xc0) == 0x80)
			chunk--;
		if (chunk == 0)
			chunk = len < 200 ? len : 200;
		safe_text(buf, sizeof(buf), s, chunk);
		fputs(buf, f);
		s += chunk;
		len -= chunk;
	}
}

size_t
safe_width(const char *s)
{
	char buf[4096];
	size_t w = 0;

	safe_text(buf, sizeof(buf), s, strlen(s));
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w++;
	return w;
}
