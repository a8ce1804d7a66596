/*
 * metricsopts.c - --metrics-listen and --metrics-max-upstreams for the
 * commands that run long (tail, capture); see metricsopts.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/cli.h"
#include "cli/metricsopts.h"

void
metricsopts_init(struct metricsopts *mo)
{
	mo->listen = NULL;
	mo->exporter = NULL;
	metrics_limits_default(&mo->limits);
}

/* See metricsopts.h: --metrics-listen, --metrics-max-upstreams. */
int
metricsopts_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	struct metricsopts *mo = opt->value;
	struct sockaddr_storage ss;
	size_t sl;
	char err[256], *end;
	long n;

	if (strcmp(opt->long_name, "metrics-listen") == 0) {
		if (exporter_parse_listen(arg, &ss, &sl, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch %s: --metrics-listen '%s': "
			    "%s\n", cmd, arg, err);
			return -1;
		}
		mo->listen = arg;
		return 0;
	}
	n = strtol(arg, &end, 10);
	if (*end != '\0' || n < 1 || n > 100000) {
		fprintf(stderr, "gatewatch %s: --metrics-max-upstreams '%s': a "
		    "number from 1 to 100000\n", cmd, arg);
		return -1;
	}
	mo->limits.max_upstreams = (size_t)n;
	return 0;
}

int
metricsopts_start(struct metricsopts *mo, const char *db, const char *cmd)
{
	struct exporter_opts eo = {
		.db = db,
		.listen = mo->listen,
		.version = GW_VERSION,
		.limits = mo->limits,
	};
	char err[512];

	if (mo->listen == NULL)
		return 0;
	if (exporter_start(&eo, &mo->exporter, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch %s: metrics: %s\n", cmd, err);
		return -1;
	}
	fprintf(stderr, "gatewatch %s: metrics at http://%s/metrics\n", cmd,
	    exporter_address(mo->exporter));
	return 0;
}

void
metricsopts_stop(struct metricsopts *mo)
{
	exporter_stop(mo->exporter);
	mo->exporter = NULL;
}
