/*
 * topbench.c - time the console's refresh: the queries of one full
 * snapshot (snapshot_build: header, upstreams with percentiles and
 * sparklines, causes with trends, the chart, the latest failing requests),
 * N times, on an existing database.
 *
 *   topbench DB [N] [WINDOW]     WINDOW: 5m, 1h, 24h, all (default all)
 *
 * Prints one line: window, refreshes, ms per refresh (mean and max).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "store/console.h"
#include "tui/snapshot.h"
#include "store/store.h"

int
main(int argc, char **argv)
{
	struct snapshot_spec spec;
	struct store *s;
	struct console *c;
	char err[512];
	int n = argc > 2 ? atoi(argv[2]) : 20, w;
	double total = 0, worst = 0;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: topbench DB [N] [5m|1h|24h|all]\n");
		return 2;
	}
	w = window_from_name(argc > 3 ? argv[3] : "all");
	if (w < 0) {
		fprintf(stderr, "topbench: bad window\n");
		return 2;
	}
	if (store_open(argv[1], &s, err, sizeof(err)) != 0 ||
	    console_new(s, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "topbench: %s\n", err);
		return 1;
	}
	memset(&spec, 0, sizeof(spec));
	spec.window = (enum window_id)w;
	spec.filter.cause = GW_CAUSE_ANY;
	spec.filter.status = -1;
	spec.upstreams = spec.causes = spec.failures = true;
	spec.chart_by = CONSOLE_SPLIT_CAUSE;
	spec.failures_limit = 200;
	spec.thresholds.degraded = 0.01;
	spec.thresholds.failing = 0.10;
	spec.now_ms = clk_wall_ms();
	for (int i = 0; i <= n; i++) {
		struct snapshot *snap;
		double t0 = clk_mono_secs() * 1000.0, dt;

		if (snapshot_build(c, &spec, &snap, err, sizeof(err)) != 0) {
			fprintf(stderr, "topbench: %s\n", err);
			return 1;
		}
		dt = clk_mono_secs() * 1000.0 - t0;
		if (i > 0) {	/* the first one warms the cache */
			total += dt;
			if (dt > worst)
				worst = dt;
		} else
			printf("window %s: %lld requests, %zu upstreams, "
			    "%zu causes, %zu failing listed; first refresh "
			    "%.1f ms\n", argv[3] ? argv[3] : "all",
			    (long long)snap->totals.requests, snap->n_upstreams,
			    snap->n_causes, snap->n_failures, dt);
		snapshot_free(snap);
	}
	printf("window %s: %d refreshes, %.1f ms per refresh (max %.1f ms)\n",
	    argc > 3 ? argv[3] : "all", n, total / n, worst);
	console_free(c);
	store_close(s);
	return 0;
}
