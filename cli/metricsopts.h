/*
 * metricsopts.h - the exporter options of `tail` and `capture`.
 *
 *   struct metricsopts mo;
 *   metricsopts_init(&mo);
 *   ... METRICSOPTS_OPT_LISTEN(&mo), METRICSOPTS_OPT_MAX_UPSTREAMS(&mo)
 *       in the command's option table (cli/options.h) ...
 *   if (metricsopts_start(&mo, db, "tail") != 0) ... error, printed
 *   ... mo.exporter is NULL unless --metrics-listen was given ...
 *   metricsopts_stop(&mo);
 */
#ifndef GW_METRICSOPTS_H
#define GW_METRICSOPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/options.h"
#include "metrics/exporter.h"


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

/*
 * Serve /metrics for database db when --metrics-listen was given (and tell
 * where on stderr). 0, or -1 with the message printed naming cmd.
 */
int metricsopts_start(struct metricsopts *mo, const char *db,
    const char *cmd);

void metricsopts_stop(struct metricsopts *mo);

#endif
