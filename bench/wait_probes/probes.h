/*
 * probes.h - wait probes that bench/ab_ingest_probes.sh adds to a copy of
 * the tree (never built in the tree itself): the time each thread of
 * ingest spends in each of its waits, by site, summed and printed at
 * exit when GW_WAITS is set (with GW_WAITS_LOG, every wait of 0.5 ms or
 * more, in order: when it began, since the start, and how long).
 * A site's sums are written by one thread only.
 */
#ifndef GW_PROBES_H
#define GW_PROBES_H

#include <time.h>

enum {
	WP_PARSE_FREE,		/* parse: for a free batch (the writer) */
	WP_PARSE_READ,		/* parse: the zip to be done with a batch */
	WP_WR_IDLE,		/* writer: for a batch (the parse thread) */
	WP_WR_DRAIN,		/* writer: before it sleeps, the zip done */
	WP_WR_ZIPIDLE,		/* writer: the zip to encode all handed */
	WP_WR_ZIPFULL,		/* writer: every chunk of the queue queued */
	WP_WR_CKPT,		/* writer: the checkpoint at CKPT_CAP */
	WP_ZIP_IDLE,		/* zip: for a chunk */
	WP_ZIP_ROOM,		/* zip: for room for a finished block */
	WP_WR_COMMITFLUSH,	/* writer: blocks_flush at a commit */
	WP_WR_COMMIT,		/* writer: all of store_commit */
	WP_N
};

extern double wp_sum[WP_N];
extern long wp_cnt[WP_N];

void wp_log(int k, double t0, double d);
/* The calling thread's nice value (or SCHED_IDLE: "i") from env. */
void wp_prio(const char *env);

static inline double
wp_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define WP_BEGIN	double wp_t0_ = wp_now()
#define WP_END(k) do {							\
	double wp_d_ = wp_now() - wp_t0_;				\
	wp_sum[k] += wp_d_;						\
	wp_cnt[k]++;							\
	wp_log(k, wp_t0_, wp_d_);					\
} while (0)

#endif
