/*
 * clf.h - the Common Log Format prefix, shared by the formats that extend
 * it (Apache common/combined in clf.c, Traefik's CLF in traefik.c).
 *
 *   host ident user [10/Oct/2000:13:55:36 -0700] "GET /p HTTP/1.0" 200 2326
 */
#ifndef GW_CLF_H
#define GW_CLF_H

#include <stdbool.h>
#include <stddef.h>

#include "parse/logscan.h"

/* The fields of the CLF prefix, as spans of the line. */
struct clf_line {
	struct logspan host, ident, user, time, request, status, bytes;
};

/*
 * Split the CLF prefix of a line (len bytes, not NUL-terminated). On
 * success *rest is a cursor just after the bytes field. False when the line
 * does not start with a CLF prefix.
 */
bool clf_split(const char *line, size_t len, struct clf_line *l,
    struct logscan *rest);

/*
 * Fill ev's time, client, request, status and bytes from l (strings in a).
 * Returns 0, 1 when a field is malformed (*reason set), -1 on OOM.
 */
int clf_fill(const struct clf_line *l, struct gw_event *ev, int default_tz,
    struct arena *a, const char **reason);

#endif
