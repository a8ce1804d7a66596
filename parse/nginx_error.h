/*
 * nginx_error.h - the nginx error log.
 *
 *   2026/11/25 10:15:02 [error] 1234#1234: *567 MESSAGE, client: C,
 *     server: S, request: "GET /p?q HTTP/1.1", upstream: "http://A/p",
 *     host: "H"
 *
 * Lines whose message states an upstream (or gateway) failure become
 * struct gw_gateway_error with a cause from causes.md; other lines (notices,
 * startup messages) are recognised as error-log lines but carry no record.
 */
#ifndef GW_NGINX_ERROR_H
#define GW_NGINX_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/event.h"

/* True when the line has the shape of an nginx error-log line. */
bool nginx_error_match(const char *line, size_t len);

/*
 * Parse one line (len bytes, no newline). Returns 1 and fills *out (strings
 * from a) for a line that names a request failure, 0 for a well-formed line
 * with nothing to record, -1 with *reason set when the line is not an nginx
 * error-log line, NGINX_ERROR_NOMEM when out of memory (never a reject).
 */
#define NGINX_ERROR_NOMEM (-2)
int nginx_error_parse(const char *line, size_t len, struct arena *a,
    struct gw_gateway_error *out, const char **reason);

/* The cause an nginx error message states, GW_CAUSE_UNKNOWN for none. */
enum gw_cause nginx_error_cause(const char *msg, size_t len);

#endif
