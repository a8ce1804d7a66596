/*
 * lineparse.h - one parser for one input, whatever its format.
 *
 * Decides from a file's first lines (or from the user's --format /
 * --log-format) what the input is, then turns each line into the records of
 * a batch: a request, a gateway error-log line, nothing (a notice or a blank
 * line), or a reject with its reason. `ingest` and `tail` both read lines
 * through this, so a line means the same whichever way it arrives.
 */
#ifndef GW_LINEPARSE_H
#define GW_LINEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "parse/wrapper.h"

struct lineparse_opts {
	const char *format;	/* NULL or "auto", or a format name */
	const char *log_format;	/* user's nginx log_format text, or NULL */
	int tz_min;		/* zone for times that carry none */
	const char *haproxy_cfg;	/* --haproxy-cfg, or NULL */
	const char *nginx_conf;	/* whose log_formats to try when no known
				 * format fits; NULL: /etc/nginx/nginx.conf */
};

struct lineparse;

/* What one line turned into. */
enum lineparse_result {
	LP_EVENT = 0,		/* a request was added to the batch */
	LP_ERROR = 1,		/* a gateway error record was added */
	LP_NOTICE = 2,		/* a well-formed line with nothing to keep */
	LP_BLANK = 3,		/* an empty line */
	LP_REJECT = 4,		/* kept as a reject; *reason says why */
	LP_HELD = 5,		/* a partial record (CRI "P", Docker's
				 * json-file without "\n"), joined with the
				 * next ones into one line */
	LP_NOMEM = -1
};

/*
 * A parser for an input whose first lines are lines[0..n). Returns 0, or -1
 * with err filled: the format is unknown (err tells how many lines and
 * bytes were looked at, never their content: an unrecognised file may be
 * a secret), or n is 0 and no format was forced (err says "empty").
 * Free with lineparse_free().
 */
int lineparse_new(const struct lineparse_opts *o, const char *const *lines,
    const size_t *lens, size_t n, struct lineparse **out, char *err,
    size_t errlen);
void lineparse_free(struct lineparse *lp);

/* "nginx_access", "nginx_error", ... (stored as the source's kind). */
const char *lineparse_kind(const struct lineparse *lp);

/* "upstream", "combined", "log_format", "nginx-error", ... */
const char *lineparse_format(const struct lineparse *lp);

/* The transport most sample lines came in ("syslog", "cri", "docker",
 * "journald", "compose", "rfc5424"), or NULL for plain lines. */
const char *lineparse_wrapper(const struct lineparse *lp);

/* The last line taken as peeled (its wrapper's host, stream...); valid
 * until the next lineparse_take(). */
const struct wrapped *lineparse_wrapped(const struct lineparse *lp);

/*
 * Parse one line (len bytes, no newline; truncated = it was cut at the
 * reader's limit) into b, stamping records with line_no and offset. The
 * line is peeled of its transport wrapper first (parse/wrapper.h), then
 * goes to the error-log parser when it has nginx's error-log prefix, else
 * to the input's access parser.
 */
enum lineparse_result lineparse_take(struct lineparse *lp, struct gw_batch *b,
    const char *line, size_t len, bool truncated, uint64_t line_no,
    uint64_t offset, const char **reason);

/*
 * Split the first n bytes of an input into at most max lines for
 * lineparse_new (a cut last line is left out). Returns the count.
 */
size_t lineparse_sample(const unsigned char *head, size_t n,
    const char **lines, size_t *lens, size_t max);

#endif
