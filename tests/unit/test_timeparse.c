/*
 * test_timeparse.c - core/timeparse.c: every stamp format the gateways
 * write, one validation (calendar, leap years, ranges, zones).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/timeparse.h"

/* 2000-10-10T13:55:36Z in ms. */
#define T0	971186136000LL

/* Whole-string readers, so a test states what a full field gives. */
static bool
clf(const char *s, struct timeparse *t)
{
	size_t n = timeparse_clf(s, strlen(s), t);

	return n > 0 && n == strlen(s);
}

static bool
iso(const char *s, unsigned flags, struct timeparse *t)
{
	size_t n = timeparse_iso(s, strlen(s), flags, t);

	return n > 0 && n == strlen(s);
}

static void
test_clf(void **state)
{
	struct timeparse t;

	(void)state;
	assert_true(clf("10/Oct/2000:13:55:36 -0700", &t));
	assert_int_equal(t.ms, T0 + 7 * 3600000LL);
	assert_int_equal(t.tz_min, -420);
	assert_true(t.has_tz);
	assert_true(clf("10/Oct/2000:13:55:36 +0000", &t));
	assert_int_equal(t.ms, T0);
	assert_true(clf("10/Oct/2000:13:55:36 +05:30", &t));
	assert_int_equal(t.tz_min, 330);
	/* HAProxy's accept date: ms, no zone (the caller's default) */
	assert_true(clf("10/Oct/2000:13:55:36.123", &t));
	assert_int_equal(t.ms, T0 + 123);
	assert_false(t.has_tz);
	assert_int_equal(timeparse_ms(&t, 60), T0 + 123 - 3600000LL);
	assert_int_equal(timeparse_ms(&t, 0), T0 + 123);
	/* a stamp at the start of a longer field: bytes taken */
	assert_int_equal(timeparse_clf("10/Oct/2000:13:55:36 x", 22, &t), 20);
	/* bad month name, bad digits, cut, bad separator */
	assert_false(clf("10/Foo/2000:13:55:36 +0000", &t));
	assert_false(clf("1x/Oct/2000:13:55:36 +0000", &t));
	assert_false(clf("10/Oct/2000:13:55:3", &t));
	assert_false(clf("10-Oct-2000:13:55:36 +0000", &t));
	assert_false(clf("10/oct/2000:13:55:36 +0000", &t));
	assert_false(clf("10/Oct/2000:13:55:36.", &t));
	/* a zone out of range is not taken */
	assert_int_equal(timeparse_clf("10/Oct/2000:13:55:36 +1500", 26, &t),
	    20);
}

static void
test_iso(void **state)
{
	struct timeparse t;

	(void)state;
	assert_true(iso("2000-10-10T13:55:36Z", 0, &t));
	assert_int_equal(t.ms, T0);
	assert_true(t.has_tz);
	assert_true(iso("2000-10-10T13:55:36z", 0, &t));
	assert_true(iso("2000-10-10T14:55:36+01:00", 0, &t));
	assert_int_equal(t.ms, T0);
	assert_int_equal(t.tz_min, 60);
	assert_true(iso("2000-10-10T06:55:36-0700", 0, &t));
	assert_int_equal(t.ms, T0);
	assert_true(iso("2000-10-10T15:55:36+02", 0, &t));
	assert_int_equal(t.ms, T0);
	assert_true(iso("2000-10-10 13:55:36.5Z", 0, &t));
	assert_int_equal(t.ms, T0 + 500);
	assert_true(iso("2000-10-10T13:55:36,25Z", 0, &t));
	assert_int_equal(t.ms, T0 + 250);
	/* nanoseconds (Go, Envoy): truncated to ms */
	assert_true(iso("2000-10-10T13:55:36.123456789Z", 0, &t));
	assert_int_equal(t.ms, T0 + 123);
	/* no zone: the caller's default */
	assert_true(iso("2000-10-10T13:55:36.042", 0, &t));
	assert_false(t.has_tz);
	assert_int_equal(t.ms, T0 + 42);
	assert_int_equal(timeparse_ms(&t, -60), T0 + 42 + 3600000LL);
	/* date only and no seconds: only when partial forms are asked for */
	assert_false(iso("2000-10-10", 0, &t));
	assert_false(iso("2000-10-10T13:55Z", 0, &t));
	assert_true(iso("2000-10-10", TIMEPARSE_PARTIAL, &t));
	assert_int_equal(t.ms, T0 - (13 * 3600 + 55 * 60 + 36) * 1000LL);
	assert_true(iso("2000-10-10T13:55+00:00", TIMEPARSE_PARTIAL, &t));
	assert_int_equal(t.ms, T0 - 36000);
	/* garbage */
	assert_false(iso("2000-10-10X13:55:36Z", 0, &t));
	assert_false(iso("2000/10/10T13:55:36Z", 0, &t));
	assert_false(iso("2000-10-10T13:55:36.Z", 0, &t));
	assert_false(iso("2000-10-10T1a:55:36Z", 0, &t));
	assert_false(iso("", 0, &t));
	assert_false(iso("2000-10-10T13:55:36+0", 0, &t));
}

