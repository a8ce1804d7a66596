/*
 * query.h - query strings to parameter shapes.
 *
 * A shape is the sorted list of a query's keys, each with the kind of its
 * value: "age=<empty>&userName=<text>&id=<number>" sorted by key bytes. It
 * lets later analysis compare failure rates between requests of one route
 * that differ only in the form of their parameters. Keys are kept as
 * written (percent-decoding only), so "userName" and "username" differ.
 */
#ifndef GW_QUERY_H
#define GW_QUERY_H

#include <stddef.h>

#include "core/arena.h"

/*
 * The shape of query q (len bytes, without '?'); "" for an empty query.
 * Value kinds: <empty>, <number> (optional sign, digits, one dot), <text>.
 * A key appearing several times is listed once per occurrence. Keys are cut
 * at 64 bytes and at most 32 are kept (then "&..."). NULL only on OOM.
 */
char *query_shape(const char *q, size_t len, struct arena *a);
/* The same, its length in *shape_len (strlen's when q[0..len) holds no
 * NUL: a decoded %00 stays "%00"). */
char *query_shape_len(const char *q, size_t len, struct arena *a,
    size_t *shape_len);

#endif
