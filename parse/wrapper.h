/*
 * wrapper.h - the transport a log line arrived in, peeled off per line.
 *
 * Gateways rarely write straight to a file the way their documentation
 * shows: nginx's `access_log syslog:` and HAProxy's `log` send RFC 3164 /
 * RFC 5424 datagrams, rsyslog writes them to files with its own header,
 * journald adds its own (`journalctl -o short-iso`, `-o json`), container
 * runtimes wrap stdout/stderr (Kubernetes CRI files, Docker's json-file,
 * `docker compose logs` prefixes). wrapper_peel() recognises these per line
 * from the line's first byte (a cheap dispatch, no regular expression) and
 * hands back the gateway's own line inside, with the host the wrapper named
 * (the gateway's host) and which stream (stdout/stderr) it came on.
 *
 * CRI files split long lines into `P` (partial) records ended by an `F`
 * record, Docker's json-file splits them into records without the final
 * "\n": those are joined, up to the budget given to wrapper_new().
 */
#ifndef GW_WRAPPER_H
#define GW_WRAPPER_H

#include <stdbool.h>
#include <stddef.h>

/* Wrappers, as bits of struct wrapped's layers. */
enum wrapper_layer {
	WRAP_BOM = 1 << 0,	/* a UTF-8 byte-order mark */
	WRAP_SYSLOG = 1 << 1,	/* RFC 3164 (with or without <PRI>), rsyslog
				 * file lines, journalctl short/short-iso */
	WRAP_RFC5424 = 1 << 2,	/* RFC 5424 */
	WRAP_CRI = 1 << 3,	/* Kubernetes CRI log file */
	WRAP_DOCKER = 1 << 4,	/* Docker json-file, or `docker logs -t` */
	WRAP_JOURNAL = 1 << 5,	/* journalctl -o json */
	WRAP_COMPOSE = 1 << 6,	/* `docker compose logs` "name  | " prefix */
};

/* The line inside; pointers valid until the next wrapper_peel(). */
struct wrapped {
	const char *p;		/* the gateway's own line */
	size_t len;
	const char *host;	/* host the wrapper named, NULL when none */
	size_t host_len;
	const char *tag;	/* syslog tag / app / compose service, or NULL */
	size_t tag_len;
	int stream;		/* 0 not said, 1 stdout, 2 stderr */
	unsigned layers;	/* enum wrapper_layer bits peeled */
};

enum wrap_result {
	WRAP_LINE = 0,		/* *out holds a line to parse */
	WRAP_HELD = 1,		/* a partial record, kept for the next ones */
	WRAP_TOO_LONG = 2,	/* joined partial records passed the budget:
				 * *out holds what was joined, cut */
	WRAP_NOMEM = -1
};

struct wrapper;

/* A peeler joining partial records up to max_line bytes; NULL on OOM. */
struct wrapper *wrapper_new(size_t max_line);
void wrapper_free(struct wrapper *w);

/*
 * Peel line (len bytes, no newline, not NUL-terminated). A line in no
 * known wrapper comes back unchanged with layers 0.
 */
enum wrap_result wrapper_peel(struct wrapper *w, const char *line,
    size_t len, struct wrapped *out);

/*
 * True while a partial record of stream's join (0: stdout or not said,
 * 1: stderr; struct wrapped's stream == 2) is held, waiting for its end.
 */
bool wrapper_holding(const struct wrapper *w, int join);

/*
 * The input ended while join was held (its file rotated away and done):
 * *text and *len get what was joined so far (valid until the next call on
 * w), and the join is dropped. False when nothing was held.
 */
bool wrapper_end_join(struct wrapper *w, int join, const char **text,
    size_t *len);

/*
 * Move join's held records from from to to (the runtime reopened its file
 * mid-line: the rest comes in the new one). True when moved; false when
 * from holds none or to already holds one of its own.
 */
bool wrapper_hand_over(struct wrapper *from, struct wrapper *to, int join);

/* "syslog", "rfc5424", "cri", "docker", "journald", "compose", "bom" or
 * NULL: the outermost named layer of layers. */
const char *wrapper_name(unsigned layers);

#endif