static void
test_rfc5424(void **state)
{
	struct timeparse t;
	const char *s;

	(void)state;
	s = "2000-10-10T13:55:36.123456Z";
	assert_int_equal(timeparse_rfc5424(s, strlen(s), &t), strlen(s));
	assert_int_equal(t.ms, T0 + 123);
	s = "2000-10-10T15:55:36+02:00";
	assert_int_equal(timeparse_rfc5424(s, strlen(s), &t), strlen(s));
	assert_int_equal(t.ms, T0);
	/* no zone, 7 fraction digits, a space: not RFC 5424 */
	s = "2000-10-10T13:55:36";
	assert_int_equal(timeparse_rfc5424(s, strlen(s), &t), 0);
	s = "2000-10-10T13:55:36.1234567Z";
	assert_int_equal(timeparse_rfc5424(s, strlen(s), &t), 0);
	s = "2000-10-10 13:55:36Z";
	assert_int_equal(timeparse_rfc5424(s, strlen(s), &t), 0);
}

static void
test_nginx(void **state)
{
	struct timeparse t;
	const char *s = "2000/10/10 13:55:36 [error] 1#1: x";

	(void)state;
	assert_int_equal(timeparse_nginx(s, strlen(s), &t), 19);
	assert_int_equal(t.ms, T0);
	assert_false(t.has_tz);
	assert_int_equal(timeparse_nginx("2000/10/10 13:55:3", 18, &t), 0);
	assert_int_equal(timeparse_nginx("2000/13/10 13:55:36", 19, &t), 0);
	assert_int_equal(timeparse_nginx("2023/02/29 13:55:36", 19, &t), 0);
	assert_int_equal(timeparse_nginx("2024/02/29 13:55:36", 19, &t), 19);
}

static void
test_rfc3164(void **state)
{
	struct timeparse t;
	/* 2026-12-06T12:00:00Z */
	int64_t dec6 = 1796558400000LL;
	/* 2027-01-02T00:00:00Z */
	int64_t jan2 = 1798848000000LL;

	(void)state;
	assert_int_equal(timeparse_rfc3164("Dec  6 12:00:00 host", 20, dec6,
	    &t), 15);
	assert_int_equal(t.ms, dec6);
	assert_false(t.has_tz);
	assert_int_equal(timeparse_rfc3164("Dec 06 12:00:00", 15, dec6, &t),
	    15);
	assert_int_equal(t.ms, dec6);
	/* around New Year: a December stamp read in January is last year's */
	assert_int_equal(timeparse_rfc3164("Dec 31 23:59:59", 15, jan2, &t),
	    15);
	assert_int_equal(t.ms, jan2 - 24 * 3600000LL - 1000);
	/* ... and a January stamp read on 31 December is next year's */
	assert_int_equal(timeparse_rfc3164("Jan  1 00:00:01", 15,
	    jan2 - 36 * 3600000LL, &t), 15);
	assert_int_equal(t.ms, jan2 - 24 * 3600000LL + 1000);
	/* fraction (rsyslog high precision off, but some write one) */
	assert_int_equal(timeparse_rfc3164("Dec  6 12:00:00.250", 19, dec6,
	    &t), 19);
	assert_int_equal(t.ms, dec6 + 250);
	/* 29 February: only in a leap year near the reference */
	assert_int_equal(timeparse_rfc3164("Feb 29 12:00:00", 15,
	    1709208000000LL /* 2024-02-29T12Z */, &t), 15);
	assert_int_equal(t.ms, 1709208000000LL);
	assert_int_equal(timeparse_rfc3164("Feb 29 12:00:00", 15,
	    1677672000000LL /* 2023-03-01T12Z */, &t), 15);
	assert_int_equal(t.ms, 1709208000000LL);	/* 2024, the nearest */
	assert_int_equal(timeparse_rfc3164("Feb 29 12:00:00", 15,
	    1646136000000LL /* 2022-03-01T12Z: 2021..2023 */, &t), 0);
	/* no reference: checked only */
	assert_int_equal(timeparse_rfc3164("Feb 29 12:00:00", 15, -1, &t), 15);
	assert_int_equal(t.ms, -1);
	assert_int_equal(timeparse_rfc3164("Feb 30 12:00:00", 15, -1, &t), 0);
	assert_int_equal(timeparse_rfc3164("Dec  6 24:00:00", 15, -1, &t), 0);
	assert_int_equal(timeparse_rfc3164("Dek  6 12:00:00", 15, -1, &t), 0);
	assert_int_equal(timeparse_rfc3164("Dec  6 12:00:0", 14, -1, &t), 0);
}

