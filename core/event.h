/*
 * event.h - the one type every stage of gatewatch meets at.
 *
 * capture/ reads bytes, parse/ turns lines (or packets) into the records
 * below, store/ writes them to SQLite, tui/ and the reports read them back.
 * A batch (struct gw_batch) carries the records of a run of input together
 * with the arena their strings live in and the input position reached, so the
 * store can commit rows and position in one transaction.
 *
 * Conventions:
 *   - every string is NUL-terminated and owned by the batch arena; NULL means
 *     the log said "-" (or did not carry the field);
 *   - beside a string its length as strlen() gives it, when the producer
 *     knew it (the parse thread has the line in its cache, the writer
 *     would read every string again for it): 0 means "not known", and a
 *     reader takes strlen() then (event_strlen). A producer that sets
 *     none stays correct; one that sets a length must set strlen's
 *     (a NUL inside a field ends the string: its length stops there);
 *   - every integer that can be absent uses -1 for "none" (nginx's "-");
 *   - times are UTC milliseconds since the epoch; durations milliseconds.
 */
#ifndef GW_EVENT_H
#define GW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/cause.h"

/* Most attempts one request keeps; nginx rarely logs more than a handful. */
#define GW_ATTEMPTS_MAX 32

/* One try of one upstream server for a request. */
struct gw_attempt {
	const char *addr;	/* "10.0.0.1:80", "unix:/x", or a group name */
	int status;		/* HTTP status the attempt ended with, -1 none */
	int connect_ms;		/* -1 when the phase was not reached */
	int header_ms;
	int response_ms;
	int16_t group;		/* index of the ` : ` internal-redirect group
				 * (at most GW_ATTEMPTS_MAX) */
	uint16_t addr_len;	/* strlen(addr), 0 not known (event_len) */
	enum gw_cause cause;	/* GW_CAUSE_OK unless the attempt failed */
};
_Static_assert(sizeof(struct gw_attempt) <= 32 || sizeof(void *) != 8,
    "struct gw_attempt grew");

/* How the client address is written (event_fill). */
enum gw_client_form {
	GW_CLIENT_UNSET = 0,	/* not looked at: a reader looks itself */
	GW_CLIENT_V4,		/* a canonical dotted quad, in client_v4 */
	GW_CLIENT_TEXT		/* anything else, or no client */
};

/* One request as the gateway answered it. */
struct gw_event {
	int64_t ts_ms;		/* request end (nginx) in UTC ms */
	int16_t tz_min;		/* offset of the log's local time, minutes
				 * (core/timeparse.h: TIMEPARSE_TZ_MAX) */
	bool tz_known;		/* tz_min came from the line itself */
	uint8_t client_form;	/* enum gw_client_form */
	uint32_t client_v4;	/* GW_CLIENT_V4: a << 24 | b << 16 | c << 8 | d */
	const char *client;	/* client address, IPv4 or IPv6 text */
	const char *method;
	const char *host;
	const char *path;	/* without the query */
	const char *query;	/* without the '?', NULL when none */
	const char *protocol;	/* "HTTP/1.1" */
	const char *request_id;
	const char *shape;	/* query shape, see parse/query.h */
	int status;		/* final status sent to the client */
	int request_ms;		/* -1 none */
	int64_t bytes;		/* body bytes sent, -1 none */
	enum gw_cause cause;	/* GW_CAUSE_OK unless the request failed */
	int n_attempts;
	struct gw_attempt *attempts;	/* n_attempts entries, in order */
	uint64_t line_no;	/* 1-based line in its source */
	uint64_t offset;	/* byte offset of the line in its source */
	const char *origin;	/* host named by the line's transport (syslog,
				 * journald), NULL none: the store files the
				 * request under that host's child source */
	/* strlen() of the strings above, 0 not known (event_len) */
	uint16_t client_len, method_len, host_len, path_len, query_len,
	    protocol_len, request_id_len, shape_len;
};
/* 152 bytes: 2 x 16,384 of them in flight (cli/pipeline.c) */
_Static_assert(sizeof(struct gw_event) <= 152 || sizeof(void *) != 8,
    "struct gw_event grew");

/*
 * One line of a gateway's own error log that states why an upstream
 * exchange failed (nginx error.log and the like). Times carry no zone: the
 * store joins them to requests using the access log's offset or --tz.
 */
struct gw_gateway_error {
	int64_t local_ms;	/* wall-clock time as written, as if UTC */
	int level;		/* syslog-like: 0 emerg .. 7 debug */
	int64_t conn;		/* nginx "*567" connection number, -1 none */
	enum gw_cause cause;	/* GW_CAUSE_UNKNOWN when no rule matched */
	const char *message;	/* the message text up to ", client:" */
	const char *client;
	const char *server;
	const char *method;	/* from request: "GET /p?q HTTP/1.1" */
	const char *path;
	const char *query;
	const char *upstream;	/* host:port (or name) from upstream: URL */
	const char *host;
	uint64_t line_no;
	uint64_t offset;
};

/* A line that could not be parsed; kept so nothing is silently lost. */
struct gw_reject {
	uint64_t line_no;
	uint64_t offset;
	const char *reason;	/* static string */
	const char *raw;	/* at most GW_REJECT_RAW_MAX bytes, may hold NULs */
	size_t raw_len;
};

#define GW_REJECT_RAW_MAX 4096

/*
 * A length as an event carries it: n, or 0 ("not known") when it does not
 * fit (a string over 64 KiB; an empty one's 0 is right either way).
 */
static inline uint16_t
event_len(size_t n)
{
	return n <= UINT16_MAX ? (uint16_t)n : 0;
}

/* The length of string s (not NULL) that an event carries as len. */
static inline size_t
event_strlen(const char *s, uint16_t len)
{
	return len != 0 ? len : strlen(s);
}

/*
 * True when s[0..n) is an IPv4 address in canonical dotted-quad form
 * (four decimal numbers 0-255 without leading zeros, "10.0.0.7"), its
 * integer a << 24 | b << 16 | c << 8 | d in *v (store/inline.c's form).
 * s is NUL-terminated (an event's string, SQLite's text): s[n] may be
 * read, nothing after a NUL is. Nor after s[n] when it is not a digit or
 * a '.' (a span of a line: the byte after an address).
 */
bool event_ipv4(const char *s, size_t n, uint32_t *v);

/*
 * Fill what ev does not carry yet, from its strings: the lengths that are
 * 0 (of the strings set, its attempts' addresses included) and the
 * client's form. Every producer of events runs it on each event it made,
 * after its strings are set (core/event.c), unless it set the client's
 * form itself and with it every length it could (the nginx parser).
 */
void event_fill(struct gw_event *ev);

/*
 * Forget what event_fill fills: every length 0 (not known) and the
 * client's form unset, for a producer that set them from spans it then
 * finds hold a NUL (a string copied from such a span is shorter).
 */
void event_unfill(struct gw_event *ev);
/* ev's client_form and client_v4, from its client (and client_len). */
static inline void
event_fill_client(struct gw_event *ev)
{
	ev->client_form = ev->client != NULL && event_ipv4(ev->client,
	    event_strlen(ev->client, ev->client_len), &ev->client_v4) ?
	    GW_CLIENT_V4 : GW_CLIENT_TEXT;
}

#endif
