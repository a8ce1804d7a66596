/*
 * prune.h - retention: removing old rows in small transactions.
 *
 * Raw rows (requests with their attempts, the error-log lines joined to
 * them, unjoined error-log lines, rejected lines) go when their event time
 * is older than a cutoff; the per-minute rollups (requests, attempts,
 * latency histograms) have a cutoff of their own, normally far older, so
 * reports over a pruned range still answer from them. A size cap removes
 * the oldest raw rows first, then the oldest rollups, until the pages in
 * use fit. Source positions are never touched: a followed file resumes
 * exactly where it stopped whatever was pruned.
 *
 * Each store_prune_step() is one short write transaction of at most
 * max_rows requests (or rollup minutes), so a writer on another
 * connection waits for the lock no longer than one step; the caller loops
 * while it says there is more. Freed pages go to SQLite's free list and
 * are reused by later writes, so under steady retention the file stops
 * growing (it does not shrink: see store_prune_vacuum()).
 *
 * Cutoffs are absolute UTC milliseconds; "older than 7 days" is counted by
 * the caller back from store_newest_event_ms() (the newest event stored,
 * never later than now): retention follows event time, and a database of
 * last month's logs is not emptied by "--older-than 7d".
 */
#ifndef GW_PRUNE_H
#define GW_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* What to remove. INT64_MIN cutoffs keep everything; max_bytes 0 = no cap. */
struct store_prune_policy {
	int64_t raw_before_ms;		/* raw rows with event time below */
	int64_t rollup_before_ms;	/* rollup minutes starting below */
	int64_t max_bytes;		/* pages in use above this: oldest go */
	int64_t strings_every_ms;	/* sweep unused interned strings at
					   most this often (monotonic); 0 =
					   whenever rows went */
};

/* What one step (or a sum of steps) removed. */
struct store_prune_result {
	int64_t requests, attempts, errors, rejects, rollup_rows, strings;
	bool more;		/* work left: call again */
	bool capped;		/* the size cap chose what went */
	double held_ms;		/* how long the step held the write lock
				   (from BEGIN granted to COMMIT done) */
};

/*
 * One transaction of pruning under policy p, at most max_rows requests
 * (or error lines, or rejects; or max_rows / 16 rollup minutes). Adds what
 * it removed to *r and sets r->more, r->capped. 0, or -1 with err filled
 * (nothing of the step is kept). Rows go only once the strings they name
 * were marked with their time (schema 007); strings no kept row uses go
 * in sweeps, at most every p->strings_every_ms.
 */
int store_prune_step(struct store *s, const struct store_prune_policy *p,
    int max_rows, struct store_prune_result *r, char *err, size_t errlen);

/*
 * Remove interned strings (paths, hosts, shapes) no row refers to
 * any more, exactly: a full scan of the rows kept, in one transaction,
 * for `gatewatch prune` (the steps' sweeps keep strings up to an hour and
 * the logs' UTC offsets longer than their last row). Writers that cached a
 * removed string's id learn it at their next batch (store_meta
 * intern_epoch) and forget their caches. Adds to r->strings. 0 or -1.
 */
int store_prune_strings(struct store *s, struct store_prune_result *r,
    char *err, size_t errlen);

/*
 * VACUUM: give the free pages back to the file system (the file shrinks).
 * Rewrites the whole database and needs the write lock meanwhile: for
 * `gatewatch prune --vacuum`, not beside a busy writer. 0 or -1.
 */
int store_prune_vacuum(struct store *s, char *err, size_t errlen);

/* The file's size in pages in use and free, in bytes. */
struct store_size {
	int64_t used_bytes, free_bytes, page_size;
};
int store_size(struct store *s, struct store_size *sz, char *err,
    size_t errlen);

/*
 * The reference time ages count back from: the newest request stored,
 * but never later than now_ms (a line dated in the future must not age
 * everything else out); now_ms when nothing is stored.
 */
int store_newest_event_ms(struct store *s, int64_t now_ms, int64_t *ms,
    char *err, size_t errlen);

/*
 * What pruning removed so far: raw rows with event time below *raw_ms and
 * rollups of minutes below *rollup_ms are gone (INT64_MIN: never pruned).
 * Readers use it to say a window is partly pruned.
 */
int store_pruned_before(struct store *s, int64_t *raw_ms, int64_t *rollup_ms,
    char *err, size_t errlen);

#endif
