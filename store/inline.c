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
 * Since schema/012 two more columns of the request row are stored in a
 * compact form when their text allows it, and as that text otherwise:
 *   - requests.request_id: exactly 32 lowercase hex digits (nginx's
 *     $request_id) as the 16-byte blob they spell; lower(hex(x)) gives
 *     them back. Anything else (uppercase, UUIDs with dashes, decimal
 *     numbers, other lengths) stays text, so every value reads back
 *     byte-identical. A hand query on the table itself must compare with
 *     the blob (WHERE request_id = x'...') or go through request_view,
 *     which shows the text (STORE_REQUEST_ID_TEXT in store_int.h);
 *   - requests.protocol: "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3.0",
 *     "HTTP/2", "HTTP/3" as the small integer of inline_protocols[] (0-1
 *     bytes on disk instead of 8), anything else as its text
 *     (STORE_PROTOCOL_TEXT). The SQL of both macros uses only built-in
 *     functions, so plain sqlite3 users see the same text through the views.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "store/store_int.h"

/* See store_int.h: core/event.c's reading of a NUL-terminated copy (p
 * need not be one), as an int64_t. */
bool
inline_ipv4(const char *p, size_t n, int64_t *v)
{
	char b[16];
	uint32_t u;

	if (n < 7 || n > 15)
		return false;
	memcpy(b, p, n);
	b[n] = '\0';
	if (!event_ipv4(b, n, &u))
		return false;
	*v = (int64_t)u;
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
inline_client_event(struct store_client *c, const struct gw_event *ev)
{
	c->text = ev->client;
	if (ev->client == NULL || ev->client_form == GW_CLIENT_TEXT)
		c->v4 = -1;
	else if (ev->client_form == GW_CLIENT_V4)
		c->v4 = (int64_t)ev->client_v4;
	else if (!inline_ipv4(ev->client, event_strlen(ev->client,
	    ev->client_len), &c->v4))
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

/* Protocols stored as their index (STORE_PROTOCOL_TEXT spells them too). */
static const struct {
	const char *text;
	size_t len;
} inline_protocols[] = {
	{"HTTP/1.0", 8}, {"HTTP/1.1", 8}, {"HTTP/2.0", 8}, {"HTTP/3.0", 8},
	{"HTTP/2", 6}, {"HTTP/3", 6},
};
_Static_assert(sizeof(inline_protocols) / sizeof(inline_protocols[0]) ==
    STORE_PROTOCOLS, "STORE_PROTOCOL_TEXT spells every code");

/* See store_int.h: the code of protocol p[0..n), or -1 when it is
 * stored as text. */
int
inline_protocol_code(const char *p, size_t n)
{
	/* "HTTP/1.1" nearly always: one comparison of 8 bytes */
	if (n == 8) {
		uint64_t a, b;

		memcpy(&a, p, 8);
		memcpy(&b, "HTTP/1.1", 8);
		if (a == b)
			return 1;
	}
	for (int i = 0; i < STORE_PROTOCOLS; i++)
		if (inline_protocols[i].len == n &&
		    memcmp(inline_protocols[i].text, p, n) == 0)
			return i;
	return -1;
}

/*
 * See store_int.h: true when p[0..n) is STORE_RID_HEX lowercase hex
 * digits; bytes to out (written in any case).
 */
#ifdef __SSE2__
/*
 * 16 digits a vector (x86-64 always has SSE2): a digit is
 * b - '0' <= 9 unsigned, a letter b - 'a' <= 5 (saturating subtractions
 * that leave 0); each 16-bit lane's two values v0 | v1 << 8 become the
 * byte v0 << 4 | v1, and 2 x 8 lanes pack into the 16 bytes (about 40
 * instructions an id; a table load a digit, below, cost the block
 * encoder 230).
 */
bool
inline_rid_blob(const char *p, size_t n, uint8_t out[STORE_RID_BYTES])
{
	const __m128i zero = _mm_setzero_si128(), ff = _mm_set1_epi16(0xff);
	__m128i half[2];
	int ok = 0xffff;

	if (n != STORE_RID_HEX)
		return false;
	for (int k = 0; k < 2; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + 16 * k));
		__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
		__m128i l = _mm_sub_epi8(x, _mm_set1_epi8('a'));
		__m128i isd = _mm_cmpeq_epi8(_mm_subs_epu8(d,
		    _mm_set1_epi8(9)), zero);
		__m128i isl = _mm_cmpeq_epi8(_mm_subs_epu8(l,
		    _mm_set1_epi8(5)), zero);
		__m128i v = _mm_or_si128(_mm_and_si128(isd, d),
		    _mm_andnot_si128(isd, _mm_add_epi8(l, _mm_set1_epi8(10))));

		ok &= _mm_movemask_epi8(_mm_or_si128(isd, isl));
		half[k] = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(v, 4),
		    _mm_srli_epi16(v, 8)), ff);
	}
	_mm_storeu_si128((__m128i *)(void *)out, _mm_packus_epi16(half[0],
	    half[1]));
	return ok == 0xffff;
}
#else
/* Each lowercase hex digit's value with bit 0x10 set, 0 for any other
 * byte: one load a digit and one test for the whole id. */
