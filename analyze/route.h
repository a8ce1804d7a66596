/*
 * route.h - request paths to routes: the segments that name one object
 * (numbers, UUIDs, long hex ids) become ":id", so /users/17 and /users/42
 * are counted as one route, /users/:id.
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the len bytes at seg are one id-like path segment: all digits;
 * a UUID (8-4-4-4-12 hex digits, any case); or at least ROUTE_HEX_MIN hex
 * digits with at least one decimal digit among them.
 */
bool route_is_id_segment(const char *seg, size_t len);

#define ROUTE_HEX_MIN 16

/*
 * The route of path (len bytes, without the query) into out (size bytes,
 * always NUL-terminated when size > 0): every id-like segment replaced by
 * ":id", everything else kept. A NULL or empty path gives "/". Returns the
 * length the whole route needs (like snprintf: >= size means it was cut).
 */
size_t route_normalize(const char *path, size_t len, char *out, size_t size);

#endif