static void
test_epoch(void **state)
{
	struct timeparse t;

	(void)state;
	assert_int_equal(timeparse_epoch("971186136.123", 13, &t), 13);
	assert_int_equal(t.ms, T0 + 123);
	assert_true(t.has_tz);
	assert_int_equal(timeparse_epoch("971186136", 9, &t), 9);
	assert_int_equal(t.ms, T0);
	assert_int_equal(timeparse_epoch("971186136.1", 11, &t), 11);
	assert_int_equal(t.ms, T0 + 100);
	assert_int_equal(timeparse_epoch("971186136.1239", 14, &t), 14);
	assert_int_equal(t.ms, T0 + 123);
	assert_int_equal(timeparse_epoch("-1", 2, &t), 0);
	assert_int_equal(timeparse_epoch("", 0, &t), 0);
	assert_int_equal(timeparse_epoch("971186136.", 10, &t), 0);
	assert_int_equal(timeparse_epoch("253402300799", 12, &t), 12);
	assert_int_equal(timeparse_epoch("253402300800", 12, &t), 0);
	assert_int_equal(timeparse_epoch("9999999999999", 13, &t), 0);
}

/* The one validation, through every reader. */
static void
test_calendar(void **state)
{
	struct timeparse t;
	int64_t s;

	(void)state;
	assert_true(iso("2024-02-29T00:00:00Z", 0, &t));
	assert_false(iso("2023-02-29T00:00:00Z", 0, &t));
	assert_true(iso("2000-02-29T00:00:00Z", 0, &t));	/* by 400 */
	assert_false(iso("2100-02-29T00:00:00Z", 0, &t));	/* by 100 */
	assert_false(iso("2024-04-31T00:00:00Z", 0, &t));
	assert_true(iso("2024-04-30T00:00:00Z", 0, &t));
	assert_false(iso("2024-02-30T00:00:00Z", 0, &t));
	assert_false(iso("2024-00-10T00:00:00Z", 0, &t));
	assert_false(iso("2024-13-10T00:00:00Z", 0, &t));
	assert_false(iso("2024-01-00T00:00:00Z", 0, &t));
	assert_false(iso("2024-01-32T00:00:00Z", 0, &t));
	assert_false(iso("2024-01-10T24:00:00Z", 0, &t));
	assert_false(iso("2024-01-10T23:60:00Z", 0, &t));
	assert_false(iso("2024-01-10T23:59:61Z", 0, &t));
	/* a leap second: the first second of the next minute */
	assert_true(iso("2016-12-31T23:59:60Z", 0, &t));
	assert_int_equal(t.ms, 1483228800000LL);
	assert_false(clf("29/Feb/2023:13:55:36 +0000", &t));
	assert_true(clf("29/Feb/2024:13:55:36 +0000", &t));
	assert_false(clf("31/Apr/2024:13:55:36 +0000", &t));
	assert_false(clf("31/Feb/2000:13:55:36 +0000", &t));
	assert_false(clf("10/Oct/2000:24:00:00 +0000", &t));

	/* years */
	assert_true(iso("1970-01-01T00:00:00Z", 0, &t));
	assert_int_equal(t.ms, 0);
	assert_false(iso("1969-12-31T23:59:59Z", 0, &t));
	assert_false(iso("0000-01-01T00:00:00Z", 0, &t));
	assert_true(iso("9999-12-31T23:59:59.999Z", 0, &t));
	assert_int_equal(t.ms, 253402300799999LL);
	/* the instant before 1970 once the zone is applied */
	assert_false(iso("1970-01-01T00:30:00+01:00", 0, &t));
	assert_false(iso("9999-12-31T23:30:00-01:00", 0, &t));

	assert_true(timeparse_civil(1970, 1, 1, 0, 0, 0, &s));
	assert_int_equal(s, 0);
	assert_true(timeparse_civil(2000, 10, 10, 13, 55, 36, &s));
	assert_int_equal(s * 1000, T0);
	assert_false(timeparse_civil(2000, 10, 10, -1, 55, 36, &s));
	assert_true(timeparse_leap(2024));
	assert_false(timeparse_leap(1900));
	assert_int_equal(timeparse_mdays(2023, 2), 28);
	assert_int_equal(timeparse_mdays(2024, 2), 29);
	assert_int_equal(timeparse_mdays(2024, 13), 0);
}

