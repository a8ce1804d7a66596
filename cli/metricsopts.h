/*
 * metricsopts.h - the exporter options of `tail` and `capture`.
 *
 *   struct metricsopts mo;
 *   metricsopts_init(&mo);
 *   ... getopt_long with METRICSOPTS_LONGOPTS in the table ...
 *       if ((r = metricsopts_take(&mo, ch, optarg, "tail")) != 0) {
 *           if (r < 0) return EXIT_USAGE; continue; }
 *   if (metricsopts_start(&mo, db, "tail") != 0) ... error, printed
 *   ... mo.exporter is NULL unless --metrics-listen was given ...
 *   metricsopts_stop(&mo);
 */
#ifndef GW_METRICSOPTS_H
#define GW_METRICSOPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/options.h"
#include "metrics/exporter.h"

#define METRICSOPTS_LISTEN		0x4d01
#define METRICSOPTS_MAX_UPSTREAMS	0x4d02

/* Entries of a getopt_long table. */
#define METRICSOPTS_LONGOPTS \
	{"metrics-listen", required_argument, NULL, METRICSOPTS_LISTEN}, \
	{"metrics-max-upstreams", required_argument, NULL, \
	    METRICSOPTS_MAX_UPSTREAMS}

struct metricsopts {
	const char *listen;		/* NULL: no exporter */
	struct metrics_limits limits;
	struct exporter *exporter;	/* while running */
};

void metricsopts_init(struct metricsopts *mo);

/* The same options as entries of an option table (cli/options.h). */
int metricsopts_cb(const struct opt *opt, const char *arg, const char *cmd);
#define METRICSOPTS_OPT_LISTEN(mo) OPT_CALLBACK(0, "metrics-listen", (mo), \
	"ADDR:PORT", "serve Prometheus metrics at /metrics (e.g.\n" \
	"127.0.0.1:9744); off by default", metricsopts_cb)
#define METRICSOPTS_OPT_MAX_UPSTREAMS(mo) OPT_CALLBACK(0, \
	"metrics-max-upstreams", (mo), "N", "upstream label values exported " \
	"(default 200;\nthe rest as upstream=\"_other\")", metricsopts_cb)

/* As formatopts_take(): 1 taken, 0 not ours, -1 bad value (printed). */
int metricsopts_take(struct metricsopts *mo, int ch, const char *arg,
    const char *cmd);

/*
 * Serve /metrics for database db when --metrics-listen was given (and tell
 * where on stderr). 0, or -1 with the message printed naming cmd.
 */
int metricsopts_start(struct metricsopts *mo, const char *db,
    const char *cmd);

void metricsopts_stop(struct metricsopts *mo);

/* The help lines of these options (--metrics-listen only with listen). */
void metricsopts_usage(FILE *f, bool listen);

#endif
