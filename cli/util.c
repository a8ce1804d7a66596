/*
 * util.c - small helpers of the front end: --since/--until times and
 * --tz zones (read by core/timeparse.c), durations, sizes, safe output.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/timeparse.h"

int
cli_local_tz(void)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	return (int)(tm.tm_gmtoff / 60);
}

/* See cli.h. The offsets are read by core/timeparse.c. */
int
cli_parse_tz(const char *s, int *tz_min)
{
	size_t n = strlen(s);

	if (strcasecmp(s, "UTC") == 0) {
		*tz_min = 0;
		return 0;
	}
	if (strcasecmp(s, "local") == 0) {
		*tz_min = cli_local_tz();
		return 0;
	}
	return n > 0 && timeparse_zone(s, n, tz_min) == n ? 0 : -1;
}

/* See cli.h. */
int
cli_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000},
		{"d", 86400 * 1000}, {"w", 7 * 86400 * 1000},
	};
	char *end;
	long long n;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		/* Up to about 290,000 years: no overflow below. */
		if (n > INT64_MAX / units[i].ms)
			return -1;
		*ms = (int64_t)n * units[i].ms;
		return 0;
	}
	return -1;
}

/* See cli.h. */
int
cli_parse_size(const char *s, int64_t *bytes)
{
	static const struct {
		const char *unit;
		int shift;
	} units[] = {
		{"", 0}, {"B", 0}, {"K", 10}, {"KB", 10}, {"KiB", 10},
		{"M", 20}, {"MB", 20}, {"MiB", 20}, {"G", 30}, {"GB", 30},
		{"GiB", 30}, {"T", 40}, {"TB", 40}, {"TiB", 40},
	};
	char *end;
	long long n;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].unit) != 0)
			continue;
		if (n > (INT64_MAX >> units[i].shift))
			return -1;
		*bytes = (int64_t)n << units[i].shift;
		return 0;
	}
	return -1;
}

/* See cli.h. Stamps are read by core/timeparse.c (its one validation). */
int
cli_parse_time(const char *s, int64_t now_ms, int64_t *ms)
{
	size_t n = strlen(s), used;
	struct timeparse t;
	int64_t age;
	int tz = 0;

	if (s[0] == '@') {
		if (n < 2 || timeparse_epoch(s + 1, n - 1, &t) != n - 1)
			return -1;
		*ms = t.ms;
		return 0;
	}
	/* An age: digits and a unit. */
	if (cli_parse_duration(s, &age) == 0) {
		*ms = now_ms - age;
		return 0;
	}
	used = timeparse_iso(s, n, TIMEPARSE_PARTIAL, &t);
	if (used == 0)
		return -1;
	/* a zone the stamp did not carry: "UTC", "local" (or an offset) */
	if (used < n && (t.has_tz || cli_parse_tz(s + used, &tz) != 0))
		return -1;
	*ms = timeparse_ms(&t, tz);
	return 0;
}


/* See cli.h. */
void
cli_json_string(FILE *f, const char *s)
{
	char safe[4096];

	safe_text(safe, sizeof(safe), s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0);
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)safe; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* True when s is a plain decimal number: [+-]digits[.digits][e[+-]digits]. */
static bool
cli_csv_number(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* See cli.h. */
bool
cli_csv_formula(const char *s)
{
	if (s == NULL || strchr("=+-@\t\r", s[0]) == NULL || s[0] == '\0')
		return false;
	return strcmp(s, "-") != 0 && !cli_csv_number(s);
}

/* See cli.h. */
void
cli_csv_field(FILE *f, const char *s)
{
	char safe[4096];
	bool formula = cli_csv_formula(s);

	safe_text(safe, sizeof(safe), s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0);
	if (!formula && strpbrk(safe, ",\"\n") == NULL) {
		fputs(safe, f);
		return;
	}
	/* OWASP: the quote that defuses a formula, inside a quoted cell. */
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *p = safe; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

/* See cli.h. */
int64_t
cli_group(const char *name)
{
	struct group *gr = getgrnam(name);
	char *end;
	long n;

	if (gr != NULL)
		return (int64_t)gr->gr_gid;
	n = strtol(name, &end, 10);
	if (end != name && *end == '\0' && n >= 0)
		return n;
	fprintf(stderr, "gatewatch: --db-group %s: no such group\n", name);
	return -1;
}
