/*
 * inline.c - client addresses stored in the request row itself instead of
 * through a lookup table (schema/006).
 *
 * A public site's log holds nearly as many client addresses as lines, so
 * interning them (a clients table with a UNIQUE index) cost a B-tree
 * insert at a random place for most requests. A client is stored inline
 * instead, in a column without type affinity:
 *   - an IPv4 address written in canonical dotted-quad form ("10.0.0.7":
 *     four decimal numbers 0-255 without leading zeros) as the integer
 *     a << 24 | b << 16 | c << 8 | d (at most 5 bytes on disk);
 *   - anything else (IPv6, "unix:", a name) as its text.
 * Both sides of the error-log join are stored the same way, so equality is
 * still equality; printf('%d.%d.%d.%d', ...) gives the exact text back
 * (STORE_CLIENT_TEXT in store_int.h, and the views of 006).
 *
 * The same encoding is offered to SQL as gw_client_key(text), which
 * migration 006 uses to convert the rows of a database of the previous
 * schema.
 *
 * (Request ids stay text: storing nginx's 32 hex digits as 16 bytes would
 * save 16 bytes a request, but a hand query WHERE request_id = '...' on the
 * table, which users and the tests write, would silently match nothing.)
 */
#include <string.h>

#include "store/store_int.h"

/* True when [p, p + n) is a canonical dotted quad; its integer in *v. */
static bool
inline_ipv4(const char *p, size_t n, int64_t *v)
{
	int64_t acc = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned x = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= n || p[i] != '.')
				return false;
			start = ++i;
		}
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 3)
			x = x * 10 + (unsigned)(p[i++] - '0');
		if (i == start || x > 255 || (p[start] == '0' && i - start > 1))
			return false;
		acc = acc << 8 | x;
	}
	if (i != n)
		return false;
	*v = acc;
	return true;
}

/* See store_int.h. */
void
inline_client(struct store_client *c, const char *text)
{
	c->text = text;
	c->v4 = -1;
	if (text != NULL && !inline_ipv4(text, strlen(text), &c->v4))
		c->v4 = -1;
}

/* See store_int.h. */
void
inline_bind_client(sqlite3_stmt *st, int i, const struct store_client *c)
{
	if (c->text == NULL)
		sqlite3_bind_null(st, i);
	else if (c->v4 >= 0)
		sqlite3_bind_int64(st, i, c->v4);
	else
		sqlite3_bind_text(st, i, c->text, -1, SQLITE_STATIC);
}

/* See store_int.h. */
uint64_t
inline_client_key(const struct store *s, const struct store_client *c)
{
	if (c->v4 >= 0)
		return (uint64_t)c->v4;
	return store_hash(s, c->text, strlen(c->text)) | 1ULL << 63;
}

/* See store_int.h. */
uint64_t
inline_client_key_value(const struct store *s, sqlite3_value *v)
{
	if (sqlite3_value_type(v) == SQLITE_INTEGER)
		return (uint64_t)sqlite3_value_int64(v);
	return store_hash(s, sqlite3_value_text(v),
	    (size_t)sqlite3_value_bytes(v)) | 1ULL << 63;
}

/* gw_client_key(text): the inline form of a client address. */
static void
inline_sql_client(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	int64_t v;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || t == NULL)
		sqlite3_result_null(ctx);
	else if (inline_ipv4(t, (size_t)sqlite3_value_bytes(argv[0]), &v))
		sqlite3_result_int64(ctx, v);
	else
		sqlite3_result_value(ctx, argv[0]);
}

/* See store_int.h. */
int
inline_register(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

	if (sqlite3_create_function(db, "gw_client_key", 1, flags, NULL,
	    inline_sql_client, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}
