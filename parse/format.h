/*
 * format.h - the interface of one log format other than nginx's.
 *
 * Each gateway's log (HAProxy, Envoy, Caddy, Traefik, ALB, Apache/CLF, ...)
 * is a struct line_format in its own file under parse/, listed in the
 * registry of parse/formats.c. lineparse.c detects a format by asking each
 * one how many of a file's first lines it recognises, then feeds it lines.
 * A format fills the same records as nginx's: requests with their upstream
 * attempts and causes (struct gw_event), and, for a gateway's runtime/error
 * log, struct gw_gateway_error lines that the store joins to requests by
 * client, method, path, query and time.
 */
#ifndef GW_FORMAT_H
#define GW_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"

/* Options a format may use (all may be NULL / 0). */
struct format_opts {
	int tz_min;			/* zone for times that carry none */
	const char *haproxy_cfg;	/* haproxy.cfg: backend/server -> addr */
};

/* What one line became; the values match enum lineparse_result. */
enum format_result {
	FORMAT_EVENT = 0,	/* a request was added to the batch */
	FORMAT_ERROR = 1,	/* a gateway error record was added */
	FORMAT_NOTICE = 2,	/* well-formed, nothing to keep */
	FORMAT_REJECT = 4,	/* not parsed; *reason says why (the caller
				 * stores the reject) */
	FORMAT_NOMEM = -1
};

struct line_format {
	const char *name;	/* "haproxy", "envoy", "envoy-json", ... */
	const char *kind;	/* source kind stored: "haproxy_access", ... */

	/*
	 * Does this line look like the format? Called on sample lines for
	 * detection; must be cheap, strict enough that a line of another
	 * format does not match, and safe on any bytes.
	 */
	bool (*match)(const char *line, size_t len);

	/* Per-input state (NULL allowed); NULL with err filled on failure. */
	void *(*open)(const struct format_opts *o, char *err, size_t errlen);
	void (*close)(void *state);

	/*
	 * Parse one line (len bytes, not NUL-terminated, no newline) into b,
	 * stamping what it adds with line_no and offset. Strings come from
	 * b->arena.
	 */
	enum format_result (*take)(void *state, struct gw_batch *b,
	    const char *line, size_t len, uint64_t line_no, uint64_t offset,
	    const char **reason);
};

/* The registry: NULL-terminated, in detection priority order. */
extern const struct line_format *const gw_line_formats[];

/* The format called name, or NULL. */
const struct line_format *format_by_name(const char *name);

#endif
