/*
 * timeparse.c - time stamps and zone offsets; see timeparse.h.
 *
 * Every reader scans fixed-width digit fields with bounds checked up
 * front, hands the fields to timeparse_civil() (the one validation) and
 * applies a zone read by timeparse_zone() (the one zone reader). Nothing
 * here allocates, calls the C library's time functions or reads the
 * environment.
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "core/timeparse.h"

/* Seconds of 9999-12-31T23:59:59Z, the last instant accepted. */
#define TP_SECS_MAX	253402300799LL

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant). */
static int64_t
tp_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil year of a day count from 1970-01-01 (H. Hinnant). */
static int64_t
tp_year_of_days(int64_t z)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/* n decimal digits at p (the caller checked n bytes are there); -1 when
 * one is not a digit. */
static int
tp_num(const char *p, int n)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return -1;
		x = x * 10 + (int)d;
	}
	return x;
}

/* Month 1..12 of a three-letter English name at p (3 bytes); 0 if none.
 * One switch on the three bytes: a jump or a short search, no loop. */
static int
tp_month(const char *p)
{
#define TP_M(a, b, c)	((unsigned)(a) << 16 | (unsigned)(b) << 8 | (unsigned)(c))
	switch (TP_M((unsigned char)p[0], (unsigned char)p[1],
	    (unsigned char)p[2])) {
	case TP_M('J', 'a', 'n'): return 1;
	case TP_M('F', 'e', 'b'): return 2;
	case TP_M('M', 'a', 'r'): return 3;
	case TP_M('A', 'p', 'r'): return 4;
	case TP_M('M', 'a', 'y'): return 5;
	case TP_M('J', 'u', 'n'): return 6;
	case TP_M('J', 'u', 'l'): return 7;
	case TP_M('A', 'u', 'g'): return 8;
	case TP_M('S', 'e', 'p'): return 9;
	case TP_M('O', 'c', 't'): return 10;
	case TP_M('N', 'o', 'v'): return 11;
	case TP_M('D', 'e', 'c'): return 12;
	default: return 0;
	}
#undef TP_M
}

/*
 * A fraction at p[*i] ("." or, when comma, ","; then digits) as ms,
 * digits past the third dropped; advances *i. Up to max_digits digits
 * (0: any); -1 when a separator has no digit or too many follow.
 */
static int
tp_frac(const char *p, size_t n, size_t *i, bool comma, int max_digits)
{
	int ms = 0, fd = 0;
	size_t j = *i;

	if (j >= n || !(p[j] == '.' || (comma && p[j] == ',')))
		return 0;
	for (j++; j < n && p[j] >= '0' && p[j] <= '9'; j++, fd++)
		if (fd < 3)
			ms = ms * 10 + (p[j] - '0');
	if (fd == 0 || (max_digits > 0 && fd > max_digits))
		return -1;
	for (int k = fd; k < 3; k++)
		ms *= 10;
	*i = j;
	return ms;
}

/* See timeparse.h. */
bool
timeparse_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* See timeparse.h. */
int
timeparse_mdays(int y, int mon)
{
	static const unsigned char mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mon < 1 || mon > 12)
		return 0;
	return mdays[mon - 1] + (mon == 2 && timeparse_leap(y));
}

