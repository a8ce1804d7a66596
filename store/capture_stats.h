/*
 * capture_stats.h - what a packet capture counted, kept with its source.
 *
 * `gatewatch capture` stores one row per source (a pcap file or a live
 * interface) in the capture_stats table: the kernel's counters (received,
 * dropped) and the capture's own (packets, flows evicted, bytes lost to
 * gaps, exchanges, the tied fraction of gateway-host mode), so a report
 * can say how complete the wire's picture was (schema/004_capture.sql).
 */
#ifndef GW_CAPTURE_STATS_H
#define GW_CAPTURE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_CAPTURE_PORTS_MAX	16

/* Gateway-host mode: one gateway port's client requests. */
struct store_capture_port {
	int port;
	int64_t requests, failed, failed_tied;
};

struct store_capture_stats {
	int64_t packets, bytes;		/* read by gatewatch */
	int64_t received, dropped, if_dropped;	/* kernel; -1 for files */
	int64_t flows, evicted, gaps, gap_bytes;
	int64_t exchanges, conn_failures, incomplete;
	int64_t downstream_failed, downstream_failed_tied;	/* -1 plain mode */
	int64_t requests_dropped;	/* given up unanswered: memory budget */
	struct store_capture_port ports[STORE_CAPTURE_PORTS_MAX];
	int n_ports;		/* per gateway port (capture_ports table) */
};

/*
 * Store (replacing any earlier row) the counters of source_id. Call with
 * no batch being written (after pipeline_sync). 0 or -1 with err filled.
 */
int store_capture_stats_put(struct store *s, int64_t source_id,
    const struct store_capture_stats *cs, char *err, size_t errlen);

/* Read them back; 1 found, 0 none, -1 with err filled. */
int store_capture_stats_get(struct store *s, int64_t source_id,
    struct store_capture_stats *cs, char *err, size_t errlen);

/* Called once per capture source, oldest first. */
typedef void (*store_capture_stats_fn)(void *ctx, const char *source,
    const struct store_capture_stats *cs);

/* Every capture source's counters; 0 or -1 with err filled. */
int store_capture_stats_each(struct store *s, store_capture_stats_fn fn,
    void *ctx, char *err, size_t errlen);

#endif