static void
test_zone(void **state)
{
	int tz;

	(void)state;
	assert_int_equal(timeparse_zone("Z", 1, &tz), 1);
	assert_int_equal(tz, 0);
	assert_int_equal(timeparse_zone("+14:00", 6, &tz), 6);
	assert_int_equal(tz, 840);
	assert_int_equal(timeparse_zone("-14:00", 6, &tz), 6);
	assert_int_equal(tz, -840);
	assert_int_equal(timeparse_zone("-1200", 5, &tz), 5);
	assert_int_equal(tz, -720);
	assert_int_equal(timeparse_zone("+0545", 5, &tz), 5);
	assert_int_equal(tz, 345);
	assert_int_equal(timeparse_zone("+05", 3, &tz), 3);
	assert_int_equal(tz, 300);
	assert_int_equal(timeparse_zone("+14:01", 6, &tz), 0);
	assert_int_equal(timeparse_zone("-1500", 5, &tz), 0);
	assert_int_equal(timeparse_zone("+01:60", 6, &tz), 0);
	assert_int_equal(timeparse_zone("+1", 2, &tz), 0);
	assert_int_equal(timeparse_zone("01:00", 5, &tz), 0);
	assert_int_equal(timeparse_zone("", 0, &tz), 0);
	/* "+01:" takes the hours only; the caller sees the rest */
	assert_int_equal(timeparse_zone("+01:", 4, &tz), 3);
}

/*
 * timeparse_clf_memo gives what timeparse_clf gives, whatever came before:
 * stamps of one minute (the memo's answers), their edges (second 60 and
 * 61, the first and last instants, a zone pushing past either), fractions,
 * no zone, trailing bytes, and random mutations of each at every byte.
 */
static void
test_clf_memo(void **state)
{
	static const char *const stamps[] = {
		"10/Oct/2000:13:55:36 -0700", "10/Oct/2000:13:55:00 -0700",
		"10/Oct/2000:13:55:59 -0700", "10/Oct/2000:13:55:60 -0700",
		"10/Oct/2000:13:55:61 -0700", "10/Oct/2000:13:55:99 -0700",
		"10/Oct/2000:13:56:07 -0700", "10/Oct/2000:13:55:36 +0000",
		"10/Oct/2000:13:55:36.5", "10/Oct/2000:13:55:37.123456 +0100",
		"10/Oct/2000:13:55:36", "10/Oct/2000:13:55:3x +0000",
		"10/Oct/2000:13:55:36 x", "01/Jan/1970:00:00:00 +0000",
		"01/Jan/1970:00:00:30 +0001", "01/Jan/1970:00:00:59 +0001",
		"01/Jan/1970:00:01:00 +0001", "01/Jan/1970:00:00:00 -0001",
		"31/Dec/9999:23:59:59 +0000", "31/Dec/9999:23:59:00 -0001",
		"31/Dec/9999:23:59:60 +0000", "31/Dec/9999:23:59:58 +0000",
		"29/Feb/2023:13:55:36 +0000", "29/Feb/2024:13:55:36 +0000",
		"10/Oct/2000:13:55:36 +05:30", "10/Oct/2000:13:55:36 +1500",
		"10/Oct/2000:13:55:36 +0000 and more bytes past the memo",
		"10/Oct/2000:13:55:", "",
	};
	const size_t n_stamps = sizeof(stamps) / sizeof(stamps[0]);
	static const char bytes[] = "0123456789:/ +-.xZJ";
	struct timeparse_memo m;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (int round = 0; round < 200000; round++) {
		char s[64];
		size_t n;
		struct timeparse a, b;
		size_t ra, rb;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		n = strlen(stamps[rng % n_stamps]);
		memcpy(s, stamps[rng % n_stamps], n);
		/* the seconds most often, any byte now and then */
		if (n > 19 && (rng >> 8) % 2 == 0) {
			s[18] = (char)('0' + (rng >> 12) % 7);
			s[19] = (char)('0' + (rng >> 16) % 10);
		}
		if (n > 0 && (rng >> 20) % 8 == 0)
			s[(rng >> 24) % n] = bytes[(rng >> 32) %
			    (sizeof(bytes) - 1)];
		memset(&a, 0x5a, sizeof(a));
		memset(&b, 0x5a, sizeof(b));
		ra = timeparse_clf(s, n, &a);
		rb = timeparse_clf_memo(&m, s, n, &b);
		assert_int_equal(ra, rb);
		if (ra > 0) {
			assert_int_equal(a.ms, b.ms);
			assert_int_equal(a.tz_min, b.tz_min);
			assert_int_equal(a.has_tz, b.has_tz);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clf),
		cmocka_unit_test(test_clf_memo),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_rfc5424),
		cmocka_unit_test(test_nginx),
		cmocka_unit_test(test_rfc3164),
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
