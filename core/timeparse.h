/*
 * timeparse.h - the one reader of time stamps and zone offsets, for every
 * log format and for the command line.
 *
 * Each reader takes (pointer, length), never reads past it nor needs a
 * NUL, and returns how many bytes its stamp took (0: no valid stamp
 * there), so a caller can read a stamp at the start of a line or insist
 * that a whole field is one (consumed == length). One validation for all:
 *
 *   year      1970..9999 (a gateway's log has no earlier instant; ms < 0
 *             would collide with "no time", -1); the instant itself,
 *             zone applied, not before 1970-01-01T00:00:00Z
 *   month     1..12, days of that month, 29 February in leap years of the
 *             Gregorian rule (divisible by 4, not by 100 unless by 400)
 *   time      hours 0..23, minutes 0..59, seconds 0..60 (60: a leap
 *             second, counted as the first second of the next minute)
 *   zone      Z, +hh:mm, +hhmm, +hh, within -14:00..+14:00 (the offsets in
 *             use run from -12:00 to +14:00), minutes 0..59
 *   fraction  any number of digits, truncated to milliseconds
 *
 * Conversion is a civil-calendar formula (H. Hinnant's days_from_civil):
 * no mktime(), timegm(), strptime(), locale or TZ environment, so it is
 * cheap enough for ingest's hot path (a million stamps a second).
 */
#ifndef GW_TIMEPARSE_H
#define GW_TIMEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMEPARSE_YEAR_MIN	1970
#define TIMEPARSE_YEAR_MAX	9999
#define TIMEPARSE_TZ_MAX	(14 * 60)	/* minutes either side of UTC */

/* A stamp read. */
struct timeparse {
	int64_t ms;	/* UTC ms since 1970 when has_tz, else the wall
			 * clock as if it were UTC (see timeparse_ms()) */
	int tz_min;	/* offset written, minutes east of UTC; 0 if none */
	bool has_tz;	/* the stamp named its zone */
};

/* Flags of timeparse_iso(). */
enum timeparse_flag {
	TIMEPARSE_PARTIAL = 1 << 0,	/* also "YYYY-MM-DD" and
					 * "YYYY-MM-DDTHH:MM" (the command
					 * line); seconds are 0 */
};

/*
 * UTC ms of a stamp: t->ms when it named its zone, else t->ms read in
 * default_tz_min (minutes east of UTC).
 */
int64_t timeparse_ms(const struct timeparse *t, int default_tz_min);

/*
 * Seconds since 1970 of a civil date and time read as UTC, after the
 * validation above (years, days of the month, leap years, 0..23, 0..59,
 * 0..60); false when any field is out of range.
 */
bool timeparse_civil(int y, int mon, int d, int h, int mi, int s,
    int64_t *secs);

/* True when y is a leap year of the Gregorian calendar. */
bool timeparse_leap(int y);

/* Days in month mon (1..12) of year y; 0 for a month out of range. */
int timeparse_mdays(int y, int mon);

/*
 * A zone offset: "Z"/"z", "+hh:mm", "+hhmm", "+hh" (or '-'), within
 * TIMEPARSE_TZ_MAX. Bytes taken, 0 when none.
 */
size_t timeparse_zone(const char *p, size_t n, int *tz_min);

/*
 * Common Log Format "10/Oct/2000:13:55:36 -0700" (nginx $time_local,
 * Apache %t, Traefik's CLF), also with a fraction "10/Oct/2000:13:55:36.123"
 * and without the zone (HAProxy's accept date). The zone follows one space.
 */
size_t timeparse_clf(const char *p, size_t n, struct timeparse *out);

/*
 * timeparse_clf with a memo of the last stamp read: lines of one minute
 * differ in their seconds alone, so a stamp equal to the last one but in
 * bytes 18-19 (the seconds) is answered from the memo, the seconds
 * checked and added. Same result as timeparse_clf for every input. A memo
 * is zeroed before its first use and kept by one reader (one thread).
 */
#define TIMEPARSE_MEMO_MAX	40	/* longest stamp remembered */
struct timeparse_memo {
	char key[TIMEPARSE_MEMO_MAX];	/* the stamp, seconds included */
	size_t len;			/* 0: empty */
	size_t used;			/* what timeparse_clf returned */
	int64_t secs0;			/* instant at second 0 of the minute */
	int ms;				/* its fraction */
	int tz_min;
	bool has_tz;
};
size_t timeparse_clf_memo(struct timeparse_memo *m, const char *p, size_t n,
    struct timeparse *out);

/*
 * ISO 8601 / RFC 3339 "2000-10-10T13:55:36.123+01:00": 'T', 't' or a
 * space between date and time, '.' or ',' before a fraction, zone
 * optional (then has_tz is false and the caller's default applies).
 * Flags: enum timeparse_flag.
 */
size_t timeparse_iso(const char *p, size_t n, unsigned flags,
    struct timeparse *out);

/* RFC 5424's TIMESTAMP: RFC 3339 with 'T' and a zone, at most 6 fraction
 * digits. */
size_t timeparse_rfc5424(const char *p, size_t n, struct timeparse *out);

/* nginx's error log "2026/11/25 10:15:00" (local time, no zone). */
size_t timeparse_nginx(const char *p, size_t n, struct timeparse *out);

/*
 * RFC 3164 (BSD syslog, rsyslog's traditional files, journalctl -o short)
 * "Dec  6 12:00:00", optional fraction, no year and no zone. The year is
 * the one (of ref's year and the years either side) that puts the stamp
 * nearest to ref_ms, as rsyslog does around New Year: a December stamp
 * read in January is last year's. ref_ms < 0 checks the stamp only
 * (29 February allowed) and sets out->ms to -1.
 */
size_t timeparse_rfc3164(const char *p, size_t n, int64_t ref_ms,
    struct timeparse *out);

/*
 * Seconds since 1970 with an optional fraction, "1700000000.123" (nginx
 * $msec, epoch fields): has_tz is true (an epoch is UTC). No sign, no
 * exponent, up to TIMEPARSE_YEAR_MAX.
 */
size_t timeparse_epoch(const char *p, size_t n, struct timeparse *out);

#endif
