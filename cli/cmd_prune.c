/*
 * cmd_prune.c - `gatewatch prune`: retention once, for databases that
 * `ingest` fills (tail and capture prune as they go, cli/retain.c).
 *
 * Runs store_prune_step() until nothing is left to do, then removes the
 * interned strings no row refers to any more, and with --vacuum gives the
 * freed pages back to the file system. Safe beside a running `tail`: the
 * steps are the same short transactions its own pruner makes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/clock.h"
#include "store/prune.h"
#include "store/store.h"

#define PRUNE_ROWS	2000	/* rows per step */

static void
prune_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch prune [-d DB] --older-than T [--rollups-older-than T]\n"
	    "                       [--max-db-size SIZE] [--vacuum] [-q]\n\n"
	    "Removes raw rows (requests with their attempts, error-log lines,\n"
	    "rejected lines) older than T, and with --rollups-older-than the\n"
	    "per-minute rollups too; reports over the pruned range answer from\n"
	    "the rollups. Where each file was read to is kept, so nothing is\n"
	    "read twice. Interned strings no row uses any more are removed too.\n\n"
	    "T is an age counted back from the newest request stored (7d, 36h,\n"
	    "2w) or a time (2026-11-25, 2026-11-25T10:00:00Z, @EPOCH).\n\n", f);
	opt_usage(f, opts, 30);
}

/* An age (back from ref_ms) or a time; 0 or -1. */
static int
prune_parse_when(const char *s, int64_t ref_ms, int64_t *ms)
{
	int64_t age;

	if (cli_parse_duration(s, &age) == 0) {
		*ms = ref_ms - age;
		return 0;
	}
	return cli_parse_time(s, clk_wall_ms(), ms);
}

int
cmd_prune(int argc, char **argv)
{
	const char *db = cli_default_db();
	const char *older = NULL, *rollups_older = NULL;
	struct store_prune_policy p = {INT64_MIN, INT64_MIN, 0, 0};
	bool vacuum = false, quiet = false;
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_STRING(0, "older-than", &older, "T",
		    "remove raw rows older than T"),
		OPT_STRING(0, "rollups-older-than", &rollups_older, "T",
		    "remove rollups older than T"),
		OPT_CALLBACK(0, "max-db-size", &p.max_bytes, "SIZE",
		    "then remove the oldest rows until the\n"
		    "pages in use fit SIZE (500M, 20G)", opt_size_cb),
		OPT_FLAG(0, "vacuum", &vacuum,
		    "give the freed space back to the file\n"
		    "system (rewrites the database)"),
		OPT_FLAG('q', "quiet", &quiet, "no summary"),
		OPT_END(),
	};
	struct store_prune_result total = {0};
	struct store_size before, after;
	struct store *st = NULL;
	int64_t ref, steps = 0;
	char err[512], t1[32];
	int first, status = EXIT_ERR;

	if ((status = opt_parse("prune", argc, argv, opts, prune_usage,
	    &first)) >= 0)
		return status;
	status = EXIT_ERR;
	if (first < argc) {
		fprintf(stderr, "gatewatch prune: unexpected '%s'\n",
		    argv[first]);
		prune_usage(stderr, opts);
		return EXIT_USAGE;
	}
	if (older == NULL && rollups_older == NULL && p.max_bytes == 0 &&
	    !vacuum) {
		fprintf(stderr, "gatewatch prune: say what to remove "
		    "(--older-than T, --rollups-older-than T, --max-db-size)\n");
		prune_usage(stderr, opts);
		return EXIT_USAGE;
	}
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch prune: %s\n", err);
		return EXIT_ERR;
	}
	if (store_newest_event_ms(st, clk_wall_ms(), &ref, err,
	    sizeof(err)) != 0)
		goto fail;
	if (older != NULL && prune_parse_when(older, ref,
	    &p.raw_before_ms) != 0) {
		fprintf(stderr, "gatewatch prune: bad time '%s'\n", older);
		status = EXIT_USAGE;
		goto out;
	}
	if (rollups_older != NULL) {
		if (prune_parse_when(rollups_older, ref,
		    &p.rollup_before_ms) != 0) {
			fprintf(stderr, "gatewatch prune: bad time '%s'\n",
			    rollups_older);
			status = EXIT_USAGE;
			goto out;
		}
		/* Raw rows never outlive their rollups. */
		if (p.rollup_before_ms > p.raw_before_ms)
			p.raw_before_ms = p.rollup_before_ms;
	}
	if (store_size(st, &before, err, sizeof(err)) != 0)
		goto fail;
	for (;;) {
		if (store_prune_step(st, &p, PRUNE_ROWS, &total, err,
		    sizeof(err)) != 0)
			goto fail;
		steps++;
		if (!total.more)
			break;
	}
	if ((total.requests > 0 || total.errors > 0) &&
	    store_prune_strings(st, &total, err, sizeof(err)) != 0)
		goto fail;
	if (vacuum && store_prune_vacuum(st, err, sizeof(err)) != 0)
		goto fail;
	if (store_size(st, &after, err, sizeof(err)) != 0)
		goto fail;
	if (!quiet) {
		if (p.raw_before_ms != INT64_MIN)
			printf("raw rows before %s:", cli_utc(
			    p.raw_before_ms, CLI_UTC_SECOND, t1, sizeof(t1)));
		else
			printf("removed:");
		printf(" %" PRId64 " requests, %" PRId64 " attempts, %" PRId64
		    " error-log lines, %" PRId64 " rejected lines removed\n",
		    total.requests, total.attempts, total.errors,
		    total.rejects);
		printf("rollup rows removed: %" PRId64 "; interned strings "
		    "removed: %" PRId64 "\n", total.rollup_rows, total.strings);
		printf("database: %.1f MiB in use, %.1f MiB free (was %.1f "
		    "in use)%s\n", (double)after.used_bytes / 1048576,
		    (double)after.free_bytes / 1048576,
		    (double)before.used_bytes / 1048576,
		    vacuum ? "" : "; free pages are reused by later writes "
		    "(--vacuum gives them back)");
	}
	status = EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "gatewatch prune: %s\n", err);
out:
	store_close(st);
	return status;
}
