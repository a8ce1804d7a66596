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
 */
#include <stdbool.h>
#include <string.h>

#include "core/hex.h"
#include "parse/query.h"

#define QS_KEYS_MAX	32
#define QS_KEY_MAX	64

enum qs_kind {
	QS_EMPTY,
	QS_NUMBER,
	QS_TEXT
};

static const char *const qs_kind_text[] = {
	"<empty>", "<number>", "<text>"
};
static const size_t qs_kind_len[] = { 7, 8, 6 };

struct qs_param {
	char key[QS_KEY_MAX];
	size_t key_len;
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

/* Kind of the value at v (n bytes, as written). */
static enum qs_kind
qs_kind_of(const char *v, size_t n)
{
	size_t i = 0, digits = 0, dots = 0;

	if (n == 0)
		return QS_EMPTY;
	if (v[0] == '+' || v[0] == '-')
		i++;
	for (; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digits++;
		else if (v[i] == '.' && dots == 0)
			dots++;
		else
			return QS_TEXT;
	}
	return digits > 0 ? QS_NUMBER : QS_TEXT;
}

/* Order of two parameters: key bytes, a shorter prefix first. */
static int
qs_cmp(const struct qs_param *x, const struct qs_param *y)
{
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

char *
query_shape(const char *q, size_t len, struct arena *a)
{
	struct qs_param params[QS_KEYS_MAX];
	unsigned char order[QS_KEYS_MAX], tmp;	/* sorted indexes of params */
	size_t n = 0, i, j, start = 0, out_len = 0;
	bool more = false;
	char *out, *w;

	while (start <= len && q != NULL) {
		const char *seg = q + start;
		const char *amp = memchr(seg, '&', len - start);
		size_t seg_len = amp != NULL ? (size_t)(amp - seg) :
		    len - start;

		if (seg_len > 0) {
			const char *eq = memchr(seg, '=', seg_len);
			size_t key_len = eq != NULL ? (size_t)(eq - seg) :
			    seg_len;

			if (n == QS_KEYS_MAX) {
				more = true;
				break;
			}
			params[n].key_len = qs_decode_key(seg, key_len,
			    params[n].key);
			params[n].kind = eq == NULL ? QS_EMPTY :
			    qs_kind_of(eq + 1, seg_len - key_len - 1);
			n++;
		}
		if (amp == NULL)
			break;
		start += seg_len + 1;
	}

	/* indexes are sorted, not the 80-byte entries */
	for (i = 0; i < n; i++)
		order[i] = (unsigned char)i;
	for (i = 1; i < n; i++) {
		tmp = order[i];
		for (j = i; j > 0 && qs_cmp(&params[order[j - 1]],
		    &params[tmp]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = tmp;
	}

	for (i = 0; i < n; i++)
		out_len += params[i].key_len + 1 +
		    qs_kind_len[params[i].kind] + 1;
	if (more)
		out_len += 4;
	out = arena_alloc(a, out_len + 1);
	if (out == NULL)
		return NULL;
	w = out;
	for (i = 0; i < n; i++) {
		const struct qs_param *p = &params[order[i]];
		size_t kl = qs_kind_len[p->kind];
		if (i > 0)
			*w++ = '&';
		memcpy(w, p->key, p->key_len);
		w += p->key_len;
		*w++ = '=';
		memcpy(w, qs_kind_text[p->kind], kl);
		w += kl;
	}
	if (more) {
		memcpy(w, n > 0 ? "&..." : "...", n > 0 ? 4 : 3);
		w += n > 0 ? 4 : 3;
	}
	*w = '\0';
	return out;
}
