/*
 * retain.h - the retention options of `tail` and `capture`, and the
 * pruner thread that applies them while they write.
 *
 *   struct retain_opts ro;
 *   retain_opts_init(&ro, true);      (defaults: 7d raw, 400d rollups)
 *   ... RETAIN_OPTS(&ro, "when it prunes") in the option table ...
 *   retain_start(db, &ro, &pruner, err, sizeof(err));
 *   ... write ...
 *   retain_stop(pruner);
 */
#ifndef GW_RETAIN_H
#define GW_RETAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/options.h"
#include "store/prune.h"

/* Defaults of tail and live capture (README, "Retention"). */
#define RETAIN_DEFAULT_RAW_MS		(7 * 86400 * INT64_C(1000))
#define RETAIN_DEFAULT_ROLLUPS_MS	(400 * 86400 * INT64_C(1000))

struct retain_opts {
	int64_t raw_ms;		/* keep raw rows this long; 0 = forever */
	int64_t rollups_ms;	/* keep rollups this long; 0 = forever */
	int64_t max_bytes;	/* 0 = no cap */
	bool given;		/* one of the options was given */
};

/* Defaults (with_defaults) or keep everything. */
void retain_opts_init(struct retain_opts *ro, bool with_defaults);

/*
 * The options as entries of an option table (cli/options.h), with their
 * defaults in the help and note (a literal) said after them. DURATION is
 * cli_parse_duration()'s or "forever"; SIZE cli_parse_size()'s.
 */
int retain_opts_cb(const struct opt *opt, const char *arg, const char *cmd);
#define RETAIN_OPTS(ro, note) \
	OPT_CALLBACK(0, "retain", (ro), "DURATION", \
	    "remove requests, attempts, error-log and\n" \
	    "rejected lines older than DURATION (36h,\n" \
	    "7d, 2w; forever keeps them); default 7d", retain_opts_cb), \
	OPT_CALLBACK(0, "retain-rollups", (ro), "DURATION", \
	    "the same for the per-minute rollups that\n" \
	    "reports over long ranges read; default 400d", retain_opts_cb), \
	OPT_CALLBACK(0, "max-db-size", (ro), "SIZE", \
	    "keep the database file under SIZE (500M,\n" \
	    "20G): the oldest raw rows go first,\nrollups last\n(" note ")", \
	    retain_opts_cb)

/* True when the options ask for any pruning at all. */
bool retain_opts_active(const struct retain_opts *ro);

/*
 * The policy at reference time ref_ms (the newest event stored, see
 * store_newest_event_ms()).
 */
void retain_policy(const struct retain_opts *ro, int64_t ref_ms,
    struct store_prune_policy *p);

/*
 * Tell on stream f (for cmd) that the window from since_ms reaches where
 * rows were pruned, if it does: raw_view says the view reads raw rows
 * only (by path, diagnosis, explain), so it covers only what is left;
 * otherwise its counts come from the rollups. 0, or -1 with err filled.
 */
struct store;
int retain_note(FILE *f, const char *cmd, struct store *st, int64_t since_ms,
    bool raw_view, char *err, size_t errlen);

struct retainer;

/*
 * Start a thread that prunes database db (on a connection of its own) by
 * ro: a step whenever there is work, pausing between steps so a writer
 * on another connection always gets the lock in time, and a look once a
 * second when there is none. cmd names the command in its messages
 * (stderr). 0, or -1 with err filled. *out NULL when ro asks for nothing.
 */
int retain_start(const char *db, const struct retain_opts *ro,
    const char *cmd, struct retainer **out, char *err, size_t errlen);

/* What a pruner did. */
struct retain_stats {
	struct store_prune_result removed;	/* summed over its steps */
	int64_t steps;		/* transactions that removed something */
	double longest_ms;	/* the longest of those: what a writer may
				   have waited for the lock, at most */
	int64_t over_50ms;	/* steps longer than 50 ms */
};

/* Stop and join the thread; *st (may be NULL) gets what it did. */
void retain_stop(struct retainer *r, struct retain_stats *st);

#endif
