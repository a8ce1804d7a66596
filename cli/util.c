/*
 * util.c - small helpers of the front end: --since/--until times and
 * --tz zones (read by core/timeparse.c), UTC text (cli_utc, the one
 * formatter), durations and sizes (one reader of a number and its unit),
 * the default database.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/floordiv.h"
#include "core/timeparse.h"
#include "store/store.h"

/* See cli.h. */
const char *
cli_default_db(void)
{
	const char *env = getenv("GATEWATCH_DB");

	return env != NULL ? env : GW_DEFAULT_DB;
}

/* See cli.h. */
void
cli_blocks_from_env(struct store *st, bool dflt)
{
	const char *v = getenv("GW_INGEST_BLOCKS");

	if (v != NULL && strcmp(v, "1") == 0)
		dflt = true;
	else if (v != NULL && strcmp(v, "0") == 0)
		dflt = false;
	store_set_blocks(st, dflt);
}

/* See cli.h. */
void
cli_note_upgrade(const char *cmd, const char *db, struct store *st)
{
	char shown[512];
	int from = store_upgraded_from(st);

	if (from <= 0)
		return;
	safe_text(shown, sizeof(shown), db, strlen(db));
	fprintf(stderr, "gatewatch %s: %s: upgraded from schema version %d "
	    "(an older gatewatch's) to %d\n", cmd, shown, from,
	    store_schema_version(st));
}

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

/* A unit of a number with one: its name and what one of it is worth. */
struct cli_unit {
	const char *name;
	int64_t scale;
};

/*
 * Digits and one of units (name compared exactly, or in any case when
 * nocase) into *v = digits * scale. The one reader of "90m" and "500M".
 * 0, or -1 when s is not that or the product overflows.
 */
static int
cli_parse_scaled(const char *s, const struct cli_unit *units, size_t n,
    bool nocase, int64_t *v)
{
	char *end;
	long long digits;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	digits = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((nocase ? strcasecmp(end, units[i].name) :
		    strcmp(end, units[i].name)) != 0)
			continue;
		if (digits > INT64_MAX / units[i].scale)
			return -1;
		*v = (int64_t)digits * units[i].scale;
		return 0;
	}
	return -1;
}

/* See cli.h. */
int
cli_parse_duration(const char *s, int64_t *ms)
{
	static const struct cli_unit units[] = {
		{"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000},
		{"d", 86400 * 1000}, {"w", 7 * 86400 * 1000},
	};

	return cli_parse_scaled(s, units, sizeof(units) / sizeof(units[0]),
	    false, ms);
}

/* See cli.h. */
int
cli_parse_size(const char *s, int64_t *bytes)
{
	static const struct cli_unit units[] = {
		{"", 1}, {"B", 1}, {"K", 1LL << 10}, {"KB", 1LL << 10},
		{"KiB", 1LL << 10}, {"M", 1LL << 20}, {"MB", 1LL << 20},
		{"MiB", 1LL << 20}, {"G", 1LL << 30}, {"GB", 1LL << 30},
		{"GiB", 1LL << 30}, {"T", 1LL << 40}, {"TB", 1LL << 40},
		{"TiB", 1LL << 40},
	};

	return cli_parse_scaled(s, units, sizeof(units) / sizeof(units[0]),
	    true, bytes);
}

/* See cli.h. */
const char *
cli_utc(int64_t ms, enum cli_utc_form form, char *buf, size_t size)
{
	/* Whole seconds rounded down, so a time before 1970 reads right. */
	int64_t sec = floor_div(ms, 1000);
	int frac = (int)(ms - sec * 1000);
	time_t t = (time_t)sec;
	struct tm tm;
	char base[48];

	size_t len = 0;

	if (gmtime_r(&t, &tm) != NULL) {
		switch (form) {
		case CLI_UTC_MINUTE:
			len = strftime(base, sizeof(base), "%Y-%m-%dT%H:%MZ",
			    &tm);
			break;
		case CLI_UTC_SECOND:
			len = strftime(base, sizeof(base),
			    "%Y-%m-%dT%H:%M:%SZ", &tm);
			break;
		case CLI_UTC_MS:
			len = strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S",
			    &tm);
			break;
		case CLI_UTC_WALL:
			len = strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S",
			    &tm);
			break;
		}
	}
	if (len == 0)
		snprintf(buf, size, "@%" PRId64, sec);
	else if (form == CLI_UTC_MS)
		snprintf(buf, size, "%s.%03dZ", base, frac);
	else
		snprintf(buf, size, "%s", base);
	return buf;
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
