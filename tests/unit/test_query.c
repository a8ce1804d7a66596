/*
 * test_query.c - parse/query.c: query strings to parameter shapes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/hex.h"
#include "parse/query.h"

/* Shape of NUL-terminated q, checked against want. */
static void
check(struct arena *a, const char *q, const char *want)
{
	char *got = query_shape(q, strlen(q), a);

	assert_non_null(got);
	assert_string_equal(got, want);
}

static void
test_empty(void **state)
{
	struct arena *a = *state;

	check(a, "", "");
	check(a, "&&", "");
}

static void
test_kinds_and_sort(void **state)
{
	struct arena *a = *state;

	check(a, "userName=bob&age=&id=7",
	    "age=<empty>&id=<number>&userName=<text>");
	check(a, "b=1.5&a=-3&c=+2", "a=<number>&b=<number>&c=<number>");
	check(a, "a=1.2.3&b=.&c=-&d=.5&e=7.", "a=<text>&b=<text>&c=<text>"
	    "&d=<number>&e=<number>");
	check(a, "flag&x=abc", "flag=<empty>&x=<text>");
	/* byte order: upper case before lower case, prefix first */
	check(a, "b=1&B=1&ab=1&a=1", "B=<number>&a=<number>&ab=<number>"
	    "&b=<number>");
	/* keys as written: userName and username differ */
	check(a, "username=a&userName=b", "userName=<text>&username=<text>");
}

static void
test_duplicates_kept(void **state)
{
	struct arena *a = *state;

	check(a, "id=1&id=x&id=", "id=<number>&id=<text>&id=<empty>");
	check(a, "tag=a&x=1&tag=2", "tag=<text>&tag=<number>&x=<number>");
}

static void
test_decoding(void **state)
{
	struct arena *a = *state;

	check(a, "user%5Fname=x", "user_name=<text>");
	check(a, "first+name=x", "first name=<text>");
	/* malformed or NUL escapes stay as written; values are not decoded */
	check(a, "a%zz=1&b%=2&c%00=3", "a%zz=<number>&b%=<number>"
	    "&c%00=<number>");
	check(a, "v=%31", "v=<text>");
	check(a, "=5", "=<number>");
}

static void
test_caps(void **state)
{
	struct arena *a = *state;
	char q[4096], want[4096], key[80];
	size_t i;

	/* key cut at 64 bytes */
	memset(key, 'k', 70);
	key[70] = '\0';
	snprintf(q, sizeof(q), "%s=1", key);
	memset(want, 'k', 64);
	snprintf(want + 64, sizeof(want) - 64, "=<number>");
	check(a, q, want);

	/* at most 32 keys, then "&..." */
	q[0] = want[0] = '\0';
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "%sk%02zu=1", i ? "&" : "", i);
		strcat(q, key);
		if (i < 32) {
			snprintf(key, sizeof(key), "%sk%02zu=<number>",
			    i ? "&" : "", i);
			strcat(want, key);
		}
	}
	strcat(want, "&...");
	check(a, q, want);
}

static void
test_not_nul_terminated(void **state)
{
	struct arena *a = *state;
	const char q[] = "b=2&a=1XXXX";
	char *got = query_shape(q, 7, a);

	assert_string_equal(got, "a=<number>&b=<number>");
}

/*
 * The shape as parse/query.c computed it before its one-pass rewrite
 * (main at 78ecc5b: keys copied and decoded one by one, sorted with
 * memcmp), kept as the reference the rewrite must equal on any input.
 */
#define REF_QS_KEYS_MAX	32
#define REF_QS_KEY_MAX	64

enum ref_qs_kind {
	REF_QS_EMPTY,
	REF_QS_NUMBER,
	REF_QS_TEXT
};

static const char *const ref_qs_kind_text[] = {
	"<empty>", "<number>", "<text>"
};
static const size_t ref_qs_kind_len[] = { 7, 8, 6 };

struct ref_qs_param {
	char key[REF_QS_KEY_MAX];
	size_t key_len;
	enum ref_qs_kind kind;
};

/*
 * Percent-decode the n bytes at s into out (at most REF_QS_KEY_MAX bytes, the
 * rest cut); '+' becomes a space, a malformed or NUL escape stays as is.
 * Returns the decoded length.
 */
