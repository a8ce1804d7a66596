/*
 * detect.h - which format reads a log, decided from its lines: the one
 * detection loop of gatewatch, for a file's sample and for one line.
 *
 * The rule, the same for a file's first lines and for each later line:
 *
 *   1. A line that a per-line format recognises (line_format.per_line:
 *      nginx's error log, whose lines `docker logs` / compose streams
 *      interleave with the access log's) is that format's, wherever it
 *      stands. detect_line() decides this for one line; lineparse asks it
 *      for every line.
 *   2. The other non-blank lines (a trailing CR ignored) decide the
 *      file's access format: the first candidate, in priority order, that
 *      recognises more than half of them. The candidates are the
 *      registry's formats in its order (parse/formats.c: nginx's built-in
 *      log_formats first, the specific before the general, CLF last),
 *      then each log_format of the gateway's nginx.conf in file order. A
 *      line counts for a format when its match() takes it, or when its
 *      syslog tag is the format's name (HAProxy's "Proxy fe started."
 *      notices open its logs).
 *   3. The file is of the per-line format when its lines are more than
 *      half of the non-blank lines, else of the access format.
 *
 * A stray junk line (a cut first line, a banner) does not hide the
 * format; a file that is mostly something else is not taken for a log.
 */
#ifndef GW_DETECT_H
#define GW_DETECT_H

#include <stddef.h>

#include "parse/format.h"

struct detect_opts {
	struct format_opts fo;	/* how candidates are opened (tz_min) */
	const char *nginx_conf;	/* whose log_formats are candidates too;
				 * NULL: none */
};

/* An access format chosen by rule 2. */
struct detect_choice {
	const struct line_format *format;	/* NULL: none fits */
	char name[160];		/* format->name, or "NAME from CONF" */
	char *text;		/* nginx_log_format's text (malloc'd; free
				 * it), or NULL */
};

/* What a sample is. */
struct detect_result {
	const struct line_format *file;	/* rule 3; NULL: unknown */
	const struct line_format *per_line;	/* most common per-line
						 * format, or NULL */
	struct detect_choice access;		/* rule 2 */
	size_t lines, per_line_lines;		/* non-blank; of rule 1 */
};

/* The per-line format that takes this line (rule 1), or NULL. */
const struct line_format *detect_line(const char *line, size_t len);

/*
 * Decide the sample lines[0..n) (lens[i] bytes each, not NUL-terminated;
 * tags[i] the syslog tag of line i, NUL-terminated, or NULL; tags may be
 * NULL). With forced (a format the user named) rule 2 is skipped and
 * forced is the access format. Returns 0 with *r filled (free
 * r->access.text), or -1 when out of memory.
 */
int detect_sample(const char *const *lines, const size_t *lens,
    const char *const *tags, size_t n, const struct line_format *forced,
    const struct detect_opts *o, struct detect_result *r);

/*
 * Rule 2 alone over lines that rule 1 left: 1 with *c filled (free
 * c->text), 0 when no candidate fits, -1 when out of memory.
 */
int detect_access(const char *const *lines, const size_t *lens,
    const char *const *tags, size_t n, const struct detect_opts *o,
    struct detect_choice *c);

#endif
