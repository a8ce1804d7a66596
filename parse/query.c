/*
 * query.c - query strings to parameter shapes; see query.h.
 *
 * A shape keeps only what a query's form is, not what it says: each key
 * (percent-decoded, '+' read as a space) with the kind of its value. The
 * work is bounded whatever the input: the first QS_KEYS_MAX parameters in
 * query order are kept (later ones only turn into a trailing "&..."), each
 * key is cut at QS_KEY_MAX bytes, and the kept entries are sorted with an
 * insertion sort, which is stable, so duplicate keys keep their order.
 *
 * A value's kind is read from the value as written (no decoding): a leading
 * '+' or '-' is a sign. A decoded %00 is kept as the text "%00" so a key
 * never holds a NUL byte.
 *
 * Every line with a query comes here, so the query is read once, byte by
 * byte: a key is kept as a pointer into the query unless it holds '%' or
 * '+' (then it is decoded into a buffer of its own), and its first eight
 * bytes as a big-endian word order most pairs of keys without a memcmp.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/hex.h"
#include "parse/query.h"

#define QS_KEYS_MAX	32
#define QS_KEY_MAX	64

enum qs_kind {
	QS_EMPTY,
	QS_NUMBER,
	QS_TEXT
};

static const size_t qs_kind_len[] = { 7, 8, 6 };

struct qs_param {
	const char *key;	/* in the query, or decoded into dec[] */
	uint64_t head;		/* its first 8 bytes, big-endian, 0-padded */
	size_t key_len;		/* <= QS_KEY_MAX */
	enum qs_kind kind;
};

/*
 * Percent-decode the n bytes at s into out (at most QS_KEY_MAX bytes, the
 * rest cut); '+' becomes a space, a malformed or NUL escape stays as is.
 * Returns the decoded length.
 */
static size_t
qs_decode_key(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n && o < QS_KEY_MAX) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && n - i >= 3) {
			int hi = hex_digit((unsigned char)s[i + 1]);
			int lo = hex_digit((unsigned char)s[i + 2]);
			if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
				out[o++] = (char)(hi << 4 | lo);
				i += 3;
				continue;
			}
		}
		out[o++] = c == '+' ? ' ' : (char)c;
		i++;
	}
	return o;
}

/* The first (up to) 8 bytes of s as a big-endian word, zero-padded. */
static uint64_t
qs_head(const char *s, size_t n)
{
	uint64_t h = 0;
	size_t k = n < 8 ? n : 8;

	for (size_t i = 0; i < k; i++)
		h |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	return h;
}

/*
 * Order of two parameters: key bytes, a shorter prefix first. Heads that
 * differ decide as the bytes would (a zero pad sorts before any byte but
 * NUL, and equal heads fall through to the bytes).
 */
static int
qs_cmp(const struct qs_param *x, const struct qs_param *y)
{
	size_t n;
	int c;

	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	n = x->key_len < y->key_len ? x->key_len : y->key_len;
	if (n > 8 && (c = memcmp(x->key + 8, y->key + 8, n - 8)) != 0)
		return c;
	return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/*
 * Kind of the value from i (as written) up to the next '&' or len; *end
 * becomes the index of that '&' or len.
 */
static enum qs_kind
qs_value(const char *q, size_t len, size_t i, size_t *end)
{
	bool digits = false, dot = false;

	if (i == len || q[i] == '&') {
		*end = i;
		return QS_EMPTY;
	}
	if (q[i] == '+' || q[i] == '-')
		i++;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)q[i];

		if ((unsigned)(c - '0') <= 9)
			digits = true;
		else if (c == '.' && !dot)
			dot = true;
		else if (c == '&')
			break;
		else {
			const char *amp = memchr(q + i, '&', len - i);

			*end = amp != NULL ? (size_t)(amp - q) : len;
			return QS_TEXT;
		}
	}
	*end = i;
	return digits ? QS_NUMBER : QS_TEXT;
}

