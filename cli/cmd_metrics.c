/*
 * cmd_metrics.c - `gatewatch metrics`: the Prometheus exposition of a whole
 * database, once, on stdout (for node_exporter's textfile collector or
 * cron). The same families and label rules as `tail --metrics-listen`,
 * counting everything stored instead of what this process saw; no
 * process_* family (it would describe this short run, and clash with the
 * collector's own).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "metrics/exporter.h"
#include "cli/metricsopts.h"

static void
metrics_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch metrics [-d DB] [--metrics-max-upstreams N]"
	    " [-o FILE]\n\n"
	    "Prints what the database holds as Prometheus metrics (text\n"
	    "format 0.0.4): the families `tail --metrics-listen` serves,\n"
	    "counted over every stored request. -o writes FILE atomically\n"
	    "(FILE.tmp, then rename), as node_exporter's textfile collector\n"
	    "wants.\n\n", f);
	opt_usage(f, opts, 25);
}

/* --metrics-listen: checked as tail's, then refused (not a server). */
static int
metrics_listen_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	if (metricsopts_cb(opt, arg, cmd) != 0)
		return -1;
	fprintf(stderr, "gatewatch %s: --metrics-listen is for tail and "
	    "capture\n", cmd);
	return -1;
}

int
cmd_metrics(int argc, char **argv)
{
	const char *db = cli_default_db();
	const char *output = NULL;
	struct metricsopts mo;
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_STRING('o', "output", &output, "FILE",
		    "write FILE instead of stdout"),
		OPT_CALLBACK(0, "metrics-listen", &mo, "ADDR:PORT", NULL,
		    metrics_listen_cb),
		METRICSOPTS_OPT_MAX_UPSTREAMS(&mo),
		OPT_END(),
	};
	struct store *st = NULL;
	char err[512], *text = NULL;
	size_t len = 0;
	int first, rc;

	metricsopts_init(&mo);
	if ((rc = opt_parse("metrics", argc, argv, opts, metrics_usage,
	    &first)) >= 0)
		return rc;
	rc = EXIT_ERR;
	if (first < argc) {
		fprintf(stderr, "gatewatch metrics: unexpected '%s'\n",
		    argv[first]);
		metrics_usage(stderr, opts);
		return EXIT_USAGE;
	}
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch metrics: %s: no such database\n", db);
		return EXIT_ERR;
	}
	if (store_open(db, &st, err, sizeof(err)) == 0)
		cli_note_upgrade("metrics", db, st);
	if (st == NULL ||
	    exporter_render_db(st, &mo.limits, GW_VERSION, &text, &len, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch metrics: %s\n", err);
		goto out;
	}
	if (output == NULL) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
			perror("gatewatch metrics: stdout");
			goto out;
		}
	} else {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", output);
		FILE *f = fopen(tmp, "w");
		bool ok = f != NULL && fwrite(text, 1, len, f) == len;
		if (f != NULL && fclose(f) != 0)
			ok = false;
		if (!ok || rename(tmp, output) != 0) {
			fprintf(stderr, "gatewatch metrics: %s: ", output);
			perror(NULL);
			if (f != NULL)
				unlink(tmp);
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	free(text);
	store_close(st);
	return rc;
}
