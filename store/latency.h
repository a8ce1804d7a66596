/*
 * latency.h - log-scale histograms of upstream times (schema 002).
 *
 * The writer counts each attempt's upstream response time into a bucket of
 * rollup_latency_minute (per minute and upstream); the console adds the
 * buckets of a window and reads percentiles off them. Internal to store/.
 */
#ifndef GW_STORE_LATENCY_H
#define GW_STORE_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

/* Buckets a time can fall in: 0 .. LATENCY_BUCKETS - 1. */
#define LATENCY_BUCKETS 128

/* The bucket of a time of ms milliseconds (ms >= 0). */
int latency_bucket(int64_t ms);

/* The lowest and one past the highest ms a bucket holds. */
int64_t latency_bucket_lo(int bucket);
int64_t latency_bucket_hi(int bucket);

/*
 * Count one attempt of upstream upstream_id in minute whose response took
 * response_ms (negative: not logged, ignored) into the batch's map m.
 * 0, or -1 when out of memory.
 */
int latency_add(struct latency_map *l, int64_t minute, int64_t upstream_id,
    int response_ms);

/* Upsert the counts of l (inside the batch's transaction), then clear l. */
int latency_flush(struct store *s, struct latency_map *l, char *err,
    size_t errlen);

_Static_assert(LATENCY_HIST_BUCKETS == LATENCY_BUCKETS,
    "a histogram holds every bucket");

#endif