/*
 * Read the parameters of q (len bytes) byte by byte into params (keys
 * with '%' or '+' decoded into dec): their count, *more when more than
 * QS_KEYS_MAX, and *out_len the bytes of their shape.
 */
static size_t
qs_scan_bytes(const char *q, size_t len, struct qs_param *params,
    char (*dec)[QS_KEY_MAX], bool *more, size_t *out_len)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t ks = i;
		bool decode = false;
		struct qs_param *p;

		/* the key: up to '=', '&' or the end */
		for (; i < len; i++) {
			unsigned char c = (unsigned char)q[i];

			if (c == '=' || c == '&')
				break;
			decode |= c == '%' || c == '+';
		}
		if (i == ks && (i == len || q[i] == '&')) {
			i++;		/* an empty segment */
			continue;
		}
		if (n == QS_KEYS_MAX) {
			*more = true;
			break;
		}
		p = &params[n];
		if (decode) {
			p->key_len = qs_decode_key(q + ks, i - ks, dec[n]);
			p->key = dec[n];
		} else {
			p->key_len = i - ks < QS_KEY_MAX ? i - ks : QS_KEY_MAX;
			p->key = q + ks;
		}
		p->head = qs_head(p->key, p->key_len);
		if (i < len && q[i] == '=')
			p->kind = qs_value(q, len, i + 1, &i);
		else
			p->kind = QS_EMPTY;
		*out_len += p->key_len + 1 + qs_kind_len[p->kind] + 1;
		n++;
		i++;			/* past the '&' (or the end) */
	}
	return n;
}

#ifdef __SSE2__
#define QS_VEC_MAX	64	/* longest query read as bit masks */

/* Bits below k of a word (0 <= k <= 64). */
static inline uint64_t
qs_below(size_t k)
{
	return k >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
}

/* Bits lo..hi-1 of a word (0 <= lo, hi <= 64; none when lo >= hi). */
static inline uint64_t
qs_bits(size_t lo, size_t hi)
{
	return qs_below(hi) & ~qs_below(lo);
}

/*
 * qs_scan_bytes for a query of at most QS_VEC_MAX bytes: each byte class
 * ('&', '=', '%' or '+', digits, '.', signs) becomes a bit mask of the
 * query, sixteen bytes at a time, and a parameter is then a few mask
 * operations whatever its length. The query is copied into a zeroed
 * buffer first, so no load reads past it.
 */
