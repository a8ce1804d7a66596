/*
 * detect.c - what kind of log a file is; see detect.h.
 *
 * Each kind counts the sample lines it accepts and a kind wins with a
 * majority of the non-empty lines, so a stray junk line (a cut first line,
 * a banner) does not hide the format, but a file that is mostly something
 * else is not taken for a log. The error log is checked first because its
 * test is a cheap prefix scan; the access-log formats are compiled once per
 * call and each line is parsed in a scratch arena reset between lines.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/arena.h"
#include "parse/detect.h"
#include "core/event.h"
#include "parse/logformat.h"
#include "parse/nginx_error.h"

/* Built-in access formats in order of preference on a tie. */
static const char *const detect_formats[] = { "upstream", "ingress-nginx",
    "apisix", "main", "combined" };

#define DETECT_NFORMATS	(sizeof(detect_formats) / sizeof(detect_formats[0]))

/* Length of a sample line without its trailing CR. */
static size_t
detect_len(const char *line, size_t len)
{
	if (line == NULL)
		return 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

/*
 * How many of the sample lines the built-in format name parses; -1 when
 * out of memory (a built-in format compiles unless memory is short).
 */
static ssize_t
detect_count_format(const char *name, const char *const *lines,
    const size_t *lens, size_t n, struct arena *a)
{
	const char *text = logformat_builtin(name);
	struct logformat *lf = NULL;
	char err[256];
	ssize_t hits = 0;

	if (text == NULL)
		return 0;
	if (logformat_compile(text, 0, &lf, err, sizeof(err)) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t len = detect_len(lines[i], lens[i]);
		struct gw_event ev = { 0 };
		const char *reason = NULL;

		if (len == 0)
			continue;
		int rc = logformat_parse(lf, lines[i], len, a, &ev, &reason);
		arena_reset(a);
		if (rc == LOGFORMAT_NOMEM) {
			hits = -1;
			break;
		}
		hits += rc == 0;
	}
	logformat_free(lf);
	return hits;
}

/* See detect.h. */
enum detect_kind
detect_lines(const char *const *lines, const size_t *lens, size_t n,
    const char **format_name)
{
	size_t nonempty = 0, errors = 0, best = 0, best_i = 0;
	struct arena *a;

	if (format_name != NULL)
		*format_name = NULL;
	if (lines == NULL || lens == NULL)
		return DETECT_UNKNOWN;
	for (size_t i = 0; i < n; i++) {
		size_t len = detect_len(lines[i], lens[i]);

		if (len == 0)
			continue;
		nonempty++;
		if (nginx_error_match(lines[i], len))
			errors++;
	}
	if (nonempty == 0)
		return DETECT_UNKNOWN;
	if (errors * 2 > nonempty)
		return DETECT_NGINX_ERROR;

	if ((a = arena_new()) == NULL)
		return DETECT_NOMEM;
	for (size_t k = 0; k < DETECT_NFORMATS; k++) {
		ssize_t hits = detect_count_format(detect_formats[k], lines,
		    lens, n, a);
		if (hits < 0) {
			arena_free(a);
			return DETECT_NOMEM;
		}
		if ((size_t)hits > best) {
			best = hits;
			best_i = k;
		}
	}
	arena_free(a);
	if (best * 2 <= nonempty)
		return DETECT_UNKNOWN;
	if (format_name != NULL)
		*format_name = detect_formats[best_i];
	return DETECT_NGINX_ACCESS;
}

/* See detect.h. */
const char *
detect_kind_name(enum detect_kind k)
{
	switch (k) {
	case DETECT_NGINX_ERROR:
		return "nginx_error";
	case DETECT_NGINX_ACCESS:
		return "nginx_access";
	default:
		return "unknown";
	}
}
