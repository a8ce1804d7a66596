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
 *   - every integer that can be absent uses -1 for "none" (nginx's "-");
 *   - times are UTC milliseconds since the epoch; durations milliseconds.
 */
#ifndef GW_EVENT_H
#define GW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	int group;		/* index of the ` : ` internal-redirect group */
	enum gw_cause cause;	/* GW_CAUSE_OK unless the attempt failed */
};

/* One request as the gateway answered it. */
struct gw_event {
	int64_t ts_ms;		/* request end (nginx) in UTC ms */
	int tz_min;		/* offset of the log's local time, minutes */
	bool tz_known;		/* tz_min came from the line itself */
	const char *client;	/* client address, IPv4 or IPv6 text */
	const char *method;
	const char *host;
	const char *path;	/* without the query */
	const char *query;	/* without the '?', NULL when none */
	const char *protocol;	/* "HTTP/1.1" */
	const char *request_id;
	const char *shape;	/* query shape, see parse/query.h */
	int status;		/* final status sent to the client */
	int64_t bytes;		/* body bytes sent, -1 none */
	int request_ms;		/* -1 none */
	enum gw_cause cause;	/* GW_CAUSE_OK unless the request failed */
	int n_attempts;
	struct gw_attempt *attempts;	/* n_attempts entries, in order */
	uint64_t line_no;	/* 1-based line in its source */
	uint64_t offset;	/* byte offset of the line in its source */
	const char *origin;	/* host named by the line's transport (syslog,
				 * journald), NULL none: the store files the
				 * request under that host's child source */
};

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

#endif