/* See timeparse.h. */
bool
timeparse_civil(int y, int mon, int d, int h, int mi, int s, int64_t *secs)
{
	if (y < TIMEPARSE_YEAR_MIN || y > TIMEPARSE_YEAR_MAX || d < 1 ||
	    d > timeparse_mdays(y, mon) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 60)
		return false;
	*secs = tp_days(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

/* See timeparse.h. */
int64_t
timeparse_ms(const struct timeparse *t, int default_tz_min)
{
	return t->has_tz ? t->ms : t->ms - (int64_t)default_tz_min * 60000;
}

/* See timeparse.h. */
size_t
timeparse_zone(const char *p, size_t n, int *tz_min)
{
	int h, m = 0, sign;
	size_t i;

	if (n >= 1 && (p[0] == 'Z' || p[0] == 'z')) {
		*tz_min = 0;
		return 1;
	}
	if (n < 3 || (p[0] != '+' && p[0] != '-'))
		return 0;
	sign = p[0] == '-' ? -1 : 1;
	if ((h = tp_num(p + 1, 2)) < 0)
		return 0;
	i = 3;
	if (n >= 6 && p[3] == ':' && (m = tp_num(p + 4, 2)) >= 0)
		i = 6;
	else if (n >= 5 && (m = tp_num(p + 3, 2)) >= 0)
		i = 5;
	else
		m = 0;
	if (m > 59 || h * 60 + m > TIMEPARSE_TZ_MAX)
		return 0;
	*tz_min = sign * (h * 60 + m);
	return i;
}

/*
 * Finish a stamp: validate the fields, add ms, apply the zone (when
 * has_tz) and check the instant. Returns used, or 0 when invalid.
 */
static size_t
tp_make(int y, int mon, int d, int h, int mi, int s, int ms, int tz_min,
    bool has_tz, size_t used, struct timeparse *out)
{
	int64_t secs;

	if (ms < 0 || !timeparse_civil(y, mon, d, h, mi, s, &secs))
		return 0;
	if (has_tz)
		secs -= (int64_t)tz_min * 60;
	if (secs < 0 || secs > TP_SECS_MAX)
		return 0;
	out->ms = secs * 1000 + ms;
	out->tz_min = has_tz ? tz_min : 0;
	out->has_tz = has_tz;
	return used;
}

/* See timeparse.h. */
size_t
timeparse_clf(const char *p, size_t n, struct timeparse *out)
{
	size_t i = 20, z;
	int ms, tz = 0;
	bool has_tz = false;

	/* 10/Oct/2000:13:55:36 */
	if (n < 20 || p[2] != '/' || p[6] != '/' || p[11] != ':' ||
	    p[14] != ':' || p[17] != ':')
		return 0;
	if ((ms = tp_frac(p, n, &i, false, 0)) < 0)
		return 0;
	if (i + 1 < n && p[i] == ' ' && (p[i + 1] == '+' ||
	    p[i + 1] == '-' || p[i + 1] == 'Z') &&
	    (z = timeparse_zone(p + i + 1, n - i - 1, &tz)) > 0) {
		i += 1 + z;
		has_tz = true;
	}
	return tp_make(tp_num(p + 7, 4), tp_month(p + 3), tp_num(p, 2),
	    tp_num(p + 12, 2), tp_num(p + 15, 2), tp_num(p + 18, 2), ms, tz,
	    has_tz, i, out);
}

/*
 * True when the n bytes (20 <= n <= TIMEPARSE_MEMO_MAX) at p and key are
 * the same but for bytes 18 and 19 (a CLF stamp's seconds): the stamp of
 * $time_local (26 bytes) in four word compares, not two calls to memcmp.
 */
static inline bool
tp_same_but_seconds(const char *p, const char *key, size_t n)
{
	uint64_t a, b, c, x, y, z;
	uint16_t e, f;

	if (n != 26)
		return memcmp(p, key, 18) == 0 &&
		    memcmp(p + 20, key + 20, n - 20) == 0;
	memcpy(&a, p, 8);
	memcpy(&x, key, 8);
	memcpy(&b, p + 8, 8);
	memcpy(&y, key + 8, 8);
	memcpy(&e, p + 16, 2);
	memcpy(&f, key + 16, 2);
	memcpy(&c, p + 18, 8);
	memcpy(&z, key + 18, 8);
	/* bytes 20..25: the last six of the word at 18 */
	return ((a ^ x) | (b ^ y) | (uint64_t)(e ^ f) |
	    ((c ^ z) & le64toh(~(uint64_t)0xffff))) == 0;
}

/* See timeparse.h. */
size_t
timeparse_clf_memo(struct timeparse_memo *m, const char *p, size_t n,
    struct timeparse *out)
{
	unsigned d1, d0;
	size_t used;

	if (n < 20 || n > TIMEPARSE_MEMO_MAX)
		return timeparse_clf(p, n, out);
	d1 = (unsigned char)p[18] - '0';
	d0 = (unsigned char)p[19] - '0';
	if (d1 > 9 || d0 > 9)
		return timeparse_clf(p, n, out);
	if (m->len == n && tp_same_but_seconds(p, m->key, n)) {
		/* the seconds alone differ: timeparse_civil's 0..60 and
		 * tp_make's range, on an instant linear in them */
		int64_t secs = m->secs0 + (int64_t)(d1 * 10 + d0);

		if (d1 * 10 + d0 > 60 || secs < 0 || secs > TP_SECS_MAX)
			return 0;
		out->ms = secs * 1000 + m->ms;
		out->tz_min = m->tz_min;
		out->has_tz = m->has_tz;
		return m->used;
	}
	if ((used = timeparse_clf(p, n, out)) == 0)
		return 0;
	memcpy(m->key, p, n);
	m->len = n;
	m->used = used;
	m->ms = (int)(out->ms % 1000);
	m->secs0 = out->ms / 1000 - (int64_t)(d1 * 10 + d0);
	m->tz_min = out->tz_min;
	m->has_tz = out->has_tz;
	return used;
}

/* ISO 8601 with RFC 5424's limits when strict. */
static size_t
tp_iso(const char *p, size_t n, unsigned flags, bool strict,
    struct timeparse *out)
{
	size_t i, z;
	int h = 0, mi = 0, s = 0, ms = 0, tz = 0;
	bool has_tz = false;

	/* 2000-10-10 */
	if (n < 10 || p[4] != '-' || p[7] != '-')
		return 0;
	i = 10;
	if (n >= 16 && (p[10] == 'T' || (!strict && (p[10] == 't' ||
	    p[10] == ' '))) && p[13] == ':') {
		/* T13:55[:36[.123]] */
		if ((h = tp_num(p + 11, 2)) < 0 || (mi = tp_num(p + 14, 2)) < 0)
			return 0;
		i = 16;
		if (n >= 19 && p[16] == ':') {
			if ((s = tp_num(p + 17, 2)) < 0)
				return 0;
			i = 19;
			if ((ms = tp_frac(p, n, &i, !strict,
			    strict ? 6 : 0)) < 0)
				return 0;
		} else if (!(flags & TIMEPARSE_PARTIAL))
			return 0;
		if (i < n && (z = timeparse_zone(p + i, n - i, &tz)) > 0 &&
		    !(strict && (p[i] == 'z' || z == 3))) {
			i += z;
			has_tz = true;
		}
	} else if (!(flags & TIMEPARSE_PARTIAL))
		return 0;
	if (strict && !has_tz)
		return 0;
	return tp_make(tp_num(p, 4), tp_num(p + 5, 2), tp_num(p + 8, 2), h,
	    mi, s, ms, tz, has_tz, i, out);
}

/* See timeparse.h. */
size_t
timeparse_iso(const char *p, size_t n, unsigned flags,
    struct timeparse *out)
{
	return tp_iso(p, n, flags, false, out);
}

/* See timeparse.h. */
size_t
timeparse_rfc5424(const char *p, size_t n, struct timeparse *out)
{
	return tp_iso(p, n, 0, true, out);
}

/* See timeparse.h. */
size_t
timeparse_nginx(const char *p, size_t n, struct timeparse *out)
{
	/* 2026/11/25 10:15:00 */
	if (n < 19 || p[4] != '/' || p[7] != '/' || p[10] != ' ' ||
	    p[13] != ':' || p[16] != ':')
		return 0;
	return tp_make(tp_num(p, 4), tp_num(p + 5, 2), tp_num(p + 8, 2),
	    tp_num(p + 11, 2), tp_num(p + 14, 2), tp_num(p + 17, 2), 0, 0,
	    false, 19, out);
}

/* See timeparse.h. */
size_t
timeparse_rfc3164(const char *p, size_t n, int64_t ref_ms,
    struct timeparse *out)
{
	size_t i = 15;
	int mon, d, h, mi, s, ms;
	int64_t ref_year, best = -1, best_dist = 0;

	/* Dec  6 12:00:00 */
	if (n < 15 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' ||
	    p[12] != ':')
		return 0;
	mon = tp_month(p);
	d = p[4] == ' ' ? tp_num(p + 5, 1) : tp_num(p + 4, 2);
	h = tp_num(p + 7, 2);
	mi = tp_num(p + 10, 2);
	s = tp_num(p + 13, 2);
	if ((ms = tp_frac(p, n, &i, false, 0)) < 0 || mon == 0 || d < 1 ||
	    h < 0 || mi < 0 || s < 0)
		return 0;
	if (ref_ms < 0) {
		/* no year: a leap year's days, so 29 February passes */
		if (!tp_make(2000, mon, d, h, mi, s, ms, 0, false, i, out))
			return 0;
		out->ms = -1;
		return i;
	}
	ref_year = tp_year_of_days(ref_ms / 86400000);
	for (int64_t y = ref_year - 1; y <= ref_year + 1; y++) {
		struct timeparse t;
		int64_t dist;

		if (y < TIMEPARSE_YEAR_MIN || y > TIMEPARSE_YEAR_MAX ||
		    !tp_make((int)y, mon, d, h, mi, s, ms, 0, false, i, &t))
			continue;
		dist = t.ms > ref_ms ? t.ms - ref_ms : ref_ms - t.ms;
		if (best < 0 || dist < best_dist) {
			best = t.ms;
			best_dist = dist;
		}
	}
	if (best < 0)
		return 0;
	out->ms = best;
	out->tz_min = 0;
	out->has_tz = false;
	return i;
}

/* See timeparse.h. */
size_t
timeparse_epoch(const char *p, size_t n, struct timeparse *out)
{
	size_t i = 0;
	int64_t secs = 0;
	int ms;

	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (i >= 12)
			return 0;
		secs = secs * 10 + (p[i] - '0');
	}
	if (i == 0 || secs > TP_SECS_MAX)
		return 0;
	if ((ms = tp_frac(p, n, &i, false, 0)) < 0)
		return 0;
	out->ms = secs * 1000 + ms;
	out->tz_min = 0;
	out->has_tz = true;
	return i;
}