#define H(c, v) [c] = 0x10 | v
static const uint8_t inline_hex[256] = {
	H('0', 0), H('1', 1), H('2', 2), H('3', 3), H('4', 4), H('5', 5),
	H('6', 6), H('7', 7), H('8', 8), H('9', 9), H('a', 10), H('b', 11),
	H('c', 12), H('d', 13), H('e', 14), H('f', 15),
};
#undef H

bool
inline_rid_blob(const char *p, size_t n, uint8_t out[STORE_RID_BYTES])
{
	const unsigned char *u = (const unsigned char *)p;
	uint8_t all = 0x10;

	if (n != STORE_RID_HEX)
		return false;
	for (size_t i = 0; i < STORE_RID_BYTES; i++) {
		uint8_t hi = inline_hex[u[2 * i]], lo = inline_hex[u[2 * i + 1]];

		all &= hi & lo;
		out[i] = (uint8_t)((hi & 15) << 4 | (lo & 15));
	}
	return all != 0;
}
#endif

/* See store_int.h. */
void
inline_request_id(struct store_rid *r, const char *text, uint16_t len)
{
	r->text = text;
	r->is_blob = text != NULL &&
	    inline_rid_blob(text, event_strlen(text, len), r->blob);
}

/* See store_int.h. */
void
inline_bind_request_id(sqlite3_stmt *st, int i, const struct store_rid *r)
{
	if (r->text == NULL)
		sqlite3_bind_null(st, i);
	else if (r->is_blob)
		sqlite3_bind_blob(st, i, r->blob, STORE_RID_BYTES, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, i, r->text, -1, SQLITE_STATIC);
}

/* See store_int.h. */
int
inline_protocol(const char *text)
{
	return inline_protocol_code(text, strlen(text));
}

/* See store_int.h. */
void
inline_bind_protocol(sqlite3_stmt *st, int i, const char *text)
{
	int code;

	if (text == NULL)
		sqlite3_bind_null(st, i);
	else if ((code = inline_protocol_code(text, strlen(text))) >= 0)
		sqlite3_bind_int(st, i, code);
	else
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

/* gw_request_id(text), gw_protocol(text): their inline forms (012). */
static void
inline_sql_request_id(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint8_t b[STORE_RID_BYTES];
	const char *t;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
	    (t = (const char *)sqlite3_value_text(argv[0])) == NULL ||
	    !inline_rid_blob(t, (size_t)sqlite3_value_bytes(argv[0]), b))
		sqlite3_result_value(ctx, argv[0]);
	else
		sqlite3_result_blob(ctx, b, sizeof(b), SQLITE_TRANSIENT);
}

static void
inline_sql_protocol(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t;
	int code;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
	    (t = (const char *)sqlite3_value_text(argv[0])) == NULL ||
	    (code = inline_protocol_code(t,
	    (size_t)sqlite3_value_bytes(argv[0]))) < 0)
		sqlite3_result_value(ctx, argv[0]);
	else
		sqlite3_result_int(ctx, code);
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
	    inline_sql_client, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "gw_request_id", 1, flags, NULL,
	    inline_sql_request_id, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "gw_protocol", 1, flags, NULL,
	    inline_sql_protocol, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}
