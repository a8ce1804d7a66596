/*
 * format.h - the interface of one log format, and what a parser returns.
 *
 * Every gateway's log is a struct line_format listed in the registry of
 * parse/formats.c: nginx's access log (one entry per built-in log_format,
 * parse/nginx_access.c, plus nginx_log_format for the user's or
 * nginx.conf's text), nginx's error log (parse/nginx_error.c), HAProxy,
 * Envoy, Caddy, Traefik, ALB, Apache/CLF, each in its own file under
 * parse/. parse/detect.c decides from a file's first lines which of them
 * reads it, by asking each how many lines it recognises; parse/lineparse.c
 * then feeds it lines. A format fills requests with their upstream
 * attempts and causes (struct gw_event) and, for a gateway's runtime/error
 * log, struct gw_gateway_error records that the store joins to requests
 * by client, method, path, query and time.
 */
#ifndef GW_FORMAT_H
#define GW_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"

/*
 * What one line became: the one result of every parser in parse/ (a
 * format's take, logformat_parse, nginx_error_parse, lineparse_take).
 * FORMAT_NOMEM is never a reject: it stops the batch (the caller drops
 * it and reports out of memory); the parser is usable again after.
 */
enum format_result {
	FORMAT_EVENT,		/* a request was added (matched) */
	FORMAT_ERROR,		/* a gateway error record was added */
	FORMAT_NOTICE,		/* well-formed, nothing to keep */
	FORMAT_REJECT,		/* no match; *reason says why (lineparse
				 * stores the reject) */
	FORMAT_NOMEM,		/* out of memory */
	FORMAT_BLANK,		/* lineparse_take only: an empty line */
	FORMAT_HELD		/* lineparse_take only: a partial record
				 * (CRI "P", Docker's json-file without
				 * "\n") held to be joined with the next */
};

/* Options a format may use (all may be NULL / 0). */
struct format_opts {
	int tz_min;			/* zone for times that carry none */
	const char *haproxy_cfg;	/* haproxy.cfg: backend/server -> addr */
	const char *log_format;		/* nginx_log_format: the text */
	bool general_only;		/* tests: no fast path, each format's
					 * general parser alone */
};

struct line_format {
	const char *name;	/* "haproxy", "combined", "nginx-error", ... */
	const char *kind;	/* source kind stored: "haproxy_access", ... */

	/*
	 * Does this line look like the format? FORMAT_EVENT: it is this
	 * format's; FORMAT_REJECT: it is not; FORMAT_NOMEM: out of memory
	 * (never "not this format"). state is what open returned (NULL for
	 * a format without open). Called on sample lines for detection
	 * (parse/detect.c), and on every line for a per_line format; must be
	 * cheap, strict enough that a line of another format does not match,
	 * and safe on any bytes.
	 */
	enum format_result (*match)(void *state, const char *line,
	    size_t len);

	/*
	 * Per-input state (NULL allowed). On failure NULL, err filled and
	 * *why set: FORMAT_NOMEM when out of memory, FORMAT_REJECT when the
	 * options cannot be used (a log_format that does not compile, an
	 * unreadable --haproxy-cfg).
	 */
	void *(*open)(const struct format_opts *o, enum format_result *why,
	    char *err, size_t errlen);
	void (*close)(void *state);

	/*
	 * Parse one line (len bytes, not NUL-terminated, no newline) into b,
	 * stamping what it adds with line_no and offset. Strings come from
	 * b->arena. Never FORMAT_BLANK or FORMAT_HELD.
	 */
	enum format_result (*take)(void *state, struct gw_batch *b,
	    const char *line, size_t len, uint64_t line_no, uint64_t offset,
	    const char **reason);

	/*
	 * NULL, or true when the format logs cookies or credentials: they
	 * are never stored, so a line it rejects is not kept whole either.
	 */
	bool (*withholds)(void *state);

	/*
	 * NULL, or true when this line, which the format rejected, holds
	 * cookies or credentials (a JSON gateway told to log headers): it
	 * is not kept whole either. Called on rejects only.
	 */
	bool (*line_withholds)(void *state, const char *line, size_t len);

	/*
	 * NULL, or how many lines the format's fast path read since open
	 * (format_opts.general_only turns it off): tests check it is taken.
	 */
	size_t (*fast_count)(void *state);

	/*
	 * Its lines are recognised one by one in any input (nginx's error
	 * log: `docker logs` interleaves it with the access log): see
	 * parse/detect.h. A per-line format has no open (its match and take
	 * get NULL).
	 */
	bool per_line;
};

/*
 * The registry: NULL-terminated, in detection priority order (see
 * parse/formats.c), the per-line formats first.
 */
extern const struct line_format *const gw_line_formats[];

/*
 * nginx's access log read with the log_format text in format_opts
 * (--log-format, or a log_format of nginx.conf); not in gw_line_formats
 * since it has no text of its own.
 */
extern const struct line_format nginx_log_format;

/* The format of gw_line_formats called name, or NULL. */
const struct line_format *format_by_name(const char *name);

#endif
