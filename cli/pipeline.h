/*
 * pipeline.h - parse on one thread, store on another.
 *
 * The caller fills the batch pipeline_batch() returns and calls
 * pipeline_flush(); the full batch goes to a writer thread that hands it to
 * the sink, while the caller fills the other of two batches. So parsing
 * and SQLite writing overlap on two cores, and memory stays at two
 * batches.
 */
#ifndef GW_PIPELINE_H
#define GW_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"

struct pipeline;

/* Start the writer thread; NULL with err filled on failure. */
struct pipeline *pipeline_new(gw_sink_fn sink, void *ctx, char *err,
    size_t errlen);

/*
 * A sink that may still read a batch after it returned (store.h's
 * store_sink_async: its block encoder reads the plain requests): it sets
 * *mark, and the batch is not cleared nor filled again until read says
 * it is done with it. read(ctx, mark, wait, ...): with mark > 0, 0 once
 * the sink no longer reads the batch of that mark, 1 while it does (with
 * wait: waits for 0; called on the caller's thread, never the writer's);
 * with mark 0 (the writer's thread, between batches, before it sleeps):
 * waits until it reads no batch, 0 or -1 with err filled (a failure as
 * the sink's).
 */
typedef int (*pipeline_async_fn)(void *ctx, struct gw_batch *b,
    uint64_t *mark, char *err, size_t errlen);
typedef int (*pipeline_read_fn)(void *ctx, uint64_t mark, bool wait,
    char *err, size_t errlen);
struct pipeline *pipeline_new_async(pipeline_async_fn sink,
    pipeline_read_fn read, void *ctx, char *err, size_t errlen);

/* The batch to fill now; changes after each pipeline_flush(). */
struct gw_batch *pipeline_batch(struct pipeline *p);

/*
 * Hand the current batch to the writer (waiting while no batch is free:
 * the writer still stores the earlier ones, or the sink reads them). Returns 0, or -1 with err set when the writer failed on an
 * earlier batch (that batch was not stored).
 */
int pipeline_flush(struct pipeline *p, char *err, size_t errlen);

/* Wait until everything handed over is stored; 0 or -1 as above. */
int pipeline_sync(struct pipeline *p, char *err, size_t errlen);

/* Sync, stop the thread, free both batches. Returns as pipeline_sync(). */
int pipeline_free(struct pipeline *p, char *err, size_t errlen);

#endif
