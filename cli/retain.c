/*
 * retain.c - retention for `tail` and `capture`: the options, and a
 * pruner thread beside the writer.
 *
 * The pruner has its own connection and runs store_prune_step() (store/
 * prune.h) in a loop. Each step is one short write transaction; the
 * writer thread, on its own connection, waits for the lock at most that
 * long (its busy handler polls every millisecond, store/db.c). To keep
 * that wait under RETAIN_STEP_TARGET_MS whatever the machine, the rows per
 * step adapt to the time the last step held the lock (BEGIN granted to
 * COMMIT done); after each step the pruner pauses a quarter as long (at
 * least a millisecond), so a waiting writer always gets in next (it polls
 * every millisecond) and pruning still keeps up with 50,000 rows/s on two
 * busy cores (bench/tail.sh RETAIN=1h PATHS=10000; pausing half as long
 * fell behind). With nothing to
 * do it looks again once a second: the cutoff moves as new events come.
 *
 * Cutoffs count back from the newest event stored (never later than now),
 * so retention follows event time: a log replayed fast, or a gateway
 * whose clock is off, keeps the same span of events.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/clock.h"
#include "cli/retain.h"
#include "store/store.h"

/* Longest a step should hold the write lock, ms. */
#define RETAIN_STEP_TARGET_MS	10.0
#define RETAIN_ROWS_MIN		200
#define RETAIN_ROWS_MAX		20000
#define RETAIN_ROWS_START	500
/* Look for work this often when there was none, ms. */
#define RETAIN_IDLE_MS		1000
/*
 * Sweep unused interned strings at most this often: a sweep that removes
 * some empties the writer's string caches, which then cost it a lookup
 * per string until they are warm again.
 */
#define RETAIN_STRINGS_EVERY_MS	10000
/* After a failed step (disk full, database locked for long), ms. */
#define RETAIN_RETRY_MS		10000

struct retainer {
	struct retain_opts o;
	const char *cmd;
	struct store *st;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct retain_stats stats;
};

/* See retain.h. */
void
retain_opts_init(struct retain_opts *ro, bool with_defaults)
{
	memset(ro, 0, sizeof(*ro));
	if (with_defaults) {
		ro->raw_ms = RETAIN_DEFAULT_RAW_MS;
		ro->rollups_ms = RETAIN_DEFAULT_ROLLUPS_MS;
	}
}

/* A DURATION or "forever" (0); 0 or -1. */
static int
retain_parse_duration(const char *arg, int64_t *ms)
{
	if (strcmp(arg, "forever") == 0) {
		*ms = 0;
		return 0;
	}
	if (cli_parse_duration(arg, ms) != 0 || *ms <= 0)
		return -1;
	return 0;
}

/* See retain.h. */
int
retain_opts_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	struct retain_opts *ro = opt->value;

	if (strcmp(opt->long_name, "max-db-size") == 0) {
		if (opt_size(cmd, arg, &ro->max_bytes) != 0)
			return -1;
	} else if (retain_parse_duration(arg, strcmp(opt->long_name,
	    "retain") == 0 ? &ro->raw_ms : &ro->rollups_ms) != 0) {
		fprintf(stderr, "gatewatch %s: bad duration '%s' (a number "
		    "with s, m, h, d or w: 36h, 7d; or forever)\n", cmd, arg);
		return -1;
	}
	ro->given = true;
	return 0;
}

/* See retain.h. */
bool
retain_opts_active(const struct retain_opts *ro)
{
	return ro->raw_ms > 0 || ro->rollups_ms > 0 || ro->max_bytes > 0;
}

/* See retain.h. */
void
retain_policy(const struct retain_opts *ro, int64_t ref_ms,
    struct store_prune_policy *p)
{
	p->raw_before_ms = ro->raw_ms > 0 ? ref_ms - ro->raw_ms : INT64_MIN;
	p->rollup_before_ms = ro->rollups_ms > 0 ? ref_ms - ro->rollups_ms :
	    INT64_MIN;
	/* Raw rows never outlive their rollups' reach, whatever was asked. */
	if (p->rollup_before_ms > p->raw_before_ms)
		p->raw_before_ms = p->rollup_before_ms;
	p->max_bytes = ro->max_bytes;
	p->strings_every_ms = RETAIN_STRINGS_EVERY_MS;
}

/* Wait up to ms on the condition unless stopped; true when stopping. */
static bool
retain_wait(struct retainer *r, double ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &ts) !=
	    ETIMEDOUT)
		;
	stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

/* Add b into a. */
static void
retain_add(struct store_prune_result *a, const struct store_prune_result *b)
{
	a->requests += b->requests;
	a->attempts += b->attempts;
	a->errors += b->errors;
	a->rejects += b->rejects;
	a->rollup_rows += b->rollup_rows;
	a->strings += b->strings;
}

