/*
 * logscan.h - bounds-checked reading of one log line, for the formats of
 * parse/formats.c (HAProxy, Envoy, Caddy, Traefik, ALB, CLF).
 *
 * A line comes as a pointer and a length and is never NUL-terminated; a
 * struct logscan is a cursor over it and every read goes through the
 * functions below, which never look past the end. What they find is a
 * struct logspan (pointer + length into the line), copied into the batch
 * arena only when it is kept. Also here: the gateways' time stamps and
 * request lines as spans handed to core/timeparse.h and core/reqline.h
 * (the one reader of each), addresses, and filling an event's common
 * fields.
 */
#ifndef GW_LOGSCAN_H
#define GW_LOGSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/event.h"
#include "core/timeparse.h"

/* A run of bytes inside a line; not NUL-terminated. */
struct logspan {
	const char *p;
	size_t n;
};

/* A cursor over a line: p moves towards end, never past it. */
struct logscan {
	const char *p;
	const char *end;
};

void logscan_init(struct logscan *s, const char *line, size_t len);
bool logscan_eol(const struct logscan *s);

/* Consume c (or the n bytes of lit) when next; false and no move if not. */
bool logscan_char(struct logscan *s, char c);
bool logscan_lit(struct logscan *s, const char *lit, size_t n);

/* Skip spaces; returns how many. */
size_t logscan_spaces(struct logscan *s);

/* A non-empty run up to the next space (or end); cursor after it. */
bool logscan_token(struct logscan *s, struct logspan *out);

/*
 * A double-quoted field: out is its raw inside (backslash escapes left as
 * written); cursor after the closing quote. False when the cursor is not at
 * a quote or the field is not closed.
 */
bool logscan_quoted(struct logscan *s, struct logspan *out);

/* Bytes up to (not including) c; cursor on c. False when c is absent. */
bool logscan_until(struct logscan *s, char c, struct logspan *out);

/* Span helpers. */
bool logspan_eq(struct logspan v, const char *lit);
bool logspan_is_dash(struct logspan v);
bool logspan_has(struct logspan v, const char *lit);
/* Decimal integer, optional sign; whole span. */
bool logspan_int(struct logspan v, int64_t *out);
/* Seconds with optional fraction ("0.123", "-1") to ms, rounded; whole span. */
bool logspan_sec_ms(struct logspan v, int64_t *out);

/*
 * A duration in ms as the event's int: -1 (none) when negative, INT_MAX
 * when a hostile or broken line gives more than an int holds.
 */
static inline int
logscan_ms(int64_t ms)
{
	if (ms < 0)
		return -1;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}
/* NUL-terminated copy in a; NULL for an empty span or on OOM. */
char *logspan_dup(struct logspan v, struct arena *a);
/* As logspan_dup, but "-" (and empty) give NULL. */
char *logspan_dup_opt(struct logspan v, struct arena *a);

/*
 * The span is one whole time stamp, read by core/timeparse.h (its one
 * validation): CLF "10/Oct/2000:13:55:36 -0700" (also ".655" and no zone,
 * HAProxy), ISO 8601 "2018-07-02T22:23:00.186641Z" (zone optional). False
 * for an empty span or anything left after the stamp.
 */
bool logspan_clf_time(struct logspan v, struct timeparse *t);
bool logspan_iso_time(struct logspan v, struct timeparse *t);

/*
 * Split "ADDR:PORT" at its last colon (HAProxy and ALB write IPv6 bare,
 * "::1:5000"; "[::1]:5000" is also understood). *host gets the address
 * without brackets. False when there is no numeric port.
 */
bool logspan_split_port(struct logspan v, struct logspan *host,
    struct logspan *port);

/*
 * Fill ev's method, path, query, protocol (and host, when the target is in
 * absolute form and ev has no host yet) from a request line "GET /p?q
 * HTTP/1.1", split by core/reqline.c, and its query shape. Returns 0, 1
 * when the line is not a request (fields left NULL), or -1 when out of
 * memory.
 */
int logreq_fill(struct gw_event *ev, struct logspan req, struct arena *a);

/* Fill path, query, shape (and host) from a target alone, core/reqline.c. */
int logreq_target(struct gw_event *ev, struct logspan target, struct arena *a);

/*
 * Lengths taken from spans (event.h), for a take that knows them, in
 * place of event_fill's strlen() of each string at lineparse_take. A
 * string copied from a span that holds a NUL is shorter than the span,
 * so such a take ends with logev_lens_done on the bytes its spans are
 * in, which forgets the lengths when they hold a NUL.
 *
 * logreq_fill and logreq_target, with the lengths of what they set;
 * logspan_dup with the span's length in *len (set only when copied).
 */
int logreq_fill_lens(struct gw_event *ev, struct logspan req,
    struct arena *a);
int logreq_target_lens(struct gw_event *ev, struct logspan target,
    struct arena *a);
char *logspan_dup_len(struct logspan v, struct arena *a, uint16_t *len);
/*
 * The end of a take that set the length of every string it could (those
 * it left 0 are read with strlen() where used) from spans of
 * line[0..len): when the bytes hold no NUL, the client's form (then
 * lineparse_take has nothing left to do); else every length is
 * forgotten (0) and the form unset, for event_fill's strlen() of each.
 */
void logev_lens_done(struct gw_event *ev, const char *line, size_t len);

/* Zero ev, set the "none" values (-1) and the position. */
void logev_init(struct gw_event *ev, uint64_t line_no, uint64_t offset);

/* n zeroed attempts from a (status and times -1); NULL on OOM. */
struct gw_attempt *logev_attempts(struct arena *a, int n);

/*
 * "host:port" of a URL ("http://10.0.0.5:8080/x" -> "10.0.0.5:8080"),
 * without its credentials ("http://u:pw@h:80/" -> "h:80": they are
 * never stored); v itself when it has no "://".
 */
struct logspan logspan_url_hostport(struct logspan v);

#endif
