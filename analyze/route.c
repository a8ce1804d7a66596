/*
 * route.c - path normalisation; see route.h.
 *
 * A path is walked segment by segment ('/'-separated, bytes as logged); a
 * segment that names one object rather than a kind of resource is replaced
 * by ":id". The test is deliberately narrow (digits, UUIDs, long hex with a
 * digit) so words such as "v1", "users" or "deadbeef-ish" names stay: a
 * route wrongly merged hides a failing endpoint, one wrongly split only
 * spreads its counts. Work and output are bounded by the input length.
 */
#include <string.h>

#include "analyze/route.h"

/* True for 0-9a-fA-F. */
static bool
route_is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* True when seg is 8-4-4-4-12 hex digits separated by '-'. */
static bool
route_is_uuid(const char *seg, size_t len)
{
	static const size_t dash[] = {8, 13, 18, 23};
	size_t d = 0;

	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (d < 4 && i == dash[d]) {
			if (seg[i] != '-')
				return false;
			d++;
		} else if (!route_is_hex((unsigned char)seg[i]))
			return false;
	}
	return true;
}

/* See route.h. */
bool
route_is_id_segment(const char *seg, size_t len)
{
	size_t digits = 0, hex = 0;

	if (len == 0)
		return false;
	if (route_is_uuid(seg, len))
		return true;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)seg[i];

		if (c >= '0' && c <= '9')
			digits++;
		if (route_is_hex(c))
			hex++;
	}
	if (digits == len)
		return true;
	return hex == len && len >= ROUTE_HEX_MIN && digits > 0;
}

/* Append n bytes of s at *o into out (size), counting what did not fit. */
static void
route_put(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o < size) {
		size_t room = size - *o - 1;

		memcpy(out + *o, s, n < room ? n : room);
	}
	*o += n;
}

/* See route.h. */
size_t
route_normalize(const char *path, size_t len, char *out, size_t size)
{
	size_t o = 0, i = 0;

	if (path == NULL || len == 0) {
		route_put(out, size, &o, "/", 1);
		goto done;
	}
	while (i < len) {
		size_t start = i, seg_len;

		while (i < len && path[i] != '/')
			i++;
		seg_len = i - start;
		if (route_is_id_segment(path + start, seg_len))
			route_put(out, size, &o, ":id", 3);
		else
			route_put(out, size, &o, path + start, seg_len);
		if (i < len) {
			route_put(out, size, &o, "/", 1);
			i++;
		}
	}
done:
	if (size > 0)
		out[o < size ? o : size - 1] = '\0';
	return o;
}
