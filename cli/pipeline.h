/*
 * pipeline.h - parse on one thread, store on another.
 *
 * The caller fills the batch pipeline_batch() returns and calls
 * pipeline_flush(); the full batch goes to a writer thread that hands it to
 * the sink, while the caller fills the other of two batches. So parsing and
 * SQLite writing overlap on two cores, and memory stays at two batches.
 */
#ifndef GW_PIPELINE_H
#define GW_PIPELINE_H

#include <stddef.h>

#include "core/batch.h"

struct pipeline;

/* Start the writer thread; NULL with err filled on failure. */
struct pipeline *pipeline_new(gw_sink_fn sink, void *ctx, char *err,
    size_t errlen);

/* The batch to fill now; changes after each pipeline_flush(). */
struct gw_batch *pipeline_batch(struct pipeline *p);

/*
 * Hand the current batch to the writer (waiting while it still stores the
 * previous one). Returns 0, or -1 with err set when the writer failed on an
 * earlier batch (that batch was not stored).
 */
int pipeline_flush(struct pipeline *p, char *err, size_t errlen);

/* Wait until everything handed over is stored; 0 or -1 as above. */
int pipeline_sync(struct pipeline *p, char *err, size_t errlen);

/* Sync, stop the thread, free both batches. Returns as pipeline_sync(). */
int pipeline_free(struct pipeline *p, char *err, size_t errlen);

#endif
