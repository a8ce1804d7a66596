/*
 * jsonfast.h - JSON log lines read in one pass, without json-c, inside a
 * subset where the result cannot differ from json-c's (parse/jsonlog.h).
 *
 * json-c builds a tree per line (a malloc per member, a hash table per
 * object): several microseconds a line, almost all of a JSON format's
 * parse thread. The formats (Caddy, Envoy JSON, Traefik JSON) first try
 * this pass, which takes a line only when it is
 *
 *   - strict JSON (RFC 8259) which json-c also reads, with no byte below
 *     0x20 or above 0x7e, no backslash and no number with an exponent or
 *     of more than 40 bytes (or 18 digits, for an integer) anywhere, so
 *     every string is its bytes as written (json-c's unescaping is never
 *     needed), no white space but ' ', nesting at most JF_DEPTH deep;
 *
 * and hand every other line to json-c, which stays the reference. Values
 * are spans of the line (allocation-free); duplicate members: the last,
 * as json-c. Whether a member's type is one the format reads the same way
 * as through json-c is the format's to check (jf_str_ok, jf_get_int).
 * tests/unit/test_fastpath.c feeds every format both ways.
 */
#ifndef GW_JSONFAST_H
#define GW_JSONFAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse/logscan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define JF_DEPTH	16
#define JF_KEYS_MAX	48	/* members a flat read may name */
#define JF_SLOTS	128	/* its open-addressed key table */

enum jf_type {
	JF_ABSENT,		/* also null: json-c reads it as absent */
	JF_STR,
	JF_INT,
	JF_DBL,
	JF_OBJ,
	JF_OTHER		/* true, false, array, or an object not read */
};

struct jf_val {
	enum jf_type type;
	struct logspan s;	/* the string, or the number's text */
};

struct jf_scan {
	const char *p, *end;
};

static inline void
jf_ws(struct jf_scan *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/* A string at c->p (its quote): its bytes, false when outside the subset. */
static inline bool
jf_string(struct jf_scan *c, struct logspan *out)
{
	const char *q;

	if (c->p >= c->end || *c->p != '"')
		return false;
	q = c->p + 1;
#ifdef __SSE2__
	/* sixteen bytes at a time: the quote, or a byte outside the subset */
	{
		const __m128i quote = _mm_set1_epi8('"');
		const __m128i bslash = _mm_set1_epi8('\\');
		const __m128i del = _mm_set1_epi8(0x7f);
		const __m128i ctl = _mm_set1_epi8(0x1f);

		while (c->end - q >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)q);
			__m128i m = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
			    _mm_or_si128(_mm_cmpeq_epi8(v, del),
			    _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));
			int bits = _mm_movemask_epi8(m) | _mm_movemask_epi8(v);

			if (bits != 0) {
				q += __builtin_ctz((unsigned)bits);
				break;
			}
			q += 16;
		}
	}
#endif
	for (; q < c->end; q++) {
		unsigned char ch = (unsigned char)*q;

		if (ch == '"')
			break;
		if (ch < 0x20 || ch > 0x7e || ch == '\\')
			return false;
	}
	if (q >= c->end)
		return false;
	out->p = c->p + 1;
	out->n = (size_t)(q - c->p - 1);
	c->p = q + 1;
	return true;
}

/* A strict JSON number without exponent: its type (JF_INT: at most 18
 * digits, no fraction) and text; false when not one. */
static inline bool
jf_number(struct jf_scan *c, struct jf_val *v)
{
	const char *p = c->p, *e = c->end, *start = p;
	size_t digits = 0;
	bool dbl = false;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++, digits = 1;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++, digits++;
	else
		return false;
	if (p < e && *p == '.') {
		if (++p >= e || *p < '0' || *p > '9')
			return false;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		dbl = true;
	}
	if (p < e && (*p == 'e' || *p == 'E'))
		return false;
	/* no exponent, and short: strtod can neither overflow nor
	 * underflow (json-c's reading of such numbers is not relied on) */
	if ((!dbl && digits > 18) || p - start > 40)
		return false;
	v->type = dbl ? JF_DBL : JF_INT;
	v->s.p = start;
	v->s.n = (size_t)(p - start);
	c->p = p;
	return true;
}

/*
 * A number's value as json-c's get_double reads it (strtod); see
 * jsonfast.c.
 */
double jf_double(const struct jf_val *v);

/* A JF_INT's value (at most 18 digits: no overflow). */
static inline int64_t
jf_int(const struct jf_val *v)
{
	int64_t x = 0;
	size_t i = v->s.p[0] == '-';

	for (; i < v->s.n; i++)
		x = x * 10 + (v->s.p[i] - '0');
	return v->s.p[0] == '-' ? -x : x;
}

/*
 * Any value at c->p, checked and skipped (objects and arrays to depth
 * JF_DEPTH); its type and span in v (an object's span is its text).
 */
bool jf_skip(struct jf_scan *c, int depth, struct jf_val *v);

/* The member names a flat read takes, hashed once (jf_keys_init). */
struct jf_keys {
	const char *const *name;
	uint8_t len[JF_KEYS_MAX];
	uint8_t slot[JF_SLOTS];		/* key index + 1, 0 empty */
	size_t n;
};

/* Index names[0..n) (n <= JF_KEYS_MAX, each shorter than 256 bytes). */
void jf_keys_init(struct jf_keys *k, const char *const *names, size_t n);

/*
 * Read one line that must be a single object: the value of each member
 * k names into vals[index] (JF_ABSENT when absent; the last of
 * duplicates), every other member checked and skipped. Trailing ' ' and
 * '\r' allowed, as jsonlog_parse. False when the line is outside the
 * subset (json-c's to read).
 */
bool jf_flat(const struct jf_keys *k, const char *line, size_t len,
    struct jf_val *vals);

/*
 * A member read the way jsonlog_str reads it through json-c, as a span
 * (empty when absent or null; an object or array is absent too). False
 * when json-c would give another text (a number or a boolean as a
 * string): the line is json-c's.
 */
static inline bool
jf_str_ok(const struct jf_val *v, struct logspan *out)
{
	switch (v->type) {
	case JF_STR:
		*out = v->s;
		return true;
	case JF_ABSENT:
	case JF_OBJ:
		out->p = NULL;
		out->n = 0;
		return true;
	default:
		return false;	/* arrays too: JF_OTHER, rare */
	}
}

/* jsonlog_int on a member read by jf_flat: the same answer. */
bool jf_get_int(const struct jf_val *v, int64_t *out);

#endif