/* The pruner thread. */
static void *
retain_main(void *arg)
{
	struct retainer *r = arg;
	int rows = RETAIN_ROWS_START;
	bool failing = false;
	char err[512];

	for (;;) {
		struct store_prune_policy p;
		struct store_prune_result res = {0};
		int64_t ref;
		double ms;
		int rc;

		rc = store_newest_event_ms(r->st, clk_wall_ms(), &ref, err,
		    sizeof(err));
		if (rc == 0) {
			retain_policy(&r->o, ref, &p);
			rc = store_prune_step(r->st, &p, rows, &res, err,
			    sizeof(err));
		}
		/* Time with the lock held (not waiting for it): what the
		   writer may wait for, and what the rows per step tune. */
		ms = res.held_ms;
		if (rc != 0) {
			if (!failing)
				fprintf(stderr, "gatewatch %s: pruning: %s "
				    "(trying again every %d s)\n", r->cmd, err,
				    RETAIN_RETRY_MS / 1000);
			failing = true;
			if (retain_wait(r, RETAIN_RETRY_MS))
				break;
			continue;
		}
		if (failing)
			fprintf(stderr, "gatewatch %s: pruning works again\n",
			    r->cmd);
		failing = false;
		pthread_mutex_lock(&r->mu);
		retain_add(&r->stats.removed, &res);
		if (res.requests + res.attempts + res.errors + res.rejects +
		    res.rollup_rows + res.strings > 0) {
			r->stats.steps++;
			if (ms > r->stats.longest_ms)
				r->stats.longest_ms = ms;
			if (ms > 50)
				r->stats.over_50ms++;
		}
		pthread_mutex_unlock(&r->mu);
		if (!res.more) {
			if (retain_wait(r, RETAIN_IDLE_MS))
				break;
			continue;
		}
		/* Full steps: fit the next one into the target time. */
		if (ms > RETAIN_STEP_TARGET_MS && rows > RETAIN_ROWS_MIN)
			rows = rows * 2 / 3 > RETAIN_ROWS_MIN ? rows * 2 / 3 :
			    RETAIN_ROWS_MIN;
		else if (ms < RETAIN_STEP_TARGET_MS / 2 &&
		    rows < RETAIN_ROWS_MAX)
			rows = rows * 3 / 2 < RETAIN_ROWS_MAX ? rows * 3 / 2 :
			    RETAIN_ROWS_MAX;
		/* Leave the lock free a quarter as long as it was held. */
		if (retain_wait(r, ms > 4 ? ms / 4 : 1))
			break;
	}
	return NULL;
}

/* See retain.h. */
int
retain_start(const char *db, const struct retain_opts *ro, const char *cmd,
    struct retainer **out, char *err, size_t errlen)
{
	struct retainer *r;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!retain_opts_active(ro))
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->o = *ro;
	r->cmd = cmd;
	if (store_open(db, &r->st, err, errlen) != 0) {
		free(r);
		return -1;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* Signals are for the thread that reads: the pruner takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&r->thread, NULL, retain_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the pruner thread");
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		store_close(r->st);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

/* See retain.h. */
void
retain_stop(struct retainer *r, struct retain_stats *st)
{
	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	if (st != NULL)
		*st = r->stats;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	store_close(r->st);
	free(r);
}

/* See retain.h. */
int
retain_note(FILE *f, const char *cmd, struct store *st, int64_t since_ms,
    bool raw_view, char *err, size_t errlen)
{
	struct report_query q = {.since_ms = since_ms, .until_ms = INT64_MAX,
	    .cause = GW_CAUSE_ANY, .status = -1};
	struct report_coverage c;
	char t[32];

	if (raw_view) {
		q.keys[0] = REPORT_KEY_PATH;
		q.n_keys = 1;
	}
	if (store_report_coverage(st, &q, &c, err, errlen) != 0)
		return -1;
	if (c.rollup_partial)
		fprintf(f, "gatewatch %s: note: rows and rollups before %s were "
		    "pruned; the figures cover %s on\n", cmd, cli_utc(c.rollup_pruned_before_ms,
		    CLI_UTC_MINUTE, t, sizeof(t)), t);
	else if (c.raw_partial && raw_view)
		fprintf(f, "gatewatch %s: note: raw rows before %s were pruned; "
		    "what this view reads from raw rows covers only %s on "
		    "(counts over the whole window: gatewatch report --by "
		    "upstream,cause)\n", cmd, cli_utc(c.raw_pruned_before_ms,
		    CLI_UTC_MINUTE, t, sizeof(t)), t);
	else if (c.raw_partial)
		fprintf(f, "gatewatch %s: note: raw rows before %s were pruned; "
		    "the counts come from the per-minute rollups%s\n", cmd,
		    cli_utc(c.raw_pruned_before_ms,
		    CLI_UTC_MINUTE, t, sizeof(t)),
		    c.rounded ? " (bounds taken to whole minutes)" : "");
	return 0;
}
