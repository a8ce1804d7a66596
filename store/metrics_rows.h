/*
 * metrics_rows.h - what the Prometheus exporter reads from the database.
 *
 * The exporter (metrics/exporter.c) counts stored rows, not batches in
 * flight: the error-log join rewrites a request's cause after its batch -
 * when the error line comes in a later batch, from another file - so only
 * the stored row says what `gatewatch report` will say. These calls read
 * rows by id range through the documented views (request_view,
 * attempt_view), grouped, so the exporter stays apart from how the writer
 * lays rows out.
 */
#ifndef GW_METRICS_ROWS_H
#define GW_METRICS_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Highest request id and reject id stored (0 when none). 0 or -1. */
int store_metrics_marks(struct store *s, int64_t *request_id,
    int64_t *reject_id, char *err, size_t errlen);

/* Callbacks of the readers below; n is how many rows share the values. */
struct store_metrics_fns {
	/* requests by final upstream ("-" none), status and cause */
	int (*request)(void *ctx, const char *upstream, int status,
	    enum gw_cause cause, int64_t n);
	/* attempts by upstream, cause and response time (-1 not logged) */
	int (*attempt)(void *ctx, const char *upstream, enum gw_cause cause,
	    int64_t response_ms, int64_t n);
	/* rejected lines by source path and reason */
	int (*reject)(void *ctx, const char *source, const char *reason,
	    int64_t n);
	/* a source: id, path, lines read and stored so far */
	int (*source)(void *ctx, int64_t id, const char *path,
	    int64_t line_no);
};

/*
 * Requests with from < id <= to, and their attempts, grouped. A callback
 * that returns non-zero stops the read (-1, err "stopped").
 */
int store_metrics_requests(struct store *s, int64_t from, int64_t to,
    const struct store_metrics_fns *fn, void *ctx, char *err, size_t errlen);

/* Rejects with from < id <= to, grouped by source path and reason. */
int store_metrics_rejects(struct store *s, int64_t from, int64_t to,
    const struct store_metrics_fns *fn, void *ctx, char *err, size_t errlen);

/* Every log source (not a packet capture: its "lines" are packets)
 * stored into at or after since_ms (UTC ms). */
int store_metrics_sources(struct store *s, int64_t since_ms,
    const struct store_metrics_fns *fn, void *ctx, char *err, size_t errlen);

#endif