static size_t
qs_scan_vec(const char *q, size_t len, struct qs_param *params,
    char (*dec)[QS_KEY_MAX], bool *more, size_t *out_len)
{
	unsigned char buf[QS_VEC_MAX + 8] __attribute__((aligned(16)));
	uint64_t amp = 0, eq = 0, esc = 0, digit = 0, dot = 0, sign = 0;
	size_t n = 0, pos = 0;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, q, len);
	for (size_t c = 0; c * 16 < len; c++) {
		__m128i v = _mm_load_si128((const __m128i *)(buf + 16 * c));
		__m128i plus = _mm_cmpeq_epi8(v, _mm_set1_epi8('+'));
		__m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
		unsigned sh = (unsigned)(16 * c);

#define QS_MASK(x)	((uint64_t)(unsigned)_mm_movemask_epi8(x) << sh)
		amp |= QS_MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
		eq |= QS_MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
		esc |= QS_MASK(_mm_or_si128(plus,
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('%'))));
		digit |= QS_MASK(_mm_cmpeq_epi8(_mm_min_epu8(d,
		    _mm_set1_epi8(9)), d));
		dot |= QS_MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
		sign |= QS_MASK(_mm_or_si128(plus,
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('-'))));
#undef QS_MASK
	}
	while (pos < len) {
		uint64_t a = amp & qs_bits(pos, len), e, v, first;
		size_t end = a != 0 ? (size_t)__builtin_ctzll(a) : len, key_end;
		struct qs_param *p;

		if (end == pos) {
			pos++;		/* an empty segment */
			continue;
		}
		if (n == QS_KEYS_MAX) {
			*more = true;
			break;
		}
		p = &params[n];
		e = eq & qs_bits(pos, end);
		key_end = e != 0 ? (size_t)__builtin_ctzll(e) : end;
		if (esc & qs_bits(pos, key_end)) {
			p->key_len = qs_decode_key(q + pos, key_end - pos,
			    dec[n]);
			p->key = dec[n];
			p->head = qs_head(p->key, p->key_len);
		} else {
			uint64_t w;
			size_t k = key_end - pos;

			/* at most 64 bytes: never cut */
			p->key_len = k;
			p->key = q + pos;
			memcpy(&w, buf + pos, 8);
			w = be64toh(w);
			p->head = k >= 8 ? w : k == 0 ? 0 :
			    w & ~(~(uint64_t)0 >> (8 * k));
		}
		if (e == 0 || (v = qs_bits(key_end + 1, end)) == 0) {
			p->kind = QS_EMPTY;
		} else {
			first = v & -v;
			if (sign & first)
				v &= ~first;
			/* digits and at most one dot, at least one digit */
			p->kind = (v & ~(digit | dot)) != 0 ||
			    ((dot & v) & ((dot & v) - 1)) != 0 ||
			    (digit & v) == 0 ? QS_TEXT : QS_NUMBER;
		}
		*out_len += p->key_len + 1 + qs_kind_len[p->kind] + 1;
		n++;
		pos = end + 1;
	}
	return n;
}
#endif

/* See query.h. */
char *
query_shape_len(const char *q, size_t len, struct arena *a,
    size_t *shape_len)
{
	struct qs_param params[QS_KEYS_MAX];
	char dec[QS_KEYS_MAX][QS_KEY_MAX];	/* keys with '%' or '+' */
	unsigned char order[QS_KEYS_MAX], tmp;	/* sorted indexes of params */
	size_t n, i, j, out_len = 0;
	bool more = false;
	char *out, *w;

	if (q == NULL)
		n = 0;
#ifdef __SSE2__
	else if (len <= QS_VEC_MAX)
		n = qs_scan_vec(q, len, params, dec, &more, &out_len);
#endif
	else
		n = qs_scan_bytes(q, len, params, dec, &more, &out_len);

	/* indexes are sorted, not the entries */
	for (i = 0; i < n; i++)
		order[i] = (unsigned char)i;
	for (i = 1; i < n; i++) {
		tmp = order[i];
		for (j = i; j > 0 && qs_cmp(&params[order[j - 1]],
		    &params[tmp]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = tmp;
	}

	if (more)
		out_len += 4;
	out = arena_alloc(a, out_len + 1);
	if (out == NULL)
		return NULL;
	w = out;
	for (i = 0; i < n; i++) {
		const struct qs_param *p = &params[order[i]];

		if (i > 0)
			*w++ = '&';
		memcpy(w, p->key, p->key_len);
		w += p->key_len;
		*w++ = '=';
		switch (p->kind) {
		case QS_EMPTY:
			memcpy(w, "<empty>", 7);
			break;
		case QS_NUMBER:
			memcpy(w, "<number>", 8);
			break;
		case QS_TEXT:
			memcpy(w, "<text>", 6);
			break;
		}
		w += qs_kind_len[p->kind];
	}
	if (more) {
		memcpy(w, n > 0 ? "&..." : "...", n > 0 ? 4 : 3);
		w += n > 0 ? 4 : 3;
	}
	*w = '\0';
	if (shape_len != NULL)
		*shape_len = (size_t)(w - out);
	return out;
}

/* See query.h. */
char *
query_shape(const char *q, size_t len, struct arena *a)
{
	return query_shape_len(q, len, a, NULL);
}
