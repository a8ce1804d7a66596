/*
 * cmd_metrics.c - `gatewatch metrics`: the Prometheus exposition of a whole
 * database, once, on stdout (for node_exporter's textfile collector or
 * cron). The same families and label rules as `tail --metrics-listen`,
 * counting everything stored instead of what this process saw; no
 * process_* family (it would describe this short run, and clash with the
 * collector's own).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "metrics/exporter.h"
#include "cli/metricsopts.h"

static void
metrics_usage(FILE *f)
{
	fprintf(f, "usage: gatewatch metrics [-d DB] [--metrics-max-upstreams N]"
	    " [-o FILE]\n\n"
	    "Prints what the database holds as Prometheus metrics (text\n"
	    "format 0.0.4): the families `tail --metrics-listen` serves,\n"
	    "counted over every stored request. -o writes FILE atomically\n"
	    "(FILE.tmp, then rename), as node_exporter's textfile collector\n"
	    "wants.\n\n"
	    "  -d, --db DB            database (default ./%s, or $GATEWATCH_DB)\n"
	    "  -o, --output FILE      write FILE instead of stdout\n",
	    GW_DEFAULT_DB);
	metricsopts_usage(f, false);
}

int
cmd_metrics(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		METRICSOPTS_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = cli_default_db();
	const char *output = NULL;
	struct metricsopts mo;
	struct store *st = NULL;
	char err[512], *text = NULL;
	size_t len = 0;
	int ch, r, rc = EXIT_ERR;

	metricsopts_init(&mo);
	while ((ch = getopt_long(argc, argv, "d:o:h", longopts, NULL)) != -1) {
		if ((r = metricsopts_take(&mo, ch, optarg, "metrics")) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			if (ch == METRICSOPTS_LISTEN) {
				fprintf(stderr, "gatewatch metrics: "
				    "--metrics-listen is for tail and capture\n");
				return EXIT_USAGE;
			}
			continue;
		}
		switch (ch) {
		case 'd': db = optarg; break;
		case 'o': output = optarg; break;
		case 'h': metrics_usage(stdout); return EXIT_OK;
		default: metrics_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatewatch metrics: unexpected '%s'\n",
		    argv[optind]);
		metrics_usage(stderr);
		return EXIT_USAGE;
	}
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch metrics: %s: no such database\n", db);
		return EXIT_ERR;
	}
	if (store_open(db, &st, err, sizeof(err)) != 0 ||
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
