/*
 * test_event.c - core/event.c: what a producer works out of an event's
 * strings for the store (their lengths, the client's form), and the
 * reading of a dotted quad it uses, against a plain one written here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"

/* A canonical dotted quad, the long way: split at dots, four numbers of
 * 1-3 digits, none over 255, none with a leading zero. */
static bool
ref_ipv4(const char *p, size_t n, uint32_t *v)
{
	uint32_t acc = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start = i;
		unsigned x = 0;

		if (part > 0) {
			if (i >= n || p[i] != '.')
				return false;
			start = ++i;
		}
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 4)
			x = x * 10 + (unsigned)(p[i++] - '0');
		if (i == start || i - start > 3 || x > 255 ||
		    (i - start > 1 && p[start] == '0'))
			return false;
		acc = acc << 8 | x;
	}
	if (i != n)
		return false;
	*v = acc;
	return true;
}

/* event_ipv4 and ref_ipv4 agree on p[0..n), read from a heap copy of
 * exactly n bytes and a NUL (the sanitizer build sees any read past it). */
static void
same_ipv4(const char *p, size_t n)
{
	char *copy = malloc(n + 1);
	uint32_t v1 = 0xdeadbeef, v2 = 0xdeadbeef;
	bool r1, r2;

	assert_non_null(copy);
	memcpy(copy, p, n);
	copy[n] = '\0';
	r1 = event_ipv4(copy, n, &v1);
	r2 = ref_ipv4(copy, n, &v2);
	if (r1 != r2 || (r1 && v1 != v2))
		fail_msg("'%.*s': %d %08x, the long way %d %08x", (int)n, p, r1, v1,
		    r2, v2);
	free(copy);
}

static void
test_ipv4_cases(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		uint32_t v;
	} cases[] = {
		{"0.0.0.0", true, 0}, {"1.2.3.4", true, 0x01020304},
		{"255.255.255.255", true, 0xffffffff},
		{"10.0.0.7", true, 0x0a000007},
		{"192.168.100.200", true, 0xc0a864c8},
		{"256.1.1.1", false, 0}, {"1.2.3.256", false, 0},
		{"01.2.3.4", false, 0}, {"1.2.3.04", false, 0},
		{"1.2.3", false, 0}, {"1.2.3.4.", false, 0},
		{".1.2.3.4", false, 0}, {"1..2.3", false, 0},
		{"1.2.3.4.5", false, 0}, {"1.2.3.4 ", false, 0},
		{"1.2.3.a", false, 0}, {"1234.1.1.1", false, 0},
		{"1.2.3.4567", false, 0}, {"::1", false, 0},
		{"2001:db8::1", false, 0}, {"unix:/run/x", false, 0},
		{"", false, 0}, {"1.1.1.1111111", false, 0},
		{"111.111.111.1111", false, 0}, {"1.2.3.-4", false, 0},
	};
	uint32_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);

		assert_int_equal(event_ipv4(cases[i].s, n, &v), cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(v, cases[i].v);
		same_ipv4(cases[i].s, n);
	}
	/* a NUL inside is no digit: "1.2.3.4" followed by NUL and more */
	same_ipv4("1.2.3.4\0" "5", 9);
	assert_false(event_ipv4("1.2.3\0" "4", 7, &v));
}

/* Strings near quads (digits, dots, a few others, a NUL), every length
 * 0-17, and quads of edge numbers: both readings agree on each. */
static void
test_ipv4_random(void **state)
{
	static const char alphabet[] = "0123456789........19255a :\0";
	uint64_t seed = 42;
	char buf[18];

	(void)state;
	for (int i = 0; i < 400000; i++) {
		size_t n;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (size_t)(seed >> 59) % 18;
		for (size_t k = 0; k < n; k++) {
			seed = seed * 6364136223846793005ULL +
			    1442695040888963407ULL;
			buf[k] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
		}
		same_ipv4(buf, n);
	}
	/* and every quad of parts from a list with edge values */
	static const char *const parts[] = {"0", "1", "9", "10", "99", "100",
	    "199", "200", "255", "256", "300", "999", "00", "01", "010"};
	size_t np = sizeof(parts) / sizeof(parts[0]);

	for (size_t a = 0; a < np; a++)
		for (size_t b = 0; b < np; b++)
			for (size_t c = 0; c < np; c += 3)
				for (size_t d = 0; d < np; d++) {
					int n = snprintf(buf, sizeof(buf),
					    "%s.%s.%s.%s", parts[a], parts[b],
					    parts[c], parts[d]);

					same_ipv4(buf, (size_t)n);
				}
}

/*
 * event_fill: the lengths not set (0) become strlen's, the ones set are
 * kept, the client's form is read; a length over 64 KiB stays 0 ("not
 * known"), which event_strlen answers with strlen.
 */
static void
test_fill(void **state)
{
	struct gw_attempt at[2] = {{.addr = "10.0.0.1:80"}, {.addr = NULL}};
	struct gw_event ev = {
		.client = "192.168.1.20", .method = "GET", .host = "h",
		.path = "/p", .query = "", .protocol = "HTTP/1.1",
		.request_id = "abc", .shape = "a=<text>", .attempts = at,
		.n_attempts = 2,
	};
	char *big = malloc(70001);

	(void)state;
	assert_non_null(big);
	event_fill(&ev);
	assert_int_equal(ev.client_len, 12);
	assert_int_equal(ev.method_len, 3);
	assert_int_equal(ev.host_len, 1);
	assert_int_equal(ev.path_len, 2);
	assert_int_equal(ev.query_len, 0);
	assert_int_equal(ev.protocol_len, 8);
	assert_int_equal(ev.request_id_len, 3);
	assert_int_equal(ev.shape_len, 8);
	assert_int_equal(at[0].addr_len, 11);
	assert_int_equal(at[1].addr_len, 0);
	assert_int_equal(ev.client_form, GW_CLIENT_V4);
	assert_int_equal(ev.client_v4, 0xc0a80114);

	/* no client, a long path: text, and a length not known */
	memset(big, 'a', 70000);
	big[0] = '/';
	big[70000] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.path = big;
	event_fill(&ev);
	assert_int_equal(ev.client_form, GW_CLIENT_TEXT);
	assert_int_equal(ev.path_len, 0);
	assert_int_equal(event_strlen(ev.path, ev.path_len), 70000);
	assert_int_equal(event_len(65535), 65535);
	assert_int_equal(event_len(65536), 0);

	/* a client not a canonical quad is text */
	memset(&ev, 0, sizeof(ev));
	ev.client = "10.0.0.07";
	event_fill(&ev);
	assert_int_equal(ev.client_form, GW_CLIENT_TEXT);
	assert_int_equal(ev.client_len, 9);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_cases),
		cmocka_unit_test(test_ipv4_random),
		cmocka_unit_test(test_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
