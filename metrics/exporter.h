/*
 * exporter.h - gatewatch as a Prometheus exporter.
 *
 * exporter_start() serves GET /metrics on ADDR:PORT (libmicrohttpd, its
 * own thread) while `tail` or `capture` run, and starts a collector
 * thread with its own connection to the database: about once a second it
 * counts the requests, attempts, rejects and lines committed since the
 * last look into a metrics registry (metrics/registry.h). The writer is
 * never touched: it does not count, lock or wait for anything of the
 * exporter, and a scrape renders the registry into memory before sending,
 * so a slow or stuck client holds no lock.
 *
 * Requests are counted once they are EXPORTER_SETTLE_MS old (by when the
 * collector first saw them committed), so the error-log join - which may
 * change a request's cause when the error line arrives in a later batch -
 * has settled, and counters only ever grow. Counters are process-lifetime:
 * they count what was committed while this process ran (by any writer),
 * starting from 0; `gatewatch metrics` (exporter_render_db) counts the
 * whole database instead.
 */
#ifndef GW_EXPORTER_H
#define GW_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/registry.h"
#include "store/store.h"

#define EXPORTER_SETTLE_MS	5000
#define EXPORTER_TICK_MS	1000

struct exporter_opts {
	const char *db;		/* database path, opened by the collector */
	const char *listen;	/* "ADDR:PORT", "[v6]:PORT"; PORT may be 0 */
	const char *version;	/* gatewatch_build_info{version} */
	struct metrics_limits limits;
};

struct exporter;

/*
 * Parse "ADDR:PORT" (numeric address, IPv6 in brackets) into a socket
 * address; 0, or -1 with err filled. For option checking in cli/.
 */
int exporter_parse_listen(const char *s, void *sockaddr_storage,
    size_t *socklen, char *err, size_t errlen);

/*
 * Bind the address, open the database and start both threads (with every
 * signal blocked in them). 0 with *out set, or -1 with err filled.
 */
int exporter_start(const struct exporter_opts *o, struct exporter **out,
    char *err, size_t errlen);

/* The address served, "127.0.0.1:9744" (the real port when 0 was given). */
const char *exporter_address(const struct exporter *e);

/* The capture's kernel drop counter (packets dropped, all causes). */
void exporter_set_packets_dropped(struct exporter *e, uint64_t n);

/* Stop serving, stop the collector, close; NULL is fine. */
void exporter_stop(struct exporter *e);

/*
 * The exposition of everything stored in st (no process_* family: a
 * textfile collector's own process would clash). *out malloc'ed, free()
 * it. 0, or -1 with err filled.
 */
int exporter_render_db(struct store *st, const struct metrics_limits *l,
    const char *version, char **out, size_t *len, char *err, size_t errlen);

#endif