static size_t
ref_qs_decode_key(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n && o < REF_QS_KEY_MAX) {
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
static enum ref_qs_kind
ref_qs_kind_of(const char *v, size_t n)
{
	size_t i = 0, digits = 0, dots = 0;

	if (n == 0)
		return REF_QS_EMPTY;
	if (v[0] == '+' || v[0] == '-')
		i++;
	for (; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digits++;
		else if (v[i] == '.' && dots == 0)
			dots++;
		else
			return REF_QS_TEXT;
	}
	return digits > 0 ? REF_QS_NUMBER : REF_QS_TEXT;
}

/* Order of two parameters: key bytes, a shorter prefix first. */
static int
ref_qs_cmp(const struct ref_qs_param *x, const struct ref_qs_param *y)
{
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static char *
ref_query_shape(const char *q, size_t len, struct arena *a)
{
	struct ref_qs_param params[REF_QS_KEYS_MAX];
	unsigned char order[REF_QS_KEYS_MAX], tmp;	/* sorted indexes of params */
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

			if (n == REF_QS_KEYS_MAX) {
				more = true;
				break;
			}
			params[n].key_len = ref_qs_decode_key(seg, key_len,
			    params[n].key);
			params[n].kind = eq == NULL ? REF_QS_EMPTY :
			    ref_qs_kind_of(eq + 1, seg_len - key_len - 1);
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
		for (j = i; j > 0 && ref_qs_cmp(&params[order[j - 1]],
		    &params[tmp]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = tmp;
	}

	for (i = 0; i < n; i++)
		out_len += params[i].key_len + 1 +
		    ref_qs_kind_len[params[i].kind] + 1;
	if (more)
		out_len += 4;
	out = arena_alloc(a, out_len + 1);
	if (out == NULL)
		return NULL;
	w = out;
	for (i = 0; i < n; i++) {
		const struct ref_qs_param *p = &params[order[i]];
		size_t kl = ref_qs_kind_len[p->kind];
		if (i > 0)
			*w++ = '&';
		memcpy(w, p->key, p->key_len);
		w += p->key_len;
		*w++ = '=';
		memcpy(w, ref_qs_kind_text[p->kind], kl);
		w += kl;
	}
	if (more) {
		memcpy(w, n > 0 ? "&..." : "...", n > 0 ? 4 : 3);
		w += n > 0 ? 4 : 3;
	}
	*w = '\0';
	return out;
}

/* xorshift: the same pseudo-random queries on every run */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random queries of pieces that matter to a shape (separators, escapes,
 * signs, dots, digits, NUL, long keys, many keys): query_shape equals the
 * reference on every one.
 */
static void
test_same_as_reference(void **state)
{
	static const char *const pieces[] = {
		"a", "b", "B", "ab", "id", "k", "=", "=", "&", "&", "&&", "+",
		"-", ".", "0", "7", "12", "%", "%4", "%41", "%2B", "%00",
		"%zz", "%3D", "%26", "x", "\\", "\xff", "~", "abcdefgh",
		"abcdefghi", "abcdefg", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
	};
	struct arena *a = *state;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char q[2048];

	for (int round = 0; round < 200000; round++) {
		/* most at most 64 bytes (read as bit masks), some longer */
		size_t n = 0, pieces_n = next_rand(&seed) % (round % 2 ? 24 : 64);

		if (round % 1000 == 0)
			pieces_n = 300;	/* over 32 keys, keys over 64 */
		for (size_t k = 0; k < pieces_n; k++) {
			const char *pc;
			size_t pl;

			if (next_rand(&seed) % 64 == 0) {
				pc = "";	/* a NUL byte */
				pl = 1;
			} else {
				pc = pieces[next_rand(&seed) %
				    (sizeof(pieces) / sizeof(pieces[0]))];
				pl = strlen(pc);
			}
			if (n + pl > sizeof(q))
				break;
			memcpy(q + n, pc, pl);
			n += pl;
		}
		char *got = query_shape(q, n, a);
		char *want = ref_query_shape(q, n, a);

		assert_non_null(got);
		assert_non_null(want);
		if (strcmp(got, want) != 0)
			fail_msg("query %.*s: shape %s, want %s", (int)n, q,
			    got, want);
		if (round % 1000 == 999)
			arena_reset(a);
	}
}

static int
setup(void **state)
{
	*state = arena_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kinds_and_sort, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_decoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_nul_terminated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_same_as_reference, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
